// UMAP (McInnes et al.), the CPU engine: smooth kNN distances, fuzzy union, a and b fitted to
// min_dist, sequential SGD with negative sampling. Built with -O3 and reassociable float sums.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "latentlab/explorer/viewmath.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "projection/layout_common.h"

namespace latentlab {

using detail::Csr;
using detail::parallelFor;
using detail::Rng;
using detail::threadCount;

void fitUmapAB(double minDist, double spread, double& a, double& b) {
  // Least squares on 300 points of [0, 3 spread], by Gauss-Newton with step halving.
  std::vector<double> xs, ys;
  for (int i = 0; i < 300; ++i) {
    const double x = 3.0 * spread * (i + 0.5) / 300.0;
    xs.push_back(x);
    ys.push_back(x < minDist ? 1.0 : std::exp(-(x - minDist) / spread));
  }
  auto loss = [&](double A, double B) {
    double s = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double r = 1.0 / (1.0 + A * std::pow(xs[i], 2 * B)) - ys[i];
      s += r * r;
    }
    return s;
  };
  a = 1.5;
  b = 0.9;
  double cur = loss(a, b);
  for (int it = 0; it < 200; ++it) {
    double JtJ[3] = {0, 0, 0}, Jtr[2] = {0, 0};
    for (size_t i = 0; i < xs.size(); ++i) {
      const double x = xs[i], x2b = std::pow(x, 2 * b), den = 1.0 + a * x2b;
      const double f = 1.0 / den, r = f - ys[i];
      const double da = -x2b / (den * den);
      const double db = -a * x2b * 2.0 * std::log(std::max(x, 1e-12)) / (den * den);
      JtJ[0] += da * da;
      JtJ[1] += da * db;
      JtJ[2] += db * db;
      Jtr[0] += da * r;
      Jtr[1] += db * r;
    }
    const double lambda = 1e-9 * (JtJ[0] + JtJ[2]);
    const double det = (JtJ[0] + lambda) * (JtJ[2] + lambda) - JtJ[1] * JtJ[1];
    if (std::abs(det) < 1e-300) break;
    const double sa = ((JtJ[2] + lambda) * Jtr[0] - JtJ[1] * Jtr[1]) / det;
    const double sb = ((JtJ[0] + lambda) * Jtr[1] - JtJ[1] * Jtr[0]) / det;
    double t = 1.0;
    bool improved = false;
    for (int h = 0; h < 30; ++h, t *= 0.5) {
      const double na = a - t * sa, nb = b - t * sb;
      if (na <= 0 || nb <= 0) continue;
      const double l = loss(na, nb);
      if (l < cur) {
        a = na;
        b = nb;
        improved = cur - l > 1e-15;
        cur = l;
        break;
      }
    }
    if (!improved) break;
  }
}

detail::UmapSetup detail::umapSetup(const float* X, int64_t n, int64_t d, const Knn& knn, const UmapOptions& opt) {
  const int k = std::min<int>(opt.neighbours, int(n - 1));
  detail::checkInputs(X, n, d, knn, k, "UMAP");
  if (opt.neighbours < 2) throw InputError("UMAP needs at least 2 neighbours, got " + std::to_string(opt.neighbours));

  // Smooth kNN distances: rho = the nearest neighbour's distance, sigma by binary search so that
  // sum_j exp(-(d_ij - rho) / sigma) = log2(k).
  std::vector<double> w(size_t(n) * size_t(k));
  const double target = std::log2(double(k));
  for (int64_t i = 0; i < n; ++i) {
    const float* di = &knn.dist[size_t(i * knn.k)];
    double rho = 0;
    for (int j = 0; j < k; ++j)
      if (di[j] > 0) {
        rho = di[j];
        break;
      }
    double lo = 0, hi = std::numeric_limits<double>::infinity(), sigma = 1;
    for (int it = 0; it < 64; ++it) {
      double s = 0;
      for (int j = 0; j < k; ++j) s += std::exp(-std::max(0.0, di[j] - rho) / sigma);
      if (std::abs(s - target) < 1e-5) break;
      if (s > target) {
        hi = sigma;
        sigma = 0.5 * (lo + hi);
      } else {
        lo = sigma;
        sigma = std::isinf(hi) ? sigma * 2 : 0.5 * (lo + hi);
      }
    }
    double meanD = 0;
    for (int j = 0; j < k; ++j) meanD += di[j];
    meanD /= k;
    sigma = std::max(sigma, 1e-3 * meanD);  // as umap-learn: not below 1e-3 of the mean distance
    for (int j = 0; j < k; ++j) w[size_t(i * k + j)] = std::exp(-std::max(0.0, di[j] - rho) / std::max(sigma, 1e-12));
  }
  // Fuzzy union: w + w^T - w * w^T.
  Csr G = symmetrise(knn, k, w, [](double a, double b) { return a + b - a * b; });
  UmapSetup s;
  double wmax = 0;
  for (double v : G.val) wmax = std::max(wmax, v);
  s.epochs = opt.epochs > 0 ? opt.epochs : (n > 10000 ? 200 : 500);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = G.rowStart[size_t(i)]; q < G.rowStart[size_t(i) + 1]; ++q) {
      const double v = G.val[size_t(q)];
      if (v < wmax / double(s.epochs)) continue;  // sampled less than once: dropped, as umap-learn
      s.head.push_back(int32_t(i));
      s.tail.push_back(G.col[size_t(q)]);
      s.perSample.push_back(wmax / v);
    }
  fitUmapAB(opt.minDist, opt.spread, s.a, s.b);

  // PCA initialisation scaled to [-10, 10].
  s.y = runPca(X, n, d);
  float ext = 0;
  for (float v : s.y) ext = std::max(ext, std::abs(v));
  for (auto& v : s.y) v = ext > 0 ? 10.0f * v / ext : 0.0f;
  Rng jit(opt.seed + 17);
  for (auto& v : s.y) v += float(1e-4 * (jit.uniform() - 0.5));
  return s;
}

