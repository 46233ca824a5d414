#include "latentlab/pipeline.h"
#include "latentlab/projection.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "latentlab/bll.h"
#include "latentlab/bundle.h"
#include "latentlab/data.h"
#include "latentlab/errors.h"
#include "latentlab/explorer.h"
#include "latentlab/fsutil.h"
#include "latentlab/metrics.h"
#include "latentlab/models.h"
#include "latentlab/train.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string join(const fs::path& a, const std::string& b) { return (a / b).string(); }

void checkCancel(const std::atomic<bool>* cancel, const char* where) {
  if (cancel && cancel->load()) throw CancelledError(std::string("[") + where + "] cancelled");
}

Dataset firstN(const Dataset& d, int64_t n, uint64_t seed) {
  if (n <= 0 || n >= d.size()) return d;
  auto gen = at::detail::createCPUGenerator(seed + 17);
  torch::Tensor perm = torch::randperm(d.size(), gen, torch::TensorOptions().dtype(torch::kInt64));
  return subset(d, perm.slice(0, 0, n));
}

void saveTensor(const torch::Tensor& t, const std::string& path) {
  std::vector<char> bytes = torch::pickle_save(c10::IValue(t.cpu().contiguous()));
  writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}


struct HeadOut {
  torch::Tensor probs, total, epistemic;  // CPU
};

HeadOut predictAll(const BllHead& head, const torch::Tensor& z, const torch::Device& dev) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> p, t, e;
  for (int64_t i = 0; i < z.size(0); i += 2048) {
    Predictive pr = head.predict(z.slice(0, i, std::min(i + 2048, z.size(0))).to(dev));
    p.push_back(pr.probs.cpu());
    t.push_back(pr.total.cpu());
    e.push_back(pr.epistemic.cpu());
  }
  return {torch::cat(p), torch::cat(t), torch::cat(e)};
}

HeadOut ensembleAll(const Bundle& b, const torch::Tensor& x) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> probs;
  for (const auto& m : b.ensemble) probs.push_back(torch::softmax(mapBatched(m, "forward", x, b.device), 1));
  torch::Tensor ps = torch::stack(probs);  // [M, N, K]
  torch::Tensor mean = ps.mean(0);
  torch::Tensor total = entropy(mean), ale = entropy(ps).mean(0);
  return {mean, total, total - ale};
}

