// A NumPy archive as a dataset (np.savez of x_train, y_train, x_test, y_test, class_names).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "latentlab/data/data_torch.h"
#include "latentlab/data/npz.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw InputError("[npz] " + what + " (" + path + ")");
}

std::string shapeOf(const NpyArray& a) {
  std::string s = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(a.shape[i]);
  return s + (a.shape.size() == 1 ? ",)" : ")");
}

// Images as float [N, C, H, W] in [0, 1], from any of the three layouts.
torch::Tensor npzImages(const NpyArray& a, const std::string& key, const std::string& path) {
  const auto& s = a.shape;
  auto isC = [](int64_t v) { return v == 1 || v == 3; };
  int64_t n = 0, c = 1, h = 0, w = 0;
  bool channelsLast = false;
  if (s.size() == 3) {
    n = s[0], h = s[1], w = s[2];
  } else if (s.size() == 4 && isC(s[1]) && !isC(s[3])) {
    n = s[0], c = s[1], h = s[2], w = s[3];
  } else if (s.size() == 4 && isC(s[3])) {
    n = s[0], h = s[1], w = s[2], c = s[3];
    channelsLast = true;
  } else {
    fail("'" + key + "' has shape " + shapeOf(a) +
             "; images must be N x H x W, N x H x W x C or N x C x H x W with C = 1 or 3",
         path);
  }
  if (n < 1) fail("'" + key + "' holds no images", path);
  if (h < 4 || w < 4 || h > 512 || w > 512 || h % 4 || w % 4)
    fail("'" + key + "' images are " + std::to_string(h) + "x" + std::to_string(w) +
             "; each side must be a multiple of 4 and at most 512",
         path);
  if (a.kind == 'U' || a.kind == 'S' || a.kind == 'b' || a.kind == 'i' || (a.kind == 'u' && a.itemSize != 1))
    fail("'" + key + "' is " + a.dtypeName() + "; images must be uint8 (0..255) or float32/float64 (0..1)", path);
  const std::vector<double> v = a.values(path + ": " + key);
  torch::Tensor x = torch::empty({int64_t(v.size())}, torch::kFloat32);
  float* px = x.data_ptr<float>();
  const bool bytes = a.kind == 'u';
  for (size_t i = 0; i < v.size(); ++i) {
    const double f = bytes ? v[i] / 255.0 : v[i];
    if (!(f >= 0.0 && f <= 1.0))
      fail("'" + key + "' value " + std::to_string(v[i]) + " at element " + std::to_string(i) +
               " is outside [0, 1] (float images must be scaled to [0, 1]; divide by 255)",
           path);
    px[i] = float(f);
  }
  x = channelsLast ? x.view({n, h, w, c}).permute({0, 3, 1, 2}).contiguous() : x.view({n, c, h, w});
  return x;
}

torch::Tensor npzLabels(const NpyArray& a, const std::string& key, int64_t n, const std::string& path) {
  if (a.kind != 'u' && a.kind != 'i') fail("'" + key + "' is " + a.dtypeName() + "; labels must be integers", path);
  if (a.shape.size() != 1) fail("'" + key + "' has shape " + shapeOf(a) + "; labels must be one dimension (N,)", path);
  if (a.shape[0] != n)
    fail("'" + key + "' has " + std::to_string(a.shape[0]) + " labels for " + std::to_string(n) + " images", path);
  const std::vector<double> v = a.values(path + ": " + key);
  std::vector<int64_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] < 0 || v[i] > 100000)
      fail("'" + key + "' label " + std::to_string(int64_t(v[i])) + " at " + std::to_string(i) +
               " is negative or absurd",
           path);
    out[i] = int64_t(v[i]);
  }
  return torch::tensor(out, torch::kInt64);
}
}  // namespace

