#include "menu_bar.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include "context.h"
#include "latentlab/util/stats.h"
#include "panels/confirm_dialog.h"
#include "panels/recording_bar.h"
#include "session_io.h"

namespace latentlab::gui {

void MenuBar::draw(Context& ctx) {
  if (!ImGui::BeginMainMenuBar()) return;
  drawFileMenu(ctx);
  AppState& s = ctx.state;
  if (ImGui::BeginMenu("View")) {
    if (ImGui::MenuItem("Fit to data", "F")) fitView(s);
    bool train = s.style.showTrain;
    if (ImGui::MenuItem("Training points", "T", &train)) ctx.models.showTrainPoints(train);
    bool snap = s.edits.snap;
    if (ImGui::MenuItem("Snap to manifold", nullptr, &snap)) ctx.edits.setSnap(snap);
    if (ImGui::MenuItem("Clear selection", "Esc")) ctx.edits.clearMultiSelection();
    bool legend = !s.style.legendCollapsed;
    if (ImGui::MenuItem("Legend on the map", nullptr, &legend)) s.style.legendCollapsed = !legend;
    ImGui::MenuItem("Presenter mode (large fonts, captions on top)", nullptr, &s.ui.presenter);
    ImGui::MenuItem("Developer figures (frame time)", nullptr, &s.ui.devFigures, !s.ui.presenter);
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Shortcuts and script commands", "?")) s.ui.showHelp = true;
    ImGui::EndMenu();
  }
  drawStatus(ctx);
  ImGui::EndMainMenuBar();
}

void MenuBar::drawFileMenu(Context& ctx) {
  if (!ImGui::BeginMenu("File")) return;
  UiState& ui = ctx.state.ui;
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("session file", &ui.sessionPath);
  const std::string session = ui.sessionPath, csv = m_exportPath, png = m_pngPath;
  if (ImGui::MenuItem("Save session", "Ctrl+S"))
    writeWithConfirmation(ctx, session, [&ctx, session] { saveSessionTo(ctx, session, true); });
  if (ImGui::MenuItem("Load session")) loadSessionFrom(ctx, ui.sessionPath);
  ImGui::Separator();
  // Any image on the map: a file or a folder of them (or drop files on the window), and a dataset
  // as a layer (the bundle's OOD set by default).
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("image file or folder", &ui.addImagePath);
  if (ImGui::MenuItem("Add images...", nullptr, false, ctx.state.hasModel() && !ui.addImagePath.empty()))
    ctx.extras.addImages({ui.addImagePath});
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "Put the image (or the folder's images) on the map, resized to the model's input; or drop "
        "image files onto the window");
  if (ui.layerDataset.empty() && ctx.state.hasModel()) ui.layerDataset = ctx.state.model.ex->oodName();
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("layer dataset", &ui.layerDataset);
  if (ImGui::MenuItem("Add layer (2,000 points)", nullptr, false, ctx.state.hasModel() && !ui.layerDataset.empty()))
    ctx.extras.addLayer(ui.layerDataset, 2000);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "Show a dataset (mnist, fashion-mnist, emoji, a folder or a .npz) as a layer of points with "
        "their uncertainties: the bundle's OOD set shows epistemic uncertainty on real "
        "out-of-distribution images");
  ImGui::Separator();
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("csv file", &m_exportPath);
  if (ImGui::MenuItem("Export selection as CSV"))
    writeWithConfirmation(ctx, csv, [&ctx, csv] { exportSelectionCsv(ctx, csv, true); });
  if (ImGui::MenuItem("Export layout as CSV (index,x,y)"))
    writeWithConfirmation(ctx, csv, [&ctx, csv] {
      const std::string err = ctx.projection.exportCsv(csv, true);
      if (!err.empty()) ctx.log.error(err);
    });
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("png file", &m_pngPath);
  const std::pair<const char*, ShotRegion> shots[] = {{"Export map as PNG", ShotRegion::Map},
                                                      {"Export inspector as PNG", ShotRegion::Inspector},
                                                      {"Screenshot window as PNG", ShotRegion::Window}};
  for (const auto& [label, region] : shots)
    if (ImGui::MenuItem(label))
      writeWithConfirmation(ctx, png, [&ctx, png, r = region] { ctx.state.ui.shots.push_back({png, r, true, 2}); });
  ImGui::Separator();
  if (!ctx.recorder.active()) {
    ImGui::SetNextItemWidth(220);
    ImGui::InputText("demo file", &ui.recordPath);
    const std::string demo = ui.recordPath;
    if (ImGui::MenuItem("Record demo", nullptr, false, ctx.state.hasModel()))
      writeWithConfirmation(ctx, demo, [&ctx] { startRecording(ctx); });
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip(
          "Every change to what is shown becomes a script line (replay: latentlab gui --script FILE;\n"
          "slides: add --frames DIR). Add captions on the bar that appears over the map.");
  } else if (ImGui::MenuItem("Stop recording")) {
    stopRecording(ctx);
  }
  ImGui::Separator();
  if (ImGui::MenuItem("Quit", "Ctrl+Q")) ui.quit = true;
  ImGui::EndMenu();
}

void MenuBar::drawStatus(Context& ctx) {
  const AppState& s = ctx.state;
  const double med = quantile(s.ui.frameMs.vector(), 0.5);
  std::string jobStatus;
  for (const auto& j : ctx.worker->jobs())
    if (j->running) {
      char b[160];
      std::snprintf(b, sizeof b, " | %s %.0f%%", j->name.c_str(), 100.0 * j->fraction.load());
      jobStatus = b;
    }
  long long shown = 0;
  if (s.hasModel()) {
    const PointTable& t = *s.model.pts;
    shown = (s.style.showTrain ? t.numData() : t.numTest) + t.numExtra;
  }
  char status[512], frame[48] = "";
  if (s.ui.devFigures && !s.ui.presenter) std::snprintf(frame, sizeof frame, " | frame %.1f ms", med);
  std::snprintf(status, sizeof status, "%s | %lld points%s%s", s.hasModel() ? s.model.name.c_str() : "no model", shown,
                frame, jobStatus.c_str());
  ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize(status).x - 20);
  ImGui::TextUnformatted(status);
}

}  // namespace latentlab::gui
