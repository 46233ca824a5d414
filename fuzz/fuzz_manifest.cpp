// libFuzzer target: parseManifest must either return a manifest that survives a round trip or
// throw BundleError; nothing else (no other exception type, no crash).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "latentlab/model/manifest.h"
#include "latentlab/util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    latentlab::Manifest m = latentlab::parseManifest(text, "fuzz");
    latentlab::Manifest again = latentlab::parseManifest(latentlab::serializeManifest(m), "fuzz-roundtrip");
    if (again.components != m.components || again.classNames != m.classNames || again.latentDim != m.latentDim)
      std::abort();
  } catch (const latentlab::BundleError&) {
  }
  return 0;
}
