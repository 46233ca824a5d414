#pragma once
// The Explorer's insides (explorer.h), shared by explorer.cpp (loading, the points, evaluations,
// the model report) and explorer_explain.cpp (the explanations of a point: counterfactuals,
// attributions, training examples). Core only.
#include <torch/torch.h>

#include <chrono>
#include <mutex>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/clue/clue_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace explorer_detail {

using Clock = std::chrono::steady_clock;

template <class T>
std::vector<T> toVector(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().cpu();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

// Appends the thumbnails of `images` [m, C, H, W] in [0, 1] to t.pixels (PointTable's layout),
// setting thumbC/H/W: a plain loop, as LibTorch 1.13's elementwise chain took 0.35 s for 10k here.
void appendThumbnails(PointTable& t, const torch::Tensor& images);
// Keeps the first `rows` rows of every per-point column (and no extra rows when rows <= numData()).
void truncateRows(PointTable& t, int64_t rows);

}  // namespace explorer_detail

using explorer_detail::appendThumbnails;
using explorer_detail::Clock;
using explorer_detail::toVector;

struct Explorer::Impl {
  Bundle bundle;
  DatasetSplit data;
  std::optional<BllHead> lap;
  std::optional<BllHead> det;
  std::shared_ptr<const PointTable> table;
  std::mutex clueMutex;  // the lazily loaded parts of counterfactuals
  std::optional<Prototypes> prototypes;
  std::optional<QualityReference> quality;  // CARLA's measures: the training latents, built at the first run
  bool qualityTried = false;                // ... or found missing (no training split): not tried again
  torch::Tensor trainMean;                  // [C, H, W] on the device: IG's mean baseline (made on first use)
  torch::Tensor latents;                    // [n, d] CPU, the table's latents (for nearest-neighbour queries)
  torch::Tensor extraImages;                // [numExtra, C, H, W] CPU: the added points' images, as the model sees them

  // An attribution's options against this model (InputError / BundleError naming `where`).
  void checkAttribution(const AttributionOptions& o, const char* where) const {
    checkAttributionOptions(o, table->K, where);
    if (o.target.needsHead()) requireClassifier(where);
    if (o.target.needsHead() && o.head == HeadKind::Laplace && !lap)
      throw BundleError(std::string("[") + where + "] the laplace head needs a posterior, and the bundle has none (" +
                        bundle.dir + ")");
  }

  // BundleError for what needs a classifier head, on a label-free bundle.
  void requireClassifier(const char* where) const {
    if (!det)
      throw BundleError(std::string("[") + where + "] this bundle's encoder was trained without labels (" +
                        bundle.objective +
                        "): it has no classifier, so no prediction or uncertainty to explain; the label-free target "
                        "works (target=labelfree) (" +
                        bundle.dir + ")");
  }

