#pragma once
// Classification and OOD metrics on plain arrays. Torch-free; pure functions.
#include <cstdint>
#include <vector>

namespace latentlab {

struct CalibrationBin {
  double confidence = 0.0;  // mean max-probability in the bin
  double accuracy = 0.0;    // share correct in the bin
  int64_t count = 0;
};

struct ClassificationMetrics {
  double accuracy = 0.0;
  double nll = 0.0;    // mean -log p(y), p clamped at 1e-12
  double ece = 0.0;    // expected calibration error over equal-width confidence bins
  double brier = 0.0;  // mean over examples of sum_k (p_k - [y = k])^2
  std::vector<CalibrationBin> bins;
};

// probs: N*K row-major, labels: N. Throws InputError on size mismatch, a label out of range, or a
// non-finite probability (naming the example).
ClassificationMetrics classificationMetrics(const std::vector<float>& probs, const std::vector<int64_t>& labels,
                                            int64_t numClasses, int numBins = 15);

// Area under the ROC curve for telling `outScores` (positives) from `inScores` (negatives) by a
// higher score, with ties counted one half (the Mann-Whitney U statistic). 0.5 when all tie.
// Throws InputError when a set is empty or a score is not finite.
double auroc(const std::vector<double>& inScores, const std::vector<double>& outScores);

}  // namespace latentlab
