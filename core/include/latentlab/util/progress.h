#pragma once
// Progress reports from long jobs (training, activations, projections). Torch-free.
#include <cstdint>
#include <functional>
#include <string>

namespace latentlab {

struct Progress {
  std::string stage;  // e.g. "classifier", "ensemble 2/5", "decoder", "vae"
  int epoch = 0;      // 1-based
  int epochs = 0;
  int64_t batch = 0;  // 1-based within the epoch
  int64_t batches = 0;
  double loss = 0.0;  // running mean over the epoch so far
  double samplesPerSec = 0.0;
  double etaSeconds = 0.0;  // for this stage
};
using ProgressFn = std::function<void(const Progress&)>;

}  // namespace latentlab
