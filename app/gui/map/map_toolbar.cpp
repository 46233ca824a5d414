// The map's toolbar: projection (with the layout's quality), colour mode, search, select matches,
// training points, snap, fit.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "context.h"
#include "map/map_panel.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

void drawLayoutQuality(const AppState& s) {
  if (s.projection.computing && *s.projection.computing == s.projection.current) {
    const auto& job = s.projection.job;
    ImGui::TextDisabled("computing %.0f%%", job ? 100.0 * job->fraction.load() : 0.0);
    return;
  }
  const LayoutQuality* q = s.model.qualityOf(s.projection.current);
  if (!q) return;
  // The 2-D view's own quality, not the classifier's: said on the label, not only in the tooltip.
  ImGui::TextDisabled("2-D view: trust %.2f, nbr recall %.2f, kNN acc %.2f", q->trustworthiness, q->knnRecall,
                      q->knnAccuracy);
  tip(s.projection.current == Projection::Pca
          ? "Quality of the PCA view on a 2,000-point sample: trustworthiness@15, kNN recall@15, 2D 15-NN accuracy"
          : "Quality of this layout on a 2,000-point sample: trust = trustworthiness@15 (1 = no false neighbours in "
            "2D), "
            "recall = kNN recall@15 (share of each point's 15 nearest in z that stay among its 15 nearest in 2D), kNN "
            "acc "
            "= 2D 15-NN classification accuracy");
}

// The next item on this row when `width` pixels of it fit in the window, else on a new row (a
// narrow window wraps the toolbar rather than clipping it).
void nextItem(float width) {
  const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + width;
  if (right < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
}

}  // namespace

void MapPanel::drawToolbar(Context& ctx) {
  AppState& s = ctx.state;
  ImGui::SetNextItemWidth(90);
  if (ImGui::BeginCombo("##proj", projectionLabel(s.projection.current))) {
    for (Projection p : kProjections)
      if (ImGui::Selectable(projectionLabel(p), p == s.projection.current)) ctx.projection.apply(p);
    ImGui::EndCombo();
  }
  tip("2D projection of the latent codes z. PCA: the first two principal axes of the test latents. t-SNE and UMAP: "
      "computed as a job (the map updates while they optimise; Cancel in Jobs) and cached in the bundle. CSV layout: "
      "one imported in the Model tab. Dragging in t-SNE/UMAP moves z as a convex combination of the 8 nearest points.");
  if (s.hasModel()) {
    ImGui::SameLine();
    drawLayoutQuality(s);
  }
  nextItem(110);
  ImGui::SetNextItemWidth(110);
  const bool labelFree = s.hasModel() && !s.model.pts->hasClassifier;
  if (labelFree) ImGui::BeginDisabled();
  if (ImGui::BeginCombo("##color", colorModeLabel(labelFree ? ColorMode::Label : s.style.colorMode))) {
    for (ColorMode m : kColorModes)
      if (ImGui::Selectable(colorModeLabel(m), m == s.style.colorMode)) s.style.setColorMode(m);
    ImGui::EndCombo();
  }
  if (labelFree) ImGui::EndDisabled();
  tip(labelFree ? "A label-free encoder has no classifier: the points are coloured by their true class only"
                : "Colour the points by true class, predicted class (BLL), an uncertainty (nats, viridis), or "
                  "right/wrong (C cycles)");
  nextItem(220);
  ImGui::SetNextItemWidth(220);
  if (ImGui::InputTextWithHint("##filter", "search: 123, pred=3, total>1", &s.style.filterText,
                               ImGuiInputTextFlags_EnterReturnsTrue))
    ctx.edits.applyFilter();
  tip("Filter: an index selects that point; terms like pred=3 label!=Shirt epistemic>0.05 correct wrong highlight "
      "matching points. Enter applies, empty clears.");
  nextItem(ImGui::CalcTextSize("Select matches").x + 10);
  if (ImGui::Button("Select matches") && !s.style.filterMask.empty()) {
    std::vector<int64_t> matches;
    for (size_t i = 0; i < s.style.filterMask.size(); ++i)
      if (s.style.filterMask[i]) matches.push_back(int64_t(i));
    ctx.edits.setMultiSelection(std::move(matches));
  }
  tip("Make the points matching the search the multi-selection (for CSV export)");
  nextItem(70);
  bool train = s.style.showTrain;
  if (ImGui::Checkbox("train", &train)) ctx.models.showTrainPoints(train);
  tip("Also show the training points (latents computed once and cached in the bundle's cache/) (T)");
  nextItem(70);
  bool snap = s.edits.snap;
  if (ImGui::Checkbox("snap", &snap)) ctx.edits.setSnap(snap);
  tip("Snap to manifold: show the nearest data images in latent space beside the decode");
  nextItem(40);
  if (ImGui::Button("Fit")) fitView(s);
  tip("Fit the view to the data (F)");
  if (!s.style.filterError.empty()) {
    nextItem(ImGui::CalcTextSize(s.style.filterError.c_str()).x);
    ImGui::TextColored(kErrorText, "%s", s.style.filterError.c_str());
  }
}

}  // namespace latentlab::gui
