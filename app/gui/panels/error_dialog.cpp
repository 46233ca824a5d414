#include "panels/error_dialog.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "context.h"

namespace latentlab::gui {

void drawErrorDialog(Context& ctx) {
  // One dialog at a time: a new error waits while another popup (the Replace question, a menu) is open.
  if (!ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId) && ctx.log.takeDialog()) ImGui::OpenPopup("Error");
  ImGui::SetNextWindowSize(ImVec2(560, 0), ImGuiCond_Appearing);
  if (ImGui::BeginPopupModal("Error", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::PushTextWrapPos(540);
    ImGui::TextUnformatted(ctx.log.dialogText().c_str());
    ImGui::PopTextWrapPos();
    if (ImGui::Button("OK", ImVec2(120, 0)) || ImGui::IsKeyPressed(GLFW_KEY_ENTER)) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

}  // namespace latentlab::gui
