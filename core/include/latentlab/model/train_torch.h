#pragma once
// Training loops for the classifier, the ReGene decoder and the VAE. Callable from any thread;
// each reports progress through a callback and stops with CancelledError when `cancel` is set.
#include <torch/script.h>

#include <atomic>
#include <functional>
#include <string>

#include "latentlab/data/data_torch.h"
#include "latentlab/util/progress.h"

namespace latentlab {

struct FitOptions {
  std::string stage = "train";
  int epochs = 1;
  int64_t batchSize = 128;
  double lr = 1e-3;
  double weightDecay = 0.0;
  double lrDecayAt = 1.0;  // fraction of epochs after which lr is multiplied by 0.1 (1 = never)
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  ProgressFn progress;                        // may be empty
  const std::atomic<bool>* cancel = nullptr;  // may be null
  // Called after each epoch (1-based) with the learning rate that epoch used: where `train` keeps
  // the TracIn checkpoints. May be empty.
  std::function<void(int epoch, double lr)> onEpochEnd;
};

// Cross-entropy with Adam. Returns the mean loss of the last epoch.
double trainClassifier(torch::jit::Module& classifier, const Dataset& train, const FitOptions& opt);

// What the decoder g is trained to do beside reconstructing its image, BCE(g(z), x):
//  - latentWeight * |phi(g(z)) - z|^2: the decoded image re-encodes to the latent it came from;
//  - consistencyWeight * KL(f(z) || f(phi(g(z)))): the classifier reads the decoded image as it
//    reads the latent (f = softmax(classify(.)), the latent's side held fixed), which is what the
//    decoder's agreement and every counterfactual's round trip measure.
// Both need `encoder` (a module with encode() and, for the consistency term, classify()), whose
// parameters are frozen while g trains. With `offManifold`, both terms are also taken at latents
// that no training image has, one per batch row: half the batch's latents moved by Gaussian noise
// of 0.5 standard deviations per coordinate, half a random mix lambda z_i + (1 - lambda) z_j of two
// batch latents (lambda ~ U(0, 1)); that is where counterfactuals, drags and flips go. `regulariser(batchIdx)`, when
// given, is added to each batch's loss (Gat et al.'s Fisher term).
struct DecoderLoss {
  const torch::jit::Module* encoder = nullptr;
  double latentWeight = 0.0;
  double consistencyWeight = 0.0;
  bool offManifold = false;
  std::function<torch::Tensor(const torch::Tensor&)> regulariser;
};

// ReGene decoder over precomputed latents z [N, d] of the images x. Returns the last epoch's mean loss.
double trainDecoder(torch::jit::Module& decoder, const torch::Tensor& z, const torch::Tensor& x, const FitOptions& opt,
                    const DecoderLoss& loss = {});

// VAE on x: BCE reconstruction + KL to N(0, I).
double trainVae(torch::jit::Module& vae, const torch::Tensor& x, const FitOptions& opt);

}  // namespace latentlab
