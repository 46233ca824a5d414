// kNN graphs for the projections: exact through LibTorch (on any device), approximate through
// hnswlib (Debian's libhnswlib-dev).
// hnswlib 0.6.2's SSE path prefetches one element past a link list (upstream nmslib/hnswlib #107,
// #578). In a normal build the 4 bytes read lie inside malloc's chunk and only steer a prefetch
// hint, but AddressSanitizer rightly flags it, so sanitizer builds use hnswlib's plain loops.
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "latentlab/errors.h"
#include "latentlab/models.h"
#include "latentlab/projection.h"

namespace latentlab {

namespace {

void checkArgs(const float* X, int64_t n, int64_t d, int k) {
  if (!X || n < 2 || d < 1) throw InputError("kNN needs at least 2 points with d >= 1, got n=" + std::to_string(n));
  if (k < 1 || k >= n)
    throw InputError("kNN: k = " + std::to_string(k) + " must be between 1 and n - 1 = " + std::to_string(n - 1));
}

// An empty graph of n x k, to fill.
Knn emptyKnn(int64_t n, int k, bool exact) {
  Knn out;
  out.n = n;
  out.k = k;
  out.exact = exact;
  out.idx.resize(size_t(n * k));
  out.dist.resize(size_t(n * k));
  return out;
}

}  // namespace

Knn knnExact(const float* X, int64_t n, int64_t d, int k, const std::string& device, const std::atomic<bool>* cancel) {
  checkArgs(X, n, d, k);
  torch::NoGradGuard ng;
  const torch::Device dev = parseDevice(device);
  const torch::Tensor all = torch::from_blob(const_cast<float*>(X), {n, d}, torch::kFloat32).to(dev, torch::kFloat32);
  const torch::Tensor sq = (all * all).sum(1);
  Knn out = emptyKnn(n, k, true);
  const int64_t block = std::max<int64_t>(64, std::min<int64_t>(4096, (int64_t(1) << 23) / std::max<int64_t>(1, n)));
  for (int64_t b = 0; b < n; b += block) {
    if (cancel && cancel->load()) throw CancelledError("cancelled");
    const int64_t e = std::min(n, b + block);
    const torch::Tensor q = all.slice(0, b, e);
    // |q - x|^2 = |q|^2 + |x|^2 - 2 q.x (float32: a single-precision GEMM).
    torch::Tensor d2 = (sq.slice(0, b, e).unsqueeze(1) + sq.unsqueeze(0) - 2.0 * q.mm(all.t())).clamp_min(0.0);
    d2.scatter_(1, torch::arange(b, e, torch::TensorOptions().dtype(torch::kLong).device(dev)).unsqueeze(1),
                std::numeric_limits<double>::infinity());  // not itself
    auto [vals, idx] = d2.topk(k, 1, /*largest=*/false, /*sorted=*/true);
    const torch::Tensor v = vals.sqrt().to(torch::kCPU, torch::kFloat32).contiguous();
    const torch::Tensor ix = idx.to(torch::kCPU, torch::kInt32).contiguous();
    std::copy_n(v.data_ptr<float>(), (e - b) * k, out.dist.begin() + b * k);
    std::copy_n(ix.data_ptr<int32_t>(), (e - b) * k, out.idx.begin() + b * k);
  }
  return out;
}

Knn knnApprox(const float* X, int64_t n, int64_t d, int k, uint64_t seed, int threads, const std::atomic<bool>* cancel) {
  checkArgs(X, n, d, k);
  hnswlib::L2Space space(static_cast<size_t>(d));
  // Built on one thread: hnswlib's parallel insertion order, and so the graph, varies run to run.
  hnswlib::HierarchicalNSW<float> index(&space, size_t(n), 16, 100, size_t(seed % 1000003));
  for (int64_t i = 0; i < n; ++i) {
    if ((i & 1023) == 0 && cancel && cancel->load()) throw CancelledError("cancelled");
    index.addPoint(X + i * d, size_t(i));
  }
  index.setEf(size_t(std::max(k + 1, 64)));
  Knn out = emptyKnn(n, k, false);
  const int t = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  std::atomic<bool> failed{false};
  for (int c = 0; c < t; ++c)
    pool.emplace_back([&, c] {
      int64_t done = 0;
      for (int64_t i = c; i < n && !failed; i += t) {
        if (++done % 1024 == 0 && cancel && cancel->load()) {
          failed = true;
          return;
        }
        auto res = index.searchKnn(X + i * d, size_t(k + 1));
        std::vector<std::pair<float, int64_t>> found;
        while (!res.empty()) {
          if (int64_t(res.top().second) != i) found.emplace_back(res.top().first, int64_t(res.top().second));
          res.pop();
        }
        std::sort(found.begin(), found.end());
        found.resize(std::min(found.size(), size_t(k)));
        for (int j = 0; j < k; ++j) {
          // Should the index return fewer (never for k < n with this ef), repeat the farthest.
          const auto& f = found[std::min(size_t(j), found.size() - 1)];
          out.idx[size_t(i * k + j)] = int32_t(f.second);
          out.dist[size_t(i * k + j)] = std::sqrt(std::max(0.0f, f.first));
        }
      }
    });
  for (auto& th : pool) th.join();
  if (failed) throw CancelledError("cancelled");
  return out;
}

Knn knnAuto(const float* X, int64_t n, int64_t d, int k, const std::string& device, uint64_t seed, int threads,
            const std::atomic<bool>* cancel, int64_t exactMax) {
  if (n <= exactMax || device.rfind("cuda", 0) == 0) return knnExact(X, n, d, k, device, cancel);
  return knnApprox(X, n, d, k, seed, threads, cancel);
}

std::function<double(const double*, int64_t, double*)> fftRepulsion(const std::string& device, int nodesPerBox) {
  const torch::Device dev = parseDevice(device);
  if (nodesPerBox < 2 || nodesPerBox > 8) throw InputError("FFT repulsion: nodes per box must be 2..8");
  return [dev, nodesPerBox](const double* y, int64_t n, double* rep) -> double {
    torch::NoGradGuard ng;
    const int p = nodesPerBox;  // interpolation nodes per box and dimension
    double lo = 1e300, hi = -1e300;
    for (int64_t i = 0; i < 2 * n; ++i) {
      lo = std::min(lo, y[i]);
      hi = std::max(hi, y[i]);
    }
    const double span = std::max(hi - lo, 1e-9);
    const int boxes = std::max(50, int(std::ceil(span)));
    const double boxW = span / boxes * (1 + 1e-9), h = boxW / p;
    const int N = boxes * p, M = 2 * N;
    // Lagrange weights of each point on its box's 3 nodes, per dimension.
    std::vector<int32_t> box(size_t(2 * n));
    std::vector<double> L(size_t(2 * n * p));
    std::vector<double> s(static_cast<size_t>(p)); for (int k = 0; k < p; ++k) s[size_t(k)] = (k + 0.5) * h;
    for (int64_t i = 0; i < 2 * n; ++i) {
      const int b = std::min(boxes - 1, int((y[i] - lo) / boxW));
      box[size_t(i)] = b;
      const double t = y[i] - lo - b * boxW;
      for (int k = 0; k < p; ++k) {
        double w = 1;
        for (int m = 0; m < p; ++m)
          if (m != k) w *= (t - s[size_t(m)]) / (s[size_t(k)] - s[size_t(m)]);
        L[size_t(i * p + k)] = w;
      }
    }
    // Charges 1, y_x, y_y spread onto the N x N node grid (zero-padded to M x M).
    std::vector<double> charges(size_t(3) * size_t(M) * size_t(M), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const int bx = box[size_t(2 * i)], by = box[size_t(2 * i + 1)];
      for (int kx = 0; kx < p; ++kx)
        for (int ky = 0; ky < p; ++ky) {
          const double w = L[size_t((2 * i) * p + kx)] * L[size_t((2 * i + 1) * p + ky)];
          const size_t at = size_t(bx * p + kx) * size_t(M) + size_t(by * p + ky);
          charges[at] += w;
          charges[size_t(M) * size_t(M) + at] += w * y[2 * i];
          charges[2 * size_t(M) * size_t(M) + at] += w * y[2 * i + 1];
        }
    }
    // Kernels on node offsets, circularly embedded: index j < N is offset j, j > N is j - M.
    std::vector<double> k1(size_t(M) * size_t(M), 0.0), k2(size_t(M) * size_t(M), 0.0);
    for (int a = 0; a < M; ++a) {
      if (a == N) continue;
      const double dx = (a < N ? a : a - M) * h;
      for (int b = 0; b < M; ++b) {
        if (b == N) continue;
        const double dy = (b < N ? b : b - M) * h;
        const double w = 1.0 / (1.0 + dx * dx + dy * dy);
        k1[size_t(a) * size_t(M) + size_t(b)] = w;
        k2[size_t(a) * size_t(M) + size_t(b)] = w * w;
      }
    }
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    // The FFTs in single precision: twice as fast, and far below the interpolation error.
    const torch::Tensor q = torch::from_blob(charges.data(), {3, M, M}, opts).to(dev, torch::kFloat32);
    const torch::Tensor K =
        torch::stack({torch::from_blob(k1.data(), {M, M}, opts), torch::from_blob(k2.data(), {M, M}, opts)}).to(dev, torch::kFloat32);
    const torch::Tensor Q = torch::fft::rfft2(q), KH = torch::fft::rfft2(K);
    // phi1 = K1 * 1, phi2 = K2 * 1, phix = K2 * y_x, phiy = K2 * y_y
    const torch::Tensor prod = torch::stack({Q[0] * KH[0], Q[0] * KH[1], Q[1] * KH[1], Q[2] * KH[1]});
    const torch::Tensor phi = torch::fft::irfft2(prod, torch::IntArrayRef{M, M}).slice(1, 0, N).slice(2, 0, N).to(torch::kCPU, torch::kFloat64).contiguous();
    const double* ph = phi.data_ptr<double>();
    const size_t plane = size_t(N) * size_t(N);
    double Z = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int bx = box[size_t(2 * i)], by = box[size_t(2 * i + 1)];
      double v[4] = {0, 0, 0, 0};
      for (int kx = 0; kx < p; ++kx)
        for (int ky = 0; ky < p; ++ky) {
          const double w = L[size_t((2 * i) * p + kx)] * L[size_t((2 * i + 1) * p + ky)];
          const size_t at = size_t(bx * p + kx) * size_t(N) + size_t(by * p + ky);
          for (int c = 0; c < 4; ++c) v[c] += w * ph[c * plane + at];
        }
      // The point's own term (w_ii = 1) is in phi1 and phi2; it adds nothing to the force.
      Z += v[0] - 1.0;
      rep[2 * i] = y[2 * i] * v[1] - v[2];
      rep[2 * i + 1] = y[2 * i + 1] * v[1] - v[3];
    }
    return Z;
  };
}

