// `latentlab eval --checks`: Crabbé and van der Schaar's consistency checks of label-free explanations (section
// 4.1, as its code runs them) and the pretext comparison (section 4.2, Table 2's analogue).
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/checks/checks_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"
#include "pipeline/explain_common.h"
#include "pipeline/pipeline_common.h"
#include "pipeline/plot_png.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace {

using detail::Clock;
using detail::secondsSince;

// "stage i/n" to the progress callback, every 50 items and at the end.
void reportStep(const ProgressFn& progress, const std::string& stage, int64_t done, int64_t n) {
  if (!progress || (done % 50 != 1 && done != n)) return;
  Progress p;
  p.stage = stage;
  p.batch = done;
  p.batches = n;
  progress(p);
}

const std::vector<double> kFlipFractions = {0.05, 0.1, 0.2, 0.5, 0.8, 1.0};
const std::vector<double> kSimilarityFractions = {0.05, 0.1, 0.2, 0.5, 0.7, 1.0};

// The label-free feature maps of images [n, C, H, W] by `method` (IG, saliency, GradientShap),
// black baseline: [n, C*H*W] on the CPU.
torch::Tensor featureMaps(const Bundle& b, AttributionMethod method, const torch::Tensor& images, int steps,
                          const ProgressFn& progress, const std::atomic<bool>* cancel, const std::string& stage) {
  AttributionOptions o;
  o.target.kind = AttributionTargetKind::LabelFree;
  o.method = method;
  o.steps = steps;
  o.adaptive = false;  // the published figures use a fixed m
  const int64_t n = images.size(0);
  torch::Tensor out = torch::empty({n, images[0].numel()});
  for (int64_t i = 0; i < n; ++i) {
    checkCancel(cancel, "checks");
    o.seed = uint64_t(i);  // GradientShap's draws
    const AttributionResult r = explainIg(b, o, images[i], {}, cancel);
    out[i] = torch::tensor(r.attribution);
    reportStep(progress, stage, i + 1, n);
  }
  return out;
}

std::string csvNumber(double v) {
  std::ostringstream s;
  s << std::setprecision(8) << v;
  return s.str();
}

// What --checks may write into: a new folder, or with --force an earlier checks folder.
void checkChecksOut(const std::string& out, bool force) {
  std::error_code ec;
  if (out.empty()) throw InputError("[checks] --out DIR is required (the CSV files and plots go there)");
  const fs::path parent = fs::absolute(out).parent_path();
  if (!fs::is_directory(parent, ec))
    throw InputError("[checks] the folder " + parent.string() + " does not exist (--out " + out + ")");
  checkNotInBundle(out, "[checks]");
  if (!fs::exists(fs::symlink_status(out, ec))) return;
  if (!force) throw InputError("[checks] " + out + " exists; give --force to replace an earlier checks folder");
  if (fs::is_symlink(fs::symlink_status(out, ec)) || !fs::is_directory(out, ec))
    throw InputError("[checks] " + out + " is not a folder; --force replaces only an earlier checks folder");
  for (const auto& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    const bool mine = (name == "summary.json" || name == "pixel_flip.csv" || name == "pixel_flip.png" ||
                       name == "similarity.csv" || name == "similarity.png" || name == "pretext.csv" ||
                       name == "randomisation.csv" || name == "randomisation.png") &&
                      !e.is_symlink(ec) && e.is_regular_file(ec);
    if (!mine)
      throw InputError("[checks] " + out + " holds " + name +
                       ", which eval --checks did not write; --force would delete it, "
                       "so it is refused: choose another --out");
  }
  if (!fs::exists(fs::path(out) / "summary.json"))
    throw InputError("[checks] " + out + " is not an earlier checks folder (no summary.json)");
}

// A pixel-flipping curve: the mean latent shift (and its standard error) at each fraction.
struct Curve {
  std::string name;
  std::vector<double> mean, sem;
};

