// The attribution benchmarks of `latentlab bench`: integrated gradients with 64 steps on one image
// of the shipped CNN (the target: 20 ms on the 2-core CPU; a Python PyTorch loop took 39 ms).
#include <torch/torch.h>
#include <map>

#include <algorithm>
#include <functional>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/bench/bench.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/stats.h"
#include "pipeline/pipeline_common.h"

using nlohmann::json;

namespace latentlab::detail {

void benchAttribution(const BenchOptions& opt, json& results) {
  if (opt.bundle.empty()) throw InputError("[bench] ig64_ms needs a bundle (--bundle)");
  const Bundle b = loadBundle(opt.bundle, parseDevice(opt.device), BundleParts{false, false});
  const Dataset test = loadManifestDataset(b.manifest).test;
  AttributionOptions o;  // total U through the Laplace bank, black baseline, 64 midpoint steps
  o.adaptive = false;
  if (!b.laplace) o.head = HeadKind::Deterministic;
  const torch::Tensor x = test.images[0];
  const int reps = opt.repeats > 0 ? opt.repeats : 50;
  std::vector<double> ms;
  double residual = 0;
  for (int i = 0; i < reps + 5; ++i) {
    const auto t = Clock::now();
    const AttributionResult r = explainIg(b, o, x, {}, nullptr);
    if (i >= 5) ms.push_back(secondsSince(t) * 1e3);
    residual = r.residual;
  }
  results["ig64_ms"] = summaryStats(ms, "ms");
  results["ig64_ms"]["note"] = "IG of total U (" + std::string(headKindName(o.head)) +
                               " head), black baseline, 64 midpoint "
                               "steps, test image 0 of " +
                               opt.bundle + " on " + opt.device +
                               ", gradients of every node kept for the scrubber; completeness residual " +
                               std::to_string(residual);
}

// IG with its default, adaptive steps (32 doubling to a residual of 1% or 1,024): the time per
// test image over the first 100 (or --repeats) test images, the steps each took, and the largest
// residual it ended with.
void benchAdaptiveIg(const BenchOptions& opt, json& results) {
  if (opt.bundle.empty()) throw InputError("[bench] ig_auto_ms needs a bundle (--bundle)");
  const Bundle b = loadBundle(opt.bundle, parseDevice(opt.device), BundleParts{false, false});
  const Dataset test = loadManifestDataset(b.manifest).test;
  AttributionOptions o;  // total U through the Laplace bank, black baseline, adaptive midpoint steps
  if (!b.laplace) o.head = HeadKind::Deterministic;
  const int64_t n = std::min<int64_t>(test.size(), opt.repeats > 0 ? opt.repeats : 100);
  std::vector<double> ms;
  std::map<int, int> steps;
  double worst = 0;
  int64_t met = 0;
  explainIg(b, o, test.images[0], {}, nullptr);  // warm-up
  for (int64_t i = 0; i < n; ++i) {
    const auto t = Clock::now();
    const AttributionResult r = explainIg(b, o, test.images[i], {}, nullptr);
    ms.push_back(secondsSince(t) * 1e3);
    ++steps[r.steps()];
    worst = std::max(worst, r.residual);
    met += r.toleranceMet() ? 1 : 0;
  }
  json hist = json::object();
  for (const auto& [m, c] : steps) hist[std::to_string(m)] = c;
  results["ig_auto_ms"] = summaryStats(ms, "ms");
  results["ig_auto_ms"]["steps_used"] = hist;
  results["ig_auto_ms"]["max_residual"] = worst;
  results["ig_auto_ms"]["tolerance_met"] = met;
  results["ig_auto_ms"]["points"] = n;
  results["ig_auto_ms"]["note"] = "IG of total U (" + std::string(headKindName(o.head)) +
                                  " head), black baseline, adaptive midpoint steps (32 doubling to a residual of 1% "
                                  "or 1024), the first " +
                                  std::to_string(n) + " test images of " + opt.bundle + " on " + opt.device;
}

// Crabbé and van der Schaar's label-free explanations: IG of <phi(x), phi(.)> with 64 steps, DKNN over every
// training latent and SimplEx over a 1,000-point corpus, for test image 0 (the targets: 20,
// 5 and 50 ms on the 2-core CPU).
void benchLabelFree(const BenchOptions& opt, const std::function<bool(const std::string&)>& want, json& results) {
  if (opt.bundle.empty()) throw InputError("[bench] the label-free benchmarks need a bundle (--bundle)");
  const Bundle b = loadBundle(opt.bundle, parseDevice(opt.device), BundleParts{false, false, false});
  const DatasetSplit data = loadManifestDataset(b.manifest);
  const torch::Tensor x = data.test.images[0];
  const int reps = opt.repeats > 0 ? opt.repeats : 50;
  auto timeIt = [&](const std::function<void()>& f) {
    std::vector<double> ms;
    for (int i = 0; i < reps + 5; ++i) {
      const auto t = Clock::now();
      f();
      if (i >= 5) ms.push_back(secondsSince(t) * 1e3);
    }
    return ms;
  };
  if (want("labelfree_ig64_ms")) {
    AttributionOptions o;
    o.target.kind = AttributionTargetKind::LabelFree;
    o.adaptive = false;
    double residual = 0;
    results["labelfree_ig64_ms"] =
        summaryStats(timeIt([&] { residual = explainIg(b, o, x, {}, nullptr).residual; }), "ms");
    results["labelfree_ig64_ms"]["note"] =
        "label-free IG of <phi(x), phi(.)>, black baseline, 64 midpoint steps, test image 0 of " + opt.bundle + " on " +
        opt.device + "; completeness residual " + std::to_string(residual);
  }
  if (!want("dknn_ms") && !want("simplex_ms")) return;
  torch::Tensor Z = bundleLatents(b, data.train, "latents_train.pt", {}, nullptr).to(b.device);
  torch::Tensor z;
  {
    torch::NoGradGuard ng;
    z = b.encode(x.unsqueeze(0).to(b.device))[0];
  }
  if (want("dknn_ms")) {
    int64_t top = -1;
    results["dknn_ms"] =
        summaryStats(timeIt([&] { top = rankScores(dknnScores(Z, z), {}, "dknn", 64).index[0]; }), "ms");
    std::vector<double> full = timeIt([&] { rankScores(dknnScores(Z, z), {}, "dknn"); });
    std::sort(full.begin(), full.end());
    results["dknn_ms"]["note"] = "DKNN of test image 0: the scores of all " + std::to_string(Z.size(0)) +
                                 " training latents (d = " + std::to_string(Z.size(1)) +
                                 ") and their best and worst 64 (what the Examples tab shows), on " + opt.device +
                                 "; nearest training image " + std::to_string(top) +
                                 "; with the full ranking (explain's examples.csv) the median is " +
                                 std::to_string(full[full.size() / 2]) + " ms";
  }
  if (want("simplex_ms")) {
    ExampleOptions eo;  // the defaults: a 1,000-point corpus, 1,000 Adam steps
    const std::vector<int64_t> corpus = simplexCorpus(Z.size(0), eo.corpus, eo.seed);
    const torch::Tensor C = Z.index_select(0, torch::tensor(corpus, torch::kInt64).to(Z.device()));
    double residual = 0;
    results["simplex_ms"] = summaryStats(timeIt([&] { simplexWeights(C, z, eo.steps, eo.lr, &residual); }), "ms");
    results["simplex_ms"]["note"] = "SimplEx of test image 0 over a corpus of " + std::to_string(C.size(0)) +
                                    " training latents, " + std::to_string(eo.steps) + " Adam steps (lr " +
                                    std::to_string(eo.lr) + "); relative residual " + std::to_string(residual);
  }
}

}  // namespace latentlab::detail
