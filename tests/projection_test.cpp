// t-SNE, UMAP, kNN, placement, the non-linear inverse, quality metrics and layout files.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "test_helpers.h"

using namespace latentlab;

namespace {

// `clusters` Gaussian blobs in d dimensions, centres 10 apart, unit spread; labels = blob.
struct Blobs {
  std::vector<float> X;
  std::vector<int32_t> labels;
  int64_t n = 0, d = 0;
};
Blobs blobs(int clusters, int perCluster, int d, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Blobs b;
  b.d = d;
  b.n = int64_t(clusters) * perCluster;
  std::vector<std::vector<float>> centres(static_cast<size_t>(clusters), std::vector<float>(static_cast<size_t>(d)));
  for (auto& c : centres)
    for (auto& v : c) v = 10.0f * nd(g);
  for (int c = 0; c < clusters; ++c)
    for (int i = 0; i < perCluster; ++i) {
      for (int t = 0; t < d; ++t) b.X.push_back(centres[size_t(c)][size_t(t)] + nd(g));
      b.labels.push_back(c);
    }
  return b;
}

std::string device() { return testutil::device().is_cuda() ? "cuda" : "cpu"; }

}  // namespace

TEST_CASE("exact kNN is the brute-force kNN, the HNSW path recalls at least 95% of it") {
  Blobs b = blobs(6, 400, 16, 1);
  const int k = 15;
  Knn ex = knnExact(b.X.data(), b.n, b.d, k, device());
  REQUIRE(ex.idx.size() == size_t(b.n * k));
  for (int64_t i : {int64_t(0), int64_t(777), b.n - 1}) {
    std::vector<std::pair<double, int32_t>> all;
    for (int64_t j = 0; j < b.n; ++j) {
      if (j == i) continue;
      double s = 0;
      for (int64_t t = 0; t < b.d; ++t) s += std::pow(double(b.X[size_t(i * b.d + t)]) - b.X[size_t(j * b.d + t)], 2);
      all.emplace_back(std::sqrt(s), int32_t(j));
    }
    std::sort(all.begin(), all.end());
    for (int j = 0; j < k; ++j) {
      CHECK(ex.dist[size_t(i * k + j)] == doctest::Approx(all[size_t(j)].first).epsilon(1e-3));
      CHECK(ex.idx[size_t(i * k + j)] != i);
    }
    CHECK(ex.idx[size_t(i * k)] == all[0].second);
  }
  Knn ap = knnApprox(b.X.data(), b.n, b.d, k, 0, 2);
  int64_t hits = 0;
  for (int64_t i = 0; i < b.n; ++i) {
    std::set<int32_t> truth(ex.idx.begin() + i * k, ex.idx.begin() + (i + 1) * k);
    for (int j = 0; j < k; ++j) hits += truth.count(ap.idx[size_t(i * k + j)]);
  }
  const double recall = double(hits) / double(b.n * k);
  MESSAGE("HNSW kNN recall@15 vs exact: " << recall);
  CHECK(recall >= 0.95);
  CHECK_THROWS_AS(knnExact(b.X.data(), 5, b.d, 5, "cpu"), InputError);  // k must be < n
}

TEST_CASE("t-SNE, UMAP and PCA keep well-separated clusters: trustworthiness and 2D kNN accuracy") {
  Blobs b = blobs(5, 120, 12, 2);
  Knn knn = knnExact(b.X.data(), b.n, b.d, 90, device());
  TsneOptions to;
  int reports = 0;
  auto ts = runTsne(b.X.data(), b.n, b.d, knn, to, [&](const std::vector<float>& xy, int it, int its) {
    ++reports;
    CHECK(xy.size() == size_t(2 * b.n));
    CHECK(it <= its);
  });
  CHECK(reports > 10);  // the map can update while it optimises
  UmapOptions uo;
  auto um = runUmap(b.X.data(), b.n, b.d, knn, uo);
  auto pc = runPca(b.X.data(), b.n, b.d);
  for (auto* layout : {&ts, &um, &pc}) {
    for (float v : *layout) REQUIRE(std::isfinite(v));
    LayoutQuality q = layoutQuality(b.X.data(), b.n, b.d, layout->data(), b.labels.data(), 0, 15, 0);
    MESSAGE("trust " << q.trustworthiness << " recall " << q.knnRecall << " acc " << q.knnAccuracy);
    CHECK(q.sample == b.n);
    CHECK(q.knnAccuracy >= 0.98);
    if (layout != &pc) {
      CHECK(q.trustworthiness >= 0.9);
      CHECK(q.knnRecall >= 0.3);
    }
  }
  // A layout that ignores the data scores worse: random positions.
  std::mt19937_64 g(3);
  std::vector<float> rnd(size_t(2 * b.n));
  for (auto& v : rnd) v = std::uniform_real_distribution<float>(-1, 1)(g);
  LayoutQuality bad = layoutQuality(b.X.data(), b.n, b.d, rnd.data(), b.labels.data(), 0, 15, 0);
  CHECK(bad.trustworthiness < 0.7);
  CHECK(bad.knnAccuracy < 0.5);
}

