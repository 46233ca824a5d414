// The GUI's rules that need no window: which points are visible and in what colour (and so what
// hover and the lasso can pick), the map's level-of-detail pass, the map transform, the enums'
// keys, and the script runner's dispatch table and waiting rules, driven through a fake host.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_IMPLEMENT  // also when doctest.h came first, through the precompiled header
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <set>

#include "app_state.h"
#include "commands/command.h"
#include "expect.h"
#include "fake_script_host.h"
#include "latentlab/util/errors.h"
#include "map/color_scale.h"
#include "map/map_lod.h"
#include "map/point_style.h"
#include "script_runner.h"
#include "selection_summary.h"

using namespace latentlab;
using namespace latentlab::gui;

namespace {

// n points of K classes on a grid; the last `train` of them are training points. Point i has
// label i % K and prediction (i + i / 7) % K (so some are wrong).
PointTable makeTable(int64_t n, int K, int64_t train = 0) {
  PointTable t;
  t.n = n;
  t.K = K;
  t.d = 2;
  t.numTest = n - train;
  for (int k = 0; k < K; ++k) t.classNames.push_back("c" + std::to_string(k));
  for (int64_t i = 0; i < n; ++i) {
    t.labels.push_back(int(i % K));
    t.preds.push_back(int((i + i / 7) % K));
    t.total.push_back(float(i % 5) * 0.3f);
    t.aleatoric.push_back(float(i % 5) * 0.2f);
    t.epistemic.push_back(float(i % 3) * 0.01f);
    t.isTrain.push_back(i >= n - train ? 1 : 0);
    t.latents.push_back(float(i));
    t.latents.push_back(float(-i));
  }
  return t;
}

PointStyle styleFor(const PointTable& t) {
  PointStyle s;
  s.table = &t;
  s.hidden.assign(size_t(t.K), false);
  static UncertaintyScales u;  // the styles of one test at a time
  u = uncertaintyScales(t.total.data(), t.aleatoric.data(), t.epistemic.data(), t.numTest);
  s.scales = &u;
  return s;
}

uint32_t alphaOf(uint32_t rgba) { return rgba >> 24; }

}  // namespace

TEST_CASE("point style: hidden classes and training points are invisible, with alpha 0") {
  const PointTable t = makeTable(60, 4, 20);
  PointStyle s = styleFor(t);
  s.hidden[2] = true;
  for (int64_t i = 0; i < t.n; ++i) {
    const bool expect = !t.isTrain[size_t(i)] && t.labels[size_t(i)] != 2;
    CHECK(s.visible(i) == expect);
    CHECK((alphaOf(s.colorOf(i)) == 0) == !expect);
  }
  // Colouring by prediction hides by the predicted class instead.
  s.mode = ColorMode::Pred;
  s.showTrain = true;
  int checked = 0;
  for (int64_t i = 0; i < t.n; ++i) {
    CHECK(s.visible(i) == (t.preds[size_t(i)] != 2));
    checked += t.preds[size_t(i)] != t.labels[size_t(i)];
  }
  CHECK(checked > 5);  // the two rules differ on these points
}

