// `latentlab bench`: core's benchmarks (the GUI's frame benchmarks run in the app), each timed
// here and reported as median and p95 with the machine they ran on.
#include "latentlab/bench/bench.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/model/train_torch.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/stats.h"
#include "pipeline/pipeline_common.h"

using nlohmann::json;

namespace latentlab {

namespace detail {
void benchCounterfactuals(const BenchOptions& opt, const std::function<bool(const std::string&)>& want, json& results);
void benchAttribution(const BenchOptions& opt, json& results);
void benchAdaptiveIg(const BenchOptions& opt, json& results);
void benchLabelFree(const BenchOptions& opt, const std::function<bool(const std::string&)>& want, json& results);
}  // namespace detail

using detail::Clock;
using detail::secondsSince;

namespace {

std::string machineName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores";
}

// The process's peak resident memory so far, from /proc/self/status.
double peakRssMb() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0.0;
}

// predictive_ms: the BLL predictive and its three uncertainties for one z (the bundle's posterior,
// or a synthetic one).
void benchPredictive(const BenchOptions& opt, const torch::Device& dev, json& results) {
  LaplaceFit fit;
  std::string source;
  if (!opt.bundle.empty()) {
    Bundle b = loadBundle(opt.bundle, torch::kCPU);
    if (!b.laplace) throw BundleError("[bench] bundle has no Laplace posterior (" + opt.bundle + ")");
    fit = *b.laplace;
    source = opt.bundle;
  } else {
    auto gen = at::detail::createCPUGenerator(3);
    torch::Tensor z = torch::relu(torch::randn({2000, 64}, gen, torch::kFloat32));
    torch::Tensor W = torch::randn({10, 64}, gen, torch::kFloat32) * 0.3, b = torch::zeros({10});
    torch::Tensor y = torch::matmul(z, W.t()).argmax(1);
    fit = fitLaplace(z, y, W, b, LaplaceOptions{64, 0, {}}, torch::kCPU);
    source = "synthetic posterior, d=64, K=10";
  }
  BllHead head = BllHead::laplace(fit, HeadMode::Samples, dev);
  torch::Tensor z = torch::relu(torch::randn({1, fit.latentDim()})).to(dev);
  std::vector<double> ms;
  const int reps = opt.repeats > 0 ? opt.repeats : 2000;
  torch::NoGradGuard ng;
  for (int i = 0; i < reps + 50; ++i) {
    auto t = Clock::now();
    Predictive p = head.predict(z);
    float check = p.epistemic.item<float>();  // forces the result (and a device sync)
    (void)check;
    if (i >= 50) ms.push_back(secondsSince(t) * 1e3);
  }
  results["predictive_ms"] = summaryStats(ms, "ms");
  results["predictive_ms"]["note"] = "one z, S=" + std::to_string(fit.samples.size(0)) + ", " + source;
}

