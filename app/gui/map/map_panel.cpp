#include "map/map_panel.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "context.h"
#include "map/point_style.h"
#include "panels/panel.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

bool MapPanel::animating(const Context& ctx) const { return ctx.state.edits.drag.active || m_lassoActive || m_panning; }

void MapPanel::draw(Context& ctx, const MapRect& rect, const std::vector<Panel*>& overlays) {
  m_ctx = &ctx;
  AppState& s = ctx.state;
  ImGui::SetNextWindowPos(ImVec2(rect.left, rect.top));
  ImGui::SetNextWindowSize(ImVec2(rect.width, rect.height));
  ImGui::Begin("Map", nullptr,
               ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse |
                   ImGuiWindowFlags_NoBackground);
  drawToolbar(ctx);

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.x = std::max(avail.x, 10.0f);
  avail.y = std::max(avail.y, 10.0f);
  s.view.mapRect = {origin.x, origin.y, avail.x, avail.y};
  if (s.hasModel() && s.view.needFit) {
    // Before the legend was first drawn its width is not known: about the class legend's.
    if (!m_legendDrawn && !s.style.legendCollapsed) s.view.reserveLeft = std::max(s.view.reserveLeft, 170.0f);
    fitView(s);
    ++s.view.autoFits;
    m_autoFit = {true, s.view.view, s.view.mapRect.width, s.view.mapRect.height, s.view.reserveLeft, s.view.reserveTop};
  }
  s.view.view.width = int(avail.x);
  s.view.view.height = int(avail.y);
  if (s.hasModel()) syncRenderer(ctx);
  // MapRenderer draws the points straight into the framebuffer when ImGui renders this window,
  // under the overlays that come after it in the draw list.
  ImDrawList* mapDl = ImGui::GetWindowDrawList();
  mapDl->AddCallback(
      [](const ImDrawList*, const ImDrawCmd* cmd) { static_cast<MapPanel*>(cmd->UserCallbackData)->render(); }, this);
  mapDl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton(
      "mapcanvas", avail,
      ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered();
  if (s.hasModel()) handleInput(ctx, hovered);

  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), true);
  if (s.hasModel()) {
    const MapTransform t = s.view.transform();
    // Multi-selection rings, when few enough to draw one by one.
    const auto& multi = s.selection.multi;
    if (!multi.empty() && multi.size() <= 200)  // more rings would bury the colours: the dimming shows them
      for (int64_t i : multi)
        dl->AddCircle(toIm(t.toScreen(s.model.xy[size_t(2 * i)], s.model.xy[size_t(2 * i + 1)])), 4.5f,
                      IM_COL32(255, 255, 255, 160));
    for (Panel* p : overlays) p->drawMapOverlay(ctx, t, dl);
    drawOverlay(ctx, dl);
    s.view.reserveTop = presenterCaptionHeight(ctx);
    drawLegend(ctx, dl);
    keepAutoFit(s);
  } else {
    const char* msg = s.loadingDir.empty() ? "No model loaded: File > Load bundle" : "Loading the model...";
    dl->AddText(ImVec2(origin.x + 20, origin.y + 20), IM_COL32(230, 230, 230, 255), msg);
  }
  drawCaption(ctx, dl);
  dl->PopClipRect();
  ImGui::End();
}

// The fit made when a model or a layout arrives is made again while the map's size or the legend's
// width is still settling (the first frames: the legend is measured, the toolbar wraps), until
// anything moves the view. So the first view equals a later `fit`, and a recorded demo's view
// (written relative to that fit) replays exactly. A caption refits it only in presenter mode (its
// strip at the top); the demo recorder does not write these fits, which a replay makes itself.
void MapPanel::keepAutoFit(AppState& s) {
  AutoFit& a = m_autoFit;
  if (!a.on) return;
  const MapViewport& v = s.view.view;
  if (v.scale != a.view.scale || v.cx != a.view.cx || v.cy != a.view.cy) {
    a.on = false;  // moved by the user, a script or a panel
    return;
  }
  if (a.width == s.view.mapRect.width && a.height == s.view.mapRect.height && a.legend == s.view.reserveLeft &&
      a.top == s.view.reserveTop)
    return;
  fitView(s);
  ++s.view.autoFits;
  a = {true, s.view.view, s.view.mapRect.width, s.view.mapRect.height, s.view.reserveLeft, s.view.reserveTop};
}

