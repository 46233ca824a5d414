// The scrubber's views of an attribution result: the node at alpha, the input there, and the
// attribution gathered up to it (attribution.h). Torch-free.
#include <algorithm>
#include <cstdio>

#include "latentlab/attribution/attribution.h"

namespace latentlab {

int AttributionResult::nodeAt(double alpha) const {
  int k = -1;
  for (size_t i = 0; i < alphas.size(); ++i)
    if (alphas[i] <= alpha + 1e-12) k = int(i);
  return k;
}

std::vector<float> AttributionResult::inputAt(double alpha) const {
  if (isPath()) {
    const int k = alpha >= 1.0 ? steps() - 1 : nodeAt(alpha);
    if (k < 0) return baseline;
    const size_t P = size_t(pixels());
    return std::vector<float>(nodeInputs.begin() + long(size_t(k) * P), nodeInputs.begin() + long(size_t(k + 1) * P));
  }
  std::vector<float> out(input.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = float(baseline[i] + alpha * (double(input[i]) - baseline[i]));
  return out;
}

std::vector<float> AttributionResult::accumulatedAt(double alpha) const {
  const size_t P = size_t(pixels());
  std::vector<double> acc(P, 0.0);
  const int last = alpha >= 1.0 ? steps() - 1 : nodeAt(alpha);
  if (isPath()) {
    std::vector<float> out(P, 0.0f);
    for (int k = 0; k <= last; ++k)
      for (size_t i = 0; i < P; ++i) out[i] += gradients[size_t(k) * P + i] * nodeSteps[size_t(k) * P + i];
    return out;
  }
  for (int k = 0; k <= last; ++k)
    for (size_t i = 0; i < P; ++i) acc[i] += weights[size_t(k)] * gradients[size_t(k) * P + i];
  std::vector<float> out(P);
  for (size_t i = 0; i < P; ++i) out[i] = float((double(input[i]) - baseline[i]) * acc[i]);
  return out;
}

nlohmann::json attributionFacts(const AttributionResult& r) {
  using nlohmann::json;
  json j = {{"target", r.target},
            {"head", r.head},
            {"baseline", r.baseline_name},
            {"quadrature", r.quadrature},
            {"steps", r.steps()},
            {"f_input", r.fInput},
            {"f_baseline", r.fBaseline},
            {"sum_attribution", r.sumAttribution},
            {"gross_attribution", r.grossAttribution()},
            {"completeness_residual", r.hasCompleteness ? json(r.residual) : json(nullptr)},
            {"steps_rule", r.adaptive ? "adaptive" : "fixed"}};
  if (r.adaptive) {
    j["tolerance"] = r.tolerance;
    j["steps_cap"] = r.stepCap;
    json tried = json::array();
    for (const auto& [m, res] : r.tries) tried.push_back({m, res});
    j["steps_tried"] = tried;
    j["tolerance_met"] = r.toleranceMet();
  }
  return j;
}

std::string stepsInWords(const AttributionResult& r) {
  const std::string unit = r.isPath() ? " nodes" : r.method == "gradient-shap" ? " samples" : " steps";
  std::string s = std::to_string(r.steps()) + unit;
  if (!r.adaptive) return s + " (fixed)";
  std::string list;
  for (const auto& t : r.tries) list += (list.empty() ? "" : ", ") + std::to_string(t.first);
  char tol[32];
  std::snprintf(tol, sizeof tol, "%g%%", 100 * r.tolerance);
  if (r.toleranceMet()) return s + " (adaptive: " + list + " until the residual was <= " + tol + ")";
  return s + " (adaptive: " + list + "; the cap of " + std::to_string(r.stepCap) + " was reached above " + tol + ")";
}

}  // namespace latentlab
