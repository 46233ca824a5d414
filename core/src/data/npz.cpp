// .npy and .npz readers (numpy.lib.format; PKWARE APPNOTE 6.3 for the ZIP container).
#include "latentlab/data/npz.h"

#include <zlib.h>

#include <cstring>

#include "latentlab/util/errors.h"

namespace latentlab {

namespace {
constexpr int64_t kMaxElements = int64_t(1) << 34;

[[noreturn]] void fail(const std::string& what, const std::string& source) {
  throw InputError("[npy] " + what + " (" + source + ")");
}

uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t le32(const uint8_t* p) { return le16(p) | uint32_t(le16(p + 2)) << 16; }
uint64_t le64(const uint8_t* p) { return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32; }

// A tiny reader for the header's Python literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct Lit {
  const std::string& s;
  size_t i = 0;
  const std::string& source;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c))
      fail(std::string("header is not the documented dict: expected '") + c + "' at byte " + std::to_string(i), source);
  }
  std::string str() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
      fail("header: expected a quoted string at byte " + std::to_string(i), source);
    const char q = s[i++];
    const size_t start = i;
    while (i < s.size() && s[i] != q) ++i;
    if (i >= s.size()) fail("header: unterminated string", source);
    return s.substr(start, i++ - start);
  }
  bool boolean() {
    ws();
    if (s.compare(i, 4, "True") == 0) return i += 4, true;
    if (s.compare(i, 5, "False") == 0) return i += 5, false;
    fail("header: fortran_order must be True or False", source);
  }
  std::vector<int64_t> tuple() {
    expect('(');
    std::vector<int64_t> out;
    while (!eat(')')) {
      ws();
      int64_t v = 0;
      size_t digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (++digits > 12) fail("header: a dimension is absurdly large", source);
        v = v * 10 + (s[i++] - '0');
      }
      if (i < s.size() && s[i] == 'L') ++i;  // Python 2 longs
      if (digits == 0) fail("header: shape must be a tuple of non-negative integers", source);
      out.push_back(v);
      if (out.size() > 8) fail("header: more than 8 dimensions", source);
      if (!eat(',')) {
        expect(')');
        break;
      }
    }
    return out;
  }
};

std::vector<uint8_t> inflateRaw(const uint8_t* in, size_t inSize, size_t outSize, const std::string& where) {
  std::vector<uint8_t> out(outSize);
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -15) != Z_OK) throw InputError("[npz] zlib init failed (" + where + ")");
  zs.next_in = const_cast<uint8_t*>(in);
  zs.avail_in = uInt(inSize);
  zs.next_out = out.data();
  zs.avail_out = uInt(outSize);
  const int rc = inflate(&zs, Z_FINISH);
  const size_t got = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || got != outSize)
    throw InputError("[npz] member does not inflate to its recorded size (" + std::to_string(got) + " of " +
                     std::to_string(outSize) + " bytes; truncated or corrupt) (" + where + ")");
  return out;
}
}  // namespace

int64_t NpyArray::count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string NpyArray::dtypeName() const {
  switch (kind) {
    case 'u':
      return "uint" + std::to_string(itemSize * 8);
    case 'i':
      return "int" + std::to_string(itemSize * 8);
    case 'f':
      return "float" + std::to_string(itemSize * 8);
    case 'b':
      return "bool";
    case 'U':
      return "<U" + std::to_string(itemSize / 4);
    case 'S':
      return "|S" + std::to_string(itemSize);
  }
  return "?";
}

namespace {
// Row-major index of element k of a Fortran-ordered array.
std::vector<int64_t> fortranToC(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int64_t> order(size_t(n), 0);  // order[c] = storage index of the row-major element c
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t c = 0; c < n; ++c) {
    int64_t f = 0, stride = 1;
    for (size_t a = 0; a < shape.size(); ++a) {
      f += idx[a] * stride;
      stride *= shape[a];
    }
    order[size_t(c)] = f;
    for (size_t a = shape.size(); a-- > 0;) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return order;
}
}  // namespace

