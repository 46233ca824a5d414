// Counterfactuals on the shipped Fashion-MNIST bundle: the properties each method must have.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "latentlab/clue/clue_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/manifest.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "test_helpers.h"

using namespace latentlab;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  Bundle bundle;
  Dataset test;
  torch::Tensor z;          // test latents
  torch::Tensor uncertain;  // indices of the most uncertain test points (Laplace total), descending
  Fixture() {
    const char* path = std::getenv("LATENTLAB_TEST_BUNDLE");
    REQUIRE_MESSAGE(path, "LATENTLAB_TEST_BUNDLE names the shipped Fashion-MNIST bundle (ctest sets it)");
    bundle = loadBundle(path, testutil::device());
    const fs::path dir = fashionMnistDir();
    test = loadIdxDataset((dir / "t10k-images-idx3-ubyte.gz").string(), (dir / "t10k-labels-idx1-ubyte.gz").string(),
                          bundle.manifest.classNames, bundle.manifest.dataset);
    z = bundleLatents(bundle, test, "latents_test.pt", {}, nullptr);
    torch::NoGradGuard ng;
    const Predictive p = bundle.head(HeadMode::Samples).predict(z);
    uncertain = p.total.argsort(0, true);
  }
  torch::Tensor images(int64_t n, int64_t skip = 0) const {
    return test.images.index_select(0, uncertain.slice(0, skip, skip + n));
  }
};
Fixture& fx() {
  static Fixture f;
  return f;
}

ClueContext context(const ClueOptions& o) { return makeClueContext(fx().bundle, o, fx().z); }

}  // namespace

TEST_CASE("the cpu engine's analytic gradient is autograd's, for every kind of U and for a target class") {
  const ClueContext ctx = context(ClueOptions{});
  const torch::Tensor bank = ctx.head.linearBank().contiguous();
  const int S = int(bank.size(0)), K = int(bank.size(1)), d = int(bank.size(2) - 1);
  REQUIRE(S == 64);
  for (int row = 0; row < 3; ++row) {
    torch::Tensor zr = fx().z[fx().uncertain[row * 7].item<int64_t>()].clone();
    for (int target : {-1, 3}) {
      for (UncertaintyKind kind : {UncertaintyKind::Total, UncertaintyKind::Aleatoric, UncertaintyKind::Epistemic}) {
        std::vector<float> grad(static_cast<size_t>(d), 0.f), pbar(static_cast<size_t>(K)),
            work(static_cast<size_t>(2 * S * K + K));
        const float u = bankObjective(bank.data_ptr<float>(), S, K, d, zr.data_ptr<float>(), kind, target, grad.data(),
                                      pbar.data(), work.data());
        torch::Tensor zz = zr.unsqueeze(0).clone().requires_grad_(true);
        torch::Tensor ut = uncertaintyOf(ctx.head.predict(zz), kind, target);
        torch::Tensor g = torch::autograd::grad({ut.sum()}, {zz})[0][0];
        CHECK(u == doctest::Approx(ut.item<float>()).epsilon(1e-4));
        const double scale = std::max(1e-6, g.abs().max().item<double>());
        for (int i = 0; i < d; ++i) CHECK(std::abs(grad[size_t(i)] - g[i].item<float>()) <= 1e-3 * scale + 1e-7);
      }
    }
  }
}

TEST_CASE("latent CLUE lowers U, stays in z >= 0, and reports the U of the real round trip") {
  ClueOptions o;
  const torch::Tensor x = fx().images(16);
  const auto res = explainInputs(context(o), o, x, nullptr);
  REQUIRE(res.size() == 16);
  const Bundle& b = fx().bundle;
  torch::NoGradGuard ng;
  for (const ClueResult& r : res) {
    CHECK(std::isfinite(r.pathLoss[0]));
    CHECK(std::isfinite(r.path[size_t(r.d)]));  // no NaN after the first step (z = z0, smooth L1)
    CHECK(r.uLatent < r.uBefore);
    CHECK(r.pathU.back() == doctest::Approx(r.uLatent).epsilon(1e-4));
    CHECK(r.pathLoss.back() <= r.pathLoss.front());
    CHECK(*std::min_element(r.path.begin(), r.path.end()) >= 0.0f);
    CHECK(r.numPathSteps() == r.steps + 1);
    // The round trip, recomputed here: phi(g(z*)) through the same head.
    torch::Tensor zs = torch::from_blob(const_cast<float*>(r.zStar.data()), {1, r.d}, torch::kFloat32).clone();
    torch::Tensor zr = b.encode(b.decode(zs));
    const float u = b.head(HeadMode::Samples).predict(zr).total.item<float>();
    CHECK(r.uRoundtrip == doctest::Approx(u).epsilon(1e-3));
    CHECK(r.frames.size() == r.frameSteps.size() * size_t(r.C * r.H * r.W));
  }
}

