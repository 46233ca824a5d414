// Crabbé and van der Schaar's label-free explanations: completeness of label-free IG, invariance of feature and
// example importance under rotations of the latent space, SimplEx's simplex, DKNN's duplicates,
// TracIn's directional derivative against per-example autograd, and the errors.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "test_helpers.h"

using namespace latentlab;

namespace {

// A random CNN on 1x8x8 images with a d = 6 latent (the encoder Crabbé and van der Schaar explain).
struct TinyEncoder {
  torch::jit::Module m;
  torch::Device dev = testutil::device();
  TinyEncoder() {
    m = makeClassifier({1, 8, 8}, 6, 4, 0.3, 0.2, 21);
    m.to(dev);
    m.eval();
  }
  torch::Tensor encode(const torch::Tensor& x) const { return callTensor(m, "encode", x); }
};

float maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

float maxAbs(const std::vector<float>& a) {
  float d = 0;
  for (float v : a) d = std::max(d, std::abs(v));
  return d;
}

// A random orthogonal d x d matrix (QR of a Gaussian).
torch::Tensor randomRotation(int64_t d, uint64_t seed) {
  torch::manual_seed(seed);
  return std::get<0>(torch::linalg_qr(torch::randn({d, d}, torch::kDouble))).to(torch::kFloat);
}

}  // namespace

// On this random 8x8 ReLU CNN, 64 midpoint steps left 1.7% and 2.0% on two of the six images (the
// kinks of ReLU and max-pool, as for the logit target in attribution_test.cpp); 256 steps bring
// every one within 1%. On the shipped Fashion-MNIST model 64 steps give 0.04-0.4%
// (cli_explain_labelfree checks that).
TEST_CASE("label-free IG completeness: the attributions sum to |phi(x)|^2 - <phi(x), phi(x')> within 1%") {
  TinyEncoder t;
  torch::manual_seed(5);
  int checked = 0;
  for (int i = 0; i < 6; ++i) {
    const torch::Tensor x = torch::rand({1, 8, 8}).to(t.dev), xb = torch::zeros_like(x);
    torch::Tensor zx, zb;
    {
      torch::NoGradGuard ng;
      zx = t.encode(x.unsqueeze(0))[0];
      zb = t.encode(xb.unsqueeze(0))[0];
    }
    const double expect = zx.dot(zx).item<double>() - zx.dot(zb).item<double>();
    if (std::abs(expect) < 1e-3) continue;  // nothing to attribute
    const AttributionResult r = integratedGradients(
        labelFreeFunction([&t](const torch::Tensor& v) { return t.encode(v); }, zx), x, xb, 256, Quadrature::Midpoint);
    CHECK(r.fInput == doctest::Approx(zx.dot(zx).item<double>()).epsilon(1e-4));
    CHECK(std::abs(r.sumAttribution - expect) / std::abs(expect) < 0.01);
    ++checked;
  }
  CHECK(checked >= 4);
}

TEST_CASE("label-free saliency, IG and GradientShap are unchanged when the latent space is rotated") {
  TinyEncoder t;
  const torch::Tensor Q = randomRotation(6, 9).to(t.dev);
  torch::manual_seed(6);
  const torch::Tensor x = torch::rand({1, 8, 8}).to(t.dev), xb = torch::zeros_like(x);
  auto plain = [&t](const torch::Tensor& v) { return t.encode(v); };
  auto rotated = [&t, Q](const torch::Tensor& v) { return t.encode(v).matmul(Q); };
  torch::Tensor z, zq;
  {
    torch::NoGradGuard ng;
    z = plain(x.unsqueeze(0))[0];
    zq = rotated(x.unsqueeze(0))[0];
  }
  REQUIRE(float((z - zq).abs().max().item<float>()) > 1e-3f);  // the rotation changes the latent
  const ImageScalarFn F = labelFreeFunction(plain, z), Fq = labelFreeFunction(rotated, zq);
  const AttributionResult a = integratedGradients(F, x, xb, 32, Quadrature::Midpoint),
                          aq = integratedGradients(Fq, x, xb, 32, Quadrature::Midpoint);
  CHECK(maxAbsDiff(a.attribution, aq.attribution) < 1e-4f * std::max(1.0f, maxAbs(a.attribution)));
  const AttributionResult s = saliencyAttribution(F, x), sq = saliencyAttribution(Fq, x);
  CHECK(maxAbsDiff(s.attribution, sq.attribution) < 1e-4f * std::max(1.0f, maxAbs(s.attribution)));
  CHECK_FALSE(s.hasCompleteness);
  const AttributionResult g = gradientShap(F, x, xb, 16, 0.1, 3), gq = gradientShap(Fq, x, xb, 16, 0.1, 3);
  CHECK(maxAbsDiff(g.attribution, gq.attribution) < 1e-4f * std::max(1.0f, maxAbs(g.attribution)));
  // A non-orthogonal map changes them (the check can fail).
  auto scaled = [&t](const torch::Tensor& v) {
    return t.encode(v) * torch::arange(1, 7, torch::kFloat).to(v.device());
  };
  torch::Tensor zs;
  {
    torch::NoGradGuard ng;
    zs = scaled(x.unsqueeze(0))[0];
  }
  const AttributionResult as = integratedGradients(labelFreeFunction(scaled, zs), x, xb, 32, Quadrature::Midpoint);
  CHECK(maxAbsDiff(a.attribution, as.attribution) > 1e-3f * maxAbs(a.attribution));
}

