// The reliability rules, one case per class (issue 26): readers that open only plain files, no
// output inside a bundle, no write through a planted link, --force that never deletes the user's
// files, components that changed, and non-finite models. Each case failed before the rule.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "latentlab/data/data_torch.h"
#include "latentlab/data/idx.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/explorer/session.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/manifest.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "test_helpers.h"
#include "tiny_bundle.h"

using namespace latentlab;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// `f` must throw an Error whose message contains `needle`, within a few seconds.
template <class F>
void refusedQuickly(F&& f, const std::string& needle, const std::string& what) {
  const auto t0 = Clock::now();
  std::string msg;
  try {
    f();
  } catch (const Error& e) {
    msg = e.what();
  }
  INFO(what << ": " << msg);
  CHECK(msg.find(needle) != std::string::npos);
  CHECK(secondsSince(t0) < 5.0);
}

std::string copyOfTiny(const testutil::TempDir& d, const std::string& name) {
  const std::string b = d / name;
  fs::copy(tiny().bundle, b, fs::copy_options::recursive);
  return b;
}

}  // namespace

TEST_CASE("readers open only plain files: a device and a pipe are refused at once, by every kind of reader") {
  testutil::TempDir d;
  const std::string fifo = d / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // no writer: a plain open() would block for ever
  for (const std::string& path : {std::string("/dev/zero"), fifo}) {
    const std::string kind = path == fifo ? "is a pipe" : "is a device";
    refusedQuickly([&] { parseManifest(readFileChecked(path, caps::kManifest, "manifest"), path); }, kind, "manifest");
    refusedQuickly([&] { loadSession(path); }, kind, "session");
    refusedQuickly([&] { readLayoutCsv(path, 100); }, kind, "layout CSV");
    refusedQuickly([&] { loadScript(path, torch::kCPU, {}); }, kind, "TorchScript");
    refusedQuickly([&] { readIdx(path); }, kind, "IDX");
    refusedQuickly([&] { readTextFile(path, caps::kScript); }, kind, "text");
  }
  // A bundle whose manifest, classifier or DVAE is a link to /dev/zero or a pipe: refused or left
  // out at once, never read without end.
  for (const std::string& target : {std::string("/dev/zero"), fifo}) {
    const std::string b = copyOfTiny(d, "m" + std::to_string(target.size()) + ".bundle");
    fs::remove(b + "/manifest.json");
    fs::create_symlink(target, b + "/manifest.json");
    refusedQuickly([&] { loadBundle(b, torch::kCPU); }, "not a regular file", "manifest link");
    refusedQuickly([&] { bundleInfo(b); }, "not a regular file", "info");
    const std::string c = copyOfTiny(d, "c" + std::to_string(target.size()) + ".bundle");
    fs::remove(c + "/classifier.pt");
    fs::create_symlink(target, c + "/classifier.pt");
    refusedQuickly([&] { loadBundle(c, torch::kCPU); }, "not a regular file", "classifier link");
    const std::string v = copyOfTiny(d, "v" + std::to_string(target.size()) + ".bundle");
    fs::remove(v + "/dvae.pt");
    fs::create_symlink(target, v + "/dvae.pt");
    const auto t0 = Clock::now();
    Bundle bd = loadBundle(v, torch::kCPU);
    CHECK(secondsSince(t0) < 10.0);
    CHECK_FALSE(bd.dvae.has_value());
    CHECK_FALSE(bd.dvaeProblem.empty());
  }
  // A file over its format's cap is refused before it is read, saying the cap.
  testutil::writeBytes(d / "big.json", std::string(size_t(caps::kManifest) + 10, ' '));
  refusedQuickly([&] { readFileChecked(d / "big.json", caps::kManifest, "manifest"); }, "a manifest is at most 4.0 MiB",
                 "cap");
  // A layout cache that is a link to /dev/zero is computed again, not read.
  std::vector<float> xy;
  const auto t0 = Clock::now();
  CHECK_FALSE(loadLayoutCache("/dev/zero", "pca", 10, 0, xy, nullptr));
  CHECK(secondsSince(t0) < 1.0);
}

