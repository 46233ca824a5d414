#pragma once
// Shared fixtures for the core tests: a temporary directory and the device the tests run on.
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace testutil {

// cpu by default; LATENTLAB_TEST_DEVICE=cuda runs the tensor tests on the GPU.
torch::Device device();

// A fresh directory under the system temp dir, removed with its contents on destruction.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void writeBytes(const std::string& path, const std::string& bytes);
std::string readBytes(const std::string& path);
// An IDX file (type 0x08) with the given dims and bytes (not validated: tests make bad ones too).
std::string idxBytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data, uint8_t type = 0x08);
void writeGz(const std::string& path, const std::string& bytes);
// A PNG class folder: `perClass` images of size h x w per class, each class a distinct pattern.
// PNG class folders class_a, class_b, ...: channels 1 (grey), 3 (RGB: class c's band is red, green
// or blue) or 4 (RGBA, transparent off the band).
void writeImageFolder(const std::string& dir, int classes, int perClass, int h, int w, uint64_t seed, int channels = 1);

}  // namespace testutil
