// Colour and any size (issue 27): a bundle trained on 3x8x12 RGB images through every method of the
// explorer, pixel flipping by whole pixels, the channel check of a user's model, and images added
// to the map.
#include <doctest/doctest.h>
#include <stb_image.h>
#include <stb_image_write.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>

#include "latentlab/checks/checks_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/explorer/session.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "tiny_bundle.h"

using namespace latentlab;

TEST_CASE("a colour bundle (3x8x12): RGB thumbnails, decodes, counterfactuals, IG, concepts and examples") {
  TinyBundle& tb = tinyColour();
  auto ex = Explorer::open(tb.bundle, testutil::device().str(), {}, nullptr);
  auto t = ex->points();
  REQUIRE(t->C == 3);
  CHECK(t->H == 8);
  CHECK(t->W == 12);
  CHECK(t->thumbC == 3);
  CHECK(t->thumbH == 8);
  CHECK(t->thumbW == 12);
  // A class_a test point lights rows 0..2 in red: its thumbnail is red there, not grey.
  int64_t a = -1;
  for (int64_t i = 0; i < t->n && a < 0; ++i)
    if (t->labels[size_t(i)] == 0) a = i;
  REQUIRE(a >= 0);
  const std::vector<uint8_t> rgba = t->thumbRgba(a);
  REQUIRE(rgba.size() == size_t(8 * 12 * 4));
  const size_t px = size_t(1 * 12 + 5) * 4;  // row 1, column 5
  CHECK(int(rgba[px]) > int(rgba[px + 1]) + 100);

  const std::vector<float> z(t->latents.begin() + a * t->d, t->latents.begin() + (a + 1) * t->d);
  const LatentEval ev = ex->evaluate(z, 4);
  CHECK(ev.image.size() == size_t(3 * 8 * 12));

  ClueOptions co;
  co.steps = 20;
  const ClueResult cr = ex->counterfactual(co, a, {}, {}, {}, nullptr);
  CHECK(cr.C == 3);
  CHECK(cr.x0.size() == size_t(3 * 8 * 12));
  CHECK(cr.frames.size() % size_t(3 * 8 * 12) == 0);

  // IG adds up with the blur baseline (blurred per channel: the flat green and blue channels of
  // these images equal their blur, so they get exactly 0), and from black every channel carries
  // attribution.
  AttributionOptions io;
  io.baseline = IgBaseline::Blur;
  io.head = HeadKind::Deterministic;
  io.target = parseAttributionTarget("class:0", "test");
  io.steps = 512;
  const AttributionResult blur = ex->attribution(io, a, {}, nullptr, nullptr);
  REQUIRE(blur.C == 3);
  CHECK(std::abs(blur.residual) < 0.02);
  for (int64_t i = 0; i < 8 * 12; ++i) CHECK(blur.attribution[size_t(96 + i)] == 0.0f);
  io.baseline = IgBaseline::Black;
  const AttributionResult ar = ex->attribution(io, a, {}, nullptr, nullptr);
  CHECK(std::abs(ar.residual) < 0.02);
  for (int c = 0; c < 3; ++c) {
    double mass = 0;
    for (int64_t i = 0; i < 8 * 12; ++i) mass += std::abs(ar.attribution[size_t(c * 96 + i)]);
    CHECK(mass > 0);
  }

  REQUIRE(ex->dvaeBits() > 0);
  ConceptRequest concepts;
  const LatentEval ce = ex->evaluate(z, 0, nullptr, &concepts);
  CHECK(ce.conceptsError.empty());
  CHECK(ce.flipImages.size() == size_t(ex->dvaeBits()) * size_t(3 * 8 * 12));

  ex->addTrainPoints({}, nullptr);
  ExampleOptions eo;
  const ExampleScores es = ex->examples(eo, a, {}, {}, nullptr);
  CHECK(!es.index.empty());
}

