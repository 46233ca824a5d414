#pragma once
// The Concepts tab's models, on any device: the discrete VAE over the penultimate latent z
// (Gat et al. 2022), whose n boolean bits are the concepts of z, and the functional Fisher
// information its training may use as a regulariser.
//
// Module interface (a TorchScript file, `dvae` in the manifest; makeDvae in models_torch.h builds it):
//   logits(z [N, d]) -> [N, n]   the encoder's Bernoulli logits, q(b_i = 1 | z) = sigmoid(logit_i)
//   bits(z)          -> [N, n]   hard bits at inference, 1 where logit > 0 (float 0/1)
//   decode(b [N, n]) -> [N, d]   z' = lo + (hi - lo) * sigmoid(MLP(b)), in z's training range
//   forward(z)       -> decode(bits(z)) = phi'
// Training (trainDvae): relaxed-Bernoulli (binary Concrete / Gumbel) bits with the temperature
// annealed linearly from tauStart to tauEnd over the steps; loss MSE(z', z) in units of z's
// per-coordinate standard deviation + beta * KL(q(b|z) || Bernoulli(1/2)) summed over the bits
// (+ consistency * KL(f(z) || f(z')) when a classifier is given).
// Then, the encoder fixed, the decoder alone for hardEpochs on the hard bits it will decode.
#include <torch/script.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "latentlab/model/train_torch.h"

namespace latentlab {

struct Bundle;

struct DvaeOptions {
  int64_t bits = 16;
  int64_t hidden = 256;
  double beta = 0.01;
  double tauStart = 1.0, tauEnd = 0.5;
  int hardEpochs = 5;  // then the decoder alone on the encoder's hard bits (what inference decodes)
  // consistency * KL(f(z) || f(z')), f = softmax(classify(.)) of `classifier` (frozen), added in both
  // phases: the classifier reads the decoded latent phi' as it reads phi. 0, or no classifier, is the
  // seed's plain objective.
  double consistency = 0.0;
  const torch::jit::Module* classifier = nullptr;
};

// A fresh, untrained DVAE for latents like zTrain [N, d]: their mean, standard deviation and range
// are stored as buffers (the input scaling and the output range).
torch::jit::Module makeDvae(const torch::Tensor& zTrain, const DvaeOptions& o, uint64_t seed);
// Trains it on zTrain [N, d]; returns the last epoch's mean loss. CancelledError when cancelled.
double trainDvae(torch::jit::Module& dvae, const torch::Tensor& zTrain, const DvaeOptions& o, const FitOptions& fit);

// makeDvae (seeded with fit.seed) + trainDvae, and `record`, the manifest's training entry for it.
torch::jit::Module fitDvae(const torch::Tensor& zTrain, const DvaeOptions& o, const FitOptions& fit,
                           nlohmann::json& record);

// Dry run of a DVAE file: logits/bits/decode with d = latentDim. Returns n. Throws ModelLoadError
// naming `source` (missing methods, wrong shapes, bits that are not 0/1, non-finite outputs).
int64_t validateDvae(const torch::jit::Module& m, int64_t latentDim, const torch::Device& device,
                     const std::string& source);

// Gat et al.'s Table 1 on latents z [N, d] with labels [N], through the bundle's predictive (the
// Laplace BLL when the bundle has one, else the deterministic head): the accuracy of f(phi) and
// f(phi'), their agreement, the share of points whose prediction changes when all bits flip, when
// some single bit flips, and per bit the share it changes and the most common class it changes
// to. Fractions in [0, 1]. The JSON is eval's "dvae" object.
nlohmann::json dvaeTable(const Bundle& b, const torch::jit::Module& dvae, const torch::Tensor& z,
                         const torch::Tensor& labels);

// The functional Fisher information of Gat et al. (2022, eqs. 3-5): for a non-negative
// function h of the latent, per latent coordinate i,
//   I_i(h) = E_{t ~ N(phi_i, 1)} [ h'(z_i^phi(t))^2 / h(z_i^phi(t)) ],
// where z_i^phi(t) is phi with its i-th coordinate replaced by t. For a vector-valued h (the
// classifier's class probabilities, the generator's pixels) the terms are summed over its outputs,
// which for probabilities is the Fisher information of the categorical distribution. h' is a
// central difference of step `delta`, so the estimate is differentiable in h's parameters (the
// regulariser trains through it). The layer information is the vector I(h) = (I_1, ..., I_d).

using LatentFn = std::function<torch::Tensor(const torch::Tensor&)>;  // [M, d] -> [M, ...] >= 0

// I(h) [d] averaged over the anchors phi [B, d] and `samples` draws each, from `gen`.
torch::Tensor functionalFisher(const LatentFn& h, const torch::Tensor& phi, int samples, at::Generator& gen,
                               double delta = 1e-2);

// Gat et al.'s Table 2 measure: cos(I(g) at phi', I(f) at phi) over the anchors.
double fisherCosine(const LatentFn& g, const torch::Tensor& phiPrime, const LatentFn& f, const torch::Tensor& phi,
                    int samples, uint64_t seed);

}  // namespace latentlab
