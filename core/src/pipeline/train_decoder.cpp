// `latentlab train-decoder BUNDLE`: trains the bundle's decoder g again over its training latents
// with the terms of DecoderLoss, and replaces decoder.pt. Only decoder.pt and manifest.json change,
// each written atomically. Also the decoder's record and report, which train, import and eval share.
#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <map>

#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/manifest.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/model/option_ranges.h"
#include "latentlab/model/train_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "pipeline/pipeline_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace detail {

json decoderRecord(const DecoderLoss& terms, int epochs, double finalLoss, double seconds) {
  return {{"epochs", epochs},
          {"final_loss", finalLoss},
          {"latent_weight", terms.latentWeight},
          {"consistency_weight", terms.consistencyWeight},
          {"off_manifold", terms.offManifold},
          {"loss", "BCE(g(z), x) + latent_weight * |phi(g(z)) - z|^2 + consistency_weight * KL(f(z) || f(phi(g(z))))"},
          {"seconds", seconds}};
}

json decoderReport(const torch::jit::Module& decoder, const torch::jit::Module& classifier, const torch::Tensor& z,
                   const torch::Tensor& images, const torch::Device& dev, const std::string& decoderFile,
                   const std::string& classifierFile) {
  torch::NoGradGuard ng;
  torch::Tensor xr = mapBatched(decoder, "decode", z, dev, 1024, decoderFile);
  requireFiniteRows(xr, "eval", "decoded images", "test latents", decoderFile);
  const double mse = (xr - images).pow(2).mean().item<double>();
  torch::Tensor predOrig = mapBatched(classifier, "classify", z, dev, 1024, classifierFile).argmax(1);
  torch::Tensor predRec = mapBatched(classifier, "forward", xr, dev, 1024, classifierFile).argmax(1);
  return {{"mse", mse}, {"agreement", predOrig.eq(predRec).to(torch::kFloat64).mean().item<double>()}};
}

}  // namespace detail

using detail::join;
using detail::latentsOf;

namespace {

// The manifest with the new decoder: its fingerprint, training record and figures, and the
// figures of the decoder it replaced. Written atomically.
void writeDecoderManifest(Manifest mf, const std::string& manifestPath, const std::string& target, const json& before,
                          const json& after, const json& training) {
  mf.components["decoder"] = "decoder.pt";
  if (!mf.fingerprints.empty()) mf.fingerprints["decoder"] = fileFingerprint(target);
  mf.metrics["decoder"] = after;
  if (!before.is_null()) {
    json prev = before;
    const json old = mf.training.value("decoder", json());
    prev["consistency_weight"] = old.is_object() ? old.value("consistency_weight", 0.0) : 0.0;
    prev["latent_weight"] = old.is_object() ? old.value("latent_weight", json()) : json();
    prev["epochs"] = old.is_object() ? old.value("epochs", json()) : json();
    mf.metrics["decoder_previous"] = prev;
  }
  mf.training["decoder"] = training;
  writeFileAtomic(manifestPath, serializeManifest(mf));
}

}  // namespace

