// `latentlab train-dvae BUNDLE`: adds a DVAE over z (Gat et al. 2022) to an existing bundle, LatentLab's
// own or imported. Only dvae.pt and manifest.json change, each written atomically.
#include <torch/torch.h>

#include <filesystem>
#include <iomanip>

#include "latentlab/concepts/concepts_torch.h"
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

using detail::join;
using detail::latentsOf;

namespace {

// Gat et al.'s Table 2: the generator g trained on phi' = D(bits(phi)) (the DVAE fixed), once
// without and once with the regulariser 1 - cos(I(g) at phi', I(f) at phi) on 4 anchors of each
// batch; for each, the cosine on 200 test points. f is the classifier's class probabilities.
json fisherTable(const Bundle& b, const torch::jit::Module& dvae, const DatasetSplit& data, const torch::Tensor& zTrain,
                 const torch::Tensor& zTest, const DvaeTrainOptions& opt, const ProgressFn& progress,
                 const std::atomic<bool>* cancel, std::ostream& log) {
  const torch::Device dev = b.device;
  const torch::Tensor zp = mapBatched(dvae, "forward", zTrain, dev, 4096);
  const torch::Tensor x = data.train.images.slice(0, 0, zTrain.size(0));
  const int64_t nt = std::min<int64_t>(200, zTest.size(0));
  const torch::Tensor zt = zTest.slice(0, 0, nt).to(dev), zpt = mapBatched(dvae, "forward", zt, dev, 4096).to(dev);
  const torch::jit::Module cls = b.classifier;
  const LatentFn f = [cls](const torch::Tensor& z) { return torch::softmax(callTensor(cls, "classify", z), 1); };
  const Shape3 shape = b.manifest.inputShape;
  json out = {{"measure", "cos(I(g) at phi', I(f) at phi), 200 test points, 2 draws each"},
              {"generator_epochs", opt.generatorEpochs},
              {"fisher_weight", opt.fisherWeight},
              {"n_train", zTrain.size(0)}};
  for (double w : {0.0, opt.fisherWeight}) {
    torch::jit::Module gen = makeDecoder(shape, b.latentDim(), opt.seed + 11);
    gen.to(dev);
    auto decode = gen.get_method("decode");
    const LatentFn g = [decode](const torch::Tensor& z) mutable { return decode({z}).toTensor().flatten(1); };
    auto rng = at::detail::createCPUGenerator(opt.seed + 13);
    std::function<torch::Tensor(const torch::Tensor&)> reg;
    if (w > 0)
      reg = [&](const torch::Tensor& idx) {
        const torch::Tensor a = idx.slice(0, 0, 4);
        torch::Tensor ig = functionalFisher(g, zp.index_select(0, a).to(dev), 1, rng);
        torch::Tensor iff;
        {
          torch::NoGradGuard ng;
          iff = functionalFisher(f, zTrain.index_select(0, a).to(dev), 1, rng);
        }
        return w * (1 - torch::cosine_similarity(ig.unsqueeze(0), iff.unsqueeze(0), 1, 1e-12).squeeze());
      };
    FitOptions fo;
    fo.stage = w > 0 ? "generator on phi' + Fisher" : "generator on phi'";
    fo.epochs = opt.generatorEpochs;
    fo.batchSize = 128;
    fo.seed = opt.seed + 11;
    fo.device = dev;
    fo.progress = progress;
    fo.cancel = cancel;
    DecoderLoss terms;
    terms.regulariser = reg;
    trainDecoder(gen, zp, x, fo, terms);
    const double c = fisherCosine(g, zpt, f, zt, 2, opt.seed + 17);
    out[w > 0 ? "cosine_with" : "cosine_without"] = c;
    log << "Table 2: cos(I(g), I(f)) " << (w > 0 ? "with" : "without") << " the Fisher regulariser: " << c << "\n";
  }
  return out;
}

}  // namespace

