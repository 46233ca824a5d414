// DKNN, the ranking of scores, and the dispatch of example importance (examples.h).
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "latentlab/bundle.h"
#include "latentlab/data.h"
#include "latentlab/errors.h"
#include "latentlab/example_importance.h"

namespace latentlab {

torch::Tensor dknnScores(const torch::Tensor& Z, const torch::Tensor& z, int64_t* duplicates) {
  torch::NoGradGuard ng;
  if (Z.dim() != 2 || z.numel() != Z.size(1))
    throw InputError("[dknn] the training latents must be [N, d] and the latent [d], got " + std::to_string(Z.dim()) +
                     "-d and " + std::to_string(z.numel()) + " numbers");
  if (Z.size(0) == 0) throw InputError("[dknn] there are no training latents to score");
  const torch::Tensor Zf = Z.to(torch::kFloat), zf = z.to(Z.device(), torch::kFloat).flatten();
  const torch::Tensor dist = (Zf - zf.unsqueeze(0)).pow(2).sum(1).sqrt();
  const double rms = std::sqrt(Zf.pow(2).sum(1).mean().item<double>());
  const double eps = 1e-6 * std::max(rms, 1e-12);
  if (duplicates) *duplicates = (dist <= eps).sum().item<int64_t>();
  return 1.0 / dist.clamp_min(eps);
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

ExampleScores rankScores(const torch::Tensor& scores, const std::vector<int64_t>& positions, const std::string& method) {
  const torch::Tensor s = scores.detach().to(torch::kCPU, torch::kFloat).contiguous().flatten();
  if (!torch::isfinite(s).all().item<bool>()) throw ModelLoadError("[" + method + "] a score is not finite");
  const auto [sorted, order] = s.sort(0, /*descending=*/true);
  ExampleScores r;
  r.method = method;
  r.scored = s.numel();
  r.score.assign(sorted.data_ptr<float>(), sorted.data_ptr<float>() + r.scored);
  r.index.resize(size_t(r.scored));
  const int64_t* o = order.data_ptr<int64_t>();
  for (int64_t i = 0; i < r.scored; ++i) r.index[size_t(i)] = positions.empty() ? o[i] : positions.at(size_t(o[i]));
  return r;
}

ExampleScores exampleScores(const Bundle& b, const ExampleOptions& o, const torch::Tensor& z, const torch::Tensor& Z,
                            const torch::Tensor& x, int64_t y, const Dataset& train, const ProgressFn& progress,
                            const std::atomic<bool>* cancel) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  checkExampleOptions(o, exampleMethodName(o.method));
  if (z.numel() != b.latentDim())
    throw InputError(std::string("[") + exampleMethodName(o.method) + "] the latent has " + std::to_string(z.numel()) +
                     " numbers; the encoder's d is " + std::to_string(b.latentDim()));
  ExampleScores r;
  if (o.method == ExampleMethod::Dknn) {
    int64_t dup = 0;
    r = rankScores(dknnScores(Z.to(b.device), z.to(b.device), &dup), {}, "dknn");
    r.duplicates = dup;
  } else if (o.method == ExampleMethod::Simplex) {
    const std::vector<int64_t> corpus = simplexCorpus(Z.size(0), o.corpus, o.seed);
    const torch::Tensor idx = torch::tensor(corpus, torch::kInt64).to(Z.device());
    double residual = 0;
    const torch::Tensor w = simplexWeights(Z.index_select(0, idx), z, o.steps, o.lr, &residual, cancel);
    r = rankScores(w, corpus, "simplex");
    r.residual = residual;
  } else {
    if (!x.defined() || x.dim() != 3) throw InputError("[tracin] needs the explained image [C, H, W]");
    if (!b.labelFree() && (y < 0 || y >= b.numClasses()))
      throw InputError("[tracin] the label " + std::to_string(y) + " is outside 0.." + std::to_string(b.numClasses() - 1));
    std::vector<TracinCheckpoint> cps = loadCheckpoints(b);
    const int n = int(cps.size());
    r = rankScores(tracinScores(std::move(cps), objectiveLoss(b.objective), x, y, train.images, train.labels, b.device, progress, cancel),
                   {}, "tracin");
    r.checkpoints = n;
  }
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

}  // namespace latentlab
