#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include <filesystem>

#include "latentlab/model/manifest.h"
#include "latentlab/model/metrics.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "test_helpers.h"

using namespace latentlab;

TEST_CASE("AUROC: separation, reversal, ties and a hand-computed case") {
  CHECK(auroc({0.1, 0.2, 0.3}, {0.5, 0.9}) == doctest::Approx(1.0));
  CHECK(auroc({0.5, 0.9}, {0.1, 0.2, 0.3}) == doctest::Approx(0.0));
  CHECK(auroc({1, 1, 1}, {1, 1}) == doctest::Approx(0.5));
  // out = {0.4, 0.8}, in = {0.1, 0.4, 0.6}: pairs won 2 + 3 = 5, one tie counts 1/2 -> 4.5 / 6.
  CHECK(auroc({0.1, 0.4, 0.6}, {0.4, 0.8}) == doctest::Approx(4.5 / 6.0));
  CHECK_THROWS_AS(auroc({}, {1.0}), InputError);
}

TEST_CASE("calibration metrics: exact values on small cases") {
  // Two one-hot correct predictions: perfect accuracy, zero NLL (up to clamp), ECE 0, Brier 0.
  auto m = classificationMetrics({1, 0, 0, 1}, {0, 1}, 2, 15);
  CHECK(m.accuracy == doctest::Approx(1.0));
  CHECK(m.ece == doctest::Approx(0.0));
  CHECK(m.brier == doctest::Approx(0.0));
  // Four predictions at confidence 0.75, three correct: calibrated, ECE 0.
  auto c = classificationMetrics({0.75f, 0.25f, 0.75f, 0.25f, 0.75f, 0.25f, 0.75f, 0.25f}, {0, 0, 0, 1}, 2, 15);
  CHECK(c.accuracy == doctest::Approx(0.75));
  CHECK(c.ece == doctest::Approx(0.0).epsilon(1e-6));
  // The same confidences with one correct: |0.25 - 0.75| = 0.5.
  auto w = classificationMetrics({0.75f, 0.25f, 0.75f, 0.25f, 0.75f, 0.25f, 0.75f, 0.25f}, {0, 1, 1, 1}, 2, 15);
  CHECK(w.ece == doctest::Approx(0.5));
  CHECK(w.nll == doctest::Approx((std::log(1 / 0.75) + 3 * std::log(1 / 0.25)) / 4));
  CHECK(w.brier == doctest::Approx((2 * 0.0625 + 3 * 2 * 0.5625) / 4));
  CHECK_THROWS_AS(classificationMetrics({0.5f, 0.5f}, {0, 1}, 2, 15), InputError);
  CHECK_THROWS_AS(classificationMetrics({0.5f, 0.5f}, {3}, 2, 15), InputError);
  // Non-finite probabilities: a clear error naming the example (a NaN confidence used to become a
  // negative bin index and crash).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(classificationMetrics({0.5f, 0.5f, nan, 0.5f}, {0, 1}, 2, 15), doctest::Contains("example 1"),
                       InputError);
  CHECK_THROWS_AS(classificationMetrics({0.5f, 0.5f, std::numeric_limits<float>::infinity(), 0.0f}, {0, 1}, 2, 15),
                  InputError);
  CHECK_THROWS_WITH_AS(auroc({0.1, std::nan("")}, {0.5}), doctest::Contains("score 1 is not finite"), InputError);
}

namespace {
std::string goodManifest() {
  Manifest m;
  m.dataset = "fashion-mnist";
  m.classNames = {"a", "b", "c"};
  m.latentDim = 8;
  m.normMean = 0.2;
  m.normStd = 0.3;
  m.components = {{"classifier", "classifier.pt"}, {"ensemble_0", "e0.pt"}, {"ensemble_1", "e1.pt"}};
  m.training = {{"epochs", 3}};
  return serializeManifest(m);
}
}  // namespace

