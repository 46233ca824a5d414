// The counterfactual benchmarks of `latentlab bench`: latent CLUE and VAE-CLUE for 200 steps on one
// point (the efficiency claim of the thesis proposal, 2024), and latent CLUE batched over 500 points.
#include <torch/torch.h>

#include <functional>

#include "clue/clue_internal.h"
#include "latentlab/bench/bench.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/stats.h"
#include "pipeline/pipeline_common.h"

using nlohmann::json;

namespace latentlab::detail {

void benchCounterfactuals(const BenchOptions& opt, const std::function<bool(const std::string&)>& want, json& results) {
  if (opt.bundle.empty()) throw InputError("[bench] the counterfactual benchmarks need a bundle (--bundle)");
  const Bundle b = loadBundle(opt.bundle, parseDevice(opt.device), BundleParts{true, false});
  const Dataset test = loadManifestDataset(b.manifest).test;
  const torch::Tensor z = bundleLatents(b, test, "latents_test.pt", {}, nullptr);
  ClueOptions o;
  o.steps = 200;
  o.patience = 1000000;  // exactly 200 steps: no early stop
  const ClueContext ctx = makeClueContext(b, o, z);
  // The most uncertain test points under the Laplace head.
  torch::Tensor order;
  {
    torch::NoGradGuard ng;
    order = ctx.head.predict(z.to(b.device)).total.cpu().argsort(0, true);
  }
  const int64_t first = order[0].item<int64_t>();
  const torch::Tensor x1 = test.images.slice(0, first, first + 1).to(b.device), z1 = z.slice(0, first, first + 1);
  const std::string where = " steps on the most uncertain test point, S=" +
                            std::to_string(ctx.head.linearBank().defined() ? ctx.head.linearBank().size(0) : 0) +
                            ", d=" + std::to_string(b.latentDim()) + ", " + opt.bundle + " on " + opt.device;
  double latentMedian = 0;
  if (want("latent_clue_200_ms") || want("vae_clue_200_ms")) {
    const int reps = opt.repeats > 0 ? opt.repeats : 200;
    std::vector<double> ms;
    for (int i = 0; i < reps + 10; ++i) {
      std::vector<ClueResult> out(1);
      const auto t = Clock::now();
      latentClue(ctx, o, z1, x1, out, nullptr, {});
      if (i >= 10) ms.push_back(secondsSince(t) * 1e3);
    }
    results["latent_clue_200_ms"] = summaryStats(ms, "ms");
    latentMedian = results["latent_clue_200_ms"]["median"].get<double>();
    results["latent_clue_200_ms"]["note"] = "Adam on z with U through the fixed bank, 200" + where + " (engine auto)";
  }
  if (want("vae_clue_200_ms")) {
    if (!b.vae) throw BundleError("[bench] vae_clue_200_ms needs a bundle with a VAE (" + opt.bundle + ")");
    ClueOptions v = o;
    v.method = ClueMethod::VaeClue;
    const int reps = opt.repeats > 0 ? std::min(opt.repeats, 20) : 10;
    std::vector<double> ms;
    for (int i = 0; i < reps + 1; ++i) {
      std::vector<ClueResult> out(1);
      const auto t = Clock::now();
      vaeClue(ctx, v, x1, out, nullptr, {});
      if (i >= 1) ms.push_back(secondsSince(t) * 1e3);
    }
    results["vae_clue_200_ms"] = summaryStats(ms, "ms");
    const double ratio = latentMedian > 0 ? results["vae_clue_200_ms"]["median"].get<double>() / latentMedian : 0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", ratio);
    results["vae_clue_200_ms"]["note"] =
        "VAE decode + classifier per step, 200" + where + "; " + buf + "x the latent CLUE median";
  }
  if (want("latent_clue_batch_points_per_s")) {
    ClueOptions batch;  // the defaults, early stop included, as `explain` runs them
    const torch::Tensor idx = order.slice(0, 0, 500);
    const torch::Tensor x = test.images.index_select(0, idx), zb = z.index_select(0, idx);
    const int reps = opt.repeats > 0 ? std::min(opt.repeats, 5) : 3;
    std::vector<double> pps;
    for (int i = 0; i < reps; ++i) {
      const auto t = Clock::now();
      (void)explainPoints(ctx, batch, x, zb, nullptr);
      pps.push_back(double(idx.size(0)) / secondsSince(t));
    }
    results["latent_clue_batch_points_per_s"] = summaryStats(pps, "pts/s");
    results["latent_clue_batch_points_per_s"]["note"] =
        "latent CLUE (defaults, early stop) with round trip and frames on the 500 most uncertain test points, " +
        opt.bundle + " on " + opt.device;
  }
}

}  // namespace latentlab::detail
