// The projection pieces the methods share (layout_common.h), and PCA.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "latentlab/explorer/viewmath.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "projection/layout_common.h"

namespace latentlab {

int detail::threadCount(int threads) {
  if (threads > 0) return threads;
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

// PCA layout scaled so that the first coordinate has standard deviation `targetStd`.
std::vector<float> detail::pcaInit(const float* X, int64_t n, int64_t d, double targetStd) {
  std::vector<float> y = runPca(X, n, d);
  double m = 0, s = 0;
  for (int64_t i = 0; i < n; ++i) m += y[size_t(2 * i)];
  m /= double(std::max<int64_t>(1, n));
  for (int64_t i = 0; i < n; ++i) s += (y[size_t(2 * i)] - m) * (y[size_t(2 * i)] - m);
  s = std::sqrt(s / double(std::max<int64_t>(1, n)));
  const double f = s > 0 ? targetStd / s : 1.0;
  for (auto& v : y) v = float(v * f);
  return y;
}

void detail::checkInputs(const float* X, int64_t n, int64_t d, const Knn& knn, int needK, const char* what) {
  if (n < 3) throw InputError(std::string(what) + " needs at least 3 points, got " + std::to_string(n));
  if (!X || d < 1) throw InputError(std::string(what) + ": no latent codes");
  if (knn.n != n || knn.k < needK)
    throw InputError(std::string(what) + ": the kNN graph has " + std::to_string(knn.n) + " points x " +
                     std::to_string(knn.k) + " neighbours, need " + std::to_string(n) + " x " + std::to_string(needK));
  for (int64_t i = 0; i < n * d; ++i)
    if (!std::isfinite(X[i]))
      throw InputError(std::string(what) + ": latent " + std::to_string(i / d) + " is not finite");
}

std::vector<float> runPca(const float* X, int64_t n, int64_t d) {
  Pca2 p = fitPca2(X, n, d);
  std::vector<float> xy(size_t(2 * n));
  projectPca2(p, X, n, xy.data());
  return xy;
}

}  // namespace latentlab
