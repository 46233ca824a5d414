#include "latentlab/concepts/concepts_torch.h"
#include "latentlab/model/bundle_torch.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab {

torch::Tensor Bundle::encode(const torch::Tensor& x) const { return callTensor(classifier, "encode", x.to(device)); }
torch::Tensor Bundle::classify(const torch::Tensor& z) const {
  if (labelFree())
    throw BundleError("[bundle] this bundle's encoder was trained without labels (" + objective +
                      "): it has no classifier (" + dir + ")");
  return callTensor(classifier, "classify", z.to(device));
}
torch::Tensor Bundle::decode(const torch::Tensor& z) const {
  if (!decoder) throw BundleError("[bundle] has no decoder (" + dir + ")");
  return callTensor(*decoder, "decode", z.to(device));
}

std::string Bundle::componentPath(const std::string& name) const {
  auto it = manifest.components.find(name);
  return (fs::path(dir) / (it == manifest.components.end() ? name + ".pt" : it->second)).string();
}

BllHead Bundle::head(HeadMode mode) const {
  if (labelFree())
    throw BundleError("[bundle] this bundle's encoder was trained without labels (" + objective +
                      "): it has no classifier head, "
                      "so no predictions or uncertainties (" +
                      dir + ")");
  if (mode == HeadMode::Deterministic) {
    if (headW.defined()) return BllHead::deterministicLinear(headW, headB, device);
    torch::jit::Module m = classifier;
    return BllHead::deterministic([m](const torch::Tensor& z) { return callTensor(m, "classify", z); }, numClasses());
  }
  if (!laplace) throw BundleError("[bundle] has no Laplace posterior (classify is not linear?) (" + dir + ")");
  return BllHead::laplace(*laplace, mode, device);
}

bool extractAffineHead(const torch::jit::Module& m, int64_t d, const torch::Device& device, torch::Tensor& W,
                       torch::Tensor& b) {
  torch::NoGradGuard ng;
  torch::Tensor probe = torch::cat({torch::zeros({1, d}), torch::eye(d)}).to(device);
  torch::Tensor out = callTensor(m, "classify", probe).to(torch::kCPU, torch::kFloat64);
  torch::Tensor bb = out[0], ww = (out.slice(0, 1) - bb).t();  // [K, d]
  auto gen = at::detail::createCPUGenerator(99);
  torch::Tensor z = torch::rand({16, d}, gen, torch::kFloat32).mul_(4.0f);
  torch::Tensor f = callTensor(m, "classify", z.to(device)).to(torch::kCPU, torch::kFloat64);
  torch::Tensor lin = torch::matmul(z.to(torch::kFloat64), ww.t()) + bb;
  const double err = (f - lin).abs().max().item<double>(), scale = f.abs().max().item<double>() + 1.0;
  if (!(err <= 1e-4 * scale)) return false;
  W = ww.to(torch::kFloat32);
  b = bb.to(torch::kFloat32);
  return true;
}

namespace {

// The manifest's fingerprint of component `name` against `found`; "" when they agree (or the bundle
// records none at all: one from before fingerprints), else what is wrong, naming the file.
// Components are keyed by their name, so a manifest edited to name another file for a component
// (an ensemble member as the classifier) is refused too.
std::string fingerprintProblem(const Manifest& mf, const std::string& name, const std::string& found,
                               const std::string& path) {
  if (mf.fingerprints.empty()) return "";
  auto it = mf.fingerprints.find(name);
  if (it == mf.fingerprints.end())
    return path + " (" + name +
           ") has no fingerprint in the manifest, which records one for every file it was made with";
  if (it->second == found) return "";
  return path + " is not the file this bundle was made with as its " + name + ": the manifest records " + it->second +
         ", the file is " + found +
         " (copied from another bundle, replaced or damaged); put the bundle's own file back, train again, or run "
         "`latentlab verify " +
         fs::path(path).parent_path().string() + " --record` if you replaced it on purpose";
}

}  // namespace

torch::jit::Module loadComponent(const Bundle& b, const std::string& name, const torch::Device& device,
                                 const std::vector<std::string>& methods) {
  const std::string path = b.componentPath(name);
  return loadScript(path, device, methods, [&](const std::string& found) {
    if (const std::string why = fingerprintProblem(b.manifest, name, found, path); !why.empty())
      throw ModelLoadError("[bundle] " + why);
  });
}