std::vector<double> NpyArray::values(const std::string& source) const {
  if (kind == 'U' || kind == 'S') fail("expected numbers, found text (" + dtypeName() + ")", source);
  const int64_t n = count();
  std::vector<double> out(static_cast<size_t>(n));
  const std::vector<int64_t> order = fortranOrder && shape.size() > 1 ? fortranToC(shape) : std::vector<int64_t>();
  uint8_t tmp[8];
  for (int64_t c = 0; c < n; ++c) {
    const int64_t k = order.empty() ? c : order[size_t(c)];
    const uint8_t* p = data.data() + size_t(k) * size_t(itemSize);
    for (int b = 0; b < itemSize; ++b) tmp[b] = bigEndian ? p[itemSize - 1 - b] : p[b];
    double v = 0;
    if (kind == 'u' || kind == 'b') {
      uint64_t u = 0;
      for (int b = itemSize; b-- > 0;) u = u << 8 | tmp[b];
      v = double(u);
    } else if (kind == 'i') {
      uint64_t u = 0;
      for (int b = itemSize; b-- > 0;) u = u << 8 | tmp[b];
      if (itemSize < 8 && (u >> (itemSize * 8 - 1)) & 1) u |= ~uint64_t(0) << (itemSize * 8);
      v = double(int64_t(u));
    } else if (kind == 'f' && itemSize == 4) {
      float f;
      std::memcpy(&f, tmp, 4);
      v = f;
    } else if (kind == 'f' && itemSize == 8) {
      std::memcpy(&v, tmp, 8);
    } else {
      fail("unsupported element type " + dtypeName(), source);
    }
    out[size_t(c)] = v;
  }
  return out;
}

std::vector<std::string> NpyArray::strings(const std::string& source) const {
  if (kind != 'U' && kind != 'S') fail("expected text, found " + dtypeName(), source);
  std::vector<std::string> out;
  const int64_t n = count();
  const std::vector<int64_t> order = fortranOrder && shape.size() > 1 ? fortranToC(shape) : std::vector<int64_t>();
  for (int64_t c = 0; c < n; ++c) {
    const int64_t k = order.empty() ? c : order[size_t(c)];
    const uint8_t* p = data.data() + size_t(k) * size_t(itemSize);
    std::string s;
    if (kind == 'S') {
      s.assign(reinterpret_cast<const char*>(p), size_t(itemSize));
    } else {
      for (int j = 0; j + 4 <= itemSize; j += 4) {
        uint32_t cp = bigEndian ? (uint32_t(p[j]) << 24 | uint32_t(p[j + 1]) << 16 | uint32_t(p[j + 2]) << 8 | p[j + 3])
                                : le32(p + j);
        if (cp == 0) break;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) fail("text holds an invalid code point", source);
        if (cp < 0x80) {
          s += char(cp);
        } else if (cp < 0x800) {
          s += char(0xC0 | cp >> 6);
          s += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          s += char(0xE0 | cp >> 12);
          s += char(0x80 | (cp >> 6 & 0x3F));
          s += char(0x80 | (cp & 0x3F));
        } else {
          s += char(0xF0 | cp >> 18);
          s += char(0x80 | (cp >> 12 & 0x3F));
          s += char(0x80 | (cp >> 6 & 0x3F));
          s += char(0x80 | (cp & 0x3F));
        }
      }
    }
    while (!s.empty() && s.back() == '\0') s.pop_back();
    out.push_back(s);
  }
  return out;
}

