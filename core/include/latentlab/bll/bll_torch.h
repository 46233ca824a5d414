#pragma once
// The Bayesian last layer: a last-layer Laplace approximation over theta = [W b] of a linear head,
// and the predictive + uncertainty split that every latent operation uses.
//
// Parameter order: theta is W~ = [W b] (K x (d+1)) flattened row-major, so index k*(d+1)+j.
#include <torch/script.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace latentlab {

// GGN of the softmax cross-entropy w.r.t. theta, summed over rows of z [N, d]:
//   H = sum_n (diag p_n - p_n p_n^T) (x) phi_n phi_n^T,  phi_n = [z_n; 1].
// Returns float64 [P, P], P = K (d+1), on the CPU. Computed in chunks on `device`.
torch::Tensor lastLayerGgn(const torch::Tensor& z, const torch::Tensor& W, const torch::Tensor& b,
                           const torch::Device& device);

// Laplace log marginal likelihood (up to a constant independent of lambda):
//   log p(D | theta*) - lambda/2 |theta*|^2 + P/2 log lambda - 1/2 sum_i log(e_i + lambda)
// with e the eigenvalues of H.
double laplaceLogMarglik(const torch::Tensor& eigvals, double thetaSqNorm, double logLik, double lambda);

struct LaplaceOptions {
  int64_t samples = 64;  // S, the fixed bank of weight samples
  uint64_t seed = 0;
  std::vector<double> lambdaGrid;  // empty: 10^-4 .. 10^4, 81 points, then golden-section refinement
};

struct LaplaceFit {
  torch::Tensor thetaMap;    // [K, d+1] float32
  torch::Tensor covariance;  // [P, P] float32, (H + lambda I)^-1
  torch::Tensor samples;     // [S, K, d+1] float32: theta_s = theta* + Sigma^{1/2} eps_s, fixed
  double priorPrecision = 1.0;
  double logMarglik = 0.0;
  std::vector<std::pair<double, double>> grid;  // (lambda, log marglik) evaluated on the grid
  std::string source;  // the file it was read from (laplaceFromModule), for messages; "" when fitted here
  int64_t numClasses() const { return thetaMap.size(0); }
  int64_t latentDim() const { return thetaMap.size(1) - 1; }
};

// Fits the posterior around the head (W [K, d], b [K]) using the training latents z [N, d] and
// labels [N]. lambda maximises the marginal likelihood over the grid (and a refinement around
// the best grid point). Throws InputError on mismatched shapes or non-finite inputs.
LaplaceFit fitLaplace(const torch::Tensor& z, const torch::Tensor& labels, const torch::Tensor& W,
                      const torch::Tensor& b, const LaplaceOptions& opt, const torch::Device& device);

// A TorchScript module holding the posterior as buffers (theta_map, covariance, samples,
// prior_precision, log_marglik) with methods sample_logits(z) -> [S, N, K] and forward(z) -> p.
torch::jit::Module laplaceToModule(const LaplaceFit& fit);
// Throws ModelLoadError naming `source` when buffers are missing or shapes disagree.
LaplaceFit laplaceFromModule(const torch::jit::Module& m, const std::string& source);

enum class HeadMode { Deterministic, Samples, Probit };
const char* headModeName(HeadMode m);

struct Predictive {
  torch::Tensor probs;      // [N, K]  predictive mean p-bar
  torch::Tensor total;      // [N]     H[p-bar] (nats)
  torch::Tensor aleatoric;  // [N]     mean_s H[p_s]
  torch::Tensor epistemic;  // [N]     total - aleatoric (mutual information, >= 0 up to rounding)
};

// Entropy along the last dimension in nats, with 0 log 0 = 0.
torch::Tensor entropy(const torch::Tensor& p);

// Predictive over latents. Every function is differentiable in z and uses a fixed sample bank,
// so repeated calls on the same z give identical results ("common random numbers").
//  - Deterministic: softmax of the head; total = aleatoric = H[p], epistemic = 0.
//  - Samples: p-bar = mean_s softmax(W_s z + b_s) over the S stored samples.
//  - Probit: p-bar = softmax(mu / sqrt(1 + pi/8 diag Sigma_f)) with the linearised logit
//    covariance Sigma_f; the split uses S fixed draws of the logits from N(mu, Sigma_f).
class BllHead {
 public:
  // `logits` maps z [N, d] -> [N, K]; used for heads that are not linear (imported models).
  static BllHead deterministic(std::function<torch::Tensor(const torch::Tensor&)> logits, int64_t numClasses);
  static BllHead deterministicLinear(const torch::Tensor& W, const torch::Tensor& b, const torch::Device& device);
  static BllHead laplace(const LaplaceFit& fit, HeadMode mode, const torch::Device& device, uint64_t seed = 0);

  Predictive predict(const torch::Tensor& z) const;
  HeadMode mode() const { return m_mode; }
  // The head as a bank of S linear maps [S, K, d+1] on the head's device (S = 1 for a deterministic
  // linear head; the fixed samples for Samples), or an undefined tensor when the head is not a
  // bank (a non-linear imported head, or the probit mode).
  const torch::Tensor& linearBank() const { return m_bank; }
  int64_t numClasses() const { return m_numClasses; }

 private:
  HeadMode m_mode = HeadMode::Deterministic;
  int64_t m_numClasses = 0;
  std::function<torch::Tensor(const torch::Tensor&)> m_logits;
  torch::Tensor m_sampleMatrix;  // [S*K, d+1]
  torch::Tensor m_thetaMap;      // [K, d+1]
  torch::Tensor m_covBlocks;     // [d+1, K*K*(d+1)]: Sigma[a,i,b,j] arranged with i first
  torch::Tensor m_eps;           // [S, K] fixed standard normals for the probit split
  std::string m_source;          // the posterior's file, named when its covariance cannot be decomposed
  int64_t m_samples = 0;
  torch::Tensor m_bank;  // [S, K, d+1] or undefined
};

}  // namespace latentlab
