// Class folders of image files (torchvision's ImageFolder layout), grey or colour.
#include <stb_image.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/image_decode.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab {

bool validUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + size_t(len) > s.size()) return false;
    for (int k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + size_t(k)]) >> 6) != 0x2) return false;
    i += size_t(len);
  }
  return true;
}

bool isImageFileName(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* e :
       {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pgm", ".ppm", ".pnm", ".psd", ".hdr", ".pic"})
    if (ext == e) return true;
  return false;
}

// stb_image's terse failure reasons in words; the reason itself stays in brackets.
static std::string stbReasonInWords(const char* reason) {
  const std::string r = reason ? reason : "unknown";
  static const std::pair<const char*, const char*> kWords[] = {
      {"outofdata", "the file ends before the image does (cut short, or still being written)"},
      {"unknown image type", "not an image format LatentLab reads (PNG, JPEG, BMP, GIF, TGA, PNM, PSD, HDR)"},
      {"bad png sig", "not a PNG file (its first bytes are not PNG's signature)"},
      {"bad zlib header", "the PNG's compressed data is damaged"},
      {"bad huffman code", "the image's compressed data is damaged"},
      {"no SOI", "not a JPEG file (no start-of-image marker)"},
      {"bad IHDR len", "the PNG's header is damaged"},
      {"first not IHDR", "the PNG's header is damaged"},
      {"no IDAT", "the PNG has no image data"},
      {"bad CRC", "the PNG is damaged (a checksum does not match)"},
  };
  for (const auto& [key, words] : kWords)
    if (r == key) return std::string(words) + " [" + r + "]";
  return r;
}

DecodedImage decodeImageFile(const std::string& path, const std::string& tag, int maxSide, std::string* fingerprint) {
  const std::string file = readFileChecked(path, caps::kImage, "image");
  if (fingerprint) *fingerprint = bytesFingerprint(file);
  const auto* bytes = reinterpret_cast<const stbi_uc*>(file.data());
  int w = 0, h = 0, comp = 0;
  // The size from the header first: a small file can decode to gigabytes (30000x30000).
  if (stbi_info_from_memory(bytes, int(file.size()), &w, &h, &comp) && (w > maxSide || h > maxSide))
    throw InputError(tag + " image size " + std::to_string(w) + "x" + std::to_string(h) +
                     (maxSide == 512 ? std::string(" must be a multiple of 4 and at most 512")
                                     : " is over " + std::to_string(maxSide) + " pixels a side") +
                     " (" + path + ")");
  unsigned char* px = stbi_load_from_memory(bytes, int(file.size()), &w, &h, &comp, 4);
  if (!px) throw InputError(tag + " cannot read image: " + stbReasonInWords(stbi_failure_reason()) + " (" + path + ")");
  DecodedImage d;
  d.w = w;
  d.h = h;
  d.rgb.resize(size_t(w) * size_t(h) * 3);
  for (size_t i = 0; i < size_t(w) * size_t(h); ++i) {
    const unsigned a = px[4 * i + 3];
    for (int c = 0; c < 3; ++c)  // alpha over white, rounded: a transparent pixel is paper, not black
      d.rgb[3 * i + size_t(c)] = uint8_t((px[4 * i + size_t(c)] * a + 255u * (255u - a) + 127u) / 255u);
    const uint8_t* p = &d.rgb[3 * i];
    if (p[0] != p[1] || p[1] != p[2]) d.colour = true;
  }
  stbi_image_free(px);
  return d;
}

torch::Tensor withChannels(const torch::Tensor& images, int64_t channels) {
  const int64_t c = images.size(1);
  if (channels <= 0 || c == channels) return images;
  if (c == 1 && channels == 3) return images.expand({-1, 3, -1, -1}).contiguous();
  if (c == 3 && channels == 1) {  // ITU-R BT.601 luma, as PIL's convert("L") does
    const torch::Tensor w = torch::tensor({0.299f, 0.587f, 0.114f}, images.options()).view({1, 3, 1, 1});
    return (images * w).sum(1, true).clamp(0.0, 1.0);
  }
  throw InputError("[dataset] cannot convert images with " + std::to_string(c) + " channels to " +
                   std::to_string(channels));
}

namespace {
bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

// One folder's images decoded, before the channel count is chosen.
struct RawFolder {
  std::vector<std::string> classes;
  std::vector<DecodedImage> images;
  std::vector<int64_t> labels;
  std::vector<std::string> skipped;
  bool colour = false;
};

std::vector<std::string> classFolders(const std::string& dir, std::vector<std::string>& notFolders) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("[image-folder] neither fashion-mnist, mnist nor a folder of class subfolders: not a directory (" +
                     dir + ")");
  std::vector<std::string> classes;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    if (hidden(e.path())) continue;
    if (e.is_directory(ec))
      classes.push_back(e.path().filename().string());
    else if (!e.is_regular_file(ec))
      notFolders.push_back(e.path().string());
  }
  std::sort(classes.begin(), classes.end());
  for (const auto& c : classes)
    if (!validUtf8(c) || c.size() > 200)
      throw InputError("[image-folder] class folder names must be UTF-8, at most 200 bytes: '" + clipForMessage(c, 40) +
                       "' (" + dir + ")");
  return classes;
}

