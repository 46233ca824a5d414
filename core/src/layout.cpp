// kNN graphs for the projections: exact through LibTorch (on any device), approximate through
// hnswlib (Debian's libhnswlib-dev).
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

}  // namespace

Knn knnExact(const float* X, int64_t n, int64_t d, int k, const std::string& device, const std::atomic<bool>* cancel) {
  checkArgs(X, n, d, k);
  torch::NoGradGuard ng;
  const torch::Device dev = parseDevice(device);
  const torch::Tensor all = torch::from_blob(const_cast<float*>(X), {n, d}, torch::kFloat32).to(dev, torch::kFloat32);
  const torch::Tensor sq = (all * all).sum(1);
  Knn out;
  out.n = n;
  out.k = k;
  out.exact = true;
  out.idx.resize(size_t(n * k));
  out.dist.resize(size_t(n * k));
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
  Knn out;
  out.n = n;
  out.k = k;
  out.exact = false;
  out.idx.resize(size_t(n * k));
  out.dist.resize(size_t(n * k));
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
