#include "latentlab/model/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "latentlab/util/errors.h"

namespace latentlab {

ClassificationMetrics classificationMetrics(const std::vector<float>& probs, const std::vector<int64_t>& labels,
                                            int64_t k, int numBins) {
  const size_t n = labels.size();
  if (k < 2 || probs.size() != n * size_t(k))
    throw InputError("[metrics] probabilities have " + std::to_string(probs.size()) + " values, expected " +
                     std::to_string(n) + " x " + std::to_string(k));
  if (n == 0) throw InputError("[metrics] no examples");
  ClassificationMetrics m;
  m.bins.assign(size_t(numBins), {});
  std::vector<double> confSum(size_t(numBins), 0.0), correctSum(size_t(numBins), 0.0);
  for (size_t i = 0; i < n; ++i) {
    const float* p = probs.data() + i * size_t(k);
    const int64_t y = labels[i];
    if (y < 0 || y >= k) throw InputError("[metrics] label " + std::to_string(y) + " out of range");
    for (int64_t c = 0; c < k; ++c)
      if (!std::isfinite(p[c]))
        throw InputError("[metrics] the probabilities of example " + std::to_string(i) + " are not finite");
    const int64_t pred = std::max_element(p, p + k) - p;
    const double conf = p[pred];
    const bool correct = pred == y;
    m.accuracy += correct;
    m.nll -= std::log(std::max(double(p[y]), 1e-12));
    for (int64_t c = 0; c < k; ++c) {
      const double t = p[c] - (c == y ? 1.0 : 0.0);
      m.brier += t * t;
    }
    const int bin = std::clamp(int(conf * numBins), 0, numBins - 1);
    confSum[size_t(bin)] += conf;
    correctSum[size_t(bin)] += correct;
    m.bins[size_t(bin)].count++;
  }
  for (int b = 0; b < numBins; ++b) {
    auto& bin = m.bins[size_t(b)];
    if (bin.count == 0) continue;
    bin.confidence = confSum[size_t(b)] / double(bin.count);
    bin.accuracy = correctSum[size_t(b)] / double(bin.count);
    m.ece += double(bin.count) / double(n) * std::abs(bin.accuracy - bin.confidence);
  }
  m.accuracy /= double(n);
  m.nll /= double(n);
  m.brier /= double(n);
  return m;
}

double auroc(const std::vector<double>& inScores, const std::vector<double>& outScores) {
  if (inScores.empty() || outScores.empty())
    throw InputError("[metrics] AUROC needs both in- and out-of-distribution scores");
  for (const auto* scores : {&inScores, &outScores})
    for (size_t i = 0; i < scores->size(); ++i)
      if (!std::isfinite((*scores)[i]))
        throw InputError(std::string("[metrics] AUROC: ") + (scores == &inScores ? "in" : "out-of") +
                         "-distribution score " + std::to_string(i) + " is not finite");
  // Rank all scores (average ranks for ties); AUROC = (R_out - n_out(n_out+1)/2) / (n_in n_out).
  std::vector<std::pair<double, bool>> all;
  all.reserve(inScores.size() + outScores.size());
  for (double s : inScores) all.emplace_back(s, false);
  for (double s : outScores) all.emplace_back(s, true);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rankOut = 0.0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double avgRank = 0.5 * double(i + 1 + j);  // ranks i+1 .. j
    for (size_t t = i; t < j; ++t)
      if (all[t].second) rankOut += avgRank;
    i = j;
  }
  const double nOut = double(outScores.size()), nIn = double(inScores.size());
  return (rankOut - nOut * (nOut + 1) / 2) / (nIn * nOut);
}

}  // namespace latentlab
