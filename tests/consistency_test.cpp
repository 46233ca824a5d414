// Honest pictures (issue "Honest pictures and checked explanations"): a decoder trained with the
// consistency term KL(f(z) || f(phi(g(z)))) agrees with the classifier more often than one trained
// without it; a DVAE with KL(f(z) || f(phi')) keeps the classifier's reading where the plain
// objective loses it; adaptive IG steps reach the tolerance where 32 steps do not; and CARLA's
// counterfactual measures give the known answers on a toy.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/checks/checks_torch.h"
#include "latentlab/clue/clue_torch.h"
#include "latentlab/concepts/concepts_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/model/train_torch.h"
#include "test_helpers.h"

using namespace latentlab;

namespace {

// 8x8 images whose class is a faint 4x4 patch (0.1 in the centre for class 1, 0 for class 0) under a bright background
// that is one of 4 random masks and carries no class: the reconstruction loss barely sees what the classifier reads.
void faintPatchImages(int64_t n, uint64_t seed, torch::Tensor& x, torch::Tensor& y) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Tensor masks = (torch::rand({4, 1, 8, 8}, gen) > 0.5).to(torch::kFloat) * 0.9;
  masks.slice(2, 2, 6).slice(3, 2, 6).zero_();
  torch::Tensor pick = torch::randint(0, 4, {n}, gen, torch::kInt64);
  y = torch::randint(0, 2, {n}, gen, torch::kInt64);
  x = masks.index_select(0, pick).clone();
  x.slice(2, 2, 6).slice(3, 2, 6).add_(0.1 * y.to(torch::kFloat).view({n, 1, 1, 1}));
  x = (x + 0.03 * torch::rand({n, 1, 8, 8}, gen)).clamp(0, 1);
}

