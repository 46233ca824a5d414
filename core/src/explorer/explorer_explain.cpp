// The explanations of one point or latent (explorer.h): counterfactuals, attributions along a
// straight line or a latent path, and the training examples behind a latent.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "explorer/explorer_impl.h"
#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/clue/clue_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

ClueResult Explorer::counterfactual(const ClueOptions& o, int64_t point, const std::vector<float>& z0,
                                    const std::function<bool(int, const std::vector<float>&, float)>& onStep,
                                    const ProgressFn& progress, const std::atomic<bool>* cancel) const {
  return counterfactuals(o, point, z0, onStep, progress, cancel).at(0);
}

std::vector<ClueResult> Explorer::counterfactuals(
    const ClueOptions& o, int64_t point, const std::vector<float>& z0,
    const std::function<bool(int, const std::vector<float>&, float)>& onStep, const ProgressFn& progress,
    const std::atomic<bool>* cancel) const {
  std::lock_guard<std::mutex> lock(m->clueMutex);
  Bundle& b = m->bundle;
  const PointTable& t = *m->table;
  checkClueOptions(o, t.K, "clue");
  m->requireClassifier("clue");
  if (o.method == ClueMethod::VaeClue) loadVae(b);
  ClueContext ctx = makeClueContext(b, o, m->latents.slice(0, 0, t.numTest));
  if (o.method == ClueMethod::Regene) {
    if (!m->prototypes || m->prototypes->k != o.prototypes)
      m->prototypes = bundlePrototypes(b, o.prototypes, progress, cancel);
    ctx.prototypes = &*m->prototypes;
  }
  std::vector<ClueResult> r;
  if (point >= 0) {
    r = explainPoints(ctx, o, m->imageOf(point, "clue").unsqueeze(0), m->latents.slice(0, point, point + 1), cancel,
                      onStep);
  } else {
    if (int64_t(z0.size()) != t.d)
      throw InputError("[clue] a latent of " + std::to_string(z0.size()) +
                       " values, the model has d=" + std::to_string(t.d));
    std::vector<float> zc = z0;
    r = explainLatents(ctx, o, torch::from_blob(zc.data(), {1, t.d}, torch::kFloat32).clone(), cancel, onStep);
  }
  // CARLA's measures compare with the training latents: read once (the map may not show them), in
  // a copy of the split so that the map's own training rows are not touched from this thread.
  if (!m->quality && !m->qualityTried) {
    // A reference that cannot be made (no training split, too little memory) leaves the measures
    // unset ("-"); the counterfactual itself is kept. A cancel still cancels.
    try {
      Dataset train = m->data.train;
      if (train.size() == 0) train = loadManifestDataset(b.manifest).train;
      if (train.size() > 0)
        m->quality = makeQualityReference(bundleLatents(b, train, "latents_train.pt", progress, cancel), train.labels,
                                          m->latents.slice(0, 0, t.numTest));
    } catch (const CancelledError&) {
      throw;
    } catch (const std::exception&) {
    }
    m->qualityTried = true;
  }
  if (m->quality)
    for (ClueResult& one : r) measureQuality(one, *m->quality);
  return r;
}

namespace {

// phi of each node's input (the IG path on the map): [m, d] flat.
std::vector<float> encodeNodes(const Bundle& b, const AttributionResult& r) {
  torch::NoGradGuard ng;
  const int64_t P = r.pixels(), steps = r.steps();
  std::vector<float> inputs(size_t(steps * P));
  for (int64_t k = 0; k < steps; ++k) {
    const std::vector<float> xi =
        r.isPath() ? std::vector<float>(r.nodeInputs.begin() + k * P, r.nodeInputs.begin() + (k + 1) * P)
                   : r.inputAt(r.alphas[size_t(k)]);
    std::copy(xi.begin(), xi.end(), inputs.begin() + k * P);
  }
  const torch::Tensor zs = b.encode(torch::from_blob(inputs.data(), {steps, r.C, r.H, r.W}, torch::kFloat32).clone());
  return toVector<float>(zs.to(torch::kFloat).cpu());
}

}  // namespace

