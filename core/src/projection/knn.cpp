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

#include "latentlab/model/models_torch.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "projection/layout_common.h"

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
    checkCancel(cancel, "kNN");
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

Knn knnApprox(const float* X, int64_t n, int64_t d, int k, uint64_t seed, int threads,
              const std::atomic<bool>* cancel) {
  checkArgs(X, n, d, k);
  hnswlib::L2Space space(static_cast<size_t>(d));
  // Built on one thread: hnswlib's parallel insertion order, and so the graph, varies run to run.
  hnswlib::HierarchicalNSW<float> index(&space, size_t(n), 16, 100, size_t(seed % 1000003));
  for (int64_t i = 0; i < n; ++i) {
    if ((i & 1023) == 0) checkCancel(cancel, "kNN");
    index.addPoint(X + i * d, size_t(i));
  }
  index.setEf(size_t(std::max(k + 1, 64)));
  Knn out = emptyKnn(n, k, false);
  const int t = detail::threadCount(threads);
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
  if (n <= exactMax || parseDevice(device).is_cuda()) return knnExact(X, n, d, k, device, cancel);
  return knnApprox(X, n, d, k, seed, threads, cancel);
}

}  // namespace latentlab
