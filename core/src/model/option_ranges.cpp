#include "latentlab/model/option_ranges.h"

#include <cstdio>
#include <stdexcept>

#include "latentlab/util/errors.h"

namespace latentlab {

const std::vector<OptionRange>& trainOptionRanges() {
  static const std::vector<OptionRange> r = {
      {"epochs", 1, 1000},
      {"latent-dim", 2, 4096},
      {"seed", 0, 9.2e18},
      {"ensemble", 0, 50},
      {"ensemble-epochs", -1, 1000},  // -1 or 0: the classifier's --epochs
      {"decoder-epochs", 0, 1000},
      {"decoder-latent-weight", 0, 1000},
      {"decoder-consistency-weight", 0, 1e6},
      {"latent-weight", 0, 1000},
      {"consistency-weight", 0, 1e6},
      {"consistency", 0, 1e6},
      {"vae-epochs", 0, 1000},
      {"dvae-epochs", 0, 1000},
      {"bits", 1, 64},
      {"beta", 0, 1000},
      {"dvae-consistency", 0, 1e6},
      {"generator-epochs", 0, 1000},
      {"fisher-weight", 0, 1e6},
      {"batch-size", 1, 1 << 20},
      {"samples", 1, 100000},
      {"limit-train", 0, 1e9},
      {"threads", 0, 1024},
  };
  return r;
}

const OptionRange& trainOptionRange(const std::string& name) {
  for (const auto& r : trainOptionRanges())
    if (name == r.name) return r;
  throw std::out_of_range("no training option '" + name + "'");
}

void checkTrainOption(const std::string& where, const std::string& name, double value) {
  const OptionRange& r = trainOptionRange(name);
  if (value >= r.lo && value <= r.hi) return;
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%s] --%s must be in %g..%g, got %g", where.c_str(), name.c_str(), r.lo, r.hi, value);
  throw InputError(buf);
}

}  // namespace latentlab
