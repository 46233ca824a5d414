#pragma once
// Shared by the counterfactual algorithms: Adam on a batch of parameters theta [N, p] with autograd,
// per-point early stopping and the class-keeping rule, recording the classifier latent each step.
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <vector>

#include "latentlab/clue/clue_torch.h"

namespace latentlab::detail {

// Adam's moments, as torch.optim.Adam's defaults; both engines use them.
inline constexpr double kAdamB1 = 0.9, kAdamB2 = 0.999, kAdamEps = 1e-8;
// Smooth L1: sqrt(dz^2 + eps^2) - eps has gradient 0 at z0 (|dz| has 0/0 there).
inline constexpr float kSmoothEps = 1e-3f;

// Early stop when L has not improved by `tolerance` for `patience` steps (one per point).
struct Stall {
  double best = INFINITY;
  int since = 0;
  bool update(double loss, const ClueOptions& o) {
    if (loss < best - o.tolerance) {
      best = loss;
      since = 0;
    } else {
      ++since;
    }
    return since >= o.patience;
  }
};

struct ClueEval {
  torch::Tensor loss;  // [N] the objective
  torch::Tensor u;     // [N] the run's U (class change: -log p-bar[target])
  torch::Tensor pred;  // [N] the predicted class
  torch::Tensor z;     // [N, d] the classifier latent at theta
  torch::Tensor grad;  // [N, p] d loss / d theta, when asked for
};

// The ClueEval of an objective computed with autograd on `param`: its gradient when asked for, and
// everything detached.
ClueEval makeEval(const torch::Tensor& loss, const torch::Tensor& u, const Predictive& p, const torch::Tensor& z,
                  const torch::Tensor& param, bool wantGrad);

struct ClueProblem {
  torch::Tensor theta0;  // [N, p] on the device
  std::function<ClueEval(const torch::Tensor& theta, bool wantGrad)> eval;
  std::function<torch::Tensor(const torch::Tensor&)> project;  // after each step (the range of z); may be empty
  double lr = 0.05;
  torch::Tensor keepClasses;  // [N] the classes keep_class keeps; undefined: the predictions at theta0
  // > 1: the rows come in groups of this many whose objectives are coupled (diverse K): a step
  // rejected by keep_class is evaluated again without the rejected rows, and each group's z* are
  // taken at one step, the lowest mean objective of the group.
  int group = 1;
};

// Runs Adam for at most o.steps, filling each result's path (the latents), pathU, pathLoss, steps,
// stoppedEarly and zStar. `thetaPath`, when given, gets theta at every step [T+1][N, p] (CPU).
// pathU holds exp(-u) when `targetProb` (class change reports p-bar of the target).
void adamTensorRun(const ClueProblem& pb, const ClueOptions& o, bool targetProb, std::vector<ClueResult>& out,
                   const std::atomic<bool>* cancel, const ClueStepFn& onStep, std::vector<torch::Tensor>* thetaPath);

// The mean of per-row smooth-L1 or squared-L2 distances / d (as latent CLUE's d(z, z0)), over the
// last dimension (z and z0 broadcast: diverse K takes the pairwise distances of a group with it).
torch::Tensor latentDistance(ClueDistance kind, const torch::Tensor& z, const torch::Tensor& z0);

// The methods besides latent CLUE. Each fills path, pathU, pathLoss, steps, stoppedEarly and zStar;
// vae-clue and hierarchical also xStar and frames (their images are not g(z)), regene the weights.
void vaeClue(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0, std::vector<ClueResult>& out,
             const std::atomic<bool>* cancel, const ClueStepFn& onStep);
void regene(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0, std::vector<ClueResult>& out,
            const std::atomic<bool>* cancel, const ClueStepFn& onStep);
void hierarchicalSearch(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0,
                        std::vector<ClueResult>& out, const std::atomic<bool>* cancel, const ClueStepFn& onStep);

// Latent CLUE or class change with o.diverse = K > 1 (diverse.cpp): z0 and x0 hold each point K
// times in a row ([N*K, ...]); the K of a point are optimised together with DiCE's diversity term.
// Each path starts at z0, then at its noisy start. Fills what latentClue fills.
void diverseLatentClue(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0, const torch::Tensor& x0,
                       std::vector<ClueResult>& out, const std::atomic<bool>* cancel, const ClueStepFn& onStep);

// Cuts the run at its lowest objective: z* is the best point the optimiser visited (Adam's steps
// have a size of about lr whatever the gradient, so the last point can be worse than an earlier one,
// and a huge lambda must give back z0 itself). Sets steps to that step.
void keepBest(ClueResult& r, int64_t d);

// Indices of `count` frames spread over steps 0..last (both ends included).
std::vector<int> frameSteps(int last, int count);
std::vector<float> toFloats(const torch::Tensor& t);

}  // namespace latentlab::detail