TEST_CASE("point style: colours per mode, muted training points, dimmed outside the filter and selection") {
  const PointTable t = makeTable(40, 4, 10);
  PointStyle s = styleFor(t);
  s.showTrain = true;
  const uint32_t test0 = s.colorOf(0);
  CHECK(test0 == packRgba(classColor(0), 0.9f));
  const int64_t tr = 32;  // a training point of class 0
  REQUIRE(t.isTrain[size_t(tr)]);
  REQUIRE(t.labels[size_t(tr)] == 0);
  const uint32_t trainColor = s.colorOf(tr);
  CHECK(alphaOf(trainColor) == 255);                   // opaque, under the test points
  CHECK(trainColor != packRgba(classColor(0), 1.0f));  // but muted towards the background
  s.mode = ColorMode::Correct;
  for (int64_t i = 0; i < 10; ++i) CHECK(s.baseColor(i) == correctnessColor(t.labels[size_t(i)] == t.preds[size_t(i)]));
  CHECK(correctnessColor(true) != correctnessColor(false));
  s.mode = ColorMode::Total;
  CHECK(s.baseColor(3) == viridis(s.scales->scale[0].position(t.total[3])));
  CHECK(s.baseColor(3) != s.baseColor(4));  // 0.9 and 1.2 nats: different colours
  s.mode = ColorMode::Epistemic;
  CHECK(s.baseColor(2) == viridis(s.scales->scale[2].position(t.epistemic[2])));
  // A filter dims the points outside it; so does a multi-selection.
  s.mode = ColorMode::Label;
  std::vector<uint8_t> filter(size_t(t.n), 0), multi(size_t(t.n), 0);
  filter[5] = 1;
  s.filterMask = &filter;
  CHECK(alphaOf(s.colorOf(5)) == alphaOf(test0));
  CHECK(alphaOf(s.colorOf(6)) == 31);  // 0.12
  filter.clear();
  multi[7] = 1;
  s.multiMask = &multi;
  s.anyMulti = true;
  CHECK(alphaOf(s.colorOf(7)) == alphaOf(test0));
  CHECK(alphaOf(s.colorOf(8)) == 31);
  // pointColors is colorOf for every point.
  const auto all = pointColors(s);
  REQUIRE(all.size() == size_t(t.n));
  for (int64_t i = 0; i < t.n; ++i) CHECK(all[size_t(i)] == s.colorOf(i));
}

TEST_CASE("colour scales: 1st to 99th percentile, log when skewed, clamped ends counted, percentiles") {
  // 1,000 log-normal values (median e^-5, a long tail up to about e^0): a linear scale to the
  // maximum would put most of them in its bottom few percent.
  std::vector<float> v;
  std::mt19937 rng(3);
  std::normal_distribution<float> gauss(-5.0f, 1.5f);
  for (int i = 0; i < 1000; ++i) v.push_back(std::exp(gauss(rng)));
  const ColorScale sc = robustColorScale(v.data(), int64_t(v.size()));
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sc.log);
  CHECK(sc.hi == doctest::Approx(sorted[989] + 0.01 * (sorted[990] - sorted[989])).epsilon(1e-4));
  CHECK(sc.lo >= sorted[9]);
  const float p1 = sorted[9] + 0.99f * (sorted[10] - sorted[9]);
  CHECK(sc.floored == (sc.hi * 1e-3f > p1));
  CHECK(sc.lo == doctest::Approx(std::max(p1, sc.hi * 1e-3f)).epsilon(1e-4));
  CHECK(sc.above == 10);
  CHECK(sc.below >= 10);
  // The bulk spreads over the colours: its median sits well inside the scale.
  const float mid = sc.position(sorted[500]);
  CHECK(mid > 0.3f);
  CHECK(mid < 0.9f);
  CHECK(sc.position(100.0f) == 1.0f);
  CHECK(sc.position(0.0f) == 0.0f);
  CHECK(sc.position(std::nanf("")) == 0.0f);
  for (float t : {0.0f, 0.25f, 0.5f, 1.0f}) CHECK(sc.position(sc.valueAt(t)) == doctest::Approx(t).epsilon(1e-4));
  // Evenly spread values: a linear scale.
  std::vector<float> even;
  for (int i = 0; i <= 100; ++i) even.push_back(float(i));
  const ColorScale lin = robustColorScale(even.data(), int64_t(even.size()));
  CHECK(!lin.log);
  CHECK(lin.lo == doctest::Approx(1.0));
  CHECK(lin.hi == doctest::Approx(99.0));
  CHECK(lin.position(50.0f) == doctest::Approx(0.5));
  // All equal, or nothing finite: a valid scale all the same.
  std::vector<float> same(10, 0.3f), nan(4, std::nanf(""));
  const ColorScale a = robustColorScale(same.data(), 10), b = robustColorScale(nan.data(), 4);
  CHECK(a.hi > a.lo);
  CHECK(std::isfinite(a.position(0.3f)));
  CHECK(b.hi > b.lo);
  // Percentiles: the share below, ties counting half.
  const std::vector<float> p = {1, 2, 3, 4};
  CHECK(percentileOf(p, 0.5f) == 0.0f);
  CHECK(percentileOf(p, 2.5f) == 50.0f);
  CHECK(percentileOf(p, 2.0f) == 37.5f);
  CHECK(percentileOf(p, 9.0f) == 100.0f);
}

