// What the map draws over the points: the selection ring, the drag (a line from the start to the
// ghost at the clamped latent's projection, the cursor, the out-of-hull warning), the hover ring,
// the lasso, and the legend for the colour mode (a class can be hidden from it).
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "context.h"
#include "map/map_panel.h"
#include "map/point_style.h"
#include "selection_summary.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {
// The points added to the map, each with its own marker over its dot: a layer point a small square
// outline in the point's own colour (so that the uncertainty modes show on it; up to 5,000 of them),
// then each added image a diamond with its file name, on top of everything.
void drawAddedMarkers(const AppState& s, const MapTransform& t, ImDrawList* dl) {
  const PointTable& pts = *s.model.pts;
  const PointStyle style = PointStyle::of(s);
  const ImVec2 lo = ImGui::GetWindowPos(), hi(lo.x + ImGui::GetWindowWidth(), lo.y + ImGui::GetWindowHeight());
  auto screen = [&](int64_t i) { return toIm(t.toScreen(s.model.xy[size_t(2 * i)], s.model.xy[size_t(2 * i + 1)])); };
  auto inside = [&](const ImVec2& p) { return p.x >= lo.x && p.y >= lo.y && p.x <= hi.x && p.y <= hi.y; };
  int64_t squares = 0;
  for (int64_t i = pts.numData(); i < pts.n && squares < 5000; ++i) {
    if (pts.extraKind[size_t(i - pts.numData())] != PointTable::kLayerPoint || !style.visible(i)) continue;
    const ImVec2 p = screen(i);
    if (!inside(p)) continue;
    ++squares;
    const Rgb c = style.baseColor(i);
    const float r = std::max(3.0f, s.view.pointPx * 0.5f + 1.5f);
    dl->AddRect(ImVec2(p.x - r, p.y - r), ImVec2(p.x + r, p.y + r), imColor(c), 0, 0, 1.3f);
  }
  for (int64_t i = pts.numData(); i < pts.n; ++i) {
    const size_t k = size_t(i - pts.numData());
    if (pts.extraKind[k] != PointTable::kAddedImage || !style.visible(i)) continue;
    const ImVec2 p = screen(i);
    if (!inside(p)) continue;
    const float r = 8.0f;
    const ImVec2 q[4] = {{p.x, p.y - r}, {p.x + r, p.y}, {p.x, p.y + r}, {p.x - r, p.y}};
    dl->AddQuad(q[0], q[1], q[2], q[3], IM_COL32(0, 0, 0, 255), 3.5f);
    dl->AddQuad(q[0], q[1], q[2], q[3], IM_COL32(255, 255, 255, 255), 2.0f);
    const std::string& name = pts.extraName[k];
    const ImVec2 ts = ImGui::CalcTextSize(name.c_str());
    dl->AddRectFilled(ImVec2(p.x + r + 3, p.y - ts.y / 2 - 1), ImVec2(p.x + r + 7 + ts.x, p.y + ts.y / 2 + 1),
                      IM_COL32(0, 0, 0, 190), 3);
    dl->AddText(ImVec2(p.x + r + 5, p.y - ts.y / 2), IM_COL32(255, 255, 255, 255), name.c_str());
  }
}
}  // namespace

