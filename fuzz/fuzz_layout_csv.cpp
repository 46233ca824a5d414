// libFuzzer target: parseLayoutCsv must either return a layout of finite floats, one pair per
// point, or throw InputError; nothing else (no other exception type, no crash, no hang).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int64_t points = data[0] % 8;  // the first byte: how many points the bundle has
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const std::vector<float> xy = latentlab::parseLayoutCsv(text, "fuzz", points);
    if (int64_t(xy.size()) != 2 * points) std::abort();
    for (float v : xy)
      if (!std::isfinite(v)) std::abort();
  } catch (const latentlab::InputError&) {
  }
  return 0;
}