// A method's similarity rates at each fraction of the corpus: its top and its bottom examples.
struct Rates {
  std::string name;
  std::vector<double> top, bottom;
  int64_t points = 0;
};

// What the checks read: the bundle, the ones it is compared with, and the images.
struct ChecksInput {
  const ChecksOptions& o;
  const Bundle& b;
  const std::vector<Bundle>& others;
  const DatasetSplit& data;
  torch::Device dev;
  int64_t nTest = 0, K = 0;
  const ProgressFn& progress;
  const std::atomic<bool>* cancel;
};

ImageEncoderFn encodeOf(const Bundle& bb) {
  return ImageEncoderFn([&bb](const torch::Tensor& x) { return bb.encode(x); });
}

// 1. Pixel flipping: the first nTest test images, each method's top pixels set to black. The
// label-free feature maps are kept in `maps` (the pretext comparison reads the IG ones).
std::vector<Curve> pixelFlipping(const ChecksInput& in, const torch::Tensor& images,
                                 std::map<std::string, torch::Tensor>& maps, json& summary) {
  const ChecksOptions& o = in.o;
  const Bundle& b = in.b;
  const int64_t nTest = in.nTest;
  const torch::Device dev = in.dev;
  const ProgressFn& progress = in.progress;
  const std::atomic<bool>* cancel = in.cancel;
  std::vector<Curve> flips;
  const std::vector<std::pair<std::string, AttributionMethod>> methods = {
      {"labelfree-saliency", AttributionMethod::Saliency},
      {"labelfree-ig", AttributionMethod::IG},
      {"labelfree-gradient-shap", AttributionMethod::GradientShap}};
  for (const auto& [name, m] : methods) {
    const auto tm = Clock::now();
    maps[name] = featureMaps(b, m, images, o.steps, progress, cancel, name);
    Curve c{name, {}, {}};
    c.mean = pixelFlipShifts(encodeOf(b), images, maps[name].to(dev), kFlipFractions, &c.sem, cancel);
    flips.push_back(c);
    summary["seconds"][name] = secondsSince(tm);
  }
  {
    torch::Generator gen = at::detail::createCPUGenerator(o.seed + 3);
    const torch::Tensor random = torch::rand({nTest, images.size(2) * images.size(3)}, gen, torch::kFloat);
    Curve c{"random", {}, {}};
    c.mean = pixelFlipShifts(encodeOf(b), images, random.to(dev), kFlipFractions, &c.sem, cancel);
    flips.push_back(c);
  }
  return flips;
}

// The balanced draws of the similarity rates: a corpus of training images and test images.
struct SimilarityDraw {
  torch::Tensor corpusImages, testImages, corpusLabels, testLabels;
  torch::Tensor Zc, Zt;  // their latents
};