TEST_CASE("pixel flipping masks a pixel in every channel, ranked by the channels' sum") {
  // Identity encoder: the shift is the squared values of the masked pixels.
  const ImageEncoderFn flat = [](const torch::Tensor& x) { return x.flatten(1); };
  torch::Tensor x = torch::full({1, 3, 2, 2}, 0.5f);
  // Pixel (1, 1) has the largest sum over channels (0.1 + 0.1 + 0.9), though pixel (0, 0) has the
  // largest single value in one channel (0.95 in red, -0.9 elsewhere).
  torch::Tensor s = torch::zeros({1, 3, 2, 2});
  s[0][0][0][0] = 0.95f;
  s[0][1][0][0] = -0.9f;
  s[0][2][0][0] = -0.9f;
  s[0][0][1][1] = 0.1f;
  s[0][1][1][1] = 0.1f;
  s[0][2][1][1] = 0.9f;
  const std::vector<double> shifts = pixelFlipShifts(flat, x, s, {0.0, 0.25, 1.0});
  CHECK(shifts[0] == doctest::Approx(0.0));
  CHECK(shifts[1] == doctest::Approx(3 * 0.25));  // one pixel, all three channels of 0.5
  CHECK(shifts[2] == doctest::Approx(12 * 0.25));
  // Scores per pixel [n, H*W] give the same ranking.
  const std::vector<double> perPixel = pixelFlipShifts(flat, x, s.sum(1).reshape({1, 4}), {0.25});
  CHECK(perPixel[0] == doctest::Approx(shifts[1]));
}

TEST_CASE("a model made for colour is refused on grey images, naming both shapes") {
  torch::jit::Module m("ColourNet");
  m.register_buffer("mean", torch::full({1, 3, 1, 1}, 0.5f));
  m.register_parameter("c1w", torch::randn({4, 3, 3, 3}) * 0.1, false);
  m.register_parameter("c1b", torch::zeros({4}), false);
  m.register_parameter("hw", torch::randn({2, 4}) * 0.1, false);
  m.register_parameter("hb", torch::zeros({2}), false);
  m.define(R"(
def encode(self, x):
    h = torch.conv2d(x - self.mean, self.c1w, self.c1b, [1, 1], [1, 1])
    return torch.relu(h).mean([2, 3])

def classify(self, z):
    return torch.linear(z, self.hw, self.hb)
)");
  // On grey images the broadcast in encode would run: the first convolution's 3 channels refuse it.
  CHECK_THROWS_WITH_AS(validateClassifier(m, {1, 8, 8}, 2, torch::kCPU, "colour.pt"),
                       doctest::Contains("3-channel images, but the images are 1x8x8 (grey); load the data with "
                                         "--channels 3 (colour.pt)"),
                       ModelLoadError);
  CHECK(validateClassifier(m, {3, 8, 8}, 2, torch::kCPU, "colour.pt").first == 4);

  // Without a convolution: an MLP over the normalised, flattened image broadcasts the same way.
  torch::jit::Module mlp("ColourMlp");
  mlp.register_buffer("mean", torch::full({1, 3, 1, 1}, 0.5f));
  mlp.register_parameter("w", torch::randn({4, 3 * 8 * 8}) * 0.1, false);
  mlp.register_parameter("hw", torch::randn({2, 4}) * 0.1, false);
  mlp.register_parameter("hb", torch::zeros({2}), false);
  mlp.define(R"(
def encode(self, x):
    return torch.relu(torch.matmul(torch.flatten(x - self.mean, 1), self.w.t()))

def classify(self, z):
    return torch.linear(z, self.hw, self.hb)
)");
  CHECK_THROWS_WITH_AS(validateClassifier(mlp, {1, 8, 8}, 2, torch::kCPU, "mlp.pt"),
                       doctest::Contains("takes 3-channel images, but the images are 1x8x8"), ModelLoadError);

  // A colour model that declares a later convolution first is not refused on colour images.
  torch::jit::Module late("LateFirst");
  late.register_parameter("late", torch::randn({4, 4, 3, 3}) * 0.1, false);
  late.register_parameter("early", torch::randn({4, 3, 3, 3}) * 0.1, false);
  late.register_parameter("hw", torch::randn({2, 4}) * 0.1, false);
  late.register_parameter("hb", torch::zeros({2}), false);
  late.define(R"(
def encode(self, x):
    h = torch.relu(torch.conv2d(x, self.early, None, [1, 1], [1, 1]))
    return torch.relu(torch.conv2d(h, self.late, None, [1, 1], [1, 1])).mean([2, 3])

def classify(self, z):
    return torch.linear(z, self.hw, self.hb)
)");
  CHECK(validateClassifier(late, {3, 8, 8}, 2, torch::kCPU, "late.pt").first == 4);
  CHECK_THROWS_AS(validateClassifier(late, {1, 8, 8}, 2, torch::kCPU, "late.pt"), ModelLoadError);
}

