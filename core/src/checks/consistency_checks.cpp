// Pixel flipping, similarity rates, balanced draws and Pearson's r (checks_torch.h).
#include "latentlab/checks/checks_torch.h"

#include <torch/torch.h>

#include <cmath>

#include "latentlab/util/errors.h"

namespace latentlab {

std::vector<double> pixelFlipShifts(const ImageEncoderFn& encode, const torch::Tensor& images,
                                    const torch::Tensor& scores, const std::vector<double>& fractions,
                                    std::vector<double>* sem, const std::atomic<bool>* cancel) {
  torch::NoGradGuard ng;
  if (images.dim() != 4 || scores.size(0) != images.size(0) ||
      (scores[0].numel() != images[0].numel() && scores[0].numel() != images.size(2) * images.size(3)))
    throw InputError("[checks] the scores must be one map per image, of the images' size");
  const int64_t n = images.size(0), C = images.size(1), P = images.size(2) * images.size(3);
  const torch::Tensor x = images.to(torch::kFloat);
  const torch::Tensor z0 = encode(x);
  // A pixel's score is the sum over its channels (as the maps are shown); a flipped pixel is set to
  // 0 in every channel. Ranks within each image, highest first (a stable sort: ties by position).
  torch::Tensor perPixel = scores.to(x.device(), torch::kFloat).reshape({n, -1});
  if (perPixel.size(1) != P) perPixel = perPixel.view({n, C, P}).sum(1);
  const torch::Tensor order = std::get<1>(perPixel.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
  std::vector<double> out;
  if (sem) sem->clear();
  for (double f : fractions) {
    checkCancel(cancel, "checks");
    if (!(f >= 0 && f <= 1))
      throw InputError("[checks] a fraction of pixels must be in 0..1, got " + std::to_string(f));
    const int64_t m = std::min<int64_t>(P, int64_t(std::ceil(f * double(P) - 1e-9)));
    torch::Tensor mask = torch::ones({n, P}, x.options());
    if (m > 0) mask.scatter_(1, order.slice(1, 0, m), 0.0);
    const torch::Tensor masked = x * mask.view({n, 1, x.size(2), x.size(3)});
    const torch::Tensor shift = (encode(masked) - z0).pow(2).sum(1).to(torch::kCPU, torch::kDouble);
    out.push_back(shift.mean().item<double>());
    if (sem) sem->push_back(n > 1 ? shift.std().item<double>() / std::sqrt(double(n)) : 0.0);
  }
  return out;
}

void similarityRates(const torch::Tensor& scores, const torch::Tensor& testLabels, const torch::Tensor& corpusLabels,
                     const std::vector<double>& fractions, std::vector<double>& top, std::vector<double>& bottom) {
  if (scores.dim() != 2 || scores.size(0) != testLabels.size(0) || scores.size(1) != corpusLabels.size(0))
    throw InputError("[checks] the example scores must be [test points, corpus points]");
  const int64_t nc = scores.size(1);
  const torch::Tensor order =
      std::get<1>(scores.to(torch::kCPU, torch::kFloat).sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
  const torch::Tensor same =
      corpusLabels.to(torch::kCPU).index({order}) == testLabels.to(torch::kCPU).unsqueeze(1);  // [nT, nc]
  const torch::Tensor sameD = same.to(torch::kDouble);
  top.clear();
  bottom.clear();
  for (double f : fractions) {
    const int64_t k = std::max<int64_t>(1, std::min<int64_t>(nc, int64_t(std::ceil(f * double(nc) - 1e-9))));
    top.push_back(sameD.slice(1, 0, k).mean(1).mean().item<double>());
    bottom.push_back(sameD.slice(1, nc - k, nc).mean(1).mean().item<double>());
  }
}

std::vector<int64_t> balancedIndices(const torch::Tensor& labels, int64_t numClasses, int64_t perClass, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor perm = torch::randperm(labels.size(0), gen, torch::kInt64);
  const torch::Tensor l = labels.to(torch::kCPU, torch::kInt64).index({perm});
  std::vector<int64_t> out;
  for (int64_t k = 0; k < numClasses; ++k) {
    const torch::Tensor idx = perm.index({l == k});
    if (idx.size(0) < perClass)
      throw InputError("[checks] class " + std::to_string(k) + " has " + std::to_string(idx.size(0)) +
                       " images; the balanced draw needs " + std::to_string(perClass));
    const torch::Tensor pick = idx.slice(0, 0, perClass);
    out.insert(out.end(), pick.data_ptr<int64_t>(), pick.data_ptr<int64_t>() + perClass);
  }
  return out;
}

double pearson(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.flatten().to(torch::kCPU, torch::kDouble), y = b.flatten().to(torch::kCPU, torch::kDouble);
  if (x.numel() != y.numel() || x.numel() < 2)
    throw InputError("[checks] Pearson's r needs two vectors of one length >= 2");
  const torch::Tensor dx = x - x.mean(), dy = y - y.mean();
  const double den = std::sqrt(dx.pow(2).sum().item<double>() * dy.pow(2).sum().item<double>());
  return den > 0 ? (dx * dy).sum().item<double>() / den : 0.0;
}

}  // namespace latentlab
