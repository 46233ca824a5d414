#pragma once
// One image file decoded for a dataset: stb_image's formats, alpha composited on white, kept as
// 8-bit RGB so that a folder can decide its channel count after seeing every image.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {

struct DecodedImage {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;  // h * w * 3, row-major, interleaved
  bool colour = false;       // some pixel has R, G and B not all equal
};

// The rules of every image a dataset reads: the file at most caps::kImage bytes, sides at most 512
// (from the header, before decoding). `tag` starts the messages ("[image-folder]"). Throws
// InputError naming the file.
// maxSide: the largest side accepted (a dataset's 512; an image added to the map, which is resized,
// up to 8192). `fingerprint`, when given, receives bytesFingerprint of the file's bytes.
DecodedImage decodeImageFile(const std::string& path, const std::string& tag, int maxSide = 512,
                             std::string* fingerprint = nullptr);

// True when s is valid UTF-8 (names that go into JSON: class folders, added images' paths).
bool validUtf8(const std::string& s);

// True for the extensions stb_image reads (png, jpg, jpeg, bmp, gif, tga, pgm, ppm, pnm, psd, hdr, pic).
bool isImageFileName(const std::string& path);

}  // namespace latentlab
