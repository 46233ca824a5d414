// Torch-free pieces of the explorer: PCA projection and its inverse, colormaps, the lasso test,
// filter parsing, the newest-wins slot, session JSON and CSV export.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_IMPLEMENT  // also when doctest.h came first, through the precompiled header
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "latentlab/explorer/decode_check.h"
#include "latentlab/explorer/session.h"
#include "latentlab/explorer/viewmath.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/newest_wins.h"

using namespace latentlab;
namespace fs = std::filesystem;

namespace {
// Points with most variance along a known direction u, then v, then little noise.
std::vector<float> anisotropic(int n, int d, std::vector<float>& u, std::vector<float>& v, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  u.assign(size_t(d), 0);
  v.assign(size_t(d), 0);
  u[1] = 0.6f, u[3] = 0.8f;   // unit
  v[0] = -0.8f, v[2] = 0.6f;  // unit, orthogonal to u
  std::vector<float> z(size_t(n * d));
  for (int i = 0; i < n; ++i) {
    const float a = 10 * g(rng), b = 3 * g(rng);
    for (int j = 0; j < d; ++j) z[size_t(i * d + j)] = 5.0f + a * u[size_t(j)] + b * v[size_t(j)] + 0.1f * g(rng);
  }
  return z;
}
double dot(const float* a, const float* b, int d) {
  double s = 0;
  for (int j = 0; j < d; ++j) s += double(a[j]) * b[j];
  return s;
}
}  // namespace

