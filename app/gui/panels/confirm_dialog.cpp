#include "panels/confirm_dialog.h"

#include <imgui.h>

#include <filesystem>

#include "context.h"

namespace latentlab::gui {

void writeWithConfirmation(Context& ctx, const std::string& path, std::function<void()> write) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || ctx.state.ui.ownFiles.count(path)) return write();
  ctx.state.ui.confirmWrite = PendingWrite{path, std::move(write)};
}

void drawConfirmDialog(Context& ctx) {
  auto& pending = ctx.state.ui.confirmWrite;
  if (pending && !ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) ImGui::OpenPopup("Replace the file?");
  ImGui::SetNextWindowSize(ImVec2(520, 0), ImGuiCond_Appearing);
  if (!ImGui::BeginPopupModal("Replace the file?", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
  if (!pending) {
    ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return;
  }
  ImGui::PushTextWrapPos(500);
  ImGui::Text("%s already exists. Replace it? Its contents will be lost.", pending->path.c_str());
  ImGui::PopTextWrapPos();
  if (ImGui::Button("Replace", ImVec2(120, 0))) {
    auto write = std::move(pending->write);
    pending.reset();
    ImGui::CloseCurrentPopup();
    write();
  }
  ImGui::SameLine();
  if (ImGui::Button("Cancel", ImVec2(120, 0)) || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    ctx.log.info("not saved: " + pending->path + " was kept");
    pending.reset();
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

}  // namespace latentlab::gui