TEST_CASE("manifest round trip and every malformed variant") {
  Manifest m = parseManifest(goodManifest(), "m.json");
  CHECK(m.classNames.size() == 3);
  CHECK(m.latentDim == 8);
  CHECK(m.ensembleSize() == 2);
  CHECK(m.training["epochs"] == 3);
  CHECK(serializeManifest(m) == goodManifest());

  auto j = nlohmann::json::parse(goodManifest());
  auto expect = [](const nlohmann::json& v, const char* needle) {
    CHECK_THROWS_WITH_AS(parseManifest(v.dump(), "bundle/manifest.json"), doctest::Contains(needle), BundleError);
    CHECK_THROWS_WITH_AS(parseManifest(v.dump(), "bundle/manifest.json"), doctest::Contains("bundle/manifest.json"),
                         BundleError);
  };
  for (const char* key :
       {"format_version", "dataset", "class_names", "input_shape", "latent_dim", "components", "normalisation"}) {
    auto v = j;
    v.erase(key);
    expect(v, key);
  }
  auto newer = j;
  newer["format_version"] = kBundleFormatVersion + 1;
  expect(newer, "newer");
  auto typed = j;
  typed["latent_dim"] = "eight";
  expect(typed, "'latent_dim' must be a whole number");
  // Numbers that used to be truncated or cast out of range: fractions, huge values.
  using nlohmann::json;
  for (const json& bad : {json(64.9), json(1e12), json(-3), json(0)}) {
    auto v = j;
    v["latent_dim"] = bad;
    expect(v, "'latent_dim' must be a whole number in 1..65536");
  }
  for (const json& bad : {json(1e30), json(0.5), json("1")}) {
    auto v = j;
    v["format_version"] = bad;
    expect(v, "format_version");
  }
  auto longName = j;
  longName["class_names"][0] = std::string(5000, 'x');
  expect(longName, "a class name must have 1 to 200 characters");
  auto gap = j;
  gap["components"].erase("ensemble_0");
  expect(gap, "ensemble_0 .. ensemble_0 without gaps, got 'ensemble_1'");
  auto metrics = j;
  metrics["metrics"] = "great";
  expect(metrics, "'metrics' must be an object");
  auto escape = j;
  escape["components"]["decoder"] = "../../etc/passwd";
  expect(escape, "relative file");
  auto noCls = j;
  noCls["components"].erase("classifier");
  expect(noCls, "classifier");
  auto shape = j;
  shape["input_shape"] = {1, 28};
  expect(shape, "input_shape");
  CHECK_THROWS_WITH_AS(parseManifest("{\"format_version\": 1,", "x.json"), doctest::Contains("not valid JSON"),
                       BundleError);
  CHECK_THROWS_AS(parseManifest("[1,2]", "x.json"), BundleError);
  // Found by fuzz_manifest: a number beyond double's range made nlohmann throw out_of_range.
  CHECK_THROWS_WITH_AS(parseManifest("{\"format_version\":33333333333333333333E3333333340210}", "x.json"),
                       doctest::Contains("not valid JSON"), BundleError);
}

TEST_CASE("atomic writes and staged directories never lose the user's files") {
  testutil::TempDir t;
  writeFileAtomic(t / "f.txt", "one");
  writeFileAtomic(t / "f.txt", "two");
  CHECK(readTextFile(t / "f.txt", caps::kSummary) == "two");
  CHECK(std::distance(std::filesystem::directory_iterator(t.path), {}) == 1);  // no temp files left
  CHECK_THROWS_AS(writeFileAtomic(t / "no/such/dir/f.txt", "x"), InputError);
  // A directory given where a file is read is said so (it used to read as an empty file).
  CHECK_THROWS_WITH_AS(readTextFile(t.path.string(), caps::kSummary), doctest::Contains("is a directory"), InputError);

  {  // an uncommitted stage leaves nothing behind
    StagedDir s(t / "b1", false);
    writeFileAtomic(s.path() + "/x", "1");
  }
  CHECK_FALSE(std::filesystem::exists(t / "b1"));
  CHECK(std::distance(std::filesystem::directory_iterator(t.path), {}) == 1);

  {
    StagedDir s(t / "b1", false);
    writeFileAtomic(s.path() + "/classifier.pt", "1");
    writeFileAtomic(s.path() + "/manifest.json", goodManifest());
    s.commit();
  }
  CHECK(readTextFile(t / "b1/classifier.pt", caps::kSummary) == "1");
  CHECK_THROWS_WITH_AS(StagedDir(t / "b1", false), doctest::Contains("--force"), BundleError);
  CHECK(readTextFile(t / "b1/classifier.pt", caps::kSummary) == "1");
  {
    StagedDir s(t / "b1/", true);  // a trailing slash names the same bundle
    writeFileAtomic(s.path() + "/classifier.pt", "2");
    s.commit();
  }
  CHECK(readTextFile(t / "b1/classifier.pt", caps::kSummary) == "2");
  CHECK(std::distance(std::filesystem::directory_iterator(t.path), {}) == 2);  // f.txt, b1
}

