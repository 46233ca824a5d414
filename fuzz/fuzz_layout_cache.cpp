// libFuzzer target: parseLayoutCache (the bundle's binary layout cache) must return false or a
// layout of finite floats, one pair per point; never crash, never read past the bytes.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "latentlab/projection/projection.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int64_t points = data[0] % 8;  // the first byte: how many points the bundle has
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<float> xy;
  std::string quality;
  if (latentlab::parseLayoutCache(bytes, "pca", points, 0, xy, &quality)) {
    if (int64_t(xy.size()) != 2 * points) std::abort();
    for (float v : xy)
      if (!std::isfinite(v)) std::abort();
  }
  return 0;
}
