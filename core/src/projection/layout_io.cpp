// Layout files: the CSV users import and export (index,x,y), and the bundle's binary layout cache
// with its checksums.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab {

void writeLayoutCsv(const std::string& path, const std::vector<float>& xy) {
  std::ostringstream out;
  out << "index,x,y\n";
  out.precision(9);
  for (size_t i = 0; i + 1 < xy.size(); i += 2) out << i / 2 << ',' << xy[i] << ',' << xy[i + 1] << '\n';
  writeUserFile(path, out.str());
}

std::vector<float> readLayoutCsv(const std::string& path, int64_t expectedPoints) {
  return parseLayoutCsv(readFileChecked(path, caps::layoutCsv(expectedPoints), "layout CSV"), path, expectedPoints);
}

std::vector<float> parseLayoutCsv(const std::string& text, const std::string& path, int64_t expectedPoints) {
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  auto fail = [&](const std::string& msg) { throw InputError(path + ":" + std::to_string(lineNo) + ": " + msg); };
  std::vector<float> xy(size_t(2 * std::max<int64_t>(0, expectedPoints)), 0.0f);
  std::vector<uint8_t> seen(size_t(std::max<int64_t>(0, expectedPoints)), 0);
  int64_t rows = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineNo == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0)
      line.erase(0, 3);  // a UTF-8 byte-order mark (Excel writes one)
    if (line.empty()) continue;
    if (lineNo == 1) {
      std::string h = line;
      h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
      if (h != "index,x,y") fail("the header must be 'index,x,y', got '" + clipForMessage(line, 60) + "'");
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (cells.size() != 3) fail("expected 3 values (index,x,y), got " + std::to_string(cells.size()));
    char* end = nullptr;
    const long long idx = std::strtoll(cells[0].c_str(), &end, 10);
    const std::string cell0 = clipForMessage(cells[0], 40);
    if (cells[0].empty() || *end != '\0') fail("index '" + cell0 + "' is not a whole number");
    if (idx < 0 || idx >= expectedPoints)
      fail("index " + cell0 + " is out of range (the bundle has " + std::to_string(expectedPoints) + " points)");
    if (seen[size_t(idx)]) fail("index " + cell0 + " appears twice");
    double v[2];
    for (int c = 0; c < 2; ++c) {
      const std::string& cell = cells[size_t(c + 1)];
      v[c] = std::strtod(cell.c_str(), &end);
      // The map holds floats: a value finite as a double but not as a float (1e39) is refused too.
      if (cell.empty() || *end != '\0' || !std::isfinite(v[c]) || std::abs(v[c]) > 1e30)
        fail(std::string(c == 0 ? "x" : "y") + " '" + clipForMessage(cell, 40) + "' is not a number within +-1e30");
    }
    seen[size_t(idx)] = 1;
    xy[size_t(2 * idx)] = float(v[0]);
    xy[size_t(2 * idx + 1)] = float(v[1]);
    ++rows;
  }
  if (lineNo == 0) throw InputError(path + ": empty file (expected a header 'index,x,y')");
  if (rows != expectedPoints)
    throw InputError(path + ": " + std::to_string(rows) + " rows, but the bundle has " +
                     std::to_string(expectedPoints) + " points (one row per point is needed)");
  return xy;
}

uint64_t latentsChecksum(const float* X, int64_t n, int64_t d) {
  const uint64_t h = fnv1a64(X, size_t(n * d) * sizeof(float));
  return h ^ uint64_t(n) ^ (uint64_t(d) << 40);
}

namespace {
constexpr char kLayoutMagic[8] = {'L', 'L', 'L', 'A', 'Y', 'O', 'U', '1'};
}

void saveLayoutCache(const std::string& path, const std::string& method, const std::vector<float>& xy,
                     uint64_t checksum, const std::string& qualityJson) {
  std::string bytes(kLayoutMagic, 8);
  auto put64 = [&](uint64_t v) { bytes.append(reinterpret_cast<const char*>(&v), 8); };
  put64(method.size());
  bytes += method;
  put64(uint64_t(xy.size() / 2));
  put64(checksum);
  put64(qualityJson.size());
  bytes += qualityJson;
  bytes.append(reinterpret_cast<const char*>(xy.data()), xy.size() * sizeof(float));
  put64(fnv1a64(bytes.data(), bytes.size()));
  writeFileAtomic(path, bytes);
}

bool loadLayoutCache(const std::string& path, const std::string& method, int64_t n, uint64_t checksum,
                     std::vector<float>& xy, std::string* qualityJson) {
  std::string bytes;
  try {  // a cache that is not a plain file of about the right size is computed again
    bytes = readFileChecked(path, caps::kMiB * 2 + uint64_t(std::max<int64_t>(n, 0)) * 8, "layout cache");
  } catch (const Error&) {
    return false;
  }
  return parseLayoutCache(bytes, method, n, checksum, xy, qualityJson);
}

bool parseLayoutCache(const std::string& bytes, const std::string& method, int64_t n, uint64_t checksum,
                      std::vector<float>& xy, std::string* qualityJson) {
  size_t pos = 0;
  auto get64 = [&](uint64_t& v) {
    if (pos + 8 > bytes.size()) return false;
    std::memcpy(&v, bytes.data() + pos, 8);
    pos += 8;
    return true;
  };
  if (bytes.size() < 8 + 8 * 5 || std::memcmp(bytes.data(), kLayoutMagic, 8) != 0) return false;
  pos = 8;
  uint64_t len = 0, count = 0, sum = 0, qlen = 0, stored = 0;
  if (!get64(len) || len > 64 || pos + len > bytes.size()) return false;
  const std::string m = bytes.substr(pos, size_t(len));
  pos += size_t(len);
  if (!get64(count) || !get64(sum) || !get64(qlen) || qlen > (1u << 20) || pos + qlen > bytes.size()) return false;
  const std::string q = bytes.substr(pos, size_t(qlen));
  pos += size_t(qlen);
  if (m != method || int64_t(count) != n || sum != checksum) return false;
  if (bytes.size() != pos + count * 2 * sizeof(float) + 8) return false;
  const uint64_t h = fnv1a64(bytes.data(), bytes.size() - 8);
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (stored != h) return false;
  std::vector<float> out(size_t(count) * 2);
  std::memcpy(out.data(), bytes.data() + pos, out.size() * sizeof(float));
  for (float v : out)
    if (!std::isfinite(v)) return false;
  xy = std::move(out);
  if (qualityJson) *qualityJson = q;
  return true;
}

}  // namespace latentlab
