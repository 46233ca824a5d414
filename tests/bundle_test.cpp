#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "latentlab/data/data_torch.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "test_helpers.h"
#include "tiny_bundle.h"

using namespace latentlab;
namespace fs = std::filesystem;

namespace {

// As if the posterior and the decoder of `bundle` were refitted for its present classifier.pt: their
// manifest records name it.
void recordRefitFor(const std::string& bundle) {
  nlohmann::json m = nlohmann::json::parse(readTextFile(bundle + "/manifest.json", caps::kManifest));
  for (const char* part : {"laplace", "decoder"})
    m["training"][part]["classifier"] = fileFingerprint(bundle + "/classifier.pt");
  writeFileAtomic(bundle + "/manifest.json", m.dump(2));
}

// A user's TorchScript model, written the way the manual's Python recipe produces one.
torch::jit::Module userModel(bool linearHead, int64_t classes, int64_t d = 6) {
  torch::manual_seed(3);
  torch::jit::Module m("UserNet");
  m.register_parameter("w1", torch::randn({d, 64}) * 0.2, false);
  m.register_parameter("w2", torch::randn({classes, d}) * 0.5, false);
  m.register_parameter("b2", torch::zeros({classes}), false);
  std::string classify =
      linearHead ? "torch.linear(z, self.w2, self.b2)" : "torch.linear(torch.tanh(z), self.w2, self.b2)";
  m.define(R"(
def encode(self, x):
    return torch.relu(torch.linear(torch.flatten(x, 1), self.w1))

def classify(self, z):
    return )" +
           classify + R"(

def forward(self, x):
    return self.classify(self.encode(x))
)");
  return m;
}

}  // namespace

TEST_CASE("train writes a complete bundle that loads, validates and evaluates") {
  TinyBundle& t = tiny();
  Bundle b = loadBundle(t.bundle, testutil::device());
  CHECK(b.latentDim() == 8);
  CHECK(b.numClasses() == 3);
  CHECK(b.decoder.has_value());
  CHECK(b.laplace.has_value());
  CHECK(b.vae.has_value());
  CHECK(b.ensemble.size() == 2);
  CHECK(b.headW.defined());
  CHECK(fs::exists(t.bundle + "/cache/latents_test.pt"));
  // The training set is easy: the classifier must have learnt it.
  CHECK(t.summary["metrics"]["heads"]["laplace"]["accuracy"].get<double>() > 0.8);
  // z >= 0 (the encoder ends in a ReLU), decode in [0,1].
  auto x = torch::rand({4, 1, 8, 8}).to(testutil::device());
  torch::NoGradGuard ng;
  auto z = b.encode(x);
  CHECK(z.min().item<float>() >= 0.0f);
  auto xr = b.decode(z);
  CHECK(xr.sizes() == torch::IntArrayRef({4, 1, 8, 8}));
  EvalOptions eo;
  eo.bundle = t.bundle;
  eo.ood = "none";
  eo.device = testutil::device().str();
  std::ostringstream log;
  auto report = runEval(eo, log);
  for (const char* head : {"deterministic", "laplace", "ensemble"})
    for (const char* key : {"accuracy", "nll", "ece", "brier"}) CHECK(report["heads"][head][key].is_number());
  CHECK(report["decoder"]["agreement"].is_number());
  CHECK(report["n_test"].get<int>() > 0);
  CHECK(report["ood_dataset"].is_null());
  CHECK(formatEvalTable(report).find("laplace") != std::string::npos);
  CHECK(bundleInfo(t.bundle).find("latent d:    8") != std::string::npos);
}

TEST_CASE("bundle save -> load gives identical outputs, and one bundle loads the same twice") {
  TinyBundle& t = tiny();
  testutil::TempDir d;
  torch::jit::Module m = makeClassifier({1, 8, 8}, 5, 3, 0.3, 0.2, 42);
  torch::Tensor x = torch::rand({3, 1, 8, 8});
  torch::Tensor before = callTensor(m, "forward", x);
  saveScript(m, d / "c.pt");
  torch::jit::Module back = loadScript(d / "c.pt", torch::kCPU, {"encode", "classify"});
  CHECK(torch::equal(before, callTensor(back, "forward", x)));
  Bundle a = loadBundle(t.bundle, torch::kCPU), b = loadBundle(t.bundle, torch::kCPU);
  torch::NoGradGuard ng;
  torch::Tensor z = a.encode(x);
  CHECK(torch::equal(z, b.encode(x)));
  CHECK(torch::equal(a.decode(z), b.decode(z)));
  CHECK(torch::equal(a.head(HeadMode::Samples).predict(z).probs, b.head(HeadMode::Samples).predict(z).probs));
  // The affine head read off classify() reproduces classify().
  CHECK(torch::allclose(torch::linear(z, a.headW, a.headB), a.classify(z), 1e-4, 1e-5));
}