TEST_CASE("draw order: the most uncertain on top in the uncertainty modes, the wrong on top of the right") {
  const PointTable t = makeTable(50, 4, 10);
  PointStyle s = styleFor(t);
  s.mode = ColorMode::Total;
  std::vector<uint32_t> order = testDrawOrder(s);
  REQUIRE(order.size() == size_t(t.numTest));
  for (size_t k = 1; k < order.size(); ++k) CHECK(t.total[order[k - 1]] <= t.total[order[k]]);
  s.mode = ColorMode::Correct;
  order = testDrawOrder(s);
  bool seenWrong = false;
  for (uint32_t i : order) {
    const bool wrong = t.labels[i] != t.preds[i];
    CHECK(!(seenWrong && !wrong));  // no right point after (above) a wrong one
    seenWrong = seenWrong || wrong;
  }
  CHECK(seenWrong);
  // The level of detail draws the test points in that order.
  std::vector<float> xy;
  for (int64_t i = 0; i < t.n; ++i) {
    xy.push_back(float(i % 10) * 10);
    xy.push_back(float(i / 10) * 10);
  }
  s.mode = ColorMode::Total;
  order = testDrawOrder(s);
  const std::vector<uint32_t> colors = pointColors(s);
  LodInput in;
  in.xy = xy.data();
  in.colors = colors.data();
  in.isTrain = t.isTrain.data();
  in.n = t.n;
  in.testOrder = &order;
  in.view = {45, 25, 4, 800, 600};
  in.fitScale = 4;
  MapLod lod;
  lod.update(in);
  const auto& drawn = lod.drawList();
  REQUIRE(drawn.size() == size_t(t.numTest));
  CHECK(std::equal(drawn.begin(), drawn.end(), order.begin()));
}

TEST_CASE("correct and wrong stay apart for a deuteranope (Vienot 1999 simulation)") {
  auto lin = [](float c) { return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f); };
  auto sim = [&](const Rgb& c) {
    const float r = lin(c[0]), g = lin(c[1]), b = lin(c[2]);
    return std::array<float, 3>{0.29275f * r + 0.70725f * g, 0.29275f * r + 0.70725f * g,
                                -0.02234f * r + 0.02234f * g + b};
  };
  const auto a = sim(correctnessColor(true)), b = sim(correctnessColor(false));
  const float d =
      std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
  CHECK(d > 0.5f);  // red (0.9, 0.2, 0.2) against green (0.25, 0.7, 0.35) gave 0.22
}

TEST_CASE("selection summary: counts, class mix by label and prediction, accuracy, mean uncertainties") {
  const PointTable t = makeTable(30, 3, 6);
  const std::vector<int64_t> pts = {0, 1, 2, 7, 25, 29, 99, -1};  // the last two are not points
  const SelectionSummary m = summarize(t, pts);
  CHECK(m.count == 6);
  CHECK(m.test == 4);
  CHECK(m.train == 2);
  int64_t correct = 0;
  double total = 0;
  std::vector<int64_t> byLabel(3, 0), byPred(3, 0);
  for (int64_t i : {0, 1, 2, 7, 25, 29}) {
    ++byLabel[size_t(t.labels[size_t(i)])];
    ++byPred[size_t(t.preds[size_t(i)])];
    correct += t.labels[size_t(i)] == t.preds[size_t(i)];
    total += t.total[size_t(i)];
  }
  CHECK(m.byLabel == byLabel);
  CHECK(m.byPred == byPred);
  CHECK(m.correct == correct);
  CHECK(m.meanTotal == doctest::Approx(total / 6));
  const std::vector<uint8_t> mask = {0, 1, 1, 0, 1};
  CHECK(maskedPoints(mask) == std::vector<int64_t>{1, 2, 4});
  CHECK(summarize(t, {}).count == 0);
}

