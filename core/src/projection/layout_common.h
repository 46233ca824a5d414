#pragma once
// What the projection files share: threads, the fixed random generator, the PCA initialisation, the
// symmetrised kNN graphs, and the setup the two layout engines have in common. The CPU engine
// (tsne.cpp, umap.cpp: Barnes-Hut or FFT repulsion, sequential UMAP SGD) and the tensor engine
// (layout_tensor.cpp: every iteration on a torch device) start from the same graph and the same
// initial layout, so they differ only in how the steps are computed. Torch-free; internal to core.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "latentlab/projection/projection.h"

namespace latentlab::detail {

// `threads`, or all cores when it is 0 or less.
int threadCount(int threads);

// Runs fn(begin, end) over [0, n) in `threads` contiguous chunks.
template <class F>
void parallelFor(int64_t n, int threads, F fn) {
  const int t = int(std::min<int64_t>(threads, std::max<int64_t>(1, n / 256)));
  if (t <= 1) {
    fn(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  const int64_t chunk = (n + t - 1) / t;
  for (int c = 0; c < t; ++c) {
    const int64_t b = c * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([&fn, b, e] { fn(b, e); });
  }
  for (auto& th : pool) th.join();
}

// A 64-bit generator with a fixed algorithm (std::mt19937_64 is fixed by the standard; the
// distributions are not, so we draw integers ourselves).
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {}
  uint64_t next() { return g(); }
  int64_t below(int64_t n) { return int64_t(next() % uint64_t(n)); }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
};

// PCA layout scaled so that the first coordinate has standard deviation `targetStd`.
std::vector<float> pcaInit(const float* X, int64_t n, int64_t d, double targetStd);

// Throws InputError naming `what` unless there are at least 3 finite points and a kNN graph of
// n points with at least needK neighbours.
void checkInputs(const float* X, int64_t n, int64_t d, const Knn& knn, int needK, const char* what);

// Sparse symmetric matrix in CSR form.
struct Csr {
  std::vector<int64_t> rowStart;
  std::vector<int32_t> col;
  std::vector<double> val;
};

// (A + A^T) combined entrywise by `comb(a, b)` (b = 0 where an entry is missing on one side).
template <class Comb>
Csr symmetrise(const Knn& knn, int k, const std::vector<double>& w, Comb comb) {
  const int64_t n = knn.n;
  std::vector<std::vector<std::pair<int32_t, double>>> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) rows[size_t(i)].emplace_back(knn.idx[size_t(i * knn.k + j)], w[size_t(i * k + j)]);
  for (auto& r : rows) std::sort(r.begin(), r.end());
  Csr out;
  out.rowStart.assign(size_t(n) + 1, 0);
  std::vector<std::vector<std::pair<int32_t, double>>> sym(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    for (auto [j, a] : rows[size_t(i)]) {
      if (j == i) continue;
      const auto& rj = rows[size_t(j)];
      auto it = std::lower_bound(rj.begin(), rj.end(), std::make_pair(int32_t(i), -1e300));
      const double b = (it != rj.end() && it->first == i) ? it->second : 0.0;
      const double v = comb(a, b);
      sym[size_t(i)].emplace_back(j, v);
      if (b == 0.0) sym[size_t(j)].emplace_back(int32_t(i), v);  // j's row lacks i: add the mirror
    }
  for (int64_t i = 0; i < n; ++i) {
    auto& r = sym[size_t(i)];
    std::sort(r.begin(), r.end());
    out.rowStart[size_t(i) + 1] = out.rowStart[size_t(i)] + int64_t(r.size());
    for (auto [j, v] : r) {
      out.col.push_back(j);
      out.val.push_back(v);
    }
  }
  return out;
}

struct TsneSetup {
  Csr P;                  // joint probabilities: symmetric, summing to 1
  std::vector<double> y;  // [n, 2] initial layout: PCA scaled to std 1e-4, jittered by the seed
  double learningRate = 0;
};
// Checks the inputs and options (InputError naming the bad value), then computes P by binary
// search on each point's precision to the perplexity, symmetrised as (p_j|i + p_i|j) / 2n.
TsneSetup tsneSetup(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt);

struct UmapSetup {
  std::vector<int32_t> head, tail;  // the fuzzy union's edges sampled at least once in `epochs`
  std::vector<double> perSample;    // epochs between two samples of each edge (w_max / w)
  std::vector<float> y;             // [n, 2] initial layout: PCA scaled to [-10, 10], jittered
  double a = 0, b = 0;
  int epochs = 0;
};
// Checks, then smooth kNN distances (rho, sigma by binary search to log2 k), fuzzy union
// w + w^T - w * w^T, and a and b fitted to min_dist and spread.
UmapSetup umapSetup(const float* X, int64_t n, int64_t d, const Knn& knn, const UmapOptions& opt);

}  // namespace latentlab::detail