void loadVae(Bundle& b) {
  if (b.vae) return;
  if (!b.vaeProblem.empty()) throw BundleError("[clue] vae-clue: " + b.vaeProblem);
  if (!b.manifest.has("vae"))
    throw BundleError("[clue] vae-clue needs the bundle's VAE, and it has none (" + b.dir + ")");
  try {
    torch::jit::Module m = loadComponent(b, "vae", b.device, {"encode", "decode"});
    validateVae(m, b.manifest.inputShape, b.device, b.componentPath("vae"));
    b.vae = m;
  } catch (const Error& e) {
    b.vaeProblem = std::string(e.what()) + "; the VAE is left out";
    throw BundleError("[clue] vae-clue: " + b.vaeProblem);
  }
}

void recordFingerprints(Manifest& mf, const std::string& dir) {
  mf.fingerprints.clear();
  auto of = [&](const std::string& rel) {
    std::string why;
    const std::string f = fileFingerprint((fs::path(dir) / rel).string(), &why);
    if (f.empty()) throw BundleError("[bundle] cannot record the fingerprint of " + rel + ": " + why);
    return f;
  };
  for (const auto& [name, file] : mf.components) mf.fingerprints[name] = of(file);
  nlohmann::json& tr = mf.training;
  if (tr.is_object() && tr.contains("checkpoints") && tr["checkpoints"].is_array())
    for (auto& c : tr["checkpoints"])
      if (c.is_object() && c.contains("file") && c["file"].is_string()) {
        const std::string rel = fs::path(c["file"].get<std::string>()).lexically_normal().string();
        c["fingerprint"] = mf.fingerprints[rel] = of(rel);
      }
  // The DVAE's record of its own file follows it (what it was trained on, the classifier's
  // fingerprint in training.dvae.classifier and training.checkpoints_of, is a fact, and stays).
  if (tr.is_object() && tr.contains("dvae") && tr["dvae"].is_object() && mf.has("dvae"))
    tr["dvae"]["file"] = mf.fingerprints["dvae"];
}

namespace {

// The DVAE, the VAE and the ensemble: one that is not the bundle's own or fails its dry run is
// left out, and the reason kept for whoever asks for it; the rest of the bundle loads.
void loadOptionalParts(Bundle& bd, const BundleParts& parts, int64_t d, int64_t k) {
  const Manifest& mf = bd.manifest;
  const std::string& dir = bd.dir;
  const torch::Device device = bd.device;
  auto file = [&](const std::string& comp) { return (fs::path(dir) / mf.components.at(comp)).string(); };
  if (parts.dvae && mf.has("dvae")) {
    const std::string p = file("dvae");
    // LatentLab's own DVAE also records the fingerprint of the classifier it was trained on: a
    // dvae.pt left from a replaced classifier is stale.
    const nlohmann::json rec = mf.training.is_object() ? mf.training.value("dvae", nlohmann::json()) : nlohmann::json();
    std::string unreadable;
    const std::string found = fileFingerprint(p, &unreadable);
    if (found.empty())
      bd.dvaeProblem = unreadable;
    else if (rec.is_object() && rec.contains("file") && rec["file"].is_string() && rec["file"] != found)
      bd.dvaeProblem =
          "the DVAE file is not the one trained for this bundle (its fingerprint differs from the "
          "manifest's); train one with `latentlab train-dvae " +
          dir + " --force` (" + p + ")";
    else if (rec.is_object() && rec.contains("classifier") && rec["classifier"].is_string() &&
             rec["classifier"] != fileFingerprint(file("classifier")))
      bd.dvaeProblem =
          "the DVAE was trained on another classifier's latents; train it again with "
          "`latentlab train-dvae " +
          dir + " --force` (" + p + ")";
    if (bd.dvaeProblem.empty()) try {
        torch::jit::Module m = loadComponent(bd, "dvae", device, {"logits", "bits", "decode"});
        bd.dvaeBits = validateDvae(m, d, device, p);
        bd.dvae = m;
      } catch (const Error& e) {
        bd.dvaeProblem = e.what();
      }
  }
  if (parts.vae && mf.has("vae")) try {
      loadVae(bd);
    } catch (const Error&) {
      // vaeProblem says why; vae-clue reports it
    }
  for (int i = 0; parts.ensemble && i < mf.ensembleSize(); ++i) {
    const std::string p = file("ensemble_" + std::to_string(i));
    try {
      torch::jit::Module m =
          loadComponent(bd, "ensemble_" + std::to_string(i), device, {"forward", "encode", "classify"});
      validateClassifier(m, mf.inputShape, k, device, p);
      bd.ensemble.push_back(m);
    } catch (const Error& e) {
      bd.ensemble.clear();  // the ensemble is all its members or none
      bd.ensembleProblem = std::string(e.what()) + "; the ensemble is left out";
      break;
    }
  }
}

}  // namespace

