#include "latentlab/explorer/viewmath.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "latentlab/util/errors.h"

namespace latentlab {

namespace {

// Cyclic Jacobi eigen-decomposition of a symmetric n x n matrix (row-major, overwritten).
// Returns eigenvalues; eigenvectors in the columns of `vecs`.
std::vector<double> jacobiEigen(std::vector<double>& a, int64_t n, std::vector<double>& vecs) {
  vecs.assign(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) vecs[size_t(i * n + i)] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, diag = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) (i == j ? diag : off) += a[size_t(i * n + j)] * a[size_t(i * n + j)];
    if (off <= 1e-22 * (diag + 1e-300)) break;
    for (int64_t p = 0; p < n - 1; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = a[size_t(p * n + q)];
        if (std::abs(apq) < 1e-300) continue;
        const double app = a[size_t(p * n + p)], aqq = a[size_t(q * n + q)];
        const double theta = (aqq - app) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // columns p, q
          const double akp = a[size_t(k * n + p)], akq = a[size_t(k * n + q)];
          a[size_t(k * n + p)] = c * akp - s * akq;
          a[size_t(k * n + q)] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {  // rows p, q
          const double apk = a[size_t(p * n + k)], aqk = a[size_t(q * n + k)];
          a[size_t(p * n + k)] = c * apk - s * aqk;
          a[size_t(q * n + k)] = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < n; ++k) {
          const double vkp = vecs[size_t(k * n + p)], vkq = vecs[size_t(k * n + q)];
          vecs[size_t(k * n + p)] = c * vkp - s * vkq;
          vecs[size_t(k * n + q)] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<double> ev(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ev[size_t(i)] = a[size_t(i * n + i)];
  return ev;
}

}  // namespace

Pca2 fitPca2(const float* z, int64_t n, int64_t d) {
  if (n < 2) throw InputError("[pca] needs at least 2 points, got " + std::to_string(n));
  if (d < 2) throw InputError("[pca] needs a latent dimension of at least 2, got " + std::to_string(d));
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const float v = z[i * d + j];
      if (!std::isfinite(v))
        throw InputError("[pca] latent " + std::to_string(i) + " has a non-finite value in dimension " +
                         std::to_string(j));
      mean[size_t(j)] += v;
    }
  for (auto& m : mean) m /= double(n);
  std::vector<double> cov(static_cast<size_t>(d * d), 0.0), row(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) row[size_t(j)] = z[i * d + j] - mean[size_t(j)];
    for (int64_t a = 0; a < d; ++a) {
      const double ra = row[size_t(a)];
      if (ra == 0) continue;
      double* c = &cov[size_t(a * d)];
      for (int64_t b = a; b < d; ++b) c[b] += ra * row[size_t(b)];
    }
  }
  for (int64_t a = 0; a < d; ++a)
    for (int64_t b = a; b < d; ++b) {
      cov[size_t(a * d + b)] /= double(n - 1);
      cov[size_t(b * d + a)] = cov[size_t(a * d + b)];
    }
  Pca2 p;
  p.dim = d;
  p.mean.assign(mean.begin(), mean.end());
  for (int64_t a = 0; a < d; ++a) p.totalVariance += cov[size_t(a * d + a)];
  std::vector<double> vecs;
  std::vector<double> ev = jacobiEigen(cov, d, vecs);
  std::vector<int64_t> order(static_cast<size_t>(d));
  for (int64_t i = 0; i < d; ++i) order[size_t(i)] = i;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ev[size_t(a)] > ev[size_t(b)]; });
  p.axes.assign(size_t(2 * d), 0.0f);
  for (int c = 0; c < 2; ++c) {
    const int64_t col = order[size_t(c)];
    p.variance[c] = std::max(0.0, ev[size_t(col)]);
    int64_t big = 0;
    for (int64_t j = 0; j < d; ++j)
      if (std::abs(vecs[size_t(j * d + col)]) > std::abs(vecs[size_t(big * d + col)])) big = j;
    const double sign = vecs[size_t(big * d + col)] < 0 ? -1.0 : 1.0;
    for (int64_t j = 0; j < d; ++j) p.axes[size_t(c * d + j)] = float(sign * vecs[size_t(j * d + col)]);
  }
  return p;
}