TEST_CASE("lambda -> infinity returns z0, the deterministic head has no epistemic term") {
  ClueOptions o;
  o.lambda = 1e6;
  const torch::Tensor x = fx().images(4);
  for (const ClueResult& r : explainInputs(context(o), o, x, nullptr))
    for (int64_t i = 0; i < r.d; ++i) CHECK(std::abs(r.zStar[size_t(i)] - r.z0[size_t(i)]) < 1e-3);
  ClueOptions det;
  det.head = HeadKind::Deterministic;
  det.uncertainty = UncertaintyKind::Epistemic;
  // Asking for it is refused (nothing would move), and the optimiser itself sees U = 0 and no
  // gradient, so z stays at z0 on both engines.
  CHECK_THROWS_WITH_AS(explainInputs(context(det), det, x, nullptr), doctest::Contains("no epistemic"), InputError);
  const torch::Tensor z0 = fx().z.index_select(0, fx().uncertain.slice(0, 0, 4));
  for (const char* engine : {"cpu", "tensor"}) {
    det.engine = engine;
    std::vector<ClueResult> out(4);
    latentClue(context(det), det, z0, x, out, nullptr, {});
    for (const ClueResult& r : out) {
      for (float u : r.pathU) CHECK(u == 0.0f);
      const torch::Tensor zs = torch::tensor(r.zStar);
      CHECK(torch::allclose(zs, z0[&r - out.data()].cpu(), 0, 1e-6));
    }
  }
}

TEST_CASE("two runs are identical (one fixed sample bank), and the two engines agree") {
  ClueOptions o;
  o.steps = 60;
  const torch::Tensor x = fx().images(3, 20);
  const auto a = explainInputs(context(o), o, x, nullptr);
  const auto b = explainInputs(context(o), o, x, nullptr);  // a new head: the bank is the posterior's
  ClueOptions t = o;
  t.engine = "tensor";
  const auto c = explainInputs(context(t), t, x, nullptr);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].path == b[i].path);
    CHECK(a[i].steps == c[i].steps);
    REQUIRE(a[i].path.size() == c[i].path.size());
    // The first ten steps agree closely (the same gradients); later, float rounding that Adam's
    // normalised steps amplify may part them a little, and the U they reach agrees.
    float worst = 0;
    for (size_t j = 0; j < size_t(11 * a[i].d); ++j) worst = std::max(worst, std::abs(a[i].path[j] - c[i].path[j]));
    CHECK(worst < 1e-4f);
    CHECK(a[i].uLatent == doctest::Approx(c[i].uLatent).epsilon(2e-2));
  }
}

TEST_CASE("keep_class keeps the predicted class in latent space, class change raises the target's probability") {
  ClueOptions o;
  o.keepClass = true;
  o.lambda = 0.01;
  const torch::Tensor x = fx().images(8);
  for (const ClueResult& r : explainInputs(context(o), o, x, nullptr)) CHECK(r.classLatent == r.classBefore);
  ClueOptions cc;
  cc.method = ClueMethod::ClassChange;
  cc.target = 8;  // Bag
  for (const ClueResult& r : explainInputs(context(cc), cc, x, nullptr)) {
    CHECK(r.targetLatent > r.targetBefore);
    CHECK(r.pathU.front() == doctest::Approx(r.targetBefore).epsilon(1e-3));
  }
  ClueOptions bad;
  bad.method = ClueMethod::ClassChange;
  CHECK_THROWS_AS(explainInputs(context(bad), bad, x, nullptr), InputError);
  bad.target = 10;
  CHECK_THROWS_WITH_AS(explainInputs(context(bad), bad, x, nullptr), doctest::Contains("0..9"), InputError);
}

