// SimplEx (Crabbé et al. 2021; Crabbé and van der Schaar 2022, eq. 6 and Algorithm 4): the convex combination of corpus
// latents that best reconstructs z, w = softmax(v), fitted with Adam on the exact gradient.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "latentlab/examples/examples_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

torch::Tensor simplexWeights(const torch::Tensor& Cin, const torch::Tensor& zin, int steps, double lr, double* residual,
                             const std::atomic<bool>* cancel) {
  torch::NoGradGuard ng;
  if (Cin.dim() != 2 || Cin.size(0) < 1 || zin.numel() != Cin.size(1))
    throw InputError("[simplex] the corpus must be [n >= 1, d] and the latent [d]");
  if (steps < 1) throw InputError("[simplex] steps must be at least 1");
  const torch::Tensor Ct = Cin.to(torch::kCPU, torch::kFloat).contiguous(),
                      zt = zin.to(torch::kCPU, torch::kFloat).contiguous();
  if (!torch::isfinite(Ct).all().item<bool>() || !torch::isfinite(zt).all().item<bool>())
    throw InputError("[simplex] the corpus or the latent holds a non-finite number");
  const int64_t n = Ct.size(0), d = Ct.size(1);
  const float* C = Ct.data_ptr<float>();
  const float* z = zt.data_ptr<float>();
  const size_t nn = static_cast<size_t>(n), dd = static_cast<size_t>(d);
  std::vector<double> v(nn, 0.0), m1(nn, 0.0), m2(nn, 0.0), w(nn, 0.0), gw(nn, 0.0);
  std::vector<float> r(dd, 0.0f);
  const double b1 = 0.9, b2 = 0.999, adamEps = 1e-8;
  double b1t = 1, b2t = 1;
  auto softmax = [&] {
    const double mx = *std::max_element(v.begin(), v.end());
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += w[size_t(i)] = std::exp(v[size_t(i)] - mx);
    for (double& x : w) x /= s;
  };
  // r = C^T w - z; returns |r|^2. (Raw pointers and 8 partial sums, so that the compiler
  // vectorises both loops: the plain float reduction may not be reordered at -O2.)
  float* __restrict rp = r.data();
  auto residualOf = [&] {
    std::fill(r.begin(), r.end(), 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      const float wi = float(w[size_t(i)]);
      const float* __restrict row = C + i * d;
      for (int64_t j = 0; j < d; ++j) rp[j] += wi * row[j];
    }
    double sq = 0;
    for (int64_t j = 0; j < d; ++j) {
      rp[j] -= z[j];
      sq += double(rp[j]) * rp[j];
    }
    return sq;
  };
  auto dotRow = [&](const float* __restrict row) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8)
      for (int l = 0; l < 8; ++l) acc[l] += row[j + l] * rp[j + l];
    float tail = 0;
    for (; j < d; ++j) tail += row[j] * rp[j];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
  };
  for (int t = 1; t <= steps; ++t) {
    if ((t & 63) == 0) checkCancel(cancel, "simplex");
    softmax();
    residualOf();
    // dL/dw_i = 2 <C_i, r>; dL/dv_i = w_i (dL/dw_i - sum_j w_j dL/dw_j).
    double mean = 0;
    for (int64_t i = 0; i < n; ++i) {
      gw[size_t(i)] = 2.0 * dotRow(C + i * d);
      mean += w[size_t(i)] * gw[size_t(i)];
    }
    b1t *= b1;
    b2t *= b2;
    for (int64_t i = 0; i < n; ++i) {
      const double g = w[size_t(i)] * (gw[size_t(i)] - mean);
      m1[size_t(i)] = b1 * m1[size_t(i)] + (1 - b1) * g;
      m2[size_t(i)] = b2 * m2[size_t(i)] + (1 - b2) * g * g;
      v[size_t(i)] -= lr * (m1[size_t(i)] / (1 - b1t)) / (std::sqrt(m2[size_t(i)] / (1 - b2t)) + adamEps);
    }
  }
  softmax();
  const double sq = residualOf();
  if (residual) {
    double zn = 0;
    for (int64_t j = 0; j < d; ++j) zn += double(z[j]) * z[j];
    *residual = std::sqrt(sq) / std::max(std::sqrt(zn), 1e-12);
  }
  std::vector<float> wf(w.begin(), w.end());
  return torch::tensor(wf, torch::kFloat);
}

}  // namespace latentlab
