#include "latentlab/projection.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include "latentlab/errors.h"
#include "latentlab/fsutil.h"
#include "latentlab/viewmath.h"
#include "projection_setup.h"

namespace latentlab {

using detail::Csr;

void detail::checkCancel(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load()) throw CancelledError("cancelled");
}

int detail::threadCount(int threads) {
  if (threads > 0) return threads;
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

using detail::checkCancel;
using detail::threadCount;

namespace {

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
std::vector<float> pcaInit(const float* X, int64_t n, int64_t d, double targetStd) {
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

// ---------------------------------------------------------------------------------- quadtree

struct QuadTree {
  struct Node {
    double cx = 0, cy = 0, half = 0;  // square cell: centre and half width
    double mx = 0, my = 0;            // centre of mass (sum while building)
    int64_t count = 0;
    int32_t child = -1;               // first of 4 children, -1 for a leaf
    int32_t point = -1;               // a leaf's point (-1 empty)
  };
  std::vector<Node> nodes;
  const double* y = nullptr;

  void build(const double* pts, int64_t n) {
    y = pts;
    nodes.clear();
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    for (int64_t i = 0; i < n; ++i) {
      x0 = std::min(x0, pts[2 * i]);
      x1 = std::max(x1, pts[2 * i]);
      y0 = std::min(y0, pts[2 * i + 1]);
      y1 = std::max(y1, pts[2 * i + 1]);
    }
    Node root;
    root.cx = 0.5 * (x0 + x1);
    root.cy = 0.5 * (y0 + y1);
    root.half = 0.5 * std::max(x1 - x0, y1 - y0) * (1 + 1e-9) + 1e-12;
    nodes.reserve(size_t(n) * 2 + 16);
    nodes.push_back(root);
    for (int64_t i = 0; i < n; ++i) insert(int32_t(i));
    for (auto& nd : nodes)
      if (nd.count > 0) {
        nd.mx /= double(nd.count);
        nd.my /= double(nd.count);
      }
  }

  int quadrant(const Node& nd, double px, double py) const { return (px >= nd.cx ? 1 : 0) + (py >= nd.cy ? 2 : 0); }

  void split(int32_t at) {
    const int32_t first = int32_t(nodes.size());
    for (int q = 0; q < 4; ++q) {
      Node c;
      const Node& p = nodes[size_t(at)];
      c.half = p.half * 0.5;
      c.cx = p.cx + ((q & 1) ? c.half : -c.half);
      c.cy = p.cy + ((q & 2) ? c.half : -c.half);
      nodes.push_back(c);
    }
    nodes[size_t(at)].child = first;
  }

  void insert(int32_t i) {
    const double px = y[2 * i], py = y[2 * i + 1];
    int32_t at = 0;
    for (int depth = 0;; ++depth) {
      Node& nd = nodes[size_t(at)];
      nd.mx += px;
      nd.my += py;
      nd.count += 1;
      if (nd.child < 0) {
        if (nd.count == 1) {
          nd.point = i;
          return;
        }
        // A second point in a leaf: split, unless the points coincide or the cell is tiny
        // (duplicates then stay together in this leaf).
        const int32_t old = nd.point;
        if (old < 0 || depth > 48 || (y[2 * old] == px && y[2 * old + 1] == py)) return;
        split(at);
        Node& again = nodes[size_t(at)];
        again.point = -1;
        const int q = quadrant(again, y[2 * old], y[2 * old + 1]);
        Node& c = nodes[size_t(again.child + q)];
        c.mx += y[2 * old];
        c.my += y[2 * old + 1];
        c.count = 1;
        c.point = old;
      }
      const Node& cur = nodes[size_t(at)];
      at = cur.child + quadrant(cur, px, py);
    }
  }

  // What the traversal reads, packed (24 bytes a node): centre of mass, squared cell width over
  // theta^2 (infinite-distance test folded in), count, first child (-1 leaf).
  struct Packed {  // 20 bytes: single precision is ample for the far-field approximation
    float mx, my;
    float width2OverTheta2;
    int32_t count;
    int32_t child;
  };
  std::vector<Packed> packed;

  void pack(double theta2) {
    packed.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Node& nd = nodes[i];
      const double width = 2 * nd.half;
      packed[i] = {float(nd.mx), float(nd.my), float(width * width / theta2), int32_t(nd.count), nd.child};
    }
  }

  // Group-wise Barnes-Hut: points are grouped by the largest cells holding at most `groupMax`
  // points. Each group gets one interaction list: the cells far from the whole group (the theta
  // test against the nearest point of the group's cell, so every point of the group passes it)
  // and the leaves near it. Each point then sums over that list in a flat loop. Writes
  // rep[2i..2i+1] = sum_j w^2 (y_i - y_j) and zPer[i] = sum_{j != i} w.
  void repulseGroups(int64_t n, double theta2, int threads, double* rep, double* zPer, int groupMax = 12) const {
    std::vector<int32_t> groups, groupOf(nodes.size(), -1);
    {
      std::vector<int32_t> st{0};
      while (!st.empty()) {
        const int32_t at = st.back();
        st.pop_back();
        const Node& nd = nodes[size_t(at)];
        if (nd.count == 0) continue;
        if (nd.child < 0 || nd.count <= groupMax) {
          groupOf[size_t(at)] = int32_t(groups.size());
          groups.push_back(at);
        } else {
          for (int q = 3; q >= 0; --q) st.push_back(nd.child + q);
        }
      }
    }
    // Points by group (counting sort; within a group in index order).
    std::vector<int32_t> pointGroup(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int32_t at = 0;
      while (groupOf[size_t(at)] < 0) at = nodes[size_t(at)].child + quadrant(nodes[size_t(at)], y[2 * i], y[2 * i + 1]);
      pointGroup[size_t(i)] = groupOf[size_t(at)];
    }
    std::vector<int64_t> start(groups.size() + 1, 0);
    for (int32_t g : pointGroup) ++start[size_t(g) + 1];
    for (size_t g = 0; g < groups.size(); ++g) start[g + 1] += start[g];
    std::vector<int64_t> members(static_cast<size_t>(n)), fill(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) members[size_t(fill[size_t(pointGroup[size_t(i)])]++)] = i;
    parallelFor(int64_t(groups.size()), threads, [&](int64_t gb, int64_t ge) {
      std::vector<float> lx, ly, lc;
      std::vector<int32_t> st;
      for (int64_t g = gb; g < ge; ++g) {
        const Node& cell = nodes[size_t(groups[size_t(g)])];
        lx.clear();
        ly.clear();
        lc.clear();
        st.assign(1, 0);
        while (!st.empty()) {
          const Packed& nd = packed[size_t(st.back())];
          st.pop_back();
          const double ex = std::max(0.0, std::abs(double(nd.mx) - cell.cx) - cell.half);
          const double ey = std::max(0.0, std::abs(double(nd.my) - cell.cy) - cell.half);
          const double dmin2 = ex * ex + ey * ey;
          if (nd.child < 0 || double(nd.width2OverTheta2) < dmin2) {
            lx.push_back(nd.mx);
            ly.push_back(nd.my);
            lc.push_back(float(nd.count));
          } else {
            for (int32_t c = nd.child; c < nd.child + 4; ++c)
              if (packed[size_t(c)].count > 0) st.push_back(c);
          }
        }
        const size_t m = lx.size();
        for (int64_t q = start[size_t(g)]; q < start[size_t(g) + 1]; ++q) {
          const int64_t i = members[size_t(q)];
          const float px = float(y[2 * i]), py = float(y[2 * i + 1]);
          float ax = 0, ay = 0, az = 0;
          for (size_t k = 0; k < m; ++k) {
            const float dx = px - lx[k], dy = py - ly[k];
            const float w = 1.0f / (1.0f + dx * dx + dy * dy);
            const float cw = lc[k] * w;
            az += cw;
            ax += cw * w * dx;
            ay += cw * w * dy;
          }
          rep[2 * i] = ax;
          rep[2 * i + 1] = ay;
          zPer[i] = double(az) - 1.0;  // the point's own leaf: w = 1, no force
        }
      }
    });
  }
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

void checkInputs(const float* X, int64_t n, int64_t d, const Knn& knn, int needK, const char* what) {
  if (n < 3) throw InputError(std::string(what) + " needs at least 3 points, got " + std::to_string(n));
  if (!X || d < 1) throw InputError(std::string(what) + ": no latent codes");
  if (knn.n != n || knn.k < needK)
    throw InputError(std::string(what) + ": the kNN graph has " + std::to_string(knn.n) + " points x " +
                     std::to_string(knn.k) + " neighbours, need " + std::to_string(n) + " x " + std::to_string(needK));
  for (int64_t i = 0; i < n * d; ++i)
    if (!std::isfinite(X[i])) throw InputError(std::string(what) + ": latent " + std::to_string(i / d) + " is not finite");
}

}  // namespace

// ---------------------------------------------------------------------------------- PCA

std::vector<float> runPca(const float* X, int64_t n, int64_t d) {
  Pca2 p = fitPca2(X, n, d);
  std::vector<float> xy(size_t(2 * n));
  projectPca2(p, X, n, xy.data());
  return xy;
}

// ---------------------------------------------------------------------------------- t-SNE

detail::TsneSetup detail::tsneSetup(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt) {
  const int k = std::min<int>(knn.k, int(n - 1));
  checkInputs(X, n, d, knn, std::min<int>(k, int(n - 1)), "t-SNE");
  if (!(opt.perplexity > 0) || opt.perplexity >= double(k))
    throw InputError("t-SNE perplexity " + std::to_string(opt.perplexity) + " needs more than that many neighbours (the kNN graph has " +
                     std::to_string(k) + "; about 3 x perplexity is usual)");
  const int threads = threadCount(opt.threads);

  // Conditional probabilities p_{j|i} over the k neighbours, by binary search on the precision.
  std::vector<double> p(size_t(n) * size_t(k));
  const double target = std::log(opt.perplexity);
  parallelFor(n, threads, [&](int64_t b, int64_t e) {
    std::vector<double> d2(static_cast<size_t>(k));
    for (int64_t i = b; i < e; ++i) {
      for (int j = 0; j < k; ++j) {
        const double v = knn.dist[size_t(i * knn.k + j)];
        d2[size_t(j)] = v * v;
      }
      const double dmin = d2[0];
      double beta = 1, lo = 0, hi = std::numeric_limits<double>::infinity();
      for (int it = 0; it < 200; ++it) {
        double sum = 0, sumDP = 0;
        for (int j = 0; j < k; ++j) {
          const double pj = std::exp(-beta * (d2[size_t(j)] - dmin));
          sum += pj;
          sumDP += pj * (d2[size_t(j)] - dmin);
        }
        const double h = std::log(sum) + beta * sumDP / sum;
        if (std::abs(h - target) < 1e-5) break;
        if (h > target) {
          lo = beta;
          beta = std::isinf(hi) ? beta * 2 : 0.5 * (beta + hi);
        } else {
          hi = beta;
          beta = 0.5 * (beta + lo);
        }
      }
      double sum = 0;
      for (int j = 0; j < k; ++j) sum += (p[size_t(i * k + j)] = std::exp(-beta * (d2[size_t(j)] - dmin)));
      for (int j = 0; j < k; ++j) p[size_t(i * k + j)] /= sum;
    }
  });
  // Symmetrise: P_ij = (p_{j|i} + p_{i|j}) / 2n.
  TsneSetup s;
  s.P = symmetrise(knn, k, p, [](double a, double b) { return a + b; });
  double total = 0;
  for (double v : s.P.val) total += v;
  for (double& v : s.P.val) v /= total;

  // Initialisation.
  std::vector<float> init = pcaInit(X, n, d, 1e-4);
  s.y.assign(init.begin(), init.end());
  Rng rng(opt.seed);  // a tiny jitter so that identical latents do not start on one spot
  for (auto& v : s.y) v += 1e-8 * (rng.uniform() - 0.5);
  s.learningRate = opt.learningRate > 0 ? opt.learningRate : std::max(double(n) / opt.exaggeration, 200.0);
  return s;
}

std::vector<float> runTsne(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt,
                           const LayoutProgress& progress, const std::atomic<bool>* cancel) {
  detail::TsneSetup s = detail::tsneSetup(X, n, d, knn, opt);
  const Csr& P = s.P;
  std::vector<double>& y = s.y;
  const int threads = threadCount(opt.threads);
  std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0), grad(y.size());
  std::vector<double> rep(y.size()), zPer(static_cast<size_t>(n));
  const double lr = s.learningRate;
  const double theta2 = opt.theta * opt.theta;
  QuadTree tree;
  std::vector<float> snapshot;
  for (int it = 0; it < opt.iterations; ++it) {
    checkCancel(cancel);
    const bool early = it < opt.exaggerationIterations;
    const double exag = early ? opt.exaggeration : 1.0;
    const double momentum = early ? 0.5 : 0.8;
    const bool bh = !opt.repulsion;
    double Zfft = 0;
    if (bh) {
      tree.build(y.data(), n);
      tree.pack(theta2);
      tree.repulseGroups(n, theta2, threads, rep.data(), zPer.data());
    } else {
      Zfft = opt.repulsion(y.data(), n, rep.data());
    }
    parallelFor(n, threads, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double ax = 0, ay = 0;
        for (int64_t q = P.rowStart[size_t(i)]; q < P.rowStart[size_t(i) + 1]; ++q) {
          const int32_t j = P.col[size_t(q)];
          const double dx = y[size_t(2 * i)] - y[size_t(2 * j)], dy = y[size_t(2 * i + 1)] - y[size_t(2 * j + 1)];
          const double w = P.val[size_t(q)] / (1.0 + dx * dx + dy * dy);
          ax += w * dx;
          ay += w * dy;
        }
        grad[size_t(2 * i)] = ax;
        grad[size_t(2 * i + 1)] = ay;
      }
    });
    double Z = Zfft;
    if (bh)
      for (double v : zPer) Z += v;  // in index order: the same sum for any thread count
    Z = std::max(Z, 1e-300);
    double mx = 0, my = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int c = 0; c < 2; ++c) {
        const size_t s = size_t(2 * i + c);
        const double g = 4.0 * (exag * grad[s] - rep[s] / Z);
        gains[s] = (g > 0) != (update[s] > 0) ? gains[s] + 0.2 : std::max(0.01, gains[s] * 0.8);
        update[s] = momentum * update[s] - lr * gains[s] * g;
        y[s] += update[s];
        (c == 0 ? mx : my) += y[s];
      }
    mx /= double(n);
    my /= double(n);
    for (int64_t i = 0; i < n; ++i) {
      y[size_t(2 * i)] -= mx;
      y[size_t(2 * i + 1)] -= my;
    }
    if (progress && (it % std::max(1, opt.progressEvery) == 0 || it + 1 == opt.iterations)) {
      snapshot.assign(y.begin(), y.end());
      progress(snapshot, it + 1, opt.iterations);
    }
  }
  return std::vector<float>(y.begin(), y.end());
}

