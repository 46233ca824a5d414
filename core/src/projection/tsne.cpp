// t-SNE (van der Maaten; Barnes-Hut repulsion by groups of points, or a repulsion given by the
// caller such as FIt-SNE's in layout_tensor.cpp), the CPU engine. Built with -O3 and reassociable
// float sums (core/CMakeLists.txt): the force loops vectorise.
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

namespace {

struct QuadTree {
  struct Node {
    double cx = 0, cy = 0, half = 0;  // square cell: centre and half width
    double mx = 0, my = 0;            // centre of mass (sum while building)
    int64_t count = 0;
    int32_t child = -1;  // first of 4 children, -1 for a leaf
    int32_t point = -1;  // a leaf's point (-1 empty)
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
      while (groupOf[size_t(at)] < 0)
        at = nodes[size_t(at)].child + quadrant(nodes[size_t(at)], y[2 * i], y[2 * i + 1]);
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

}  // namespace

detail::TsneSetup detail::tsneSetup(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt) {
  const int k = std::min<int>(knn.k, int(n - 1));
  detail::checkInputs(X, n, d, knn, std::min<int>(k, int(n - 1)), "t-SNE");
  if (!(opt.perplexity > 0) || opt.perplexity >= double(k))
    throw InputError("t-SNE perplexity " + std::to_string(opt.perplexity) +
                     " needs more than that many neighbours (the kNN graph has " + std::to_string(k) +
                     "; about 3 x perplexity is usual)");
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
  std::vector<float> init = detail::pcaInit(X, n, d, 1e-4);
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
    checkCancel(cancel, "t-SNE");
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

}  // namespace latentlab