  void checkDvae(const char* where) const {
    if (!bundle.dvae && !bundle.dvaeProblem.empty())
      throw BundleError(std::string("[") + where + "] " + bundle.dvaeProblem);
    if (!bundle.dvae)
      throw BundleError(std::string("[") + where + "] this bundle has no DVAE; add one with `latentlab train-dvae " +
                        bundle.dir + "`");
  }
  // Throws ModelLoadError naming the file unless `code` is [rows, n] of 0 and 1 (bits() on real data).
  void checkCode(const torch::Tensor& code) const {
    if (code.dim() != 2 || code.size(1) != bundle.dvaeBits ||
        !torch::logical_or(code == 0, code == 1).all().item<bool>())
      throw ModelLoadError("[dvae] bits() gives other than " + std::to_string(bundle.dvaeBits) + " bits of 0 or 1 (" +
                           bundle.componentPath("dvae") + ")");
  }
  // A code from the UI as a [1, n] float tensor on the device; InputError naming `where`.
  torch::Tensor codeTensor(const std::vector<uint8_t>& bits, const char* where) const {
    checkDvae(where);
    if (int64_t(bits.size()) != bundle.dvaeBits)
      throw InputError(std::string("[") + where + "] a code of " + std::to_string(bits.size()) +
                       " bits; the DVAE has " + std::to_string(bundle.dvaeBits));
    std::vector<float> f(bits.size());
    for (size_t i = 0; i < bits.size(); ++i) {
      if (bits[i] > 1)
        throw InputError(std::string("[") + where + "] bit " + std::to_string(i) + " is " + std::to_string(bits[i]) +
                         ", not 0 or 1");
      f[i] = float(bits[i]);
    }
    return torch::tensor(f).reshape({1, int64_t(f.size())}).to(bundle.device);
  }
  torch::Tensor decodeCodes(const torch::Tensor& codes) const {
    torch::Tensor z;
    try {
      z = callTensor(*bundle.dvae, "decode", codes);
    } catch (const std::exception& e) {
      throw ModelLoadError("[dvae] decode failed: " + torchErrorSummary(e) + " (" + bundle.componentPath("dvae") + ")");
    }
    if (z.dim() != 2 || z.size(0) != codes.size(0) || z.size(1) != table->d)
      throw ModelLoadError("[dvae] decode gives other than one latent of d=" + std::to_string(table->d) +
                           " per code (" + bundle.componentPath("dvae") + ")");
    if (!torch::isfinite(z).all().item<bool>())
      throw ModelLoadError("[dvae] the DVAE decodes this code to non-finite values (" + bundle.componentPath("dvae") +
                           ")");
    return z;
  }
  // The concepts part of an evaluation of z [1, d] (explorer.h, LatentEval::bits).
  void concepts(LatentEval& r, const torch::Tensor& z, const std::vector<uint8_t>& asked) const {
    const auto t0 = Clock::now();
    torch::Tensor code = asked.empty() ? callTensor(*bundle.dvae, "bits", z) : codeTensor(asked, "flip");
    checkCode(code);
    const int64_t n = code.size(1);
    // Row 0: the code itself; row 1 + i: bit i flipped.
    torch::Tensor codes = code.repeat({n + 1, 1});
    codes.slice(0, 1).sub_(torch::eye(n, codes.options())).abs_();
    torch::Tensor zs = decodeCodes(codes);
    const Predictive p = (lap ? *lap : *det).predict(zs);
    r.bits = toVector<uint8_t>(code.to(torch::kCPU, torch::kUInt8));
    r.codeProbs = toVector<float>(p.probs[0].to(torch::kCPU, torch::kFloat32));
    r.flipLatents = toVector<float>(zs.slice(0, 1).to(torch::kCPU, torch::kFloat32));
    r.flipProbs = toVector<float>(p.probs.slice(0, 1).to(torch::kCPU, torch::kFloat32));
    r.flipTotal = toVector<float>(p.total.slice(0, 1).to(torch::kCPU, torch::kFloat32));
    for (int64_t v : toVector<int64_t>(p.probs.slice(0, 1).argmax(1).cpu())) r.flipPred.push_back(int(v));
    if (bundle.decoder) {
      const torch::Tensor imgs = bundle.decode(zs.slice(0, 1));
      r.flipImages = toVector<float>(imgs.to(torch::kCPU, torch::kFloat32));
      const Predictive q = (lap ? *lap : *det).predict(bundle.encode(imgs));
      const auto [best, cls] = q.probs.max(1);
      r.flipProbRound = toVector<float>(best.to(torch::kCPU, torch::kFloat32));
      r.flipTotalRound = toVector<float>(q.total.to(torch::kCPU, torch::kFloat32));
      for (int64_t v : toVector<int64_t>(cls.cpu())) r.flipPredRound.push_back(int(v));
    }
    for (float v : r.flipProbs)
      if (!std::isfinite(v))
        throw ModelLoadError("[explorer] non-finite probabilities at a flipped code (" + bundle.dir + ")");
    r.conceptsMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }

  // The neighbours and the live saliency of an evaluation (explorer.h, LatentEval).
  void finishEval(LatentEval& r, const torch::Tensor& z, int neighbours, const SaliencyRequest* saliency) const {
    const PointTable& t = *table;
    if (neighbours > 0) {
      torch::Tensor dist = (latents - z.cpu()).pow(2).sum(1);
      const int64_t k = std::min<int64_t>(neighbours, dist.size(0));
      r.neighbours = toVector<int64_t>(std::get<1>(dist.topk(k, 0, /*largest=*/false)));
    }
    if (!saliency || r.image.empty()) return;
    const auto s0 = Clock::now();
    AttributionOptions o = saliency->options;
    o.path = AttributionPath::Straight;
    AttributionOptions checked = o;
    checked.steps = std::max(1, o.steps);  // 0 (the plain gradient) is valid here
    checkAttributionOptions(checked, t.K, "saliency");
    const torch::Tensor x =
        torch::from_blob(r.image.data(), {t.C, t.H, t.W}, torch::kFloat32).clone().to(bundle.device);
    ImageScalarFn F;
    if (!o.target.needsHead()) {  // label-free: <phi(g(z)), phi(.)>
      F = labelFreeFunction(bundle, bundle.encode(x.unsqueeze(0))[0]);
    } else {
      if (!det)
        throw BundleError(
            "[saliency] this bundle's encoder was trained without labels: only the label-free target has a map");
      F = attributionFunction(bundle, o.head == HeadKind::Laplace && lap ? *lap : *det, o.target);
    }
    r.saliency = o.steps <= 0
                     ? inputGradient(F, x)
                     : integratedGradients(F, x, torch::zeros_like(x), o.steps, Quadrature::Midpoint).attribution;
    r.saliencyMs = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
  }

