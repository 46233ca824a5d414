// `latentlab explain --method ig`: integrated gradients of one test image, written as a folder that
// appears whole or not at all: attribution.csv (the raw map), attribution.png (input | baseline |
// signed map | map over the input) and summary.json.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/clue/clue_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/explorer/viewmath.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"
#include "pipeline/explain_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace {

// The raw map: C*H lines of W numbers, channel after channel.
std::string attributionCsv(const AttributionResult& r) {
  std::ostringstream out;
  out << std::setprecision(7);
  for (int64_t c = 0; c < r.C; ++c)
    for (int64_t y = 0; y < r.H; ++y) {
      for (int64_t x = 0; x < r.W; ++x)
        out << (x ? "," : "") << r.attribution[size_t((c * r.H + y) * r.W + x)] + 0.0f;  // no -0
      out << '\n';
    }
  return out.str();
}

// Four tiles, each pixel `scale` times (about 112 px a tile), 4 pixels apart: input and baseline
// (in colour for a colour bundle), the signed map of the channels' sum (blue - white - red, clipped
// at the 99th percentile of its |a|), and the map over the input in grey.
void writeAttributionPng(const std::string& path, const AttributionResult& r, float clip) {
  const int64_t scale = std::max<int64_t>(1, 112 / std::max(r.H, r.W)), gap = 4, tw = r.W * scale, th = r.H * scale,
                w = 4 * tw + 3 * gap, hw = r.H * r.W;
  std::vector<uint8_t> px(size_t(w * th * 3), 30);
  auto grey = [&](const std::vector<float>& img, int64_t i) {
    double v = 0;
    for (int64_t c = 0; c < r.C; ++c) v += img[size_t(c * hw + i)];
    return std::min(1.0f, std::max(0.0f, float(v / double(r.C))));
  };
  auto colour = [&](const std::vector<float>& img, int64_t i) -> Rgb {
    if (r.C != 3) {
      const float g = grey(img, i);
      return {g, g, g};
    }
    return {img[size_t(i)], img[size_t(hw + i)], img[size_t(2 * hw + i)]};
  };
  auto mapAt = [&](int64_t i) {
    double v = 0;
    for (int64_t c = 0; c < r.C; ++c) v += r.attribution[size_t(c * hw + i)];
    return clip > 0 ? float(v) / clip : 0.0f;
  };
  for (int64_t y = 0; y < th; ++y)
    for (int64_t x = 0; x < tw; ++x) {
      const int64_t i = (y / scale) * r.W + x / scale;
      const float t = mapAt(i), g = grey(r.input, i), a = std::min(1.0f, std::abs(t));
      const Rgb sc = signedColor(t);
      const Rgb tiles[4] = {colour(r.input, i),
                            colour(r.baseline, i),
                            sc,
                            {g + a * (sc[0] - g), g + a * (sc[1] - g), g + a * (sc[2] - g)}};
      for (int k = 0; k < 4; ++k)
        for (int c = 0; c < 3; ++c)
          px[size_t(((y * w) + k * (tw + gap) + x) * 3 + c)] =
              uint8_t(std::min(1.0f, std::max(0.0f, tiles[k][size_t(c)])) * 255.0f + 0.5f);
    }
  writePngFile(path, int(w), int(th), 3, px);
}

}  // namespace

