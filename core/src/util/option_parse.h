#pragma once
// KEY=VALUE option values checked with their ranges; each InputError names `where`, the key and
// the value. Shared by the counterfactual and the attribution options.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "latentlab/util/errors.h"

namespace latentlab::optparse {

inline std::string quoted(const std::string& v) { return "'" + clipForMessage(v, 60) + "'"; }

inline double parseNumber(const std::string& key, const std::string& v, double lo, double hi, bool loOpen,
                          const std::string& where) {
  errno = 0;
  char* end = nullptr;
  const double x = v.empty() ? NAN : std::strtod(v.c_str(), &end);
  const bool ok = !v.empty() && end && *end == '\0' && errno != ERANGE && std::isfinite(x) &&
                  (loOpen ? x > lo : x >= lo) && x <= hi;
  if (!ok) {
    char range[96];
    if (loOpen)
      std::snprintf(range, sizeof range, "above %g and at most %g", lo, hi);
    else
      std::snprintf(range, sizeof range, "in %g..%g", lo, hi);
    throw InputError("[" + where + "] " + key + " must be a number " + range + ", got " + quoted(v));
  }
  return x;
}

inline int parseInt(const std::string& key, const std::string& v, int lo, int hi, const std::string& where) {
  const double x = parseNumber(key, v, lo, hi, false, where);
  if (x != std::floor(x)) throw InputError("[" + where + "] " + key + " must be a whole number, got " + quoted(v));
  return int(x);
}

inline bool parseBool(const std::string& key, const std::string& v, const std::string& where) {
  if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "off" || v == "no") return false;
  throw InputError("[" + where + "] " + key + " must be on or off, got " + quoted(v));
}

}  // namespace latentlab::optparse