  // Point i's image [C, H, W] (test points first, then training points); InputError naming `where`.
  torch::Tensor imageOf(int64_t i, const char* where) const {
    const PointTable& t = *table;
    if (i < 0 || i >= t.n)
      throw InputError(std::string("[") + where + "] point " + std::to_string(i) + " is not one of the " +
                       std::to_string(t.n));
    if (t.isExtra(i)) return extraImages[i - t.numData()];
    const bool train = i >= t.numTest;
    return (train ? data.train : data.test).images[train ? i - t.numTest : i];
  }

  // Appends extra rows (PointTable::numExtra): latents z [m, d], images [m, C, H, W] (kept for
  // imageOf), and their kind, name, path, fingerprint and layer from `from`'s extra rows
  // [first, first + m) of those columns (or the given columns when `from` is null).
  void appendExtraRows(PointTable& t, const torch::Tensor& z, const torch::Tensor& images,
                       const PointTable::ExtraColumns& cols) {
    Dataset ds;
    ds.images = images;
    ds.labels = torch::full({images.size(0)}, -1, torch::kInt64);
    const int64_t before = t.numExtra;
    appendPoints(t, z, ds, false);
    for (int64_t k = 0; k < images.size(0); ++k) t.splitIndex[size_t(t.n - images.size(0) + k)] = before + k;
    t.numExtra += images.size(0);
    auto add = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
    add(t.extraKind, cols.kind);
    add(t.extraName, cols.name);
    add(t.extraPath, cols.path);
    add(t.extraHash, cols.hash);
    add(t.extraLayer, cols.layer);
  }
  void appendExtraRows(PointTable& t, const torch::Tensor& z, const torch::Tensor& images, const PointTable& from) {
    appendExtraRows(
        t, z, images,
        PointTable::ExtraColumns{from.extraKind, from.extraName, from.extraPath, from.extraHash, from.extraLayer});
  }

  // Fills the per-point columns for rows [from, n) of `t` from latents z [m, d] and images.
  void appendPoints(PointTable& t, const torch::Tensor& z, const Dataset& ds, bool train) {
    torch::NoGradGuard ng;
    const int64_t m = z.size(0);
    std::vector<torch::Tensor> probs, tot, alea, epi, pdet;
    for (int64_t i = 0; i < m && !t.hasClassifier; i += 4096) {  // a label-free encoder: no prediction, no U
      const int64_t e = std::min(m, i + 4096);
      probs.push_back(torch::full({e - i, t.K}, 1.0 / double(t.K)));
      tot.push_back(torch::zeros({e - i}));
      alea.push_back(torch::zeros({e - i}));
      epi.push_back(torch::zeros({e - i}));
      pdet.push_back(torch::full({e - i}, -1, torch::kInt64));
    }
    for (int64_t i = 0; i < m && t.hasClassifier; i += 4096) {
      torch::Tensor zb = z.slice(0, i, std::min(m, i + 4096)).to(bundle.device);
      Predictive p;
      try {
        p = (lap ? *lap : *det).predict(zb);
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {  // a user's classify() that raises on real latents
        throw ModelLoadError("[explorer] the head failed on latents " + std::to_string(i) + "..: " +
                             torchErrorSummary(e) + " (" + bundle.componentPath(lap ? "laplace" : "classifier") + ")");
      }
      probs.push_back(p.probs.cpu());
      tot.push_back(p.total.cpu());
      alea.push_back(p.aleatoric.cpu());
      epi.push_back(p.epistemic.cpu());
      pdet.push_back(det->predict(zb).probs.argmax(1).cpu());
    }
    torch::Tensor P = torch::cat(probs).to(torch::kFloat32);
    requireFiniteRows(P, "explorer", "probabilities", train ? "training images" : "test images",
                      bundle.componentPath(lap ? "laplace" : "classifier"));
    auto append = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
    append(t.latents, toVector<float>(z.to(torch::kFloat32)));
    append(t.probs, toVector<float>(P));
    for (int64_t v : toVector<int64_t>(P.argmax(1))) t.preds.push_back(t.hasClassifier ? int(v) : -1);
    for (int64_t v : toVector<int64_t>(torch::cat(pdet))) t.predsDet.push_back(int(v));
    for (int64_t v : toVector<int64_t>(ds.labels)) t.labels.push_back(int(v));
    append(t.total, toVector<float>(torch::cat(tot).to(torch::kFloat32)));
    append(t.aleatoric, toVector<float>(torch::cat(alea).to(torch::kFloat32)));
    append(t.epistemic, toVector<float>(torch::cat(epi).to(torch::kFloat32)));
    appendThumbnails(t, ds.images);
    t.isTrain.insert(t.isTrain.end(), size_t(m), uint8_t(train ? 1 : 0));
    for (int64_t i = 0; i < m; ++i) t.splitIndex.push_back(i);
    t.n += m;
    torch::Tensor all = torch::from_blob(t.latents.data(), {t.n, t.d}, torch::kFloat32);
    t.zLo = toVector<float>(std::get<0>(all.min(0)));
    t.zHi = toVector<float>(std::get<0>(all.max(0)));
  }
};

}  // namespace latentlab