void MapPanel::syncRenderer(Context& ctx) {
  AppState& s = ctx.state;
  StyleState& st = s.style;
  const PointTable& t = *s.model.pts;
  if (st.atlasDirty) {
    m_renderer.setAtlas(t.pixels, t.n, int(t.thumbH), int(t.thumbW), int(t.thumbC));
    st.atlasDirty = false;
    m_lod.invalidate();
  }
  if (st.positionsDirty) {
    m_renderer.setPositions(s.model.xy);
    st.positionsDirty = false;
    m_lod.invalidate();
  }
  const PointStyle style = PointStyle::of(s);
  if (st.colorsDirty) {
    m_colors = pointColors(style);
    m_testOrder = testDrawOrder(style);
    m_renderer.setColors(m_colors);
    st.colorsDirty = false;
    m_lod.invalidate();
  }
  s.view.pointPx = float(std::clamp(3.0 * std::sqrt(s.view.view.scale / std::max(1e-9, s.view.fitScale)), 2.5, 9.0));
  const auto t0 = std::chrono::steady_clock::now();
  LodInput in;
  in.xy = s.model.xy.data();
  in.colors = m_colors.data();
  in.isTrain = t.isTrain.data();
  in.filterMask = st.filterMask.empty() ? nullptr : st.filterMask.data();
  in.n = t.n;
  in.showTrain = st.showTrain;
  in.testOrder = &m_testOrder;
  in.view = s.view.view;
  in.fitScale = s.view.fitScale;
  in.pointPx = s.view.pointPx;
  if (m_lod.update(in)) {
    m_renderer.setDrawList(m_lod.drawList());
    m_thumbs.clear();
    for (int64_t i : m_lod.thumbnails()) {
      ThumbInstance ti;
      ti.x = s.model.xy[size_t(2 * i)];
      ti.y = s.model.xy[size_t(2 * i + 1)];
      m_renderer.atlasSlot(i, ti.cell, ti.layer);
      ti.border = packRgba(style.baseColor(i), 1.0f);
      m_thumbs.push_back(ti);
    }
    m_renderer.setThumbs(m_thumbs);
    s.ui.thumbnailsShown = m_thumbs.size();
  }
  s.ui.lodMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void MapPanel::render() {
  const AppState& s = m_ctx->state;
  const ImGuiIO& io = ImGui::GetIO();
  const ImVec2 fbScale = io.DisplayFramebufferScale;
  const int fh = int(io.DisplaySize.y * fbScale.y);
  const MapRect& r = s.view.mapRect;
  MapViewport v = s.view.view;
  v.width = int(r.width * fbScale.x);
  v.height = int(r.height * fbScale.y);
  v.scale = s.view.view.scale * fbScale.x;
  const int x = int(r.left * fbScale.x), y = fh - int((r.top + r.height) * fbScale.y);
  if (s.hasModel())
    m_renderer.render(v, x, y, s.view.pointPx * fbScale.x, m_lod.thumbPx() * fbScale.x, kMapBackgroundRgba);
  else
    m_renderer.render(v, x, y, 3, 0, kMapBackgroundRgba);
}

// The height of presenter mode's caption strip (0 outside presenter mode or without a caption).
float MapPanel::presenterCaptionHeight(Context& ctx) const {
  const std::string& caption = ctx.state.style.caption;
  if (!ctx.state.ui.presenter || caption.empty()) return 0;
  ImFont* f = ImGui::GetIO().Fonts->Fonts.Size > 1 ? ImGui::GetIO().Fonts->Fonts[1] : ImGui::GetFont();
  const float wrap = ctx.state.view.mapRect.width - 80;
  return f->CalcTextSizeA(f->FontSize * 1.4f, wrap, wrap, caption.c_str()).y + 32;
}

void MapPanel::drawCaption(Context& ctx, ImDrawList* dl) {
  const std::string& caption = ctx.state.style.caption;
  ctx.state.view.reserveBottom = 0;
  if (caption.empty()) return;
  const MapRect& r = ctx.state.view.mapRect;
  ImFont* f = ImGui::GetIO().Fonts->Fonts.Size > 1 ? ImGui::GetIO().Fonts->Fonts[1] : ImGui::GetFont();
  const bool presenter = ctx.state.ui.presenter;
  const float fs = f->FontSize * (presenter ? 1.4f : 1.0f);  // presenter mode: larger still
  // Presenter mode: a strip across the top of the map, above the legend and the data (the fit and
  // the legend leave it free).
  const float left = r.left, width = r.width, wrap = width - 80;
  const ImVec2 ts = f->CalcTextSizeA(fs, wrap, wrap, caption.c_str());
  const float bar = ctx.recorder.active() ? 44.0f : 0.0f;  // the recording bar below it
  ImVec2 p(left + (width - ts.x) * 0.5f, r.top + r.height - ts.y - 36 - bar);
  ctx.state.view.reserveBottom = ts.y + 56 + bar;
  if (presenter) {
    p.y = r.top + 12;
    ctx.state.view.reserveBottom = 0;
  } else if (ctx.state.hasModel() && ctx.state.selection.sel.any()) {
    float x = 0, y = 0;
    ctx.edits.currentPosition(x, y);
    const Drag& d = ctx.state.edits.drag;
    const MapTransform t = ctx.state.view.transform();
    const float sy = d.active ? t.toScreen(d.zx, d.zy).y : t.toScreen(x, y).y;
    if (sy > p.y - 24) p.y = r.top + 44;
  }
  dl->AddRectFilled(ImVec2(p.x - 16, p.y - 10), ImVec2(p.x + ts.x + 16, p.y + ts.y + 10), IM_COL32(0, 0, 0, 190), 8);
  dl->AddText(f, fs, p, IM_COL32(255, 255, 255, 255), caption.c_str(), nullptr, wrap);
}

}  // namespace latentlab::gui