TEST_CASE("the lasso and hover pick only visible points: not hidden classes, not hidden training points") {
  const PointTable t = makeTable(100, 5, 30);
  std::vector<float> xy;
  for (int64_t i = 0; i < t.n; ++i) {  // a 10 x 10 grid
    xy.push_back(float(i % 10));
    xy.push_back(float(i / 10));
  }
  PointStyle s = styleFor(t);
  s.hidden[1] = true;
  const std::vector<std::pair<float, float>> box = {{-0.5f, -0.5f}, {9.5f, -0.5f}, {9.5f, 9.5f}, {-0.5f, 9.5f}};
  const std::vector<int64_t> picked = pickInPolygon(s, xy.data(), box);
  std::vector<int64_t> expect;
  for (int64_t i = 0; i < t.n; ++i)
    if (!t.isTrain[size_t(i)] && t.labels[size_t(i)] != 1) expect.push_back(i);
  CHECK(picked == expect);
  s.showTrain = true;
  CHECK(pickInPolygon(s, xy.data(), box).size() == size_t(t.n - t.n / 5));
  // A smaller lasso: only what is inside it.
  const std::vector<std::pair<float, float>> corner = {{-0.5f, -0.5f}, {2.5f, -0.5f}, {2.5f, 1.5f}, {-0.5f, 1.5f}};
  for (int64_t i : pickInPolygon(s, xy.data(), corner)) {
    CHECK(xy[size_t(2 * i)] <= 2.5f);
    CHECK(xy[size_t(2 * i + 1)] <= 1.5f);
    CHECK(t.labels[size_t(i)] != 1);
  }
  // Hover: the nearest visible point, never a hidden one, and none out of reach.
  CHECK(pickNearest(s, xy.data(), 1.1, 0.0, 0.5) == -1);  // point 1 is of the hidden class 1
  CHECK(pickNearest(s, xy.data(), 1.1, 0.0, 1.0) == 2);
  CHECK(pickNearest(s, xy.data(), 0.1, 0.0, 0.5) == 0);
  CHECK(pickNearest(s, xy.data(), 50, 50, 1.0) == -1);
}

TEST_CASE("level of detail: what is drawn, in which order, and which points get thumbnails") {
  const int64_t n = 4000;
  const PointTable t = makeTable(n, 10, 1500);
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> xy(size_t(2 * n));
  for (auto& v : xy) v = g(rng);
  PointStyle s = styleFor(t);
  s.showTrain = true;
  s.hidden[3] = true;
  const std::vector<uint32_t> colors = pointColors(s);
  LodInput in;
  in.xy = xy.data();
  in.colors = colors.data();
  in.isTrain = t.isTrain.data();
  in.n = n;
  in.showTrain = true;
  in.view = {0.3, -0.2, 100.0, 400, 300};
  in.fitScale = 100.0;
  in.pointPx = 3;
  MapLod lod;
  CHECK(lod.update(in));
  CHECK_FALSE(lod.update(in));  // nothing changed
  const auto& drawn = lod.drawList();
  REQUIRE(!drawn.empty());
  const double hw = 0.5 * 400 / 100.0 + 6.0 / 100.0, hh = 0.5 * 300 / 100.0 + 6.0 / 100.0;
  std::set<uint32_t> drawnSet(drawn.begin(), drawn.end());
  bool seenTest = false;
  for (uint32_t i : drawn) {
    CHECK(s.visible(i));  // never a hidden class
    CHECK(std::abs(xy[2 * i] - 0.3) <= hw);
    CHECK(std::abs(xy[2 * i + 1] + 0.2) <= hh);
    if (!t.isTrain[i])
      seenTest = true;
    else
      CHECK_FALSE(seenTest);  // training points first, under the test points
  }
  // Every visible point in the view is drawn, or an opaque point drawn later sits in its cell.
  const double cell = 1.5;
  auto cellOf = [&](int64_t i) {
    return std::make_pair(long(std::floor((200 + (xy[size_t(2 * i)] - 0.3) * 100) / cell)),
                          long(std::floor((150 - (xy[size_t(2 * i + 1)] + 0.2) * 100) / cell)));
  };
  int skipped = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!s.visible(i) || std::abs(xy[size_t(2 * i)] - 0.3) > hw || std::abs(xy[size_t(2 * i + 1)] + 0.2) > hh) continue;
    if (drawnSet.count(uint32_t(i))) continue;
    ++skipped;
    bool covered = false;
    for (uint32_t j : drawn)
      if (cellOf(j) == cellOf(i) && alphaOf(colors[j]) >= 217) covered = true;
    CHECK(covered);
  }
  CHECK(skipped > 0);               // the pass does skip covered points at this density
  CHECK(lod.thumbnails().empty());  // no thumbnails at the fit zoom
  CHECK(lod.thumbPx() == 0);

  // Zoomed in 4x: thumbnails that do not overlap, only of drawn points matching the filter.
  std::vector<uint8_t> filter(size_t(n), 0);
  for (int64_t i = 0; i < n; i += 2) filter[size_t(i)] = 1;
  in.filterMask = filter.data();
  in.view.scale = 400.0;
  CHECK(lod.update(in));
  const auto& thumbs = lod.thumbnails();
  REQUIRE(!thumbs.empty());
  CHECK(thumbs.size() <= MapLod::kMaxThumbs);
  CHECK(lod.thumbPx() == doctest::Approx(40.0));
  const double gap = 0.8 * lod.thumbPx() / in.view.scale;  // projection units
  std::set<uint32_t> drawnNow(lod.drawList().begin(), lod.drawList().end());
  for (size_t a = 0; a < thumbs.size(); ++a) {
    CHECK(drawnNow.count(uint32_t(thumbs[a])));
    CHECK(filter[size_t(thumbs[a])]);
    for (size_t b = a + 1; b < thumbs.size(); ++b) {
      const double dx = std::abs(xy[size_t(2 * thumbs[a])] - xy[size_t(2 * thumbs[b])]);
      const double dy = std::abs(xy[size_t(2 * thumbs[a]) + 1] - xy[size_t(2 * thumbs[b]) + 1]);
      CHECK((dx >= gap - 1e-9 || dy >= gap - 1e-9));
    }
  }
  // Training points off: none of them is drawn; invalidate() recomputes for the same view.
  in.showTrain = false;
  lod.invalidate();
  CHECK(lod.update(in));
  for (uint32_t i : lod.drawList()) CHECK_FALSE(t.isTrain[i]);
}