TEST_CASE("ReGene: alpha is a distribution, a convex combination of one class's prototypes keeps that class") {
  const Bundle& b = fx().bundle;
  Prototypes p = fitPrototypes(fx().z, fx().test.labels, b.numClasses(), 8, 0);
  REQUIRE(p.z.size(0) == 80);
  // The linear (deterministic) head: every prototype of class c that the head calls c stays c in
  // any convex combination (ReGene's guarantee).
  const BllHead det = b.head(HeadMode::Deterministic);
  torch::NoGradGuard ng;
  const torch::Tensor pred = det.predict(p.z).probs.argmax(1);
  auto gen = at::detail::createCPUGenerator(5);
  for (int c = 0; c < 10; ++c) {
    std::vector<int64_t> mine;
    for (int64_t i = 0; i < p.z.size(0); ++i)
      if (p.classes[size_t(i)] == c && pred[i].item<int64_t>() == c) mine.push_back(i);
    if (mine.size() < 2) continue;
    const torch::Tensor P = p.z.index_select(0, torch::tensor(mine));
    torch::Tensor w = -torch::log(torch::rand({200, int64_t(mine.size())}, gen));  // Dirichlet(1)
    w = w / w.sum(1, true);
    CHECK((det.predict(torch::matmul(w, P)).probs.argmax(1) == c).all().item<bool>());
  }
  ClueOptions o;
  o.method = ClueMethod::Regene;
  ClueContext ctx = context(o);
  ctx.prototypes = &p;
  const auto res = explainInputs(ctx, o, fx().images(6), nullptr);
  double before = 0, after = 0;
  for (const ClueResult& r : res) {
    REQUIRE(!r.weights.empty());
    float sum = 0;
    for (size_t j = 0; j < r.weights.size(); ++j) {
      CHECK(r.weights[j] >= 0.0f);
      if (j > 0) CHECK(r.weights[j] <= r.weights[j - 1]);
      sum += r.weights[j];
    }
    CHECK(sum <= 1.0f + 1e-5f);
    before += r.uBefore;
    after += r.uLatent;
  }
  CHECK(after < before);
  ClueContext none = context(o);
  CHECK_THROWS_AS(explainInputs(none, o, fx().images(1), nullptr), InputError);
}

TEST_CASE("the hierarchical search lowers U in input space, VAE-CLUE lowers U and needs a VAE") {
  ClueOptions h;
  h.method = ClueMethod::Hierarchical;
  h.outerSteps = 6;
  for (const ClueResult& r : explainInputs(context(h), h, fx().images(4), nullptr)) {
    CHECK(r.uRoundtrip < r.uBefore);  // U(phi(x*)) with x* a real input
    CHECK(r.inputPath.size() == size_t(r.steps + 1) * size_t(r.C * r.H * r.W));
    CHECK(*std::min_element(r.xStar.begin(), r.xStar.end()) >= 0.0f);
    CHECK(*std::max_element(r.xStar.begin(), r.xStar.end()) <= 1.0f);
  }
  ClueOptions v;
  v.method = ClueMethod::VaeClue;
  double before = 0, after = 0;
  for (const ClueResult& r : explainInputs(context(v), v, fx().images(4), nullptr)) {
    before += r.uBefore;
    after += r.uRoundtrip;
    CHECK(r.uLatent == doctest::Approx(r.uRoundtrip).epsilon(1e-4));  // z* is phi(dec(u*)) itself
  }
  CHECK(after < before);
  // A bundle without a VAE: the error names the bundle.
  Bundle noVae = fx().bundle;
  noVae.vae.reset();
  ClueContext ctx = makeClueContext(noVae, v, fx().z);
  CHECK_THROWS_WITH_AS(explainInputs(ctx, v, fx().images(1), nullptr), doctest::Contains("needs the bundle's VAE"),
                       BundleError);
}

TEST_CASE("a cancelled run stops with CancelledError") {
  std::atomic<bool> cancel{true};
  ClueOptions o;
  CHECK_THROWS_AS(explainInputs(context(o), o, fx().images(2), &cancel), CancelledError);
  o.engine = "tensor";
  CHECK_THROWS_AS(explainInputs(context(o), o, fx().images(2), &cancel), CancelledError);
}

TEST_CASE("options: KEY=VALUE parsing names the key and the bad value") {
  ClueOptions o;
  setClueOption(o, "method", "vae-clue", "t");
  CHECK(o.method == ClueMethod::VaeClue);
  CHECK(o.lrOrDefault() == 0.1);
  CHECK(o.lambdaXOrDefault() == 25.0);
  setClueOption(o, "keep_class", "on", "t");
  CHECK(o.keepClass);
  CHECK_THROWS_WITH_AS(setClueOption(o, "steps", "1e20", "t"), doctest::Contains("steps must be"), InputError);
  CHECK_THROWS_WITH_AS(setClueOption(o, "lr", "0", "t"), doctest::Contains("lr must be"), InputError);
  CHECK_THROWS_WITH_AS(setClueOption(o, "lambda", "nan", "t"), doctest::Contains("lambda"), InputError);
  CHECK_THROWS_WITH_AS(setClueOption(o, "head", "bayes", "t"), doctest::Contains("'bayes'"), InputError);
  CHECK_THROWS_WITH_AS(setClueOption(o, "colour", "1", "t"), doctest::Contains("unknown counterfactual option"),
                       InputError);
}

