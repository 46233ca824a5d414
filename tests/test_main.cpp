// Custom doctest main: fixes seeds and threads, and picks the device (cpu unless
// LATENTLAB_TEST_DEVICE says otherwise), so runs are reproducible.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <stb_image_write.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "latentlab/util/runtime.h"
#include "test_helpers.h"

namespace testutil {

torch::Device device() {
  const char* e = std::getenv("LATENTLAB_TEST_DEVICE");
  return torch::Device(e && *e ? e : "cpu");
}

TempDir::TempDir() {
  static int counter = 0;
  path = std::filesystem::temp_directory_path() /
         ("latentlab-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}
std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string idxBytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data, uint8_t type) {
  std::string s = {0, 0, char(type), char(dims.size())};
  for (uint32_t d : dims) {
    s += char(d >> 24);
    s += char((d >> 16) & 255);
    s += char((d >> 8) & 255);
    s += char(d & 255);
  }
  s.append(data.begin(), data.end());
  return s;
}

void writeGz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

void writeImageFolder(const std::string& dir, int classes, int perClass, int h, int w, uint64_t seed, int channels) {
  std::mt19937 rng{static_cast<uint32_t>(seed)};
  std::uniform_int_distribution<int> noise(0, 40);
  for (int c = 0; c < classes; ++c) {
    auto cdir = std::filesystem::path(dir) / ("class_" + std::string(1, char('a' + c)));
    std::filesystem::create_directories(cdir);
    for (int i = 0; i < perClass; ++i) {
      std::vector<unsigned char> px(size_t(h * w * channels));
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          // Class c lights a horizontal band at a class-specific height, plus noise; in colour, the
          // band is red, green or blue by class, and the alpha channel (4) is opaque on the band only.
          const bool on = (y * classes / h) == c;
          const int v = std::min(255, (on ? 200 : 10) + noise(rng));
          unsigned char* p = &px[size_t((y * w + x) * channels)];
          if (channels == 1) {
            p[0] = (unsigned char)v;
            continue;
          }
          for (int k = 0; k < 3; ++k) p[k] = (unsigned char)(k == c % 3 ? v : 10);
          if (channels == 4) p[3] = on ? 255 : 0;
        }
      const std::string f = (cdir / ("img" + std::to_string(i) + ".png")).string();
      stbi_write_png(f.c_str(), w, h, channels, px.data(), w * channels);
    }
  }
}

}  // namespace testutil

int main(int argc, char** argv) {
  latentlab::configureRuntime(2);
  torch::manual_seed(0);
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  return ctx.run();
}
