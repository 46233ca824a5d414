#include "expect.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "latentlab/errors.h"

namespace latentlab::gui {

namespace {

bool asNumber(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

std::string shown(const nlohmann::json& j) {
  return clipForMessage(j.is_string() ? j.get<std::string>() : j.dump(), 120);
}

}  // namespace

std::string checkFact(const nlohmann::json& state, const std::string& key, const std::string& op, const std::string& value) {
  const nlohmann::json* at = &state;
  std::istringstream parts(key);
  std::string walked;
  for (std::string part; std::getline(parts, part, '.');) {
    double index = 0;
    if (at->is_object() && at->contains(part)) {
      at = &(*at)[part];
    } else if (at->is_array() && asNumber(part, index) && index >= 0 && index < double(at->size()) && index == std::floor(index)) {
      at = &(*at)[size_t(index)];
    } else {
      std::string has;
      if (at->is_object())
        for (auto it = at->begin(); it != at->end() && has.size() < 200; ++it) has += (has.empty() ? "" : ", ") + it.key();
      return "the state has no '" + clipForMessage(walked.empty() ? part : walked + "." + part, 80) + "'" +
             (at->is_array() ? " (a list of " + std::to_string(at->size()) + ")" : has.empty() ? "" : " (it has: " + has + ")");
    }
    walked += (walked.empty() ? "" : ".") + part;
  }
  const nlohmann::json& j = *at;
  double want = 0;
  bool holds = false;
  if (j.is_number() && asNumber(value, want)) {
    const double v = j.get<double>();
    const bool eq = std::abs(v - want) <= 1e-9 * std::max(1.0, std::abs(want));
    if (op == "==") holds = eq;
    else if (op == "!=") holds = !eq;
    else if (op == "<") holds = v < want;
    else if (op == "<=") holds = v <= want || eq;
    else if (op == ">") holds = v > want;
    else if (op == ">=") holds = v >= want || eq;
    else return "unknown operator '" + clipForMessage(op, 20) + "'";
  } else {
    if (op != "==" && op != "!=")
      return "'" + clipForMessage(key, 80) + "' is " + shown(j) + ", not a number to compare with " + clipForMessage(op, 20);
    const std::string text = j.is_string() ? j.get<std::string>() : j.dump();
    holds = (text == value) == (op == "==");
  }
  return holds ? "" : "it is " + shown(j);
}

}  // namespace latentlab::gui