TEST_CASE("map transform: window pixels and projection units round trip, the centre is the view's centre") {
  MapTransform m{1.5, -2.0, 40.0, {10, 30, 800, 600}};
  const Vec2 c = m.toScreen(1.5, -2.0);
  CHECK(c.x == doctest::Approx(410));
  CHECK(c.y == doctest::Approx(330));
  const Vec2 p = m.toScreen(3.0, 1.0);
  CHECK(p.x == doctest::Approx(410 + 1.5 * 40));
  CHECK(p.y == doctest::Approx(330 - 3.0 * 40));  // y up in the projection, down on screen
  const Vec2 back = m.toData(p.x, p.y);
  CHECK(back.x == doctest::Approx(3.0));
  CHECK(back.y == doctest::Approx(1.0));
}

TEST_CASE("enums: every key parses back, colour keys are the session's, and C cycles through all modes") {
  for (Projection p : kProjections) CHECK(parseProjection(projectionKey(p)) == p);
  CHECK_FALSE(parseProjection("isomap"));
  REQUIRE(std::size(kColorModes) == colorModes().size());
  for (size_t i = 0; i < colorModes().size(); ++i) {
    CHECK(colorModeKey(kColorModes[i]) == colorModes()[i]);
    CHECK(parseColorMode(colorModes()[i]) == kColorModes[i]);
  }
  std::set<ColorMode> seen;
  ColorMode m = ColorMode::Label;
  for (size_t i = 0; i < std::size(kColorModes); ++i) seen.insert(m = nextColorMode(m));
  CHECK(seen.size() == std::size(kColorModes));
  CHECK(m == ColorMode::Label);
}

