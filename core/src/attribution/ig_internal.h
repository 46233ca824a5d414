#pragma once
// The gradient machinery shared by integrated gradients, saliency and GradientShap: one way to
// evaluate F and dF/dx along a set of inputs and to check completeness. Internal to core/src.
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab::ig_internal {

inline std::vector<float> floatsOf(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

inline void requireFinite(const torch::Tensor& t, const std::string& what) {
  if (!torch::isfinite(t).all().item<bool>()) throw ModelLoadError("[ig] " + what + " is not finite");
}

// F and dF/dx at each of the inputs nodes [N, C, H, W] (on F's device), `chunk` at a time: into
// f [N] and g [N * P] (row-major).
inline void gradientsAt(const ImageScalarFn& F, const torch::Tensor& nodes, int64_t chunk,
                        const std::atomic<bool>* cancel, std::vector<float>& f, std::vector<float>& g) {
  torch::AutoGradMode grad(true);
  const int64_t N = nodes.size(0), P = nodes[0].numel();
  f.resize(size_t(N));
  g.resize(size_t(N * P));
  for (int64_t s = 0; s < N; s += chunk) {
    checkCancel(cancel, "ig");
    const int64_t e = std::min(N, s + chunk);
    torch::Tensor xi = nodes.slice(0, s, e).detach().clone().requires_grad_(true);
    const torch::Tensor fv = F(xi);
    if (fv.dim() != 1 || fv.size(0) != e - s) throw InputError("[ig] the target must give one number per image");
    requireFinite(fv, "the target along the path");
    const torch::Tensor gv = torch::autograd::grad({fv.sum()}, {xi})[0];
    requireFinite(gv, "the target's gradient along the path");
    const std::vector<float> a = floatsOf(fv), b = floatsOf(gv);
    std::copy(a.begin(), a.end(), f.begin() + s);
    std::copy(b.begin(), b.end(), g.begin() + s * P);
  }
}

// F at the input and at the start, the sum and the completeness residual.
inline void finishResult(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& start,
                         AttributionResult& r) {
  torch::NoGradGuard ng;
  const torch::Tensor ends = F(torch::stack({x, start}));
  requireFinite(ends, "the target at the input or the baseline");
  const std::vector<float> fe = floatsOf(ends);
  r.fInput = fe[0];
  r.fBaseline = fe[1];
  double sum = 0;
  for (float v : r.attribution) sum += v;
  r.sumAttribution = sum;
  const double gap = r.fInput - r.fBaseline;
  r.residualAbsolute = std::abs(gap) < 1e-12;
  r.residual = r.residualAbsolute ? std::abs(sum) : std::abs(sum - gap) / std::abs(gap);
}

}  // namespace latentlab::ig_internal
