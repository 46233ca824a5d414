// The bundle's latent caches: what one classifier made of one set of images, computed in batches
// when the cache is missing or keyed to another classifier.
#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace fs = std::filesystem;

namespace latentlab {

using Clock = std::chrono::steady_clock;

// Latents from `cache/<name>` when it holds this classifier's latents of these images (its key,
// bundle_torch.h); otherwise computed in batches (with progress) and written back atomically. A cache
// that cannot be written (a read-only install) is not an error: it is recomputed next time.
torch::Tensor bundleLatents(const Bundle& b, const Dataset& data, const std::string& name, const ProgressFn& progress,
                            const std::atomic<bool>* cancel) {
  const fs::path path = fs::path(b.dir) / "cache" / name;
  const int64_t n = data.size(), d = b.latentDim();
  const std::string key = latentCacheKey(b.componentPath(b.encoderComponent()), imagesFingerprint(data.images), n);
  if (torch::Tensor cached = loadLatentCache(path.string(), key, n, d); cached.defined()) return cached;
  std::vector<torch::Tensor> parts;
  const int64_t batch = 1024;
  const auto t0 = Clock::now();
  torch::NoGradGuard ng;
  for (int64_t i = 0; i < n; i += batch) {
    checkCancel(cancel, "explorer");
    const int64_t e = std::min(n, i + batch);
    parts.push_back(mapBatched(b.classifier, "encode", data.images.slice(0, i, e), b.device, batch,
                               b.componentPath(b.encoderComponent()))
                        .to(torch::kFloat32));
    if (progress) {
      Progress p;
      p.stage = "latents (" + name + ")";
      p.epoch = p.epochs = 1;
      p.batch = (i / batch) + 1;
      p.batches = (n + batch - 1) / batch;
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      p.samplesPerSec = s > 0 ? double(e) / s : 0;
      p.etaSeconds = p.samplesPerSec > 0 ? double(n - e) / p.samplesPerSec : 0;
      progress(p);
    }
  }
  torch::Tensor z = parts.empty() ? torch::zeros({0, d}) : torch::cat(parts).contiguous();
  requireFiniteRows(z, "explorer", "latents", name == "latents_test.pt" ? "test images" : "images (" + name + ")",
                    b.componentPath(b.encoderComponent()));
  try {
    fs::create_directories(path.parent_path());
    saveLatentCache(path.string(), z, key);
  } catch (const std::exception&) {
  }
  return z;
}

}  // namespace latentlab