RawFolder readFolder(const std::string& dir, int& w0, int& h0, std::string& firstFile) {
  RawFolder r;
  std::vector<std::string> notFolders;  // a pipe, a device or a dangling link among the class folders
  r.classes = classFolders(dir, notFolders);
  if (r.classes.size() < 2)
    throw InputError("[image-folder] needs at least 2 class subfolders, found " + std::to_string(r.classes.size()) +
                     " (" + dir + ")");
  std::error_code ec;
  for (size_t c = 0; c < r.classes.size(); ++c) {
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(fs::path(dir) / r.classes[c], ec)) {
      if (hidden(e.path())) continue;
      // An image's name that is not a plain file (a link to /dev/zero, a pipe, a loop) is read below
      // and refused with its rule; anything else that is not an image is listed as skipped.
      if (isImageFileName(e.path().string()))
        files.push_back(e.path());
      else
        r.skipped.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());  // torchvision's order: classes sorted, then files sorted
    if (files.empty())
      throw InputError("[image-folder] class folder has no images (" + (fs::path(dir) / r.classes[c]).string() + ")");
    for (auto& f : files) {
      DecodedImage img = decodeImageFile(f.string(), "[image-folder]");
      if (w0 < 0) {
        w0 = img.w;
        h0 = img.h;
        firstFile = f.string();
        if (img.w % 4 != 0 || img.h % 4 != 0)
          throw InputError("[image-folder] image size " + std::to_string(img.w) + "x" + std::to_string(img.h) +
                           " must be a multiple of 4 and at most 512 (" + f.string() + ")");
      } else if (img.w != w0 || img.h != h0) {
        throw InputError("[image-folder] image is " + std::to_string(img.w) + "x" + std::to_string(img.h) +
                         ", others are " + std::to_string(w0) + "x" + std::to_string(h0) + " (" + f.string() +
                         "; the first was " + firstFile + ")");
      }
      r.colour = r.colour || img.colour;
      r.images.push_back(std::move(img));
      r.labels.push_back(int64_t(c));
    }
  }
  r.skipped.insert(r.skipped.end(), notFolders.begin(), notFolders.end());
  std::sort(r.skipped.begin(), r.skipped.end());
  return r;
}

Dataset toDataset(RawFolder&& r, const std::string& name, int64_t channels) {
  const int64_t n = int64_t(r.images.size()), h = r.images[0].h, w = r.images[0].w;
  torch::Tensor u8 = torch::empty({n, h, w, 3}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(u8[i].data_ptr<uint8_t>(), r.images[size_t(i)].rgb.data(), size_t(h * w * 3));
    r.images[size_t(i)].rgb = {};
  }
  torch::Tensor x = u8.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f);
  Dataset d;
  d.name = name;
  d.classNames = r.classes;
  d.skipped = r.skipped;
  // All grey: one channel (the three are equal, so no conversion is lost).
  d.images = channels == 1 && !r.colour ? x.slice(1, 0, 1).contiguous() : withChannels(x.contiguous(), channels);
  d.labels = torch::tensor(r.labels, torch::kInt64);
  return d;
}

}  // namespace