std::vector<float> toFloats(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}
std::vector<double> toDoubles(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}
std::vector<int64_t> toInts(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

json headJson(const HeadOut& in, const torch::Tensor& labels, int64_t k, const HeadOut* ood) {
  ClassificationMetrics m = classificationMetrics(toFloats(in.probs), toInts(labels), k, 15);
  json j = {{"accuracy", m.accuracy}, {"nll", m.nll}, {"ece", m.ece}, {"brier", m.brier}};
  json bins = json::array();
  for (const auto& b : m.bins) bins.push_back({{"confidence", b.confidence}, {"accuracy", b.accuracy}, {"count", b.count}});
  j["reliability"] = bins;
  if (ood) {
    j["ood_auroc_entropy"] = auroc(toDoubles(in.total), toDoubles(ood->total));
    j["ood_auroc_mutual_information"] = auroc(toDoubles(in.epistemic), toDoubles(ood->epistemic));
  } else {
    j["ood_auroc_entropy"] = nullptr;
    j["ood_auroc_mutual_information"] = nullptr;
  }
  return j;
}

// Evaluates a loaded bundle on `test` (and `ood` if given). The heavy part of `eval`.
json evaluateBundle(const Bundle& b, const Dataset& test, const Dataset* ood, const std::string& oodName,
                    std::ostream& log) {
  const torch::Device dev = b.device;
  const int64_t k = b.numClasses();
  torch::Tensor z = mapBatched(b.classifier, "encode", test.images, dev);
  torch::Tensor zo;
  if (ood) zo = mapBatched(b.classifier, "encode", ood->images, dev);
  json report;
  report["dataset"] = b.manifest.dataset;
  report["ood_dataset"] = ood ? json(oodName) : json(nullptr);
  report["n_test"] = test.size();
  report["n_ood"] = ood ? ood->size() : 0;
  report["bundle"] = b.dir;
  json heads;
  auto evalHead = [&](const BllHead& h) {
    HeadOut in = predictAll(h, z, dev);
    if (!ood) return headJson(in, test.labels, k, nullptr);
    HeadOut out = predictAll(h, zo, dev);
    return headJson(in, test.labels, k, &out);
  };
  heads["deterministic"] = evalHead(b.head(HeadMode::Deterministic));
  if (b.laplace) {
    heads["laplace"] = evalHead(b.head(HeadMode::Samples));
    heads["laplace"]["prior_precision"] = b.laplace->priorPrecision;
    heads["laplace"]["samples"] = b.laplace->samples.size(0);
    heads["laplace_probit"] = evalHead(b.head(HeadMode::Probit));
  } else {
    heads["laplace"] = nullptr;
  }
  if (!b.ensemble.empty()) {
    HeadOut in = ensembleAll(b, test.images);
    if (ood) {
      HeadOut out = ensembleAll(b, ood->images);
      heads["ensemble"] = headJson(in, test.labels, k, &out);
    } else {
      heads["ensemble"] = headJson(in, test.labels, k, nullptr);
    }
    heads["ensemble"]["members"] = b.ensemble.size();
  } else {
    heads["ensemble"] = nullptr;
  }
  report["heads"] = heads;
  if (b.decoder) {
    torch::NoGradGuard ng;
    torch::Tensor xr = mapBatched(*b.decoder, "decode", z, dev);
    const double mse = (xr - test.images).pow(2).mean().item<double>();
    torch::Tensor predOrig = mapBatched(b.classifier, "classify", z, dev).argmax(1);
    torch::Tensor predRec = mapBatched(b.classifier, "forward", xr, dev).argmax(1);
    report["decoder"] = {{"mse", mse}, {"agreement", predOrig.eq(predRec).to(torch::kFloat64).mean().item<double>()}};
  } else {
    report["decoder"] = nullptr;
  }
  return report;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// train

namespace {

// The options every training stage of a pipeline shares.
FitOptions stageOptions(const std::string& stage, int epochs, int64_t batchSize, uint64_t seed, const torch::Device& dev,
                        const ProgressFn& progress, const std::atomic<bool>* cancel) {
  FitOptions fo;
  fo.stage = stage;
  fo.epochs = epochs;
  fo.batchSize = batchSize;
  fo.seed = seed;
  fo.device = dev;
  fo.progress = progress;
  fo.cancel = cancel;
  return fo;
}

// Everything train and import share after the classifier exists: latents, Laplace, decoder, VAE,
// cache, manifest, evaluation, commit.
void finishBundle(StagedDir& stage, torch::jit::Module& classifier, const std::string& classifierFile,
                  const DatasetSplit& data, Manifest& mf, const torch::Device& dev, uint64_t seed, int64_t samples,
                  int decoderEpochs, double decoderLatentWeight, int vaeEpochs, int64_t batchSize, const ProgressFn& progress,
                  const std::atomic<bool>* cancel, std::ostream& log, json& training) {
  const fs::path dir(stage.path());
  const Shape3 shape = mf.inputShape;
  const int64_t d = mf.latentDim;
  auto t0 = Clock::now();
  log << "computing latents of " << data.train.size() << " training and " << data.test.size() << " test images\n";
  torch::Tensor zTrain = mapBatched(classifier, "encode", data.train.images, dev);
  torch::Tensor zTest = mapBatched(classifier, "encode", data.test.images, dev);
  checkCancel(cancel, "train");
  fs::create_directories(dir / "cache");
  saveTensor(zTest, join(dir / "cache", "latents_test.pt"));

  torch::Tensor W, b;
  if (extractAffineHead(classifier, d, dev, W, b)) {
    auto tl = Clock::now();
    LaplaceOptions lo;
    lo.samples = samples;
    lo.seed = seed + 5;
    LaplaceFit fit = fitLaplace(zTrain, data.train.labels, W, b, lo, dev);
    saveScript(laplaceToModule(fit), join(dir, "laplace.pt"));
    mf.components["laplace"] = "laplace.pt";
    training["laplace"] = {{"prior_precision", fit.priorPrecision}, {"log_marglik", fit.logMarglik},
                           {"samples", samples}, {"selection", "marginal likelihood, grid 1e-4..1e4 + golden section"},
                           {"seconds", secondsSince(tl)}};
    log << "laplace: prior precision " << fit.priorPrecision << " (log marginal likelihood " << fit.logMarglik << ")\n";
  } else {
    log << "warning: classify(z) is not linear in z, so the last-layer Laplace posterior cannot be fitted; "
           "the bundle keeps the deterministic head only\n";
    training["laplace"] = nullptr;
  }
  checkCancel(cancel, "train");

  if (hasMethod(classifier, "decode")) {
    mf.components["decoder"] = classifierFile;
    training["decoder"] = "the model's own decode()";
  } else {
    auto dec = makeDecoder(shape, d, seed + 1);
    FitOptions fo = stageOptions("decoder", decoderEpochs, batchSize, seed + 1, dev, progress, cancel);
    auto td = Clock::now();
    double loss = trainDecoder(dec, zTrain, data.train.images, fo, &classifier, decoderLatentWeight);
    saveScript(dec, join(dir, "decoder.pt"));
    mf.components["decoder"] = "decoder.pt";
    training["decoder"] = {{"epochs", decoderEpochs}, {"final_loss", loss}, {"latent_weight", decoderLatentWeight},
                           {"loss", "BCE(g(z), x) + latent_weight * |phi(g(z)) - z|^2"}, {"seconds", secondsSince(td)}};
  }
  if (vaeEpochs > 0) {
    auto vae = makeVae(shape, 16, seed + 2);
    FitOptions fo = stageOptions("vae", vaeEpochs, batchSize, seed + 2, dev, progress, cancel);
    auto tv = Clock::now();
    double loss = trainVae(vae, data.train.images, fo);
    saveScript(vae, join(dir, "vae.pt"));
    mf.components["vae"] = "vae.pt";
    training["vae"] = {{"epochs", vaeEpochs}, {"latent_dim", 16}, {"final_loss", loss}, {"seconds", secondsSince(tv)}};
  }
  training["after_classifier_seconds"] = secondsSince(t0);  // latents, Laplace, decoder, VAE
}

void writeManifestAndEvaluate(StagedDir& stage, Manifest& mf, const DatasetSplit& data, const torch::Device& dev,
                              std::ostream& log, json& summary) {
  writeFileAtomic(join(stage.path(), "manifest.json"), serializeManifest(mf));
  Bundle b = loadBundle(stage.path(), dev);  // the same validation a later load does
  std::unique_ptr<Dataset> ood;
  if (!mf.defaultOod.empty()) {
    try {
      ood = std::make_unique<Dataset>(loadOodDataset(mf.defaultOod));
    } catch (const Error& e) {
      log << "warning: OOD set '" << mf.defaultOod << "' not available, metrics without OOD: " << e.what() << "\n";
    }
  }
  json report = evaluateBundle(b, data.test, ood.get(), mf.defaultOod, log);
  report["bundle"] = nullptr;
  for (auto& [name, h] : report["heads"].items())
    if (h.is_object()) h.erase("reliability");
  mf.metrics = report;
  writeFileAtomic(join(stage.path(), "manifest.json"), serializeManifest(mf));
  summary["metrics"] = report;
  log << formatEvalTable(report);
}

}  // namespace

json runTrain(const TrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  if (opt.out.empty()) throw InputError("[train] --out is required");
  if (opt.epochs < 1 || opt.epochs > 1000) throw InputError("[train] --epochs must be in 1..1000, got " + std::to_string(opt.epochs));
  if (opt.latentDim < 2 || opt.latentDim > 4096)
    throw InputError("[train] --latent-dim must be in 2..4096, got " + std::to_string(opt.latentDim));
  if (opt.ensemble < 0 || opt.ensemble > 50) throw InputError("[train] --ensemble must be in 0..50");
  if (opt.batchSize < 1) throw InputError("[train] --batch-size must be positive");
  if (opt.samples < 1 || opt.samples > 100000) throw InputError("[train] --samples must be in 1..100000");
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  checkOutputPath(opt.out, opt.force);
  const auto tStart = Clock::now();
  DatasetSplit data = loadNamedDataset(opt.dataset, opt.seed);
  data.train = firstN(data.train, opt.limitTrain, opt.seed);
  const Shape3 shape = {data.train.images.size(1), data.train.images.size(2), data.train.images.size(3)};
  const int64_t k = int64_t(data.train.classNames.size());
  const double mean = data.train.images.mean().item<double>(), stdv = std::max(1e-3, data.train.images.std().item<double>());
  log << "dataset " << opt.dataset << ": " << data.train.size() << " train, " << data.test.size() << " test, " << k
      << " classes, input " << shape[0] << "x" << shape[1] << "x" << shape[2] << "; device " << dev << "\n";

  StagedDir stage(opt.out, opt.force);
  const fs::path dir(stage.path());
  Manifest mf;
  mf.dataset = opt.dataset;
  mf.splitSeed = opt.seed;
  mf.classNames = data.train.classNames;
  mf.inputShape = shape;
  mf.normMean = mean;
  mf.normStd = stdv;
  mf.latentDim = opt.latentDim;
  mf.defaultOod = opt.dataset == "fashion-mnist" ? "mnist" : opt.dataset == "mnist" ? "fashion-mnist" : "";

  json training = {{"seed", opt.seed}, {"epochs", opt.epochs}, {"batch_size", opt.batchSize}, {"optimizer", "adam"},
                   {"lr", 1e-3}, {"lr_schedule", "x0.1 after 70% of epochs"}, {"weight_decay", 5e-4}, {"n_train", data.train.size()}, {"n_test", data.test.size()},
                   {"device", opt.device}, {"threads", torch::get_num_threads()},
                   {"architecture", "conv3x3(32)-relu-maxpool, conv3x3(64)-relu-maxpool, linear(d)-relu | linear(K)"},
                   {"torch_version", TORCH_VERSION}};
  auto makeFit = [&](const std::string& stageName, int epochs, uint64_t seed) {
    FitOptions fo = stageOptions(stageName, epochs, opt.batchSize, seed, dev, progress, cancel);
    fo.weightDecay = 5e-4;
    fo.lrDecayAt = 0.7;
    return fo;
  };
  auto tc = Clock::now();
  torch::jit::Module cls = makeClassifier(shape, opt.latentDim, k, mean, stdv, opt.seed);
  double loss = trainClassifier(cls, data.train, makeFit("classifier", opt.epochs, opt.seed));
  const double clsSecs = secondsSince(tc);
  training["classifier"] = {{"final_loss", loss}, {"seconds", clsSecs}, {"seconds_per_epoch", clsSecs / opt.epochs}};
  log << "classifier: " << std::fixed << std::setprecision(1) << clsSecs / opt.epochs << " s/epoch, final loss "
      << std::setprecision(4) << loss << "\n";
  saveScript(cls, join(dir, "classifier.pt"));
  mf.components["classifier"] = "classifier.pt";

  finishBundle(stage, cls, "classifier.pt", data, mf, dev, opt.seed, opt.samples, opt.decoderEpochs,
               opt.decoderLatentWeight, opt.vaeEpochs,
               opt.batchSize, progress, cancel, log, training);

  const int ensEpochs = opt.ensembleEpochs > 0 ? opt.ensembleEpochs : opt.epochs;
  json members = json::array();
  for (int i = 0; i < opt.ensemble; ++i) {
    checkCancel(cancel, "train");
    auto te = Clock::now();
    torch::jit::Module m = makeClassifier(shape, opt.latentDim, k, mean, stdv, opt.seed + 1000 + uint64_t(i));
    const std::string name = "ensemble " + std::to_string(i + 1) + "/" + std::to_string(opt.ensemble);
    double l = trainClassifier(m, data.train, makeFit(name, ensEpochs, opt.seed + 1000 + uint64_t(i)));
    const std::string file = "ensemble_" + std::to_string(i) + ".pt";
    saveScript(m, join(dir, file));
    mf.components["ensemble_" + std::to_string(i)] = file;
    members.push_back({{"seed", opt.seed + 1000 + uint64_t(i)}, {"epochs", ensEpochs}, {"final_loss", l},
                       {"seconds", secondsSince(te)}});
  }
  training["ensemble"] = members;
  training["cache"] = {{"latents_test", "cache/latents_test.pt"}};
  training["total_seconds"] = secondsSince(tStart);
  mf.training = training;
  json summary = {{"out", opt.out}, {"training", training}};
  writeManifestAndEvaluate(stage, mf, data, dev, log, summary);
  checkCancel(cancel, "train");
  stage.commit();
  log << "wrote " << opt.out << "\n";
  return summary;
}

json runImport(const ImportOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  if (opt.out.empty()) throw InputError("[import] --out is required");
  checkOutputPath(opt.out, opt.force);
  DatasetSplit data = loadNamedDataset(opt.dataset, opt.seed);
  data.train = firstN(data.train, opt.limitTrain, opt.seed);
  const Shape3 shape = {data.train.images.size(1), data.train.images.size(2), data.train.images.size(3)};
  const int64_t k = int64_t(data.train.classNames.size());
  torch::jit::Module user = loadScript(opt.model, dev, {"encode", "classify"});
  auto [d, kk] = validateClassifier(user, shape, k, dev, opt.model);
  (void)kk;
  log << "imported " << opt.model << ": d=" << d << ", K=" << k << (hasMethod(user, "decode") ? ", has decode()" : "")
      << "\n";
  StagedDir stage(opt.out, opt.force);
  const fs::path dir(stage.path());
  // Copy the user's file byte for byte: the bundle loads exactly what the user exported.
  writeFileAtomic(join(dir, "classifier.pt"), readTextFile(opt.model));
  Manifest mf;
  mf.dataset = opt.dataset;
  mf.splitSeed = opt.seed;
  mf.classNames = data.train.classNames;
  mf.inputShape = shape;
  const double mean = data.train.images.mean().item<double>();
  mf.normMean = mean;  // informational: normalisation happens inside the user's encode()
  mf.normStd = data.train.images.std().item<double>();
  mf.latentDim = d;
  mf.components["classifier"] = "classifier.pt";
  mf.defaultOod = opt.dataset == "fashion-mnist" ? "mnist" : opt.dataset == "mnist" ? "fashion-mnist" : "";
  json training = {{"imported_from", fs::absolute(opt.model).string()}, {"seed", opt.seed},
                   {"n_train", data.train.size()}, {"device", opt.device}};
  finishBundle(stage, user, "classifier.pt", data, mf, dev, opt.seed, opt.samples, opt.decoderEpochs,
               opt.decoderLatentWeight, opt.vaeEpochs,
               128, progress, cancel, log, training);
  training["cache"] = {{"latents_test", "cache/latents_test.pt"}};
  mf.training = training;
  json summary = {{"out", opt.out}, {"training", training}};
  writeManifestAndEvaluate(stage, mf, data, dev, log, summary);
  stage.commit();
  log << "wrote " << opt.out << "\n";
  return summary;
}

// ------------------------------------------------------------------------------------------------
// eval / info

json runEval(const EvalOptions& opt, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  Bundle b = loadBundle(opt.bundle, dev);
  DatasetSplit data = loadNamedDataset(b.manifest.dataset, b.manifest.splitSeed);
  if (data.train.classNames != b.manifest.classNames)
    throw BundleError("[eval] the dataset's classes differ from the bundle's (" + opt.bundle + ")");
  Dataset test = opt.limitTest > 0 && opt.limitTest < data.test.size()
                     ? subset(data.test, torch::arange(opt.limitTest, torch::kInt64))
                     : data.test;
  const std::string oodName = opt.ood.empty() ? b.manifest.defaultOod : opt.ood == "none" ? "" : opt.ood;
  std::unique_ptr<Dataset> ood;
  if (!oodName.empty()) {
    ood = std::make_unique<Dataset>(loadOodDataset(oodName));
    if (ood->images.sizes().slice(1) != test.images.sizes().slice(1))
      throw InputError("[eval] OOD images are " + std::to_string(ood->images.size(2)) + "x" +
                       std::to_string(ood->images.size(3)) + ", the model takes " + std::to_string(test.images.size(2)) +
                       "x" + std::to_string(test.images.size(3)) + " (" + oodName + ")");
  }
  return evaluateBundle(b, test, ood.get(), oodName, log);
}

std::string formatEvalTable(const json& r) {
  std::ostringstream os;
  auto num = [](const json& v, int prec = 4) {
    if (!v.is_number()) return std::string("     n/a");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%8.*f", prec, v.get<double>());
    return std::string(buf);
  };
  os << "LatentLab eval: " << r.value("dataset", "?") << " (" << r.value("n_test", 0) << " test images)";
  if (r.contains("ood_dataset") && r["ood_dataset"].is_string())
    os << ", OOD: " << r["ood_dataset"].get<std::string>() << " (" << r.value("n_ood", 0) << ")";
  os << "\n";
  os << "head            accuracy      NLL      ECE    Brier  AUROC(H) AUROC(MI)\n";
  for (const char* name : {"deterministic", "laplace", "laplace_probit", "ensemble"}) {
    if (!r["heads"].contains(name)) continue;
    const json& h = r["heads"][name];
    char label[32];
    std::snprintf(label, sizeof label, "%-14s", name);
    if (!h.is_object()) {
      os << label << "  (not in this bundle)\n";
      continue;
    }
    os << label << num(h["accuracy"]) << " " << num(h["nll"]) << " " << num(h["ece"]) << " " << num(h["brier"]) << "  "
       << num(h["ood_auroc_entropy"]) << "  " << num(h["ood_auroc_mutual_information"]) << "\n";
  }
  if (r.contains("decoder") && r["decoder"].is_object())
    os << "decoder: reconstruction MSE " << num(r["decoder"]["mse"], 5) << ", agreement " << num(r["decoder"]["agreement"])
       << "\n";
  else
    os << "decoder: (none)\n";
  return os.str();
}

std::string bundleInfo(const std::string& dir) {
  const std::string path = join(dir, "manifest.json");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw BundleError("[info] not a directory (" + dir + ")");
  Manifest m = parseManifest(readTextFile(path), path);
  std::ostringstream os;
  os << "bundle:      " << dir << "\n";
  os << "format:      " << m.formatVersion << "\n";
  os << "dataset:     " << m.dataset << " (default OOD: " << (m.defaultOod.empty() ? "none" : m.defaultOod) << ")\n";
  os << "classes:     " << m.classNames.size() << ":";
  for (const auto& c : m.classNames) os << " " << c << ";";
  os << "\n";
  os << "input shape: " << m.inputShape[0] << "x" << m.inputShape[1] << "x" << m.inputShape[2]
     << " (normalisation inside encode: mean " << m.normMean << ", std " << m.normStd << ")\n";
  os << "latent d:    " << m.latentDim << "\n";
  os << "components:\n";
  for (const auto& [name, file] : m.components) {
    auto size = fs::file_size(fs::path(dir) / file, ec);
    os << "  " << std::left << std::setw(12) << name << " " << file
       << (ec ? std::string("  (MISSING)") : "  (" + std::to_string(size / 1024) + " KiB)") << "\n";
  }
  os << "training:    " << m.training.dump() << "\n";
  if (m.metrics.is_object() && m.metrics.contains("heads")) os << formatEvalTable(m.metrics);
  return os.str();
}

std::string defaultBundlePath(const std::string& name, const std::string& exeDir) {
  std::vector<fs::path> roots;
  if (const char* e = std::getenv("LATENTLAB_ASSETS")) roots.emplace_back(e);
  if (!exeDir.empty()) {
    roots.push_back(fs::path(exeDir) / "assets");
    roots.push_back(fs::path(exeDir) / ".." / "assets");
  }
#ifdef LATENTLAB_SOURCE_DIR
  roots.push_back(fs::path(LATENTLAB_SOURCE_DIR) / "assets");
#endif
  std::error_code ec;
  for (const auto& r : roots)
    if (fs::is_regular_file(r / "models" / name / "manifest.json", ec)) return (r / "models" / name).string();
  return "";
}

// ------------------------------------------------------------------------------------------------
// bench

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

json stats(std::vector<double> v, const char* unit) {
  std::sort(v.begin(), v.end());
  auto q = [&](double f) { return v[std::min(v.size() - 1, size_t(f * double(v.size() - 1) + 0.5))]; };
  return {{"median", q(0.5)}, {"p95", q(0.95)}, {"n", v.size()}, {"unit", unit}};
}

}  // namespace

std::vector<std::string> benchNames() {
  return {"predictive_ms", "drag_update_p95_ms", "train_epoch_s", "tsne_5k_s", "tsne_5k_trust15", "tsne_70k_s",
          "umap_70k_s", "umap_70k_trust15", "place_point_ms"};
}

json runBench(const BenchOptions& opt, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  const std::vector<std::string> names = benchNames();
  for (const auto& n : opt.only)
    if (std::find(names.begin(), names.end(), n) == names.end())
      throw InputError("[bench] unknown benchmark '" + n + "'");
  auto want = [&](const std::string& n) {
    if (opt.none) return false;
    return opt.only.empty() || std::find(opt.only.begin(), opt.only.end(), n) != opt.only.end();
  };
  json results;
  if (want("predictive_ms")) {
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
    results["predictive_ms"] = stats(ms, "ms");
    results["predictive_ms"]["note"] = "one z, S=" + std::to_string(fit.samples.size(0)) + ", " + source;
    log << "predictive_ms done\n";
  }
  if (want("drag_update_p95_ms")) {
    // One drag update as the GUI does it: decode + BLL predictive + uncertainties for one z,
    // along a path through latent space (z0 + t v), timed by Explorer::evaluate itself.
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
    results["drag_update_p95_ms"] = stats(ms, "ms");
    results["drag_update_p95_ms"]["note"] = "decode + Laplace predictive (S samples) + deterministic head for one z, " +
                                            opt.bundle + " on " + opt.device;
    log << "drag_update_p95_ms done\n";
  }
  if (want("train_epoch_s")) {
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
    results["train_epoch_s"] = stats(s, "s");
    results["train_epoch_s"]["note"] = "one Fashion-MNIST epoch (60000 images, batch 128) of the default CNN";
    log << "train_epoch_s done\n";
  }
  // Projections, on the bundle's latents (the first 5,000 test points; all 70,000). The layout
  // cache is not used. Memory: the process's peak RSS after each, from /proc/self/status.
  auto peakRssMb = [] {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);)
      if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
  };
  const bool wantTsne5 = want("tsne_5k_s") || want("tsne_5k_trust15");
  const bool wantAll = want("tsne_70k_s") || want("umap_70k_s") || want("umap_70k_trust15");
  if (wantTsne5 || wantAll || want("place_point_ms")) {
    if (opt.bundle.empty()) throw InputError("[bench] the projection benchmarks need a bundle (--bundle)");
    std::unique_ptr<Explorer> ex = Explorer::open(opt.bundle, opt.device, {}, nullptr);
    auto pts = ex->points();
    auto layoutOf = [&](const PointTable& t, int64_t n, const std::string& method, int reps, const char* key,
                        const char* trustKey) {
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
        secs.push_back(last.knnSeconds + last.layoutSeconds);  // the quality sample is reported, not timed here
        // Up to 5,000 points the trustworthiness is taken over all of them (as scikit-learn's),
        // not over the 2,000 sample the GUI shows.
        if (n <= 5000) {
          last.quality = layoutQuality(t.latents.data(), n, t.d, last.xy.data(), labels.data(), n, 15, 0);
        }
        trust.push_back(last.quality.trustworthiness);
      }
      results[key] = stats(secs, "s");
      char note[400];
      std::snprintf(note, sizeof note,
                    "%s of %lld latents (d=%lld), kNN %s %.2f s + layout %.2f s (%s engine) + quality %.2f s (last run); "
                    "trustworthiness@15 %.4f, kNN recall@15 %.4f, 2D kNN accuracy %.4f on %lld points; peak RSS %.0f MB",
                    method.c_str(), (long long)n, (long long)t.d, last.knnExact ? "exact" : "HNSW", last.knnSeconds,
                    last.layoutSeconds, last.engine.c_str(), last.qualitySeconds, last.quality.trustworthiness, last.quality.knnRecall,
                    last.quality.knnAccuracy, (long long)last.quality.sample, peakRssMb());
      results[key]["note"] = note;
      results[key]["knn_recall15"] = last.quality.knnRecall;
      results[key]["trust15"] = last.quality.trustworthiness;
      if (trustKey) {
        results[trustKey] = stats(trust, "");
        results[trustKey]["note"] = std::string("trustworthiness@15 of ") + key + "'s layouts";
      }
      log << key << " done\n";
      return last;
    };
    LayoutResult tsne5;
    if (wantTsne5) tsne5 = layoutOf(*pts, std::min<int64_t>(5000, pts->n), "tsne", opt.repeats > 0 ? opt.repeats : 3,
                                    "tsne_5k_s", "tsne_5k_trust15");
    if (want("place_point_ms")) {
      // One new point placed into the 5k t-SNE layout (k = 15 neighbours, 30 steps), as drags do.
      const int64_t n = std::min<int64_t>(5000, pts->n);
      if (tsne5.xy.empty()) tsne5.xy = runPca(pts->latents.data(), n, pts->d);
      Placer placer{pts->latents.data(), tsne5.xy.data(), n, pts->d, "tsne", 15, 30, 0};
      std::vector<double> ms;
      std::vector<float> z(size_t(pts->d));
      for (int i = 0; i < 220; ++i) {
        const int64_t a = (i * 7919) % pts->n;
        for (int64_t j = 0; j < pts->d; ++j) z[size_t(j)] = pts->latents[size_t(a * pts->d + j)] * 1.05f + 0.01f;
        float x = 0, y = 0;
        auto t0 = Clock::now();
        placer.place(z.data(), x, y);
        if (i >= 20) ms.push_back(1000.0 * secondsSince(t0));
      }
      results["place_point_ms"] = stats(ms, "ms");
      results["place_point_ms"]["note"] = "one new latent placed into a 5,000-point t-SNE layout (exact 15-NN, 30 steps)";
    }
    if (wantAll) {
      auto all = ex->addTrainPoints({}, nullptr);
      if (want("tsne_70k_s")) layoutOf(*all, all->n, "tsne", 1, "tsne_70k_s", nullptr);
      if (want("umap_70k_s") || want("umap_70k_trust15")) layoutOf(*all, all->n, "umap", 1, "umap_70k_s", "umap_70k_trust15");
    }
  }
  json flat;
  // A key that names its statistic (..._p95_ms) reports that statistic; the others their median.
  for (auto& [k, v] : results.items()) flat[k] = k.find("_p95_") != std::string::npos ? v["p95"] : v["median"];
  return {{"machine", machineName()}, {"device", opt.device}, {"torch_threads", torch::get_num_threads()},
          {"torch_version", TORCH_VERSION}, {"results", results}, {"flat", flat}};
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
