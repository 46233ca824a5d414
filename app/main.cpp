// latentlab: the command-line entry point. Subcommands: gui (default), train, import, eval, info,
// bench. Every error is one line on stderr naming the file or value, and a non-zero exit code.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "gui.h"
#include "latentlab/errors.h"
#include "latentlab/fsutil.h"
#include "latentlab/explorer.h"
#include "latentlab/pipeline.h"
#include "latentlab/projection.h"
#include "latentlab/runtime.h"

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void onSigint(int) {
  // The second Ctrl-C kills at once; the first asks the job to stop at the next batch.
  if (g_cancel.exchange(true)) std::_Exit(130);
}

std::string exeDir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.parent_path().string();
}

// A one-line progress bar on stderr: stage, epoch, batch, loss, samples/s, ETA.
void printProgress(const latentlab::Progress& p) {
  static auto last = std::chrono::steady_clock::now();
  auto now = std::chrono::steady_clock::now();
  const bool end = p.batch == p.batches;
  if (!end && now - last < std::chrono::milliseconds(200)) return;
  last = now;
  const int width = 24;
  const double frac = p.batches ? double(p.batch) / double(p.batches) : 0.0;
  std::string bar(size_t(frac * width), '#');
  bar.resize(width, '.');
  const bool tty = isatty(2);
  std::fprintf(stderr, "%s%-14s epoch %d/%d [%s] %lld/%lld loss %.4f  %.0f samples/s  ETA %.0fs%s",
               tty ? "\r" : "", p.stage.c_str(), p.epoch, p.epochs, bar.c_str(), (long long)p.batch,
               (long long)p.batches, p.loss, p.samplesPerSec, p.etaSeconds, tty ? "\033[K" : "\n");
  if (tty && end) std::fputc('\n', stderr);
  std::fflush(stderr);
}

int writeJson(const std::string& path, const nlohmann::json& j) {
  latentlab::writeFileAtomic(path, j.dump(2) + "\n");
  return 0;
}

// The benchmarks that need the window: measured by the app's own frame timer under the current
// DISPLAY (Xvfb/llvmpipe on the dev machine).
const std::vector<std::string> kGuiBench = {"frame_ms_10k", "frame_ms_70k", "startup_ms"};

nlohmann::json statsOf(std::vector<double> v, const char* unit) {
  if (v.empty()) return {{"median", 0.0}, {"p95", 0.0}, {"max", 0.0}, {"n", 0}, {"unit", unit}};
  std::sort(v.begin(), v.end());
  auto q = [&](double f) { return v[std::min(v.size() - 1, size_t(f * double(v.size() - 1) + 0.5))]; };
  return {{"median", q(0.5)}, {"p95", q(0.95)}, {"max", v.back()}, {"n", v.size()}, {"unit", unit}};
}

