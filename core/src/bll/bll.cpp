#include "latentlab/bll/bll_torch.h"

#include <torch/torch.h>

#include <cmath>

#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace {
torch::Tensor withOnes(const torch::Tensor& z) { return torch::cat({z, torch::ones({z.size(0), 1}, z.options())}, 1); }
}  // namespace

torch::Tensor lastLayerGgn(const torch::Tensor& z, const torch::Tensor& W, const torch::Tensor& b,
                           const torch::Device& device) {
  torch::NoGradGuard ng;
  const int64_t k = W.size(0), d1 = W.size(1) + 1, p = k * d1;
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  torch::Tensor Wt = torch::cat({W, b.unsqueeze(1)}, 1).to(opts);
  // H[(a,i),(b,j)] = sum_n L_n[a,b] phi_n[i] phi_n[j]: one matrix product of the flattened outer
  // products per chunk, C^2 x (d+1)^2, then a permutation into (a,i) x (b,j).
  torch::Tensor acc = torch::zeros({k * k, d1 * d1}, opts);
  const int64_t chunk = 2048;
  for (int64_t s = 0; s < z.size(0); s += chunk) {
    torch::Tensor phi = withOnes(z.slice(0, s, std::min(s + chunk, z.size(0))).to(opts));
    torch::Tensor prob = torch::softmax(torch::matmul(phi, Wt.t()), 1);
    torch::Tensor lam = torch::diag_embed(prob) - prob.unsqueeze(2) * prob.unsqueeze(1);  // [n, k, k]
    torch::Tensor ff = phi.unsqueeze(2) * phi.unsqueeze(1);                               // [n, d1, d1]
    acc += torch::matmul(lam.reshape({-1, k * k}).t(), ff.reshape({-1, d1 * d1}));
  }
  return acc.reshape({k, k, d1, d1}).permute({0, 2, 1, 3}).reshape({p, p}).to(torch::kCPU);
}

double laplaceLogMarglik(const torch::Tensor& eigvals, double thetaSqNorm, double logLik, double lambda) {
  const double p = double(eigvals.numel());
  const double logdet = torch::log(eigvals.to(torch::kFloat64).clamp_min(0.0) + lambda).sum().item<double>();
  return logLik - 0.5 * lambda * thetaSqNorm + 0.5 * p * std::log(lambda) - 0.5 * logdet;
}