// ---------------------------------------------------------------------------------- UMAP

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
  checkInputs(X, n, d, knn, k, "UMAP");
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
    edges.push_back({s.head[e], s.tail[e], s.perSample[e], s.perSample[e], s.perSample[e] / double(opt.negativeSamples)});
  const double a = s.a, b = s.b;
  const int epochs = s.epochs;
  std::vector<float>& y = s.y;

  Rng rng(opt.seed);
  auto clip = [](double g) { return std::max(-4.0, std::min(4.0, g)); };
  for (int ep = 0; ep < epochs; ++ep) {
    checkCancel(cancel);
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

// ---------------------------------------------------------------------------------- quality

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
  if (m < k + 2) throw InputError("layout quality needs more than " + std::to_string(k + 1) + " points, got " + std::to_string(m));
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
      if (rankHi[size_t(c)] > k) trustSum += double(rankHi[size_t(c)] - k);
      else ++recallHits;
    }
    if (labels) {
      std::vector<int> votes;
      int best = -1, bestCount = 0;
      std::vector<std::pair<int, int>> counts;
      for (int r = 1; r <= k; ++r) {
        const int lab = labels[ids[size_t(lo[size_t(r)].second)]];
        auto it = std::find_if(counts.begin(), counts.end(), [&](auto& p) { return p.first == lab; });
        if (it == counts.end()) counts.emplace_back(lab, 1);
        else ++it->second;
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

// ---------------------------------------------------------------------------------- placement

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

// ---------------------------------------------------------------------------------- inverse

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
  auto cross = [](auto o, auto a, auto b) { return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first); };
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

// ---------------------------------------------------------------------------------- files

void writeLayoutCsv(const std::string& path, const std::vector<float>& xy) {
  std::ostringstream out;
  out << "index,x,y\n";
  out.precision(9);
  for (size_t i = 0; i + 1 < xy.size(); i += 2) out << i / 2 << ',' << xy[i] << ',' << xy[i + 1] << '\n';
  writeFileAtomic(path, out.str());
}

std::vector<float> readLayoutCsv(const std::string& path, int64_t expectedPoints) {
  const std::string text = readTextFile(path);
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  auto fail = [&](const std::string& msg) { throw InputError(path + ":" + std::to_string(lineNo) + ": " + msg); };
  std::vector<float> xy(size_t(2 * std::max<int64_t>(0, expectedPoints)), 0.0f);
  std::vector<uint8_t> seen(size_t(std::max<int64_t>(0, expectedPoints)), 0);
  int64_t rows = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (lineNo == 1) {
      std::string h = line;
      h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
      if (h != "index,x,y") fail("the header must be 'index,x,y', got '" + line + "'");
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (cells.size() != 3) fail("expected 3 values (index,x,y), got " + std::to_string(cells.size()));
    char* end = nullptr;
    const long long idx = std::strtoll(cells[0].c_str(), &end, 10);
    if (cells[0].empty() || *end != '\0') fail("index '" + cells[0] + "' is not a whole number");
    if (idx < 0 || idx >= expectedPoints)
      fail("index " + cells[0] + " is out of range (the bundle has " + std::to_string(expectedPoints) + " points)");
    if (seen[size_t(idx)]) fail("index " + cells[0] + " appears twice");
    double v[2];
    for (int c = 0; c < 2; ++c) {
      v[c] = std::strtod(cells[size_t(c + 1)].c_str(), &end);
      if (cells[size_t(c + 1)].empty() || *end != '\0' || !std::isfinite(v[c]))
        fail(std::string(c == 0 ? "x" : "y") + " '" + cells[size_t(c + 1)] + "' is not a finite number");
    }
    seen[size_t(idx)] = 1;
    xy[size_t(2 * idx)] = float(v[0]);
    xy[size_t(2 * idx + 1)] = float(v[1]);
    ++rows;
  }
  if (lineNo == 0) throw InputError(path + ": empty file (expected a header 'index,x,y')");
  if (rows != expectedPoints)
    throw InputError(path + ": " + std::to_string(rows) + " rows, but the bundle has " + std::to_string(expectedPoints) +
                     " points (one row per point is needed)");
  return xy;
}

uint64_t latentsChecksum(const float* X, int64_t n, int64_t d) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the bytes
  const auto* p = reinterpret_cast<const unsigned char*>(X);
  for (int64_t i = 0; i < n * d * int64_t(sizeof(float)); ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h ^ uint64_t(n) ^ (uint64_t(d) << 40);
}

namespace {
constexpr char kLayoutMagic[8] = {'L', 'L', 'L', 'A', 'Y', 'O', 'U', '1'};
}

void saveLayoutCache(const std::string& path, const std::string& method, const std::vector<float>& xy,
                     uint64_t checksum, const std::string& qualityJson) {
  std::string bytes(kLayoutMagic, 8);
  auto put64 = [&](uint64_t v) { bytes.append(reinterpret_cast<const char*>(&v), 8); };
  put64(method.size());
  bytes += method;
  put64(uint64_t(xy.size() / 2));
  put64(checksum);
  put64(qualityJson.size());
  bytes += qualityJson;
  bytes.append(reinterpret_cast<const char*>(xy.data()), xy.size() * sizeof(float));
  uint64_t sum = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    sum ^= c;
    sum *= 1099511628211ull;
  }
  put64(sum);
  writeFileAtomic(path, bytes);
}

