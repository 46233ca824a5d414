#pragma once
// manifest.json of a bundle directory. Torch-free so that the parser can be fuzzed on its own.
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace latentlab {

constexpr int kBundleFormatVersion = 1;

struct Manifest {
  int formatVersion = kBundleFormatVersion;
  std::string dataset;     // "fashion-mnist", "mnist" or the path of a PNG class folder
  uint64_t splitSeed = 0;  // seed of the train/test split for datasets that ship without one
  std::vector<std::string> classNames;
  std::array<int64_t, 3> inputShape{1, 28, 28};  // C, H, W of the [0,1] float images
  double normMean = 0.0;                         // normalisation applied inside encode (informational)
  double normStd = 1.0;
  int64_t latentDim = 0;
  // Component name -> file inside the bundle. Known names: classifier (encode/classify[/decode]),
  // decoder, laplace, vae, ensemble_0..ensemble_{N-1}. "decoder" may equal "classifier" when the
  // imported model brings its own decode().
  std::map<std::string, std::string> components;
  // Component name ("classifier"), or a checkpoint's path inside the bundle, -> the fingerprint of
  // its file when it was written, "HEX16 N bytes" (bytesFingerprint, fsutil.h). Loading checks every component against
  // it; an empty map is a bundle from before fingerprints (loaded, and `latentlab verify` says so).
  std::map<std::string, std::string> fingerprints;
  std::string defaultOod;  // OOD dataset used by eval when none is given
  nlohmann::json training = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();

  bool has(const std::string& component) const { return components.count(component) != 0; }
  int ensembleSize() const;
};

// Throws BundleError naming `source` for invalid JSON, a missing or mistyped key, a format version
// newer than kBundleFormatVersion, or inconsistent values (d <= 0, no classes, bad shape).
Manifest parseManifest(const std::string& text, const std::string& source);
std::string serializeManifest(const Manifest& m);

}  // namespace latentlab
