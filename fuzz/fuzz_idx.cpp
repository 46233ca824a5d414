// libFuzzer target: parseIdx must either return a consistent array or throw InputError.
#include <cstdint>
#include <cstdlib>

#include "latentlab/data/idx.h"
#include "latentlab/util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    latentlab::IdxArray a = latentlab::parseIdx(data, size, "fuzz");
    size_t total = 1;
    for (int64_t d : a.dims) total *= size_t(d);
    if (total != a.data.size()) std::abort();  // the parser accepted an inconsistent file
  } catch (const latentlab::InputError&) {
  }
  return 0;
}