// 2. Similarity rates of DKNN, SimplEx and (when the bundle keeps checkpoints) TracIn. The DKNN
// scores are kept in `exampleScoresOf` (the pretext comparison reads them).
std::vector<Rates> similarity(const ChecksInput& in, SimilarityDraw& draw,
                              std::map<std::string, torch::Tensor>& exampleScoresOf, json& summary) {
  const ChecksOptions& o = in.o;
  const Bundle& b = in.b;
  const DatasetSplit& data = in.data;
  const int64_t nTest = in.nTest, K = in.K;
  const torch::Device dev = in.dev;
  const ProgressFn& progress = in.progress;
  const std::atomic<bool>* cancel = in.cancel;
  // A small dataset (the emoji's smallest class has 68 training and 17 test images): the balanced
  // draws take what its smallest class allows, and the summary says how many.
  auto smallest = [K](const torch::Tensor& labels) {
    const torch::Tensor counts = torch::bincount(labels.to(torch::kCPU, torch::kInt64), {}, K);
    return counts.min().item<int64_t>();
  };
  const int64_t corpusPer = std::max<int64_t>(1, std::min(o.corpusPerClass, smallest(data.train.labels)));
  const int64_t testPer = std::max<int64_t>(1, std::min(std::max<int64_t>(1, nTest / K), smallest(data.test.labels)));
  summary["similarity_corpus_per_class"] = corpusPer;
  summary["similarity_test_per_class"] = testPer;
  const std::vector<int64_t> corpusIdx = balancedIndices(data.train.labels, K, corpusPer, o.seed + 11);
  const std::vector<int64_t> testIdx = balancedIndices(data.test.labels, K, testPer, o.seed + 12);
  const torch::Tensor ci = torch::tensor(corpusIdx, torch::kInt64), ti = torch::tensor(testIdx, torch::kInt64);
  const torch::Tensor corpusImages = data.train.images.index_select(0, ci),
                      testImages = data.test.images.index_select(0, ti);
  const torch::Tensor corpusLabels = data.train.labels.index_select(0, ci),
                      testLabels = data.test.labels.index_select(0, ti);
  torch::Tensor Zc, Zt;
  {
    torch::NoGradGuard ng;
    Zc = mapBatched(b.classifier, "encode", corpusImages, dev, 1024, b.componentPath(b.encoderComponent())).to(dev);
    Zt = mapBatched(b.classifier, "encode", testImages, dev, 1024, b.componentPath(b.encoderComponent())).to(dev);
  }
  const int64_t nt = Zt.size(0), nc = Zc.size(0);
  std::vector<Rates> rates;
  {
    auto tm = Clock::now();
    torch::Tensor S = torch::empty({nt, nc});
    for (int64_t i = 0; i < nt; ++i) S[i] = dknnScores(Zc, Zt[i]).cpu();
    Rates r{"dknn", {}, {}, nt};
    similarityRates(S, testLabels, corpusLabels, kSimilarityFractions, r.top, r.bottom);
    rates.push_back(r);
    exampleScoresOf["dknn"] = S.clone();  // S is reused for SimplEx below
    summary["seconds"]["dknn"] = secondsSince(tm);
    tm = Clock::now();
    ExampleOptions eo;
    for (int64_t i = 0; i < nt; ++i) {
      checkCancel(cancel, "checks");
      S[i] = simplexWeights(Zc, Zt[i], eo.steps, eo.lr);
      reportStep(progress, "simplex", i + 1, nt);
    }
    Rates s{"simplex", {}, {}, nt};
    similarityRates(S, testLabels, corpusLabels, kSimilarityFractions, s.top, s.bottom);
    rates.push_back(s);
    exampleScoresOf["simplex"] = S.clone();
    summary["seconds"]["simplex"] = secondsSince(tm);
  }
  const bool tracin =
      o.tracinPoints > 0 && b.manifest.training.is_object() && b.manifest.training.contains("checkpoints");
  if (tracin) {
    const auto tm = Clock::now();
    const std::vector<TracinCheckpoint> cps = loadCheckpoints(b);
    const int64_t m = std::min(o.tracinPoints, nt);
    // Every (nt / m)-th test point of the balanced draw, so that every class is in.
    std::vector<int64_t> rows;
    for (int64_t j = 0; j < m; ++j) rows.push_back(j * nt / m);
    torch::Tensor S = torch::empty({m, nc});
    for (int64_t j = 0; j < m; ++j) {
      checkCancel(cancel, "checks");
      S[j] = tracinScores(cps, objectiveLoss(b.objective), testImages[rows[size_t(j)]],
                          testLabels[rows[size_t(j)]].item<int64_t>(), corpusImages, corpusLabels, dev, {}, cancel);
      reportStep(progress, "tracin", j + 1, m);
    }
    Rates r{"tracin", {}, {}, m};
    similarityRates(S, testLabels.index_select(0, torch::tensor(rows, torch::kInt64)), corpusLabels,
                    kSimilarityFractions, r.top, r.bottom);
    rates.push_back(r);
    summary["seconds"]["tracin"] = secondsSince(tm);
    summary["tracin_checkpoints"] = cps.size();
  } else {
    summary["tracin"] =
        o.tracinPoints == 0 ? "skipped (--tracin-points 0)" : "skipped: the bundle keeps no checkpoints";
  }
  summary["corpus"] = nc;
  summary["similarity_test_points"] = nt;
  draw = {corpusImages, testImages, corpusLabels, testLabels, Zc, Zt};
  return rates;
}

