#include "panels/tab_host.h"

#include <imgui.h>

#include "context.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

void TabHost::draw(Context& ctx, const MapRect& r) {
  ImGui::SetNextWindowPos(ImVec2(r.left, r.top));
  ImGui::SetNextWindowSize(ImVec2(r.width, r.height));
  ImGui::Begin("Panels", nullptr,
               ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoTitleBar);
  if (ImGui::BeginTabBar("tabs")) {
    for (auto& panel : m_tabs) {
      const std::string label = panel->title(ctx) + "###" + panel->name();
      const bool asked = ctx.state.ui.focusTab == panel->name();
      if (asked) ctx.state.ui.focusTab.clear();
      const bool focus = panel->wantsFocus(ctx) || asked;
      if (ImGui::BeginTabItem(label.c_str(), nullptr, focus ? ImGuiTabItemFlags_SetSelected : 0)) {
        ctx.state.ui.frontTab = panel->name();
        // The tab's own scrolling region, so that `scroll tabs` moves the tab's content.
        ImGui::BeginChild("content");
        panel->draw(ctx);
        applyScriptScroll(ctx.state.ui, "tabs");
        ImGui::EndChild();
        ImGui::EndTabItem();
      }
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
}

}  // namespace latentlab::gui
