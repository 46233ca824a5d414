#pragma once
// The script command `expect KEY OP VALUE`: a fact about the explorer's state JSON (state_json.h).
// Demos state their captions' facts this way, so a test can run each demo and see that every
// caption is true of the frame it is shown on. GL-free and torch-free; tested headless.
#include <nlohmann/json.hpp>
#include <string>

namespace latentlab::gui {

// KEY is a dotted path into `state` (object keys, and array positions as numbers:
// examples.run.top.0.label). OP is one of == != < <= > >=. A number is compared as a number
// (equal within 1e-9 relative), a string or a boolean as text (== and != only).
// Returns "" when the fact holds, else what the state holds instead, or why it cannot be checked.
std::string checkFact(const nlohmann::json& state, const std::string& key, const std::string& op,
                      const std::string& value);

}  // namespace latentlab::gui
