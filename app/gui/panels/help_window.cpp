#include "panels/help_window.h"

#include <imgui.h>

#include "context.h"
#include "latentlab/gui_script.h"
#include "shortcuts.h"

namespace latentlab::gui {

void drawHelpWindow(Context& ctx) {
  bool& open = ctx.state.ui.showHelp;
  if (!open) return;
  ImGui::SetNextWindowSize(ImVec2(640, 560), ImGuiCond_Appearing);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::Begin("Help (?)", &open)) {
    ImGui::TextUnformatted("Mouse");
    ImGui::BulletText("left click: select a point; left drag on the selected point: move its latent code");
    ImGui::BulletText("shift + left drag: lasso selection");
    ImGui::BulletText("right or middle drag: pan; wheel: zoom around the cursor");
    ImGui::TextUnformatted("Keys");
    for (const Shortcut& s : shortcuts()) ImGui::BulletText("%-7s %s", s.label, s.what);
    ImGui::Separator();
    ImGui::TextUnformatted("Script commands (latentlab gui --script FILE)");
    for (const auto& [name, help] : scriptCommandHelp()) ImGui::BulletText("%s", help.c_str());
  }
  ImGui::End();
}

}  // namespace latentlab::gui