TEST_CASE("no output inside a bundle, at any depth, for every kind of writer") {
  testutil::TempDir d;
  const std::string b = copyOfTiny(d, "b.bundle");
  fs::create_directories(b + "/checkpoints/deep");
  fs::create_directories(b + "/cache/new");
  // Files a user names (eval --json, project --out, --record, --screenshot, exports, sessions).
  for (const std::string& f : {b + "/checkpoints/x.json", b + "/checkpoints/deep/x.json", b + "/cache/new/x.csv",
                               b + "/classifier.pt", b + "/notes.txt"})
    CHECK_THROWS_WITH_AS(checkOutputFile(f, true), doctest::Contains("is inside the bundle"), InputError);
  // A link from outside into a bundle does not get round it.
  fs::create_symlink(b + "/checkpoints", d / "sneaky");
  CHECK_THROWS_WITH_AS(checkOutputFile(d / "sneaky/x.json", true), doctest::Contains("is inside the bundle"),
                       InputError);
  // New bundles (train, import, the GUI's train-model) and explain/checks folders.
  for (const std::string& out : {b + "/inner", b + "/cache/new/bundle", b + "/checkpoints/deep/x"}) {
    CHECK_THROWS_WITH_AS(checkOutputPath(out, false), doctest::Contains("is inside the bundle"), BundleError);
    CHECK_THROWS_WITH_AS(checkNotInBundle(out, "[explain]"), doctest::Contains("is inside the bundle"), InputError);
  }
  TrainOptions o;
  o.dataset = tiny().data;
  o.out = b + "/cache/new/inner";
  std::ostringstream log;
  CHECK_THROWS_WITH_AS(runTrain(o, {}, nullptr, log), doctest::Contains("is inside the bundle"), BundleError);
  CHECK_FALSE(fs::exists(o.out));
  // A dangling link beside the bundle that points into it (the file it names does not exist yet).
  fs::create_symlink(b + "/newfile.json", d / "dangling.json");
  CHECK_THROWS_WITH_AS(checkOutputFile(d / "dangling.json", true), doctest::Contains("is inside the bundle"),
                       InputError);
  CHECK_THROWS_WITH_AS(writeUserFile(d / "dangling.json", "x"), doctest::Contains("is inside the bundle"), InputError);
  CHECK_FALSE(fs::exists(b + "/newfile.json"));
  // A damaged manifest (truncated) still marks its folder as a bundle.
  const std::string damaged = copyOfTiny(d, "damaged.bundle");
  const std::string text = testutil::readBytes(damaged + "/manifest.json");
  testutil::writeBytes(damaged + "/manifest.json", text.substr(0, text.size() / 2));
  CHECK_THROWS_WITH_AS(checkOutputFile(damaged + "/x.json", true), doctest::Contains("is inside the bundle"),
                       InputError);
  // Beside a bundle is fine.
  CHECK_NOTHROW(checkOutputFile(d / "x.json", false));
  CHECK_NOTHROW(checkOutputPath(d / "other.bundle", false));
}

