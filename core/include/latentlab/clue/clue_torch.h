#pragma once
// The counterfactual algorithms (clue.h has the options and results): latent CLUE and
// class change over the penultimate latent, the original VAE-CLUE baseline, ReGene prototypes, and
// the hierarchical input-space search. Every run is batched over N points and runs on the
// context's device; the `cpu` engine of latent CLUE uses analytic gradients in plain loops (no
// autograd), the `tensor` engine autograd on any device.
#include <torch/script.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <vector>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/clue/clue.h"
#include "latentlab/util/progress.h"

namespace latentlab {

struct Bundle;

// ReGene's stored prototypes: k per class, each the training point nearest a k-means centroid of
// that class's training latents (so each is a real example with an image).
struct Prototypes {
  torch::Tensor z;               // [k*K, d] float32, CPU
  std::vector<int> classes;      // [k*K]
  std::vector<int64_t> sources;  // [k*K] index in the training split
  int k = 0;
};
// k-means (k-means++ seeding, Lloyd iterations) per class over `trainLatents` [N, d] with `labels`.
Prototypes fitPrototypes(const torch::Tensor& trainLatents, const torch::Tensor& labels, int64_t numClasses, int k,
                         uint64_t seed);
// The bundle's prototypes from cache/prototypes_k<k>.pt when its key matches the classifier,
// otherwise fitted on the training latents (computed or cached) and cached.
Prototypes bundlePrototypes(const Bundle& b, int k, const ProgressFn& progress, const std::atomic<bool>* cancel);

// What a run needs of the model.
struct ClueContext {
  const Bundle* bundle = nullptr;  // encoder, decoder, VAE
  BllHead head;                    // the run's head (the posterior's fixed sample bank, or deterministic)
  torch::Device device = torch::kCPU;
  double zLower = NAN;                     // the encoder's lower bound (0 after a ReLU); NaN: none
  const Prototypes* prototypes = nullptr;  // regene
};
// The head of `o.head` from the bundle; zLower from `latents` (0 when all are >= 0).
// Throws BundleError when the Laplace head is asked for and the bundle has no posterior.
ClueContext makeClueContext(const Bundle& b, const ClueOptions& o, const torch::Tensor& latents);

// Called after every optimiser step of point 0 (for the GUI's live trajectory): the step, the
// latent [d] and U there. Return false to stop the run (pause); the result holds the path so far.
using ClueStepFn = std::function<bool(int step, const std::vector<float>& z, float u)>;

// With o.diverse = K > 1 each of the explain functions returns N * K results, point i's K
// counterfactuals at i*K .. i*K+K-1 (member, members and diversity set).
// Explains N inputs x0 [N, C, H, W] (in [0, 1]). Throws CancelledError when `cancel` is set,
// InputError / BundleError on options the bundle cannot serve (vae-clue without a VAE, a decoder
// term without a decoder, regene without prototypes).
std::vector<ClueResult> explainInputs(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0,
                                      const std::atomic<bool>* cancel, const ClueStepFn& onStep = {});
// Explains inputs x0 whose latents z0 = phi(x0) are known already (the bundle's cached latents, so
// that a point's z0 does not depend on the batch it is encoded in).
std::vector<ClueResult> explainPoints(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0,
                                      const torch::Tensor& z0, const std::atomic<bool>* cancel,
                                      const ClueStepFn& onStep = {});
// Explains latents z0 [N, d] that have no image (an edited point): x0 is g(z0).
std::vector<ClueResult> explainLatents(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0,
                                       const std::atomic<bool>* cancel, const ClueStepFn& onStep = {});

// What measureQuality compares a counterfactual with: the training latents [N, d] (CPU) and
// labels [N], and the sorted mean distances of up to `maxTest` test latents to their k nearest
// training latents (the plausibility's reference).
struct QualityReference {
  torch::Tensor zTrain, yTrain;
  std::vector<double> testDistances;
  int k = 5;
};
QualityReference makeQualityReference(const torch::Tensor& zTrain, const torch::Tensor& yTrain,
                                      const torch::Tensor& zTest, int k = 5, int64_t maxTest = 1000);
// Fills r.quality (clue.h, CounterfactualQuality) from r's images, latents and classes.
void measureQuality(ClueResult& r, const QualityReference& ref);

// Fills the diversity of each group of k consecutive results (DiversityMeasure, clue.h) from their
// z*, x* and round-trip classes; `distance` is the run's (the determinant's kernel).
void measureDiversity(std::vector<ClueResult>& out, int k, ClueDistance distance);

// The pieces, for tests and the benchmarks. -----------------------------------------------

// U of the given kind (or -log p-bar[target] when target >= 0), per row: [N].
torch::Tensor uncertaintyOf(const Predictive& p, UncertaintyKind kind, int target = -1);

// Latent CLUE (and class change when o.method == ClassChange) from z0 [N, d] on the CPU engine or
// the tensor engine. x0 [N, C, H, W] is needed only for a decoded-space term (lambda_x > 0). Fills
// path, pathU, pathLoss, steps, stoppedEarly, zStar of each result.
void latentClue(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0, const torch::Tensor& x0,
                std::vector<ClueResult>& out, const std::atomic<bool>* cancel, const ClueStepFn& onStep);

// The analytic objective of the cpu engine for one latent, on a linear bank [S*K, d+1] (rows s*K+j):
// returns U (or -log p-bar[target]) and writes dU/dz into grad[d] and p-bar into pbar[K].
// `work` must hold 2*S*K + K floats.
float bankObjective(const float* bank, int S, int K, int d, const float* z, UncertaintyKind kind, int target,
                    float* grad, float* pbar, float* work);

}  // namespace latentlab
