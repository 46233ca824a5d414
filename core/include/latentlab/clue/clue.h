#pragma once
// Counterfactual explanations of uncertainty: what the options and the results of a run are, for
// the CLI (`latentlab explain`), the GUI's CLUE panel and scripts (`clue KEY=VALUE ...`).
// Torch-free, so the GUI compiles without LibTorch. The algorithms are in clue_torch.h.
//
// Methods (the thesis roadmap and proposal, docs/references.md):
//  - latent-clue:  minimise L(z) = U(z) + lambda * d(z, z0) [+ lambda_x * |g(z) - x0|_1 / P] over the
//                  classifier's penultimate latent z with Adam, z kept in the encoder's range.
//  - vae-clue:     the original CLUE: minimise U(f(dec(u))) + lambda_x * |dec(u) - x0|_1 / P over the
//                  VAE's latent u.
//  - regene:       z(alpha) = sum_i alpha_i p_i over k prototypes per class and z0, alpha = softmax(beta)
//                  starting at z0; minimise U + lambda * d(z, z0) + sparsity * H(alpha).
//  - class-change: like latent-clue with -log p-bar_target in place of U.
//  - hierarchical: latent CLUE inside; the latent steps pulled back to the input through the
//                  encoder's Jacobian on the decoded path; x <- x + eta * dx outside.
//  - diverse K (latent-clue and class-change): K counterfactuals per point optimised together, DiCE's
//                  objective (Mothilal et al. 2020) in the latent: the mean of the K objectives minus
//                  `diversity` * log det(Kmat) / K, Kmat[i][j] = 1 / (1 + d(z_i, z_j)), from K starts
//                  z0 + K noise directions drawn from the seed (the same for every point).
#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/bll/bll.h"

namespace latentlab {

enum class ClueMethod { LatentClue, VaeClue, Regene, ClassChange, Hierarchical };
enum class ClueDistance { L1, L2 };  // smooth L1 (sqrt(dz^2 + eps^2) - eps), or squared L2; both / d

const char* clueMethodName(ClueMethod m);
const char* clueDistanceName(ClueDistance d);
// Throw InputError naming `where` and the value when it is not one of the names.
ClueMethod parseClueMethod(const std::string& s, const std::string& where);

// diverse K: at most this many counterfactuals per point (the GUI has a colour for each).
inline constexpr int kMaxDiverse = 8;

struct ClueOptions {
  ClueMethod method = ClueMethod::LatentClue;
  HeadKind head = HeadKind::Laplace;
  UncertaintyKind uncertainty = UncertaintyKind::Total;
  ClueDistance distance = ClueDistance::L1;
  double lambda = 1.0;  // weight of d(z, z0) (latent methods)
  double lambdaX = -1;  // weight of the mean per-pixel L1 to x0; < 0: the method's default
                        // (0 for latent methods, 25 = the CLUE paper's 25/784 per pixel for vae-clue)
  double lr = -1;       // Adam learning rate; < 0: the method's default (0.05; vae-clue 0.1; regene 0.1)
  int steps = 200;      // at most
  int patience = 10;    // early stop: L has not improved by `tolerance` for this many steps
  double tolerance = 1e-4;
  bool keepClass = false;       // a step that changes the predicted class is undone and the step size halved
  int target = -1;              // class-change: the class to reach
  int prototypes = 8;           // regene: k per class (k-means on the training latents, cached in the bundle)
  double sparsity = 0.01;       // regene: weight of the entropy of alpha
  double eta = 0.05;            // hierarchical: the input step, as the largest pixel change per outer step
  double threshold = 0.05;      // hierarchical: stop when U (nats) is below this
  int outerSteps = 20;          // hierarchical: at most
  int frames = 6;               // decoded frames kept for the filmstrip (x0 and g(z*) come besides)
  std::string engine = "auto";  // cpu (analytic gradients, plain loops), tensor (autograd on the device), auto
  int diverse = 1;              // K counterfactuals per point, 1..kMaxDiverse (latent-clue, class-change)
  double diversity = 1.0;       // diverse: the weight of the determinant term, log det(Kmat) / K
  double diverseInit = 0.1;     // diverse: the K starts are z0 + noise of this many standard deviations of z0's values
  uint64_t seed = 0;            // diverse: the starts' noise

