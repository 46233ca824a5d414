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

Bundle loadBundle(const std::string& dir, const torch::Device& device, BundleParts parts) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw BundleError("[bundle] not a directory (" + dir + ")");
  const std::string manifestPath = (fs::path(dir) / "manifest.json").string();
  if (!fs::is_regular_file(manifestPath, ec)) throw BundleError("[bundle] no manifest.json (" + manifestPath + ")");
  Bundle bd;
  bd.dir = dir;
  bd.device = device;
  bd.manifest = parseManifest(readTextFile(manifestPath), manifestPath);
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
    bd.classifier = loadScript(p, device, {"encode", "decode"});
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
  const std::string clsPath = file("classifier");
  bd.classifier = loadScript(clsPath, device, {"encode", "classify"});
  auto [d, k] = validateClassifier(bd.classifier, mf.inputShape, bd.numClasses(), device, clsPath);
  if (d != mf.latentDim)
    throw BundleError("[bundle] manifest says d=" + std::to_string(mf.latentDim) +
                      ", encoder gives d=" + std::to_string(d) + " (" + clsPath + ")");
  extractAffineHead(bd.classifier, d, device, bd.headW, bd.headB);

  if (mf.has("decoder")) {
    const std::string p = file("decoder");
    if (mf.components.at("decoder") == mf.components.at("classifier")) {
      if (!hasMethod(bd.classifier, "decode")) throw ModelLoadError("[bundle] classifier has no decode() (" + p + ")");
      bd.decoder = bd.classifier;
    } else {
      bd.decoder = loadScript(p, device, {"decode"});
      validateDecoder(*bd.decoder, d, mf.inputShape, device, p);
    }
  }
  if (mf.has("laplace")) {
    const std::string p = file("laplace");
    bd.laplace = laplaceFromModule(loadScript(p, torch::kCPU, {}), p);
    if (bd.laplace->latentDim() != d || bd.laplace->numClasses() != k)
      throw ModelLoadError("[bundle] posterior is for d=" + std::to_string(bd.laplace->latentDim()) +
                           ", K=" + std::to_string(bd.laplace->numClasses()) +
                           "; the classifier has d=" + std::to_string(d) + ", K=" + std::to_string(k) + " (" + p + ")");
  }
  if (parts.dvae && mf.has("dvae")) {
    const std::string p = file("dvae");
    // LatentLab's own DVAE records the fingerprints of its file and of the classifier it was trained
    // on: a dvae.pt copied from another bundle, or one left from a replaced classifier, is stale.
    const nlohmann::json rec = mf.training.is_object() ? mf.training.value("dvae", nlohmann::json()) : nlohmann::json();
    // Such a DVAE is left out (the rest of the bundle loads), and the reason kept for whoever asks.
    if (rec.is_object() && rec.contains("file") && rec["file"].is_string() && rec["file"] != fileFingerprint(p))
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
    if (bd.dvaeProblem.empty()) {
      bd.dvae = loadScript(p, device, {"logits", "bits", "decode"});
      bd.dvaeBits = validateDvae(*bd.dvae, d, device, p);
    }
  }
  if (parts.vae && mf.has("vae")) bd.vae = loadScript(file("vae"), device, {"encode", "decode"});
  for (int i = 0; parts.ensemble && i < mf.ensembleSize(); ++i) {
    const std::string p = file("ensemble_" + std::to_string(i));
    torch::jit::Module m = loadScript(p, device, {"forward", "encode", "classify"});
    validateClassifier(m, mf.inputShape, k, device, p);
    bd.ensemble.push_back(m);
  }
  return bd;
}

std::string fileFingerprint(const std::string& path) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the file's bytes (about 1 ms for a 1 MB model)
  std::string bytes;
  try {
    bytes = readTextFile(path);
  } catch (const Error&) {
    return "";
  }
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
  return std::string(hex) + " " + std::to_string(bytes.size()) + " bytes";
}

std::string latentCacheKey(const std::string& classifierFile, const std::string& dataset, int64_t images) {
  const std::string f = fileFingerprint(classifierFile);
  if (f.empty()) return "";  // no key: every cache misses
  return "classifier " + f + "; dataset " + dataset + "; " + std::to_string(images) + " images";
}

void saveLatentCache(const std::string& path, const torch::Tensor& z, const std::string& key) {
  std::vector<char> bytes = torch::pickle_save(c10::IValue(z.to(torch::kCPU).contiguous()));
  writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
  writeFileAtomic(path + ".key", key + "\n");
}

torch::Tensor loadLatentCache(const std::string& path, const std::string& key, int64_t n, int64_t d) {
  std::error_code ec;
  if (key.empty() || !fs::is_regular_file(path, ec) || !fs::is_regular_file(path + ".key", ec)) return {};
  try {
    if (readTextFile(path + ".key") != key + "\n") return {};
    const std::string bytes = readTextFile(path);
    torch::Tensor t = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensor();
    if (t.dim() == 2 && t.size(0) == n && t.size(1) == d && t.scalar_type() == torch::kFloat32 &&
        torch::isfinite(t).all().item<bool>())
      return t.contiguous();
  } catch (const std::exception&) {
    // an unreadable cache is recomputed
  }
  return {};
}

}  // namespace latentlab
