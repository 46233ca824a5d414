// What the map draws over the points: the selection ring, the drag (a line from the start to the
// ghost at the clamped latent's projection, the cursor, the out-of-hull warning), the hover ring,
// the lasso, and the legend for the colour mode (a class can be hidden from it).
#include <imgui.h>

#include "context.h"
#include "map/map_panel.h"
#include "map/point_style.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

void MapPanel::drawOverlay(Context& ctx, ImDrawList* dl) {
  const AppState& s = ctx.state;
  const MapTransform t = s.view.transform();
  if (s.selection.sel.any()) {
    float x = 0, y = 0;
    ctx.edits.currentPosition(x, y);
    const ImVec2 p = toIm(t.toScreen(x, y));
    dl->AddCircle(p, 9.0f, IM_COL32(255, 255, 255, 255), 24, 2.5f);
    dl->AddCircle(p, 11.0f, IM_COL32(0, 0, 0, 255), 24, 1.5f);
  }
  const Drag& d = s.edits.drag;
  if (d.active) {
    const ImVec2 a = toIm(t.toScreen(d.x0, d.y0)), g = toIm(t.toScreen(d.zx, d.zy)), c = toIm(t.toScreen(d.tx, d.ty));
    dl->AddLine(a, g, IM_COL32(255, 255, 255, 220), 2.0f);
    dl->AddCircleFilled(g, 7.0f, IM_COL32(255, 255, 255, 110));
    dl->AddCircle(g, 7.0f, IM_COL32(255, 255, 255, 255), 20, 2.0f);
    dl->AddLine(ImVec2(c.x - 5, c.y), ImVec2(c.x + 5, c.y), IM_COL32(255, 255, 255, 160));
    dl->AddLine(ImVec2(c.x, c.y - 5), ImVec2(c.x, c.y + 5), IM_COL32(255, 255, 255, 160));
    if (d.outside) {
      const char* msg = "outside the data: the inverse extrapolates";
      dl->AddRectFilled(ImVec2(c.x + 12, c.y + 10), ImVec2(c.x + 20 + ImGui::CalcTextSize(msg).x, c.y + 30),
                        IM_COL32(120, 20, 20, 220), 4);
      dl->AddText(ImVec2(c.x + 16, c.y + 12), IM_COL32(255, 230, 230, 255), msg);
    }
  }
  const int64_t h = s.selection.hover;
  if (h >= 0)
    dl->AddCircle(toIm(t.toScreen(s.model.xy[size_t(2 * h)], s.model.xy[size_t(2 * h + 1)])), 6.0f,
                  IM_COL32(255, 255, 255, 200), 16, 1.5f);
  if (m_lassoActive && m_lasso.size() > 1) {
    std::vector<ImVec2> line;
    for (const Vec2& p : m_lasso) line.push_back(toIm(p));
    dl->AddPolyline(line.data(), int(line.size()), IM_COL32(255, 255, 255, 230), ImDrawFlags_Closed, 1.5f);
  }
}

void MapPanel::drawLegend(Context& ctx, ImDrawList* dl) {
  AppState& s = ctx.state;
  const PointTable& t = *s.model.pts;
  const MapRect& r = s.view.mapRect;
  const ColorMode mode = s.style.colorMode;
  ImGui::SetCursorScreenPos(ImVec2(r.left + 8, r.top + 8));
  ImDrawList* wdl = ImGui::GetWindowDrawList();
  wdl->ChannelsSplit(2);
  wdl->ChannelsSetCurrent(1);
  ImGui::BeginGroup();
  if (mode == ColorMode::Label || mode == ColorMode::Pred) {
    ImGui::TextUnformatted(mode == ColorMode::Label ? "true class (click to hide)" : "predicted class (click to hide)");
    for (int k = 0; k < int(t.K) && k < int(s.style.hidden.size()); ++k) {
      ImGui::PushID(k);
      const bool hidden = s.style.hidden[size_t(k)];
      ImGui::PushStyleColor(ImGuiCol_Button, imColorVec(classColor(k), hidden ? 0.15f : 1.0f));
      if (ImGui::Button("##c", ImVec2(14, 14))) {
        s.style.hidden[size_t(k)] = !hidden;
        s.style.colorsDirty = true;
      }
      ImGui::PopStyleColor();
      tip("Show or hide this class");
      ImGui::SameLine();
      ImGui::TextColored(hidden ? ImVec4(0.5f, 0.5f, 0.5f, 1) : ImVec4(1, 1, 1, 1), "%d %s", k, t.classNames[size_t(k)].c_str());
      ImGui::PopID();
    }
  } else if (mode == ColorMode::Correct) {
    ImGui::TextColored(imColorVec(correctnessColor(true)), "correct");
    ImGui::TextColored(imColorVec(correctnessColor(false)), "wrong");
  } else {
    const float hi = mode == ColorMode::Epistemic ? s.model.epiMax : s.model.totalMax;
    ImGui::Text("%s uncertainty (nats)", colorModeKey(mode));
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const int steps = 32;
    for (int i = 0; i < steps; ++i) {
      const float a = float(i) / steps, b = float(i + 1) / steps;
      dl->AddRectFilled(ImVec2(p.x + a * 160, p.y), ImVec2(p.x + b * 160 + 1, p.y + 12), imColor(viridis(a)));
    }
    ImGui::Dummy(ImVec2(160, 14));
    ImGui::Text("0%*s%.3f", 24, "", hi);
  }
  if (!s.selection.multi.empty()) ImGui::Text("%zu selected (lasso)", s.selection.multi.size());
  ImGui::EndGroup();
  // A translucent panel behind the legend so that it stays readable over thumbnails.
  wdl->ChannelsSetCurrent(0);
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  wdl->AddRectFilled(ImVec2(a.x - 6, a.y - 4), ImVec2(b.x + 6, b.y + 4), IM_COL32(20, 20, 24, 200), 4);
  wdl->ChannelsMerge();
}

}  // namespace latentlab::gui