TEST_CASE("an existing --out is never replaced without --force, a cancelled run writes nothing") {
  TinyBundle& t = tiny();
  const std::string manifestBefore = readTextFile(t.bundle + "/manifest.json", caps::kSummary);
  TrainOptions o;
  o.dataset = t.data;
  o.out = t.bundle;
  o.epochs = 1;
  o.latentDim = 4;
  o.ensemble = 0;
  std::ostringstream log;
  CHECK_THROWS_WITH_AS(runTrain(o, {}, nullptr, log), doctest::Contains("--force"), BundleError);
  CHECK(readTextFile(t.bundle + "/manifest.json", caps::kSummary) == manifestBefore);

  std::atomic<bool> cancel{false};
  o.out = tiny().dir / "cancelled.bundle";
  int calls = 0;
  auto progress = [&](const Progress&) {
    if (++calls == 2) cancel = true;
  };
  CHECK_THROWS_AS(runTrain(o, progress, &cancel, log), CancelledError);
  CHECK_FALSE(fs::exists(o.out));
  for (auto& e : fs::directory_iterator(tiny().dir.path))
    CHECK_MESSAGE(e.path().filename().string().find("staging") == std::string::npos, e.path());
}

// Saves userModel(linearHead) into `d` and imports it on the tiny dataset.
ImportOptions importUserModel(const testutil::TempDir& d, bool linearHead, std::ostringstream& log) {
  saveScript(userModel(linearHead, 3), d / "user.pt");
  ImportOptions io;
  io.model = d / "user.pt";
  io.dataset = tiny().data;
  io.out = d / "user.bundle";
  io.decoderEpochs = 1;
  io.vaeEpochs = 0;
  io.samples = 8;
  runImport(io, {}, nullptr, log);
  return io;
}

// A user's model whose encoder gives NaN only for batches larger than 2: the load-time dry run (two
// random inputs) passes it; the real data does not.
torch::jit::Module nanOnRealData(int64_t classes, int64_t d = 6) {
  torch::manual_seed(3);
  torch::jit::Module m("NanNet");
  m.register_parameter("w1", torch::randn({d, 64}) * 0.2, false);
  m.register_parameter("w2", torch::randn({classes, d}) * 0.5, false);
  m.register_parameter("b2", torch::zeros({classes}), false);
  m.define(R"(
def encode(self, x):
    z = torch.relu(torch.linear(torch.flatten(x, 1), self.w1))
    if x.size(0) > 2:
        z = z * float('nan')
    return z

def classify(self, z):
    return torch.linear(z, self.w2, self.b2)

def forward(self, x):
    return self.classify(self.encode(x))
)");
  return m;
}

// A model that fails only on batches larger than the dry run's two inputs: its encoder raises, or
// its head gives NaN.
torch::jit::Module failsOnRealData(bool raises, int64_t classes, int64_t d = 6) {
  torch::manual_seed(3);
  torch::jit::Module m("FailNet");
  m.register_parameter("w1", torch::randn({d, 64}) * 0.2, false);
  m.register_parameter("w2", torch::randn({classes, d}) * 0.5, false);
  m.register_parameter("b2", torch::zeros({classes}), false);
  const std::string encode = raises ? "    assert x.size(0) <= 2, 'the model gives up on big batches'\n" : "";
  const std::string classify =
      raises ? "" : "    if z.size(0) > 2:\n        return torch.linear(z, self.w2, self.b2) * float('nan')\n";
  m.define("def encode(self, x):\n" + encode +
           "    return torch.relu(torch.linear(torch.flatten(x, 1), self.w1))\n\n"
           "def classify(self, z):\n" +
           classify +
           "    return torch.linear(z, self.w2, self.b2)\n\n"
           "def forward(self, x):\n    return self.classify(self.encode(x))\n");
  return m;
}

