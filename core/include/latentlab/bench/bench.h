#pragma once
// `latentlab bench`: core's benchmarks, each reported as median and p95 (latentlab/util/stats.h) with the
// machine they ran on. The GUI's frame benchmarks are run by the app (app/cli/bench.cpp) and merged
// into the same report. Torch-free header.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace latentlab {

struct BenchOptions {
  std::vector<std::string> only;  // empty = all
  std::string bundle;             // for predictive_ms; empty = a synthetic posterior
  std::string device = "cpu";
  int repeats = 0;    // 0 = each benchmark's default
  bool none = false;  // run none of core's benchmarks (the caller runs others)
};
// Returns {"machine", "device", "torch_threads", "torch_version", "results", "flat"}: each result is
// summaryStats' {"median", "p95", "max", "n", "unit"} plus a "note"; "flat" maps each key to its
// median (to its p95 for keys named ..._p95_...).
nlohmann::json runBench(const BenchOptions& opt, std::ostream& log);
std::string formatBenchTable(const nlohmann::json& report);
std::vector<std::string> benchNames();

}  // namespace latentlab