TEST_CASE("GradientShap's sum approaches F(x) - F(x') and its nodes are sorted in (0, 1)") {
  TinyEncoder t;
  torch::manual_seed(7);
  const torch::Tensor x = torch::rand({1, 8, 8}).to(t.dev), xb = torch::zeros_like(x);
  torch::Tensor z;
  {
    torch::NoGradGuard ng;
    z = t.encode(x.unsqueeze(0))[0];
  }
  const AttributionResult g =
      gradientShap(labelFreeFunction([&t](const torch::Tensor& v) { return t.encode(v); }, z), x, xb, 1000, 0.0, 1);
  for (size_t k = 1; k < g.alphas.size(); ++k) CHECK(g.alphas[k] >= g.alphas[k - 1]);
  CHECK(g.alphas.front() > 0.0);
  CHECK(g.alphas.back() < 1.0);
  CHECK(g.residual < 0.05);  // Monte Carlo with 1000 samples
}

TEST_CASE("DKNN and SimplEx scores are unchanged when the latents are rotated") {
  torch::manual_seed(8);
  const torch::Device dev = testutil::device();
  const torch::Tensor Z = torch::randn({500, 6}).to(dev), z = torch::randn({6}).to(dev);
  const torch::Tensor Q = randomRotation(6, 10).to(dev);
  const torch::Tensor a = dknnScores(Z, z), b = dknnScores(Z.matmul(Q), z.matmul(Q));
  CHECK(float(((a - b).abs() / a).max().item<float>()) < 1e-4f);
  const torch::Tensor w = simplexWeights(Z.slice(0, 0, 100), z, 500, 0.05),
                      wq = simplexWeights(Z.slice(0, 0, 100).matmul(Q), z.matmul(Q), 500, 0.05);
  CHECK(float((w - wq).abs().max().item<float>()) < 1e-4f);
  // ... and changed by a map that is not orthogonal (the check can fail).
  const torch::Tensor S = torch::diag(torch::arange(1, 7, torch::kFloat)).to(dev);
  CHECK(float(((a - dknnScores(Z.matmul(S), z.matmul(S))).abs() / a).max().item<float>()) > 1e-2f);
}