LaplaceFit fitLaplace(const torch::Tensor& z, const torch::Tensor& labels, const torch::Tensor& W,
                      const torch::Tensor& b, const LaplaceOptions& opt, const torch::Device& device) {
  torch::NoGradGuard ng;
  if (z.dim() != 2 || W.dim() != 2 || b.dim() != 1 || z.size(1) != W.size(1) || W.size(0) != b.size(0) ||
      labels.size(0) != z.size(0))
    throw InputError("[laplace] shapes disagree: z " + std::to_string(z.size(0)) + "x" + std::to_string(z.size(1)) +
                     ", W " + std::to_string(W.size(0)) + "x" + std::to_string(W.size(1)));
  if (!torch::isfinite(z).all().item<bool>()) throw InputError("[laplace] non-finite latents");
  const int64_t k = W.size(0), d1 = W.size(1) + 1, p = k * d1;
  torch::Tensor H = lastLayerGgn(z, W, b, device);
  torch::Tensor evals, evecs;
  try {
    std::tie(evals, evecs) = torch::linalg_eigh(H);
  } catch (const std::exception& e) {
    throw InputError("[laplace] the last layer's curvature (GGN) of the training latents cannot be decomposed (" +
                     torchErrorSummary(e) + "): the classifier's head or latents hold extreme values");
  }
  evals = evals.clamp_min(0.0);
  torch::Tensor theta = torch::cat({W, b.unsqueeze(1)}, 1).to(torch::kFloat64).cpu();
  const double thetaSq = theta.pow(2).sum().item<double>();
  // log p(D | theta*) at the MAP.
  double logLik = 0.0;
  for (int64_t s = 0; s < z.size(0); s += 8192) {
    torch::Tensor phi = withOnes(z.slice(0, s, std::min(s + 8192, z.size(0))).to(torch::kFloat64).cpu());
    torch::Tensor logp = torch::log_softmax(torch::matmul(phi, theta.t()), 1);
    logLik += logp.gather(1, labels.slice(0, s, std::min(s + 8192, z.size(0))).cpu().unsqueeze(1)).sum().item<double>();
  }
  LaplaceFit fit;
  std::vector<double> grid = opt.lambdaGrid;
  if (grid.empty())
    for (int i = 0; i <= 80; ++i) grid.push_back(std::pow(10.0, -4.0 + 0.1 * i));
  double best = -INFINITY, bestLam = grid.front();
  size_t bestIdx = 0;
  for (size_t i = 0; i < grid.size(); ++i) {
    const double v = laplaceLogMarglik(evals, thetaSq, logLik, grid[i]);
    fit.grid.emplace_back(grid[i], v);
    if (v > best) best = v, bestLam = grid[i], bestIdx = i;
  }
  if (opt.lambdaGrid.empty() && bestIdx > 0 && bestIdx + 1 < grid.size()) {
    // Golden-section search in log lambda between the best point's neighbours (the objective is
    // concave in log lambda around its maximum); keep the refined value only if it is better.
    double lo = std::log(grid[bestIdx - 1]), hi = std::log(grid[bestIdx + 1]);
    const double g = (std::sqrt(5.0) - 1) / 2;
    auto f = [&](double l) { return laplaceLogMarglik(evals, thetaSq, logLik, std::exp(l)); };
    double a = hi - g * (hi - lo), c = lo + g * (hi - lo), fa = f(a), fc = f(c);
    for (int it = 0; it < 40; ++it) {
      if (fa > fc)
        hi = c, c = a, fc = fa, a = hi - g * (hi - lo), fa = f(a);
      else
        lo = a, a = c, fa = fc, c = lo + g * (hi - lo), fc = f(c);
    }
    const double l = 0.5 * (lo + hi), v = f(l);
    if (v > best) best = v, bestLam = std::exp(l);
  }
  fit.priorPrecision = bestLam;
  fit.logMarglik = best;
  // Sigma = V diag(1/(e+lambda)) V^T; its square root V diag(1/sqrt(e+lambda)) draws the samples.
  torch::Tensor inv = 1.0 / (evals + bestLam);
  torch::Tensor cov = torch::matmul(evecs * inv.unsqueeze(0), evecs.t());
  torch::Tensor root = evecs * inv.sqrt().unsqueeze(0);
  auto gen = at::detail::createCPUGenerator(opt.seed);
  torch::Tensor eps = torch::randn({opt.samples, p}, gen, torch::TensorOptions().dtype(torch::kFloat64));
  torch::Tensor samples = theta.reshape({1, p}) + torch::matmul(eps, root.t());
  fit.thetaMap = theta.to(torch::kFloat32);
  fit.covariance = cov.to(torch::kFloat32);
  fit.samples = samples.reshape({opt.samples, k, d1}).to(torch::kFloat32);
  return fit;
}

torch::jit::Module laplaceToModule(const LaplaceFit& fit) {
  torch::jit::Module m("LatentLabLaplace");
  m.register_buffer("theta_map", fit.thetaMap.cpu());
  m.register_buffer("covariance", fit.covariance.cpu());
  m.register_buffer("samples", fit.samples.cpu());
  m.register_buffer("prior_precision", torch::tensor(fit.priorPrecision, torch::kFloat64));
  m.register_buffer("log_marglik", torch::tensor(fit.logMarglik, torch::kFloat64));
  m.define(R"(
def sample_logits(self, z):
    phi = torch.cat([z, torch.ones([z.size(0), 1], dtype=z.dtype, device=z.device)], 1)
    return torch.matmul(phi, self.samples.transpose(1, 2))

def forward(self, z):
    return torch.softmax(self.sample_logits(z), 2).mean(0)
)");
  return m;
}