TEST_CASE("--force replaces a bundle only, saves never replace a folder or a special file, and keep a file's mode") {
  namespace fs = std::filesystem;
  testutil::TempDir t;
  // A folder of the user's (no manifest.json) is never replaced, even with --force.
  fs::create_directories(t / "notes");
  writeFileAtomic(t / "notes/todo.txt", "keep me");
  CHECK_THROWS_WITH_AS(StagedDir(t / "notes", true), doctest::Contains("not a LatentLab bundle"), BundleError);
  CHECK_THROWS_WITH_AS(checkOutputPath(t / "notes/todo.txt", true), doctest::Contains("not a LatentLab bundle"),
                       BundleError);
  // A web app's folder has a manifest.json too: that does not make it a bundle.
  fs::create_directories(t / "webapp");
  writeFileAtomic(t / "webapp/manifest.json", R"({"name": "my pwa", "start_url": "/"})");
  CHECK_THROWS_WITH_AS(StagedDir(t / "webapp", true), doctest::Contains("not a LatentLab bundle"), BundleError);
  CHECK_NOTHROW(checkOutputFile(t / "webapp/export.csv", false));
  CHECK(readTextFile(t / "notes/todo.txt", caps::kSummary) == "keep me");
  // A staging folder left by a process that no longer runs is removed by the next run.
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string stale = t / ".b2.staging-999999999-1-0", elsewhere = t / ".b2.staging-999999998-1-0";
  fs::create_directories(stale);
  fs::create_directories(elsewhere);
  writeFileAtomic(stale + "/.owner", std::string(host) + " 999999999\n");
  writeFileAtomic(elsewhere + "/.owner", "another-machine 999999998\n");  // on a shared folder: not ours to remove
  { StagedDir s(t / "b2", false); }
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(elsewhere));
  // writeFileAtomic: a folder or a pipe is refused, not replaced; a link is replaced (in LatentLab's
  // own folders); writeUserFile writes through a link the user made; the mode stays.
  CHECK_THROWS_WITH_AS(writeFileAtomic(t / "notes", "x"), doctest::Contains("is a directory"), InputError);
  CHECK(fs::is_directory(t / "notes"));
  REQUIRE(::mkfifo((t / "pipe").c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(writeFileAtomic(t / "pipe", "x"), doctest::Contains("is a pipe"), InputError);
  CHECK(fs::is_fifo(t / "pipe"));
  writeFileAtomic(t / "target.txt", "one");
  fs::permissions(t / "target.txt", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_symlink(t / "target.txt", t / "link.txt");
  writeUserFile(t / "link.txt", "two");
  CHECK(fs::is_symlink(t / "link.txt"));
  CHECK(readTextFile(t / "target.txt", caps::kSummary) == "two");
  fs::create_symlink(t / "target.txt", t / "owned-link.txt");
  writeFileAtomic(t / "owned-link.txt", "replaced");
  CHECK_FALSE(fs::is_symlink(t / "owned-link.txt"));
  CHECK(readTextFile(t / "target.txt", caps::kSummary) == "two");
  CHECK(readTextFile(t / "owned-link.txt", caps::kSummary) == "replaced");
  fs::create_symlink("not-yet.txt", t / "dangling.txt");  // a link to a file that does not exist yet
  writeUserFile(t / "dangling.txt", "three");
  CHECK(fs::is_symlink(t / "dangling.txt"));
  CHECK(readTextFile(t / "not-yet.txt", caps::kSummary) == "three");
  CHECK((fs::status(t / "target.txt").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  // checkOutputFile: the rule for files a user names.
  CHECK_THROWS_WITH_AS(checkOutputFile(t / "target.txt", false), doctest::Contains("pass --force"), InputError);
  CHECK_NOTHROW(checkOutputFile(t / "target.txt", true));
  CHECK_NOTHROW(checkOutputFile(t / "new.csv", false));
  CHECK_THROWS_WITH_AS(checkOutputFile(t / "missing/x.csv", false), doctest::Contains("does not exist"), InputError);
  CHECK_THROWS_WITH_AS(checkOutputFile(t / "notes", true), doctest::Contains("is a directory"), InputError);
  fs::create_directories(t / "bundle/cache");
  writeFileAtomic(t / "bundle/manifest.json", goodManifest());
  CHECK_THROWS_WITH_AS(checkOutputFile(t / "bundle/manifest.json", true), doctest::Contains("inside the bundle"),
                       InputError);
  CHECK_THROWS_WITH_AS(checkOutputFile(t / "bundle/cache/layout.csv", true), doctest::Contains("inside the bundle"),
                       InputError);
}