bool loadLayoutCache(const std::string& path, const std::string& method, int64_t n, uint64_t checksum,
                     std::vector<float>& xy, std::string* qualityJson) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  auto get64 = [&](uint64_t& v) {
    if (pos + 8 > bytes.size()) return false;
    std::memcpy(&v, bytes.data() + pos, 8);
    pos += 8;
    return true;
  };
  if (bytes.size() < 8 + 8 * 5 || std::memcmp(bytes.data(), kLayoutMagic, 8) != 0) return false;
  pos = 8;
  uint64_t len = 0, count = 0, sum = 0, qlen = 0, stored = 0;
  if (!get64(len) || len > 64 || pos + len > bytes.size()) return false;
  const std::string m = bytes.substr(pos, size_t(len));
  pos += size_t(len);
  if (!get64(count) || !get64(sum) || !get64(qlen) || qlen > (1u << 20) || pos + qlen > bytes.size()) return false;
  const std::string q = bytes.substr(pos, size_t(qlen));
  pos += size_t(qlen);
  if (m != method || int64_t(count) != n || sum != checksum) return false;
  if (bytes.size() != pos + count * 2 * sizeof(float) + 8) return false;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < bytes.size() - 8; ++i) {
    h ^= static_cast<unsigned char>(bytes[i]);
    h *= 1099511628211ull;
  }
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (stored != h) return false;
  std::vector<float> out(size_t(count) * 2);
  std::memcpy(out.data(), bytes.data() + pos, out.size() * sizeof(float));
  for (float v : out)
    if (!std::isfinite(v)) return false;
  xy = std::move(out);
  if (qualityJson) *qualityJson = q;
  return true;
}

}  // namespace latentlab
