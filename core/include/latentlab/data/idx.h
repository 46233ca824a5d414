#pragma once
// IDX files (the MNIST / Fashion-MNIST container), plain or gzip-compressed. Torch-free so that the
// parser can be fuzzed on its own.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {N, 28, 28} for images, {N} for labels
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Parses an in-memory IDX file whose element type is unsigned byte (0x08).
// Throws InputError naming `source` for a wrong magic number, an unsupported type, zero or absurd
// dimensions, or a size that does not match the header (truncated or trailing data).
IdxArray parseIdx(const uint8_t* bytes, size_t size, const std::string& source);

// Reads a whole file, gunzipping it when it starts with the gzip magic. Throws InputError if the
// file is missing, unreadable, or a truncated/corrupt gzip stream. `maxBytes` bounds the output.
std::vector<uint8_t> readFileMaybeGz(const std::string& path, size_t maxBytes = size_t(1) << 31);

inline IdxArray readIdx(const std::string& path) {
  auto bytes = readFileMaybeGz(path);
  return parseIdx(bytes.data(), bytes.size(), path);
}

}  // namespace latentlab