TEST_CASE("SimplEx: weights >= 0 summing to 1, a corpus member is reconstructed exactly") {
  torch::manual_seed(11);
  const torch::Tensor C = torch::randn({200, 8});
  double residual = 1;
  const torch::Tensor w = simplexWeights(C, C[37], 1000, 0.2, &residual);
  CHECK(w.min().item<float>() >= 0.0f);
  CHECK(w.sum().item<double>() == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(w.argmax().item<int64_t>() == 37);
  // Exactly up to the softmax's asymptote (w_37 = 1 needs v_37 - v_i -> infinity): 1,000 steps at
  // the default lr 0.2 leave the weights 0.3% from e_37 here.
  CHECK(w[37].item<float>() > 0.99f);
  CHECK(residual < 5e-3);
  // A latent outside the corpus's hull is not reconstructed: the residual says so.
  simplexWeights(C, C[0] * 10.0f, 1000, 0.2, &residual);
  CHECK(residual > 0.1);
  // The corpus draw: distinct positions; all of them when it asks for more than there are.
  const std::vector<int64_t> c = simplexCorpus(1000, 100, 4);
  CHECK(c.size() == 100);
  CHECK(std::set<int64_t>(c.begin(), c.end()).size() == 100);
  CHECK(simplexCorpus(50, 100, 4).size() == 50);
  CHECK_THROWS_AS(simplexWeights(C, torch::randn({7}), 10, 0.05), InputError);
}

TEST_CASE("DKNN on duplicated points: finite scores, the duplicates first and tied") {
  torch::manual_seed(12);
  torch::Tensor Z = torch::randn({300, 5});
  Z[10] = Z[3];
  Z[20] = Z[3];
  int64_t dup = 0;
  const torch::Tensor s = dknnScores(Z, Z[3], &dup);
  CHECK(dup == 3);
  CHECK(torch::isfinite(s).all().item<bool>());
  const ExampleScores r = rankScores(s, {}, "dknn");
  std::set<int64_t> top(r.index.begin(), r.index.begin() + 3);
  CHECK(top == std::set<int64_t>{3, 10, 20});
  CHECK(r.score[0] == r.score[2]);
  CHECK(r.score[3] < r.score[2]);
  // Nearest first: the ranking follows the distances.
  const torch::Tensor dist = (Z - Z[3]).norm(2, 1);
  CHECK(dist[r.index[3]].item<float>() <= dist[r.index[100]].item<float>());
}

TEST_CASE("TracIn's directional derivative matches per-example autograd on a tiny classifier") {
  const torch::Device dev = testutil::device();
  torch::jit::Module m = makeClassifier({1, 8, 8}, 6, 4, 0.3, 0.2, 31);
  m.to(dev);
  m.eval();
  torch::manual_seed(13);
  const torch::Tensor train = torch::rand({40, 1, 8, 8}), labels = torch::randint(0, 4, {40}, torch::kInt64);
  const torch::Tensor x = torch::rand({1, 8, 8});
  const int64_t y = 2;
  const ExampleLossFn loss = classifierLoss();
  std::vector<TracinCheckpoint> cps = {{m.clone(), 0.01}, {m.clone(), 0.001}};
  const torch::Tensor got = tracinScores(cps, loss, x, y, train, labels, dev, {}, nullptr);
  // The reference: per-example gradients w.r.t. the encoder's parameters (all but the head hw, hb).
  std::vector<torch::Tensor> enc;
  for (const auto& p : m.named_parameters())
    if (p.name != "hw" && p.name != "hb") enc.push_back(p.value);
  auto grads = [&](const torch::Tensor& xi, int64_t yi) {
    torch::AutoGradMode on(true);
    for (auto& p : enc) p.requires_grad_(true);
    const torch::Tensor l = loss(m, xi.unsqueeze(0).to(dev), torch::tensor({yi}, torch::kInt64).to(dev)).sum();
    std::vector<torch::Tensor> g = torch::autograd::grad({l}, enc, {}, false, false, true);
    std::vector<torch::Tensor> flat;
    for (auto& gi : g) flat.push_back(gi.flatten());
    return torch::cat(flat).to(torch::kCPU, torch::kDouble);
  };
  const torch::Tensor gt = grads(x, y);
  double worst = 0, scale = 0;
  for (int64_t n = 0; n < 40; ++n) {
    const double expect = 0.011 * grads(train[n], labels[n].item<int64_t>()).dot(gt).item<double>();
    scale = std::max(scale, std::abs(expect));
    worst = std::max(worst, std::abs(expect - got[n].item<double>()));
  }
  MESSAGE("tracin: worst error " << worst << " of scale " << scale);
  CHECK(scale > 0);
  CHECK(worst < 1e-4 * scale);
}

TEST_CASE("TracIn on a bundle without checkpoints is a clear error naming the bundle") {
  Bundle b;
  b.dir = "/tmp/some-bundle";
  CHECK_THROWS_WITH_AS(loadCheckpoints(b), doctest::Contains("keeps no training checkpoints"), BundleError);
  b.manifest.training = {{"checkpoints", {{{"file", "checkpoints/a.pt"}, {"lr", 0.001}}}}, {"checkpoints_of", "x"}};
  b.manifest.components["classifier"] = "classifier.pt";
  CHECK_THROWS_WITH_AS(loadCheckpoints(b), doctest::Contains("another model"), BundleError);
  ExampleOptions o;
  o.corpus = 0;
  CHECK_THROWS_WITH_AS(checkExampleOptions(o, "explain"), doctest::Contains("at least 1"), InputError);
  CHECK_THROWS_AS(setExampleOption(o, "corpus", "0", "explain"), InputError);
  CHECK_THROWS_AS(setExampleOption(o, "corpus", "-3", "explain"), InputError);
  CHECK_THROWS_WITH_AS(parseExampleMethod("knn", "explain"), doctest::Contains("dknn, simplex or tracin"), InputError);
}