TEST_CASE("a latent cache is keyed by the images themselves: a folder rewritten in place is encoded again") {
  TinyBundle tb;  // its own folder: this case rewrites an image
  auto ex = Explorer::open(tb.bundle, testutil::device().str(), {}, nullptr);
  auto t0 = ex->points();
  // The test split's first image: rewrite every image file of its class folder with another picture.
  const int64_t label = t0->labels[0];
  const std::string cls = tb.data + "/class_" + std::string(1, char('a' + label));
  std::vector<unsigned char> px(64, 255);
  for (const auto& e : std::filesystem::directory_iterator(cls))
    stbi_write_png(e.path().c_str(), 8, 8, 1, px.data(), 8);
  ex.reset();
  auto ex2 = Explorer::open(tb.bundle, testutil::device().str(), {}, nullptr);
  auto t1 = ex2->points();
  REQUIRE(t1->n == t0->n);
  CHECK(std::vector<float>(t1->latents.begin(), t1->latents.begin() + t1->d) !=
        std::vector<float>(t0->latents.begin(), t0->latents.begin() + t0->d));
}

TEST_CASE("fitImages resizes (width x height named) and converts channels") {
  std::string note;
  const torch::Tensor x = torch::rand({2, 1, 20, 30});
  const torch::Tensor y = fitImages(x, {3, 8, 12}, &note);
  CHECK(y.sizes() == torch::IntArrayRef({2, 3, 8, 12}));
  CHECK(note == "resized 30x20 -> 12x8 pixels (width x height, bilinear), grey replicated to 3 channels");
  CHECK(y.min().item<float>() >= 0.0f);
  CHECK(y.max().item<float>() <= 1.0f);
  CHECK(torch::equal(fitImages(y, {3, 8, 12}, &note), y));
  CHECK(note.empty());
  // Another aspect is centre-cropped, never stretched: a 40x10 strip keeps its middle 10x10.
  torch::Tensor strip = torch::zeros({1, 1, 10, 40});
  strip.slice(3, 15, 25).fill_(1.0f);
  const torch::Tensor sq = fitImages(strip, {1, 8, 8}, &note);
  CHECK(note == "centre-cropped 40x10 -> 10x10, resized 10x10 -> 8x8 pixels (width x height, bilinear)");
  CHECK(sq.min().item<float>() > 0.99f);
}

