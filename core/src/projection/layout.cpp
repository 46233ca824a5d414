// A whole layout as the GUI and `latentlab project` make it: options checked, the bundle's cache read
// or written, the kNN graph, the method on the chosen engine, and the quality.
#include <chrono>
#include <nlohmann/json.hpp>

#include "latentlab/model/models_torch.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"

namespace latentlab {

std::string layoutCachePath(const std::string& cacheDir, const std::string& method, const std::string& tag) {
  return cacheDir + "/layout_" + method + "_" + tag + ".bin";
}

void checkLayoutOptions(const std::string& method, const std::string& engine, const std::string& tsneRepulsion) {
  if (method != "pca" && method != "tsne" && method != "umap")
    throw InputError("unknown projection '" + method + "' (pca, tsne or umap)");
  if (engine != "auto" && engine != "cpu" && engine != "tensor")
    throw InputError("unknown layout engine '" + engine + "' (cpu, tensor or auto)");
  if (tsneRepulsion != "bh" && tsneRepulsion != "fft" && tsneRepulsion != "auto")
    throw InputError("unknown t-SNE repulsion '" + tsneRepulsion + "' (bh, fft or auto)");
}

LayoutResult computeLayout(const LayoutRequest& req, const LayoutProgress& progress, const std::atomic<bool>* cancel) {
  using Clock = std::chrono::steady_clock;
  auto secs = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  checkLayoutOptions(req.method, req.engine, req.tsneRepulsion);
  // Before any work: the quality uses each point's 15 nearest neighbours.
  if (req.n < 17) throw InputError("[layout] needs at least 17 points, got " + std::to_string(req.n));
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
    const bool tensor = req.engine == "tensor" || (req.engine == "auto" && parseDevice(req.device).is_cuda());
    r.engine = tensor ? "tensor" : "cpu";
    if (req.method == "tsne") {
      TsneOptions o;
      o.seed = req.seed;
      o.threads = req.threads;
      o.iterations = req.tsneIterations;
      o.perplexity = std::min(30.0, double(k) / 3.0);
      if (tensor) {
        r.xy = runTsneTensor(req.X, req.n, req.d, knn, o, req.device, progress, cancel);
      } else {
        if (req.tsneRepulsion == "fft" || (req.tsneRepulsion == "auto" && req.n >= 20000))
          o.repulsion = fftRepulsion(req.device);
        r.xy = runTsne(req.X, req.n, req.d, knn, o, progress, cancel);
      }
    } else {
      UmapOptions o;
      o.seed = req.seed;
      o.neighbours = k;
      r.xy = tensor ? runUmapTensor(req.X, req.n, req.d, knn, o, req.device, progress, cancel)
                    : runUmap(req.X, req.n, req.d, knn, o, progress, cancel);
    }
  }
  r.layoutSeconds = secs(t0);
  t0 = Clock::now();
  r.quality = layoutQuality(req.X, req.n, req.d, r.xy.data(), req.labels, 2000, 15, req.seed);
  r.qualitySeconds = secs(t0);
  if (!cachePath.empty()) {
    const nlohmann::json j = {{"trustworthiness", r.quality.trustworthiness},
                              {"knn_recall", r.quality.knnRecall},
                              {"knn_accuracy", r.quality.knnAccuracy},
                              {"sample", r.quality.sample},
                              {"k", r.quality.k}};
    try {
      saveLayoutCache(cachePath, req.method, r.xy, sum, j.dump());
    } catch (const Error& e) {
      r.cacheError = e.what();  // a read-only bundle: the layout is still good
    }
  }
  return r;
}

}  // namespace latentlab
