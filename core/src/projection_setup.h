#pragma once
// What the two layout engines share: the CPU engine in projection.cpp (Barnes-Hut or FFT
// repulsion, Hogwild-free sequential UMAP SGD) and the tensor engine in layout.cpp (every
// iteration on a torch device). Both start from the same graph and the same initial layout, so
// they differ only in how the optimisation steps are computed. Torch-free; internal to core.
#include <atomic>
#include <cstdint>
#include <vector>

#include "latentlab/projection.h"

namespace latentlab::detail {

// Throws CancelledError when the flag is set.
void checkCancel(const std::atomic<bool>* cancel);
// `threads`, or all cores when it is 0 or less.
int threadCount(int threads);

// Sparse symmetric matrix in CSR form.
struct Csr {
  std::vector<int64_t> rowStart;
  std::vector<int32_t> col;
  std::vector<double> val;
};

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
