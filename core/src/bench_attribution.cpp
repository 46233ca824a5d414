// The attribution benchmarks of `latentlab bench`: integrated gradients with 64 steps on one image
// of the shipped CNN (the target: 20 ms on the 2-core CPU; a Python PyTorch loop took 39 ms).
#include <torch/torch.h>

#include <functional>

#include "latentlab/bench.h"
#include "latentlab/bundle.h"
#include "latentlab/data.h"
#include "latentlab/errors.h"
#include "latentlab/integrated_gradients.h"
#include "latentlab/models.h"
#include "latentlab/stats.h"
#include "pipeline_common.h"

using nlohmann::json;

namespace latentlab::detail {

void benchAttribution(const BenchOptions& opt, json& results) {
  if (opt.bundle.empty()) throw InputError("[bench] ig64_ms needs a bundle (--bundle)");
  const Bundle b = loadBundle(opt.bundle, parseDevice(opt.device), BundleParts{false, false});
  const Dataset test = loadNamedDataset(b.manifest.dataset, b.manifest.splitSeed).test;
  IgOptions o;  // total U through the Laplace bank, black baseline, 64 midpoint steps
  if (!b.laplace) o.head = CfHead::Deterministic;
  const torch::Tensor x = test.images[0];
  const int reps = opt.repeats > 0 ? opt.repeats : 50;
  std::vector<double> ms;
  double residual = 0;
  for (int i = 0; i < reps + 5; ++i) {
    const auto t = Clock::now();
    const IgResult r = explainIg(b, o, x, {}, nullptr);
    if (i >= 5) ms.push_back(secondsSince(t) * 1e3);
    residual = r.residual;
  }
  results["ig64_ms"] = summaryStats(ms, "ms");
  results["ig64_ms"]["note"] = "IG of total U (" + std::string(cfHeadName(o.head)) + " head), black baseline, 64 midpoint "
                               "steps, test image 0 of " + opt.bundle + " on " + opt.device +
                               ", gradients of every node kept for the scrubber; completeness residual " +
                               std::to_string(residual);
}

}  // namespace latentlab::detail
