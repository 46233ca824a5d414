#include "panels/help_window.h"

#include <imgui.h>

#include "commands/command.h"
#include "context.h"
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
    ImGui::TextUnformatted("What am I looking at");
    bullet(
        "Each dot is one test image at a 2-D projection of the classifier's latent code z (PCA, t-SNE or UMAP). The "
        "figures beside the projection menu are the 2-D view's own quality, not the classifier's.");
    bullet(
        "Total uncertainty (nats) is the entropy of the averaged prediction; aleatoric is the noise the model expects "
        "(the mean entropy of its sampled predictions); epistemic = total - aleatoric is the model's doubt about its "
        "own "
        "weights, high where it has seen little data like this. All three are at most ln K for K classes.");
    bullet(
        "The colour modes for the uncertainties each have their own scale (see the legend's numbers); the inspector's "
        "bars share one, 0 to ln K, with each value's percentile among the test points.");
    bullet(
        "Dragging a point moves its latent code; the decoder draws what that code looks like and the classifier says "
        "what it is. An edited latent has no label of its own.");
    ImGui::TextUnformatted("Mouse");
    bullet("left click: select a point; left drag on the selected point: move its latent code");
    bullet("shift + left drag: lasso selection");
    bullet("right or middle drag: pan; wheel: zoom around the cursor");
    ImGui::TextUnformatted("Demos for a class");
    bullet(
        "File > Record demo: do the demo; every change to what is shown becomes a line of a script file. Type a "
        "caption in the bar at the map's bottom-left (Enter) to add it at that point. The file is complete after every "
        "line.");
    bullet(
        "Replay it with latentlab gui BUNDLE --script FILE; add --frames DIR --fps 10 to export its frames as PNG for "
        "slides. View > Presenter mode: large fonts, captions at the top.");
    ImGui::TextUnformatted("Keys");
    for (const Shortcut& s : shortcuts()) bullet(std::string(s.label) + "  " + s.what);
    ImGui::Separator();
    ImGui::TextUnformatted("Script commands (latentlab gui --script FILE)");
    for (const CommandSpec& c : commands()) bullet(c.help);
    applyScriptScroll(ctx.state.ui, "help");
  }
  ImGui::End();
}

}  // namespace latentlab::gui
