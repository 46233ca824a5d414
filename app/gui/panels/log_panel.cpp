#include "panels/log_panel.h"

#include <imgui.h>

#include "context.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

void LogPanel::draw(Context& ctx) {
  if (!ctx.log.lastError().empty()) ImGui::TextColored(kErrorText, "last error: %s", ctx.log.lastError().c_str());
  for (const auto& l : ctx.log.lines()) ImGui::TextWrapped("%s", l.c_str());
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
}

}  // namespace latentlab::gui