json runExplainAttribution(const AttributionExplainOptions& o, const ProgressFn& progress,
                           const std::atomic<bool>* cancel, std::ostream& log) {
  const bool path = o.method == "latent-ig", labelFree = o.method.rfind("labelfree-", 0) == 0;
  if (o.method != "ig" && !path && !labelFree)
    throw InputError("[explain] unknown attribution method '" + clipForMessage(o.method, 40) + "'");
  if (o.index < 0 && o.image.empty())
    throw InputError("[explain] --method " + o.method + " needs --index N (a test-set index) or --image PATH");
  if (o.index >= 0 && !o.image.empty()) throw InputError("[explain] give --index N or --image PATH, not both");
  if (path && o.ig.target.needsClass())
    throw InputError("[explain] latent-ig attributes an uncertainty: --target total, aleatoric or epistemic");
  AttributionOptions ig = o.ig;
  if (labelFree) {  // Crabbé and van der Schaar: F = <phi(x), phi(.)>, by saliency, IG or GradientShap
    ig.target.kind = AttributionTargetKind::LabelFree;
    ig.method = parseAttributionMethod(o.method.substr(10), "explain");
  }
  checkExplainOut(o.out, o.force);
  Bundle b = loadBundle(o.bundle, parseDevice(o.device), BundleParts{false, false});
  checkAttributionOptions(ig, b.numClasses(), "explain");
  if (b.labelFree() && ig.target.needsHead())
    throw BundleError("[explain] this bundle's encoder was trained without labels (" + b.objective +
                      "): there is no "
                      "prediction or uncertainty to attribute; --method labelfree-ig (or labelfree-saliency, "
                      "labelfree-gradient-shap) explains the latent itself (" +
                      o.bundle + ")");
  if (ig.target.needsHead() && ig.head == HeadKind::Laplace && !b.laplace)
    throw BundleError("[explain] the laplace head needs a posterior, and the bundle has none (" + o.bundle +
                      "); use --head deterministic");
  const DatasetSplit data = loadManifestDataset(b.manifest);
  const int64_t n = data.test.images.size(0);
  if (o.image.empty() && o.index >= n)
    throw InputError("[explain] --index " + std::to_string(o.index) + " is outside the test set (0.." +
                     std::to_string(n - 1) + ")");
  // The image explained: a test image, or the user's file fitted to the model's input.
  std::string note;
  const Dataset user = o.image.empty() ? Dataset{} : loadImageAsDataset(o.image, b.manifest.inputShape, &note);
  if (!note.empty()) log << fs::path(o.image).filename().string() << ": " << note << " to the model's input\n";
  const torch::Tensor x = o.image.empty() ? data.test.images[o.index] : user.images[0];
  torch::Tensor mean;
  if (ig.baseline == IgBaseline::Mean) mean = data.train.images.to(torch::kFloat).mean(0);
  checkCancel(cancel, "explain");
  (void)progress;  // one image: no progress to report
  AttributionResult r;
  json clue;
  if (!path) {
    r = explainIg(b, ig, x, mean, cancel);
  } else {  // latent CLUE from the point (defaults, the same head and U), then Perez et al. from z* back
    if (!b.decoder)
      throw BundleError("[explain] latent-ig decodes a latent path, and the bundle has no decoder (" + o.bundle + ")");
    const torch::Tensor z = bundleLatents(b, data.test, "latents_test.pt", progress, cancel);
    ClueOptions cf;
    cf.head = o.ig.head;
    cf.uncertainty = o.ig.target.kind == AttributionTargetKind::Aleatoric   ? UncertaintyKind::Aleatoric
                     : o.ig.target.kind == AttributionTargetKind::Epistemic ? UncertaintyKind::Epistemic
                                                                            : UncertaintyKind::Total;
    const ClueContext ctx = makeClueContext(b, cf, z);
    torch::Tensor zx;
    if (o.image.empty()) {
      zx = z.slice(0, o.index, o.index + 1);
    } else {
      torch::NoGradGuard ng;
      zx = b.encode(x.unsqueeze(0).to(b.device, torch::kFloat)).to(torch::kCPU, torch::kFloat);
    }
    const ClueResult c = explainPoints(ctx, cf, x.unsqueeze(0), zx, cancel).at(0);
    const int64_t d = c.d, last = std::clamp<int64_t>(c.steps, 0, c.numPathSteps() - 1);
    std::vector<float> zp;
    for (int64_t k = last; k >= 0; --k) zp.insert(zp.end(), c.path.begin() + k * d, c.path.begin() + (k + 1) * d);
    const torch::Tensor zPath = torch::from_blob(zp.data(), {last + 1, d}, torch::kFloat32).clone();
    const BllHead head = b.head(o.ig.head == HeadKind::Laplace ? HeadMode::Samples : HeadMode::Deterministic);
    r = explainLatentPath(b, o.ig, attributionFunction(b, head, o.ig.target), zPath, x, cancel);
    r.target = attributionTargetName(o.ig.target);
    r.head = headKindName(o.ig.head);
    clue = {{"u_before", c.uBefore}, {"u_latent", c.uLatent}, {"u_roundtrip", c.uRoundtrip}, {"steps", c.steps}};
  }
  // The clip of what the picture shows: the channels' sum (for a grey bundle, the map itself).
  std::vector<float> summed(size_t(r.H * r.W), 0.0f);
  for (int64_t c = 0; c < r.C; ++c)
    for (int64_t i = 0; i < r.H * r.W; ++i) summed[size_t(i)] += r.attribution[size_t(c * r.H * r.W + i)];
  const float clip = signedClip(summed);
  StagedDir stage(o.out, o.force, checkExplainOut);
  writeFileAtomic((fs::path(stage.path()) / "attribution.csv").string(), attributionCsv(r));
  writeAttributionPng((fs::path(stage.path()) / "attribution.png").string(), r, clip);
  int predicted = -1;  // a label-free bundle has no classifier: "predicted" is null
  if (!b.labelFree()) {
    torch::NoGradGuard ng;
    const BllHead head =
        b.head(ig.head == HeadKind::Laplace && b.laplace ? HeadMode::Samples : HeadMode::Deterministic);
    predicted = int(head.predict(b.encode(x.unsqueeze(0).to(b.device, torch::kFloat))).probs.argmax(1).item<int64_t>());
  }
  json summary = {{kExplainMarker, true},
                  {"bundle", fs::absolute(o.bundle).string()},
                  {"method", o.method},
                  {"index", o.image.empty() ? json(o.index) : json(nullptr)},
                  {"image", o.image.empty() ? json(nullptr) : json(fs::absolute(o.image).string())},
                  {"label", o.image.empty() ? json(data.test.labels[o.index].item<int64_t>()) : json(nullptr)},
                  {"predicted", predicted >= 0 ? json(predicted) : json(nullptr)},
                  {"residual_is_absolute", r.residualAbsolute},
                  {"attribution_method", r.method},
                  {"colour_clip", clip},
                  {"ms", r.ms},
                  {"device", o.device},
                  {"shape", {r.C, r.H, r.W}}};
  summary.update(attributionFacts(r));
  // Every option that shapes the run, so that it can be made again.
  summary["options"] = {{"seed", ig.seed},
                        {"blur_sigma", ig.blurSigmaOrDefault(r.H, r.W)},
                        {"shap_noise", ig.shapNoise},
                        {"adaptive", ig.adaptive},
                        {"tolerance", ig.tolerance},
                        {"fixed_steps", ig.adaptive ? json(nullptr) : json(ig.steps)}};
  if (path) {
    summary["clue"] = clue;  // the counterfactual whose path was attributed
    summary["decoded_nodes"] = r.decodedNodes;
    summary["segment_steps"] = r.steps() - r.decodedNodes;
  }
  writeFileAtomic((fs::path(stage.path()) / "summary.json").string(), jsonText(summary, 2) + "\n");
  checkCancel(cancel, "explain");
  stage.commit();
  const std::string what =
      ig.target.needsHead() ? r.target + " (" + r.head + " head)" : std::string("<phi(x), phi(.)> (label-free)");
  log << r.method << " of " << what;
  if (r.method != "saliency") log << ", " << r.baseline_name << " baseline, " << stepsInWords(r);
  log << ": F(x) " << r.fInput << ", F(x') " << r.fBaseline << ", sum " << r.sumAttribution;
  if (r.hasCompleteness) log << ", completeness residual " << r.residual;
  log << "\n";
  return summary;
}

}  // namespace latentlab