json runTrainDecoder(const DecoderTrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                     std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, double>>{{"epochs", opt.epochs},
                                                   {"latent-weight", opt.latentWeight},
                                                   {"consistency-weight", opt.consistencyWeight},
                                                   {"batch-size", double(opt.batchSize)},
                                                   {"seed", double(opt.seed)},
                                                   {"limit-train", double(opt.limitTrain)}})
    checkTrainOption("train-decoder", name, value);
  std::string dir = opt.bundle;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw BundleError("[train-decoder] not a directory (" + dir + ")");
  const std::string manifestPath = join(dir, "manifest.json");
  Manifest mf = parseManifest(readFileChecked(manifestPath, caps::kManifest, "manifest"), manifestPath);
  if (!mf.has("classifier"))
    throw BundleError("[train-decoder] the bundle has no classifier (" + dir +
                      "): a label-free encoder comes with its own decoder, and LatentLab trains a decoder only beside "
                      "a classifier");
  if (!mf.training.is_object() || !mf.metrics.is_object())
    throw BundleError("[train-decoder] the manifest's \"training\" or \"metrics\" is not an object (" + manifestPath +
                      ")");
  if (mf.has("decoder") && mf.components.at("decoder") == mf.components.at("classifier"))
    throw BundleError(
        "[train-decoder] the model has its own decode() (" + join(dir, mf.components.at("classifier")) +
        ") or is a label-free encoder with its decoder; LatentLab trains a decoder only beside a classifier");
  const std::string target = join(dir, "decoder.pt");
  if (mf.has("decoder") && !opt.force)
    throw BundleError("[train-decoder] the bundle already has a decoder (" + join(dir, mf.components.at("decoder")) +
                      "); pass --force to replace it");
  if (fs::exists(target, ec) && !opt.force && !mf.has("decoder"))
    throw BundleError("[train-decoder] " + target +
                      " exists (the manifest does not name it); pass --force to replace it");
  detail::checkComponentWritable(dir, "decoder.pt", "decoder", "train-decoder");
  BundleParts parts;
  parts.vae = parts.ensemble = parts.dvae = false;
  Bundle b = loadBundle(dir, dev, parts);
  DatasetSplit data = loadManifestDataset(mf);
  if (data.train.classNames != mf.classNames)
    throw BundleError("[train-decoder] the dataset's classes differ from the bundle's (" + dir + ")");
  log << "train-decoder: " << opt.epochs << " epochs, latent weight " << opt.latentWeight << ", consistency weight "
      << opt.consistencyWeight << (opt.offManifold ? ", also off the training latents" : "") << "; device " << dev
      << "\n";
  torch::Tensor zTrain = latentsOf(b, data.train, "latents_train.pt");
  torch::Tensor xTrain = data.train.images;
  if (opt.limitTrain > 0 && opt.limitTrain < zTrain.size(0)) {
    zTrain = zTrain.slice(0, 0, opt.limitTrain);
    xTrain = xTrain.slice(0, 0, opt.limitTrain);
  }
  const torch::Tensor zTest = latentsOf(b, data.test, "latents_test.pt");
  const std::string classifierFile = b.componentPath("classifier");
  json before = b.decoder ? detail::decoderReport(*b.decoder, b.classifier, zTest, data.test.images, dev,
                                                  b.componentPath("decoder"), classifierFile)
                          : json(nullptr);
  checkCancel(cancel, "train-decoder");
  if (opt.fromCurrent && !b.decoder)
    throw BundleError("[train-decoder] --from-current fine-tunes the bundle's decoder, and it has none (" + dir + ")");
  torch::jit::Module dec = makeDecoder(mf.inputShape, b.latentDim(), opt.seed + 1);
  if (opt.fromCurrent) {  // the earlier decoder's weights into a fresh one of the same architecture
    std::map<std::string, torch::Tensor> old;
    for (const auto& p : b.decoder->named_parameters()) old[p.name] = p.value;
    torch::NoGradGuard ng;
    for (const auto& p : dec.named_parameters()) {
      const auto it = old.find(p.name);
      if (it == old.end() || !it->second.sizes().equals(p.value.sizes()))
        throw BundleError(
            "[train-decoder] --from-current: the bundle's decoder is not the architecture LatentLab "
            "trains (its parameter " +
            p.name + " is missing or of another shape) (" + b.componentPath("decoder") + ")");
      p.value.copy_(it->second.to(p.value.device(), p.value.scalar_type()));
    }
  }
  FitOptions fo;
  fo.stage = "decoder";
  fo.epochs = opt.epochs;
  fo.batchSize = opt.batchSize;
  fo.seed = opt.seed + 1;
  fo.device = dev;
  fo.progress = progress;
  fo.cancel = cancel;
  DecoderLoss terms;
  terms.encoder = &b.classifier;
  terms.latentWeight = opt.latentWeight;
  terms.consistencyWeight = opt.consistencyWeight;
  terms.offManifold = opt.offManifold;
  const auto t0 = detail::Clock::now();
  const double loss = trainDecoder(dec, zTrain, xTrain, fo, terms);
  json training = detail::decoderRecord(terms, opt.epochs, loss, detail::secondsSince(t0));
  checkCancel(cancel, "train-decoder");
  const json after = detail::decoderReport(dec, b.classifier, zTest, data.test.images, dev, target, classifierFile);
  training["seed"] = opt.seed;
  training["n_train"] = zTrain.size(0);
  // Fine-tuned: the epochs came after the earlier decoder's own (its record is decoder_previous's).
  training["from"] = opt.fromCurrent ? "the earlier decoder (fine-tuned)" : "a fresh decoder";
  if (opt.fromCurrent) training["fine_tuned_from"] = mf.training.value("decoder", json());
  training["classifier"] = fileFingerprint(classifierFile);
  // decoder.pt first, then the manifest that names it; the earlier decoder.pt comes back if that fails.
  detail::replaceComponent(
      target, "decoder", [&] { saveScript(dec, target); },
      [&] { writeDecoderManifest(mf, manifestPath, target, before, after, training); });
  auto show = [](const json& r) {
    if (r.is_null()) return std::string("none");
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << "agreement " << 100 * r["agreement"].get<double>() << "%, MSE "
      << std::setprecision(4) << r["mse"].get<double>();
    return s.str();
  };
  log << "decoder on the test set: before " << show(before) << "; after " << show(after) << "\n";
  if (!before.is_null() && after["agreement"].get<double>() < before["agreement"].get<double>())
    log << "warning: the new decoder agrees with the classifier less often than the one it replaced; the earlier "
           "one's figures stay in the manifest as decoder_previous\n";
  log << "wrote " << target << "\n";
  return {{"bundle", dir}, {"training", training}, {"before", before}, {"after", after}};
}

}  // namespace latentlab