TEST_CASE("a planted link is never written through: not at a temporary name, not in LatentLab's own folders") {
  testutil::TempDir d;
  const std::string outside = d / "users-file.txt";
  testutil::writeBytes(outside, "precious");
  const std::string b = copyOfTiny(d, "b.bundle");
  // The old fixed temporary names: a link there is ignored (the temporary name is new each time).
  fs::create_symlink(outside, b + "/dvae.pt.tmp");
  fs::create_symlink(outside, b + "/manifest.json.tmp");
  torch::jit::Module m = loadScript(b + "/dvae.pt", torch::kCPU, {});
  saveScript(m, b + "/dvae.pt");
  writeFileAtomic(b + "/manifest.json", testutil::readBytes(b + "/manifest.json"));
  CHECK(testutil::readBytes(outside) == "precious");
  CHECK_FALSE(fs::is_symlink(b + "/dvae.pt"));
  // A link at a file LatentLab owns is replaced, never followed.
  fs::remove(b + "/dvae.pt");
  fs::create_symlink(outside, b + "/dvae.pt");
  saveScript(m, b + "/dvae.pt");
  CHECK(testutil::readBytes(outside) == "precious");
  CHECK_FALSE(fs::is_symlink(b + "/dvae.pt"));
  // A replaced file keeps its mode (a 444 dvae.pt stays 444).
  ::chmod((b + "/dvae.pt").c_str(), 0444);
  saveScript(m, b + "/dvae.pt");
  struct stat st {};
  REQUIRE(::stat((b + "/dvae.pt").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);
  // A user's file named through a stream (/dev/stdout, /proc/self/fd/1, /dev/fd/1) is refused, not replaced.
  // ... also through a link to a folder in /proc or /dev (ps/fd/1 with ps -> /proc/self).
  fs::create_symlink("/proc/self", d / "ps");
  fs::create_symlink("/dev/fd", d / "dfd");
  for (const std::string& stream : std::vector<std::string>{"/dev/stdout", "/proc/self/fd/1", "/dev/fd/1",
                                                            "/proc/self/fd/2", d / "ps/fd/1", d / "dfd/1"}) {
    CHECK_THROWS_WITH_AS(writeUserFile(stream, "x"), doctest::Contains("not a file"), InputError);
    CHECK_THROWS_WITH_AS(checkOutputFile(stream, true), doctest::Contains("not a file"), InputError);
  }
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(b))
    CHECK_MESSAGE(e.path().filename().string().find(".tmp-") == std::string::npos, e.path());
}

TEST_CASE("--force never deletes what the user put into a bundle folder") {
  testutil::TempDir d;
  const std::string b = copyOfTiny(d, "b.bundle");
  testutil::writeBytes(b + "/NOTES.md", "my notes");
  fs::create_directories(b + "/my_figures");
  testutil::writeBytes(b + "/my_figures/fig1.png", "png");
  CHECK_THROWS_WITH_AS(checkOutputPath(b, true), doctest::Contains("holds NOTES.md"), BundleError);
  TrainOptions o;
  o.dataset = tiny().data;
  o.out = b;
  o.force = true;
  o.epochs = 1;
  std::ostringstream log;
  CHECK_THROWS_WITH_AS(runTrain(o, {}, nullptr, log), doctest::Contains("which LatentLab did not write"), BundleError);
  CHECK(testutil::readBytes(b + "/NOTES.md") == "my notes");
  CHECK(fs::exists(b + "/my_figures/fig1.png"));
  fs::remove(b + "/NOTES.md");
  CHECK_THROWS_WITH_AS(checkOutputPath(b, true), doctest::Contains("holds my_figures"), BundleError);
  fs::remove_all(b + "/my_figures");
  CHECK(firstForeignBundleFile(b).empty());  // what train wrote is all LatentLab's
  // Files named like LatentLab's caches, which LatentLab did not write, are the user's too.
  for (const char* mine : {"cache/latents_mine.pt", "cache/layout_my_figure.bin", "cache/prototypes_k8.pt.key.bak"}) {
    fs::create_directories(fs::path(b) / "cache");
    testutil::writeBytes(b + "/" + mine, "the user's");
    CHECK(firstForeignBundleFile(b) == mine);
    fs::remove(b + "/" + mine);
  }
  CHECK_NOTHROW(checkOutputPath(b, true));
}