TEST_CASE("a model that fails on real data only: the error names the file, and import leaves nothing") {
  TinyBundle& t = tiny();
  testutil::TempDir d;
  std::ostringstream log;
  ImportOptions io;
  io.dataset = t.data;
  io.vaeEpochs = 0;
  io.decoderEpochs = 1;
  io.samples = 8;
  // An encoder that raises: the raw TorchScript error used to reach the user with no file named.
  saveScript(failsOnRealData(true, 3), d / "raises.pt");
  io.model = d / "raises.pt";
  io.out = d / "raises.bundle";
  CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains("encode() failed on inputs 0.."),
                       ModelLoadError);
  CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains((d / "raises.pt").c_str()), ModelLoadError);
  CHECK_FALSE(fs::exists(io.out));
  // A head that gives NaN for batches of more than two: caught before the decoder's consistency
  // term reads it, naming the user's file (not the hidden staging folder).
  saveScript(failsOnRealData(false, 3), d / "nanhead.pt");
  io.model = d / "nanhead.pt";
  io.out = d / "nanhead.bundle";
  CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains("non-finite probabilities on"),
                       ModelLoadError);
  CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains((d / "nanhead.pt").c_str()), ModelLoadError);
  CHECK_FALSE(fs::exists(io.out));
  for (auto& e : fs::directory_iterator(d.path))
    CHECK(e.path().filename().string().find("staging") == std::string::npos);
}

TEST_CASE("non-finite model outputs on real data: a clear error naming the file, nothing written, no crash") {
  TinyBundle& t = tiny();
  testutil::TempDir d;
  std::ostringstream log;
  // import: the user's encoder.
  saveScript(nanOnRealData(3), d / "nan.pt");
  ImportOptions io;
  io.model = d / "nan.pt";
  io.dataset = t.data;
  io.out = d / "nan.bundle";
  io.vaeEpochs = 0;
  io.samples = 8;
  CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains("training images (first: 0, 1, 2, 3, 4)"),
                       ModelLoadError);
  CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains((d / "nan.pt").c_str()), ModelLoadError);
  CHECK_FALSE(fs::exists(io.out));
  // eval and the explorer: a bundle whose classifier was replaced by it.
  const std::string swapped = d / "swapped.bundle";
  fs::copy(t.bundle, swapped, fs::copy_options::recursive);
  fs::remove_all(fs::path(swapped) / "cache");
  saveScript(nanOnRealData(3, 8), swapped + "/classifier.pt");
  {  // as if `latentlab verify --record` after a deliberate replacement, the posterior and decoder
     // refitted for it: the checks on real data still refuse it
    std::ostringstream quiet;
    runVerify({swapped, true}, quiet);
    recordRefitFor(swapped);
  }
  EvalOptions eo;
  eo.bundle = swapped;
  eo.ood = "none";
  CHECK_THROWS_WITH_AS(runEval(eo, log), doctest::Contains("[eval] non-finite latents on"), ModelLoadError);
  CHECK_THROWS_WITH_AS(runEval(eo, log), doctest::Contains((swapped + "/classifier.pt").c_str()), ModelLoadError);
  CHECK_THROWS_WITH_AS(Explorer::open(swapped, "cpu", {}, nullptr), doctest::Contains("non-finite latents"),
                       ModelLoadError);
  // A posterior whose samples are NaN is refused when it is loaded.
  const std::string badPosterior = d / "posterior.bundle";
  fs::copy(t.bundle, badPosterior, fs::copy_options::recursive);
  torch::jit::Module lap = torch::jit::load(badPosterior + "/laplace.pt");
  lap.setattr("samples", torch::full_like(lap.attr("samples").toTensor(), std::nan("")));
  lap.save(badPosterior + "/laplace.pt");
  CHECK_THROWS_WITH_AS(loadBundle(badPosterior, torch::kCPU),
                       doctest::Contains("not the file this bundle was made with"), ModelLoadError);
  {
    std::ostringstream quiet;
    runVerify({badPosterior, true}, quiet);
  }
  CHECK_THROWS_WITH_AS(loadBundle(badPosterior, torch::kCPU), doctest::Contains("non-finite values"), ModelLoadError);
  CHECK_THROWS_WITH_AS(Explorer::open(badPosterior, "cpu", {}, nullptr),
                       doctest::Contains((badPosterior + "/laplace.pt").c_str()), ModelLoadError);
}