DatasetSplit loadNpzDataset(const std::string& path, uint64_t splitSeed, int channels) {
  checkChannelsOption(channels);
  const std::string bytes = readFileChecked(path, caps::kDataset, "NumPy archive");
  const auto arrays = parseNpz(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
  auto has = [&](const char* k) { return arrays.count(k) != 0; };
  std::string names;
  for (const auto& [k, a] : arrays) names += (names.empty() ? "" : ", ") + k;
  const bool split = has("x_train") && has("y_train") && has("x_test") && has("y_test");
  const char* xk = has("x_train") ? "x_train" : "x";
  const char* yk = has("y_train") ? "y_train" : "y";
  if (!split && !(has(xk) && has(yk)))
    fail("expected arrays x_train, y_train, x_test, y_test (or x, y); the archive holds: " +
             (names.empty() ? std::string("no arrays") : clipForMessage(names, 200)),
         path);
  auto part = [&](const char* x, const char* y) {
    Dataset d;
    d.name = path;
    d.images = npzImages(arrays.at(x), x, path);
    d.labels = npzLabels(arrays.at(y), y, d.images.size(0), path);
    return d;
  };
  Dataset train = part(xk, yk);
  Dataset test;
  if (split) {
    test = part("x_test", "y_test");
    if (test.images.sizes().slice(1) != train.images.sizes().slice(1))
      fail("x_test images are " + shapeText(test.images) + ", x_train images are " + shapeText(train.images), path);
  }
  int64_t k = train.labels.max().item<int64_t>() + 1;
  if (split) k = std::max(k, test.labels.max().item<int64_t>() + 1);
  std::vector<std::string> classNames;
  if (has("class_names")) {
    const NpyArray& cn = arrays.at("class_names");
    if (cn.shape.size() != 1) fail("'class_names' must be one dimension of strings", path);
    classNames = cn.strings(path + ": class_names");
    if (int64_t(classNames.size()) < k)
      fail("'class_names' names " + std::to_string(classNames.size()) + " classes, the labels go up to " +
               std::to_string(k - 1),
           path);
    for (auto& c : classNames)
      if (c.empty() || c.size() > 200) fail("a class name is empty or longer than 200 bytes", path);
    for (size_t a = 0; a < classNames.size(); ++a)
      for (size_t b = a + 1; b < classNames.size(); ++b)
        if (classNames[a] == classNames[b])
          fail("'class_names' names '" + clipForMessage(classNames[a], 40) + "' twice (classes " + std::to_string(a) +
                   " and " + std::to_string(b) + ")",
               path);
  } else {
    for (int64_t i = 0; i < k; ++i) classNames.push_back(std::to_string(i));
  }
  if (classNames.size() < 2) fail("needs at least 2 classes, found " + std::to_string(classNames.size()), path);
  // Every class must have training images: a stray label (999 among 0..2) or a class_names entry
  // with no images would make a model of empty classes.
  {
    const torch::Tensor counts = torch::bincount(train.labels, {}, int64_t(classNames.size()));
    std::string empty;
    int64_t nEmpty = 0;
    for (int64_t c = 0; c < counts.size(0); ++c)
      if (counts[c].item<int64_t>() == 0 && ++nEmpty <= 5)
        empty +=
            (empty.empty() ? "" : ", ") + std::to_string(c) + " (" + clipForMessage(classNames[size_t(c)], 30) + ")";
    if (nEmpty > 0)
      fail(std::to_string(nEmpty) + " of the " + std::to_string(classNames.size()) +
               " classes have no training images: " + empty + (nEmpty > 5 ? ", ..." : "") +
               "; labels must be 0..K-1 with every class present",
           path);
  }
  train.classNames = classNames;
  test.classNames = classNames;
  // Auto channels: 3 only where the colour is real (a grey set saved as RGB loads with C = 1).
  auto grey = [](const torch::Tensor& x) {
    return x.size(1) == 1 ||
           (torch::equal(x.select(1, 0), x.select(1, 1)) && torch::equal(x.select(1, 1), x.select(1, 2)));
  };
  const int64_t c = channels ? channels : (!grey(train.images) || (split && !grey(test.images))) ? 3 : 1;
  auto conv = [&](const torch::Tensor& x) {
    return x.size(1) == 3 && c == 1 && grey(x) ? x.slice(1, 0, 1).contiguous() : withChannels(x, c);
  };
  train.images = conv(train.images);
  if (!split) return splitDataset(train, 0.8, splitSeed);
  test.images = conv(test.images);
  DatasetSplit s;
  s.train = std::move(train);
  s.test = std::move(test);
  return s;
}

}  // namespace latentlab
