#pragma once
// Crabbé and van der Schaar's consistency checks (section 4.1) and pretext comparison (section 4.2), as
// `latentlab eval --checks` runs them:
//  - pixel flipping: the top M% of pixels by a feature-importance map are set to the black
//    baseline, and the latent shift |phi(x) - phi(x masked)|^2 is averaged over the images; a
//    method whose top pixels matter should shift the latent more than random masks do;
//  - similarity rate: the share of the top-k% (and bottom-k%) examples of a corpus that share the
//    test image's label; meaningful example scores put more same-label examples on top;
//  - the Pearson correlation of two encoders' maps or scores for the same inputs.
#include <torch/script.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "latentlab/attribution/attribution_torch.h"

namespace latentlab {

// Mean over images of |encode(x) - encode(x with its top fraction f of pixels by `scores` set to
// 0 in every channel)|^2, for each f in `fractions` (f = 1 masks every pixel). images [n, C, H, W],
// scores [n, C*H*W], [n, C, H, W] or [n, H*W]: a pixel's score is the sum over its channels, and
// pixels are ranked by it within each image, highest first (ties by position).
// Returns [fractions] means; `sem`, when given, their standard errors. On the images' device.
std::vector<double> pixelFlipShifts(const ImageEncoderFn& encode, const torch::Tensor& images,
                                    const torch::Tensor& scores, const std::vector<double>& fractions,
                                    std::vector<double>* sem = nullptr, const std::atomic<bool>* cancel = nullptr);

// For each test row i of scores [nTest, nCorpus]: the share of its top ceil(f nCorpus) corpus
// examples whose label equals testLabels[i], and the same for its bottom ones; averaged over the
// rows, for each f. labels int64.
void similarityRates(const torch::Tensor& scores, const torch::Tensor& testLabels, const torch::Tensor& corpusLabels,
                     const std::vector<double>& fractions, std::vector<double>& top, std::vector<double>& bottom);

// `perClass` positions of each label (the first ones of a seeded permutation), in class order.
// Throws InputError naming the class when one has fewer.
std::vector<int64_t> balancedIndices(const torch::Tensor& labels, int64_t numClasses, int64_t perClass, uint64_t seed);

// Pearson's r of two equal-length vectors (0 when either is constant).
double pearson(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace latentlab

namespace latentlab {

// Model-parameter randomisation (Adebayo et al. 2018; MPRT and eMPRT as Hedström et al. 2024 and
// Quantus define them). The classifier's parameters are grouped into layers (by the name before
// the last '.', or, for flat names, without a trailing w/b/weight/bias), ordered top-down (the
// head first). A randomised layer has each parameter redrawn from N(0, s^2), s the parameter's own
// standard deviation (0.01 where it is constant), from `seed`. For each method (IG 64 midpoint
// steps, saliency |dF/dx|, GradientShap 64 samples, all from black, F = the logit of the original
// model's predicted class; and label-free IG of <phi(x), phi(.)>) and each test image:
//  - cascading: layers randomised top-down, one more at each step (re-initialised as PyTorch's
//    reset_parameters(): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), seeded per layer);
//  - independent: one layer at a time, the others original;
// the similarity of the randomised model's map to the original's, per layer: Spearman's rank
// correlation of |map| and SSIM (7x7 uniform windows) of |map| summed over channels and scaled to
// [0, 1] by its maximum. Means over the images.
//  - MPRT: the mean over the layers of the cascading Spearman correlation (lower is better: the
//    map depends on the parameters);
//  - eMPRT: the discrete entropy (100-bin histogram) of |map| of the fully randomised model over
//    that of the original, averaged over the images (higher is better: randomising makes the map
//    more complex).
struct RandomisationMethod {
  std::string name;
  std::vector<double> cascadeSpearman, cascadeSsim, independentSpearman, independentSsim;  // [layers]
  double mprt = 0, emprt = 0;
};
struct RandomisationResult {
  std::vector<std::string> layers;  // top-down
  std::vector<RandomisationMethod> methods;
  int64_t images = 0;
};
RandomisationResult parameterRandomisation(const torch::jit::Module& classifier, const torch::Tensor& images,
                                           uint64_t seed, const std::atomic<bool>* cancel = nullptr,
                                           const std::function<void(int64_t done, int64_t total)>& onStep = {});

// The layers of a module as parameterRandomisation groups them, bottom-up (definition order).
std::vector<std::pair<std::string, std::vector<std::string>>> parameterLayers(const torch::jit::Module& m);

// Spearman's rank correlation of two equal-length vectors (tied values share their mean rank; 0 when
// either is constant).
double spearman(const torch::Tensor& a, const torch::Tensor& b);
// SSIM of two [H, W] maps in [0, 1] with 7x7 uniform windows (data range 1).
double ssim(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace latentlab
