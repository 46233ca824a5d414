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