NpyArray parseNpy(const uint8_t* bytes, size_t size, const std::string& source) {
  static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, magic, 6) != 0) fail("not a .npy array (no \\x93NUMPY magic)", source);
  const int major = bytes[6];
  size_t headerLen = 0, start = 0;
  if (major == 1) {
    headerLen = le16(bytes + 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail("truncated header", source);
    headerLen = le32(bytes + 8);
    start = 12;
  } else {
    fail("unsupported .npy version " + std::to_string(major) + "." + std::to_string(bytes[7]), source);
  }
  if (headerLen > size - start) fail("truncated header", source);
  const std::string header(reinterpret_cast<const char*>(bytes + start), headerLen);
  NpyArray a;
  bool haveDescr = false, haveOrder = false, haveShape = false;
  Lit lit{header, 0, source};
  lit.expect('{');
  while (!lit.eat('}')) {
    const std::string key = lit.str();
    lit.expect(':');
    if (key == "descr") {
      lit.ws();
      if (lit.i < header.size() && header[lit.i] == '[')
        fail("structured (record) arrays are not supported; save plain arrays", source);
      const std::string d = lit.str();
      if (d.size() >= 2 && d[1] == 'O')
        fail("object arrays (pickled Python objects) are not read; save numbers or fixed-width strings", source);
      if (d.size() < 3) fail("unknown dtype '" + d + "'", source);
      const char order = d[0];
      if (order != '<' && order != '>' && order != '|' && order != '=') fail("unknown dtype '" + d + "'", source);
      a.bigEndian = order == '>';
      a.kind = d[1];
      if (a.kind == 'O')
        fail("object arrays (pickled Python objects) are not read; save numbers or fixed-width strings", source);
      if (std::string("uifbUS").find(a.kind) == std::string::npos) fail("unsupported dtype '" + d + "'", source);
      int n = 0;
      for (size_t k = 2; k < d.size(); ++k) {
        if (d[k] < '0' || d[k] > '9' || n > 100000) fail("unknown dtype '" + d + "'", source);
        n = n * 10 + (d[k] - '0');
      }
      a.itemSize = a.kind == 'U' ? n * 4 : n;
      const bool ok = a.kind == 'U' || a.kind == 'S' ? n >= 1
                      : a.kind == 'f'                ? (n == 4 || n == 8)
                      : a.kind == 'b'                ? n == 1
                                                     : (n == 1 || n == 2 || n == 4 || n == 8);
      if (!ok) fail("unsupported dtype '" + d + "'", source);
      haveDescr = true;
    } else if (key == "fortran_order") {
      a.fortranOrder = lit.boolean();
      haveOrder = true;
    } else if (key == "shape") {
      a.shape = lit.tuple();
      haveShape = true;
    } else {
      fail("header has an unknown key '" + key.substr(0, 40) + "'", source);
    }
    if (!lit.eat(',')) {
      lit.expect('}');
      break;
    }
  }
  if (!haveDescr || !haveOrder || !haveShape) fail("header lacks descr, fortran_order or shape", source);
  int64_t n = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && n > kMaxElements / d) fail("shape is absurdly large", source);
    n *= d;
  }
  const uint64_t need = uint64_t(n) * uint64_t(a.itemSize);
  const uint64_t have = size - start - headerLen;
  if (have < need)
    fail("truncated: the header promises " + std::to_string(need) + " bytes of data, the file has " +
             std::to_string(have),
         source);
  if (have > need) fail(std::to_string(have - need) + " unexpected bytes after the data", source);
  const uint8_t* p = bytes + start + headerLen;
  a.data.assign(p, p + need);
  return a;
}