void checkChannelsOption(int channels) {
  if (channels != 0 && channels != 1 && channels != 3)
    throw InputError("[dataset] --channels must be 1 (grey) or 3 (colour), got " + std::to_string(channels));
}

Dataset loadImageFolder(const std::string& dir, int channels) {
  checkChannelsOption(channels);
  int w0 = -1, h0 = -1;
  std::string first;
  RawFolder r = readFolder(dir, w0, h0, first);
  const int64_t c = channels ? channels : r.colour ? 3 : 1;
  return toDataset(std::move(r), dir, c);
}

bool isTrainTestFolder(const std::string& dir) {
  std::error_code ec;
  for (const char* part : {"train", "test"}) {
    const fs::path p = fs::path(dir) / part;
    if (!fs::is_directory(p, ec)) return false;
    bool hasSub = false;
    for (auto& e : fs::directory_iterator(p, ec))
      if (!hidden(e.path()) && e.is_directory(ec)) hasSub = true;
    if (!hasSub) return false;
  }
  return true;
}

DatasetSplit loadTrainTestFolder(const std::string& dir, int channels) {
  checkChannelsOption(channels);
  int w0 = -1, h0 = -1;
  std::string first;
  const std::string trainDir = (fs::path(dir) / "train").string(), testDir = (fs::path(dir) / "test").string();
  RawFolder tr = readFolder(trainDir, w0, h0, first);
  RawFolder te = readFolder(testDir, w0, h0, first);
  if (tr.classes != te.classes) {
    std::string only;
    for (const auto& c : tr.classes)
      if (std::find(te.classes.begin(), te.classes.end(), c) == te.classes.end()) only += " train/" + c;
    for (const auto& c : te.classes)
      if (std::find(tr.classes.begin(), tr.classes.end(), c) == tr.classes.end()) only += " test/" + c;
    throw InputError(
        "[image-folder] train/ and test/ must hold the same class folders (the labels are their sorted "
        "order); only in one:" +
        clipForMessage(only, 300) + " (" + dir + ")");
  }
  std::error_code ec;
  std::vector<std::string> others;  // val/, a README: not read
  for (auto& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (!hidden(e.path()) && f != "train" && f != "test") others.push_back(e.path().string());
  }
  const int64_t c = channels ? channels : (tr.colour || te.colour) ? 3 : 1;
  DatasetSplit s;
  s.train = toDataset(std::move(tr), dir, c);
  s.test = toDataset(std::move(te), dir, c);
  s.train.skipped.insert(s.train.skipped.end(), others.begin(), others.end());
  s.train.skipped.insert(s.train.skipped.end(), s.test.skipped.begin(), s.test.skipped.end());
  std::sort(s.train.skipped.begin(), s.train.skipped.end());
  return s;
}

Dataset loadImageAsDataset(const std::string& path, const std::array<int64_t, 3>& shape, std::string* note,
                           std::string* fingerprint) {
  if (!isImageFileName(path))
    throw InputError("[image] not an image file (PNG, JPEG, BMP, GIF, TGA, PNM, PSD, HDR or PIC) (" + path + ")");
  DecodedImage d = decodeImageFile(path, "[image]", 8192, fingerprint);
  torch::Tensor x =
      torch::from_blob(d.rgb.data(), {1, d.h, d.w, 3}, torch::kUInt8).permute({0, 3, 1, 2}).to(torch::kFloat32) /
      255.0f;
  if (!d.colour) x = x.slice(1, 0, 1);
  Dataset out;
  out.name = path;
  out.images = fitImages(x.contiguous(), shape, note);
  out.labels = torch::full({1}, -1, torch::kInt64);
  return out;
}

}  // namespace latentlab