TEST_CASE("layouts are deterministic for a seed (t-SNE also across thread counts)") {
  Blobs b = blobs(3, 100, 8, 4);
  Knn knn = knnExact(b.X.data(), b.n, b.d, 60, "cpu");
  TsneOptions o;
  o.iterations = 300;
  o.perplexity = 15;
  o.threads = 1;
  auto a = runTsne(b.X.data(), b.n, b.d, knn, o);
  o.threads = 2;
  auto c = runTsne(b.X.data(), b.n, b.d, knn, o);
  CHECK(a == c);
  UmapOptions u;
  u.epochs = 100;
  u.seed = 7;
  auto u1 = runUmap(b.X.data(), b.n, b.d, knn, u);
  auto u2 = runUmap(b.X.data(), b.n, b.d, knn, u);
  CHECK(u1 == u2);
  u.seed = 8;
  CHECK(runUmap(b.X.data(), b.n, b.d, knn, u) != u1);
}

TEST_CASE("UMAP's a and b for min_dist 0.1, spread 1 match the reference values") {
  double a = 0, b = 0;
  fitUmapAB(0.1, 1.0, a, b);
  CHECK(a == doctest::Approx(1.577).epsilon(0.02));
  CHECK(b == doctest::Approx(0.895).epsilon(0.02));
}

TEST_CASE("placement of new points: a duplicate lands on its twin, a cluster member in its cluster") {
  Blobs b = blobs(4, 100, 10, 5);
  Knn knn = knnExact(b.X.data(), b.n, b.d, 15, "cpu");
  UmapOptions uo;
  auto xy = runUmap(b.X.data(), b.n, b.d, knn, uo);
  float x0 = 1e30f, x1 = -1e30f;
  for (int64_t i = 0; i < b.n; ++i) {
    x0 = std::min(x0, xy[size_t(2 * i)]);
    x1 = std::max(x1, xy[size_t(2 * i)]);
  }
  const double extent = x1 - x0;
  for (const char* method : {"umap", "tsne"}) {
    Placer p{b.X.data(), xy.data(), b.n, b.d, method, 15, 30, 0};
    float x = 0, y = 0;
    p.place(&b.X[size_t(37 * b.d)], x, y);
    CHECK(std::hypot(x - xy[2 * 37], y - xy[2 * 37 + 1]) < 0.01 * extent);
    // A new point a little off a member of cluster 2: its nearest placed neighbour is in cluster 2.
    std::vector<float> z(b.X.begin() + 250 * b.d, b.X.begin() + 251 * b.d);
    for (auto& v : z) v += 0.3f;
    p.place(z.data(), x, y);
    int64_t best = 0;
    double bd = 1e300;
    for (int64_t i = 0; i < b.n; ++i) {
      const double dd = std::hypot(x - xy[size_t(2 * i)], y - xy[size_t(2 * i + 1)]);
      if (dd < bd) {
        bd = dd;
        best = i;
      }
    }
    CHECK(b.labels[size_t(best)] == 2);
    float x2 = 0, y2 = 0;
    p.place(z.data(), x2, y2);
    CHECK((x == x2 && y == y2));  // deterministic
    // The layout itself is not moved.
  }
}