Bundle loadBundle(const std::string& dir, const torch::Device& device, BundleParts parts) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw BundleError("[bundle] not a directory (" + dir + ")");
  const std::string manifestPath = (fs::path(dir) / "manifest.json").string();
  if (!fs::exists(manifestPath, ec)) throw BundleError("[bundle] no manifest.json (" + manifestPath + ")");
  Bundle bd;
  bd.dir = dir;
  bd.device = device;
  bd.manifest = parseManifest(readFileChecked(manifestPath, caps::kManifest, "manifest"), manifestPath);
  const Manifest& mf = bd.manifest;
  auto file = [&](const std::string& comp) { return (fs::path(dir) / mf.components.at(comp)).string(); };
  if (mf.training.is_object() && mf.training.contains("objective")) {
    const nlohmann::json& o = mf.training["objective"];
    bd.objective = o.is_string() ? o.get<std::string>() : o.dump();
    if (bd.objective != "classifier" && bd.objective != "autoencoder" && bd.objective != "denoising-autoencoder" &&
        bd.objective != "vae")
      throw BundleError("[bundle] training.objective is '" + clipForMessage(bd.objective, 40) +
                        "'; it must be classifier, "
                        "autoencoder, denoising-autoencoder or vae (" +
                        manifestPath + ")");
    if (bd.labelFree() && mf.has("classifier"))
      throw BundleError("[bundle] training.objective is " + bd.objective +
                        " (label-free), but the components name a "
                        "classifier; a label-free bundle has components.encoder instead (" +
                        manifestPath + ")");
  }
  if (!mf.has("classifier") || bd.labelFree()) {  // a label-free bundle: the encoder and its decoder, nothing else
    if (!mf.has("encoder") || !bd.labelFree())
      throw BundleError(
          "[bundle] a bundle without a classifier must be a label-free one: components.encoder and "
          "training.objective (autoencoder, denoising-autoencoder or vae) (" +
          manifestPath + ")");
    const std::string p = file("encoder");
    bd.classifier = loadComponent(bd, "encoder", device, {"encode", "decode"});
    torch::NoGradGuard ng;
    const torch::Tensor probe = torch::rand({2, mf.inputShape[0], mf.inputShape[1], mf.inputShape[2]}).to(device);
    torch::Tensor z;
    try {
      z = callTensor(bd.classifier, "encode", probe);
    } catch (const std::exception& e) {
      throw ModelLoadError("[bundle] encode() fails on images of the manifest's input shape: " + torchErrorSummary(e) +
                           " (" + p + ")");
    }
    if (z.dim() != 2 || z.size(0) != 2 || z.size(1) != mf.latentDim || !torch::isfinite(z).all().item<bool>())
      throw ModelLoadError("[bundle] encode() must give finite latents [N, " + std::to_string(mf.latentDim) + "] (" +
                           p + ")");
    validateDecoder(bd.classifier, mf.latentDim, mf.inputShape, device, p);
    bd.decoder = bd.classifier;
    return bd;
  }
  // Required: the classifier, and the decoder and posterior the manifest names (everything is shown
  // through them): a file that is not the bundle's own refuses the bundle.
  const std::string clsPath = file("classifier");
  bd.classifier = loadComponent(bd, "classifier", device, {"encode", "classify"});
  auto [d, k] = validateClassifier(bd.classifier, mf.inputShape, bd.numClasses(), device, clsPath);
  if (d != mf.latentDim)
    throw BundleError("[bundle] manifest says d=" + std::to_string(mf.latentDim) +
                      ", encoder gives d=" + std::to_string(d) + " (" + clsPath + ")");
  extractAffineHead(bd.classifier, d, device, bd.headW, bd.headB);
  // The posterior and the decoder record the classifier they were made for (as the DVAE does): with
  // another classifier (a swapped file recorded by verify --record) they would be wrong in silence.
  for (const char* part : {"laplace", "decoder"}) {
    const nlohmann::json rec = mf.training.is_object() ? mf.training.value(part, nlohmann::json()) : nlohmann::json();
    if (mf.has(part) && rec.is_object() && rec.contains("classifier") && rec["classifier"].is_string() &&
        rec["classifier"] != fileFingerprint(clsPath))
      throw ModelLoadError(std::string("[bundle] the ") + (part == std::string("laplace") ? "posterior" : "decoder") +
                           " (" + file(part) + ") was made for another classifier than " + clsPath +
                           " (the manifest records " + rec["classifier"].get<std::string>() +
                           "); train the bundle again for this classifier, or import it with `latentlab import`");
  }

  if (mf.has("decoder")) {
    const std::string p = file("decoder");
    if (mf.components.at("decoder") == mf.components.at("classifier")) {
      if (!hasMethod(bd.classifier, "decode")) throw ModelLoadError("[bundle] classifier has no decode() (" + p + ")");
      bd.decoder = bd.classifier;
    } else {
      bd.decoder = loadComponent(bd, "decoder", device, {"decode"});
      validateDecoder(*bd.decoder, d, mf.inputShape, device, p);
    }
  }
  if (mf.has("laplace")) {
    const std::string p = file("laplace");
    bd.laplace = laplaceFromModule(loadComponent(bd, "laplace", torch::kCPU, {}), p);
    if (bd.laplace->latentDim() != d || bd.laplace->numClasses() != k)
      throw ModelLoadError("[bundle] posterior is for d=" + std::to_string(bd.laplace->latentDim()) +
                           ", K=" + std::to_string(bd.laplace->numClasses()) +
                           "; the classifier has d=" + std::to_string(d) + ", K=" + std::to_string(k) + " (" + p + ")");
  }
  loadOptionalParts(bd, parts, d, k);
  return bd;
}