TEST_CASE("import: a user TorchScript model with a linear classify() gets a full bundle") {
  testutil::TempDir d;
  std::ostringstream log;
  ImportOptions io = importUserModel(d, true, log);
  Bundle b = loadBundle(io.out, torch::kCPU);
  CHECK(b.latentDim() == 6);
  CHECK(b.laplace.has_value());
  CHECK(b.decoder.has_value());
  // The imported classifier is the user's file, byte for byte.
  CHECK(readTextFile(d / "user.pt", caps::kSummary) == readTextFile(io.out + "/classifier.pt", caps::kSummary));
}

TEST_CASE("import: a non-linear classify() is said clearly and keeps the deterministic head") {
  testutil::TempDir d;
  std::ostringstream log;
  ImportOptions io = importUserModel(d, false, log);
  CHECK(log.str().find("not linear") != std::string::npos);
  Bundle b = loadBundle(io.out, torch::kCPU);
  CHECK_FALSE(b.laplace.has_value());
  CHECK_THROWS_AS(b.head(HeadMode::Samples), BundleError);
  torch::NoGradGuard ng;
  Predictive p = b.head(HeadMode::Deterministic).predict(b.encode(torch::rand({2, 1, 8, 8})));
  CHECK(torch::equal(p.epistemic, torch::zeros_like(p.epistemic)));
}

TEST_CASE("bad models are rejected with the file and the mismatch named") {
  TinyBundle& t = tiny();
  testutil::TempDir d;
  ImportOptions io;
  io.dataset = t.data;
  io.out = d / "out.bundle";
  std::ostringstream log;
  auto expectRejected = [&](const std::string& model, const char* needle) {
    io.model = model;
    CHECK_THROWS_WITH_AS(runImport(io, {}, nullptr, log), doctest::Contains(needle), ModelLoadError);
  };
  // A module defined from TorchScript source, saved as d/<name>.pt.
  auto scripted = [&](const std::string& name, const std::string& source, torch::Tensor w = {}) {
    torch::jit::Module m(name);
    if (w.defined()) m.register_parameter("w", w, false);
    m.define(source);
    saveScript(m, d / (name + ".pt"));
    return d / (name + ".pt");
  };
  const std::string encodeFlat = "def encode(self, x):\n    return torch.flatten(x, 1)\n";
  saveScript(userModel(true, 5), d / "k5.pt");
  expectRejected(d / "k5.pt", "5 classes, the dataset has 3");
  expectRejected(scripted("Rank", "def encode(self, x):\n    return x\n\ndef classify(self, z):\n    return z\n"),
                 "encode(x) must return [N, d]");
  expectRejected(scripted("Mism", encodeFlat + "\ndef classify(self, z):\n    return torch.linear(z, self.w)\n",
                          torch::randn({3, 10})),
                 "classify() failed");
  expectRejected(scripted("NoCls", encodeFlat), "no method 'classify'");
  testutil::writeBytes(d / "junk.pt", "PK\x03\x04 definitely not a model");
  expectRejected(d / "junk.pt", "junk.pt");
  expectRejected(d / "missing.pt", "does not exist");
  CHECK_FALSE(fs::exists(io.out));
}

