#pragma once
// The ranges of the training options, in one table: `latentlab train` and `import` check them (the
// command line before it runs, core again before any work), and so do the GUI's form and scripts'
// `train-model KEY=VALUE` settings. Torch-free.
#include <string>
#include <vector>

namespace latentlab {

struct OptionRange {
  const char* name;  // the command-line option without dashes, e.g. "epochs", "latent-dim"
  double lo, hi;     // inclusive
};

const std::vector<OptionRange>& trainOptionRanges();
// The range of option `name`; throws std::out_of_range for an unknown name (a programming error).
const OptionRange& trainOptionRange(const std::string& name);
// Throws InputError "[where] --NAME must be in LO..HI, got VALUE" when value is outside.
void checkTrainOption(const std::string& where, const std::string& name, double value);

// Positions and latents are floats on the map: a value beyond this magnitude is refused where it
// comes in (layout CSVs, sessions), so it can always be drawn and saved again.
inline constexpr double kMaxFloatValue = 1e30;

}  // namespace latentlab
