#pragma once
// The `state PATH` script command: the explorer's state as JSON, for tests and for driving the
// GUI from outside (docs/manual.md lists the keys). Written atomically. UI thread only.
#include <nlohmann/json.hpp>
#include <string>

namespace latentlab::gui {

struct Context;

nlohmann::json stateJson(Context& ctx);
void writeStateJson(Context& ctx, const std::string& path);

}  // namespace latentlab::gui