// 3. Pretext comparison: Pearson r, per image, of the label-free IG maps and of the DKNN scores.
json pretextComparison(const ChecksInput& in, const torch::Tensor& images, const SimilarityDraw& draw,
                       std::map<std::string, torch::Tensor>& maps,
                       std::map<std::string, torch::Tensor>& exampleScoresOf) {
  const ChecksOptions& o = in.o;
  const std::vector<Bundle>& others = in.others;
  const int64_t nTest = in.nTest, nt = draw.Zt.size(0);
  const torch::Device dev = in.dev;
  const ProgressFn& progress = in.progress;
  const std::atomic<bool>* cancel = in.cancel;
  const torch::Tensor& corpusImages = draw.corpusImages;
  const torch::Tensor& testImages = draw.testImages;
  json pretext = json::array();
  const int64_t nCompare = std::min<int64_t>(nTest, 200);
  for (size_t k = 0; k < others.size(); ++k) {
    const Bundle& ob = others[k];
    const torch::Tensor mapsB =
        featureMaps(ob, AttributionMethod::IG, images.slice(0, 0, nCompare), o.steps, progress, cancel, "compare ig");
    double rIg = 0;
    for (int64_t i = 0; i < nCompare; ++i) rIg += pearson(maps["labelfree-ig"][i], mapsB[i]);
    torch::Tensor Zcb, Ztb;
    {
      torch::NoGradGuard ng;
      Zcb = mapBatched(ob.classifier, "encode", corpusImages, dev, 1024, o.compare[k]).to(dev);
      Ztb = mapBatched(ob.classifier, "encode", testImages, dev, 1024, o.compare[k]).to(dev);
    }
    double rEx = 0;
    for (int64_t i = 0; i < nt; ++i) rEx += pearson(exampleScoresOf["dknn"][i], dknnScores(Zcb, Ztb[i]));
    pretext.push_back({{"other", fs::absolute(o.compare[k]).string()},
                       {"other_objective", ob.objective},
                       {"labelfree_ig_pearson", rIg / double(nCompare)},
                       {"ig_images", nCompare},
                       {"dknn_pearson", rEx / double(nt)},
                       {"dknn_test_points", nt}});
  }
  return pretext;
}

json randomisationCheck(const ChecksInput& in, const torch::Tensor& images, const std::string& dir, std::ostream& log);

