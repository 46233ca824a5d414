#include "latentlab/data/idx.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab {

IdxArray parseIdx(const uint8_t* bytes, size_t size, const std::string& source) {
  if (size < 4) throw InputError("[idx] file is too short for an IDX header (" + source + ")");
  if (bytes[0] != 0 || bytes[1] != 0)
    throw InputError("[idx] wrong magic number: first two bytes must be 0 (" + source + ")");
  if (bytes[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02X", unsigned(bytes[2]));
    throw InputError("[idx] unsupported element type " + std::string(type) + ", only unsigned byte (0x08) is read (" +
                     source + ")");
  }
  const int ndim = bytes[3];
  if (ndim < 1 || ndim > 4)
    throw InputError("[idx] wrong magic number: " + std::to_string(ndim) + " dimensions, expected 1 to 4 (" + source +
                     ")");
  const size_t header = 4 + 4 * size_t(ndim);
  if (size < header) throw InputError("[idx] truncated header (" + source + ")");
  IdxArray out;
  uint64_t total = 1;
  for (int i = 0; i < ndim; ++i) {
    const uint8_t* p = bytes + 4 + 4 * i;
    const uint32_t dim = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    if (dim == 0) throw InputError("[idx] dimension " + std::to_string(i) + " is zero (" + source + ")");
    total *= dim;
    if (total > (uint64_t(1) << 34)) throw InputError("[idx] dimensions describe more than 16 GiB (" + source + ")");
    out.dims.push_back(int64_t(dim));
  }
  const uint64_t have = size - header;
  if (have < total)
    throw InputError("[idx] truncated: header promises " + std::to_string(total) + " bytes of data, file has " +
                     std::to_string(have) + " (" + source + ")");
  if (have > total)
    throw InputError("[idx] " + std::to_string(have - total) + " unexpected bytes after the data (" + source + ")");
  out.data.assign(bytes + header, bytes + header + total);
  return out;
}

std::vector<uint8_t> readFileMaybeGz(const std::string& path, size_t maxBytes) {
  const std::string bytes = readFileChecked(path, maxBytes, "dataset file");  // a gzip file is smaller still
  std::vector<uint8_t> raw(bytes.begin(), bytes.end());
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) {
    if (raw.size() > maxBytes) throw InputError("[read] file too large (" + path + ")");
    return raw;
  }
  // gzip: inflate in memory; a truncated stream never reaches Z_STREAM_END.
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw InputError("[read] zlib init failed (" + path + ")");
  std::vector<uint8_t> out;
  out.resize(std::min<size_t>(maxBytes, std::max<size_t>(raw.size() * 4, 1 << 16)));
  zs.next_in = raw.data();
  zs.avail_in = static_cast<uInt>(raw.size());
  int rc = Z_OK;
  while (true) {
    if (zs.total_out == out.size()) {
      if (out.size() >= maxBytes) {
        inflateEnd(&zs);
        throw InputError("[read] decompressed data exceeds the size limit (" + path + ")");
      }
      out.resize(std::min<size_t>(maxBytes, out.size() * 2));
    }
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      inflateEnd(&zs);
      if (rc == Z_BUF_ERROR) throw InputError("[read] truncated gzip stream (" + path + ")");
      throw InputError("[read] corrupt gzip stream: " + std::string(zs.msg ? zs.msg : "zlib error") + " (" + path +
                       ")");
    }
  }
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

}  // namespace latentlab
