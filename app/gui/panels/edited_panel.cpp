#include "panels/edited_panel.h"

#include <imgui.h>

#include <cstdio>

#include "context.h"
#include "widgets/textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

std::string EditedPanel::title(const Context& ctx) const {
  return "Edited (" + std::to_string(ctx.state.edits.edited.size()) + ")";
}

void EditedPanel::draw(Context& ctx) {
  const auto& edited = ctx.state.edits.edited;
  if (edited.empty()) {
    ImGui::TextWrapped("Drag a selected point to make an edited point; it is kept here when you release the mouse.");
    return;
  }
  const PointTable& t = *ctx.state.model.pts;
  ImGui::TextDisabled("decode, where it came from, and what the model says of it now");
  for (size_t k = 0; k < edited.size(); ++k) {
    ImGui::PushID(int(k));
    const EditedPoint& e = edited[k];
    const float img = 2 * ImGui::GetTextLineHeightWithSpacing();
    if (!e.image.empty())
      ctx.textures.showChw("edited" + std::to_string(k), e.image, int(t.C), int(t.H), int(t.W), img);
    else
      ImGui::Dummy(ImVec2(img, img));
    ImGui::SameLine();
    const std::string from = e.origin >= 0 && e.origin < t.n ? t.pointLabel(e.origin) : "?";
    char label[256];
    if (e.pred >= 0 && e.pred < int(t.K))
      std::snprintf(label, sizeof label, "edited %zu from #%lld (%s)\nnow %s, total U %.3f nats", k + 1,
                    (long long)e.origin, from.c_str(), t.classNames[size_t(e.pred)].c_str(), e.total);
    else
      std::snprintf(label, sizeof label, "edited %zu from #%lld (%s)\n%s", k + 1, (long long)e.origin, from.c_str(),
                    t.hasClassifier ? "select it to evaluate" : "no classifier: no prediction");
    const bool selected = ctx.state.selection.sel.edited == int(k);
    if (ImGui::Selectable(label, selected, 0, ImVec2(ImGui::GetContentRegionAvail().x - 70, img)))
      ctx.edits.selectEdited(int(k));
    char where[256];
    std::snprintf(where, sizeof where,
                  "Select this edited point (the inspector shows its decode and prediction). It is at (%.2f, %.2f) "
                  "in the %s view it was made in.",
                  e.x, e.y, e.projection.c_str());
    tip(where);
    ImGui::SameLine();
    const bool remove = ImGui::SmallButton("Delete");
    tip("Delete this edited point (Ctrl+Z brings it back)");
    ImGui::PopID();
    if (remove) {
      ctx.edits.deleteEdited(int(k));
      break;  // the list changed under the loop
    }
  }
  if (ImGui::Button("Undo (Ctrl+Z)")) ctx.edits.undo();
  tip("Undo the last add or delete");
}

void EditedPanel::drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) {
  const AppState& s = ctx.state;
  const int64_t n = s.model.pts->n;
  for (size_t k = 0; k < s.edits.edited.size(); ++k) {
    const EditedPoint& e = s.edits.edited[k];
    const ImVec2 p = toIm(t.toScreen(e.x, e.y));
    if (e.origin >= 0 && e.origin < n)
      dl->AddLine(toIm(t.toScreen(s.model.xy[size_t(2 * e.origin)], s.model.xy[size_t(2 * e.origin + 1)])), p,
                  IM_COL32(255, 210, 80, 150), 1.5f);
    const bool sel = s.selection.sel.edited == int(k);
    const float r = sel ? 8.0f : 6.0f;
    dl->AddQuadFilled(ImVec2(p.x, p.y - r), ImVec2(p.x + r, p.y), ImVec2(p.x, p.y + r), ImVec2(p.x - r, p.y),
                      sel ? IM_COL32(255, 230, 90, 255) : IM_COL32(255, 180, 40, 220));
    dl->AddQuad(ImVec2(p.x, p.y - r), ImVec2(p.x + r, p.y), ImVec2(p.x, p.y + r), ImVec2(p.x - r, p.y),
                IM_COL32(0, 0, 0, 255), 1.5f);
  }
}

}  // namespace latentlab::gui
