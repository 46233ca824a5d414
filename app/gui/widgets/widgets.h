#pragma once
// Small ImGui helpers the panels share.
#include <imgui.h>

#include "latentlab/viewmath.h"
#include "map/map_view.h"

namespace latentlab::gui {

// A tooltip on the last item (also when it is disabled).
inline void tip(const char* text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", text);
}
inline ImU32 imColor(const Rgb& c, float a = 1.0f) { return ImGui::ColorConvertFloat4ToU32(ImVec4(c[0], c[1], c[2], a)); }
inline ImVec4 imColorVec(const Rgb& c, float a = 1.0f) { return ImVec4(c[0], c[1], c[2], a); }
inline ImVec2 toIm(Vec2 p) { return ImVec2(p.x, p.y); }
inline const ImVec4 kErrorText(1, 0.4f, 0.4f, 1);

}  // namespace latentlab::gui