// The folder: the CSV files, the plots and summary.json, staged and moved into place whole.
void writeChecks(const ChecksInput& in, const std::vector<Curve>& flips, const std::vector<Rates>& rates,
                 const json& pretext, int64_t nc, const torch::Tensor& images, std::ostream& log, json& summary) {
  const ChecksOptions& o = in.o;
  const Bundle& b = in.b;
  const int64_t nTest = in.nTest, K = in.K;
  const std::atomic<bool>* cancel = in.cancel;
  StagedDir stage(o.out, o.force, checkChecksOut);
  std::ostringstream pf, sr, pt;
  pf << "method,fraction,mean_shift,sem\n";
  plot::Chart flipChart;
  flipChart.title = "Pixel flipping: " + fs::path(o.bundle).filename().string() + " (" + b.objective + "), " +
                    std::to_string(nTest) + " test images";
  flipChart.xLabel = "fraction of pixels set to black (the top ones by each map)";
  flipChart.yLabel = "mean latent shift |phi(x) - phi(x masked)|^2 (latent units^2)";
  flipChart.note = "higher at small fractions: the map found what the latent depends on";
  int colour = 0;
  for (const Curve& c : flips) {
    plot::Series s{c.name == "random" ? "random masks" : c.name.substr(10),
                   c.name == "random" ? std::array<unsigned char, 3>{110, 110, 110} : plot::seriesColor(colour++),
                   kFlipFractions, c.mean, c.name == "random"};
    flipChart.series.push_back(s);
    json rows = json::array();
    for (size_t i = 0; i < kFlipFractions.size(); ++i) {
      pf << c.name << "," << kFlipFractions[i] << "," << csvNumber(c.mean[i]) << "," << csvNumber(c.sem[i]) << "\n";
      rows.push_back({{"fraction", kFlipFractions[i]}, {"mean_shift", c.mean[i]}, {"sem", c.sem[i]}});
    }
    summary["pixel_flip"][c.name] = rows;
  }
  sr << "method,fraction,top,bottom,test_points\n";
  plot::Chart simChart;
  simChart.title = "Similarity rate: " + fs::path(o.bundle).filename().string() + ", corpus " + std::to_string(nc) +
                   ", top (solid) and bottom (dashed)";
  simChart.xLabel = "fraction k of the corpus (its top or bottom examples)";
  simChart.yLabel = "share of the examples with the test image's label";
  simChart.note = "top above bottom: same-class images scored first (no label used)";
  simChart.hLine = 1.0 / double(K);
  simChart.hLineLabel = "chance (1/K)";
  colour = 0;
  for (const Rates& r : rates) {
    const auto col = plot::seriesColor(colour++);
    simChart.series.push_back({r.name + " top", col, kSimilarityFractions, r.top, false});
    simChart.series.push_back({r.name + " bottom", col, kSimilarityFractions, r.bottom, true});
    json rows = json::array();
    for (size_t i = 0; i < kSimilarityFractions.size(); ++i) {
      sr << r.name << "," << kSimilarityFractions[i] << "," << csvNumber(r.top[i]) << "," << csvNumber(r.bottom[i])
         << "," << r.points << "\n";
      rows.push_back({{"fraction", kSimilarityFractions[i]}, {"top", r.top[i]}, {"bottom", r.bottom[i]}});
    }
    summary["similarity"][r.name] = rows;
  }
  writeFileAtomic((fs::path(stage.path()) / "pixel_flip.csv").string(), pf.str());
  writeFileAtomic((fs::path(stage.path()) / "similarity.csv").string(), sr.str());
  plot::writeLineChart((fs::path(stage.path()) / "pixel_flip.png").string(), flipChart);
  plot::writeLineChart((fs::path(stage.path()) / "similarity.png").string(), simChart);
  if (!pretext.empty()) {
    pt << "bundle,other,other_objective,labelfree_ig_pearson,ig_images,dknn_pearson,dknn_test_points\n";
    for (const json& p : pretext)
      pt << fs::absolute(o.bundle).string() << "," << p["other"].get<std::string>() << ","
         << p["other_objective"].get<std::string>() << "," << csvNumber(p["labelfree_ig_pearson"].get<double>()) << ","
         << p["ig_images"] << "," << csvNumber(p["dknn_pearson"].get<double>()) << "," << p["dknn_test_points"] << "\n";
    writeFileAtomic((fs::path(stage.path()) / "pretext.csv").string(), pt.str());
    summary["pretext"] = pretext;
  }
  if (o.randomisationPoints > 0 && !b.labelFree()) {
    const auto t0 = Clock::now();
    summary["randomisation"] = randomisationCheck(in, images, stage.path(), log);
    summary["seconds"]["randomisation_total"] = secondsSince(t0);
  } else if (o.randomisationPoints > 0) {
    summary["randomisation"] = {{"skipped", "a label-free encoder: no class logit to explain"}};
    log << "randomisation: skipped, the bundle's encoder was trained without labels (no class logit to explain)\n";
  } else {
    summary["randomisation"] = nullptr;  // --randomisation-points 0
  }
  writeFileAtomic((fs::path(stage.path()) / "summary.json").string(), jsonText(summary, 2) + "\n");
  checkCancel(cancel, "checks");
  stage.commit();
}

