#pragma once
// What the pipelines (pipeline/train.cpp, pipeline/eval.cpp) and the benchmarks (bench.cpp) share.
// Internal to core; includes LibTorch.
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"

namespace latentlab::detail {

using Clock = std::chrono::steady_clock;
inline double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
inline std::string join(const std::filesystem::path& a, const std::string& b) { return (a / b).string(); }

// Evaluates a loaded bundle on `test` (and on `ood` when given): every head's accuracy, NLL, ECE,
// Brier, reliability bins and OOD AUROCs, and the decoder's MSE and agreement. The heavy part of
// `eval`, and of train/import's stored metrics.
nlohmann::json evaluateBundle(const Bundle& b, const Dataset& test, const Dataset* ood, const std::string& oodName,
                              std::ostream& log);

}  // namespace latentlab::detail