// drag_update_p95_ms: one drag update as the GUI does it: decode + BLL predictive + uncertainties
// for one z, along a path through latent space (z0 + t v), timed by Explorer::evaluate itself.
void benchDragUpdate(const BenchOptions& opt, json& results) {
  if (opt.bundle.empty()) throw InputError("[bench] drag_update_p95_ms needs a bundle (--bundle)");
  std::unique_ptr<Explorer> ex = Explorer::open(opt.bundle, opt.device, {}, nullptr);
  auto pts = ex->points();
  const int reps = opt.repeats > 0 ? opt.repeats : 1000;
  std::vector<double> ms;
  std::vector<float> z(size_t(pts->d));
  for (int i = 0; i < reps + 20; ++i) {
    const int64_t a = (i * 7919) % pts->n;
    for (int64_t j = 0; j < pts->d; ++j)
      z[size_t(j)] = std::max(0.0f, pts->latents[size_t(a * pts->d + j)] + 0.05f * float((i + j) % 11 - 5));
    LatentEval r = ex->evaluate(z, 0);
    if (i >= 20) ms.push_back(r.ms);
  }
  results["drag_update_p95_ms"] = summaryStats(ms, "ms");
  results["drag_update_p95_ms"]["note"] =
      "decode + Laplace predictive (S samples) + deterministic head for one z, " + opt.bundle + " on " + opt.device;
  // The same update with live saliency: dF/dx of total U through the Laplace bank at g(z).
  SaliencyRequest sal;
  if (!pts->classNames.empty() && !ex->hasLaplace()) sal.options.head = HeadKind::Deterministic;
  std::vector<double> sms;
  for (int i = 0; i < reps / 4 + 10; ++i) {
    const int64_t a = (i * 7919) % pts->n;
    for (int64_t j = 0; j < pts->d; ++j)
      z[size_t(j)] = std::max(0.0f, pts->latents[size_t(a * pts->d + j)] + 0.05f * float((i + j) % 11 - 5));
    LatentEval r = ex->evaluate(z, 0, &sal);
    if (i >= 10) sms.push_back(r.ms);
  }
  results["saliency_update_p95_ms"] = summaryStats(sms, "ms");
  results["saliency_update_p95_ms"]["note"] =
      "the drag update with live saliency (dF/dx of total U at the decoded image, Laplace bank), " + opt.bundle +
      " on " + opt.device;
  // A bit flip as the Concepts tab does it: decode the flipped code, then the inspector's
  // evaluation of psi = D(b') with its concepts (the code's n single flips, their predictive and images).
  if (const int nb = ex->dvaeBits(); nb > 0) {
    std::vector<double> fms;
    for (int i = 0; i < reps / 4 + 10; ++i) {
      const int64_t a = (i * 7919) % pts->n;
      std::vector<float> za(pts->latents.begin() + a * pts->d, pts->latents.begin() + (a + 1) * pts->d);
      std::vector<uint8_t> code = ex->dvaeCode(za);
      const auto t0 = Clock::now();
      code[size_t(i % nb)] ^= 1;
      ConceptRequest q{code};
      LatentEval r = ex->evaluate(ex->dvaeDecode(code), 0, nullptr, &q);
      if (i >= 10) fms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    results["flip_update_p95_ms"] = summaryStats(fms, "ms");
    results["flip_update_p95_ms"]["note"] = "a DVAE bit flip: D(b') and the inspector's evaluation of it with the " +
                                            std::to_string(nb) + " single flips of b', " + opt.bundle + " on " +
                                            opt.device;
  } else {
    results["flip_update_p95_ms"] = {{"skipped", "the bundle has no DVAE (latentlab train-dvae)"}};
  }
}

// train_epoch_s: one Fashion-MNIST epoch of the default CNN.
void benchTrainEpoch(const BenchOptions& opt, const torch::Device& dev, json& results) {
  DatasetSplit data = loadNamedDataset("fashion-mnist", 0);
  const int reps = opt.repeats > 0 ? opt.repeats : 1;
  std::vector<double> s;
  for (int r = 0; r < reps; ++r) {
    torch::jit::Module m = makeClassifier({1, 28, 28}, 64, 10, 0.286, 0.353, uint64_t(r));
    FitOptions fo;
    fo.stage = "bench";
    fo.epochs = 1;
    fo.device = dev;
    fo.seed = uint64_t(r);
    fo.weightDecay = 5e-4;
    auto t = Clock::now();
    trainClassifier(m, data.train, fo);
    s.push_back(secondsSince(t));
  }
  results["train_epoch_s"] = summaryStats(s, "s");
  results["train_epoch_s"]["note"] = "one Fashion-MNIST epoch (60000 images, batch 128) of the default CNN";
}

// A layout of the first n points of t, `reps` times (kNN + layout timed, not the quality sample),
// into results[key] (and results[trustKey]: its trustworthiness@15). Returns the last layout.
LayoutResult benchLayout(const BenchOptions& opt, const PointTable& t, int64_t n, const std::string& method, int reps,
                         const char* key, const char* trustKey, json& results) {
  std::vector<int32_t> labels(t.labels.begin(), t.labels.begin() + n);
  std::vector<double> secs, trust;
  LayoutResult last;
  for (int r = 0; r < reps; ++r) {
    LayoutRequest req;
    req.method = method;
    req.X = t.latents.data();
    req.n = n;
    req.d = t.d;
    req.labels = labels.data();
    req.device = opt.device;
    req.seed = uint64_t(r);
    last = computeLayout(req);
    secs.push_back(last.knnSeconds + last.layoutSeconds);
    // Up to 5,000 points the trustworthiness is taken over all of them (as scikit-learn's), not
    // over the 2,000 sample the GUI shows.
    if (n <= 5000) last.quality = layoutQuality(t.latents.data(), n, t.d, last.xy.data(), labels.data(), n, 15, 0);
    trust.push_back(last.quality.trustworthiness);
  }
  results[key] = summaryStats(secs, "s");
  char note[400];
  std::snprintf(note, sizeof note,
                "%s of %lld latents (d=%lld), kNN %s %.2f s + layout %.2f s (%s engine) + quality %.2f s (last run); "
                "trustworthiness@15 %.4f, kNN recall@15 %.4f, 2D kNN accuracy %.4f on %lld points; peak RSS %.0f MB",
                method.c_str(), (long long)n, (long long)t.d, last.knnExact ? "exact" : "HNSW", last.knnSeconds,
                last.layoutSeconds, last.engine.c_str(), last.qualitySeconds, last.quality.trustworthiness,
                last.quality.knnRecall, last.quality.knnAccuracy, (long long)last.quality.sample, peakRssMb());
  results[key]["note"] = note;
  results[key]["knn_recall15"] = last.quality.knnRecall;
  results[key]["trust15"] = last.quality.trustworthiness;
  if (trustKey) {
    results[trustKey] = summaryStats(trust, "");
    results[trustKey]["note"] = std::string("trustworthiness@15 of ") + key + "'s layouts";
  }
  return last;
}

// place_point_ms: one new point placed into a 5,000-point layout (k = 15 neighbours, 30 steps), as
// drags in a non-linear view do.
void benchPlacePoint(const PointTable& pts, const std::vector<float>& layout5k, json& results) {
  const int64_t n = std::min<int64_t>(5000, pts.n);
  const std::vector<float> xy = layout5k.empty() ? runPca(pts.latents.data(), n, pts.d) : layout5k;
  Placer placer{pts.latents.data(), xy.data(), n, pts.d, "tsne", 15, 30, 0};
  std::vector<double> ms;
  std::vector<float> z(size_t(pts.d));
  for (int i = 0; i < 220; ++i) {
    const int64_t a = (i * 7919) % pts.n;
    for (int64_t j = 0; j < pts.d; ++j) z[size_t(j)] = pts.latents[size_t(a * pts.d + j)] * 1.05f + 0.01f;
    float x = 0, y = 0;
    auto t0 = Clock::now();
    placer.place(z.data(), x, y);
    if (i >= 20) ms.push_back(1000.0 * secondsSince(t0));
  }
  results["place_point_ms"] = summaryStats(ms, "ms");
  results["place_point_ms"]["note"] = "one new latent placed into a 5,000-point t-SNE layout (exact 15-NN, 30 steps)";
}

}  // namespace