// 4. Model-parameter randomisation (checks_torch.h): randomisation.csv, randomisation.png and the
// summary's "randomisation", with the published LeNet figures beside LatentLab's.
json randomisationCheck(const ChecksInput& in, const torch::Tensor& images, const std::string& dir, std::ostream& log) {
  const int64_t n = std::min<int64_t>(in.o.randomisationPoints, images.size(0));
  const RandomisationResult r = parameterRandomisation(
      in.b.classifier, images.slice(0, 0, n), in.o.seed, in.cancel,
      [&](int64_t done, int64_t total) { reportStep(in.progress, "randomisation", done, total); });
  std::ostringstream csv;
  csv << "method,mode,layers_randomised,layer,spearman,ssim\n";
  plot::Chart chart;
  chart.title = "Model-parameter randomisation: " + fs::path(in.o.bundle).filename().string() + ", " +
                std::to_string(n) + " test images";
  chart.xLabel = "layers randomised from the top (dashed: that layer alone)";
  chart.integerX = true;
  chart.width = 1000;
  chart.yLabel = "Spearman rank correlation of |map| with the original's";
  chart.note = "lower is better: a map that does not change when the model does explains nothing of it";
  chart.yFromZero = false;
  json methods = json::object();
  int colour = 0;
  for (const RandomisationMethod& m : r.methods) {
    std::vector<double> x;
    for (size_t l = 0; l < r.layers.size(); ++l) {
      x.push_back(double(l + 1));
      csv << m.name << ",cascading," << l + 1 << "," << r.layers[l] << "," << csvNumber(m.cascadeSpearman[l]) << ","
          << csvNumber(m.cascadeSsim[l]) << "\n";
      csv << m.name << ",independent," << l + 1 << "," << r.layers[l] << "," << csvNumber(m.independentSpearman[l])
          << "," << csvNumber(m.independentSsim[l]) << "\n";
    }
    const auto col = plot::seriesColor(colour++);
    chart.series.push_back({m.name, col, x, m.cascadeSpearman, false});
    chart.series.push_back({m.name + ", alone", col, x, m.independentSpearman, true});
    methods[m.name] = {{"mprt", m.mprt},
                       {"emprt", m.emprt},
                       {"cascading_spearman", m.cascadeSpearman},
                       {"cascading_ssim", m.cascadeSsim},
                       {"independent_spearman", m.independentSpearman},
                       {"independent_ssim", m.independentSsim}};
    log << "randomisation: " << m.name << " MPRT " << m.mprt << " (lower is better), eMPRT " << m.emprt
        << " (higher is better)\n";
  }
  writeFileAtomic((fs::path(dir) / "randomisation.csv").string(), csv.str());
  plot::writeLineChart((fs::path(dir) / "randomisation.png").string(), chart);
  return {{"images", n},
          {"layers_top_down", r.layers},
          {"methods", methods},
          {"mprt",
           "mean over the layers of the cascading Spearman correlation of |map| (lower is better; Hedstrom et al. "
           "2024)"},
          {"emprt", "entropy of |map| (100 bins) of the fully randomised model over the original's (higher is better)"},
          {"randomised_as",
           "re-initialised as PyTorch's reset_parameters() (Quantus's MPRT): U(-b, b), b = 1/sqrt(fan_in of the "
           "layer's weight), seeded per layer; a layer of 1-D parameters only from N(0, s^2)"},
          {"published_lenet_mprt",
           {{"source", "Hedstrom et al. 2024, LeNet, 1,000 test images"},
            {"mnist", {{"ig", 0.751}, {"gradient", 0.044}}},
            {"fashion-mnist", {{"ig", 0.463}, {"gradient", 0.020}}}}}};
}

