// The functional Fisher information (Gat et al. 2022) and its Table 2 cosine.
#include "latentlab/concepts/concepts_torch.h"

namespace latentlab {

torch::Tensor functionalFisher(const LatentFn& h, const torch::Tensor& phi, int samples, at::Generator& gen,
                               double delta) {
  const int64_t b = phi.size(0), d = phi.size(1);
  // Rows (anchor, sample, coordinate): phi with coordinate i replaced by t ~ N(phi_i, 1).
  torch::Tensor base = phi.unsqueeze(1).unsqueeze(1).expand({b, samples, d, d}).clone();  // [B, S, i, d]
  torch::Tensor eye = torch::eye(d, phi.options());
  torch::Tensor noise = torch::randn({b, samples, d}, gen, torch::kFloat32).to(phi.device());
  torch::Tensor u = base + (noise.unsqueeze(-1) * eye).to(phi.dtype());  // row i moves along e_i only
  torch::Tensor step = (delta * eye).expand({b, samples, d, d});
  torch::Tensor rows = torch::cat({u, u + step, u - step}, 0).reshape({-1, d});
  torch::Tensor out = h(rows).reshape({3, b, samples, d, -1});
  torch::Tensor h0 = out[0].clamp_min(1e-4), dh = (out[1] - out[2]) / (2 * delta);
  return (dh.pow(2) / h0).sum(-1).mean(std::vector<int64_t>{0, 1});  // [d]
}

double fisherCosine(const LatentFn& g, const torch::Tensor& phiPrime, const LatentFn& f, const torch::Tensor& phi,
                    int samples, uint64_t seed) {
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Tensor ig, iff;
  std::vector<torch::Tensor> gs, fs;
  for (int64_t i = 0; i < phi.size(0); i += 16) {
    const int64_t e = std::min(phi.size(0), i + 16);
    gs.push_back(functionalFisher(g, phiPrime.slice(0, i, e), samples, gen) * double(e - i));
    fs.push_back(functionalFisher(f, phi.slice(0, i, e), samples, gen) * double(e - i));
  }
  ig = torch::stack(gs).sum(0);
  iff = torch::stack(fs).sum(0);
  return torch::cosine_similarity(ig.unsqueeze(0), iff.unsqueeze(0), 1, 1e-12).item<double>();
}

}  // namespace latentlab
