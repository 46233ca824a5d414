#include "latentlab/manifest.h"

#include "latentlab/errors.h"

namespace latentlab {

int Manifest::ensembleSize() const {
  int n = 0;
  while (components.count("ensemble_" + std::to_string(n))) ++n;
  return n;
}

namespace {
using nlohmann::json;

const json& need(const json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end()) throw BundleError(std::string("[manifest] missing key '") + key + "' (" + source + ")");
  return *it;
}

template <class T>
T get(const json& j, const char* key, const std::string& source) {
  const json& v = need(j, key, source);
  try {
    return v.get<T>();
  } catch (const json::exception&) {
    throw BundleError(std::string("[manifest] key '") + key + "' has the wrong type (" + source + ")");
  }
}
}  // namespace

Manifest parseManifest(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers beyond double
    throw BundleError(std::string("[manifest] not valid JSON: ") + e.what() + " (" + source + ")");
  }
  if (!j.is_object()) throw BundleError("[manifest] top level must be an object (" + source + ")");
  Manifest m;
  m.formatVersion = get<int>(j, "format_version", source);
  if (m.formatVersion > kBundleFormatVersion)
    throw BundleError("[manifest] format_version " + std::to_string(m.formatVersion) +
                      " is newer than this LatentLab reads (" + std::to_string(kBundleFormatVersion) +
                      "); update LatentLab (" + source + ")");
  if (m.formatVersion < 1) throw BundleError("[manifest] format_version must be >= 1 (" + source + ")");
  m.dataset = get<std::string>(j, "dataset", source);
  m.classNames = get<std::vector<std::string>>(j, "class_names", source);
  if (m.classNames.size() < 2) throw BundleError("[manifest] class_names needs at least 2 classes (" + source + ")");
  auto shape = get<std::vector<int64_t>>(j, "input_shape", source);
  if (shape.size() != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 || shape[0] > 4 || shape[1] > 4096 ||
      shape[2] > 4096)
    throw BundleError("[manifest] input_shape must be [C, H, W] with positive sizes (" + source + ")");
  m.inputShape = {shape[0], shape[1], shape[2]};
  m.latentDim = get<int64_t>(j, "latent_dim", source);
  if (m.latentDim <= 0 || m.latentDim > 65536)
    throw BundleError("[manifest] latent_dim must be positive (" + source + ")");
  const json& norm = need(j, "normalisation", source);
  if (!norm.is_object()) throw BundleError("[manifest] 'normalisation' must be an object (" + source + ")");
  m.normMean = get<double>(norm, "mean", source);
  m.normStd = get<double>(norm, "std", source);
  const json& comps = need(j, "components", source);
  if (!comps.is_object()) throw BundleError("[manifest] 'components' must be an object (" + source + ")");
  for (auto it = comps.begin(); it != comps.end(); ++it) {
    if (!it.value().is_string()) throw BundleError("[manifest] component '" + it.key() + "' must be a file name (" + source + ")");
    std::string file = it.value().get<std::string>();
    if (file.empty() || file.find("..") != std::string::npos || file[0] == '/')
      throw BundleError("[manifest] component '" + it.key() + "' must be a relative file inside the bundle (" + source + ")");
    m.components[it.key()] = file;
  }
  if (!m.has("classifier")) throw BundleError("[manifest] components lacks 'classifier' (" + source + ")");
  if (j.contains("split_seed")) m.splitSeed = get<uint64_t>(j, "split_seed", source);
  if (j.contains("default_ood")) m.defaultOod = get<std::string>(j, "default_ood", source);
  if (j.contains("training")) m.training = j["training"];
  if (j.contains("metrics")) m.metrics = j["metrics"];
  return m;
}

std::string serializeManifest(const Manifest& m) {
  json j;
  j["format_version"] = m.formatVersion;
  j["dataset"] = m.dataset;
  j["split_seed"] = m.splitSeed;
  j["class_names"] = m.classNames;
  j["input_shape"] = std::vector<int64_t>(m.inputShape.begin(), m.inputShape.end());
  j["normalisation"] = {{"mean", m.normMean}, {"std", m.normStd}};
  j["latent_dim"] = m.latentDim;
  j["components"] = m.components;
  j["default_ood"] = m.defaultOod;
  j["training"] = m.training;
  j["metrics"] = m.metrics;
  return j.dump(2) + "\n";
}

}  // namespace latentlab