void projectPca2(const Pca2& p, const float* z, int64_t n, float* xy) {
  const int64_t d = p.dim;
  for (int64_t i = 0; i < n; ++i) {
    double x = 0, y = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double c = double(z[i * d + j]) - p.mean[size_t(j)];
      x += c * p.axes[size_t(j)];
      y += c * p.axes[size_t(d + j)];
    }
    xy[2 * i] = float(x);
    xy[2 * i + 1] = float(y);
  }
}

std::vector<float> pcaInverseDrag(const Pca2& p, const float* z0, float dx, float dy, const float* lo,
                                  const float* hi) {
  const int64_t d = p.dim;
  std::vector<float> z(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    float v = z0[j] + dx * p.axes[size_t(j)] + dy * p.axes[size_t(d + j)];
    if (lo) v = std::max(v, lo[j]);
    if (hi) v = std::min(v, hi[j]);
    z[size_t(j)] = v;
  }
  return z;
}

Rgb viridis(float t) {
  // matplotlib's viridis sampled at 0, 1/8, ..., 1; piecewise linear in between.
  static const float k[9][3] = {
      {0.267004f, 0.004874f, 0.329415f}, {0.282623f, 0.140926f, 0.457517f}, {0.253935f, 0.265254f, 0.529983f},
      {0.206756f, 0.371758f, 0.553117f}, {0.163625f, 0.471133f, 0.558148f}, {0.127568f, 0.566949f, 0.550556f},
      {0.134692f, 0.658636f, 0.517649f}, {0.477504f, 0.821444f, 0.318195f}, {0.993248f, 0.906157f, 0.143936f}};
  if (!(t > 0)) t = 0;  // NaN -> 0
  if (t > 1) t = 1;
  const float s = t * 8;
  const int i = std::min(7, int(s));
  const float f = s - float(i);
  return {k[i][0] + f * (k[i + 1][0] - k[i][0]), k[i][1] + f * (k[i + 1][1] - k[i][1]),
          k[i][2] + f * (k[i + 1][2] - k[i][2])};
}

Rgb signedColor(float t) {
  static const Rgb blue{0.129f, 0.400f, 0.674f}, white{0.969f, 0.969f, 0.969f}, red{0.698f, 0.094f, 0.169f};
  if (!(t == t)) t = 0;
  t = std::max(-1.0f, std::min(1.0f, t));
  const Rgb& end = t < 0 ? blue : red;
  const float f = std::abs(t);
  return {white[0] + f * (end[0] - white[0]), white[1] + f * (end[1] - white[1]), white[2] + f * (end[2] - white[2])};
}

float signedClip(const std::vector<float>& v) {
  std::vector<float> a;
  a.reserve(v.size());
  for (float x : v)
    if (std::isfinite(x)) a.push_back(std::abs(x));
  if (a.empty()) return 0;
  const size_t k = std::min(a.size() - 1, size_t(0.99 * double(a.size() - 1) + 0.5));
  std::nth_element(a.begin(), a.begin() + long(k), a.end());
  return a[k];
}

Rgb classColor(int k) {
  static const unsigned hex[20] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2,
                                   0xffe119, 0xaaffc3, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896,
                                   0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5};
  const unsigned h = hex[((k % 20) + 20) % 20];
  return {float((h >> 16) & 255) / 255.f, float((h >> 8) & 255) / 255.f, float(h & 255) / 255.f};
}