void runGuiBench(const std::vector<std::string>& keys, const std::string& bundle, const std::string& device,
                 nlohmann::json& results, std::chrono::steady_clock::time_point start) {
  auto want = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  for (int all = 0; all < 2; ++all) {
    const std::string key = all ? "frame_ms_70k" : "frame_ms_10k";
    if (!want(key) && !(all == 0 && want("startup_ms"))) continue;
    nlohmann::json r;
    latentlab::gui::GuiOptions g;
    g.bundle = bundle;
    g.device = device;
    g.benchFrames = 300;
    g.benchAll = all == 1;
    g.benchResult = &r;
    g.processStart = all == 0 ? start : std::chrono::steady_clock::now();
    if (latentlab::gui::runGui(g) != 0 || !r.contains("frames"))
      throw latentlab::Error("[bench] the GUI benchmarks need a display (run under xvfb-run)");
    if (want(key)) {
      results[key] = statsOf(r["frames"].get<std::vector<double>>(), "ms");
      auto withJob = statsOf(r["frames_with_job"].get<std::vector<double>>(), "ms");
      results[key]["with_job_p95"] = withJob["p95"];
      results[key]["with_job_max"] = withJob["max"];
      results[key]["lod_median"] = statsOf(r["lod_ms"].get<std::vector<double>>(), "ms")["median"];
      results[key]["note"] = std::to_string(r["points"].get<long long>()) + " points, " +
                             std::to_string(g.benchFrames) + " frames of pan+zoom (x1..x12, thumbnails on), " +
                             r["window"].dump() + " window, " + r["renderer"].get<std::string>() +
                             "; whole frame incl. glFinish";
    }
    if (all == 0 && want("startup_ms")) {
      results["startup_ms"] = statsOf({r["startup_ms"].get<double>()}, "ms");
      results["startup_ms"]["note"] = "process start to the first frame with the points drawn (bundle cache warm)";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // One malloc arena for all threads. glibc gives each new thread its own arena, whose heap it
  // shrinks after every large free; LibTorch running on a worker thread (the GUI's jobs) then
  // page-faults its tensors back in on every step: a small GUI training run took 64 s against 15 s
  // with one arena (and 12 s for the same run on the main thread from the CLI).
  mallopt(M_ARENA_MAX, 1);
#endif
  const auto processStart = std::chrono::steady_clock::now();
  CLI::App app{"LatentLab: explore a classifier's latent space"};
  app.require_subcommand(0, 1);

  latentlab::gui::GuiOptions go;
  std::string guiSize;
  auto* gui = app.add_subcommand("gui", "Open the explorer (default) on a bundle");
  gui->add_option("bundle", go.bundle, "Bundle directory (default: the shipped fashion-mnist)");
  gui->add_option("--script", go.script, "Run the commands in FILE (one a line); stays open unless it ends with quit");
  gui->add_option("--screenshot", go.screenshot, "Render the loaded model, save the window as PNG, and exit");
  gui->add_option("--device", go.device, "cpu or cuda")->capture_default_str();
  gui->add_option("--size", guiSize, "Window size WIDTHxHEIGHT (default 1600x960)");

  latentlab::TrainOptions to;
  auto* train = app.add_subcommand("train", "Train a classifier, its Laplace last layer, decoder, VAE and ensemble");
  train->add_option("--dataset", to.dataset, "fashion-mnist, mnist, or a folder of PNGs in class subfolders")
      ->capture_default_str();
  train->add_option("--out", to.out, "Bundle directory to write")->required();
  train->add_option("--epochs", to.epochs, "Classifier epochs")->capture_default_str();
  train->add_option("--latent-dim", to.latentDim, "Latent dimension d")->capture_default_str();
  train->add_option("--seed", to.seed, "Random seed")->capture_default_str();
  train->add_option("--device", to.device, "cpu or cuda")->capture_default_str();
  train->add_option("--ensemble", to.ensemble, "Deep-ensemble members (0 skips)")->capture_default_str();
  train->add_option("--ensemble-epochs", to.ensembleEpochs, "Epochs per ensemble member (default: --epochs)");
  train->add_option("--decoder-epochs", to.decoderEpochs, "ReGene decoder epochs")->capture_default_str();
  train->add_option("--decoder-latent-weight", to.decoderLatentWeight,
                    "Weight of |encode(decode(z)) - z|^2 in decoder training (0 = plain ReGene)")
      ->capture_default_str();
  train->add_option("--vae-epochs", to.vaeEpochs, "VAE epochs (0 skips the VAE)")->capture_default_str();
  train->add_option("--batch-size", to.batchSize, "Minibatch size")->capture_default_str();
  train->add_option("--samples", to.samples, "Laplace weight samples S")->capture_default_str();
  train->add_option("--limit-train", to.limitTrain, "Use only N training images (0 = all)");
  train->add_option("--threads", to.threads, "LibTorch threads (0 = default)");
  train->add_flag("--force", to.force, "Replace an existing --out bundle");

  latentlab::ImportOptions io;
  auto* imp = app.add_subcommand("import", "Turn a TorchScript model (encode/classify[/decode]) into a bundle");
  imp->add_option("model", io.model, "TorchScript file from torch.jit.script(model).save(...)")->required();
  imp->add_option("--dataset", io.dataset, "fashion-mnist, mnist, or a folder of PNGs")->capture_default_str();
  imp->add_option("--out", io.out, "Bundle directory to write")->required();
  imp->add_option("--device", io.device, "cpu or cuda")->capture_default_str();
  imp->add_option("--seed", io.seed, "Random seed")->capture_default_str();
  imp->add_option("--decoder-epochs", io.decoderEpochs, "Decoder epochs when the model has no decode()")
      ->capture_default_str();
  imp->add_option("--decoder-latent-weight", io.decoderLatentWeight, "Weight of the latent round-trip term")
      ->capture_default_str();
  imp->add_option("--vae-epochs", io.vaeEpochs, "VAE epochs (0 skips)")->capture_default_str();
  imp->add_option("--limit-train", io.limitTrain, "Use only N training images (0 = all)");
  imp->add_flag("--force", io.force, "Replace an existing --out bundle");

  latentlab::EvalOptions eo;
  std::string evalJson;
  auto* eval = app.add_subcommand("eval", "Accuracy, NLL, ECE, Brier and OOD AUROC per head; decoder quality");
  eval->add_option("bundle", eo.bundle, "Bundle directory")->required();
  eval->add_option("--ood", eo.ood, "mnist, fashion-mnist, a PNG folder, or none (default: the bundle's)");
  eval->add_option("--json", evalJson, "Also write the figures as JSON");
  eval->add_option("--device", eo.device, "cpu or cuda")->capture_default_str();
  eval->add_option("--limit-test", eo.limitTest, "Evaluate only the first N test images");

  std::string infoBundle;
  auto* info = app.add_subcommand("info", "Print a bundle's manifest summary");
  info->add_option("bundle", infoBundle, "Bundle directory")->required();

  std::string projBundle, projMethod = "tsne", projPoints = "test", projOut, projJson, projDevice = "cpu";
  uint64_t projSeed = 0;
  int projThreads = 0;
  bool projNoCache = false;
  int64_t projLimit = 0;
  std::string projRepulsion = "auto", projEngine = "auto";
  auto* project = app.add_subcommand("project", "Compute a 2D layout (PCA, t-SNE or UMAP) of a bundle's latents, "
                                                "with its quality; cached in the bundle");
  project->add_option("bundle", projBundle, "Bundle directory")->required();
  project->add_option("--method", projMethod, "pca, tsne or umap")->capture_default_str();
  project->add_option("--points", projPoints, "test (the test split) or all (test, then train)")->capture_default_str();
  project->add_option("--out", projOut, "Write the layout as CSV: index,x,y, one row per point in dataset order");
  project->add_option("--json", projJson, "Write the timings and quality as JSON");
  project->add_option("--seed", projSeed, "Random seed")->capture_default_str();
  project->add_option("--device", projDevice, "cpu or cuda (the encoder and the exact kNN)")->capture_default_str();
  project->add_option("--threads", projThreads, "Threads for the layout (0 = all cores)");
  project->add_flag("--no-cache", projNoCache, "Neither read nor write the bundle's layout cache");
  project->add_option("--limit", projLimit, "Only the first N points (implies --no-cache)");
  project->add_option("--repulsion", projRepulsion, "t-SNE repulsion of the CPU engine: bh (Barnes-Hut), fft (FIt-SNE) or auto")
      ->capture_default_str();
  project->add_option("--engine", projEngine, "cpu, tensor (every iteration in LibTorch on --device) or auto (tensor on cuda)")
      ->capture_default_str();

  latentlab::BenchOptions bo;
  std::string benchJson, benchOnly;
  auto* bench = app.add_subcommand("bench", "Run the benchmarks; one table, optional flat JSON");
  bench->add_option("--only", benchOnly, "Comma-separated benchmark names");
  bench->add_option("--json", benchJson, "Write results as JSON");
  bench->add_option("--bundle", bo.bundle, "Bundle for predictive_ms, drag_update_p95_ms and the GUI benchmarks "
                                          "(default: shipped fashion-mnist)");
  bench->add_option("--device", bo.device, "cpu or cuda")->capture_default_str();
  bench->add_option("--repeats", bo.repeats, "Repetitions (0 = each benchmark's default)");

  CLI11_PARSE(app, argc, argv);
  // The window keeps one core for itself (UI thread and the software GL rasteriser); LibTorch
  // gets the others, so no frame waits behind a background job.
  const bool window = !(train->parsed() || imp->parsed() || eval->parsed() || info->parsed() || bench->parsed() ||
                        project->parsed()) ||
                      (bench->parsed() && (benchOnly.empty() || benchOnly.find("frame_ms") != std::string::npos));
  const long cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  latentlab::configureRuntime(train->parsed() ? to.threads : window ? int(std::max(1L, cores - 1)) : 0);
  std::signal(SIGINT, onSigint);
  auto progress = [](const latentlab::Progress& p) { printProgress(p); };

  try {
    if (train->parsed()) {
      latentlab::runTrain(to, progress, &g_cancel, std::cout);
    } else if (imp->parsed()) {
      latentlab::runImport(io, progress, &g_cancel, std::cout);
    } else if (eval->parsed()) {
      auto report = latentlab::runEval(eo, std::cerr);
      std::cout << latentlab::formatEvalTable(report);
      if (!evalJson.empty()) writeJson(evalJson, report);
    } else if (info->parsed()) {
      std::cout << latentlab::bundleInfo(infoBundle);
    } else if (project->parsed()) {
      if (projPoints != "test" && projPoints != "all")
        throw latentlab::InputError("[project] --points must be test or all, got '" + projPoints + "'");
      latentlab::checkLayoutOptions(projMethod, projEngine, projRepulsion);  // before the bundle is opened
      if (!projOut.empty()) latentlab::checkOutputPath(projOut, true);
      auto ex = latentlab::Explorer::open(projBundle, projDevice, progress, &g_cancel);
      auto pts = projPoints == "all" ? ex->addTrainPoints(progress, &g_cancel) : ex->points();
      std::vector<int32_t> labels(pts->labels.begin(), pts->labels.end());
      latentlab::LayoutRequest req;
      req.method = projMethod;
      req.X = pts->latents.data();
      req.n = projLimit > 0 ? std::min<int64_t>(projLimit, pts->n) : pts->n;
      req.d = pts->d;
      req.labels = labels.data();
      req.device = projDevice;
      req.seed = projSeed;
      req.threads = projThreads;
      req.cacheDir = projNoCache || projLimit > 0 ? "" : projBundle + "/cache";
      req.cacheTag = projPoints;
      req.tsneRepulsion = projRepulsion;
      req.engine = projEngine;
      const auto t0 = std::chrono::steady_clock::now();
      auto res = latentlab::computeLayout(req, [](const std::vector<float>&, int it, int its) {
        latentlab::Progress p;
        p.stage = "layout";
        p.epoch = 1;
        p.epochs = 1;
        p.batch = it;
        p.batches = its;
        printProgress(p);
      }, &g_cancel);
      const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "\n");
      const auto& q = res.quality;
      std::printf("%s of %lld points (d=%lld)%s: kNN %.2f s (%s), layout %.2f s%s%s, quality %.2f s\n", projMethod.c_str(),
                  (long long)req.n, (long long)req.d, res.fromCache ? " from the bundle cache" : "", res.knnSeconds,
                  res.knnExact ? "exact" : "HNSW", res.layoutSeconds, res.engine.empty() ? "" : " on the engine ",
                  res.engine.c_str(), res.qualitySeconds);
      std::printf("quality on %lld points: trustworthiness@%d %.4f, kNN recall@%d %.4f, 2D kNN accuracy %.4f\n",
                  (long long)q.sample, q.k, q.trustworthiness, q.k, q.knnRecall, q.knnAccuracy);
      if (!res.cacheError.empty()) std::fprintf(stderr, "latentlab: warning: layout not cached: %s\n", res.cacheError.c_str());
      if (!projOut.empty()) {
        latentlab::writeLayoutCsv(projOut, res.xy);
        std::printf("wrote %s\n", projOut.c_str());
      }
      if (!projJson.empty())
        writeJson(projJson, {{"method", projMethod}, {"points", req.n}, {"d", req.d}, {"seconds", total},
                             {"knn_seconds", res.knnSeconds}, {"knn_exact", res.knnExact},
                             {"layout_seconds", res.layoutSeconds}, {"from_cache", res.fromCache},
                             {"engine", res.engine}, {"device", projDevice},
                             {"quality", {{"trustworthiness", q.trustworthiness}, {"knn_recall", q.knnRecall},
                                          {"knn_accuracy", q.knnAccuracy}, {"sample", q.sample}, {"k", q.k}}}});
    } else if (bench->parsed()) {
      std::stringstream ss(benchOnly);
      std::vector<std::string> guiKeys;
      for (std::string item; std::getline(ss, item, ',');) {
        if (item.empty()) continue;
        if (std::find(kGuiBench.begin(), kGuiBench.end(), item) != kGuiBench.end()) guiKeys.push_back(item);
        else bo.only.push_back(item);
      }
      if (benchOnly.empty()) {
        if (latentlab::gui::builtWithWindow()) guiKeys = kGuiBench;  // a CLI-only build skips them
      } else if (bo.only.empty()) {
        bo.none = true;
      }
      if (bo.bundle.empty()) bo.bundle = latentlab::defaultBundlePath("fashion-mnist", exeDir());
      nlohmann::json guiResults = nlohmann::json::object();
      // The GUI benchmarks first: startup_ms wants a process that has not warmed LibTorch yet.
      if (!guiKeys.empty()) runGuiBench(guiKeys, bo.bundle, bo.device, guiResults, processStart);
      auto report = latentlab::runBench(bo, std::cerr);
      for (auto& [k, v] : guiResults.items()) {
        report["results"][k] = v;
        report["flat"][k] = v["median"];
      }
      std::cout << latentlab::formatBenchTable(report);
      if (!benchJson.empty()) writeJson(benchJson, report);
    } else {
      if (go.bundle.empty()) go.bundle = latentlab::defaultBundlePath("fashion-mnist", exeDir());
      if (go.bundle.empty()) throw latentlab::BundleError("[gui] shipped bundle assets/models/fashion-mnist not found");
      if (!guiSize.empty()) {
        int w = 0, h = 0;
        char extra = 0;
        if (std::sscanf(guiSize.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 16384 || h > 16384)
          throw latentlab::InputError("[gui] --size '" + guiSize + "' is not WIDTHxHEIGHT (at least 320x240)");
        go.width = w;
        go.height = h;
      }
      go.processStart = processStart;
      return latentlab::gui::runGui(go);
    }
  } catch (const latentlab::CancelledError& e) {
    std::cerr << "latentlab: cancelled; nothing was written\n";
    return 130;
  } catch (const latentlab::Error& e) {
    std::cerr << "latentlab: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // LibTorch errors that core did not type: keep the first line only.
    std::cerr << "latentlab: error: " << latentlab::torchErrorSummary(e) << "\n";
    return 1;
  }
  return 0;
}