  double lrOrDefault() const;
  double lambdaXOrDefault() const;
};

// Sets one option from a `KEY=VALUE` pair as scripts, the GUI and the CLI name them (method, head,
// uncertainty, distance, lambda, lambda_x, lr, steps, patience, tolerance, keep_class, target,
// prototypes, sparsity, eta, threshold, outer_steps, frames, engine, diverse, diversity,
// diverse_init, seed). Range-checked; throws
// InputError "[where] KEY must be ..., got VALUE" on an unknown key or a bad value.
void setClueOption(ClueOptions& o, const std::string& key, const std::string& value, const std::string& where);
// The keys setClueOption accepts, for help texts.
std::vector<std::string> clueOptionKeys();
// Checks the combination (target set for class-change, etc.) against K classes. Throws InputError.
void checkClueOptions(const ClueOptions& o, int64_t numClasses, const std::string& where);

// One explained point. Latent paths are row-major [T+1, d]; images [C, H, W] floats in [0, 1].
// CARLA's measures of a counterfactual (Pawelczyk et al. 2021), after the round trip where it
// applies: measureQuality (clue_torch.h) fills them.
//  valid: class change reached its target after the round trip; the other methods reached a
//    confident class after it (the round trip's top probability >= kConfident).
//  proximity: L1 and L2 norms of x* - x_first (all C*H*W values; x_first is the path's first image,
//    g(z0) for the latent methods so that the decoder's own error is not counted, else x0) and of z* - z0.
//  sparsity: the share of the image's values changed by more than 0.05 from x_first.
//  yNN: the share of the k = 5 nearest training latents of z* labelled with z*'s class.
//  plausibility: the mean distance of z* to those 5 training latents, and the share of test points
//    whose own such distance is smaller (near 1: z* is farther from the data than almost any test point).
struct CounterfactualQuality {
  static constexpr double kConfident = 0.8;
  bool computed = false;
  bool valid = false;
  double l1X = 0, l2X = 0, l1Z = 0, l2Z = 0;
  double sparsity = 0;
  double yNN = 0;
  double knnDistance = 0, knnPercentile = 0;
  int k = 5;
};

// How different the K counterfactuals of one point are (diverse K): DiCE's diversity (the mean
// pairwise distance) in the latent and in the image, its count diversity in the image (the mean
// share of values two counterfactuals differ in by more than 0.05), the determinant the run
// maximised (at the z*), and how many classes the K reach after the round trip.
struct DiversityMeasure {
  bool computed = false;
  int k = 1;
  double latent = 0;  // mean over pairs of |z*_i - z*_j|_1 / d
  double image = 0;   // mean over pairs of |x*_i - x*_j|_1 / P
  double count = 0;   // mean over pairs of the share of values with |x*_i - x*_j| > 0.05
  double dpp = 0;     // det(Kmat) at the z* (DiCE's dpp_diversity), with the run's distance (1: far apart)
  int classes = 0;    // distinct round-trip classes among the K
};

struct ClueResult {
  std::string method, head, uncertainty;
  int64_t d = 0, C = 1, H = 0, W = 0;
  std::vector<float> path;       // [T+1, d] the classifier latents along the run (vae-clue: phi(dec(u_t));
                                 // hierarchical: phi(x_k) at each outer step)
  std::vector<float> pathU;      // [T+1] the run's U (class-change: p-bar of the target) at each step
  std::vector<float> pathLoss;   // [T+1] the objective
  std::vector<int> frameSteps;   // steps of the decoded frames
  std::vector<float> frames;     // [F, C, H, W]
  std::vector<float> x0, xStar;  // the input and the counterfactual image (g(z*), dec(u*) or x*)
  std::vector<float> z0, zStar;  // [d]; zStar is the classifier latent of the result
  std::vector<float> probsBefore, probsLatent, probsRoundtrip;  // [K] with the run's head
  float uBefore = 0, uLatent = 0, uRoundtrip = 0;               // the run's kind of U, nats
  int classBefore = 0, classLatent = 0, classRoundtrip = 0;
  float latentDistance = 0;  // |z* - z0|_1 / d
  float inputDistance = 0;   // |x* - x0|_1 / P
  int steps = 0;             // optimiser steps taken
  bool stoppedEarly = false;
  double ms = 0;    // wall time of this explanation (a batch's time shared evenly)
  int target = -1;  // class-change
  float targetBefore = 0, targetLatent = 0, targetRoundtrip = 0;  // p-bar of the target
  std::vector<float> weights;                                     // regene: the largest alpha, descending
  std::vector<int64_t> weightSources;                             // regene: the training index of each (-1: z0 itself)
  std::vector<int> weightClasses;                                 // regene: the prototype's class (-1: z0)
  std::vector<float> inputPath;                                   // hierarchical: [outer+1, C, H, W] the inputs x_k
  CounterfactualQuality quality;
  int member = 0, members = 1;  // diverse: which of the point's K counterfactuals this is, and K
  DiversityMeasure diversity;   // diverse: the point's K together (the same in each of them)
  int numPathSteps() const { return d > 0 ? int(path.size() / size_t(d)) : 0; }
  bool classKept() const { return classRoundtrip == classBefore; }
  // The probability of the round trip's class (0 when there is none).
  float probRoundtrip() const {
    return classRoundtrip >= 0 && size_t(classRoundtrip) < probsRoundtrip.size()
               ? probsRoundtrip[size_t(classRoundtrip)]
               : 0.0f;
  }
};

}  // namespace latentlab