std::string layoutCachePath(const std::string& cacheDir, const std::string& method, const std::string& tag) {
  return cacheDir + "/layout_" + method + "_" + tag + ".bin";
}

LayoutResult computeLayout(const LayoutRequest& req, const LayoutProgress& progress, const std::atomic<bool>* cancel) {
  using Clock = std::chrono::steady_clock;
  auto secs = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  if (req.method != "pca" && req.method != "tsne" && req.method != "umap")
    throw InputError("unknown projection '" + req.method + "' (pca, tsne or umap)");
  LayoutResult r;
  const uint64_t sum = latentsChecksum(req.X, req.n, req.d);
  const std::string cachePath = req.cacheDir.empty() ? "" : layoutCachePath(req.cacheDir, req.method, req.cacheTag);
  std::string q;
  if (!cachePath.empty() && loadLayoutCache(cachePath, req.method, req.n, sum, r.xy, &q)) {
    try {
      const auto j = nlohmann::json::parse(q);
      r.quality.trustworthiness = j.at("trustworthiness").get<double>();
      r.quality.knnRecall = j.at("knn_recall").get<double>();
      r.quality.knnAccuracy = j.at("knn_accuracy").get<double>();
      r.quality.sample = j.at("sample").get<int64_t>();
      r.quality.k = j.at("k").get<int>();
      r.fromCache = true;
      if (progress) progress(r.xy, 1, 1);
      return r;
    } catch (const std::exception&) {
      r.xy.clear();  // a cache whose quality record is unreadable is recomputed
    }
  }
  auto t0 = Clock::now();
  if (req.method == "pca") {
    r.xy = runPca(req.X, req.n, req.d);
  } else {
    const int k = req.method == "tsne" ? int(std::min<int64_t>(90, req.n - 1)) : int(std::min<int64_t>(15, req.n - 1));
    Knn knn = knnAuto(req.X, req.n, req.d, k, req.device, req.seed, req.threads, cancel);
    r.knnExact = knn.exact;
    r.knnSeconds = secs(t0);
    t0 = Clock::now();
    if (req.method == "tsne") {
      TsneOptions o;
      o.seed = req.seed;
      o.threads = req.threads;
      o.iterations = req.tsneIterations;
      o.perplexity = std::min(30.0, double(k) / 3.0);
      if (req.tsneRepulsion == "fft" || (req.tsneRepulsion == "auto" && req.n >= 20000)) o.repulsion = fftRepulsion(req.device);
      else if (req.tsneRepulsion != "bh" && req.tsneRepulsion != "auto")
        throw InputError("unknown t-SNE repulsion '" + req.tsneRepulsion + "' (bh, fft or auto)");
      r.xy = runTsne(req.X, req.n, req.d, knn, o, progress, cancel);
    } else {
      UmapOptions o;
      o.seed = req.seed;
      o.neighbours = k;
      r.xy = runUmap(req.X, req.n, req.d, knn, o, progress, cancel);
    }
  }
  r.layoutSeconds = secs(t0);
  t0 = Clock::now();
  r.quality = layoutQuality(req.X, req.n, req.d, r.xy.data(), req.labels, 2000, 15, req.seed);
  r.qualitySeconds = secs(t0);
  if (!cachePath.empty()) {
    const nlohmann::json j = {{"trustworthiness", r.quality.trustworthiness}, {"knn_recall", r.quality.knnRecall},
                              {"knn_accuracy", r.quality.knnAccuracy}, {"sample", r.quality.sample}, {"k", r.quality.k}};
    try {
      saveLayoutCache(cachePath, req.method, r.xy, sum, j.dump());
    } catch (const Error& e) {
      r.cacheError = e.what();  // a read-only bundle: the layout is still good
    }
  }
  return r;
}

}  // namespace latentlab
