#pragma once
// JSON as text, for files and messages. A string that is not valid UTF-8 (a caption, a filter, a
// path in another encoding) is written with U+FFFD for its bad bytes instead of throwing, so that
// no user text can make a save or the `state` command fail.
#include <nlohmann/json.hpp>
#include <string>

namespace latentlab {

inline std::string jsonText(const nlohmann::json& j, int indent = 2) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + (indent >= 0 ? "\n" : "");
}

}  // namespace latentlab