bool pointInPolygon(float x, float y, const std::vector<std::pair<float, float>>& poly) {
  const size_t n = poly.size();
  if (n < 3) return false;
  bool inside = false;
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const float xi = poly[i].first, yi = poly[i].second, xj = poly[j].first, yj = poly[j].second;
    if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool parseNumber(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

}  // namespace

Filter parseFilter(const std::string& text, const std::vector<std::string>& classNames) {
  Filter f;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos >= text.size()) break;
    size_t end = pos;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    const std::string tok = text.substr(pos, end - pos);
    pos = end;
    FilterTerm t;
    double num = 0;
    const std::string lt = lower(tok);
    if (parseNumber(tok, num)) {
      if (num < 0 || num != std::floor(num))
        throw InputError("[filter] '" + tok + "' is not a point index (a whole number >= 0)");
      t.field = FilterTerm::Index;
      t.value = num;
      f.terms.push_back(t);
      continue;
    }
    if (lt == "correct" || lt == "wrong") {
      t.field = FilterTerm::Correct;
      t.value = lt == "correct" ? 1 : 0;
      f.terms.push_back(t);
      continue;
    }
    const size_t opPos = tok.find_first_of("=!<>");
    if (opPos == std::string::npos || opPos == 0)
      throw InputError("[filter] '" + tok +
                       "' is not a term; use e.g. 123, pred=3, label!=3, total>0.5, correct, wrong");
    const std::string key = lower(tok.substr(0, opPos));
    size_t opEnd = opPos;
    while (opEnd < tok.size() && std::string("=!<>").find(tok[opEnd]) != std::string::npos) ++opEnd;
    const std::string op = tok.substr(opPos, opEnd - opPos);
    const std::string val = tok.substr(opEnd);
    if (op == "=" || op == "==")
      t.op = FilterTerm::Eq;
    else if (op == "!=")
      t.op = FilterTerm::Ne;
    else if (op == "<")
      t.op = FilterTerm::Lt;
    else if (op == "<=")
      t.op = FilterTerm::Le;
    else if (op == ">")
      t.op = FilterTerm::Gt;
    else if (op == ">=")
      t.op = FilterTerm::Ge;
    else
      throw InputError("[filter] unknown operator '" + op + "' in '" + tok + "'");
    if (key == "idx" || key == "index" || key == "i")
      t.field = FilterTerm::Index;
    else if (key == "label" || key == "y" || key == "true")
      t.field = FilterTerm::Label;
    else if (key == "pred" || key == "prediction")
      t.field = FilterTerm::Pred;
    else if (key == "total" || key == "u")
      t.field = FilterTerm::Total;
    else if (key == "aleatoric" || key == "alea")
      t.field = FilterTerm::Aleatoric;
    else if (key == "epistemic" || key == "epi" || key == "mi")
      t.field = FilterTerm::Epistemic;
    else
      throw InputError("[filter] unknown field '" + key + "' in '" + tok +
                       "'; fields: index, label, pred, total, aleatoric, epistemic");
    if (val.empty()) throw InputError("[filter] '" + tok + "' has no value after '" + op + "'");
    if (!parseNumber(val, num)) {
      bool found = false;
      if (t.field == FilterTerm::Label || t.field == FilterTerm::Pred)
        for (size_t k = 0; k < classNames.size(); ++k)
          if (lower(classNames[k]) == lower(val)) {
            num = double(k);
            found = true;
          }
      if (!found) throw InputError("[filter] '" + val + "' in '" + tok + "' is not a number or a class name");
    }
    t.value = num;
    f.terms.push_back(t);
  }
  return f;
}

bool filterMatches(const Filter& f, const PointAttrs& p) {
  for (const FilterTerm& t : f.terms) {
    double v = 0;
    switch (t.field) {
      case FilterTerm::Index:
        v = double(p.index);
        break;
      case FilterTerm::Label:
        v = p.label;
        break;
      case FilterTerm::Pred:
        v = p.pred;
        break;
      case FilterTerm::Total:
        v = p.total;
        break;
      case FilterTerm::Aleatoric:
        v = p.aleatoric;
        break;
      case FilterTerm::Epistemic:
        v = p.epistemic;
        break;
      case FilterTerm::Correct:
        if ((p.label == p.pred) != (t.value != 0)) return false;
        continue;
    }
    bool ok = false;
    switch (t.op) {
      case FilterTerm::Eq:
        ok = v == t.value;
        break;
      case FilterTerm::Ne:
        ok = v != t.value;
        break;
      case FilterTerm::Lt:
        ok = v < t.value;
        break;
      case FilterTerm::Le:
        ok = v <= t.value;
        break;
      case FilterTerm::Gt:
        ok = v > t.value;
        break;
      case FilterTerm::Ge:
        ok = v >= t.value;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace latentlab
