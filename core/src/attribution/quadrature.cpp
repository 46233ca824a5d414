// The quadrature rules of integrated gradients: midpoint, and Gauss-Legendre on [0, 1]. Torch-free.
#include <cmath>

#include "latentlab/attribution/attribution.h"
#include "latentlab/util/errors.h"
#include "util/option_parse.h"

namespace latentlab {

using optparse::quoted;

const char* quadratureName(Quadrature q) { return q == Quadrature::Midpoint ? "midpoint" : "gauss-legendre"; }

Quadrature parseQuadrature(const std::string& s, const std::string& where) {
  if (s == "midpoint") return Quadrature::Midpoint;
  if (s == "gauss-legendre" || s == "gl") return Quadrature::GaussLegendre;
  throw InputError("[" + where + "] quadrature must be midpoint or gauss-legendre, got " + quoted(s));
}

void quadratureRule(int m, Quadrature q, std::vector<double>& alphas, std::vector<double>& weights) {
  if (m < 1 || m > kMaxIgSteps)
    throw InputError("[ig] steps must be in 1.." + std::to_string(kMaxIgSteps) + ", got " + std::to_string(m));
  alphas.assign(size_t(m), 0.0);
  weights.assign(size_t(m), 0.0);
  if (q == Quadrature::Midpoint) {
    for (int k = 0; k < m; ++k) {
      alphas[size_t(k)] = (k + 0.5) / m;
      weights[size_t(k)] = 1.0 / m;
    }
    return;
  }
  // Gauss-Legendre on [-1, 1] by Newton's method on P_m (roots from the Chebyshev-like guess),
  // then mapped to [0, 1]: alpha = (t + 1) / 2, w = w_t / 2.
  for (int i = 0; i < (m + 1) / 2; ++i) {
    double t = std::cos(M_PI * (i + 0.75) / (m + 0.5)), dp = 1;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = t;  // P_0, P_1
      for (int k = 2; k <= m; ++k) {
        const double pk = ((2.0 * k - 1) * t * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = pk;
      }
      const double pm = m == 1 ? t : p1, pm1 = m == 1 ? 1 : p0;
      dp = m * (t * pm - pm1) / (t * t - 1);
      const double step = pm / dp;
      t -= step;
      if (std::abs(step) < 1e-15) break;
    }
    const double w = 2.0 / ((1 - t * t) * dp * dp);
    // t > 0 first: the node pair (+t, -t).
    alphas[size_t(m - 1 - i)] = (1 + t) / 2;
    weights[size_t(m - 1 - i)] = w / 2;
    alphas[size_t(i)] = (1 - t) / 2;
    weights[size_t(i)] = w / 2;
  }
}

}  // namespace latentlab