double agreement(torch::jit::Module& cls, torch::jit::Module& dec, const torch::Tensor& z) {
  torch::NoGradGuard ng;
  const torch::Tensor a = callTensor(cls, "classify", z).argmax(1);
  const torch::Tensor b = callTensor(cls, "forward", callTensor(dec, "decode", z)).argmax(1);
  return a.eq(b).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

TEST_CASE("decoder: the consistency term raises the classifier's agreement with the decoded pictures") {
  const torch::Device dev = testutil::device();
  torch::Tensor x, y, xt, yt;
  faintPatchImages(1024, 1, x, y);
  faintPatchImages(512, 2, xt, yt);
  Dataset train;
  train.images = x;
  train.labels = y;
  torch::jit::Module cls = makeClassifier({1, 8, 8}, 8, 2, 0.0, 1.0, 3);
  FitOptions fc;
  fc.epochs = 30;
  fc.batchSize = 64;
  fc.device = dev;
  trainClassifier(cls, train, fc);
  torch::Tensor z, zt;
  {
    torch::NoGradGuard ng;
    z = callTensor(cls, "encode", x.to(dev)).cpu();
    zt = callTensor(cls, "encode", xt.to(dev)).to(dev);
    const double acc = callTensor(cls, "classify", zt).argmax(1).cpu().eq(yt).to(torch::kFloat64).mean().item<double>();
    REQUIRE(acc > 0.95);  // the classifier reads the faint patch
  }
  double agree[2] = {0, 0};
  for (int with = 0; with < 2; ++with) {
    torch::jit::Module dec = makeDecoder({1, 8, 8}, 8, 5);
    FitOptions fd;
    fd.stage = "decoder";
    fd.epochs = 1;
    fd.batchSize = 64;
    fd.seed = 5;
    fd.device = dev;
    DecoderLoss terms;
    terms.encoder = &cls;
    terms.consistencyWeight = with ? 50.0 : 0.0;
    trainDecoder(dec, z, x, fd, terms);
    agree[with] = agreement(cls, dec, zt);
    // The classifier's parameters are trainable again afterwards (they were frozen while g trained).
    for (const auto& p : cls.parameters()) CHECK(p.requires_grad());
  }
  MESSAGE("agreement without the term " << agree[0] << ", with it " << agree[1]);
  CHECK(agree[1] > agree[0] + 0.05);
  CHECK(agree[1] > 0.9);
}

TEST_CASE("DVAE: the consistency term keeps f(phi') where the plain objective merges the classes") {
  const torch::Device dev = testutil::device();
  // 2 pairs of clusters in d = 4: the pairs lie far apart, the two clusters of a pair 0.6 apart in
  // coordinate 0, and the class is the sign of coordinate 0. One bit (two codes) cannot keep four
  // clusters: the plain objective merges each pair (the nearest clusters, of different classes).
  auto gen = at::detail::createCPUGenerator(7);
  torch::Tensor far = torch::tensor({{0.f, 0.f, 0.f}, {6.f, 6.f, 6.f}});
  torch::Tensor pair = torch::arange(4).floor_divide(2), sign = torch::arange(4).remainder(2) * 2 - 1;
  torch::Tensor centres = torch::cat({0.3 * sign.to(torch::kFloat).unsqueeze(1), far.index_select(0, pair)}, 1);
  torch::Tensor idx = torch::arange(4).repeat_interleave(300);
  torch::Tensor z = centres.index_select(0, idx) + 0.03 * torch::randn({1200, 4}, gen);
  // A linear head on coordinate 0: classify(z) = [-4 z_0, 4 z_0].
  torch::jit::Module head("head");
  head.register_parameter("w", torch::tensor({{-4.f, 0.f, 0.f, 0.f}, {4.f, 0.f, 0.f, 0.f}}), false);
  head.define(R"(
def classify(self, z):
    return torch.matmul(z, self.w.t())
)");
  head.to(dev);
  double agree[2] = {0, 0};
  for (int with = 0; with < 2; ++with) {
    DvaeOptions o;
    o.bits = 1;
    o.hidden = 64;
    o.consistency = with ? 5.0 : 0.0;
    o.classifier = &head;
    FitOptions fit;
    fit.epochs = 40;
    fit.batchSize = 128;
    fit.seed = 1;
    fit.device = dev;
    torch::jit::Module dvae = makeDvae(z, o, 1);
    trainDvae(dvae, z.to(dev), o, fit);
    torch::NoGradGuard ng;
    const torch::Tensor zd = z.to(dev);
    const torch::Tensor zp = callTensor(dvae, "decode", callTensor(dvae, "bits", zd));
    agree[with] = callTensor(head, "classify", zd)
                      .argmax(1)
                      .eq(callTensor(head, "classify", zp).argmax(1))
                      .to(torch::kFloat64)
                      .mean()
                      .item<double>();
  }
  MESSAGE("f(phi') agrees with f(phi): plain " << agree[0] << ", with the term " << agree[1]);
  CHECK(agree[0] < 0.75);
  CHECK(agree[1] > 0.95);
}

TEST_CASE("adaptive IG: doubles from 32 until the residual is within 1%, where 32 steps are not") {
  const torch::Device dev = testutil::device();
  // F(x) = sum x^20 from black to white: F(alpha) = 16 alpha^20, whose midpoint-rule error with m
  // nodes is about 20 * 19 / (24 m^2) of the whole (1.5% at 32, 0.4% at 64, 1.5e-5 at 1024).
  const ImageScalarFn F = [](const torch::Tensor& x) { return x.pow(20).flatten(1).sum(1); };
  const torch::Tensor x = torch::ones({1, 4, 4}).to(dev), xb = torch::zeros({1, 4, 4}).to(dev);
  AttributionOptions fixed32;
  fixed32.adaptive = false;
  fixed32.steps = 32;
  const AttributionResult r32 = straightPathAttribution(F, x, xb, fixed32);
  REQUIRE(r32.residual > 0.01);
  AttributionOptions o;  // the default: adaptive
  const AttributionResult r = straightPathAttribution(F, x, xb, o);
  CHECK(r.adaptive);
  CHECK(r.residual <= 0.01);
  CHECK(r.steps() > 32);
  REQUIRE(r.tries.size() >= 2);
  CHECK(r.tries.front().first == 32);
  CHECK(r.tries.front().second == doctest::Approx(r32.residual));
  for (size_t i = 1; i < r.tries.size(); ++i) CHECK(r.tries[i].first == 2 * r.tries[i - 1].first);
  CHECK(r.tries.back().first == r.steps());
  CHECK(r.toleranceMet());
  const nlohmann::json facts = attributionFacts(r);
  CHECK(facts["steps_rule"] == "adaptive");
  CHECK(facts["steps_tried"].size() == r.tries.size());
  // A tolerance it cannot meet stops at the cap and says so.
  AttributionOptions strict;
  strict.tolerance = 1e-6;
  const AttributionResult capped = straightPathAttribution(F, x, xb, strict);
  CHECK(capped.steps() == kMaxIgSteps);
  CHECK_FALSE(capped.toleranceMet());
  CHECK(stepsInWords(capped).find("cap") != std::string::npos);
}

TEST_CASE("counterfactual quality: validity, proximity, sparsity, yNN and plausibility on a toy with known answers") {
  // Training latents: class 0 around (0, 0), class 1 around (10, 0), 50 each; test latents on both.
  auto gen = at::detail::createCPUGenerator(3);
  torch::Tensor zTrain =
      torch::cat({0.1 * torch::randn({50, 2}, gen), torch::tensor({10.f, 0.f}) + 0.1 * torch::randn({50, 2}, gen)});
  torch::Tensor yTrain = torch::cat({torch::zeros({50}, torch::kInt64), torch::ones({50}, torch::kInt64)});
  torch::Tensor zTest =
      torch::cat({0.1 * torch::randn({20, 2}, gen), torch::tensor({10.f, 0.f}) + 0.1 * torch::randn({20, 2}, gen)});
  const QualityReference ref = makeQualityReference(zTrain, yTrain, zTest);
  ClueResult r;
  r.target = 1;  // class change from 0 to 1
  r.z0 = {0.f, 0.f};
  r.zStar = {10.f, 0.f};  // among class 1's training latents
  r.classLatent = 1;
  r.classRoundtrip = 1;
  r.probsRoundtrip = {0.1f, 0.9f};
  r.x0 = {0.f, 0.f, 0.f, 0.f};
  r.xStar = {0.f, 0.04f, 0.5f, -0.3f};  // two values changed by more than 0.05
  measureQuality(r, ref);
  const CounterfactualQuality& q = r.quality;
  CHECK(q.computed);
  CHECK(q.valid);
  CHECK(q.yNN == doctest::Approx(1.0));
  CHECK(q.l1Z == doctest::Approx(10.0));
  CHECK(q.l2Z == doctest::Approx(10.0));
  CHECK(q.l1X == doctest::Approx(0.84));
  CHECK(q.l2X == doctest::Approx(std::sqrt(0.04 * 0.04 + 0.25 + 0.09)));
  CHECK(q.sparsity == doctest::Approx(0.5));
  CHECK(q.knnPercentile < 0.9);  // as near the data as the test points
  // The round trip lands on class 0: not valid; z* halfway between the classes: yNN from the
  // labels of its 5 nearest, and farther from the data than every test point.
  r.classRoundtrip = 0;
  r.probsRoundtrip = {0.7f, 0.3f};
  r.zStar = {5.f, 0.f};
  r.classLatent = 0;
  measureQuality(r, ref);
  CHECK_FALSE(r.quality.valid);
  CHECK(r.quality.knnPercentile == doctest::Approx(1.0));
  CHECK(r.quality.knnDistance > 4.5);
  // An uncertainty method (no target) is valid when the round trip's class is confident (p >= 0.8).
  r.target = -1;
  r.probsRoundtrip = {0.85f, 0.15f};
  measureQuality(r, ref);
  CHECK(r.quality.valid);
  r.probsRoundtrip = {0.6f, 0.4f};
  measureQuality(r, ref);
  CHECK_FALSE(r.quality.valid);
  // yNN counts the neighbours of z*'s class: z* inside class 0 but claiming class 1 gives 0.
  r.zStar = {0.f, 0.f};
  r.classLatent = 1;
  measureQuality(r, ref);
  CHECK(r.quality.yNN == doctest::Approx(0.0));
}

TEST_CASE(
    "randomisation: Spearman with tied ranks, SSIM of a map with itself, and a randomised head changes the maps") {
  // Spearman: a monotone transform gives 1, a reversal -1, and ties share their rank.
  const torch::Tensor a = torch::tensor({0.0, 0.0, 1.0, 2.0, 5.0});
  CHECK(spearman(a, a.pow(3)) == doctest::Approx(1.0));
  CHECK(spearman(a, -a) == doctest::Approx(-1.0));
  CHECK(spearman(torch::tensor({0.0, 0.0, 0.0, 1.0}), torch::tensor({3.0, 2.0, 1.0, 4.0})) ==
        doctest::Approx(pearson(torch::tensor({1.0, 1.0, 1.0, 3.0}), torch::tensor({2.0, 1.0, 0.0, 3.0}))));
  const torch::Tensor m = torch::rand({12, 12});
  CHECK(ssim(m, m) == doctest::Approx(1.0));
  CHECK(ssim(m, 1 - m) < 0.5);
  // The layers of LatentLab's classifier, top-down: the head first.
  const torch::Device dev = testutil::device();
  torch::Tensor x, y;
  faintPatchImages(256, 4, x, y);
  torch::jit::Module cls = makeClassifier({1, 8, 8}, 8, 2, 0.0, 1.0, 3);
  Dataset train;
  train.images = x;
  train.labels = y;
  FitOptions fc;
  fc.epochs = 10;
  fc.batchSize = 64;
  fc.device = dev;
  trainClassifier(cls, train, fc);
  const auto layers = parameterLayers(cls);
  REQUIRE(layers.size() >= 2);
  CHECK(layers.back().first == "h");
  const torch::Tensor before = callTensor(cls, "forward", x.slice(0, 0, 8).to(dev)).detach().clone();
  const RandomisationResult r = parameterRandomisation(cls, x.slice(0, 0, 8).to(dev), 0);
  // The original model is untouched (each randomised model is a copy).
  CHECK(torch::allclose(callTensor(cls, "forward", x.slice(0, 0, 8).to(dev)), before));
  REQUIRE(r.layers.front() == "h");
  REQUIRE(r.methods.size() == 4);
  for (const RandomisationMethod& m : r.methods) {
    REQUIRE(m.cascadeSpearman.size() == r.layers.size());
    MESSAGE(m.name << ": head randomised, Spearman " << m.cascadeSpearman[0] << "; MPRT " << m.mprt);
    if (m.name == "labelfree-ig") {
      CHECK(m.cascadeSpearman[0] == doctest::Approx(1.0));  // phi has no head: its maps cannot change
      CHECK(m.cascadeSpearman.back() < 0.99);               // ... until the encoder's layers are
    } else {
      CHECK(m.cascadeSpearman[0] < 0.99);  // the logit's maps change with the head's weights
    }
    CHECK(m.mprt >= -1);
    CHECK(m.mprt <= 1);
  }
}

TEST_CASE("a tolerance with a fixed step count is refused, not ignored") {
  AttributionOptions o;
  setAttributionOption(o, "steps", "64", "t");
  setAttributionOption(o, "tolerance", "0.001", "t");
  CHECK_THROWS_WITH_AS(checkAttributionOptions(o, 10, "t"), doctest::Contains("tolerance is for steps=auto"),
                       InputError);
  setAttributionOption(o, "steps", "auto", "t");
  CHECK_NOTHROW(checkAttributionOptions(o, 10, "t"));
}
