#include <doctest/doctest.h>

#include <cmath>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "test_helpers.h"

using namespace latentlab;

namespace {

// A tiny separable problem: K=3 classes in d=2, labels from a known linear rule with noise.
struct Tiny {
  torch::Tensor z, y, W, b;
};
Tiny tinyProblem(int64_t n = 60, uint64_t seed = 1) {
  auto gen = at::detail::createCPUGenerator(seed);
  Tiny t;
  t.z = torch::relu(torch::randn({n, 2}, gen, torch::kFloat32) + 1.0);
  t.W = torch::tensor({{2.0f, -1.0f}, {-1.0f, 2.0f}, {0.5f, 0.5f}});
  t.b = torch::tensor({0.1f, -0.2f, 0.0f});
  torch::Tensor logits = torch::matmul(t.z, t.W.t()) + t.b + 0.7 * torch::randn({n, 3}, gen, torch::kFloat32);
  t.y = logits.argmax(1);
  return t;
}

}  // namespace

TEST_CASE("GGN equals the exact Hessian of the softmax NLL of a linear head") {
  // For a linear softmax head the GGN is the Hessian, so autograd gives a closed-form reference.
  Tiny t = tinyProblem();
  torch::Tensor H = lastLayerGgn(t.z, t.W, t.b, testutil::device());
  torch::Tensor theta = torch::cat({t.W, t.b.unsqueeze(1)}, 1).to(torch::kFloat64).reshape({-1}).requires_grad_(true);
  torch::Tensor phi = torch::cat({t.z, torch::ones({t.z.size(0), 1})}, 1).to(torch::kFloat64);
  torch::Tensor nll = torch::nll_loss(torch::log_softmax(torch::matmul(phi, theta.reshape({3, 3}).t()), 1), t.y, {},
                                      at::Reduction::Sum);
  torch::Tensor g = torch::autograd::grad({nll}, {theta}, {}, true, true)[0];
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < g.numel(); ++i) rows.push_back(torch::autograd::grad({g[i]}, {theta}, {}, true)[0]);
  torch::Tensor hess = torch::stack(rows);
  CHECK(torch::allclose(H, hess, 1e-6, 1e-8));
}

TEST_CASE("the marginal-likelihood prior precision is the maximiser over a grid") {
  Tiny t = tinyProblem(80, 2);
  LaplaceFit fit = fitLaplace(t.z, t.y, t.W, t.b, LaplaceOptions{16, 0, {}}, testutil::device());
  REQUIRE(fit.grid.size() == 81);
  for (auto [lam, v] : fit.grid) CHECK(fit.logMarglik >= v - 1e-9);
  // The objective matches a direct computation with logdet at the chosen lambda.
  torch::Tensor H = lastLayerGgn(t.z, t.W, t.b, torch::kCPU);
  torch::Tensor theta = torch::cat({t.W, t.b.unsqueeze(1)}, 1).to(torch::kFloat64);
  torch::Tensor phi = torch::cat({t.z, torch::ones({t.z.size(0), 1})}, 1).to(torch::kFloat64);
  const double logLik =
      torch::log_softmax(torch::matmul(phi, theta.t()), 1).gather(1, t.y.unsqueeze(1)).sum().item<double>();
  const double lam = fit.priorPrecision, p = 9.0;
  const double direct = logLik - 0.5 * lam * theta.pow(2).sum().item<double>() + 0.5 * p * std::log(lam) -
                        0.5 * torch::logdet(H + lam * torch::eye(9, torch::kFloat64)).item<double>();
  CHECK(fit.logMarglik == doctest::Approx(direct).epsilon(1e-9));
  // And an explicit grid passed in is searched exactly.
  LaplaceFit coarse = fitLaplace(t.z, t.y, t.W, t.b, LaplaceOptions{4, 0, {0.01, 0.1, 1.0, 10.0, 100.0}}, torch::kCPU);
  double best = -INFINITY, bestLam = 0;
  for (auto [l, v] : coarse.grid)
    if (v > best) best = v, bestLam = l;
  CHECK(coarse.priorPrecision == bestLam);
}

TEST_CASE("posterior samples have the Laplace covariance, probit matches Monte Carlo") {
  Tiny t = tinyProblem(40, 3);
  LaplaceOptions opt{20000, 5, {1.0}};
  LaplaceFit fit = fitLaplace(t.z, t.y, t.W, t.b, opt, torch::kCPU);
  torch::Tensor s = fit.samples.reshape({opt.samples, -1}).to(torch::kFloat64);
  torch::Tensor centred = s - s.mean(0);
  torch::Tensor emp = torch::matmul(centred.t(), centred) / double(opt.samples - 1);
  torch::Tensor cov = fit.covariance.to(torch::kFloat64);
  CHECK((emp - cov).abs().max().item<double>() < 0.05 * cov.diagonal().max().item<double>());
  // The sampled predictive with many samples is the Monte Carlo reference for the probit.
  torch::Tensor z = torch::tensor({{0.5f, 0.5f}, {2.0f, 0.1f}, {0.1f, 3.0f}}).to(testutil::device());
  Predictive mc = BllHead::laplace(fit, HeadMode::Samples, testutil::device()).predict(z);
  Predictive pr = BllHead::laplace(fit, HeadMode::Probit, testutil::device()).predict(z);
  CHECK((mc.probs - pr.probs).abs().max().item<float>() < 0.03f);
  CHECK((mc.epistemic - pr.epistemic).abs().max().item<float>() < 0.02f);
  // With a very tight posterior both collapse onto the MAP softmax.
  LaplaceFit tight = fitLaplace(t.z, t.y, t.W, t.b, LaplaceOptions{64, 5, {1e7}}, torch::kCPU);
  Predictive map = BllHead::laplace(tight, HeadMode::Deterministic, testutil::device()).predict(z);
  Predictive tightMc = BllHead::laplace(tight, HeadMode::Samples, testutil::device()).predict(z);
  CHECK((map.probs - tightMc.probs).abs().max().item<float>() < 1e-3f);
}

