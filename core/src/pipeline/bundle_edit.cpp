// What train-decoder and train-dvae share when they change one component of an existing bundle:
// the latents they train on (never written), the checks before any work, and the write of the
// component and its manifest that leaves a bundle that verifies whatever fails.
#include <torch/torch.h>

#include <unistd.h>
#include <filesystem>

#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "pipeline/pipeline_common.h"

namespace fs = std::filesystem;

namespace latentlab::detail {

torch::Tensor latentsOf(const Bundle& b, const Dataset& data, const std::string& cacheName) {
  const std::string key = latentCacheKey(b.componentPath("classifier"), imagesFingerprint(data.images), data.size());
  torch::Tensor z = loadLatentCache(join(fs::path(b.dir) / "cache", cacheName), key, data.size(), b.latentDim());
  if (z.defined()) return z;
  z = mapBatched(b.classifier, "encode", data.images, b.device, 1024, b.componentPath("classifier"));
  requireFiniteRows(z, "bundle", "latents", "images (" + data.name + ")", b.componentPath("classifier"));
  return z.to(torch::kFloat32).contiguous();
}

void checkComponentWritable(const std::string& dir, const std::string& file, const std::string& what,
                            const std::string& where) {
  std::error_code ec;
  const std::string target = join(dir, file);
  if (fs::is_directory(target, ec))
    throw BundleError("[" + where + "] " + target + " is a directory; the " + what + " is written there");
  // The two files go through temporaries in the bundle: the folder must be writable, and so must
  // the manifest and an existing component file (a rename would replace them anyway).
  if (::access(dir.c_str(), W_OK) != 0)
    throw BundleError("[" + where + "] cannot write into the bundle folder (" + dir + "): permission denied");
  for (const std::string& f : {join(dir, "manifest.json"), target})
    if (fs::exists(f, ec) && ::access(f.c_str(), W_OK) != 0)
      throw BundleError("[" + where + "] cannot write " + f + ": permission denied");
}

void replaceComponent(const std::string& target, const std::string& what, const std::function<void()>& writeComponent,
                      const std::function<void()>& writeManifest) {
  std::error_code ec;
  const std::string previous = fs::exists(target, ec) ? readFileChecked(target, caps::kModel, what) : std::string();
  writeComponent();
  try {
    writeManifest();
  } catch (...) {
    if (previous.empty())
      fs::remove(target, ec);
    else
      writeFileAtomic(target, previous);
    throw;
  }
}

}  // namespace latentlab::detail