std::map<std::string, NpyArray> parseNpz(const uint8_t* bytes, size_t size, const std::string& source,
                                         size_t maxMemberBytes) {
  auto zfail = [&](const std::string& what) -> void { throw InputError("[npz] " + what + " (" + source + ")"); };
  // The end-of-central-directory record: within the last 22 + 65535 bytes.
  if (size < 22) zfail("not a .npz file: too short for a ZIP archive");
  size_t eocd = size_t(-1);
  for (size_t i = size - 22 + 1; i-- > 0 && size - i <= 22 + 65535;)
    if (le32(bytes + i) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == size_t(-1)) zfail("not a .npz file: no ZIP end-of-directory record (is it a .npy, or truncated?)");
  uint64_t entries = le16(bytes + eocd + 10);
  uint64_t cdSize = le32(bytes + eocd + 12);
  uint64_t cdOffset = le32(bytes + eocd + 16);
  if (entries == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) {  // ZIP64 end records
    if (eocd < 20 || le32(bytes + eocd - 20) != 0x07064b50) zfail("ZIP64 locator missing");
    const uint64_t z64 = le64(bytes + eocd - 20 + 8);
    if (z64 > size - 56 || le32(bytes + z64) != 0x06064b50) zfail("ZIP64 end record missing or out of range");
    entries = le64(bytes + z64 + 32);
    cdSize = le64(bytes + z64 + 40);
    cdOffset = le64(bytes + z64 + 48);
  }
  if (cdOffset > size || cdSize > size - cdOffset) zfail("central directory out of range (truncated file?)");
  if (entries > 100000) zfail("too many members");
  std::map<std::string, NpyArray> out;
  size_t p = size_t(cdOffset);
  const size_t cdEnd = size_t(cdOffset + cdSize);
  for (uint64_t e = 0; e < entries; ++e) {
    if (p + 46 > cdEnd || le32(bytes + p) != 0x02014b50)
      zfail("central directory entry " + std::to_string(e) + " is broken");
    const uint32_t flags = le16(bytes + p + 8), method = le16(bytes + p + 10);
    const uint32_t crc = le32(bytes + p + 16);
    uint64_t csize = le32(bytes + p + 20), usize = le32(bytes + p + 24);
    const size_t nameLen = le16(bytes + p + 28), extraLen = le16(bytes + p + 30), commentLen = le16(bytes + p + 32);
    uint64_t local = le32(bytes + p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cdEnd)
      zfail("central directory entry " + std::to_string(e) + " is truncated");
    const std::string name(reinterpret_cast<const char*>(bytes + p + 46), nameLen);
    // ZIP64 extra field: the 0xFFFFFFFF values, in this order.
    for (size_t x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      const uint32_t id = le16(bytes + x), len = le16(bytes + x + 2);
      if (x + 4 + len > p + 46 + nameLen + extraLen) zfail("member '" + name + "': broken extra field");
      if (id == 0x0001) {
        size_t q = x + 4;
        auto take = [&](uint64_t& v) {
          if (v != 0xFFFFFFFF) return;
          if (q + 8 > x + 4 + len) zfail("member '" + name + "': short ZIP64 field");
          v = le64(bytes + q);
          q += 8;
        };
        take(usize);
        take(csize);
        take(local);
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) zfail("member '" + name + "' is encrypted");
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0) continue;  // not an array
    const std::string where = source + ": " + name;
    if (usize > maxMemberBytes) zfail("member '" + name + "' is " + std::to_string(usize) + " bytes, over the limit");
    if (local > size - 30 || le32(bytes + local) != 0x04034b50)
      zfail("member '" + name + "': local header missing (truncated file?)");
    const size_t data = size_t(local) + 30 + le16(bytes + local + 26) + le16(bytes + local + 28);
    if (data > size || csize > size - data) zfail("member '" + name + "' is truncated");
    std::vector<uint8_t> raw;
    if (method == 0) {
      if (csize != usize) zfail("member '" + name + "': stored sizes disagree");
      raw.assign(bytes + data, bytes + data + csize);
    } else if (method == 8) {
      raw = inflateRaw(bytes + data, size_t(csize), size_t(usize), where);
    } else {
      zfail("member '" + name + "' uses compression method " + std::to_string(method) +
            "; np.savez and np.savez_compressed use 0 or 8");
    }
    if (uint32_t(crc32_z(0L, raw.data(), raw.size())) != crc)
      zfail("member '" + name + "' fails its CRC check (corrupt)");
    out[name.substr(0, name.size() - 4)] = parseNpy(raw.data(), raw.size(), where);
  }
  return out;
}

}  // namespace latentlab