TEST_CASE("the view stays drawable: extreme zooms and centres are clamped, a non-finite one refits") {
  PointTable t = makeTable(10, 2);
  AppState s;
  s.model.pts = std::make_shared<const PointTable>(t);
  s.model.setPositions({0, 0, 4, 2, 1, 1, 2, 0, 3, 1, 0, 2, 4, 0, 1, 2, 2, 2, 3, 0});
  s.view.mapRect = {0, 0, 800, 600};
  fitView(s);
  const double fit = s.view.view.scale;
  CHECK(fit == doctest::Approx(0.92 * 200));
  s.view.view.scale *= 1e12;
  s.view.view.cx = 1e300;
  clampView(s);
  CHECK(s.view.view.scale == doctest::Approx(fit * 1e5));
  CHECK(s.view.view.cx == doctest::Approx(4 + 10 * 4));
  s.view.view.scale = 1e-300;
  clampView(s);
  CHECK(s.view.view.scale == doctest::Approx(fit * 1e-3));
  s.view.view.cy = std::nan("");
  clampView(s);
  CHECK(s.view.view.cy == doctest::Approx(1.0));  // refitted
  CHECK(s.view.view.scale == doctest::Approx(fit));
  s.view.view.scale *= 1e308;  // infinite: refitted too
  clampView(s);
  CHECK(s.view.view.scale == doctest::Approx(fit));
}

TEST_CASE("bounded histories keep the newest values") {
  Recent<int> r(3);
  for (int i = 0; i < 10; ++i) r.push(i);
  CHECK(r.vector() == std::vector<int>{7, 8, 9});
}

// ------------------------------------------------------------------------------------- scripts

namespace {

ScriptRunner runner(const std::string& text) { return ScriptRunner(parseScript(text, "t.txt")); }

}  // namespace

TEST_CASE("the one list of commands: unique names, a help line and a handler each, usage that fits the arguments") {
  std::set<std::string> names;
  for (const CommandSpec& c : commands()) {
    CAPTURE(c.name);
    CHECK(names.insert(c.name).second);
    CHECK(c.help.rfind(c.name + (c.args.empty() ? ":" : " "), 0) == 0);  // the help starts with its usage
    CHECK(c.run);
    CHECK(c.optional >= 0);
    CHECK(size_t(c.optional) <= c.args.size());
    for (size_t i = 0; i + 1 < c.args.size(); ++i)
      CHECK(c.args[i].kind == ArgSpec::Kind::One);  // only the last is more
    CHECK(findCommand(c.name) == &c);
    if (c.record.kind == Recording::Kind::Setting) CHECK(c.record.value);
    if (c.record.kind == Recording::Kind::Event) CHECK((c.record.drops || c.record.perEvent || c.record.latest));
  }
  CHECK(names.size() >= 40);
  CHECK(findCommand("frobnicate") == nullptr);
  // The manual's table is generated from the list: one row per command.
  const std::string table = commandTableMarkdown();
  for (const CommandSpec& c : commands()) CHECK(table.find("| `" + c.name) != std::string::npos);
}

TEST_CASE("script runner: each line reaches the explorer with its arguments, in order, nothing after quit") {
  FakeHost h;
  ScriptRunner r = runner(
      "load b\nproject tsne nowait\ncolor epistemic\nselect 12\nstate s.json\ncaption Look here\nfilter label=3\n"
      "fit\nzoom 2\ncenter 1 -2\ntrain on\nsnap off\nundo\nsession-save a.json\nsession-load a.json\nexport-csv c.csv\n"
      "layout-csv l.csv\nexport-layout e.csv\ncancel\ntrain-model mnist out.b epochs=2 latent-dim=8 ensemble=1\n"
      "clue-batch ex 50 method=regene head=deterministic\nclue-batch ex2 lasso\nclue-zoom\nig target=class:3\nscrub "
      "0.5\nsaliency on ig\nquit\n"
      "fit\n");
  for (int frame = 0; frame < 50; ++frame) r.step(h);
  const std::vector<std::string> expect = {"load b",
                                           "project tsne nowait",
                                           "color epistemic",
                                           "select 12",
                                           "state s.json",
                                           "caption Look here",
                                           "filter label=3",
                                           "fit",
                                           "zoom 2",
                                           "center 1 -2",
                                           "train on",
                                           "snap off",
                                           "undo",
                                           "session-save a.json",
                                           "session-load a.json",
                                           "export-csv c.csv",
                                           "layout-csv l.csv",
                                           "export-layout e.csv",
                                           "cancel",
                                           "train-model mnist out.b epochs=2 latent-dim=8 ensemble=1",
                                           "clue-batch ex 50 method=regene head=deterministic",
                                           "clue-batch ex2 lasso",
                                           "clue-zoom",
                                           "ig target=class:3",
                                           "scrub 0.5",
                                           "saliency on ig",
                                           "quit"};
  CHECK(h.calls == expect);  // and nothing after quit
  CHECK(h.errors.empty());
  CHECK(r.quitRequested());
  CHECK(guiTrainOptions().ensemble == 0);  // the GUI leaves the deep-ensemble comparator off
}

