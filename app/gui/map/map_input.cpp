// The map's mouse: hover (the nearest visible point within 8 px), wheel zoom around the cursor,
// pan with the right or middle button, and the left button: shift+drag draws a lasso, a drag that
// starts on a paused counterfactual path's white dot nudges that step, one that starts on the
// selected point moves its latent, a click selects. Esc cancels a drag.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <cmath>

#include "context.h"
#include "map/map_panel.h"
#include "map/point_style.h"
#include "widgets/textures.h"

namespace latentlab::gui {

void MapPanel::handleInput(Context& ctx, bool hovered) {
  AppState& s = ctx.state;
  const ImGuiIO& io = ImGui::GetIO();
  const PointStyle style = PointStyle::of(s);
  Drag& drag = s.edits.drag;
  const ImVec2 mouse = io.MousePos;

  // Hover. None until the mouse has really moved: a pointer that merely rests where the window
  // opened (the middle of an Xvfb screen) must not put a tooltip into scripted screenshots.
  s.selection.hover = -1;
  if (io.MouseDelta.x != 0 || io.MouseDelta.y != 0) m_mouseMoved = true;
  if (hovered && m_mouseMoved && !drag.active && !m_lassoActive) {
    const Vec2 d = s.view.transform().toData(mouse.x, mouse.y);
    s.selection.hover = pickNearest(style, s.model.xy.data(), d.x, d.y, 8.0 / s.view.view.scale);
  }
  // Zoom around the cursor: the point under it stays.
  if (hovered && io.MouseWheel != 0) {
    const Vec2 before = s.view.transform().toData(mouse.x, mouse.y);
    s.view.view.scale *= std::pow(1.2, double(io.MouseWheel));
    const Vec2 after = s.view.transform().toData(mouse.x, mouse.y);
    s.view.view.cx += before.x - after.x;
    s.view.view.cy += before.y - after.y;
  }
  // Pan with the right or middle button.
  if (hovered && (ImGui::IsMouseClicked(ImGuiMouseButton_Right) || ImGui::IsMouseClicked(ImGuiMouseButton_Middle)))
    m_panning = true;
  if (m_panning) {
    s.view.view.cx -= io.MouseDelta.x / s.view.view.scale;
    s.view.view.cy += io.MouseDelta.y / s.view.view.scale;
    if (!ImGui::IsMouseDown(ImGuiMouseButton_Right) && !ImGui::IsMouseDown(ImGuiMouseButton_Middle)) m_panning = false;
  }
  // Left button: lasso with shift, drag the selected point, or select.
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    float sx = 0, sy = 0;
    ctx.edits.currentPosition(sx, sy);
    const Vec2 sp = s.view.transform().toScreen(sx, sy);
    const float dx = mouse.x - sp.x, dy = mouse.y - sp.y;
    float nx = 0, ny = 0;
    const bool nudge = ctx.clue.nudgeMarker(nx, ny);
    const Vec2 np = s.view.transform().toScreen(nx, ny);
    if (io.KeyShift) {
      m_lassoActive = true;
      m_lasso = {{mouse.x, mouse.y}};
    } else if (nudge && (mouse.x - np.x) * (mouse.x - np.x) + (mouse.y - np.y) * (mouse.y - np.y) < 8.0f * 8.0f) {
      ctx.clue.beginNudge();  // the paused path's shown step, before the selection under it
    } else if (s.selection.sel.any() && dx * dx + dy * dy < 10.0f * 10.0f) {
      ctx.edits.beginDrag();
    } else if (s.selection.hover >= 0) {
      ctx.edits.selectPoint(s.selection.hover);
    }
  }
  if (m_lassoActive) {
    if (ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      const Vec2 last = m_lasso.back();
      if (std::abs(last.x - mouse.x) + std::abs(last.y - mouse.y) > 3) m_lasso.push_back({mouse.x, mouse.y});
    } else {
      finishLasso(ctx, style);
    }
  }
  if (drag.active && !drag.byScript) {
    if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE)) {
      ctx.edits.cancelDrag();
    } else if (ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      const Vec2 d = s.view.transform().toData(mouse.x, mouse.y);
      if (d.x != drag.tx || d.y != drag.ty) ctx.edits.dragTo(d.x, d.y);
    } else if (drag.tx == drag.x0 && drag.ty == drag.y0) {
      drag.active = false;  // a click, not a drag
    } else {
      ctx.edits.commitDrag();
    }
  }
  if (s.selection.hover >= 0 && !drag.active) drawTooltip(ctx);
}

// The lasso selects the points the map shows inside it: not hidden classes, not hidden training points.
void MapPanel::finishLasso(Context& ctx, const PointStyle& style) {
  const MapTransform tr = ctx.state.view.transform();
  std::vector<std::pair<float, float>> polygon;
  for (const Vec2& p : m_lasso) {
    const Vec2 d = tr.toData(p.x, p.y);
    polygon.emplace_back(d.x, d.y);
  }
  ctx.edits.setMultiSelection(pickInPolygon(style, ctx.state.model.xy.data(), polygon));
  ctx.log.info("lasso selected " + std::to_string(ctx.state.selection.multi.size()) + " points");
  m_lassoActive = false;
  m_lasso.clear();
}

void MapPanel::drawTooltip(Context& ctx) {
  const PointTable& t = *ctx.state.model.pts;
  const size_t i = size_t(ctx.state.selection.hover);
  ImGui::BeginTooltip();
  ctx.textures.showThumb("hover", t, int64_t(i), 84);
  ImGui::SameLine();
  ImGui::BeginGroup();
  if (t.isExtra(int64_t(i))) {
    const bool image = t.extraKind[i - size_t(t.numData())] == PointTable::kAddedImage;
    ImGui::Text("#%lld (%s)", (long long)i, image ? "added image" : "layer point");
    ImGui::Text("%s: no label", t.pointLabel(int64_t(i)).c_str());
  } else {
    ImGui::Text("#%lld (%s %lld)", (long long)i, t.isTrain[i] ? "train" : "test", (long long)t.splitIndex[i]);
    ImGui::Text("label: %s", t.classNames[size_t(t.labels[i])].c_str());
  }
  if (t.hasClassifier && t.preds[i] >= 0) {
    ImGui::Text("pred:  %s (p=%.2f)", t.classNames[size_t(t.preds[i])].c_str(),
                t.probs[i * size_t(t.K) + size_t(t.preds[i])]);
    ImGui::Text("total %.3f  alea %.3f  epi %.4f", t.total[i], t.aleatoric[i], t.epistemic[i]);
  } else {
    ImGui::TextDisabled("no classifier (label-free encoder)");
  }
  ImGui::EndGroup();
  ImGui::EndTooltip();
}

}  // namespace latentlab::gui