LaplaceFit laplaceFromModule(const torch::jit::Module& m, const std::string& source) {
  LaplaceFit fit;
  try {
    fit.thetaMap = m.attr("theta_map").toTensor().cpu();
    fit.covariance = m.attr("covariance").toTensor().cpu();
    fit.samples = m.attr("samples").toTensor().cpu();
    fit.priorPrecision = m.attr("prior_precision").toTensor().item<double>();
    fit.logMarglik = m.attr("log_marglik").toTensor().item<double>();
    fit.source = source;
  } catch (const std::exception&) {
    throw ModelLoadError("[laplace] missing posterior buffers (theta_map, covariance, samples, prior_precision) (" +
                         source + ")");
  }
  const int64_t k = fit.thetaMap.dim() == 2 ? fit.thetaMap.size(0) : -1,
                d1 = fit.thetaMap.dim() == 2 ? fit.thetaMap.size(1) : -1;
  if (k < 2 || fit.covariance.dim() != 2 || fit.covariance.size(0) != k * d1 || fit.covariance.size(1) != k * d1 ||
      fit.samples.dim() != 3 || fit.samples.size(1) != k || fit.samples.size(2) != d1 || fit.samples.size(0) < 1)
    throw ModelLoadError("[laplace] posterior buffers have inconsistent shapes (" + source + ")");
  for (const auto* t : {&fit.thetaMap, &fit.covariance, &fit.samples})
    if (!torch::isfinite(*t).all().item<bool>())
      throw ModelLoadError("[laplace] posterior buffers hold non-finite values (" + source + ")");
  if (!std::isfinite(fit.priorPrecision))
    throw ModelLoadError("[laplace] the prior precision is not finite (" + source + ")");
  return fit;
}

const char* headModeName(HeadMode m) {
  switch (m) {
    case HeadMode::Deterministic:
      return "deterministic";
    case HeadMode::Samples:
      return "laplace";
    case HeadMode::Probit:
      return "laplace-probit";
  }
  return "?";
}

torch::Tensor entropy(const torch::Tensor& p) { return -(p * torch::log(p.clamp_min(1e-30))).sum(-1); }

BllHead BllHead::deterministic(std::function<torch::Tensor(const torch::Tensor&)> logits, int64_t numClasses) {
  BllHead h;
  h.m_mode = HeadMode::Deterministic;
  h.m_logits = std::move(logits);
  h.m_numClasses = numClasses;
  return h;
}

BllHead BllHead::deterministicLinear(const torch::Tensor& W, const torch::Tensor& b, const torch::Device& device) {
  torch::Tensor w = W.detach().to(device, torch::kFloat32), bb = b.detach().to(device, torch::kFloat32);
  BllHead h = deterministic([w, bb](const torch::Tensor& z) { return torch::linear(z, w, bb); }, W.size(0));
  h.m_bank = torch::cat({w, bb.unsqueeze(1)}, 1).unsqueeze(0).contiguous();
  return h;
}

BllHead BllHead::laplace(const LaplaceFit& fit, HeadMode mode, const torch::Device& device, uint64_t seed) {
  BllHead h;
  h.m_mode = mode;
  h.m_source = fit.source;
  const int64_t k = fit.numClasses(), d1 = fit.latentDim() + 1;
  h.m_numClasses = k;
  h.m_samples = fit.samples.size(0);
  h.m_thetaMap = fit.thetaMap.to(device, torch::kFloat32);
  if (mode == HeadMode::Deterministic) {
    torch::Tensor t = h.m_thetaMap;
    h.m_logits = [t](const torch::Tensor& z) { return torch::matmul(withOnes(z), t.t()); };
    h.m_bank = t.unsqueeze(0).contiguous();
  } else if (mode == HeadMode::Samples) {
    h.m_sampleMatrix = fit.samples.reshape({-1, d1}).to(device, torch::kFloat32);
    h.m_bank = h.m_sampleMatrix.reshape({h.m_samples, k, d1}).contiguous();
  } else {
    h.m_covBlocks = fit.covariance.reshape({k, d1, k, d1})
                        .permute({1, 0, 2, 3})
                        .reshape({d1, k * k * d1})
                        .contiguous()
                        .to(device, torch::kFloat32);
    auto gen = at::detail::createCPUGenerator(seed + 7);
    h.m_eps = torch::randn({h.m_samples, k}, gen, torch::kFloat32).to(device);
  }
  return h;
}

