// `latentlab train` and `import`: every component of a bundle, built in a staged directory that is
// moved into place only when complete (Ctrl-C or an error leaves nothing behind).
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/concepts/concepts_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/manifest.h"
#include "latentlab/model/metrics.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/model/objectives_torch.h"
#include "latentlab/model/option_ranges.h"
#include "latentlab/model/train_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "model/train_loop.h"
#include "pipeline/pipeline_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

using detail::Clock;
using detail::decoderRecord;
using detail::join;
using detail::secondsSince;

namespace {

// Files of an image folder that are not images were left out: say so once, with the first few.
void warnSkipped(const DatasetSplit& data, std::ostream& log) {
  const auto& s = data.train.skipped;
  if (s.empty()) return;
  log << "warning: skipped " << s.size() << " entr" << (s.size() == 1 ? "y" : "ies")
      << " that are not the dataset's images (not image files, or folders beside train/ and test/), e.g. " << s.front()
      << (s.size() > 1 ? ", " + s[1] : std::string()) << "\n";
}

// Large images make a large VAE (fully connected over every value): say so before the minutes it
// takes, with the option that skips it. 3x512x512: about 200 M weights, 2.4 GB with Adam's state.
void noteLargeInput(const Shape3& shape, int vaeEpochs, std::ostream& log) {
  const int64_t values = shape[0] * shape[1] * shape[2];
  if (values <= 65536 || vaeEpochs <= 0) return;
  const double weights = 2.0 * double(values) * 128.0;
  log << "note: " << shape[0] << "x" << shape[1] << "x" << shape[2] << " images make a VAE of about " << std::fixed
      << std::setprecision(0) << weights / 1e6 << " M weights (" << std::setprecision(1) << weights * 4 * 3 / 1e9
      << " GB with Adam's state) for VAE-CLUE; --vae-epochs 0 skips it\n";
  log.unsetf(std::ios::fixed);
}

// The shipped datasets' OOD sets: each grey set the other; for the colour emoji, Fashion-MNIST
// (clothes in grey, fitted to 3x64x64).
// The manifest's record of a dataset: a name as given, a file or folder as an absolute path (the
// bundle is used from other working directories).
std::string datasetRecord(const std::string& dataset) {
  if (dataset == "fashion-mnist" || dataset == "mnist" || dataset == "emoji") return dataset;
  std::error_code ec;
  const fs::path p = fs::absolute(dataset, ec);
  return ec ? dataset : p.lexically_normal().string();
}

std::string defaultOodFor(const std::string& dataset) {
  return dataset == "fashion-mnist" ? "mnist"
         : dataset == "mnist"       ? "fashion-mnist"
         : dataset == "emoji"       ? "fashion-mnist"
                                    : "";
}

Dataset firstN(const Dataset& d, int64_t n, uint64_t seed) {
  if (n <= 0 || n >= d.size()) return d;
  auto gen = at::detail::createCPUGenerator(seed + 17);
  torch::Tensor perm = torch::randperm(d.size(), gen, torch::TensorOptions().dtype(torch::kInt64));
  return subset(d, perm.slice(0, 0, n));
}

// The options every training stage of a pipeline shares.
FitOptions stageOptions(const std::string& stage, int epochs, int64_t batchSize, uint64_t seed,
                        const torch::Device& dev, const ProgressFn& progress, const std::atomic<bool>* cancel) {
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

// The settings of the stages after the classifier, as train and import give them.
struct Stages {
  uint64_t seed = 0;
  int64_t samples = 64;
  int decoderEpochs = 10;
  double decoderLatentWeight = 0.2, decoderConsistencyWeight = 0;
  bool decoderOffManifold = false;
  int vaeEpochs = 10;
  int64_t dvaeBits = 16;
  int dvaeEpochs = 30;
  double dvaeConsistency = 0;
  int64_t batchSize = 128;
};

template <class Options>
Stages stagesOf(const Options& o, int64_t batchSize) {
  Stages s;
  s.seed = o.seed;
  s.samples = o.samples;
  s.decoderEpochs = o.decoderEpochs;
  s.decoderLatentWeight = o.decoderLatentWeight;
  s.decoderConsistencyWeight = o.decoderConsistencyWeight;
  s.decoderOffManifold = o.decoderOffManifold;
  s.vaeEpochs = o.vaeEpochs;
  s.dvaeBits = o.dvaeBits;
  s.dvaeEpochs = o.dvaeEpochs;
  s.dvaeConsistency = o.dvaeConsistency;
  s.batchSize = batchSize;
  return s;
}

// Everything train and import share after the classifier exists: latents, Laplace, decoder, VAE,
// cache, manifest, evaluation, commit. `source` names the classifier in errors (the user's file).
void finishBundle(StagedDir& stage, torch::jit::Module& classifier, const std::string& classifierFile,
                  const std::string& source, const DatasetSplit& data, Manifest& mf, const torch::Device& dev,
                  const Stages& st, const ProgressFn& progress, const std::atomic<bool>* cancel, std::ostream& log,
                  json& training) {
  const uint64_t seed = st.seed;
  const int64_t batchSize = st.batchSize;
  const fs::path dir(stage.path());
  const Shape3 shape = mf.inputShape;
  const int64_t d = mf.latentDim;
  auto t0 = Clock::now();
  log << "computing latents of " << data.train.size() << " training and " << data.test.size() << " test images\n";
  torch::Tensor zTrain = mapBatched(classifier, "encode", data.train.images, dev, 1024, source);
  requireFiniteRows(zTrain, "train", "latents", "training images", source);
  torch::Tensor zTest = mapBatched(classifier, "encode", data.test.images, dev, 1024, source);
  requireFiniteRows(zTest, "train", "latents", "test images", source);
  checkCancel(cancel, "train");
  fs::create_directories(dir / "cache");
  // The classifier file is already in the stage (the caller saved it): the key is of those bytes.
  saveLatentCache(join(dir / "cache", "latents_test.pt"), zTest,
                  latentCacheKey(join(dir, classifierFile), imagesFingerprint(data.test.images), data.test.size()));

  torch::Tensor W, b;
  if (extractAffineHead(classifier, d, dev, W, b)) {
    auto tl = Clock::now();
    LaplaceOptions lo;
    lo.samples = st.samples;
    lo.seed = seed + 5;
    LaplaceFit fit = fitLaplace(zTrain, data.train.labels, W, b, lo, dev);
    saveScript(laplaceToModule(fit), join(dir, "laplace.pt"));
    mf.components["laplace"] = "laplace.pt";
    training["laplace"] = {{"prior_precision", fit.priorPrecision},
                           {"log_marglik", fit.logMarglik},
                           {"samples", st.samples},
                           {"selection", "marginal likelihood, grid 1e-4..1e4 + golden section"},
                           {"seconds", secondsSince(tl)},
                           {"classifier", fileFingerprint(join(dir, classifierFile))}};  // fitted for this one
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
    FitOptions fo = stageOptions("decoder", st.decoderEpochs, batchSize, seed + 1, dev, progress, cancel);
    auto td = Clock::now();
    if (st.decoderConsistencyWeight > 0) {  // the term reads classify(z): it must be finite on the real latents
      torch::NoGradGuard ng;
      const torch::Tensor p = torch::softmax(mapBatched(classifier, "classify", zTrain, dev, 1024, source), 1);
      requireFiniteRows(p, "train", "probabilities", "training latents", source);
    }
    DecoderLoss terms;
    terms.encoder = &classifier;
    terms.latentWeight = st.decoderLatentWeight;
    terms.consistencyWeight = st.decoderConsistencyWeight;
    terms.offManifold = st.decoderOffManifold;
    double loss = trainDecoder(dec, zTrain, data.train.images, fo, terms);
    saveScript(dec, join(dir, "decoder.pt"));
    mf.components["decoder"] = "decoder.pt";
    training["decoder"] = decoderRecord(terms, st.decoderEpochs, loss, secondsSince(td));
    training["decoder"]["classifier"] = fileFingerprint(join(dir, classifierFile));  // trained on its latents
  }
  if (st.vaeEpochs > 0) {
    auto vae = makeVae(shape, 16, seed + 2);
    FitOptions fo = stageOptions("vae", st.vaeEpochs, batchSize, seed + 2, dev, progress, cancel);
    auto tv = Clock::now();
    double loss = trainVae(vae, data.train.images, fo);
    saveScript(vae, join(dir, "vae.pt"));
    mf.components["vae"] = "vae.pt";
    training["vae"] = {
        {"epochs", st.vaeEpochs}, {"latent_dim", 16}, {"final_loss", loss}, {"seconds", secondsSince(tv)}};
  }
  if (st.dvaeEpochs > 0) {
    DvaeOptions dopt;
    dopt.bits = st.dvaeBits;
    dopt.consistency = st.dvaeConsistency;
    dopt.classifier = &classifier;
    json record;
    torch::jit::Module dvae =
        fitDvae(zTrain, dopt, stageOptions("dvae", st.dvaeEpochs, 256, seed + 7, dev, progress, cancel), record);
    saveScript(dvae, join(dir, "dvae.pt"));
    mf.components["dvae"] = "dvae.pt";
    record["seed"] = seed;
    record["file"] = fileFingerprint(join(dir, "dvae.pt"));
    record["classifier"] = fileFingerprint(join(dir, classifierFile));
    training["dvae"] = record;
  }
  training["after_classifier_seconds"] = secondsSince(t0);  // latents, Laplace, decoder, VAE, DVAE
}

void writeManifestAndEvaluate(StagedDir& stage, Manifest& mf, const DatasetSplit& data, const torch::Device& dev,
                              std::ostream& log, json& summary) {
  recordFingerprints(mf, stage.path());  // every component and checkpoint, as written
  writeFileAtomic(join(stage.path(), "manifest.json"), serializeManifest(mf));
  Bundle b = loadBundle(stage.path(), dev);  // the same validation a later load does
  std::unique_ptr<Dataset> ood;
  if (!mf.defaultOod.empty()) {
    try {
      std::string note;
      ood = std::make_unique<Dataset>(loadOodFor(mf.defaultOod, mf.inputShape, &note));
      if (!note.empty()) log << "OOD set " << mf.defaultOod << ": " << note << " to the model's input\n";
    } catch (const Error& e) {
      log << "warning: OOD set '" << mf.defaultOod << "' not available, metrics without OOD: " << e.what() << "\n";
    }
  }
  json report;
  try {
    report = detail::evaluateBundle(b, data.test, ood.get(), mf.defaultOod, log);
    if (b.dvae)
      report["dvae"] = dvaeTable(
          b, *b.dvae, mapBatched(b.classifier, "encode", data.test.images, dev, 1024, b.componentPath("classifier")),
          data.test.labels);
  } catch (const ModelLoadError& e) {  // name the bundle's files where they will be, not the hidden stage
    std::string msg = e.what();
    for (size_t at; (at = msg.find(stage.path())) != std::string::npos;)
      msg.replace(at, stage.path().size(), stage.target());
    throw ModelLoadError(msg);
  }
  report["bundle"] = nullptr;
  for (auto& [name, h] : report["heads"].items())
    if (h.is_object()) h.erase("reliability");
  mf.metrics = report;
  writeFileAtomic(join(stage.path(), "manifest.json"), serializeManifest(mf));
  summary["metrics"] = report;
  log << formatEvalTable(report);
}

// `train --objective autoencoder|denoising-autoencoder|vae` (Crabbé and van der Schaar's pretext tasks): the
// encoder with its decoder in one module (encoder.pt), with TracIn's checkpoints; no classifier
// head, posterior, decoder stage, VAE, DVAE or ensemble. The manifest's metrics: the test set's
// mean per-image loss and reconstruction MSE.
json trainLabelFree(const TrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                    std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  const auto tStart = Clock::now();
  DatasetSplit data = loadNamedDataset(opt.dataset, opt.seed, opt.channels);
  warnSkipped(data, log);
  data.train = firstN(data.train, opt.limitTrain, opt.seed);
  const Shape3 shape = {data.train.images.size(1), data.train.images.size(2), data.train.images.size(3)};
  const double mean = data.train.images.mean().item<double>(),
               stdv = std::max(1e-3, data.train.images.std().item<double>());
  log << "dataset " << opt.dataset << ": " << data.train.size() << " train, " << data.test.size() << " test; objective "
      << opt.objective << " (label-free: the labels are not used); device " << dev << "\n";
  StagedDir stage(opt.out, opt.force);
  const fs::path dir(stage.path());
  Manifest mf;
  mf.dataset = datasetRecord(opt.dataset);
  mf.splitSeed = opt.seed;
  mf.classNames = data.train.classNames;  // for colouring by the true class; never used in training
  mf.inputShape = shape;
  mf.normMean = mean;
  mf.normStd = stdv;
  mf.latentDim = opt.latentDim;
  mf.defaultOod = defaultOodFor(opt.dataset);
  torch::jit::Module m = makeAutoencoder(shape, opt.latentDim, opt.objective, mean, stdv, opt.seed);
  FitOptions fo = stageOptions(opt.objective, opt.epochs, opt.batchSize, opt.seed, dev, progress, cancel);
  fo.lrDecayAt = 0.7;
  json checkpoints = json::array();
  if (opt.checkpointEvery > 0) {
    fs::create_directories(dir / "checkpoints");
    fo.onEpochEnd = [&](int epoch, double lr) {
      if (epoch % opt.checkpointEvery != 0 && epoch != opt.epochs) return;
      const std::string file = "checkpoints/encoder_epoch_" + std::to_string(epoch) + ".pt";
      saveScript(m, join(dir, file));
      checkpoints.push_back(
          {{"file", file}, {"epoch", epoch}, {"lr", lr}, {"fingerprint", fileFingerprint(join(dir, file))}});
    };
  }
  torch::Generator noise = at::detail::createCPUGenerator(opt.seed + 5);
  const torch::Tensor images = data.train.images, labels = data.train.labels;
  const auto tc = Clock::now();
  const double loss = detail::runEpochs(m, data.train.size(), fo, [&](const torch::Tensor& idx) {
    return objectiveLossPerExample(m, opt.objective, images.index_select(0, idx).to(dev),
                                   labels.index_select(0, idx).to(dev), &noise)
        .mean();
  });
  saveScript(m, join(dir, "encoder.pt"));
  mf.components["encoder"] = "encoder.pt";
  mf.components["decoder"] = "encoder.pt";
  json training = {{"objective", opt.objective},
                   {"seed", opt.seed},
                   {"epochs", opt.epochs},
                   {"batch_size", opt.batchSize},
                   {"optimizer", "adam"},
                   {"lr", 1e-3},
                   {"lr_schedule", "x0.1 after 70% of epochs"},
                   {"n_train", data.train.size()},
                   {"n_test", data.test.size()},
                   {"device", opt.device},
                   {"final_loss", loss},
                   {"seconds", secondsSince(tc)},
                   {"torch_version", TORCH_VERSION},
                   {"architecture", "conv3x3(32)-relu-maxpool, conv3x3(64)-relu-maxpool, linear(d)" +
                                        std::string(opt.objective == "vae" ? " (mu; and logvar)" : "-relu") +
                                        " | linear-relu, convT4x4(32)-relu, convT4x4(C)-sigmoid"}};
  if (opt.objective == "denoising-autoencoder") training["noise_sigma"] = kDenoisingSigma;
  if (!checkpoints.empty()) {
    training["checkpoints"] = checkpoints;
    training["checkpoints_of"] = fileFingerprint(join(dir, "encoder.pt"));
  }
  // The test latents' cache, and the test loss.
  const torch::Tensor zTest = mapBatched(m, "encode", data.test.images, dev, 1024, join(dir, "encoder.pt"));
  requireFiniteRows(zTest, "train", "latents", "test images", opt.out + "/encoder.pt");
  fs::create_directories(dir / "cache");
  saveLatentCache(join(dir / "cache", "latents_test.pt"), zTest,
                  latentCacheKey(join(dir, "encoder.pt"), imagesFingerprint(data.test.images), data.test.size()));
  double testLoss = 0, mse = 0;
  {
    torch::NoGradGuard ng;
    torch::Generator g = at::detail::createCPUGenerator(opt.seed + 6);
    for (int64_t s = 0; s < data.test.size(); s += 1000) {
      const int64_t e = std::min(data.test.size(), s + 1000);
      const torch::Tensor x = data.test.images.slice(0, s, e).to(dev), y = data.test.labels.slice(0, s, e).to(dev);
      testLoss += objectiveLossPerExample(m, opt.objective, x, y, &g).sum().item<double>();
      mse += (callTensor(m, "forward", x) - x).pow(2).flatten(1).mean(1).sum().item<double>();
    }
  }
  const double n = double(data.test.size());
  mf.metrics = {{"objective", opt.objective},
                {"test_loss", testLoss / n},
                {"reconstruction_mse", mse / n},
                {"dataset", opt.dataset}};
  training["cache"] = {{"latents_test", "cache/latents_test.pt"}};
  training["total_seconds"] = secondsSince(tStart);
  mf.training = training;
  recordFingerprints(mf, stage.path());
  writeFileAtomic(join(stage.path(), "manifest.json"), serializeManifest(mf));
  loadBundle(stage.path(), dev);  // the same validation a later load does
  checkCancel(cancel, "train");
  stage.commit();
  log << opt.objective << ": final training loss " << loss << ", test loss " << testLoss / n << ", reconstruction MSE "
      << mse / n << "\nwrote " << opt.out << "\n";
  return {{"out", opt.out}, {"training", training}, {"metrics", mf.metrics}};
}

}  // namespace

// Every numeric option in its range (model/option_ranges.h), and an output folder named.
void checkTrainOptions(const TrainOptions& opt) {
  if (opt.out.empty()) throw InputError("[train] --out is required");
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, double>>{{"epochs", opt.epochs},
                                                   {"latent-dim", double(opt.latentDim)},
                                                   {"seed", double(opt.seed)},
                                                   {"ensemble", opt.ensemble},
                                                   {"ensemble-epochs", opt.ensembleEpochs},
                                                   {"decoder-epochs", opt.decoderEpochs},
                                                   {"decoder-latent-weight", opt.decoderLatentWeight},
                                                   {"decoder-consistency-weight", opt.decoderConsistencyWeight},
                                                   {"dvae-consistency", opt.dvaeConsistency},
                                                   {"vae-epochs", opt.vaeEpochs},
                                                   {"dvae-epochs", opt.dvaeEpochs},
                                                   {"bits", double(opt.dvaeBits)},
                                                   {"batch-size", double(opt.batchSize)},
                                                   {"samples", double(opt.samples)},
                                                   {"limit-train", double(opt.limitTrain)},
                                                   {"threads", opt.threads}})
    checkTrainOption("train", name, value);
}