TEST_CASE("images added to the map: resized with a note, bad files listed, fingerprints checked, kept after train") {
  TinyBundle& tb = tiny();  // 1x8x8 grey
  testutil::TempDir d;
  // A 30x20 colour photo, a folder of two, an unreadable file.
  std::vector<unsigned char> rgb(size_t(30 * 20 * 3));
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = (unsigned char)(i * 37 % 256);
  const std::string photo = d / "photo.png";
  stbi_write_png(photo.c_str(), 30, 20, 3, rgb.data(), 30 * 3);
  std::filesystem::create_directories(d / "more");
  std::filesystem::copy_file(photo, d / "more/b.png");
  std::filesystem::copy_file(photo, d / "more/a.png");
  testutil::writeBytes(d / "broken.png", "not a png at all");

  auto ex = Explorer::open(tb.bundle, testutil::device().str(), {}, nullptr);
  const int64_t n0 = ex->points()->n;
  AddedPoints r = ex->addImages({photo, d / "broken.png", d / "more"}, {}, nullptr);
  CHECK(r.first == n0);
  REQUIRE(r.count == 3);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("broken.png") != std::string::npos);
  REQUIRE(r.notes.size() == 3);
  CHECK(r.notes[0] ==
        "photo.png: centre-cropped 30x20 -> 20x20, resized 20x20 -> 8x8 pixels (width x height, bilinear), colour "
        "converted to grey (BT.601 luma) to the model's input");
  const PointTable& t = *r.table;
  CHECK(t.numExtra == 3);
  CHECK(t.pointLabel(n0) == "photo.png");
  CHECK(t.pointLabel(n0 + 1) == "a.png");  // a folder's images, sorted
  CHECK(t.labels[size_t(n0)] == -1);
  CHECK(std::isfinite(t.total[size_t(n0)]));
  CHECK(t.preds[size_t(n0)] >= 0);
  // An added point works as a test point does: IG of its image.
  AttributionOptions io;
  io.head = HeadKind::Deterministic;
  io.target = parseAttributionTarget("class:0", "test");
  io.steps = 256;
  CHECK(std::abs(ex->attribution(io, n0, {}, nullptr, nullptr).residual) < 0.05);
  // The same photo with a wrong fingerprint (a session's record of another file) is refused.
  CHECK_THROWS_WITH_AS(ex->addImages({photo}, {}, nullptr, {"0000000000000000 1 bytes"}),
                       doctest::Contains("the file changed since the session was saved"), InputError);
  CHECK_THROWS_WITH_AS(ex->addImages({d / "broken.png"}, {}, nullptr), doctest::Contains("broken.png"), InputError);
  // A PNG cut short says so in words, not only in stb's "outofdata".
  {
    const std::string whole = testutil::readBytes(photo);
    testutil::writeBytes(d / "cut.png", whole.substr(0, whole.size() / 2));
    CHECK_THROWS_WITH_AS(ex->addImages({d / "cut.png"}, {}, nullptr),
                         doctest::Contains("the file ends before the image does"), InputError);
  }

  // The training split goes before the added rows; they keep their latents and names.
  const std::vector<float> zPhoto(t.latents.begin() + n0 * t.d, t.latents.begin() + (n0 + 1) * t.d);
  auto t2 = ex->addTrainPoints({}, nullptr);
  REQUIRE(t2->numExtra == 3);
  const int64_t moved = t2->numData();
  CHECK(moved == n0 + t2->numTrain());
  CHECK(t2->pointLabel(moved) == "photo.png");
  CHECK(std::vector<float>(t2->latents.begin() + moved * t2->d, t2->latents.begin() + (moved + 1) * t2->d) == zPhoto);
  CHECK(std::abs(ex->attribution(io, moved, {}, nullptr, nullptr).residual) < 0.05);

  // A layer: a class folder, sampled, named by the folder.
  AddedPoints layer = ex->addLayer(tb.data, 5, {}, nullptr);
  CHECK(layer.count == 5);
  CHECK(layer.table->extraKind.back() == PointTable::kLayerPoint);
  CHECK_THROWS_AS(ex->addLayer(tb.data, 0, {}, nullptr), InputError);
}

TEST_CASE("a session keeps its added points: images by path and fingerprint, layers by dataset and count") {
  SessionState s;
  s.bundle = "b";
  s.added.push_back({false, "/data/photo.png", "0123456789abcdef 10 bytes", 0});
  s.added.push_back({true, "mnist", "", 2000});
  const SessionState back = sessionFromJson(sessionToJson(s), "x.json");
  REQUIRE(back.added.size() == 2);
  CHECK(back.added[0].path == "/data/photo.png");
  CHECK(back.added[0].fingerprint == "0123456789abcdef 10 bytes");
  CHECK(back.added[1].layer);
  CHECK(back.added[1].n == 2000);
  nlohmann::json j = sessionToJson(s);
  j["added"][1]["n"] = 0;
  CHECK_THROWS_WITH_AS(sessionFromJson(j, "x.json"), doctest::Contains("added[1].n"), InputError);
  j["added"][1] = {{"picture", "x"}};
  CHECK_THROWS_WITH_AS(sessionFromJson(j, "x.json"), doctest::Contains("added[1]"), InputError);
}