TEST_CASE("entropy decomposition identities for every head") {
  Tiny t = tinyProblem(60, 4);
  LaplaceFit fit = fitLaplace(t.z, t.y, t.W, t.b, LaplaceOptions{64, 0, {0.5}}, torch::kCPU);
  auto gen = at::detail::createCPUGenerator(9);
  torch::Tensor z = torch::relu(torch::randn({50, 2}, gen, torch::kFloat32) * 2).to(testutil::device());
  for (HeadMode mode : {HeadMode::Samples, HeadMode::Probit}) {
    Predictive p = BllHead::laplace(fit, mode, testutil::device()).predict(z);
    CHECK(torch::allclose(p.total, p.aleatoric + p.epistemic, 1e-5, 1e-6));
    CHECK(p.epistemic.min().item<float>() >= -1e-5f);
    CHECK(p.epistemic.max().item<float>() > 1e-4f);  // a real posterior has some epistemic part
    CHECK(torch::allclose(p.probs.sum(1), torch::ones({50}, p.probs.options()), 1e-5, 1e-5));
    CHECK(p.total.max().item<float>() <= std::log(3.0f) + 1e-5f);
  }
  Predictive d = BllHead::deterministicLinear(t.W, t.b, testutil::device()).predict(z);
  CHECK(torch::equal(d.epistemic, torch::zeros_like(d.epistemic)));
  torch::Tensor p = torch::softmax(torch::matmul(z.cpu(), t.W.t()) + t.b, 1);
  CHECK(torch::allclose(d.total.cpu(), entropy(p), 1e-5, 1e-6));
  CHECK(torch::equal(d.total, d.aleatoric));
  // Entropy of a uniform and of a one-hot distribution.
  CHECK(entropy(torch::full({4}, 0.25f)).item<float>() == doctest::Approx(std::log(4.0)));
  CHECK(entropy(torch::tensor({1.0f, 0.0f, 0.0f})).item<float>() == doctest::Approx(0.0));
}

TEST_CASE("the predictive is deterministic (common random numbers) and differentiable in z") {
  Tiny t = tinyProblem(60, 5);
  LaplaceFit fit = fitLaplace(t.z, t.y, t.W, t.b, LaplaceOptions{64, 0, {}}, torch::kCPU);
  BllHead head = BllHead::laplace(fit, HeadMode::Samples, testutil::device());
  torch::Tensor z = torch::tensor({{0.3f, 1.2f}}).to(testutil::device()).requires_grad_(true);
  Predictive a = head.predict(z), b = head.predict(z);
  CHECK(torch::equal(a.probs, b.probs));
  a.epistemic.sum().backward();
  torch::Tensor g = z.grad();
  REQUIRE(g.defined());
  CHECK(torch::isfinite(g).all().item<bool>());
  CHECK(g.abs().sum().item<float>() > 0.0f);
  // Finite-difference check of d(total)/dz.
  torch::NoGradGuard ng;
  const float h = 1e-2f;
  torch::Tensor zp = z.detach().clone(), zm = z.detach().clone();
  zp[0][0] += h;
  zm[0][0] -= h;
  torch::Tensor z2 = z.detach().clone().requires_grad_(true);
  {
    torch::AutoGradMode on(true);
    head.predict(z2).total.sum().backward();
  }
  const float fd = (head.predict(zp).total - head.predict(zm).total).item<float>() / (2 * h);
  CHECK(z2.grad()[0][0].item<float>() == doctest::Approx(fd).epsilon(0.02));
}

TEST_CASE("the Laplace posterior survives a TorchScript save/load and its forward() is the predictive") {
  testutil::TempDir dir;
  Tiny t = tinyProblem(60, 6);
  LaplaceFit fit = fitLaplace(t.z, t.y, t.W, t.b, LaplaceOptions{32, 0, {}}, torch::kCPU);
  saveScript(laplaceToModule(fit), dir / "laplace.pt");
  torch::jit::Module m = loadScript(dir / "laplace.pt", torch::kCPU, {"sample_logits"});
  LaplaceFit back = laplaceFromModule(m, dir / "laplace.pt");
  CHECK(torch::equal(back.samples, fit.samples));
  CHECK(torch::equal(back.covariance, fit.covariance));
  CHECK(back.priorPrecision == fit.priorPrecision);
  torch::Tensor z = torch::rand({5, 2});
  torch::Tensor viaScript = callTensor(m, "forward", z);
  torch::Tensor viaHead = BllHead::laplace(back, HeadMode::Samples, torch::kCPU).predict(z).probs;
  CHECK(torch::allclose(viaScript, viaHead, 1e-5, 1e-6));
  // A module without the buffers is rejected with the file named.
  torch::jit::Module empty("Empty");
  empty.define("def forward(self, x):\n    return x\n");
  saveScript(empty, dir / "empty.pt");
  CHECK_THROWS_WITH_AS(laplaceFromModule(loadScript(dir / "empty.pt", torch::kCPU, {}), dir / "empty.pt"),
                       doctest::Contains("empty.pt"), ModelLoadError);
  CHECK_THROWS_AS(fitLaplace(t.z, t.y, t.W.slice(1, 0, 1), t.b, LaplaceOptions{}, torch::kCPU), InputError);
}