TEST_CASE("script parsing: scroll, help, legend, screenshot and expect refuse what cannot be done") {
  for (const char* good : {"select-matches", "scroll tabs 1", "help on", "legend off", "screenshot a.png nowait",
                           "expect color == total", "expect wrong >= 4.5", "expect caption != some words here"})
    CHECK(parseScript(good, "s").errors.empty());
  const Script e = parseScript("expect caption != some words here\n", "s");
  REQUIRE(e.commands.size() == 1);
  CHECK(e.commands[0].args == std::vector<std::string>{"caption", "!=", "some words here"});
  for (const char* bad :
       {"expect color", "expect color ~ total", "scroll map 0.5", "scroll tabs 2", "help maybe",
        "screenshot a.png later", "expect selected < abc", "expect selected >= nan", "expect x < 1e400"})
    CHECK(parseScript(bad, "s").errors.size() == 1);
}

TEST_CASE("expect: facts about the state JSON, numbers as numbers, paths into lists, clear failures") {
  const nlohmann::json st = {{"color", "total"},
                             {"prediction_class", "Ankle boot"},
                             {"dragging", false},
                             {"uncertainty", {{"total", 0.83}, {"epistemic", 0.02}}},
                             {"examples", {{"run", {{"top", {{{"label", 7}}, {{"label", 1}}}}}}}}};
  CHECK(checkFact(st, "color", "==", "total") == "");
  CHECK(checkFact(st, "color", "!=", "label") == "");
  CHECK(checkFact(st, "prediction_class", "==", "Ankle boot") == "");
  CHECK(checkFact(st, "dragging", "==", "false") == "");
  CHECK(checkFact(st, "uncertainty.total", ">", "0.5") == "");
  CHECK(checkFact(st, "uncertainty.total", "<=", "0.83") == "");
  CHECK(checkFact(st, "examples.run.top.1.label", "==", "1") == "");
  CHECK(checkFact(st, "examples.run.top.1.label", "==", "1.0") == "");
  // False facts say what the state holds.
  CHECK(checkFact(st, "color", "==", "label") == "it is total");
  CHECK(checkFact(st, "uncertainty.total", ">", "0.9") == "it is 0.83");
  CHECK(checkFact(st, "uncertainty.epistemic", "<", "0.01") == "it is 0.02");
  // What cannot be checked says why.
  CHECK(checkFact(st, "uncertainty.aleatoric", ">", "0").find("'uncertainty' has no 'aleatoric'") != std::string::npos);
  CHECK(checkFact(st, "color.", "==", "total").find("empty part") != std::string::npos);
  CHECK(checkFact(st, "examples.run.top.0x1.label", "==", "1").find("not a position") != std::string::npos);
  CHECK(checkFact(st, "color.x", "==", "1").find("which has no 'x'") != std::string::npos);
  CHECK(checkFact(st, "uncertainty.epistemic", "==", "0.02000000001") == "");  // relative tolerance
  CHECK(checkFact({{"a", 0}}, "a", "==", "1e-10") != "");                      // not an absolute one
  CHECK(checkFact(st, "uncertainty.aleatoric", ">", "0").find("epistemic, total") != std::string::npos);
  CHECK(checkFact(st, "examples.run.top.5.label", "==", "1").find("a list of 2") != std::string::npos);
  CHECK(checkFact({{"c", ""}}, "c", "==", "x") == "it is \"\" (empty)");
  CHECK(checkFact(st, "color", ">", "3").find("not a number") != std::string::npos);
}

