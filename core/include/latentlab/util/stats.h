#pragma once
// Summary statistics of timings, for the benchmarks and the GUI's frame and drag timers. Torch-free.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace latentlab {

// The q-quantile (0..1) of v by the nearest rank (sorted, index round(q (n - 1))); 0 when empty.
double quantile(std::vector<double> v, double q);
// {"median", "p95", "max", "n", "unit"} of v (all 0 when empty).
nlohmann::json summaryStats(std::vector<double> v, const std::string& unit);

}  // namespace latentlab
