// Points added to the map: a user's image files and a dataset shown as a layer (explorer.h).
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "data/image_decode.h"
#include "explorer/explorer_impl.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab {

namespace {
// Latents of images [m, C, H, W] in batches, on the bundle's device; CPU float result.
torch::Tensor encodeAll(const Bundle& b, const torch::Tensor& images, const ProgressFn& progress,
                        const std::atomic<bool>* cancel, const char* stage) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> zs;
  const int64_t n = images.size(0), batch = 256;
  for (int64_t i = 0; i < n; i += batch) {
    checkCancel(cancel, "explorer");
    torch::Tensor z = b.encode(images.slice(0, i, std::min(n, i + batch)).to(b.device, torch::kFloat));
    if (!torch::isfinite(z).all().item<bool>())
      throw ModelLoadError("[explorer] the encoder gives non-finite latents for an added image (" + b.dir + ")");
    zs.push_back(z.to(torch::kCPU, torch::kFloat32));
    if (progress) {
      Progress p;
      p.stage = stage;
      p.epoch = p.epochs = 1;
      p.batch = i / batch + 1;
      p.batches = (n + batch - 1) / batch;
      progress(p);
    }
  }
  return torch::cat(zs);
}

// Files named on the command line or picked in the dialog: a folder stands for its image files.
std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::vector<std::string>& errors) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (auto& e : fs::directory_iterator(p, ec))
        if (e.path().filename().string().rfind('.', 0) != 0 && isImageFileName(e.path().string()))
          files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) errors.push_back("[add-image] the folder holds no image files (" + p + ")");
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}
}  // namespace

AddedPoints Explorer::addImages(const std::vector<std::string>& paths, const ProgressFn& progress,
                                const std::atomic<bool>* cancel, const std::vector<std::string>& hashes) {
  AddedPoints r;
  const auto& shape = m->bundle.manifest.inputShape;
  std::vector<std::string> files = expandPaths(paths, r.errors);
  if (!hashes.empty() && hashes.size() != files.size())
    throw InputError("[add-image] " + std::to_string(hashes.size()) + " fingerprints for " +
                     std::to_string(files.size()) + " files");
  std::vector<torch::Tensor> imgs;
  PointTable::ExtraColumns cols;
  for (size_t k = 0; k < files.size(); ++k) {
    checkCancel(cancel, "explorer");
    const std::string& f = files[k];
    try {
      if (!validUtf8(f))
        throw InputError("[add-image] the file's name is not UTF-8, so a session could not name it again; rename it (" +
                         f + ")");
      std::string hash, note;
      const torch::Tensor x = loadImageAsDataset(f, shape, &note, &hash).images;
      if (!hashes.empty() && hashes[k] != hash)
        throw InputError("[add-image] the file changed since the session was saved (its fingerprint is " + hash +
                         ", the session recorded " + hashes[k] + ") (" + f + ")");
      const std::string name = fs::path(f).filename().string();
      if (!note.empty()) r.notes.push_back(name + ": " + note + " to the model's input");
      imgs.push_back(x);
      cols.kind.push_back(PointTable::kAddedImage);
      cols.name.push_back(name);
      cols.path.push_back(fs::absolute(f).lexically_normal().string());
      cols.hash.push_back(hash);
      cols.layer.push_back("");
    } catch (const InputError& e) {
      r.errors.push_back(e.what());
    }
  }
  if (imgs.empty()) throw InputError(r.errors.empty() ? std::string("[add-image] no files given") : r.errors.front());
  const torch::Tensor images = torch::cat(imgs);
  const torch::Tensor z = encodeAll(m->bundle, images, progress, cancel, "add images");
  auto t = std::make_shared<PointTable>(*m->table);
  r.first = t->n;
  r.count = images.size(0);
  m->appendExtraRows(*t, z, images, cols);
  m->extraImages = m->extraImages.defined() ? torch::cat({m->extraImages, images}) : images;
  m->latents = torch::cat({m->latents, z});
  m->table = t;
  r.table = t;
  return r;
}

AddedPoints Explorer::addLayer(const std::string& dataset, int64_t limit, const ProgressFn& progress,
                               const std::atomic<bool>* cancel) {
  if (limit < 1 || limit > 100000)
    throw InputError("[layer] the number of points must be 1 to 100000, got " + std::to_string(limit));
  AddedPoints r;
  std::string note;
  Dataset d = loadOodFor(dataset, m->bundle.manifest.inputShape, &note);
  std::error_code ec;  // a file or folder is recorded by its absolute path (sessions load from anywhere)
  const std::string record = fs::exists(dataset, ec) ? fs::absolute(dataset).lexically_normal().string() : dataset;
  checkCancel(cancel, "explorer");
  const std::string layer = fs::path(dataset).filename().string();
  if (!note.empty()) r.notes.push_back("layer " + layer + ": " + note + " to the model's input");
  if (d.size() > limit) {  // a seeded sample, in the data's order
    auto gen = at::detail::createCPUGenerator(7);
    torch::Tensor idx = std::get<0>(torch::randperm(d.size(), gen, torch::kInt64).slice(0, 0, limit).sort());
    d = subset(d, idx);
  }
  const torch::Tensor z = encodeAll(m->bundle, d.images, progress, cancel, "add layer");
  PointTable::ExtraColumns cols;
  for (int64_t k = 0; k < d.size(); ++k) {
    cols.kind.push_back(PointTable::kLayerPoint);
    const int64_t y = d.labels[k].item<int64_t>();
    cols.name.push_back(layer + " #" + std::to_string(k) +
                        (y >= 0 && size_t(y) < d.classNames.size() ? " (" + d.classNames[size_t(y)] + ")" : ""));
    cols.path.push_back("");
    cols.hash.push_back("");
    cols.layer.push_back(record);
  }
  auto t = std::make_shared<PointTable>(*m->table);
  r.first = t->n;
  r.count = d.size();
  m->appendExtraRows(*t, z, d.images, cols);
  m->extraImages = m->extraImages.defined() ? torch::cat({m->extraImages, d.images}) : d.images;
  m->latents = torch::cat({m->latents, z});
  m->table = t;
  r.table = t;
  return r;
}

}  // namespace latentlab
