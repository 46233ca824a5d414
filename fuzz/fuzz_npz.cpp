// libFuzzer target: parseNpz (and parseNpy inside it) must either return consistent arrays or
// throw InputError. Seeds: tests/data/*.npz.
#include <cstdint>
#include <cstdlib>

#include "latentlab/data/npz.h"
#include "latentlab/util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto arrays = latentlab::parseNpz(data, size, "fuzz", size_t(64) << 20);
    for (const auto& [name, a] : arrays) {
      if (size_t(a.count()) * size_t(a.itemSize) != a.data.size()) std::abort();  // inconsistent array accepted
      if (a.kind == 'U' || a.kind == 'S')
        (void)a.strings("fuzz");
      else
        (void)a.values("fuzz");
    }
  } catch (const latentlab::InputError&) {
  }
  try {  // the same bytes as one .npy
    latentlab::NpyArray a = latentlab::parseNpy(data, size, "fuzz");
    if (size_t(a.count()) * size_t(a.itemSize) != a.data.size()) std::abort();
  } catch (const latentlab::InputError&) {
  }
  return 0;
}