json runTrainDvae(const DvaeTrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                  std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, double>>{{"bits", double(opt.bits)},
                                                   {"epochs", opt.epochs},
                                                   {"beta", opt.beta},
                                                   {"consistency", opt.consistency},
                                                   {"batch-size", double(opt.batchSize)},
                                                   {"seed", double(opt.seed)},
                                                   {"limit-train", double(opt.limitTrain)},
                                                   {"generator-epochs", opt.generatorEpochs},
                                                   {"fisher-weight", opt.fisherWeight}})
    checkTrainOption("train-dvae", name, value);
  std::string dir = opt.bundle;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw BundleError("[train-dvae] not a directory (" + dir + ")");
  const std::string manifestPath = join(dir, "manifest.json");
  Manifest mf = parseManifest(readFileChecked(manifestPath, caps::kManifest, "manifest"), manifestPath);
  const std::string target = join(dir, "dvae.pt");
  if (mf.has("dvae") && !opt.force) {
    const std::string named = join(dir, mf.components.at("dvae"));
    throw BundleError("[train-dvae] the bundle already has a DVAE (" + named +
                      (fs::exists(named, ec) ? "" : ", named in the manifest but missing") +
                      "); pass --force to replace it");
  }
  if (fs::exists(target, ec) && !opt.force && !fs::is_directory(target, ec))
    throw BundleError("[train-dvae] " + target + " exists (the manifest does not name it); pass --force to replace it");
  detail::checkComponentWritable(dir, "dvae.pt", "DVAE", "train-dvae");
  if (!mf.has("classifier"))
    throw BundleError("[train-dvae] the bundle has no classifier (" + dir +
                      "): its encoder was trained without labels, and the DVAE's table needs a prediction");
  if (!mf.training.is_object() || !mf.metrics.is_object())
    throw BundleError("[train-dvae] the manifest's \"training\" or \"metrics\" is not an object (" + manifestPath +
                      ")");
  BundleParts parts;
  parts.vae = parts.ensemble = parts.dvae = false;
  Bundle b = loadBundle(dir, dev, parts);
  if (b.labelFree())
    throw BundleError("[train-dvae] the bundle's encoder was trained without labels (" + dir +
                      "): the DVAE's table needs a prediction");
  if (opt.comparePlain && opt.consistency <= 0)
    log << "train-dvae: --compare-plain compares against the plain objective, which --consistency 0 already is: "
           "nothing to compare\n";
  DatasetSplit data = loadManifestDataset(mf);
  if (data.train.classNames != mf.classNames)
    throw BundleError("[train-dvae] the dataset's classes differ from the bundle's (" + dir + ")");
  log << "train-dvae: " << opt.bits << " bits over d=" << b.latentDim() << ", " << opt.epochs << " epochs, beta "
      << opt.beta << "; device " << dev << "\n";
  torch::Tensor zTrain = latentsOf(b, data.train, "latents_train.pt");
  if (opt.limitTrain > 0 && opt.limitTrain < zTrain.size(0)) zTrain = zTrain.slice(0, 0, opt.limitTrain);
  checkCancel(cancel, "train-dvae");
  DvaeOptions dopt;
  dopt.bits = opt.bits;
  dopt.beta = opt.beta;
  dopt.consistency = opt.consistency;
  dopt.classifier = &b.classifier;
  FitOptions fo;
  fo.stage = "dvae";
  fo.epochs = opt.epochs;
  fo.batchSize = opt.batchSize;
  fo.seed = opt.seed + 7;
  fo.device = dev;
  fo.progress = progress;
  fo.cancel = cancel;
  json training;
  torch::jit::Module dvae = fitDvae(zTrain, dopt, fo, training);
  checkCancel(cancel, "train-dvae");
  torch::Tensor zTest = latentsOf(b, data.test, "latents_test.pt");
  json table = dvaeTable(b, dvae, zTest, data.test.labels);
  checkCancel(cancel, "train-dvae");
  json plain = nullptr;
  if (opt.comparePlain && opt.consistency > 0) {
    DvaeOptions popt = dopt;
    popt.consistency = 0;
    json record;
    plain = dvaeTable(b, fitDvae(zTrain, popt, fo, record), zTest, data.test.labels);
    plain["training"] = record;
    checkCancel(cancel, "train-dvae");
  }
  if (opt.generatorEpochs > 0)
    training["table2"] = fisherTable(b, dvae, data, zTrain, zTest, opt, progress, cancel, log);
  // dvae.pt first, then the manifest that names it; the earlier dvae.pt comes back if that fails.
  training["seed"] = opt.seed;
  training["classifier"] = fileFingerprint(b.componentPath("classifier"));
  detail::replaceComponent(
      target, "DVAE", [&] { saveScript(dvae, target); },
      [&] {
        training["file"] = fileFingerprint(target);
        mf.components["dvae"] = "dvae.pt";
        if (!mf.fingerprints.empty()) mf.fingerprints["dvae"] = training["file"].get<std::string>();
        mf.training["dvae"] = training;
        mf.metrics["dvae"] = table;
        if (opt.comparePlain)
          mf.metrics["dvae_plain"] = plain;
        else
          mf.metrics.erase("dvae_plain");  // it described the DVAE this one replaces
        writeFileAtomic(manifestPath, serializeManifest(mf));
      });
  log << formatDvaeTable(table);
  log << "wrote " << join(dir, "dvae.pt") << "\n";
  if (!plain.is_null()) log << "the seed's plain objective (not kept):\n" << formatDvaeTable(plain);
  return {{"bundle", dir}, {"training", training}, {"dvae", table}, {"dvae_plain", plain}};
}

}  // namespace latentlab