TEST_CASE(
    "script runner: a line whose entry is not ready waits for it (one clue-batch at a time), a failed one does not "
    "wait") {
  FakeHost h;
  h.notReady = {"clue-batch"};
  h.failing = {"select"};
  ScriptRunner r = runner("clue-batch a 5\nselect 3\nclue method=class-change target=3\nquit\n");
  for (int frame = 0; frame < 5; ++frame) r.step(h);
  CHECK(h.calls.empty());  // still waiting
  h.notReady.clear();
  r.step(h);  // clue-batch goes on at once; the failed select does not wait for an evaluation
  const std::vector<std::string> expect = {"clue-batch a 5", "select 3", "clue method=class-change target=3"};
  CHECK(h.calls == expect);
  r.step(h);
  CHECK(h.calls.back() == "quit");
  REQUIRE(h.errors.size() == 1);
  CHECK(h.errors[0] == "line 2: select failed");
}

TEST_CASE("script runner: waits for the worker, frames, screenshots and files") {
  FakeHost h;
  h.busy = true;
  ScriptRunner r = runner("select 3\nfit\nwait 2\nscreenshot a.png\nfit\nwait-for go 5\nfit\n");
  r.step(h);
  CHECK(h.calls.empty());  // it starts once the first model is up
  h.busy = false;
  r.step(h);
  CHECK(h.calls == std::vector<std::string>{"select 3"});  // select waits for its evaluation
  h.busy = true;
  r.step(h);
  CHECK(h.calls.size() == 1);
  h.busy = false;
  r.step(h);  // fit runs, then wait 2 stops the batch
  CHECK(h.calls.back() == "fit");
  CHECK(r.wantsFrames());
  r.step(h);
  r.step(h);
  CHECK(h.calls.back() == "fit");
  r.step(h);  // the screenshot, after which the batch stops until it is taken
  CHECK(h.calls.back() == "screenshot a.png");
  r.step(h);
  CHECK(h.calls.back() == "screenshot a.png");
  h.shots = false;
  const auto t0 = ScriptRunner::Clock::now();
  r.step(h, t0);  // fit, then wait-for
  CHECK(h.calls.back() == "fit");
  r.step(h, t0 + std::chrono::seconds(1));
  CHECK(h.calls.size() == 4);
  h.files.insert("go");
  r.step(h, t0 + std::chrono::seconds(2));
  CHECK(h.calls.size() == 5);
  CHECK(r.finished());
  CHECK(h.errors.empty());

  // A file that never comes: an error after the timeout, and the script goes on.
  FakeHost h2;
  ScriptRunner r2 = runner("wait-for never 3\nfit\n");
  const auto t1 = ScriptRunner::Clock::now();
  r2.step(h2, t1);
  r2.step(h2, t1 + std::chrono::seconds(2));
  CHECK(h2.calls.empty());
  r2.step(h2, t1 + std::chrono::seconds(4));
  REQUIRE(h2.errors.size() == 1);
  CHECK(h2.errors[0].find("line 1: wait-for: never did not appear") == 0);
  CHECK(h2.calls == std::vector<std::string>{"fit"});
}

TEST_CASE("script runner: a drag is kept once its evaluation is in, bad lines are reported with their line") {
  FakeHost h;
  Script script = parseScript("select 4\ndrag 0.5 -1\nfrobnicate\nfit\n", "t.txt");
  REQUIRE(script.errors.size() == 1);
  CHECK(script.errors[0].message == "t.txt:3: unknown command 'frobnicate'");
  // A command the parser never made, put in by hand: the runner reports it with its line.
  script.commands.insert(script.commands.end() - 1, ScriptCommand{3, "frobnicate", {}, ""});
  ScriptRunner r(std::move(script));
  r.step(h);
  CHECK(h.calls == std::vector<std::string>{"select 4"});
  h.busy = true;
  r.step(h);
  h.busy = false;
  r.step(h);  // the drag starts...
  CHECK(h.calls.back() == "drag 0.5 -1");
  h.busy = true;
  r.step(h);
  CHECK(h.calls.back() == "drag 0.5 -1");  // ...and is kept only once the worker is idle
  h.busy = false;
  r.step(h);
  CHECK(h.calls.back() == "commit");
  r.step(h);  // then the rest, back to back
  CHECK(h.calls.back() == "fit");
  REQUIRE(h.errors.size() == 1);
  CHECK(h.errors[0] == "line 3: unknown command 'frobnicate'");
}