TEST_CASE("broken bundles: missing manifest, missing keys, newer version, swapped decoder") {
  TinyBundle& t = tiny();
  testutil::TempDir d;
  auto copyBundle = [&](const std::string& name) {
    fs::copy(t.bundle, d / name, fs::copy_options::recursive);
    return d / name;
  };
  CHECK_THROWS_WITH_AS(loadBundle(d / "none", torch::kCPU), doctest::Contains("not a directory"), BundleError);
  std::string b1 = copyBundle("nomanifest");
  fs::remove(b1 + "/manifest.json");
  CHECK_THROWS_WITH_AS(loadBundle(b1, torch::kCPU), doctest::Contains("no manifest.json"), BundleError);

  std::string b2 = copyBundle("newer");
  auto j = nlohmann::json::parse(readTextFile(b2 + "/manifest.json", caps::kSummary));
  j["format_version"] = 99;
  writeFileAtomic(b2 + "/manifest.json", j.dump());
  CHECK_THROWS_WITH_AS(loadBundle(b2, torch::kCPU), doctest::Contains("newer"), BundleError);

  std::string b3 = copyBundle("nolatent");
  j = nlohmann::json::parse(readTextFile(b3 + "/manifest.json", caps::kSummary));
  j.erase("latent_dim");
  writeFileAtomic(b3 + "/manifest.json", j.dump());
  CHECK_THROWS_WITH_AS(loadBundle(b3, torch::kCPU), doctest::Contains("latent_dim"), BundleError);

  std::string b4 = copyBundle("wrongdecoder");
  saveScript(makeDecoder({1, 8, 8}, 5, 0), b4 + "/decoder.pt");  // d = 5, the encoder gives 8
  CHECK_THROWS_WITH_AS(loadBundle(b4, torch::kCPU), doctest::Contains("decoder.pt"), ModelLoadError);

  std::string b5 = copyBundle("garbage");
  testutil::writeBytes(b5 + "/laplace.pt", "garbage");
  CHECK_THROWS_WITH_AS(loadBundle(b5, torch::kCPU), doctest::Contains("laplace.pt"), ModelLoadError);

  std::string b6 = copyBundle("wrongd");
  j = nlohmann::json::parse(readTextFile(b6 + "/manifest.json", caps::kSummary));
  j["latent_dim"] = 32;
  writeFileAtomic(b6 + "/manifest.json", j.dump());
  CHECK_THROWS_WITH_AS(loadBundle(b6, torch::kCPU), doctest::Contains("encoder gives d=8"), BundleError);
}

TEST_CASE("devices: cuda where CUDA is absent is a clear error") {
  if (torch::cuda::is_available()) {
    CHECK(parseDevice("cuda").is_cuda());
  } else {
    CHECK_THROWS_WITH_AS(parseDevice("cuda"), doctest::Contains("CUDA is not available"), DeviceError);
  }
  CHECK(parseDevice("cpu").is_cpu());
  CHECK_THROWS_AS(parseDevice("tpu"), DeviceError);
}