std::vector<float> runUmap(const float* X, int64_t n, int64_t d, const Knn& knn, const UmapOptions& opt,
                           const LayoutProgress& progress, const std::atomic<bool>* cancel) {
  detail::UmapSetup s = detail::umapSetup(X, n, d, knn, opt);
  struct Edge {
    int32_t i, j;
    double perSample, next, nextNeg;
  };
  std::vector<Edge> edges;
  edges.reserve(s.head.size());
  for (size_t e = 0; e < s.head.size(); ++e)
    edges.push_back(
        {s.head[e], s.tail[e], s.perSample[e], s.perSample[e], s.perSample[e] / double(opt.negativeSamples)});
  const double a = s.a, b = s.b;
  const int epochs = s.epochs;
  std::vector<float>& y = s.y;

  Rng rng(opt.seed);
  auto clip = [](double g) { return std::max(-4.0, std::min(4.0, g)); };
  for (int ep = 0; ep < epochs; ++ep) {
    checkCancel(cancel, "UMAP");
    const double alpha = opt.learningRate * (1.0 - double(ep) / double(epochs));
    for (Edge& e : edges) {
      if (e.next > double(ep + 1)) continue;
      float* yi = &y[size_t(2 * e.i)];
      float* yj = &y[size_t(2 * e.j)];
      double dx = yi[0] - yj[0], dy = yi[1] - yj[1], d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const double coef = -2.0 * a * b * std::pow(d2, b - 1.0) / (1.0 + a * std::pow(d2, b));
        const double gx = clip(coef * dx), gy = clip(coef * dy);
        yi[0] += float(gx * alpha);
        yi[1] += float(gy * alpha);
        yj[0] -= float(gx * alpha);
        yj[1] -= float(gy * alpha);
      }
      e.next += e.perSample;
      const int negs = int((double(ep + 1) - e.nextNeg) / (e.perSample / double(opt.negativeSamples)));
      for (int s = 0; s < std::max(0, negs); ++s) {
        const int64_t c = rng.below(n);
        if (c == e.i) continue;
        const float* yc = &y[size_t(2 * c)];
        dx = yi[0] - yc[0];
        dy = yi[1] - yc[1];
        d2 = dx * dx + dy * dy;
        double gx = 4.0, gy = 4.0;
        if (d2 > 0) {
          const double coef = 2.0 * b / ((0.001 + d2) * (1.0 + a * std::pow(d2, b)));
          gx = clip(coef * dx);
          gy = clip(coef * dy);
        }
        yi[0] += float(gx * alpha);
        yi[1] += float(gy * alpha);
      }
      e.nextNeg += std::max(0, negs) * (e.perSample / double(opt.negativeSamples));
    }
    if (progress && (ep % std::max(1, opt.progressEvery) == 0 || ep + 1 == epochs)) progress(y, ep + 1, epochs);
  }
  return y;
}

}  // namespace latentlab