TEST_CASE("a component that changed is refused or left out, and a changed cache is computed again") {
  testutil::TempDir d;
  // A swapped classifier (another bundle's file): the bundle is refused, naming the file, what the
  // manifest records and what was found.
  const std::string other = d / "other.bundle";
  {
    TrainOptions o;
    o.dataset = tiny().data;
    o.out = other;
    o.epochs = 2;
    o.latentDim = 8;
    o.ensemble = 0;
    o.decoderEpochs = 1;
    o.vaeEpochs = 0;
    o.dvaeEpochs = 0;
    o.batchSize = 16;
    o.samples = 8;
    std::ostringstream log;
    runTrain(o, {}, nullptr, log);
  }
  const std::string swapped = copyOfTiny(d, "swapped.bundle");
  fs::copy_file(other + "/classifier.pt", swapped + "/classifier.pt", fs::copy_options::overwrite_existing);
  CHECK_THROWS_WITH_AS(
      loadBundle(swapped, torch::kCPU),
      doctest::Contains((swapped + "/classifier.pt is not the file this bundle was made with").c_str()),
      ModelLoadError);
  CHECK_THROWS_WITH_AS(loadBundle(swapped, torch::kCPU), doctest::Contains("the manifest records"), ModelLoadError);
  EvalOptions eo;
  eo.bundle = swapped;
  eo.ood = "none";
  std::ostringstream log;
  CHECK_THROWS_AS(runEval(eo, log), ModelLoadError);
  // A scaled decoder (same size, other values): refused.
  const std::string scaled = copyOfTiny(d, "scaled.bundle");
  {
    torch::jit::Module dec = torch::jit::load(scaled + "/decoder.pt");
    for (auto p : dec.parameters()) p.data().mul_(1.01);
    dec.save(scaled + "/decoder.pt");
  }
  CHECK_THROWS_WITH_AS(loadBundle(scaled, torch::kCPU), doctest::Contains("decoder.pt is not the file"),
                       ModelLoadError);
  // An ensemble member swapped: the ensemble is left out with the reason, the bundle loads.
  const std::string ens = copyOfTiny(d, "ens.bundle");
  fs::copy_file(ens + "/ensemble_1.pt", ens + "/ensemble_0.pt", fs::copy_options::overwrite_existing);
  Bundle be = loadBundle(ens, torch::kCPU);
  CHECK(be.ensemble.empty());
  CHECK(be.ensembleProblem.find("ensemble_0.pt is not the file") != std::string::npos);
  // A manifest edited to name another file for a component (an ensemble member as the classifier):
  // the fingerprints are kept by component, so it is refused.
  const std::string renamed = copyOfTiny(d, "renamed.bundle");
  {
    std::string m = testutil::readBytes(renamed + "/manifest.json");
    const size_t at = m.find("\"classifier\": \"classifier.pt\"");
    REQUIRE(at != std::string::npos);
    m.replace(at, std::string("\"classifier\": \"classifier.pt\"").size(), "\"classifier\": \"ensemble_1.pt\"");
    testutil::writeBytes(renamed + "/manifest.json", m);
  }
  CHECK_THROWS_WITH_AS(loadBundle(renamed, torch::kCPU), doctest::Contains("name the same file"), BundleError);
  // ... and a classifier swapped and recorded on purpose: the posterior and the decoder were made
  // for the other one, so the bundle is still refused (a Laplace head at chance, in silence, before).
  const std::string recorded = copyOfTiny(d, "recorded.bundle");
  fs::copy_file(recorded + "/ensemble_1.pt", recorded + "/classifier.pt", fs::copy_options::overwrite_existing);
  {
    std::ostringstream quiet;
    runVerify({recorded, true}, quiet);
  }
  CHECK_THROWS_WITH_AS(loadBundle(recorded, torch::kCPU), doctest::Contains("was made for another classifier"),
                       ModelLoadError);
  // A DVAE replaced on purpose and recorded: verify --record accepts it and it loads.
  const std::string dv = copyOfTiny(d, "dv.bundle");
  {
    torch::jit::Module m = torch::jit::load(dv + "/dvae.pt");
    for (auto p : m.parameters()) p.data().mul_(1.001);
    m.save(dv + "/dvae.pt");
  }
  CHECK_FALSE(loadBundle(dv, torch::kCPU).dvae.has_value());
  std::ostringstream dlog;
  CHECK(runVerify({dv, true}, dlog).value("ok", false));
  CHECK(loadBundle(dv, torch::kCPU).dvae.has_value());
  // verify says which file, and --record accepts a deliberate replacement.
  std::ostringstream vlog;
  CHECK_FALSE(runVerify({scaled}, vlog).value("ok", true));
  CHECK(vlog.str().find("DIFFERS") != std::string::npos);
  CHECK(runVerify({scaled, true}, vlog).value("ok", false));
  CHECK_NOTHROW(loadBundle(scaled, torch::kCPU));
  // A latent cache altered in place (finite, right shape) is computed again, not trusted.
  const std::string cached = copyOfTiny(d, "cached.bundle");
  auto ex = Explorer::open(cached, "cpu", {}, nullptr);
  const std::vector<float> truth = ex->points()->latents;
  ex.reset();
  const std::string cache = cached + "/cache/latents_test.pt";
  REQUIRE(fs::exists(cache + ".key"));
  {
    torch::Tensor z = torch::pickle_load([&] {
                        const std::string s = testutil::readBytes(cache);
                        return std::vector<char>(s.begin(), s.end());
                      }())
                          .toTensor();
    z.mul_(2.0f);
    std::vector<char> bytes = torch::pickle_save(c10::IValue(z));
    testutil::writeBytes(cache, std::string(bytes.begin(), bytes.end()));
  }
  CHECK(Explorer::open(cached, "cpu", {}, nullptr)->points()->latents == truth);
  // Another bundle's cache file put under this bundle's key: computed again too.
  fs::copy_file(other + "/cache/latents_test.pt", cache, fs::copy_options::overwrite_existing);
  CHECK(Explorer::open(cached, "cpu", {}, nullptr)->points()->latents == truth);
}