TEST_CASE("diverse K: K counterfactuals per point, pushed apart by DiCE's term, each from z0, reproducible") {
  const torch::Tensor x = fx().images(4);
  ClueOptions o;
  o.diverse = 3;
  o.lambda = 0.1;
  const std::vector<ClueResult> a = explainInputs(context(o), o, x, nullptr);
  REQUIRE(a.size() == 12);
  ClueOptions plain = o;
  plain.diversity = 0;  // the same K noisy starts without the term: random restarts
  const std::vector<ClueResult> r = explainInputs(context(plain), plain, x, nullptr);
  double spreadDiverse = 0, spreadRestarts = 0, dppDiverse = 0, dppRestarts = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].member == int(i % 3));
    CHECK(a[i].members == 3);
    CHECK(a[i].diversity.computed);
    CHECK(a[i].uLatent < a[i].uBefore);
    // The path starts at the point's own latent, the same for its K.
    for (int64_t j = 0; j < a[i].d; ++j) CHECK(a[i].path[size_t(j)] == a[i].z0[size_t(j)]);
    if (i % 3 == 0) {
      spreadDiverse += a[i].diversity.latent;
      spreadRestarts += r[i].diversity.latent;
      dppDiverse += a[i].diversity.dpp;
      dppRestarts += r[i].diversity.dpp;
      CHECK(a[i].diversity.latent > 0);
      CHECK(a[i].diversity.classes >= 1);
    }
  }
  MESSAGE("mean pairwise |z_i - z_j|_1 / d: diverse " << spreadDiverse / 4 << ", restarts " << spreadRestarts / 4
                                                      << "; det: " << dppDiverse / 4 << " vs " << dppRestarts / 4);
  CHECK(spreadDiverse > 1.5 * spreadRestarts);
  CHECK(dppDiverse > dppRestarts);
  // The same seed gives the same run; another seed other starts.
  const std::vector<ClueResult> again = explainInputs(context(o), o, x, nullptr);
  CHECK(again[5].zStar == a[5].zStar);
  ClueOptions seeded = o;
  seeded.seed = 7;
  CHECK(explainInputs(context(seeded), seeded, x, nullptr)[5].zStar != a[5].zStar);
  // A point gets the same K whatever batch it comes in (its starts are drawn from its own latent).
  const std::vector<ClueResult> alone = explainInputs(context(o), o, x.slice(0, 2, 3), nullptr);
  float apart = 0;
  for (size_t j = 0; j < alone[1].zStar.size(); ++j)
    apart = std::max(apart, std::abs(alone[1].zStar[j] - a[7].zStar[j]));
  CHECK(apart < 1e-3f);
  // keep_class keeps the class at z0 for every one of the K (a start whose noise alone changes the
  // class is brought nearer z0).
  ClueOptions keep = o;
  keep.keepClass = true;
  for (const ClueResult& r : explainInputs(context(keep), keep, x, nullptr)) CHECK(r.classLatent == r.classBefore);
  // The term still pushes the K apart at K = 6 (det's own gradient vanished there; its log's does not).
  ClueOptions six = o;
  six.diverse = 6;
  ClueOptions sixPlain = six;
  sixPlain.diversity = 0;
  const auto s6 = explainInputs(context(six), six, x.slice(0, 0, 2), nullptr);
  const auto p6 = explainInputs(context(sixPlain), sixPlain, x.slice(0, 0, 2), nullptr);
  CHECK(s6[0].diversity.latent > 2 * p6[0].diversity.latent);
  CHECK(s6[6].diversity.latent > 2 * p6[6].diversity.latent);
  // Only the latent methods couple their K, and only on the tensor engine.
  ClueOptions bad = o;
  bad.method = ClueMethod::Regene;
  CHECK_THROWS_WITH_AS(explainInputs(context(bad), bad, x, nullptr), doctest::Contains("latent-clue and class-change"),
                       InputError);
  bad = o;
  bad.engine = "cpu";
  CHECK_THROWS_WITH_AS(explainInputs(context(bad), bad, x, nullptr), doctest::Contains("engine=tensor"), InputError);
  CHECK_THROWS_WITH_AS(setClueOption(bad, "diverse", "9", "t"), doctest::Contains("diverse must be"), InputError);
  CHECK_THROWS_WITH_AS(setClueOption(bad, "diverse_init", "0", "t"), doctest::Contains("diverse_init must be"),
                       InputError);
}
