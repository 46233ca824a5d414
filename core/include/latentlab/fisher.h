#pragma once
// The functional Fisher information of seed 003 (Gat et al., eqs. 3-5): for a non-negative
// function h of the latent, per latent coordinate i,
//   I_i(h) = E_{t ~ N(phi_i, 1)} [ h'(z_i^phi(t))^2 / h(z_i^phi(t)) ],
// where z_i^phi(t) is phi with its i-th coordinate replaced by t. For a vector-valued h (the
// classifier's class probabilities, the generator's pixels) the terms are summed over its outputs,
// which for probabilities is the Fisher information of the categorical distribution. h' is a
// central difference of step `delta`, so the estimate is differentiable in h's parameters (the
// regulariser trains through it). The layer information is the vector I(h) = (I_1, ..., I_d).
#include <torch/torch.h>

#include <functional>

namespace latentlab {

using LatentFn = std::function<torch::Tensor(const torch::Tensor&)>;  // [M, d] -> [M, ...] >= 0

// I(h) [d] averaged over the anchors phi [B, d] and `samples` draws each, from `gen`.
torch::Tensor functionalFisher(const LatentFn& h, const torch::Tensor& phi, int samples, at::Generator& gen,
                               double delta = 1e-2);

// Seed 003's Table 2 measure: cos(I(g) at phi', I(f) at phi) over the anchors.
double fisherCosine(const LatentFn& g, const torch::Tensor& phiPrime, const LatentFn& f, const torch::Tensor& phi,
                    int samples, uint64_t seed);

}  // namespace latentlab
