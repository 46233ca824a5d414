#include "latentlab/model/manifest.h"

#include <cmath>
#include <cstdint>

#include "latentlab/util/errors.h"
#include "latentlab/util/json_text.h"

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

// A whole number in [lo, hi]; a fraction or a value beyond the range is an error naming the key.
int64_t getInt(const json& j, const char* key, int64_t lo, int64_t hi, const std::string& source) {
  const json& v = need(j, key, source);
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) ||
      v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    throw BundleError(std::string("[manifest] '") + key + "' must be a whole number in " + std::to_string(lo) + ".." +
                      std::to_string(hi) + ", got " + clipForMessage(v.dump(), 40) + " (" + source + ")");
  return v.get<int64_t>();
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
    throw BundleError("[manifest] not valid JSON: " + clipForMessage(e.what(), 200) + " (" + source + ")");
  }
  if (!j.is_object()) throw BundleError("[manifest] top level must be an object (" + source + ")");
  Manifest m;
  const json& version = need(j, "format_version", source);
  if (!version.is_number_integer() || version.get<double>() < 1)
    throw BundleError("[manifest] 'format_version' must be a whole number >= 1, got " +
                      clipForMessage(version.dump(), 40) + " (" + source + ")");
  m.formatVersion = version.get<double>() > 1e6 ? 1000000 : int(version.get<int64_t>());
  if (m.formatVersion > kBundleFormatVersion)
    throw BundleError("[manifest] format_version " + std::to_string(m.formatVersion) +
                      " is newer than this LatentLab reads (" + std::to_string(kBundleFormatVersion) +
                      "); update LatentLab (" + source + ")");
  m.dataset = get<std::string>(j, "dataset", source);
  m.classNames = get<std::vector<std::string>>(j, "class_names", source);
  if (m.classNames.size() < 2 || m.classNames.size() > 100000)
    throw BundleError("[manifest] class_names needs 2 to 100000 classes, got " + std::to_string(m.classNames.size()) +
                      " (" + source + ")");
  for (const auto& name : m.classNames)
    if (name.empty() || name.size() > 200)
      throw BundleError("[manifest] a class name must have 1 to 200 characters, got '" + clipForMessage(name, 40) +
                        "' (" + source + ")");
  const json& shape = need(j, "input_shape", source);
  if (!shape.is_array() || shape.size() != 3)
    throw BundleError("[manifest] 'input_shape' must be [C, H, W] (" + source + ")");
  for (size_t i = 0; i < 3; ++i) {
    const bool whole = shape[i].is_number_integer();
    const double v = whole ? shape[i].get<double>() : 0;
    const bool ok = whole && (i == 0 ? (v == 1 || v == 3) : (v >= 4 && v <= 512 && std::fmod(v, 4) == 0));
    if (!ok)
      throw BundleError(
          "[manifest] 'input_shape' must be [C, H, W] with C = 1 (grey) or 3 (colour) and H, W multiples of 4 "
          "up to 512, got " +
          clipForMessage(shape.dump(), 40) + " (" + source + ")");
    m.inputShape[i] = shape[i].get<int64_t>();
  }
  m.latentDim = getInt(j, "latent_dim", 1, 65536, source);
  const json& norm = need(j, "normalisation", source);
  if (!norm.is_object()) throw BundleError("[manifest] 'normalisation' must be an object (" + source + ")");
  m.normMean = get<double>(norm, "mean", source);
  m.normStd = get<double>(norm, "std", source);
  const json& comps = need(j, "components", source);
  if (!comps.is_object()) throw BundleError("[manifest] 'components' must be an object (" + source + ")");
  for (auto it = comps.begin(); it != comps.end(); ++it) {
    if (!it.value().is_string())
      throw BundleError("[manifest] component '" + it.key() + "' must be a file name (" + source + ")");
    std::string file = it.value().get<std::string>();
    if (file.empty() || file.find("..") != std::string::npos || file[0] == '/')
      throw BundleError("[manifest] component '" + it.key() + "' must be a relative file inside the bundle (" + source +
                        ")");
    m.components[it.key()] = file;
  }
  // Each component its own file (an imported model's decode() is its classifier's: the one exception).
  for (const auto& [a, fa] : m.components)
    for (const auto& [b, fb] : m.components)
      if (a < b && fa == fb && !((a == "classifier" && b == "decoder") || (a == "decoder" && b == "encoder")))
        throw BundleError("[manifest] components '" + a + "' and '" + b + "' name the same file '" +
                          clipForMessage(fa, 60) + "'; each component has its own file (" + source + ")");
  if (!m.has("classifier") && !m.has("encoder"))  // a label-free bundle has an encoder (with decode) and no classifier
    throw BundleError("[manifest] components lacks 'classifier' (or, for a label-free bundle, 'encoder') (" + source +
                      ")");
  // Ensemble members are ensemble_0 .. ensemble_{N-1}: a gap would drop the members after it.
  size_t members = 0;
  for (const auto& [name, file] : m.components)
    if (name.rfind("ensemble_", 0) == 0) ++members;
  for (const auto& [name, file] : m.components)
    if (name.rfind("ensemble_", 0) == 0) {
      const std::string k = name.substr(9);
      const bool number = !k.empty() && k.size() < 6 && k.find_first_not_of("0123456789") == std::string::npos &&
                          (k == "0" || k[0] != '0');
      if (!number || std::stoul(k) >= members)
        throw BundleError("[manifest] ensemble components must be ensemble_0 .. ensemble_" +
                          std::to_string(members - 1) + " without gaps, got '" + clipForMessage(name, 40) + "' (" +
                          source + ")");
    }
  if (j.contains("split_seed")) {  // any uint64 (latentlab train --seed)
    const json& seed = j["split_seed"];
    if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
      throw BundleError("[manifest] 'split_seed' must be a whole number >= 0, got " + clipForMessage(seed.dump(), 40) +
                        " (" + source + ")");
    m.splitSeed = seed.get<uint64_t>();
  }
  if (j.contains("fingerprints")) {
    const json& f = j["fingerprints"];
    if (!f.is_object()) throw BundleError("[manifest] 'fingerprints' must be an object (" + source + ")");
    for (auto it = f.begin(); it != f.end(); ++it) {
      if (!it.value().is_string() || it.value().get<std::string>().size() > 100)
        throw BundleError("[manifest] the fingerprint of '" + clipForMessage(it.key(), 60) +
                          "' must be a string such as \"0123456789abcdef 1234 bytes\" (" + source + ")");
      m.fingerprints[it.key()] = it.value().get<std::string>();
    }
  }
  if (j.contains("default_ood")) m.defaultOod = get<std::string>(j, "default_ood", source);
  if (j.contains("training")) m.training = j["training"];
  if (j.contains("metrics")) {
    m.metrics = j["metrics"];
    if (!m.metrics.is_null() && !m.metrics.is_object())
      throw BundleError("[manifest] 'metrics' must be an object (" + source + ")");
  }
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
  if (!m.fingerprints.empty()) j["fingerprints"] = m.fingerprints;
  j["default_ood"] = m.defaultOod;
  j["training"] = m.training;
  j["metrics"] = m.metrics;
  return jsonText(j);
}

}  // namespace latentlab