AttributionResult Explorer::attribution(const AttributionOptions& o, int64_t point, const std::vector<float>& z,
                                        std::vector<float>* pathLatents, const std::atomic<bool>* cancel) const {
  std::lock_guard<std::mutex> lock(m->clueMutex);
  const Bundle& b = m->bundle;
  const PointTable& t = *m->table;
  m->checkAttribution(o, "ig");
  torch::Tensor x;
  if (point >= 0) {
    x = m->imageOf(point, "ig");
  } else {
    if (int64_t(z.size()) != t.d)
      throw InputError("[ig] a latent of " + std::to_string(z.size()) +
                       " values, the model has d=" + std::to_string(t.d));
    if (!b.decoder)
      throw BundleError("[ig] an edited point's image is its decode, and the bundle has no decoder (" + b.dir + ")");
    torch::NoGradGuard ng;
    std::vector<float> zc = z;
    x = b.decode(torch::from_blob(zc.data(), {1, t.d}, torch::kFloat32).clone())[0].clamp(0, 1).cpu();
  }
  if (o.baseline == IgBaseline::Mean && !m->trainMean.defined())
    m->trainMean = m->data.train.images.to(torch::kFloat).mean(0);
  AttributionResult r = explainIg(b, o, x, m->trainMean, cancel);
  if (pathLatents) *pathLatents = encodeNodes(b, r);
  return r;
}

AttributionResult Explorer::pathAttribution(const AttributionOptions& o, int64_t point, const std::vector<float>& zPath,
                                            std::vector<float>* pathLatents, const std::atomic<bool>* cancel) const {
  std::lock_guard<std::mutex> lock(m->clueMutex);
  const Bundle& b = m->bundle;
  const PointTable& t = *m->table;
  m->checkAttribution(o, "latent-ig");
  if (!b.decoder)
    throw BundleError("[latent-ig] a latent path is decoded, and the bundle has no decoder (" + b.dir + ")");
  if (zPath.empty() || zPath.size() % size_t(t.d) != 0)
    throw InputError("[latent-ig] the path must hold whole latents of d=" + std::to_string(t.d));
  const int64_t K1 = int64_t(zPath.size()) / t.d;
  std::vector<float> zc = zPath;
  const torch::Tensor path = torch::from_blob(zc.data(), {K1, t.d}, torch::kFloat32).clone();
  torch::Tensor x;
  if (point >= 0) {
    x = m->imageOf(point, "latent-ig");
  } else {
    torch::NoGradGuard ng;
    x = b.decode(path.slice(0, K1 - 1, K1).to(b.device))[0].cpu();
  }
  const BllHead head = b.head(o.head == HeadKind::Laplace ? HeadMode::Samples : HeadMode::Deterministic);
  AttributionResult r = explainLatentPath(b, o, attributionFunction(b, head, o.target), path, x, cancel);
  r.target = attributionTargetName(o.target);
  r.head = headKindName(o.head);
  if (pathLatents) *pathLatents = encodeNodes(b, r);
  return r;
}

ExampleScores Explorer::examples(const ExampleOptions& o, int64_t point, const std::vector<float>& z,
                                 const ProgressFn& progress, const std::atomic<bool>* cancel) const {
  const PointTable& t = *m->table;
  const char* where = exampleMethodName(o.method);
  if (!t.hasTrain() || m->data.train.size() != t.numTrain())
    throw InputError(std::string("[") + where +
                     "] the training points are not loaded; show them first (they are what is scored)");
  if (point >= t.n)
    throw InputError(std::string("[") + where + "] point " + std::to_string(point) + " is not one of the " +
                     std::to_string(t.n));
  if (point < 0 && int64_t(z.size()) != t.d)
    throw InputError(std::string("[") + where + "] the latent has " + std::to_string(z.size()) + " values; d is " +
                     std::to_string(t.d));
  const torch::Tensor Z = m->latents.slice(0, t.numTest, t.numData());
  torch::Tensor zt, x;
  int64_t y = 0;
  if (point >= 0) {
    zt = m->latents[point];
    if (o.method == ExampleMethod::Tracin) {
      x = m->imageOf(point, where);
      y = t.labels[size_t(point)];
      if (y < 0) {  // an added image has no true class: its predicted one, as for an edited point
        torch::NoGradGuard ng;
        y = (m->lap ? *m->lap : *m->det).predict(zt.unsqueeze(0).to(m->bundle.device)).probs.argmax(1).item<int64_t>();
      }
    }
  } else {
    zt = torch::tensor(z, torch::kFloat);
    if (o.method == ExampleMethod::Tracin) {
      torch::NoGradGuard ng;
      const torch::Tensor zd = zt.unsqueeze(0).to(m->bundle.device);
      x = m->bundle.decode(zd)[0].to(torch::kCPU, torch::kFloat);
      y = m->det ? (m->lap ? *m->lap : *m->det).predict(zd).probs.argmax(1).item<int64_t>() : 0;  // label-free: unused
    }
  }
  return exampleScores(m->bundle, o, zt, Z, x, y, m->data.train, progress, cancel,
                       /*keep=*/64);  // the panel shows <= 16
}

}  // namespace latentlab