std::string fileFingerprint(const std::string& path, std::string* why) {
  try {  // about 1 ms a megabyte
    return bytesFingerprint(readFileChecked(path, caps::kModel, "file"));
  } catch (const Error& e) {
    if (why) *why = e.what();
    return "";
  }
}

std::string latentCacheKey(const std::string& classifierFile, const std::string& dataset, int64_t images) {
  const std::string f = fileFingerprint(classifierFile);
  if (f.empty()) return "";  // no key: every cache misses
  return "classifier " + f + "; dataset " + dataset + "; " + std::to_string(images) + " images";
}

// A cache's key file: the key, then the fingerprint of the cache's own bytes, so that a cache
// altered in place (finite but other values) or another bundle's file put under this key is
// computed again rather than trusted.
void saveLatentCache(const std::string& path, const torch::Tensor& z, const std::string& key) {
  std::vector<char> bytes = torch::pickle_save(c10::IValue(z.to(torch::kCPU).contiguous()));
  const std::string data(bytes.begin(), bytes.end());
  writeFileAtomic(path, data);
  writeFileAtomic(path + ".key", key + "\nfile " + bytesFingerprint(data) + "\n");
}

torch::Tensor loadLatentCache(const std::string& path, const std::string& key, int64_t n, int64_t d) {
  if (key.empty() || n < 0 || d < 0) return {};
  try {
    const std::string keyText = readFileChecked(path + ".key", caps::kCacheKey, "cache key");
    const std::string bytes = readFileChecked(path, caps::kMiB + uint64_t(n) * uint64_t(d) * 4, "cache");
    if (keyText != key + "\nfile " + bytesFingerprint(bytes) + "\n") return {};
    torch::Tensor t = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensor();
    if (t.dim() == 2 && t.size(0) == n && t.size(1) == d && t.scalar_type() == torch::kFloat32 &&
        torch::isfinite(t).all().item<bool>())
      return t.contiguous();
  } catch (const std::exception&) {
    // an unreadable cache (missing, a device, a pipe, too large, damaged) is recomputed
  }
  return {};
}

}  // namespace latentlab
