#include "recording_bar.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <chrono>
#include <cstdio>

#include "context.h"
#include "latentlab/util/errors.h"

namespace latentlab::gui {

namespace {
double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

void startRecording(Context& ctx) {
  if (!ctx.state.hasModel()) return ctx.log.error("Record demo: load a model first");
  const std::string err = ctx.recorder.start(ctx.state.ui.recordPath, ctx.state, nowSeconds());
  if (!err.empty()) return ctx.log.error(err);
  ctx.log.info("recording a demo into " + ctx.state.ui.recordPath + " (File > Stop recording, or Stop on the bar)");
}

void stopRecording(Context& ctx) {
  if (!ctx.recorder.active()) return;
  const std::string err = ctx.recorder.stop(nowSeconds());
  if (!err.empty()) return ctx.log.error(err);
  ctx.log.info("recorded " + std::to_string(ctx.recorder.lines().size()) + " lines into " + ctx.recorder.path() +
               "; replay with latentlab gui --script " + ctx.recorder.path());
}

void drawRecordingBar(Context& ctx, const MapRect& map) {
  if (!ctx.recorder.active()) return;
  UiState& ui = ctx.state.ui;
  // At the map's bottom-left corner: the toolbar and the legend are at the top, captions in the middle.
  ImGui::SetNextWindowPos(ImVec2(map.left + 8, map.top + map.height - 8), ImGuiCond_Always, ImVec2(0, 1));
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("##recording", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoMove);
  const double t = nowSeconds() - ctx.recorder.startedAt();
  ImGui::TextColored(ImVec4(1, 0.3f, 0.3f, 1), "REC");
  ImGui::SameLine();
  ImGui::Text("%d:%02d, %zu lines", int(t) / 60, int(t) % 60, ctx.recorder.lines().size());
  ImGui::SameLine();
  ImGui::SetNextItemWidth(280);
  // Enter anywhere else puts the cursor in the caption box (type, then Enter again to insert it).
  if (!ImGui::GetIO().WantTextInput && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false))
    ImGui::SetKeyboardFocusHere();
  const bool enter = ImGui::InputTextWithHint("##caption", "caption, then Enter", &ui.recordCaption,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "Enter shows the text as a caption and records a caption line here;\nan empty box clears the caption");
  ImGui::SameLine();
  if (ImGui::Button("Add caption") || enter) {
    ctx.state.style.caption = clipForMessage(ui.recordCaption, kMaxCaption);
    ui.recordCaption.clear();
  }
  ImGui::SameLine();
  if (ImGui::Button("Stop")) stopRecording(ctx);
  ImGui::End();
}

}  // namespace latentlab::gui