void MapPanel::drawOverlay(Context& ctx, ImDrawList* dl) {
  const AppState& s = ctx.state;
  const MapTransform t = s.view.transform();
  if (s.hasModel() && s.model.pts->numExtra > 0) drawAddedMarkers(s, t, dl);
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

namespace {

// The class's name, after its number unless the name is the number (MNIST's "7").
std::string classEntry(int k, const std::string& name) {
  return name == std::to_string(k) ? name : std::to_string(k) + " " + name;
}

}  // namespace

void MapPanel::drawLegend(Context& ctx, ImDrawList* dl) {
  AppState& s = ctx.state;
  const PointTable& t = *s.model.pts;
  const MapRect& r = s.view.mapRect;
  const ColorMode mode = PointStyle::of(s).mode;
  ImGui::SetCursorScreenPos(ImVec2(r.left + 8, r.top + 8 + s.view.reserveTop));  // below presenter mode's caption strip
  ImDrawList* wdl = ImGui::GetWindowDrawList();
  wdl->ChannelsSplit(2);
  wdl->ChannelsSetCurrent(1);
  ImGui::BeginGroup();
  if (ImGui::SmallButton(s.style.legendCollapsed ? "+ legend" : "-"))
    s.style.legendCollapsed = !s.style.legendCollapsed;
  tip(s.style.legendCollapsed ? "Show the legend" : "Fold the legend away (it may cover points)");
  if (!s.style.legendCollapsed) {
    ImGui::SameLine();
    if (mode == ColorMode::Label || mode == ColorMode::Pred) {
      ImGui::TextUnformatted(mode == ColorMode::Label ? "true class (click to hide)"
                                                      : "predicted class (click to hide)");
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
        ImGui::TextColored(hidden ? ImVec4(0.5f, 0.5f, 0.5f, 1) : ImVec4(1, 1, 1, 1), "%s",
                           classEntry(k, t.classNames[size_t(k)]).c_str());
        ImGui::PopID();
      }
    } else if (mode == ColorMode::Correct) {
      int64_t right = 0, wrong = 0;
      const PointStyle style = PointStyle::of(s);
      for (int64_t i = 0; i < t.n; ++i)
        if (style.visible(i) && !t.isExtra(i)) ++(t.labels[size_t(i)] == t.preds[size_t(i)] ? right : wrong);
      ImGui::TextUnformatted("BLL prediction vs label");
      const double all = double(std::max<int64_t>(1, right + wrong));
      ImGui::TextColored(imColorVec(correctnessColor(true)), "correct %lld (%.1f%%)", (long long)right,
                         100.0 * right / all);
      ImGui::TextColored(imColorVec(correctnessColor(false)), "wrong   %lld (%.1f%%), drawn on top", (long long)wrong,
                         100.0 * wrong / all);
    } else {
      const int m = mode == ColorMode::Total ? 0 : mode == ColorMode::Aleatoric ? 1 : 2;
      const ColorScale& sc = s.model.uncertainty.scale[size_t(m)];
      ImGui::Text("%s uncertainty (nats)%s", colorModeKey(mode), sc.log ? ", log scale" : "");
      const ImVec2 p = ImGui::GetCursorScreenPos();
      const float w = 200;
      const int steps = 40;
      for (int i = 0; i < steps; ++i) {
        const float a = float(i) / steps, b = float(i + 1) / steps;
        dl->AddRectFilled(ImVec2(p.x + a * w, p.y), ImVec2(p.x + b * w + 1, p.y + 12), imColor(viridis(a)));
      }
      ImGui::Dummy(ImVec2(w, 14));
      // Ticks: the ends and the middle, with their values.
      const ImVec2 q = ImGui::GetCursorScreenPos();
      for (int k = 0; k <= 2; ++k) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3g", double(sc.valueAt(0.5f * float(k))));
        const float x = p.x + 0.5f * float(k) * w;
        dl->AddLine(ImVec2(x, p.y + 12), ImVec2(x, p.y + 16), IM_COL32(230, 230, 230, 255));
        const float tw = ImGui::CalcTextSize(buf).x;
        dl->AddText(ImVec2(std::clamp(x - tw / 2, p.x, p.x + w - tw), q.y), IM_COL32(230, 230, 230, 255), buf);
      }
      ImGui::Dummy(ImVec2(w, ImGui::GetTextLineHeight()));
      // The ends: the test points' 99th percentile, and their 1st (or a thousandth of the top on a
      // log axis when the 1st is lower): the points beyond take the end colours.
      ImGui::TextDisabled("colours from %s", sc.floored ? "1/1000 of the top" : "the 1st percentile");
      ImGui::TextDisabled("to the 99th percentile; beyond:");
      ImGui::TextDisabled("%lld below, %lld above", (long long)sc.below, (long long)sc.above);
      if (mode != ColorMode::Total) {
        // Each mode has its own scale: the same colour is not the same number across modes.
        const ColorScale& total = s.model.uncertainty.scale[0];
        ImGui::TextDisabled("own scale (total U's top: %.3g)", double(total.hi));
      }
      ImGui::TextDisabled("most uncertain drawn on top");
    }
    if (t.numExtra > 0) {  // the added points' markers, and each layer's uncertainty beside the test set's
      int64_t images = 0;
      for (uint8_t k : t.extraKind) images += k == PointTable::kAddedImage;
      if (images > 0)
        ImGui::TextColored(ImVec4(1, 1, 1, 1), "<> %lld added image%s (no true class)", (long long)images,
                           images == 1 ? "" : "s");
      for (const std::string& layer : layerNames(t)) {
        const SelectionSummary m = summarize(t, layerPoints(t, layer));
        const bool ood = s.model.ex && layer == s.model.ex->oodName();
        ImGui::TextColored(imColorVec(extraColor(PointTable::kLayerPoint)), "[] %s%s: %lld points", ood ? "OOD " : "",
                           layer.c_str(), (long long)m.count);
        if (t.hasClassifier)
          ImGui::TextDisabled("   mean epistemic U %.3g (test %.3g)", m.meanEpistemic,
                              s.model.testSummary.meanEpistemic);
      }
    }
    if (!s.style.filterMask.empty()) {
      int64_t hits = 0;
      for (uint8_t b : s.style.filterMask) hits += b;
      ImGui::Text("filter: %lld points match", (long long)hits);
    }
    if (!s.selection.multi.empty()) ImGui::Text("%zu selected (summary in the inspector)", s.selection.multi.size());
  }
  ImGui::EndGroup();
  // A translucent panel behind the legend so that it stays readable over thumbnails.
  wdl->ChannelsSetCurrent(0);
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  s.view.reserveLeft = s.style.legendCollapsed ? 0.0f : b.x - r.left + 8;
  m_legendDrawn = true;
  wdl->AddRectFilled(ImVec2(a.x - 6, a.y - 4), ImVec2(b.x + 6, b.y + 4), IM_COL32(20, 20, 24, 200), 4);
  wdl->ChannelsMerge();
}

}  // namespace latentlab::gui