Predictive BllHead::predict(const torch::Tensor& z) const {
  Predictive out;
  if (m_mode == HeadMode::Deterministic) {
    torch::Tensor logp = torch::log_softmax(m_logits(z), 1);
    out.probs = logp.exp();
    out.total = -(out.probs * logp).sum(1);
    out.aleatoric = out.total;
    out.epistemic = torch::zeros_like(out.total);
    return out;
  }
  torch::Tensor phi = withOnes(z);
  torch::Tensor logp;  // [N, S, K] log-probabilities of the S fixed draws
  if (m_mode == HeadMode::Samples) {
    logp = torch::log_softmax(torch::matmul(phi, m_sampleMatrix.t()).reshape({z.size(0), m_samples, m_numClasses}), 2);
    out.probs = logp.exp().mean(1);
  } else {
    const int64_t k = m_numClasses, d1 = phi.size(1), n = z.size(0);
    torch::Tensor mu = torch::matmul(phi, m_thetaMap.t());                     // [N, K]
    torch::Tensor t = torch::matmul(phi, m_covBlocks).reshape({n, k, k, d1});  // [N, K, K, d1]
    torch::Tensor sf = (t * phi.reshape({n, 1, 1, d1})).sum(3);                // [N, K, K]
    // The softmax ignores a shift of all logits, and the GGN has no curvature along that shift, so
    // the posterior keeps the prior's large variance there. Project it out (exact for the softmax):
    // without this the diagonal probit treats it as per-class noise and is badly underconfident.
    sf = sf - sf.mean(1, true) - sf.mean(2, true) + sf.mean({1, 2}, true);
    torch::Tensor var = torch::diagonal(sf, 0, 1, 2);  // [N, K]
    out.probs = torch::softmax(mu / torch::sqrt(1 + (M_PI / 8.0) * var), 1);
    // A square root of the (rank K-1) projected covariance via its eigendecomposition; Cholesky
    // fails on the exact zero eigenvalue in float32.
    torch::Tensor ev, evec;
    try {
      std::tie(ev, evec) = torch::linalg_eigh(sf);
    } catch (const std::exception& e) {
      throw ModelLoadError("[laplace] the posterior's covariance at these latents cannot be decomposed (" +
                           torchErrorSummary(e) + "): it holds non-finite or extreme values (" +
                           (m_source.empty() ? std::string("the fitted posterior") : m_source) + ")");
    }
    torch::Tensor root = evec * ev.clamp_min(0.0).sqrt().unsqueeze(1);                            // [N, K, K]
    torch::Tensor f = mu.unsqueeze(1) + torch::matmul(m_eps.unsqueeze(0), root.transpose(1, 2));  // [N, S, K]
    logp = torch::log_softmax(f, 2);
  }
  torch::Tensor ps = logp.exp();
  out.aleatoric = -(ps * logp).sum(2).mean(1);
  // In probit mode the split is taken from the logit draws so that total = aleatoric + epistemic
  // with epistemic >= 0 (Jensen); p-bar itself is the probit approximation.
  out.total = m_mode == HeadMode::Samples ? entropy(out.probs) : entropy(ps.mean(1));
  out.epistemic = out.total - out.aleatoric;
  return out;
}

}  // namespace latentlab
