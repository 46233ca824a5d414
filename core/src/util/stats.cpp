#include "latentlab/util/stats.h"

#include <algorithm>

namespace latentlab {

namespace {
double sortedQuantile(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
}
}  // namespace

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return sortedQuantile(v, q);
}

nlohmann::json summaryStats(std::vector<double> v, const std::string& unit) {
  std::sort(v.begin(), v.end());
  return {{"median", sortedQuantile(v, 0.5)},
          {"p95", sortedQuantile(v, 0.95)},
          {"max", v.empty() ? 0.0 : v.back()},
          {"n", v.size()},
          {"unit", unit}};
}

}  // namespace latentlab