TEST_CASE("a VAE that gives NaN is left out with the reason, and vae-clue refuses it naming the file") {
  testutil::TempDir d;
  const std::string b = copyOfTiny(d, "nanvae.bundle");
  REQUIRE(fs::exists(b + "/vae.pt"));
  torch::jit::Module vae("NanVae");
  vae.define(R"(
def encode(self, x):
    n = x.size(0)
    return (torch.zeros(n, 4) * float('nan'), torch.zeros(n, 4))

def decode(self, u):
    return torch.zeros(u.size(0), 1, 8, 8) + u.sum() * 0.0
)");
  saveScript(vae, b + "/vae.pt");
  std::ostringstream quiet;
  runVerify({b, true}, quiet);  // recorded on purpose: the dry run must still refuse it
  Bundle bd = loadBundle(b, torch::kCPU);
  CHECK_FALSE(bd.vae.has_value());
  CHECK(bd.vaeProblem.find("non-finite") != std::string::npos);
  CHECK(bd.vaeProblem.find(b + "/vae.pt") != std::string::npos);
  ExplainOptions o;
  o.bundle = b;
  o.out = d / "explain";
  o.cf.method = ClueMethod::VaeClue;
  o.mostUncertain = 2;
  CHECK_THROWS_WITH_AS(runExplain(o, {}, nullptr, quiet), doctest::Contains("vae.pt"), BundleError);
  CHECK_FALSE(fs::exists(o.out));
  auto ex = Explorer::open(b, "cpu", {}, nullptr);
  ClueOptions co;
  co.method = ClueMethod::VaeClue;
  CHECK_THROWS_WITH_AS(ex->counterfactual(co, 0, {}, {}, {}, nullptr), doctest::Contains("non-finite"), BundleError);
}
