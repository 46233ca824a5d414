#include "panels/help_window.h"

#include <imgui.h>

#include "context.h"
#include "latentlab/gui_script.h"
#include "shortcuts.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

void drawHelpWindow(Context& ctx) {
  bool& open = ctx.state.ui.showHelp;
  if (!open) return;
  ImGui::SetNextWindowSize(ImVec2(640, 560), ImGuiCond_Appearing);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::Begin("Help (?)", &open)) {
    // Wrapped bullets: no line is cut at the window's edge, whatever its width.
    auto bullet = [](const std::string& text) {
      ImGui::Bullet();
      ImGui::TextWrapped("%s", text.c_str());
    };
    ImGui::TextUnformatted("Mouse");
    bullet("left click: select a point; left drag on the selected point: move its latent code");
    bullet("shift + left drag: lasso selection");
    bullet("right or middle drag: pan; wheel: zoom around the cursor");
    ImGui::TextUnformatted("Keys");
    for (const Shortcut& s : shortcuts()) bullet(std::string(s.label) + "  " + s.what);
    ImGui::Separator();
    ImGui::TextUnformatted("Script commands (latentlab gui --script FILE)");
    for (const auto& [name, help] : scriptCommandHelp()) bullet(help);
    applyScriptScroll(ctx.state.ui, "help");
  }
  ImGui::End();
}

}  // namespace latentlab::gui
