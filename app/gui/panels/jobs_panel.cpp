#include "panels/jobs_panel.h"

#include <imgui.h>

#include "context.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

std::string JobsPanel::title(const Context& ctx) const { return ctx.worker->jobRunning() ? "Jobs (running)" : "Jobs"; }

bool JobsPanel::wantsFocus(Context& ctx) {
  const bool focus = ctx.state.ui.focusJobs;
  ctx.state.ui.focusJobs = false;
  return focus;
}

void JobsPanel::draw(Context& ctx) {
  auto jobs = ctx.worker->jobs();
  if (jobs.empty()) ImGui::TextDisabled("no jobs yet");
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
    Job& j = **it;
    ImGui::PushID(j.id);
    const std::string err = j.errorText();
    if (j.finished) {
      if (!err.empty())
        ImGui::TextColored(kErrorText, "#%d %s: failed: %s", j.id, j.name.c_str(), err.c_str());
      else if (j.cancelled)
        ImGui::TextDisabled("#%d %s: cancelled", j.id, j.name.c_str());
      else
        ImGui::TextDisabled("#%d %s: done in %.2f s", j.id, j.name.c_str(), j.seconds);
    } else {
      ImGui::Text("#%d %s%s", j.id, j.name.c_str(), j.running ? "" : " (queued)");
      // Before its first report a job has no stage: say what it is doing rather than show an empty bar.
      const std::string stage = j.stageText();
      ImGui::ProgressBar(j.fraction.load(), ImVec2(-80, 0),
                         !stage.empty() ? stage.c_str()
                         : j.running    ? "starting..."
                                        : "waiting for the job before it");
      ImGui::SameLine();
      if (ImGui::Button("Cancel")) j.cancel = true;
      tip("Stop this job at its next batch; nothing it was writing is kept");
    }
    ImGui::PopID();
  }
  if (ImGui::Button("Clear finished")) ctx.worker->clearFinished();
  tip("Remove finished jobs from this list");
}

}  // namespace latentlab::gui
