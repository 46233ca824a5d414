// DKNN, the ranking of scores, and the dispatch of example importance (examples.h).
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "latentlab/data/data_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

torch::Tensor dknnScores(const torch::Tensor& Z, const torch::Tensor& z, int64_t* duplicates) {
  torch::NoGradGuard ng;
  if (Z.dim() != 2 || z.numel() != Z.size(1))
    throw InputError("[dknn] the training latents must be [N, d] and the latent [d], got " + std::to_string(Z.dim()) +
                     "-d and " + std::to_string(z.numel()) + " numbers");
  if (Z.size(0) == 0) throw InputError("[dknn] there are no training latents to score");
  const torch::Tensor Zf = Z.to(torch::kFloat), zf = z.to(Z.device(), torch::kFloat).flatten();
  const torch::Tensor d2 = (Zf - zf.unsqueeze(0)).pow(2).sum(1);
  const double eps2 = 1e-12 * std::max(d2.mean().item<double>(), 1e-30);  // (1e-6 x the RMS distance)^2
  if (duplicates) *duplicates = (d2 <= eps2).sum().item<int64_t>();
  return d2.clamp_min(eps2).rsqrt();
}

std::vector<int64_t> simplexCorpus(int64_t n, int64_t size, uint64_t seed) {
  std::vector<int64_t> out;
  if (size >= n) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor perm = torch::randperm(n, gen, torch::kInt64).slice(0, 0, size);
  out.assign(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + size);
  return out;
}

ExampleScores rankScores(const torch::Tensor& scores, const std::vector<int64_t>& positions, const std::string& method,
                         int64_t keep) {
  const torch::Tensor s = scores.detach().to(torch::kCPU, torch::kFloat).contiguous().flatten();
  if (!torch::isfinite(s).all().item<bool>()) throw ModelLoadError("[" + method + "] a score is not finite");
  torch::Tensor sorted, order;
  if (keep > 0 && 2 * keep < s.numel()) {
    const auto [tv, ti] = s.topk(keep, 0, /*largest=*/true, /*sorted=*/true);
    const auto [bv, bi] = s.topk(keep, 0, /*largest=*/false, /*sorted=*/true);
    sorted = torch::cat({tv, bv.flip(0)});
    order = torch::cat({ti, bi.flip(0)});
  } else {
    std::tie(sorted, order) = s.sort(0, /*descending=*/true);
  }
  ExampleScores r;
  r.method = method;
  r.scored = s.numel();
  const int64_t m = sorted.numel();
  sorted = sorted.contiguous();
  order = order.contiguous();
  r.score.assign(sorted.data_ptr<float>(), sorted.data_ptr<float>() + m);
  r.index.resize(size_t(m));
  const int64_t* o = order.data_ptr<int64_t>();
  for (int64_t i = 0; i < m; ++i) r.index[size_t(i)] = positions.empty() ? o[i] : positions.at(size_t(o[i]));
  return r;
}

ExampleScores exampleScores(const Bundle& b, const ExampleOptions& o, const torch::Tensor& z, const torch::Tensor& Z,
                            const torch::Tensor& x, int64_t y, const Dataset& train, const ProgressFn& progress,
                            const std::atomic<bool>* cancel, int64_t keep) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  checkExampleOptions(o, exampleMethodName(o.method));
  if (z.numel() != b.latentDim())
    throw InputError(std::string("[") + exampleMethodName(o.method) + "] the latent has " + std::to_string(z.numel()) +
                     " numbers; the encoder's d is " + std::to_string(b.latentDim()));
  ExampleScores r;
  if (o.method == ExampleMethod::Dknn) {
    int64_t dup = 0;
    r = rankScores(dknnScores(Z.to(b.device), z.to(b.device), &dup), {}, "dknn", keep);
    r.duplicates = dup;
  } else if (o.method == ExampleMethod::Simplex) {
    const std::vector<int64_t> corpus = simplexCorpus(Z.size(0), o.corpus, o.seed);
    const torch::Tensor idx = torch::tensor(corpus, torch::kInt64).to(Z.device());
    double residual = 0;
    const torch::Tensor w = simplexWeights(Z.index_select(0, idx), z, o.steps, o.lr, &residual, cancel);
    r = rankScores(w, corpus, "simplex", keep);
    r.residual = residual;
  } else {
    if (!x.defined() || x.dim() != 3) throw InputError("[tracin] needs the explained image [C, H, W]");
    if (!b.labelFree() && (y < 0 || y >= b.numClasses()))
      throw InputError("[tracin] the label " + std::to_string(y) + " is outside 0.." +
                       std::to_string(b.numClasses() - 1));
    std::vector<TracinCheckpoint> cps = loadCheckpoints(b);
    const int n = int(cps.size());
    r = rankScores(tracinScores(std::move(cps), objectiveLoss(b.objective), x, y, train.images, train.labels, b.device,
                                progress, cancel),
                   {}, "tracin", keep);
    r.checkpoints = n;
  }
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

}  // namespace latentlab
