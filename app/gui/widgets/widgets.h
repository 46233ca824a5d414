#pragma once
// Small ImGui helpers the panels share.
#include <imgui.h>

#include "latentlab/explorer/viewmath.h"
#include "map/map_view.h"

namespace latentlab::gui {

// A tooltip on the last item (also when it is disabled).
inline void tip(const char* text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", text);
}
inline ImU32 imColor(const Rgb& c, float a = 1.0f) {
  return ImGui::ColorConvertFloat4ToU32(ImVec4(c[0], c[1], c[2], a));
}
inline ImVec4 imColorVec(const Rgb& c, float a = 1.0f) { return ImVec4(c[0], c[1], c[2], a); }
inline ImVec2 toIm(Vec2 p) { return ImVec2(p.x, p.y); }
inline const ImVec4 kErrorText(1, 0.4f, 0.4f, 1);
// A warning beside a picture or a number (a decode the model reads otherwise, a poor residual).
inline const ImVec4 kWarnText(1.0f, 0.62f, 0.3f, 1);

// The fixed-width font (tables whose columns must line up): the third font app.cpp loads.
inline ImFont* monoFont() {
  ImFontAtlas* a = ImGui::GetIO().Fonts;
  return a->Fonts.Size > 2 ? a->Fonts[2] : ImGui::GetFont();
}

// Inside a window, after its content: a script's `scroll PANEL FRACTION` for this panel moves the
// window's scroll there (0 top, 1 bottom), for a few frames (a window that just opened does not
// know its height yet).
template <class Ui>
void applyScriptScroll(Ui& ui, const char* panel) {
  if (ui.scrollPanel != panel) return;
  ImGui::SetScrollY(ui.scrollTo * ImGui::GetScrollMaxY());
  if (--ui.scrollFrames <= 0) ui.scrollPanel.clear();
}

}  // namespace latentlab::gui