json runTrain(const TrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  checkTrainOptions(opt);
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  checkObjective(opt.objective, "train");
  checkOutputPath(opt.out, opt.force);
  if (isLabelFree(opt.objective)) return trainLabelFree(opt, progress, cancel, log);
  const auto tStart = Clock::now();
  DatasetSplit data = loadNamedDataset(opt.dataset, opt.seed, opt.channels);
  warnSkipped(data, log);
  data.train = firstN(data.train, opt.limitTrain, opt.seed);
  const Shape3 shape = {data.train.images.size(1), data.train.images.size(2), data.train.images.size(3)};
  noteLargeInput(shape, opt.vaeEpochs, log);
  const int64_t k = int64_t(data.train.classNames.size());
  const double mean = data.train.images.mean().item<double>(),
               stdv = std::max(1e-3, data.train.images.std().item<double>());
  log << "dataset " << opt.dataset << ": " << data.train.size() << " train, " << data.test.size() << " test, " << k
      << " classes, input " << shape[0] << "x" << shape[1] << "x" << shape[2]
      << (shape[0] == 3 ? " (colour)" : " (grey)") << "; device " << dev << "\n";

  StagedDir stage(opt.out, opt.force);
  const fs::path dir(stage.path());
  Manifest mf;
  mf.dataset = datasetRecord(opt.dataset);
  mf.splitSeed = opt.seed;
  mf.classNames = data.train.classNames;
  mf.inputShape = shape;
  mf.normMean = mean;
  mf.normStd = stdv;
  mf.latentDim = opt.latentDim;
  mf.defaultOod = defaultOodFor(opt.dataset);

  json training = {{"seed", opt.seed},
                   {"epochs", opt.epochs},
                   {"batch_size", opt.batchSize},
                   {"optimizer", "adam"},
                   {"lr", 1e-3},
                   {"lr_schedule", "x0.1 after 70% of epochs"},
                   {"weight_decay", 5e-4},
                   {"n_train", data.train.size()},
                   {"n_test", data.test.size()},
                   {"device", opt.device},
                   {"threads", torch::get_num_threads()},
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
  FitOptions clsFit = makeFit("classifier", opt.epochs, opt.seed);
  json checkpoints = json::array();
  if (opt.checkpointEvery < 0)
    throw InputError("[train] --checkpoint-every must be 0 (none) or more, got " + std::to_string(opt.checkpointEvery));
  if (opt.checkpointEvery > 0) {
    fs::create_directories(dir / "checkpoints");
    clsFit.onEpochEnd = [&](int epoch,
                            double lr) {  // TracIn's checkpoints theta_t with the lr of the epoch ending at t
      if (epoch % opt.checkpointEvery != 0 && epoch != opt.epochs) return;
      const std::string file = "checkpoints/classifier_epoch_" + std::to_string(epoch) + ".pt";
      saveScript(cls, join(dir, file));
      checkpoints.push_back(
          {{"file", file}, {"epoch", epoch}, {"lr", lr}, {"fingerprint", fileFingerprint(join(dir, file))}});
    };
  }
  double loss = trainClassifier(cls, data.train, clsFit);
  const double clsSecs = secondsSince(tc);
  training["classifier"] = {{"final_loss", loss}, {"seconds", clsSecs}, {"seconds_per_epoch", clsSecs / opt.epochs}};
  log << "classifier: " << std::fixed << std::setprecision(1) << clsSecs / opt.epochs << " s/epoch, final loss "
      << std::setprecision(4) << loss << "\n";
  saveScript(cls, join(dir, "classifier.pt"));
  mf.components["classifier"] = "classifier.pt";
  if (!checkpoints.empty()) {
    training["checkpoints"] = checkpoints;
    training["checkpoints_of"] =
        fileFingerprint(join(dir, "classifier.pt"));  // TracIn refuses them for another classifier
  }

  finishBundle(stage, cls, "classifier.pt", join(opt.out, "classifier.pt"), data, mf, dev, stagesOf(opt, opt.batchSize),
               progress, cancel, log, training);

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
    members.push_back({{"seed", opt.seed + 1000 + uint64_t(i)},
                       {"epochs", ensEpochs},
                       {"final_loss", l},
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

json runImport(const ImportOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
               std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  if (opt.out.empty()) throw InputError("[import] --out is required");
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, double>>{{"seed", double(opt.seed)},
                                                   {"decoder-epochs", opt.decoderEpochs},
                                                   {"decoder-latent-weight", opt.decoderLatentWeight},
                                                   {"decoder-consistency-weight", opt.decoderConsistencyWeight},
                                                   {"dvae-consistency", opt.dvaeConsistency},
                                                   {"vae-epochs", opt.vaeEpochs},
                                                   {"dvae-epochs", opt.dvaeEpochs},
                                                   {"bits", double(opt.dvaeBits)},
                                                   {"samples", double(opt.samples)},
                                                   {"limit-train", double(opt.limitTrain)}})
    checkTrainOption("import", name, value);
  checkOutputPath(opt.out, opt.force);
  DatasetSplit data = loadNamedDataset(opt.dataset, opt.seed, opt.channels);
  warnSkipped(data, log);
  data.train = firstN(data.train, opt.limitTrain, opt.seed);
  const Shape3 shape = {data.train.images.size(1), data.train.images.size(2), data.train.images.size(3)};
  noteLargeInput(shape, opt.vaeEpochs, log);
  const int64_t k = int64_t(data.train.classNames.size());
  torch::jit::Module user = loadScript(opt.model, dev, {"encode", "classify"});
  auto [d, kk] = validateClassifier(user, shape, k, dev, opt.model);
  (void)kk;
  {  // the dry run on the data itself: one latent per image, as many as images
    torch::NoGradGuard ng;
    const int64_t n = std::min<int64_t>(2, data.test.size());
    torch::Tensor z;
    try {
      z = callTensor(user, "encode", data.test.images.slice(0, 0, n).to(dev));
    } catch (const std::exception& e) {
      throw ModelLoadError("[import] encode() fails on the data's images (" + std::to_string(n) + "x" +
                           shapeText(data.test.images) + "): " + torchErrorSummary(e) + " (" + opt.model + ")");
    }
    if (z.dim() != 2 || z.size(0) != n || z.size(1) != d)
      throw ModelLoadError("[import] encode() on " + std::to_string(n) + " of the data's images (" +
                           shapeText(data.test.images) + ") must give " + std::to_string(n) + " latents of size " +
                           std::to_string(d) + ", one per image (" + opt.model + ")");
  }
  log << "data " << opt.dataset << ": " << data.train.size() << " train, " << data.test.size() << " test, images "
      << shapeText(data.train.images) << (shape[0] == 3 ? " (colour)" : " (grey)") << "\n";
  log << "imported " << opt.model << ": d=" << d << ", K=" << k << (hasMethod(user, "decode") ? ", has decode()" : "")
      << "\n";
  StagedDir stage(opt.out, opt.force);
  const fs::path dir(stage.path());
  // Copy the user's file byte for byte: the bundle loads exactly what the user exported.
  writeFileAtomic(join(dir, "classifier.pt"), readFileChecked(opt.model, caps::kModel, "TorchScript model"));
  Manifest mf;
  mf.dataset = datasetRecord(opt.dataset);
  mf.splitSeed = opt.seed;
  mf.classNames = data.train.classNames;
  mf.inputShape = shape;
  const double mean = data.train.images.mean().item<double>();
  mf.normMean = mean;  // informational: normalisation happens inside the user's encode()
  mf.normStd = data.train.images.std().item<double>();
  mf.latentDim = d;
  mf.components["classifier"] = "classifier.pt";
  mf.defaultOod = defaultOodFor(opt.dataset);
  json training = {{"imported_from", fs::absolute(opt.model).string()},
                   {"seed", opt.seed},
                   {"n_train", data.train.size()},
                   {"device", opt.device}};
  finishBundle(stage, user, "classifier.pt", opt.model, data, mf, dev, stagesOf(opt, 128), progress, cancel, log,
               training);
  training["cache"] = {{"latents_test", "cache/latents_test.pt"}};
  mf.training = training;
  json summary = {{"out", opt.out}, {"training", training}};
  writeManifestAndEvaluate(stage, mf, data, dev, log, summary);
  stage.commit();
  log << "wrote " << opt.out << "\n";
  return summary;
}

}  // namespace latentlab
