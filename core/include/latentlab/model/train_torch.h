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

// ReGene decoder on a frozen encoder: minimises BCE(decode(z), x) over precomputed z [N, d], plus
// latentWeight * |encode(decode(z)) - z|^2 when `encoder` is given (a module with encode()): the
// decoded image must re-encode to the latent it came from, which keeps the decoder's outputs
// classified as their latents are (agreement) and makes decode -> encode a round trip.
// `regulariser(batchIdx)`, when given, is added to each batch's loss (Gat et al.'s Fisher term).
double trainDecoder(torch::jit::Module& decoder, const torch::Tensor& z, const torch::Tensor& x, const FitOptions& opt,
                    const torch::jit::Module* encoder = nullptr, double latentWeight = 0.0,
                    const std::function<torch::Tensor(const torch::Tensor&)>& regulariser = {});

// VAE on x: BCE reconstruction + KL to N(0, I).
double trainVae(torch::jit::Module& vae, const torch::Tensor& x, const FitOptions& opt);

}  // namespace latentlab
