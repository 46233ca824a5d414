// Between the latent space and a finished layout: out-of-sample placement of a new latent, and the
// on-manifold inverse that drags in a non-linear view use. Built with -O3 and reassociable float sums.
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

void Placer::place(const float* z, float& x, float& y) const {
  if (!X || !xy || n < 1) throw InputError("placement needs a finished layout");
  const int kk = int(std::min<int64_t>(k, n));
  // k nearest latents (exact).
  std::vector<std::pair<float, int64_t>> best;
  best.reserve(size_t(kk) + 1);
  for (int64_t i = 0; i < n; ++i) {
    float s = 0;
    const float* xi = X + i * d;
    for (int64_t t = 0; t < d; ++t) {
      const float v = xi[t] - z[t];
      s += v * v;
    }
    if (int(best.size()) < kk || s < best.back().first) {
      auto it = std::upper_bound(best.begin(), best.end(), std::make_pair(s, i));
      best.insert(it, {s, i});
      if (int(best.size()) > kk) best.pop_back();
    }
  }
  // Exact duplicate of an existing point: its position.
  if (best.front().first == 0.0f) {
    x = xy[2 * best.front().second];
    y = xy[2 * best.front().second + 1];
    return;
  }
  // Membership weights as UMAP: exp(-(d - rho) / sigma), sigma from the mean gap.
  const double rho = std::sqrt(double(best.front().first));
  double meanGap = 0;
  for (auto& b : best) meanGap += std::sqrt(double(b.first)) - rho;
  meanGap = std::max(meanGap / kk, 1e-12);
  std::vector<double> w(static_cast<size_t>(kk));
  double wsum = 0, px = 0, py = 0;
  for (int j = 0; j < kk; ++j) {
    w[size_t(j)] = std::exp(-(std::sqrt(double(best[size_t(j)].first)) - rho) / meanGap);
    wsum += w[size_t(j)];
  }
  for (int j = 0; j < kk; ++j) {
    w[size_t(j)] /= wsum;
    px += w[size_t(j)] * xy[2 * best[size_t(j)].second];
    py += w[size_t(j)] * xy[2 * best[size_t(j)].second + 1];
  }
  // A few steps of attraction to the neighbours and repulsion from a fixed random sample; the
  // step is scaled to the neighbours' spread so the point settles among them.
  double spread = 0;
  for (int j = 0; j < kk; ++j) {
    const double dx = xy[2 * best[size_t(j)].second] - px, dy = xy[2 * best[size_t(j)].second + 1] - py;
    spread += w[size_t(j)] * std::sqrt(dx * dx + dy * dy);
  }
  spread = std::max(spread, 1e-6);
  double a = 1, b = 1;
  if (method == "umap") fitUmapAB(0.1, 1.0, a, b);
  Rng rng(seed);
  const int negs = 5;
  std::vector<int64_t> negIdx(size_t(negs * std::max(1, steps)));
  for (auto& v : negIdx) v = rng.below(n);
  const double scale2 = spread * spread;  // distances measured in units of the neighbours' spread
  for (int s = 0; s < steps; ++s) {
    const double alpha = 0.1 * spread * (1.0 - double(s) / double(steps));
    double gx = 0, gy = 0;
    for (int j = 0; j < kk; ++j) {
      const double dx = px - xy[2 * best[size_t(j)].second], dy = py - xy[2 * best[size_t(j)].second + 1];
      const double d2 = (dx * dx + dy * dy) / scale2;
      if (d2 <= 0) continue;
      const double coef = -2.0 * a * b * std::pow(d2, b - 1.0) / (1.0 + a * std::pow(d2, b));
      gx += w[size_t(j)] * std::max(-4.0, std::min(4.0, coef * dx / spread));
      gy += w[size_t(j)] * std::max(-4.0, std::min(4.0, coef * dy / spread));
    }
    for (int q = 0; q < negs; ++q) {
      const int64_t c = negIdx[size_t(s * negs + q)];
      const double dx = px - xy[2 * c], dy = py - xy[2 * c + 1];
      const double d2 = (dx * dx + dy * dy) / scale2;
      const double coef = 2.0 * b / ((0.001 + d2) * (1.0 + a * std::pow(d2, b)));
      gx += std::max(-4.0, std::min(4.0, coef * dx / spread)) / double(negs * kk);
      gy += std::max(-4.0, std::min(4.0, coef * dy / spread)) / double(negs * kk);
    }
    px += alpha * gx;
    py += alpha * gy;
  }
  x = float(px);
  y = float(py);
}

InverseResult inverseProject(const float* X, const float* xy, int64_t n, int64_t d, float tx, float ty, int k) {
  if (n < 1 || k < 1) throw InputError("the inverse projection needs a layout and k >= 1");
  const int kk = int(std::min<int64_t>(k, n));
  std::vector<std::pair<double, int64_t>> best;
  for (int64_t i = 0; i < n; ++i) {
    const double dx = double(xy[2 * i]) - tx, dy = double(xy[2 * i + 1]) - ty, s = dx * dx + dy * dy;
    if (int(best.size()) < kk || s < best.back().first) {
      best.insert(std::upper_bound(best.begin(), best.end(), std::make_pair(s, i)), {s, i});
      if (int(best.size()) > kk) best.pop_back();
    }
  }
  InverseResult r;
  r.z.assign(size_t(d), 0.0f);
  double wsum = 0;
  std::vector<double> w(static_cast<size_t>(kk));
  // Inverse-distance weights; a target on a point takes that point.
  if (best.front().first <= 1e-24) {
    w.assign(size_t(kk), 0.0);
    w[0] = 1.0;
    wsum = 1.0;
  } else {
    for (int j = 0; j < kk; ++j) wsum += (w[size_t(j)] = 1.0 / std::sqrt(best[size_t(j)].first));
  }
  std::vector<double> z(size_t(d), 0.0);
  for (int j = 0; j < kk; ++j) {
    const double wj = w[size_t(j)] / wsum;
    r.neighbours.push_back(best[size_t(j)].second);
    r.weights.push_back(float(wj));
    for (int64_t t = 0; t < d; ++t) z[size_t(t)] += wj * X[best[size_t(j)].second * d + t];
  }
  for (int64_t t = 0; t < d; ++t) r.z[size_t(t)] = float(z[size_t(t)]);
  // Outside the convex hull of the neighbours' 2D positions (monotone chain)?
  std::vector<std::pair<double, double>> pts;
  for (auto& b : best) pts.emplace_back(xy[2 * b.second], xy[2 * b.second + 1]);
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  if (pts.size() < 3) {
    r.outside = best.front().first > 1e-24;
    return r;
  }
  auto cross = [](auto o, auto a, auto b) {
    return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first);
  };
  std::vector<std::pair<double, double>> hull(2 * pts.size());
  size_t h = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    while (h >= 2 && cross(hull[h - 2], hull[h - 1], pts[i]) <= 0) --h;
    hull[h++] = pts[i];
  }
  for (size_t i = pts.size() - 1, t = h + 1; i-- > 0;) {
    while (h >= t && cross(hull[h - 2], hull[h - 1], pts[i]) <= 0) --h;
    hull[h++] = pts[i];
  }
  hull.resize(h - 1);  // counter-clockwise, no repeat
  bool inside = hull.size() >= 3;
  for (size_t i = 0; i < hull.size() && inside; ++i)
    if (cross(hull[i], hull[(i + 1) % hull.size()], std::make_pair(double(tx), double(ty))) < 0) inside = false;
  r.outside = !inside;
  return r;
}

}  // namespace latentlab