std::vector<std::string> benchNames() {
  return {"predictive_ms",
          "drag_update_p95_ms",
          "train_epoch_s",
          "tsne_5k_s",
          "tsne_5k_trust15",
          "tsne_70k_s",
          "umap_70k_s",
          "umap_70k_trust15",
          "place_point_ms",
          "latent_clue_200_ms",
          "vae_clue_200_ms",
          "latent_clue_batch_points_per_s",
          "ig64_ms",
          "ig_auto_ms",
          "saliency_update_p95_ms",
          "flip_update_p95_ms",
          "labelfree_ig64_ms",
          "dknn_ms",
          "simplex_ms"};
}

json runBench(const BenchOptions& opt, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  const std::vector<std::string> names = benchNames();
  for (const auto& n : opt.only)
    if (std::find(names.begin(), names.end(), n) == names.end())
      throw InputError("[bench] unknown benchmark '" + n + "'");
  auto want = [&](const std::string& n) {
    return !opt.none && (opt.only.empty() || std::find(opt.only.begin(), opt.only.end(), n) != opt.only.end());
  };
  json results;
  auto done = [&](const char* key) { log << key << " done\n"; };
  if (want("predictive_ms")) {
    benchPredictive(opt, dev, results);
    done("predictive_ms");
  }
  if (want("drag_update_p95_ms") || want("saliency_update_p95_ms") || want("flip_update_p95_ms")) {
    benchDragUpdate(opt, results);
    done("drag_update_p95_ms");
  }
  if (want("train_epoch_s")) {
    benchTrainEpoch(opt, dev, results);
    done("train_epoch_s");
  }
  // Projections, on the bundle's latents (the first 5,000 test points; all 70,000), without the
  // bundle's layout cache.
  const bool wantTsne5 = want("tsne_5k_s") || want("tsne_5k_trust15");
  const bool wantAll = want("tsne_70k_s") || want("umap_70k_s") || want("umap_70k_trust15");
  if (wantTsne5 || wantAll || want("place_point_ms")) {
    if (opt.bundle.empty()) throw InputError("[bench] the projection benchmarks need a bundle (--bundle)");
    std::unique_ptr<Explorer> ex = Explorer::open(opt.bundle, opt.device, {}, nullptr);
    auto pts = ex->points();
    LayoutResult tsne5;
    if (wantTsne5) {
      tsne5 = benchLayout(opt, *pts, std::min<int64_t>(5000, pts->n), "tsne", opt.repeats > 0 ? opt.repeats : 3,
                          "tsne_5k_s", "tsne_5k_trust15", results);
      done("tsne_5k_s");
    }
    if (want("place_point_ms")) {
      benchPlacePoint(*pts, tsne5.xy, results);
      done("place_point_ms");
    }
    if (wantAll) {
      auto all = ex->addTrainPoints({}, nullptr);
      if (want("tsne_70k_s")) {
        benchLayout(opt, *all, all->n, "tsne", 1, "tsne_70k_s", nullptr, results);
        done("tsne_70k_s");
      }
      if (want("umap_70k_s") || want("umap_70k_trust15")) {
        benchLayout(opt, *all, all->n, "umap", 1, "umap_70k_s", "umap_70k_trust15", results);
        done("umap_70k_s");
      }
    }
  }
  if (want("latent_clue_200_ms") || want("vae_clue_200_ms") || want("latent_clue_batch_points_per_s")) {
    detail::benchCounterfactuals(opt, want, results);
    done("counterfactuals");
  }
  if (want("ig64_ms")) {
    detail::benchAttribution(opt, results);
    done("ig64_ms");
  }
  if (want("ig_auto_ms")) {
    detail::benchAdaptiveIg(opt, results);
    done("ig_auto_ms");
  }
  if (want("labelfree_ig64_ms") || want("dknn_ms") || want("simplex_ms")) {
    detail::benchLabelFree(opt, want, results);
    done("label-free");
  }
  json flat;
  // A key that names its statistic (..._p95_ms) reports that statistic; the others their median.
  for (auto& [k, v] : results.items()) flat[k] = k.find("_p95_") != std::string::npos ? v["p95"] : v["median"];
  return {{"machine", machineName()},       {"device", opt.device}, {"torch_threads", torch::get_num_threads()},
          {"torch_version", TORCH_VERSION}, {"results", results},   {"flat", flat}};
}

std::string formatBenchTable(const json& r) {
  std::ostringstream os;
  os << "LatentLab bench on " << r.value("machine", "?") << " (device " << r.value("device", "?") << ", "
     << r.value("torch_threads", 0) << " torch threads)\n";
  os << "benchmark               median        p95   unit  n\n";
  for (auto& [k, v] : r["results"].items()) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-20s %10.4f %10.4f %6s  %d\n", k.c_str(), v["median"].get<double>(),
                  v["p95"].get<double>(), v["unit"].get<std::string>().c_str(), v["n"].get<int>());
    os << buf;
  }
  return os.str();
}

}  // namespace latentlab