// What the log says of the run.
void logChecks(std::ostream& log, const std::vector<Curve>& flips, const std::vector<Rates>& rates,
               const json& pretext) {
  log << "pixel flipping (mean latent shift at 5/10/20/50/80/100% of the pixels):\n";
  for (const Curve& c : flips) {
    log << "  " << std::left << std::setw(24) << c.name;
    for (double v : c.mean) log << " " << std::setw(10) << std::setprecision(4) << v;
    log << "\n";
  }
  log << "similarity rate (top / bottom at 5/10/20/50/70/100% of the corpus):\n";
  for (const Rates& r : rates) {
    log << "  " << std::left << std::setw(10) << r.name;
    for (size_t i = 0; i < r.top.size(); ++i) log << " " << std::setprecision(3) << r.top[i] << "/" << r.bottom[i];
    log << "\n";
  }
  for (const json& p : pretext)
    log << "pretext: Pearson r with " << p["other"].get<std::string>() << " ("
        << p["other_objective"].get<std::string>() << "): label-free IG maps "
        << p["labelfree_ig_pearson"].get<double>() << ", DKNN scores " << p["dknn_pearson"].get<double>() << "\n";
}

}  // namespace

json runChecks(const ChecksOptions& o, const ProgressFn& progress, const std::atomic<bool>* cancel, std::ostream& log) {
  if (o.testPoints < 10 || o.testPoints > 100000)
    throw InputError("[checks] --test-points must be in 10..100000, got " + std::to_string(o.testPoints));
  if (o.corpusPerClass < 1)
    throw InputError("[checks] --corpus-per-class must be at least 1, got " + std::to_string(o.corpusPerClass));
  if (o.steps < 1 || o.steps > 1000)
    throw InputError("[checks] --steps must be in 1..1000, got " + std::to_string(o.steps));
  if (o.randomisationPoints < 0 || o.randomisationPoints > 100000)
    throw InputError("[checks] --randomisation-points must be in 0..100000, got " +
                     std::to_string(o.randomisationPoints));
  if (o.tracinPoints < 0)
    throw InputError("[checks] --tracin-points must be 0 (skip) or more, got " + std::to_string(o.tracinPoints));
  checkChecksOut(o.out, o.force);
  const torch::Device dev = parseDevice(o.device);
  Bundle b = loadBundle(o.bundle, dev, BundleParts{false, false, false});
  std::vector<Bundle> others;
  for (const std::string& c : o.compare) {
    others.push_back(loadBundle(c, dev, BundleParts{false, false, false}));
    const Bundle& ob = others.back();
    if (ob.manifest.dataset != b.manifest.dataset || ob.manifest.inputShape != b.manifest.inputShape)
      throw InputError("[checks] --compare " + c + " is a bundle of " + ob.manifest.dataset + "; " + o.bundle +
                       " is of " + b.manifest.dataset + ": the comparison needs the same images");
  }
  const DatasetSplit data = loadManifestDataset(b.manifest);
  const int64_t nTest = std::min(o.testPoints, data.test.size());
  const int64_t K = b.numClasses();
  json summary = {{kExplainMarker, true},     {"bundle", fs::absolute(o.bundle).string()},
                  {"objective", b.objective}, {"device", o.device},
                  {"test_points", nTest},     {"steps", o.steps}};
  const ChecksInput in{o, b, others, data, dev, nTest, K, progress, cancel};
  auto t0 = Clock::now();
  const torch::Tensor images = data.test.images.slice(0, 0, nTest).to(dev);
  std::map<std::string, torch::Tensor> maps, exampleScoresOf;
  const std::vector<Curve> flips = pixelFlipping(in, images, maps, summary);
  summary["seconds"]["pixel_flip_total"] = secondsSince(t0);
  t0 = Clock::now();
  SimilarityDraw draw;
  const std::vector<Rates> rates = similarity(in, draw, exampleScoresOf, summary);
  summary["seconds"]["similarity_total"] = secondsSince(t0);
  const json pretext = pretextComparison(in, images, draw, maps, exampleScoresOf);
  writeChecks(in, flips, rates, pretext, draw.Zc.size(0), images, log, summary);
  logChecks(log, flips, rates, pretext);
  return summary;
}

}  // namespace latentlab
