#pragma once
// The command-level operations behind `latentlab train|import|eval|info`, which the GUI also runs
// as jobs. Torch-free header, so the app calls them without compiling LibTorch. All of them may
// run on a worker thread; they report through `progress` and `log`, stop with CancelledError when
// `cancel` is set, and write bundles only through a staged directory. The benchmarks are in bench.h.
#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "latentlab/progress.h"

namespace latentlab {

struct TrainOptions {
  std::string dataset = "fashion-mnist";  // fashion-mnist | mnist | folder of class subfolders
  std::string out;
  int epochs = 5;
  int64_t latentDim = 64;
  uint64_t seed = 0;
  std::string device = "cpu";
  int ensemble = 5;           // members of the deep-ensemble comparator; 0 skips it
  int ensembleEpochs = -1;    // -1: same as epochs
  int decoderEpochs = 10;
  double decoderLatentWeight = 0.2;  // weight of |encode(decode(z)) - z|^2 in decoder training
  int vaeEpochs = 10;
  int64_t batchSize = 128;
  int64_t samples = 64;       // S, Laplace weight samples
  bool force = false;
  int64_t limitTrain = 0;     // >0: train on the first N (shuffled) training examples only
  int threads = 0;            // 0: leave LibTorch's default
};

struct ImportOptions {
  std::string model;          // a TorchScript file with encode/classify[/decode]
  std::string dataset = "fashion-mnist";
  std::string out;
  std::string device = "cpu";
  uint64_t seed = 0;
  int decoderEpochs = 10;
  double decoderLatentWeight = 0.2;
  int vaeEpochs = 10;
  int64_t samples = 64;
  bool force = false;
  int64_t limitTrain = 0;
};

struct EvalOptions {
  std::string bundle;
  std::string ood;            // "" = the bundle's default, "none" = skip
  std::string device = "cpu";
  int64_t limitTest = 0;      // >0: evaluate on the first N test examples only
};

// Each returns the JSON summary it also writes into the bundle manifest (train/import) or
// prints (eval). Errors are typed (errors.h).
nlohmann::json runTrain(const TrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                        std::ostream& log);
nlohmann::json runImport(const ImportOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                         std::ostream& log);
nlohmann::json runEval(const EvalOptions& opt, std::ostream& log);
std::string formatEvalTable(const nlohmann::json& report);
std::string bundleInfo(const std::string& dir);

// Default shipped bundle directory (LATENTLAB_ASSETS, then next to the executable, then the
// source tree). Empty when none is found.
std::string defaultBundlePath(const std::string& name, const std::string& exeDir);

}  // namespace latentlab