TEST_CASE("the non-linear inverse: convex weights, on the data inside, flagged outside") {
  Blobs b = blobs(2, 50, 6, 6);
  Knn knn = knnExact(b.X.data(), b.n, b.d, 15, "cpu");
  auto xy = runUmap(b.X.data(), b.n, b.d, knn, UmapOptions{});
  // Between a few points of cluster 0.
  const float tx = (xy[0] + xy[2] + xy[4]) / 3, ty = (xy[1] + xy[3] + xy[5]) / 3;
  InverseResult r = inverseProject(b.X.data(), xy.data(), b.n, b.d, tx, ty, 8);
  REQUIRE(r.weights.size() == 8);
  double sum = 0;
  for (float w : r.weights) {
    CHECK(w >= 0);
    sum += w;
  }
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
  for (int64_t t = 0; t < b.d; ++t) {
    double z = 0, lo = 1e30, hi = -1e30;
    for (size_t j = 0; j < r.neighbours.size(); ++j) {
      const double v = b.X[size_t(r.neighbours[j] * b.d + t)];
      z += r.weights[j] * v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    CHECK(r.z[size_t(t)] == doctest::Approx(z).epsilon(1e-5));
    CHECK(r.z[size_t(t)] >= lo - 1e-5);  // inside the neighbours' hull, so inside their box
    CHECK(r.z[size_t(t)] <= hi + 1e-5);
  }
  // On a data point: that point's latent exactly.
  InverseResult on = inverseProject(b.X.data(), xy.data(), b.n, b.d, xy[2 * 9], xy[2 * 9 + 1], 8);
  CHECK(on.neighbours[0] == 9);
  CHECK(on.weights[0] == doctest::Approx(1.0));
  CHECK(on.z == std::vector<float>(b.X.begin() + 9 * b.d, b.X.begin() + 10 * b.d));
  // Far outside the data: flagged as an extrapolation.
  float xmax = -1e30f;
  for (int64_t i = 0; i < b.n; ++i) xmax = std::max(xmax, xy[size_t(2 * i)]);
  CHECK(inverseProject(b.X.data(), xy.data(), b.n, b.d, xmax + 100, 0, 8).outside);
}

TEST_CASE("layout cache: reused when it matches, recomputed when corrupt or mismatched, cancel keeps it") {
  testutil::TempDir tmp;
  Blobs b = blobs(3, 60, 5, 8);
  LayoutRequest req;
  req.method = "umap";
  req.X = b.X.data();
  req.n = b.n;
  req.d = b.d;
  req.labels = b.labels.data();
  req.cacheDir = tmp.path.string();
  LayoutResult first = computeLayout(req);
  CHECK_FALSE(first.fromCache);
  const std::string path = layoutCachePath(req.cacheDir, "umap", "test");
  const std::string bytes = testutil::readBytes(path);
  LayoutResult again = computeLayout(req);
  CHECK(again.fromCache);
  CHECK(again.xy == first.xy);
  CHECK(again.quality.trustworthiness == first.quality.trustworthiness);
  // Cancelled before it starts: throws, and the cached layout is untouched.
  std::atomic<bool> cancel{true};
  req.cacheTag = "other";
  CHECK_THROWS_AS(computeLayout(req, {}, &cancel), CancelledError);
  CHECK(testutil::readBytes(path) == bytes);
  req.cacheTag = "test";
  // Other latents (one value changed): the checksum differs, so it is recomputed.
  std::vector<float> X2 = b.X;
  X2[3] += 1.0f;
  std::vector<float> xy;
  CHECK_FALSE(loadLayoutCache(path, "umap", b.n, latentsChecksum(X2.data(), b.n, b.d), xy));
  // Wrong count, wrong method, a flipped byte, a truncated file, garbage: never used.
  const uint64_t sum = latentsChecksum(b.X.data(), b.n, b.d);
  CHECK(loadLayoutCache(path, "umap", b.n, sum, xy));
  CHECK_FALSE(loadLayoutCache(path, "umap", b.n - 1, sum, xy));
  CHECK_FALSE(loadLayoutCache(path, "tsne", b.n, sum, xy));
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  testutil::writeBytes(path, flipped);
  CHECK_FALSE(loadLayoutCache(path, "umap", b.n, sum, xy));
  LayoutResult redone = computeLayout(req);
  CHECK_FALSE(redone.fromCache);
  CHECK(redone.xy == first.xy);  // deterministic, so the same layout
  testutil::writeBytes(path, bytes.substr(0, bytes.size() - 9));
  CHECK_FALSE(loadLayoutCache(path, "umap", b.n, sum, xy));
  testutil::writeBytes(path, "not a layout");
  CHECK_FALSE(loadLayoutCache(path, "umap", b.n, sum, xy));
  CHECK_FALSE(computeLayout(req).fromCache);
}

TEST_CASE("layout CSV: round trip, and a bad row is rejected with its line number") {
  testutil::TempDir tmp;
  std::vector<float> xy = {0.5f, -1.25f, 3.0e-7f, 12345.678f, -0.1f, 0.2f};
  writeLayoutCsv(tmp / "l.csv", xy);
  CHECK(testutil::readBytes(tmp / "l.csv").rfind("index,x,y\n0,", 0) == 0);
  CHECK(readLayoutCsv(tmp / "l.csv", 3) == xy);
  auto bad = [&](const std::string& text, int64_t n, const std::string& what) {
    testutil::writeBytes(tmp / "b.csv", text);
    CHECK_THROWS_WITH_AS(readLayoutCsv(tmp / "b.csv", n), doctest::Contains(what.c_str()), InputError);
  };
  bad("index,x,y\n0,1,2\n1,abc,3\n2,0,0\n", 3, "b.csv:3: x 'abc' is not a number within +-1e30");
  bad("index,x,y\n0,1,2\n1,2\n", 2, "b.csv:3: expected 3 values");
  bad("index,x,y\n0,1,2\n5,1,1\n", 2, "b.csv:3: index 5 is out of range");
  bad("index,x,y\n0,1,2\n0,1,1\n", 2, "b.csv:3: index 0 appears twice");
  bad("i,x,y\n0,1,2\n", 1, "b.csv:1: the header must be 'index,x,y'");
  bad("index,x,y\n0,1,nan\n", 1, "b.csv:2: y 'nan' is not a number within +-1e30");
  // Finite as a double, not as a float: it would become infinite on the map.
  bad("index,x,y\n0,1e39,1\n", 1, "b.csv:2: x '1e39' is not a number");
  bad("index,x,y\n0,1,-1e300\n", 1, "b.csv:2: y '-1e300' is not a number");
  // A huge cell is quoted in part only (it used to stall the GUI's error dialog for a minute).
  testutil::writeBytes(tmp / "b.csv", "index,x,y\n0," + std::string(1000000, '7') + "x,1\n");
  try {
    readLayoutCsv(tmp / "b.csv", 1);
    FAIL("a bad cell was accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).size() < 300);
  }
  // A UTF-8 byte-order mark before the header (Excel writes one) is read past.
  testutil::writeBytes(tmp / "bom.csv", "\xEF\xBB\xBFindex,x,y\n0,1,2\n");
  CHECK(readLayoutCsv(tmp / "bom.csv", 1) == std::vector<float>{1, 2});
  bad("index,x,y\n0,1,2\n", 2, "1 rows, but the bundle has 2 points");
  bad("", 2, "empty file");
  CHECK_THROWS_AS(readLayoutCsv(tmp / "missing.csv", 2), InputError);
}

TEST_CASE("the FFT-interpolated repulsion matches the exact sums") {
  std::mt19937_64 g(11);
  std::normal_distribution<double> nd(0.0, 8.0);
  const int64_t n = 600;
  std::vector<double> y(size_t(2 * n));
  for (auto& v : y) v = nd(g);
  std::vector<double> exact(size_t(2 * n), 0.0), fft(size_t(2 * n), 0.0);
  double Z = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (i == j) continue;
      const double dx = y[size_t(2 * i)] - y[size_t(2 * j)], dy = y[size_t(2 * i + 1)] - y[size_t(2 * j + 1)];
      const double w = 1.0 / (1.0 + dx * dx + dy * dy);
      Z += w;
      exact[size_t(2 * i)] += w * w * dx;
      exact[size_t(2 * i + 1)] += w * w * dy;
    }
  // The interpolation error falls as the nodes per box rise: 3 (the default) and 6. Both ways of
  // spreading and interpolating: the CPU's loops and the tensor ops a GPU runs.
  std::vector<double> viaTensorOps(size_t(2 * n), 0.0);
  for (int p : {3, 6}) {
    const double Zt = fftRepulsion(device(), p, true)(y.data(), n, viaTensorOps.data());
    const double Zf = fftRepulsion(device(), p)(y.data(), n, fft.data());
    CHECK(Zt == doctest::Approx(Zf).epsilon(1e-5));
    double dd = 0, nn = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      dd += (viaTensorOps[i] - fft[i]) * (viaTensorOps[i] - fft[i]);
      nn += fft[i] * fft[i];
    }
    CHECK(std::sqrt(dd / nn) < 1e-4);  // the same sums, in another float32 order
    double num = 0, den = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      num += (fft[i] - exact[i]) * (fft[i] - exact[i]);
      den += exact[i] * exact[i];
    }
    const double rel = std::sqrt(num / den);
    MESSAGE("FFT repulsion, " << p << " nodes: relative error " << rel << ", Z " << Zf << " vs " << Z);
    CHECK(Zf == doctest::Approx(Z).epsilon(p == 3 ? 5e-3 : 1e-4));
    CHECK(rel < (p == 3 ? 0.05 : 0.003));
  }
  // A diverged layout is an error, not a huge grid or an undefined cast.
  y[5] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(fftRepulsion(device())(y.data(), n, fft.data()),
                       "t-SNE diverged: the layout has non-finite positions", Error);
}