TEST_CASE("PCA: recovers the principal axes, orthonormal, with the documented sign") {
  const int n = 2000, d = 6;
  std::vector<float> u, v;
  std::vector<float> z = anisotropic(n, d, u, v, 1);
  Pca2 p = fitPca2(z.data(), n, d);
  CHECK(p.dim == d);
  const float* a0 = p.axes.data();
  const float* a1 = p.axes.data() + d;
  CHECK(dot(a0, a0, d) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(dot(a1, a1, d) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(std::abs(dot(a0, a1, d)) < 1e-5);
  CHECK(std::abs(dot(a0, u.data(), d)) > 0.999);
  CHECK(std::abs(dot(a1, v.data(), d)) > 0.999);
  CHECK(p.variance[0] == doctest::Approx(100).epsilon(0.1));
  CHECK(p.variance[1] == doctest::Approx(9).epsilon(0.1));
  CHECK(p.variance[0] + p.variance[1] <= p.totalVariance);
  // Sign: the entry of largest magnitude is positive (u's is +0.8 at j=3, v's is -0.8 at j=0).
  CHECK(a0[3] > 0);
  CHECK(a1[0] > 0);
  CHECK(p.mean[0] == doctest::Approx(5.0).epsilon(0.05));
}

TEST_CASE("PCA inverse: moving the 2D point by (dx, dy) moves z by exactly that along the axes") {
  const int n = 500, d = 6;
  std::vector<float> u, v;
  std::vector<float> z = anisotropic(n, d, u, v, 2);
  Pca2 p = fitPca2(z.data(), n, d);
  float xy0[2], xy1[2];
  projectPca2(p, z.data() + 7 * d, 1, xy0);
  std::vector<float> z1 = pcaInverseDrag(p, z.data() + 7 * d, 1.25f, -0.5f, nullptr, nullptr);
  projectPca2(p, z1.data(), 1, xy1);
  CHECK(xy1[0] - xy0[0] == doctest::Approx(1.25).epsilon(1e-4));
  CHECK(xy1[1] - xy0[1] == doctest::Approx(-0.5).epsilon(1e-4));
  // The move is in the span of the two axes only: the residual off the plane is unchanged.
  for (int j = 0; j < d; ++j) {
    const float expect = z[size_t(7 * d + j)] + 1.25f * p.axes[size_t(j)] - 0.5f * p.axes[size_t(d + j)];
    CHECK(z1[size_t(j)] == doctest::Approx(expect).epsilon(1e-6));
  }
  // Clamping to the encoder's range: every coordinate stays within [lo, hi].
  std::vector<float> lo(size_t(d), 4.9f), hi(size_t(d), 5.1f);
  std::vector<float> zc = pcaInverseDrag(p, z.data(), 100.0f, 100.0f, lo.data(), hi.data());
  for (int j = 0; j < d; ++j) {
    CHECK(zc[size_t(j)] >= 4.9f);
    CHECK(zc[size_t(j)] <= 5.1f);
  }
  CHECK_THROWS_AS(fitPca2(z.data(), 1, d), InputError);
  z[3] = std::nanf("");
  CHECK_THROWS_WITH_AS(fitPca2(z.data(), n, d), doctest::Contains("non-finite"), InputError);
}

TEST_CASE("colormaps: viridis is perceptually ordered, class colours are distinct") {
  auto lum = [](const Rgb& c) { return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  double prev = -1;
  for (int i = 0; i <= 64; ++i) {
    const double l = lum(viridis(float(i) / 64));
    CHECK(l > prev);  // lightness rises monotonically: higher uncertainty reads brighter
    prev = l;
  }
  CHECK(viridis(-3.0f) == viridis(0.0f));
  CHECK(viridis(7.0f) == viridis(1.0f));
  CHECK(viridis(std::nanf("")) == viridis(0.0f));
  for (int a = 0; a < 10; ++a)
    for (int b = a + 1; b < 10; ++b) {
      const Rgb x = classColor(a), y = classColor(b);
      CHECK(std::abs(x[0] - y[0]) + std::abs(x[1] - y[1]) + std::abs(x[2] - y[2]) > 0.15f);
    }
  CHECK(classColor(3) == classColor(23));
  // None of the first ten is grey: grey is the deterministic head's bars (and MNIST's 7 was grey).
  for (int a = 0; a < 10; ++a) {
    const Rgb c = classColor(a);
    CHECK(std::max({c[0], c[1], c[2]}) - std::min({c[0], c[1], c[2]}) > 0.2f);
  }
}

TEST_CASE("lasso: point in polygon for convex and concave shapes") {
  std::vector<std::pair<float, float>> square = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  CHECK(pointInPolygon(0.5f, 0.5f, square));
  CHECK_FALSE(pointInPolygon(1.5f, 0.5f, square));
  CHECK_FALSE(pointInPolygon(0.5f, -0.1f, square));
  // A U shape: the notch is outside.
  std::vector<std::pair<float, float>> u = {{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}};
  CHECK(pointInPolygon(0.5f, 2.5f, u));
  CHECK(pointInPolygon(2.5f, 2.5f, u));
  CHECK_FALSE(pointInPolygon(1.5f, 2.0f, u));
  CHECK(pointInPolygon(1.5f, 0.5f, u));
  CHECK_FALSE(pointInPolygon(0.5f, 0.5f, {{0, 0}, {1, 1}}));
}

TEST_CASE("filter: parsing, matching, and errors that name the term") {
  const std::vector<std::string> names = {"zero", "one", "Shirt", "three"};
  Filter f = parseFilter("pred=3 label!=3", names);
  REQUIRE(f.terms.size() == 2);
  CHECK(filterMatches(f, {0, 1, 3, 0, 0, 0}));
  CHECK_FALSE(filterMatches(f, {0, 3, 3, 0, 0, 0}));
  CHECK_FALSE(filterMatches(f, {0, 1, 2, 0, 0, 0}));
  Filter g = parseFilter("  42 ");
  REQUIRE(g.terms.size() == 1);
  CHECK(filterMatches(g, {42, 0, 0, 0, 0, 0}));
  CHECK_FALSE(filterMatches(g, {41, 0, 0, 0, 0, 0}));
  Filter h = parseFilter("label=shirt epistemic>=0.5 wrong", names);
  CHECK(filterMatches(h, {0, 2, 1, 0, 0, 0.5f}));
  CHECK_FALSE(filterMatches(h, {0, 2, 2, 0, 0, 0.5f}));  // correct, not wrong
  CHECK_FALSE(filterMatches(h, {0, 2, 1, 0, 0, 0.4f}));
  CHECK(filterMatches(parseFilter("total<1 index>=10"), {10, 0, 0, 0.5f, 0, 0}));
  CHECK(parseFilter("").empty());
  CHECK_THROWS_WITH_AS(parseFilter("colour=3"), doctest::Contains("unknown field 'colour'"), InputError);
  CHECK_THROWS_WITH_AS(parseFilter("pred=banana", names), doctest::Contains("'banana'"), InputError);
  CHECK_THROWS_WITH_AS(parseFilter("pred="), doctest::Contains("no value"), InputError);
  CHECK_THROWS_WITH_AS(parseFilter("pred=>3"), doctest::Contains("unknown operator"), InputError);
  CHECK_THROWS_WITH_AS(parseFilter("1.5"), doctest::Contains("not a point index"), InputError);
  CHECK_THROWS_WITH_AS(parseFilter("hello"), doctest::Contains("'hello' is not a term"), InputError);
}

TEST_CASE("newest-wins slot: a newer request replaces one not yet taken, none is lost at the end") {
  NewestWins<int> slot;
  CHECK_FALSE(slot.put(1));
  CHECK(slot.put(2));
  CHECK(slot.take() == 2);
  CHECK_FALSE(slot.take().has_value());
  // A producer posts 1..N fast; a slow consumer sees increasing values and always the last one.
  NewestWins<int> s;
  const int N = 20000;
  std::atomic<bool> done{false};
  std::vector<int> seen;
  std::thread consumer([&] {
    for (;;) {
      if (auto v = s.take()) {
        seen.push_back(*v);
        if (*v == N) break;
      } else if (done && !s.pending()) {
        break;
      }
      std::this_thread::yield();
    }
  });
  for (int i = 1; i <= N; ++i) s.put(i);
  done = true;
  consumer.join();
  REQUIRE(!seen.empty());
  CHECK(seen.back() == N);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(s.posted() == unsigned(N));
  CHECK(s.dropped() + seen.size() == unsigned(N));
}

TEST_CASE("session: JSON round trip, and bad files rejected with the key named") {
  SessionState s;
  s.bundle = "/data/my.bundle";
  s.colorMode = "epistemic";
  s.viewX = 1.5;
  s.viewY = -2.25;
  s.viewScale = 33.0;
  s.showTrain = true;
  s.hiddenClasses = {2, 7};
  s.filter = "pred=3 label!=3";
  s.selection = {4, 8, 15};
  s.selected = 8;
  s.edited.push_back({8, {0.1f, 0.2f, 3.0f}, 1.0f, 2.0f, "pca", -1, -1, {}});
  const fs::path dir = fs::temp_directory_path() / ("ll-session-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "s.json").string();
  saveSession(s, path);
  SessionState r = loadSession(path);
  CHECK(sessionToJson(r) == sessionToJson(s));
  CHECK(r.edited[0].latent == s.edited[0].latent);
  CHECK(r.selected == 8);

  auto bad = [&](const std::string& text, const std::string& expect) {
    writeFileAtomic(path, text);
    CHECK_THROWS_WITH_AS(loadSession(path), doctest::Contains(expect.c_str()), InputError);
    CHECK_THROWS_WITH_AS(loadSession(path), doctest::Contains(path.c_str()), InputError);
  };
  bad("{not json", "not valid JSON");
  bad("[1,2]", "not a JSON object");
  bad(R"({"format":"other"})", "not a LatentLab session");
  nlohmann::json j = sessionToJson(s);
  j["version"] = 99;
  bad(j.dump(), "version 99");
  j = sessionToJson(s);
  j["color"] = "rainbow";
  bad(j.dump(), "unknown colour mode 'rainbow'");
  j = sessionToJson(s);
  j["view"].erase("scale");
  bad(j.dump(), "missing key 'view.scale'");
  j = sessionToJson(s);
  j["selection"] = {1, -4};
  bad(j.dump(), "'selection[]' must be a whole number in 0..");
  // Values that used to wrap or become infinite on the way in, and could not be saved again.
  j = sessionToJson(s);
  j["selected"] = nlohmann::json::parse("18446744073709551615");
  bad(j.dump(), "'selected' must be a whole number");
  j = sessionToJson(s);
  j["hidden_classes"] = nlohmann::json::parse("[4294967297]");
  bad(j.dump(), "'hidden_classes[]' must be a whole number");
  j = sessionToJson(s);
  j["edited"][0]["latent"][0] = 1e300;
  bad(j.dump(), "'edited[0].latent[]' must be a finite number within +-1e30");
  j = sessionToJson(s);
  j["edited"][0]["x"] = 1e39;
  bad(j.dump(), "'edited[0].x' must be a finite number");
  j = sessionToJson(s);
  j["edited"][0]["origin"] = -1;
  bad(j.dump(), "'edited[0].origin' must be a whole number in 0..");
  j = sessionToJson(s);
  j["view"]["scale"] = 1e308;
  bad(j.dump(), "'view' must have a scale > 0");
  // Text that is not UTF-8 (a filter typed in another encoding) is saved, with U+FFFD for its bad
  // bytes; saving used to throw nlohmann's type_error and, on Ctrl+S, close the window.
  SessionState odd = s;
  odd.filter = "label=caf\xe9";
  saveSession(odd, path);
  CHECK(loadSession(path).filter == "label=caf\xef\xbf\xbd");
  j = sessionToJson(s);
  j["selection"] = {3, 3, 4};
  writeFileAtomic(path, j.dump());
  CHECK(loadSession(path).selection == std::vector<int64_t>{3, 4});  // a duplicate index is kept once
  j = sessionToJson(s);
  j["edited"][0]["latent"] = {1, "x"};
  bad(j.dump(), "edited[0].latent");
  CHECK_THROWS_WITH_AS(loadSession((dir / "missing.json").string()), doctest::Contains("missing.json"), InputError);
  fs::remove_all(dir);
}

TEST_CASE("CSV export: header, one row per point, floats that survive the round trip") {
  std::vector<CsvRow> rows(2);
  rows[0] = {12, 3, 5, 1.2345678f, 0.5f, 0.7345678f, -3.25f, 1e-7f, {0.1f, 2.0f / 3.0f, 0.0f}};
  rows[1] = {7, 0, 0, 0.0f, 0.0f, 0.0f, 100.0f, -0.125f, {1e10f, -1.0f, 3.14159274f}};
  const std::string csv = selectionCsv(rows, 3);
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  CHECK(line == "index,label,prediction,total,aleatoric,epistemic,x,y,z0,z1,z2");
  for (const CsvRow& r : rows) {
    REQUIRE(std::getline(in, line));
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    REQUIRE(cells.size() == 11);
    CHECK(std::stoll(cells[0]) == r.index);
    CHECK(std::stoi(cells[1]) == r.label);
    CHECK(std::stoi(cells[2]) == r.pred);
    CHECK(std::stof(cells[3]) == r.total);
    CHECK(std::stof(cells[5]) == r.epistemic);
    CHECK(std::stof(cells[6]) == r.x);
    CHECK(std::stof(cells[7]) == r.y);
    for (int j = 0; j < 3; ++j) CHECK(std::stof(cells[size_t(8 + j)]) == r.latent[size_t(j)]);
  }
  CHECK_FALSE(std::getline(in, line));
  rows[1].latent.pop_back();
  CHECK_THROWS_WITH_AS(selectionCsv(rows, 3), doctest::Contains("point 7"), InputError);
}

TEST_CASE("decode check: plain words when the model reads the picture as another class or far less surely") {
  const std::vector<std::string> names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  // MNIST test 1609 on a teacher's tour: a 4 at its latent, drawn as a clear 9.
  DecodeCheck c = checkDecode(4, 0.05f, 9, 0.81f, 0.6f, names);
  CHECK(c.classDiffers);
  CHECK_FALSE(c.faithful());
  CHECK(c.words.find("would read this picture as a 9") == std::string::npos);  // no article before a name
  CHECK(c.words.find("as 9 (0.81)") != std::string::npos);
  CHECK(c.words.find("not as 4") != std::string::npos);
  // Same class, U far above the latent's (log 10 / 5 = 0.46 nats above, and more than twice).
  c = checkDecode(4, 0.10f, 4, 0.55f, 1.2f, names);
  CHECK(c.muchLessSure);
  CHECK(c.words.find("much less sure") != std::string::npos);
  // Same class, a little less sure: faithful, no words.
  c = checkDecode(4, 0.10f, 4, 0.9f, 0.4f, names);
  CHECK(c.faithful());
  CHECK(c.words.empty());
  // More than twice, but not far in nats: faithful.
  CHECK(checkDecode(4, 0.01f, 4, 0.99f, 0.05f, names).faithful());
  // No prediction (a label-free bundle) or a class outside the names: nothing to say.
  CHECK(checkDecode(-1, 0, 3, 0.5f, 1, names).faithful());
  CHECK(checkDecode(2, 0, 12, 0.5f, 1, names).faithful());
}