TEST_CASE("explorer: points, drag evaluation and the latent cache") {
  // Work on a copy: the cases below damage the cache on purpose.
  testutil::TempDir tmp;
  const std::string b = tmp / "copy.bundle";
  fs::copy(tiny().bundle, b, fs::copy_options::recursive);
  auto ex = Explorer::open(b, testutil::device().str(), {}, nullptr);
  auto pts = ex->points();
  Bundle bd = loadBundle(b, testutil::device());
  DatasetSplit data = loadManifestDataset(bd.manifest);
  REQUIRE(pts->n == data.test.size());
  CHECK(pts->numTest == pts->n);
  CHECK(pts->d == 8);
  CHECK(pts->K == 3);
  // The latents are the encoder's, and the per-point predictive is the Laplace head's.
  torch::NoGradGuard ng;
  torch::Tensor z = bd.encode(data.test.images).cpu();
  torch::Tensor zt = torch::from_blob(const_cast<float*>(pts->latents.data()), {pts->n, pts->d}).clone();
  CHECK(torch::allclose(z, zt, 1e-5, 1e-5));
  Predictive p = bd.head(HeadMode::Samples).predict(z.to(bd.device));
  torch::Tensor probs = torch::from_blob(const_cast<float*>(pts->probs.data()), {pts->n, pts->K}).clone();
  CHECK(torch::allclose(p.probs.cpu(), probs, 1e-5, 1e-6));
  for (int64_t j = 0; j < pts->d; ++j) CHECK(pts->zLo[size_t(j)] <= pts->zHi[size_t(j)]);

  // evaluate(z) = decode(z) + the BLL predictive at z, for a latent off the data.
  std::vector<float> q(pts->latents.begin(), pts->latents.begin() + pts->d);
  for (auto& v : q) v = v * 1.5f + 0.25f;
  LatentEval r = ex->evaluate(q, 3);
  torch::Tensor qt = torch::from_blob(q.data(), {1, pts->d}).clone().to(bd.device);
  Predictive pq = bd.head(HeadMode::Samples).predict(qt);
  for (int64_t k = 0; k < pts->K; ++k)
    CHECK(r.probs[size_t(k)] == doctest::Approx(pq.probs[0][k].item<float>()).epsilon(1e-5));
  CHECK(r.epistemic == doctest::Approx(pq.epistemic.item<float>()).epsilon(1e-4));
  CHECK(r.total == doctest::Approx(r.aleatoric + r.epistemic).epsilon(1e-4));
  torch::Tensor img = bd.decode(qt).cpu().flatten();
  REQUIRE(int64_t(r.image.size()) == img.numel());
  CHECK(std::abs(r.image[10] - img[10].item<float>()) < 1e-5);
  REQUIRE(r.neighbours.size() == 3);
  // Its nearest neighbour among the points really is the nearest.
  torch::Tensor dist = (zt - qt.cpu()).pow(2).sum(1);
  CHECK(r.neighbours[0] == dist.argmin().item<int64_t>());
  CHECK_THROWS_AS(ex->evaluate(std::vector<float>(3, 0.f)), InputError);

  // A cache with the wrong count is detected and recomputed, never used.
  const std::string cache = b + "/cache/latents_test.pt";
  std::vector<char> bytes = torch::pickle_save(c10::IValue(torch::zeros({5, 8})));
  writeFileAtomic(cache, std::string(bytes.begin(), bytes.end()));
  auto ex2 = Explorer::open(b, testutil::device().str(), {}, nullptr);
  CHECK(ex2->points()->n == pts->n);
  CHECK(ex2->points()->latents == pts->latents);
  // ... and so is a file that is not a tensor at all.
  writeFileAtomic(cache, "garbage");
  CHECK(Explorer::open(b, testutil::device().str(), {}, nullptr)->points()->latents == pts->latents);
  CHECK(fs::exists(cache + ".key"));
  // A cache of the right shape made by another classifier is not used: the classifier file was
  // replaced (a model with the same d), so its latents are computed again. The cache used to win.
  {
    torch::jit::Module other = torch::jit::load(b + "/classifier.pt");
    for (auto p : other.parameters()) p.data().mul_(1.5);
    other.save(b + "/classifier.pt");
  }
  // Unannounced, the replaced classifier refuses the bundle (the manifest's fingerprint); recorded
  // on purpose (`verify --record`), the bundle loads and the cache is the new classifier's.
  CHECK_THROWS_WITH_AS(Explorer::open(b, testutil::device().str(), {}, nullptr),
                       doctest::Contains("classifier.pt is not the file this bundle was made with"), ModelLoadError);
  {
    std::ostringstream quiet;
    runVerify({b, true}, quiet);
  }
  // The posterior and the decoder record the classifier they were made for: still refused.
  CHECK_THROWS_WITH_AS(Explorer::open(b, testutil::device().str(), {}, nullptr),
                       doctest::Contains("was made for another classifier"), ModelLoadError);
  {  // as if they were refitted for the new classifier (a scaled copy: they still work on it)
    recordRefitFor(b);
  }
  auto ex3 = Explorer::open(b, testutil::device().str(), {}, nullptr);
  Bundle bd3 = loadBundle(b, testutil::device());
  // Its DVAE was trained on the old classifier's latents: left out, with the reason (the bundle loads).
  if (fs::exists(b + "/dvae.pt")) {
    CHECK_FALSE(bd3.dvae.has_value());
    CHECK(bd3.dvaeProblem.find("trained on another classifier's latents") != std::string::npos);
    CHECK(ex3->dvaeBits() == 0);
  }
  torch::Tensor z3 = bd3.encode(data.test.images).cpu();
  torch::Tensor zt3 = torch::from_blob(const_cast<float*>(ex3->points()->latents.data()), {pts->n, pts->d}).clone();
  CHECK(torch::allclose(z3, zt3, 1e-5, 1e-5));
  CHECK_FALSE(torch::allclose(z3, zt, 1e-3, 1e-3));

  // Training points come after the test points and keep them unchanged.
  auto all = ex->addTrainPoints({}, nullptr);
  CHECK(all->n == pts->n + data.train.size());
  CHECK(all->numTest == pts->n);
  CHECK(std::equal(pts->latents.begin(), pts->latents.end(), all->latents.begin()));
  CHECK(all->isTrain.back() == 1);
  CHECK(fs::exists(b + "/cache/latents_train.pt"));

  // A bad bundle path is a typed error naming it.
  CHECK_THROWS_WITH_AS(Explorer::open(tmp / "nope", "cpu", {}, nullptr), doctest::Contains("nope"), BundleError);
}
