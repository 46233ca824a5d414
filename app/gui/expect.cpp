#include "expect.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "latentlab/util/errors.h"

namespace latentlab::gui {

namespace {

bool asNumber(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

std::string shown(const nlohmann::json& j) {
  if (j.is_string() && j.get<std::string>().empty()) return "\"\" (empty)";
  return clipForMessage(j.is_string() ? j.get<std::string>() : j.dump(), 120);
}

bool isIndex(const std::string& s) {
  return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::string checkFact(const nlohmann::json& state, const std::string& key, const std::string& op,
                      const std::string& value) {
  const nlohmann::json* at = &state;
  if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos)
    return "'" + clipForMessage(key, 80) + "' is not a dotted path (an empty part)";
  std::istringstream parts(key);
  std::string walked;
  for (std::string part; std::getline(parts, part, '.');) {
    if (at->is_object() && at->contains(part)) {
      at = &(*at)[part];
    } else if (at->is_array() && isIndex(part) && std::stoul(part) < at->size()) {
      at = &(*at)[size_t(std::stoul(part))];
    } else {
      const std::string here = walked.empty() ? "the state" : "'" + clipForMessage(walked, 80) + "'";
      if (at->is_array())
        return here + " is a list of " + std::to_string(at->size()) + ": '" + clipForMessage(part, 40) +
               "' is not a position in it (0.." + std::to_string(at->size()) + " exclusive)";
      if (!at->is_object()) return here + " is " + shown(*at) + ", which has no '" + clipForMessage(part, 40) + "'";
      std::string has;
      for (auto it = at->begin(); it != at->end(); ++it) has += (has.empty() ? "" : ", ") + it.key();
      return here + " has no '" + clipForMessage(part, 40) + "' (it has: " + clipForMessage(has, 900) + ")";
    }
    walked += (walked.empty() ? "" : ".") + part;
  }
  const nlohmann::json& j = *at;
  double want = 0;
  bool holds = false;
  if (j.is_number() && asNumber(value, want)) {
    const double v = j.get<double>();
    const bool eq = v == want || std::abs(v - want) <= 1e-9 * std::max(std::abs(v), std::abs(want));
    if (op == "==")
      holds = eq;
    else if (op == "!=")
      holds = !eq;
    else if (op == "<")
      holds = v < want;
    else if (op == "<=")
      holds = v <= want || eq;
    else if (op == ">")
      holds = v > want;
    else if (op == ">=")
      holds = v >= want || eq;
    else
      return "unknown operator '" + clipForMessage(op, 20) + "'";
  } else {
    if (op != "==" && op != "!=")
      return "'" + clipForMessage(key, 80) + "' is " + shown(j) + ", not a number to compare with " +
             clipForMessage(op, 20);
    const std::string text = j.is_string() ? j.get<std::string>() : j.dump();
    holds = (text == value) == (op == "==");
  }
  return holds ? "" : "it is " + shown(j);
}

}  // namespace latentlab::gui
