// libFuzzer target: parseSession must either return a session that survives a round trip through
// its JSON, with finite views and latents, or throw InputError; nothing else.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "latentlab/explorer/session.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    latentlab::SessionState s = latentlab::parseSession(text, "fuzz");
    if (!std::isfinite(s.viewScale) || !(s.viewScale > 0)) std::abort();
    for (const auto& e : s.edited)
      for (float v : e.latent)
        if (!std::isfinite(v)) std::abort();
    // What was read can be written (no value JSON cannot hold) and read back the same.
    latentlab::SessionState again =
        latentlab::parseSession(latentlab::jsonText(latentlab::sessionToJson(s)), "fuzz-roundtrip");
    if (again.selection != s.selection || again.edited.size() != s.edited.size() || again.selected != s.selected)
      std::abort();
  } catch (const latentlab::InputError&) {
  }
  return 0;
}
