// The tensor layout engine: t-SNE with FIt-SNE's FFT-interpolated repulsion and UMAP with all of an
// epoch's edges at once, every iteration in LibTorch on a torch::Device (for GPUs). Also the FFT
// repulsion the CPU engine uses from 20,000 points.
#include <torch/torch.h>

#include <algorithm>

#include "latentlab/model/models_torch.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "projection/layout_common.h"

namespace latentlab {

namespace {

// dst.index_add_(0, rows, src) for a 2-D dst [r, c] and src [m, c], through the 1-D index_add_:
// LibTorch 1.13's CPU kernel adds a 2-D source one row slice at a time (about 40 ns a row, so
// 26 ms for 630,000 rows), the 1-D one in a plain loop. The same sums on a GPU.
torch::Tensor rowAdd(torch::Tensor dst, const torch::Tensor& rows, const torch::Tensor& src) {
  const int64_t c = dst.size(1);
  const torch::Tensor flat = (rows.unsqueeze(1) * c + torch::arange(c, rows.options())).reshape({-1});
  dst.view({-1}).index_add_(0, flat, src.reshape({-1}));
  return dst;
}

// The FFT-interpolated t-SNE repulsion on tensors (Linderman et al., FIt-SNE), on y's device.
// y [n, 2] float32. Returns rep [n, 2] = sum_j w_ij^2 (y_i - y_j) and Z = sum_{i != j} w_ij
// (a 0-dim tensor), w = 1 / (1 + |y_i - y_j|^2). Each dimension is cut into boxes at most 1
// unit wide (50 to 1,000 a side) with p Lagrange nodes in each; the charges 1, y_x and y_y are
// spread onto the node grid, convolved with the kernels w and w^2 by FFT, and interpolated back.
// With `loops`, the spreading and the interpolation run as plain loops (CPU tensors only): at 70k
// points they take 3 ms there against 10 ms as the tensor ops, which are what a GPU runs.
std::pair<torch::Tensor, torch::Tensor> fftRepulsionTensor(const torch::Tensor& y, int p, bool loops) {
  const auto fo = y.options();
  const auto io = fo.dtype(torch::kLong);
  const auto ext = torch::stack({y.min(), y.max()}).to(torch::kCPU, torch::kFloat64);  // the one host sync
  const double lo = ext[0].item<double>(), hi = ext[1].item<double>();
  if (!std::isfinite(lo) || !std::isfinite(hi)) throw Error("t-SNE diverged: the layout has non-finite positions");
  const double span = std::max(hi - lo, 1e-9);
  // At most 1,000 boxes a side (a 6,000 x 6,000 FFT with 3 nodes), so a runaway layout cannot
  // exhaust memory; t-SNE layouts of 70,000 points span about 200 units.
  const int boxes = int(std::min(1000.0, std::max(50.0, std::ceil(span))));
  const double boxW = span / boxes * (1 + 1e-9), h = boxW / p;
  const int64_t N = int64_t(boxes) * p, M = 2 * N, n = y.size(0), pp = int64_t(p) * p;
  // Node of each point's box and its Lagrange weights L_k(t) = prod_{m != k} (t - s_m) / (s_k - s_m),
  // s_m = (m + 0.5) h, per dimension; the 2-D weight of node (kx, ky) is L_kx(t_x) L_ky(t_y).
  torch::Tensor grid = torch::zeros({3, M * M}, fo);  // the charges 1, y_x and y_y, one plane each
  torch::Tensor w, at, atN;                           // the tensor path's [n * p * p] weights and grid indices
  std::vector<int32_t> boxH;
  std::vector<float> wH;
  torch::Tensor yc;
  if (loops) {
    yc = y.contiguous();
    const float* yp = yc.data_ptr<float>();
    boxH.resize(size_t(2 * n));
    std::vector<double> L(size_t(2 * n * p));
    for (int64_t i = 0; i < 2 * n; ++i) {
      const int b = std::clamp(int((yp[i] - lo) / boxW), 0, boxes - 1);
      boxH[size_t(i)] = b;
      const double t = yp[i] - lo - b * boxW;
      for (int k = 0; k < p; ++k) {
        double v = 1;
        for (int m = 0; m < p; ++m)
          if (m != k) v *= (t - (m + 0.5) * h) / ((k - m) * h);
        L[size_t(i * p + k)] = v;
      }
    }
    wH.resize(size_t(n * pp));
    float* g = grid.data_ptr<float>();
    const size_t plane = size_t(M) * size_t(M);
    for (int64_t i = 0; i < n; ++i)
      for (int kx = 0; kx < p; ++kx)
        for (int ky = 0; ky < p; ++ky) {
          const float wv = float(L[size_t((2 * i) * p + kx)] * L[size_t((2 * i + 1) * p + ky)]);
          wH[size_t(i * pp + kx * p + ky)] = wv;
          const size_t a = size_t(boxH[size_t(2 * i)] * p + kx) * size_t(M) + size_t(boxH[size_t(2 * i + 1)] * p + ky);
          g[a] += wv;
          g[plane + a] += wv * yp[2 * i];
          g[2 * plane + a] += wv * yp[2 * i + 1];
        }
  } else {
    const torch::Tensor rel = y - lo;
    const torch::Tensor box = (rel / boxW).floor().clamp(0, boxes - 1);
    const torch::Tensor t = rel - box * boxW;                                      // [n, 2], in [0, boxW)
    const torch::Tensor diff = t.unsqueeze(2) - (torch::arange(p, fo) + 0.5) * h;  // [n, 2, p]: t - s_m
    std::vector<torch::Tensor> Ls;
    for (int k = 0; k < p; ++k) {
      torch::Tensor num = torch::ones_like(t);
      double den = 1;
      for (int m = 0; m < p; ++m)
        if (m != k) {
          num = num * diff.select(2, m);
          den *= (k - m) * h;
        }
      Ls.push_back(num / den);
    }
    const torch::Tensor L = torch::stack(Ls, 2);                                              // [n, 2, p]
    const torch::Tensor node = box.to(torch::kLong).unsqueeze(2) * p + torch::arange(p, io);  // [n, 2, p]
    w = (L.select(1, 0).unsqueeze(2) * L.select(1, 1).unsqueeze(1)).reshape({n * pp});
    at = (node.select(1, 0).unsqueeze(2) * M + node.select(1, 1).unsqueeze(1)).reshape({n * pp});
    atN = (node.select(1, 0).unsqueeze(2) * N + node.select(1, 1).unsqueeze(1)).reshape({n * pp});
    grid[0].index_add_(0, at, w);  // 1-D index_add_: see rowAdd
    for (int c = 0; c < 2; ++c)
      grid[c + 1].index_add_(0, at, (w.view({n, pp}) * y.select(1, c).unsqueeze(1)).reshape({n * pp}));
  }
  // Kernels on node offsets, circularly embedded: index j < N is offset j, j > N is j - M.
  torch::Tensor off = torch::arange(M, fo);
  off = torch::where(off < double(N), off, off - double(M)) * h;
  torch::Tensor k1 = 1.0 / (1.0 + off.square().unsqueeze(1) + off.square().unsqueeze(0));
  k1.select(0, N).zero_();
  k1.select(1, N).zero_();
  const torch::Tensor Q = torch::fft::rfft2(grid.view({3, M, M}));
  const torch::Tensor KH = torch::fft::rfft2(torch::stack({k1, k1.square()}));
  // phi1 = K1 * 1, phi2 = K2 * 1, phix = K2 * y_x, phiy = K2 * y_y
  const torch::Tensor prod = torch::stack({Q[0] * KH[0], Q[0] * KH[1], Q[1] * KH[1], Q[2] * KH[1]});
  const torch::Tensor phi =
      torch::fft::irfft2(prod, torch::IntArrayRef{M, M}).slice(1, 0, N).slice(2, 0, N).contiguous();
  torch::Tensor v;  // [4, n]: each point's interpolated phi1, phi2, phix, phiy
  if (loops) {
    v = torch::empty({4, n}, fo);
    const float* ph = phi.data_ptr<float>();
    float* vp = v.data_ptr<float>();
    const size_t plane = size_t(N) * size_t(N);
    for (int64_t i = 0; i < n; ++i) {
      float s[4] = {0, 0, 0, 0};
      for (int kx = 0; kx < p; ++kx)
        for (int ky = 0; ky < p; ++ky) {
          const float wv = wH[size_t(i * pp + kx * p + ky)];
          const size_t a = size_t(boxH[size_t(2 * i)] * p + kx) * size_t(N) + size_t(boxH[size_t(2 * i + 1)] * p + ky);
          for (int c = 0; c < 4; ++c) s[c] += wv * ph[c * plane + a];
        }
      for (int c = 0; c < 4; ++c) vp[c * n + i] = s[c];
    }
  } else {
    v = (phi.view({4, N * N}).index_select(1, atN).view({4, n, pp}) * w.view({1, n, pp})).sum(2);
  }
  // The point's own term (w_ii = 1) is in phi1 and phi2; it adds nothing to the force.
  const torch::Tensor Z = v[0].sum() - double(n);
  const torch::Tensor rep = y * v[1].unsqueeze(1) - v.slice(0, 2, 4).t();
  return {rep, Z};
}

void checkNodes(int nodesPerBox) {
  if (nodesPerBox < 2 || nodesPerBox > 8)
    throw InputError("FFT repulsion: nodes per box must be 2..8, got " + std::to_string(nodesPerBox));
}

// On CUDA, index_add_ sums in an arbitrary order unless deterministic algorithms are on; this
// turns them on (warnings only, never errors) for one layout and restores the previous setting.
struct DeterministicScope {
  bool on = false, was = false, wasWarnOnly = false;
  explicit DeterministicScope(const torch::Device& dev) : on(dev.is_cuda()) {
    if (!on) return;
    was = at::globalContext().deterministicAlgorithms();
    wasWarnOnly = at::globalContext().deterministicAlgorithmsWarnOnly();
    at::globalContext().setDeterministicAlgorithms(true, true);
  }
  ~DeterministicScope() {
    if (on) at::globalContext().setDeterministicAlgorithms(was, wasWarnOnly);
  }
};

std::vector<float> toHost(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

std::function<double(const double*, int64_t, double*)> fftRepulsion(const std::string& device, int nodesPerBox,
                                                                    bool tensorOps) {
  const torch::Device dev = parseDevice(device);
  checkNodes(nodesPerBox);
  const bool loops = dev.is_cpu() && !tensorOps;
  return [dev, nodesPerBox, loops](const double* y, int64_t n, double* rep) -> double {
    torch::NoGradGuard ng;
    const torch::Tensor yt = torch::from_blob(const_cast<double*>(y), {n, 2}, torch::kFloat64).to(dev, torch::kFloat32);
    auto [r, Z] = fftRepulsionTensor(yt, nodesPerBox, loops);
    const torch::Tensor rh = r.to(torch::kCPU, torch::kFloat64).contiguous();
    std::copy(rh.data_ptr<double>(), rh.data_ptr<double>() + 2 * n, rep);
    return Z.item<double>();
  };
}

std::vector<float> runTsneTensor(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt,
                                 const std::string& device, const LayoutProgress& progress,
                                 const std::atomic<bool>* cancel) {
  const torch::Device dev = parseDevice(device);
  const int nodes = opt.fftNodes;
  checkNodes(nodes);
  detail::TsneSetup s = detail::tsneSetup(X, n, d, knn, opt);
  torch::NoGradGuard ng;
  DeterministicScope det(dev);
  const auto fo = torch::TensorOptions().dtype(torch::kFloat32).device(dev);
  const int64_t nnz = int64_t(s.P.col.size());
  std::vector<int64_t> rowsH(static_cast<size_t>(nnz)), colsH(s.P.col.begin(), s.P.col.end());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = s.P.rowStart[size_t(i)]; q < s.P.rowStart[size_t(i) + 1]; ++q) rowsH[size_t(q)] = i;
  const torch::Tensor rows = torch::from_blob(rowsH.data(), {nnz}, torch::kLong).to(dev);
  const torch::Tensor cols = torch::from_blob(colsH.data(), {nnz}, torch::kLong).to(dev);
  const torch::Tensor vals = torch::from_blob(s.P.val.data(), {nnz}, torch::kFloat64).to(dev, torch::kFloat32);
  torch::Tensor y = torch::from_blob(s.y.data(), {n, 2}, torch::kFloat64).to(dev, torch::kFloat32);
  torch::Tensor update = torch::zeros({n, 2}, fo), gains = torch::ones({n, 2}, fo);
  for (int it = 0; it < opt.iterations; ++it) {
    checkCancel(cancel, "layout");
    const bool early = it < opt.exaggerationIterations;
    const double exag = early ? opt.exaggeration : 1.0, momentum = early ? 0.5 : 0.8;
    auto [rep, Z] = fftRepulsionTensor(y, nodes, false);  // what a GPU runs, on any device

    const torch::Tensor diff = y.index_select(0, rows) - y.index_select(0, cols);
    const torch::Tensor w = vals / (1.0 + diff.square().sum(1));
    const torch::Tensor attr = rowAdd(torch::zeros({n, 2}, fo), rows, diff * w.unsqueeze(1));

    const torch::Tensor g = 4.0 * (exag * attr - rep / Z.clamp_min(1e-30));
    gains = torch::where((g > 0) != (update > 0), gains + 0.2, (gains * 0.8).clamp_min(0.01));
    update = momentum * update - s.learningRate * gains * g;
    y = y + update;
    y = y - y.mean(0, true);
    if (progress && (it % std::max(1, opt.progressEvery) == 0 || it + 1 == opt.iterations))
      progress(toHost(y), it + 1, opt.iterations);
  }
  return toHost(y);
}

namespace {
// A counter-based hash to 31 bits on int64 tensors (no products above 2^62, so no overflow):
// the negative samples of the tensor UMAP, the same on every device.
torch::Tensor hash31(torch::Tensor x) {
  x = x.bitwise_and(0x7fffffff);
  x = (x.bitwise_xor(x.bitwise_right_shift(15)) * 0x2c1b3c6d).bitwise_and(0x7fffffff);
  x = (x.bitwise_xor(x.bitwise_right_shift(12)) * 0x297a2d39).bitwise_and(0x7fffffff);
  return x.bitwise_xor(x.bitwise_right_shift(15));
}
}  // namespace

std::vector<float> runUmapTensor(const float* X, int64_t n, int64_t d, const Knn& knn, const UmapOptions& opt,
                                 const std::string& device, const LayoutProgress& progress,
                                 const std::atomic<bool>* cancel) {
  const torch::Device dev = parseDevice(device);
  detail::UmapSetup s = detail::umapSetup(X, n, d, knn, opt);
  torch::NoGradGuard ng;
  DeterministicScope det(dev);
  const auto fo = torch::TensorOptions().dtype(torch::kFloat32).device(dev);
  const int64_t m = int64_t(s.head.size());
  const torch::Tensor head = torch::from_blob(s.head.data(), {m}, torch::kInt).to(dev, torch::kLong);
  const torch::Tensor tail = torch::from_blob(s.tail.data(), {m}, torch::kInt).to(dev, torch::kLong);
  const torch::Tensor perSample = torch::from_blob(s.perSample.data(), {m}, torch::kFloat64).to(dev);
  const torch::Tensor perNeg = perSample / double(opt.negativeSamples);
  torch::Tensor next = perSample.clone(), nextNeg = perNeg.clone();
  torch::Tensor y = torch::from_blob(s.y.data(), {n, 2}, torch::kFloat32).to(dev).clone();
  const double a = s.a, b = s.b;
  const torch::Tensor seedHash =
      hash31(torch::full({1}, int64_t(opt.seed % 0x7fffffff), torch::TensorOptions().dtype(torch::kLong).device(dev)));
  for (int ep = 0; ep < s.epochs; ++ep) {
    checkCancel(cancel, "layout");
    const double alpha = opt.learningRate * (1.0 - double(ep) / double(s.epochs));
    // Every edge due this epoch moves both ends by the clipped attraction, all from the same
    // positions (as GPU UMAP implementations do), then each pulls its negative samples.
    const torch::Tensor due = (next <= double(ep + 1)).nonzero().squeeze(1);
    const torch::Tensor h = head.index_select(0, due), t = tail.index_select(0, due);
    torch::Tensor delta = torch::zeros({n, 2}, fo);
    {
      const torch::Tensor dv = y.index_select(0, h) - y.index_select(0, t);
      const torch::Tensor d2 = dv.square().sum(1, true);
      const torch::Tensor coef =
          torch::where(d2 > 0, -2.0 * a * b * d2.pow(b - 1.0) / (1.0 + a * d2.pow(b)), torch::zeros_like(d2));
      const torch::Tensor g = (coef * dv).clamp(-4.0, 4.0) * alpha;
      rowAdd(rowAdd(delta, h, g), t, -g);
    }
    next.index_add_(0, due, perSample.index_select(0, due));
    const torch::Tensor pn = perNeg.index_select(0, due);
    const torch::Tensor negs = ((double(ep + 1) - nextNeg.index_select(0, due)) / pn).floor().clamp_min(0);
    nextNeg.index_add_(0, due, negs * pn);
    const torch::Tensor nh = h.repeat_interleave(negs.to(torch::kLong));
    if (nh.numel() > 0) {
      const torch::Tensor counter =
          torch::arange(nh.numel(), head.options()) + int64_t(int64_t(ep) * 0x9E3779B1LL % 0x7fffffff);
      const torch::Tensor c = hash31(hash31(counter).bitwise_xor(seedHash)).remainder(n);
      const torch::Tensor dv = y.index_select(0, nh) - y.index_select(0, c);
      const torch::Tensor d2 = dv.square().sum(1, true);
      const torch::Tensor coef = 2.0 * b / ((0.001 + d2) * (1.0 + a * d2.pow(b)));
      torch::Tensor g = torch::where(d2 > 0, (coef * dv).clamp(-4.0, 4.0), torch::full_like(dv, 4.0));
      g = g * ((c != nh).to(torch::kFloat32) * alpha).unsqueeze(1);  // a point is not its own negative
      rowAdd(delta, nh, g);
    }
    y = y + delta;
    if (progress && (ep % std::max(1, opt.progressEvery) == 0 || ep + 1 == s.epochs))
      progress(toHost(y), ep + 1, s.epochs);
  }
  return toHost(y);
}

}  // namespace latentlab
