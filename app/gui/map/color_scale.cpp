#include "map/color_scale.h"

#include <algorithm>
#include <cmath>

namespace latentlab::gui {

namespace {

float at(const std::vector<float>& sorted, double q) {
  const double pos = q * double(sorted.size() - 1);
  const size_t a = size_t(std::floor(pos)), b = std::min(sorted.size() - 1, a + 1);
  return float(sorted[a] + (pos - double(a)) * (sorted[b] - sorted[a]));
}

}  // namespace

float ColorScale::position(float v) const {
  if (!(v == v)) return 0;
  float t = 0;
  if (log)
    t = float(std::log(double(std::max(v, lo)) / lo) / std::log(double(hi) / lo));
  else
    t = (v - lo) / (hi - lo);
  return std::clamp(t, 0.0f, 1.0f);
}

float ColorScale::valueAt(float t) const {
  t = std::clamp(t, 0.0f, 1.0f);
  if (log) return float(lo * std::pow(double(hi) / lo, double(t)));
  return lo + t * (hi - lo);
}

ColorScale robustColorScale(const float* values, int64_t n) {
  std::vector<float> v;
  v.reserve(size_t(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(values[i])) v.push_back(values[i]);
  ColorScale s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.lo = at(v, 0.01);
  s.hi = at(v, 0.99);
  if (!(s.hi > s.lo)) s.hi = s.lo + std::max(1e-6f, std::abs(s.lo) * 1e-3f);
  const float median = at(v, 0.5);
  if (median - s.lo < 0.1f * (s.hi - s.lo) && s.hi > 0) {
    s.log = true;
    // A log axis needs lo > 0: at most three decades below the top.
    if (s.lo < s.hi * 1e-3f) {
      s.lo = s.hi * 1e-3f;
      s.floored = true;
    }
  }
  for (float x : v) {
    if (x < s.lo)
      ++s.below;
    else if (x > s.hi)
      ++s.above;
  }
  return s;
}

float percentileOf(const std::vector<float>& sorted, float v) {
  if (sorted.empty() || !(v == v)) return 0;
  const auto lower = std::lower_bound(sorted.begin(), sorted.end(), v);
  const auto upper = std::upper_bound(lower, sorted.end(), v);
  // Ties count half: a value equal to all of them is at the 50th percentile.
  const double below = double(lower - sorted.begin()) + 0.5 * double(upper - lower);
  return float(100.0 * below / double(sorted.size()));
}

UncertaintyScales uncertaintyScales(const float* total, const float* aleatoric, const float* epistemic, int64_t n) {
  UncertaintyScales u;
  const float* src[3] = {total, aleatoric, epistemic};
  for (int m = 0; m < 3; ++m) {
    if (!src[m] || n <= 0) continue;
    u.scale[size_t(m)] = robustColorScale(src[m], n);
    std::vector<float>& s = u.sorted[size_t(m)];
    for (int64_t i = 0; i < n; ++i)
      if (std::isfinite(src[m][i])) s.push_back(src[m][i]);
    std::sort(s.begin(), s.end());
  }
  return u;
}

}  // namespace latentlab::gui
