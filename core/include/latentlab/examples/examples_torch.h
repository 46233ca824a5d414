#pragma once
// The example-importance algorithms of examples.h, on any device.
#include <torch/script.h>

#include <atomic>
#include <functional>

#include "latentlab/examples/examples.h"
#include "latentlab/util/progress.h"

namespace latentlab {

struct Bundle;
struct Dataset;

// DKNN scores 1 / max(|z - Z_n|, eps) for every row of Z [N, d] (on Z's device), z [d]; eps as in
// examples.h (rotation-invariant, as the distances are). `duplicates` (may be null) receives the count of rows at
// distance <= eps. [N] float.
torch::Tensor dknnScores(const torch::Tensor& Z, const torch::Tensor& z, int64_t* duplicates = nullptr);

// SimplEx weights over the corpus C [n, d] for z [d]: w = softmax(v), v from 0 by `steps` of Adam
// (betas 0.9, 0.999) on |w^T C - z|^2 with its exact gradient. The problem is small (n x d), so it
// runs on the CPU whatever the corpus's device: a GPU would spend longer launching kernels.
// `residual` (may be null) receives |w^T C - z| / |z|. [n] float on the CPU, >= 0, summing to 1.
torch::Tensor simplexWeights(const torch::Tensor& C, const torch::Tensor& z, int steps, double lr,
                             double* residual = nullptr, const std::atomic<bool>* cancel = nullptr);

// The corpus draw: `size` distinct training positions out of n (all, in order, when size >= n).
std::vector<int64_t> simplexCorpus(int64_t n, int64_t size, uint64_t seed);

// Sorts scores [N] (CPU or device) best first; `positions` maps row i to its training position
// (empty: row i is position i). keep > 0: only the best `keep` and the worst `keep`, in that order
// (what a panel shows; a partial selection instead of a sort of every score).
ExampleScores rankScores(const torch::Tensor& scores, const std::vector<int64_t>& positions, const std::string& method,
                         int64_t keep = 0);

// The per-example loss that TracIn differentiates: the bundle's training objective on a batch of
// images x [n, C, H, W] with labels y [n] (a label-free objective ignores y). [n].
using ExampleLossFn =
    std::function<torch::Tensor(const torch::jit::Module& m, const torch::Tensor& x, const torch::Tensor& y)>;
// The classifier's cross-entropy of forward(x) against y.
ExampleLossFn classifierLoss();
// The per-example loss of a training objective (objectives_torch.h), its noise (the denoising
// autoencoder's inputs, the VAE's sample) drawn from `noiseSeed` afresh at every call, so that the
// same batch gives the same loss at every parameter (TracIn's difference needs that).
ExampleLossFn objectiveLoss(const std::string& objective, uint64_t noiseSeed = 0);

// One TracIn checkpoint: its module (on the device) and the learning rate of the epoch it ends.
struct TracinCheckpoint {
  torch::jit::Module module;
  double lr = 0;
};

// TracIn scores for the test image x [C, H, W] with label y over every training image (train
// [N, C, H, W], labels [N]): sum_t lr_t <g_n, g> with g = d L(x) / d theta_enc at theta_t (autograd)
// and <g_n, g> for every n at once as the directional derivative of L(x_n) along g, by a central
// difference of step eps / |g| in parameter space (two batched forward passes per checkpoint; the
// test checks it against per-example autograd). theta_enc: the parameters that encode() uses.
// Progress per batch; CancelledError when `cancel` is set. [N] float on the CPU.
torch::Tensor tracinScores(std::vector<TracinCheckpoint> checkpoints, const ExampleLossFn& loss, const torch::Tensor& x,
                           int64_t y, const torch::Tensor& trainImages, const torch::Tensor& trainLabels,
                           const torch::Device& device, const ProgressFn& progress, const std::atomic<bool>* cancel);

// The bundle's checkpoints (manifest training.checkpoints), loaded onto its device. Throws
// BundleError naming the bundle when it has none ("retrain with `latentlab train`, which keeps
// them"), when one is missing, or when they belong to another classifier file (a replaced one).
std::vector<TracinCheckpoint> loadCheckpoints(const Bundle& b);

// Scores of one latent z [d] (and, for TracIn, its image x [C, H, W] and label y) against the
// training split `train` whose latents are Z [N, d]; `keep` as for rankScores. Throws InputError /
// BundleError.
ExampleScores exampleScores(const Bundle& b, const ExampleOptions& o, const torch::Tensor& z, const torch::Tensor& Z,
                            const torch::Tensor& x, int64_t y, const Dataset& train, const ProgressFn& progress,
                            const std::atomic<bool>* cancel, int64_t keep = 0);

}  // namespace latentlab