TEST_CASE("the tensor engine: same t-SNE steps as the CPU engine, clusters kept, deterministic, cancellable" *
          doctest::test_suite("slow")) {
  Blobs b = blobs(5, 120, 12, 21);
  Knn knn = knnExact(b.X.data(), b.n, b.d, 90, device());
  // Ten iterations from the same start, three of them exaggerated: the tensor engine (float32, on
  // the test device) and the CPU engine with the same FFT repulsion (float64 sums) take the same
  // steps. (Longer runs part ways: early exaggeration amplifies float32 rounding, by about 10x
  // every 4 iterations, into a different but equally good layout.)
  TsneOptions o;
  o.iterations = 10;
  o.exaggerationIterations = 3;
  o.repulsion = fftRepulsion("cpu", o.fftNodes);
  const auto cpu = runTsne(b.X.data(), b.n, b.d, knn, o);
  const auto ten = runTsneTensor(b.X.data(), b.n, b.d, knn, o, device());
  double num = 0, den = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    num += double(cpu[i] - ten[i]) * (cpu[i] - ten[i]);
    den += double(cpu[i]) * cpu[i];
  }
  MESSAGE("tensor vs CPU t-SNE after 10 iterations: relative difference " << std::sqrt(num / den));
  CHECK(std::sqrt(num / den) < 1e-5);

  // Whole layouts keep the clusters.
  TsneOptions full;
  int reports = 0;
  const auto ts =
      runTsneTensor(b.X.data(), b.n, b.d, knn, full, device(), [&](const std::vector<float>& xy, int it, int its) {
        ++reports;
        CHECK(xy.size() == size_t(2 * b.n));
        CHECK(it <= its);
      });
  CHECK(reports > 10);
  UmapOptions uo;
  uo.seed = 3;
  const auto um = runUmapTensor(b.X.data(), b.n, b.d, knn, uo, device());
  for (const auto* layout : {&ts, &um}) {
    for (float v : *layout) REQUIRE(std::isfinite(v));
    LayoutQuality q = layoutQuality(b.X.data(), b.n, b.d, layout->data(), b.labels.data(), 0, 15, 0);
    MESSAGE("tensor engine: trust " << q.trustworthiness << " recall " << q.knnRecall << " acc " << q.knnAccuracy);
    CHECK(q.knnAccuracy >= 0.98);
    CHECK(q.trustworthiness >= 0.9);
    CHECK(q.knnRecall >= 0.3);
  }
  // Deterministic for a seed; another seed draws other negative samples.
  CHECK(runTsneTensor(b.X.data(), b.n, b.d, knn, full, device()) == ts);
  CHECK(runUmapTensor(b.X.data(), b.n, b.d, knn, uo, device()) == um);
  uo.seed = 4;
  CHECK(runUmapTensor(b.X.data(), b.n, b.d, knn, uo, device()) != um);

  std::atomic<bool> cancel{false};
  int seen = 0;
  auto stopAfterTwo = [&](const std::vector<float>&, int, int) {
    if (++seen == 2) cancel = true;
  };
  CHECK_THROWS_AS(runTsneTensor(b.X.data(), b.n, b.d, knn, full, device(), stopAfterTwo, &cancel), CancelledError);
  cancel = false;
  seen = 0;
  CHECK_THROWS_AS(runUmapTensor(b.X.data(), b.n, b.d, knn, uo, device(), stopAfterTwo, &cancel), CancelledError);

  // Through computeLayout: the engine is chosen, named, and a bad name is refused.
  LayoutRequest req;
  req.method = "umap";
  req.X = b.X.data();
  req.n = b.n;
  req.d = b.d;
  req.device = device();
  req.engine = "tensor";
  CHECK(computeLayout(req).engine == "tensor");
  req.engine = "cpu";
  CHECK(computeLayout(req).engine == "cpu");
  req.engine = "auto";
  CHECK(computeLayout(req).engine == (device() == "cuda" ? "tensor" : "cpu"));
  req.engine = "gpu";
  CHECK_THROWS_WITH_AS(computeLayout(req), "unknown layout engine 'gpu' (cpu, tensor or auto)", InputError);
  req.method = "pca";  // checked for every method, before any work
  CHECK_THROWS_WITH_AS(computeLayout(req), "unknown layout engine 'gpu' (cpu, tensor or auto)", InputError);
  o.fftNodes = 1;
  CHECK_THROWS_AS(runTsneTensor(b.X.data(), b.n, b.d, knn, o, device()), InputError);
}
