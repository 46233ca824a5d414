// How faithful a 2D layout is: trustworthiness@k, kNN recall@k and 2D kNN accuracy on a sample, with
// exact distances in both spaces. Built with -O3 and reassociable float sums.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "latentlab/explorer/viewmath.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "projection/layout_common.h"

namespace latentlab {

using detail::Rng;

LayoutQuality layoutQuality(const float* X, int64_t n, int64_t d, const float* xy, const int32_t* labels,
                            int64_t sample, int k, uint64_t seed) {
  LayoutQuality q;
  q.k = k;
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  if (sample > 0 && sample < n) {
    Rng rng(seed);
    for (int64_t i = 0; i < sample; ++i) std::swap(ids[size_t(i)], ids[size_t(i + rng.below(n - i))]);
    ids.resize(size_t(sample));
    std::sort(ids.begin(), ids.end());
  }
  const int64_t m = int64_t(ids.size());
  q.sample = m;
  if (m < k + 2)
    throw InputError("layout quality needs more than " + std::to_string(k + 1) + " points, got " + std::to_string(m));
  double trustSum = 0;
  int64_t recallHits = 0, correct = 0;
  std::vector<std::pair<double, int64_t>> hi(static_cast<size_t>(m)), lo(static_cast<size_t>(m));
  std::vector<int64_t> rankHi(static_cast<size_t>(m));
  for (int64_t a = 0; a < m; ++a) {
    const int64_t i = ids[size_t(a)];
    for (int64_t c = 0; c < m; ++c) {
      const int64_t j = ids[size_t(c)];
      double s = 0;
      for (int64_t t = 0; t < d; ++t) {
        const double v = double(X[i * d + t]) - double(X[j * d + t]);
        s += v * v;
      }
      const double dx = double(xy[2 * i]) - xy[2 * j], dy = double(xy[2 * i + 1]) - xy[2 * j + 1];
      hi[size_t(c)] = {c == a ? -1.0 : s, c};
      lo[size_t(c)] = {c == a ? -1.0 : dx * dx + dy * dy, c};
    }
    std::sort(hi.begin(), hi.end());
    std::sort(lo.begin(), lo.end());
    for (int64_t r = 0; r < m; ++r) rankHi[size_t(hi[size_t(r)].second)] = r;  // 0 = itself
    // Trustworthiness: points among the k nearest in 2D but not in z, penalised by their rank in z.
    for (int r = 1; r <= k; ++r) {
      const int64_t c = lo[size_t(r)].second;
      if (rankHi[size_t(c)] > k)
        trustSum += double(rankHi[size_t(c)] - k);
      else
        ++recallHits;
    }
    if (labels) {
      std::vector<int> votes;
      int best = -1, bestCount = 0;
      std::vector<std::pair<int, int>> counts;
      for (int r = 1; r <= k; ++r) {
        const int lab = labels[ids[size_t(lo[size_t(r)].second)]];
        auto it = std::find_if(counts.begin(), counts.end(), [&](auto& p) { return p.first == lab; });
        if (it == counts.end())
          counts.emplace_back(lab, 1);
        else
          ++it->second;
      }
      for (auto& [lab, cnt] : counts)  // ties: the class seen first (nearest)
        if (cnt > bestCount) {
          best = lab;
          bestCount = cnt;
        }
      if (best == labels[i]) ++correct;
    }
  }
  const double mk = double(m), kk = double(k);
  q.trustworthiness = 1.0 - 2.0 / (mk * kk * (2.0 * mk - 3.0 * kk - 1.0)) * trustSum;
  q.knnRecall = double(recallHits) / (mk * kk);
  q.knnAccuracy = labels ? double(correct) / mk : 0.0;
  return q;
}

}  // namespace latentlab
