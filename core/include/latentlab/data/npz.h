#pragma once
// NumPy .npy arrays and .npz archives (np.savez / np.savez_compressed), read without NumPy.
// Torch-free so that the parser can be fuzzed on its own.
//
// .npz is a ZIP archive of <name>.npy members, stored or deflated, with ZIP64 records (NumPy
// forces ZIP64 on every member). .npy is the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), a
// little-endian header length, and a Python-literal dict {'descr', 'fortran_order', 'shape'}
// followed by the raw data (numpy.lib.format, NEP 1).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace latentlab {

struct NpyArray {
  char kind = 0;               // 'u' unsigned, 'i' signed, 'f' float, 'b' bool, 'U' UTF-32 text, 'S' bytes
  int itemSize = 0;            // bytes per element (for 'U': 4 x characters)
  bool bigEndian = false;      // the descr's byte order ('>'); values() converts
  bool fortranOrder = false;   // column-major data (values() converts to row-major)
  std::vector<int64_t> shape;  // () is a scalar: one element
  std::vector<uint8_t> data;   // exactly count() x itemSize bytes, as stored
  int64_t count() const;
  // Numeric elements as doubles in row-major (C) order. Throws InputError for text or an
  // unsupported type.
  std::vector<double> values(const std::string& source) const;
  // Text elements ('U' or 'S') in row-major order, trailing NULs dropped; 'U' is converted to UTF-8.
  std::vector<std::string> strings(const std::string& source) const;
  std::string dtypeName() const;  // e.g. "uint8", "float32", "<U9"
};

// Parses one .npy file in memory. Throws InputError naming `source` for a wrong magic, a header
// that is not the documented dict, an object (pickled) dtype, an absurd shape, or a data size that
// does not match the header (truncated or trailing bytes).
NpyArray parseNpy(const uint8_t* bytes, size_t size, const std::string& source);

// Parses a .npz archive in memory: member name (without ".npy") -> array. Throws InputError naming
// `source` and the member for a broken ZIP structure, an unsupported compression method, a CRC
// mismatch, a member larger than `maxMemberBytes` once inflated, or a bad .npy inside.
std::map<std::string, NpyArray> parseNpz(const uint8_t* bytes, size_t size, const std::string& source,
                                         size_t maxMemberBytes = size_t(1) << 31);

}  // namespace latentlab
