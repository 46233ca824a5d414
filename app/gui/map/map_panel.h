#pragma once
// The map: its window, toolbar (map_toolbar.cpp), mouse input (map_input.cpp: hover, zoom, pan,
// select, drag, lasso), overlays and legend (map_overlay.cpp). The points themselves are drawn by
// MapRenderer from an ImGui draw callback, with what the level-of-detail pass (map_lod.h) picks.
// UI thread only.
#include <cstdint>
#include <string>
#include <vector>

#include "map/map_lod.h"
#include "map/map_renderer.h"
#include "map/map_view.h"

struct ImDrawList;
struct ImVec2;

namespace latentlab::gui {

struct Context;
class Panel;
struct PointStyle;
struct AppState;

class MapPanel {
 public:
  // The map window at `rect`; `overlays` draw over the map after the points (edited points, paths).
  void draw(Context& ctx, const MapRect& rect, const std::vector<Panel*>& overlays);
  // True while the mouse moves something on the map (a drag, a lasso, a pan).
  bool animating(const Context& ctx) const;
  // The GL renderer: compiled once the GL context is current (false with a message in `err`),
  // freed while it still is.
  bool initRenderer(std::string& err) { return m_renderer.init(err); }
  void destroyRenderer() { m_renderer.destroy(); }

 private:
  void drawToolbar(Context& ctx);
  // Uploads what changed (atlas, positions, colours), then runs the level-of-detail pass.
  void syncRenderer(Context& ctx);
  void render();  // from the ImGui draw callback
  void handleInput(Context& ctx, bool hovered);
  void finishLasso(Context& ctx, const PointStyle& style);
  void drawTooltip(Context& ctx);
  void drawOverlay(Context& ctx, ImDrawList* dl);
  void drawLegend(Context& ctx, ImDrawList* dl);
  void drawCaption(Context& ctx, ImDrawList* dl);

  Context* m_ctx = nullptr;  // for the draw callback, during draw()
  MapRenderer m_renderer;
  MapLod m_lod;
  std::vector<uint32_t> m_colors;  // RGBA8 per point, as uploaded
  std::vector<uint32_t> m_testOrder;
  struct AutoFit {
    bool on = false;
    MapViewport view;                                  // what the fit gave
    float width = 0, height = 0, legend = 0, top = 0;  // what it was made for
  } m_autoFit;
  void keepAutoFit(AppState& s);
  float presenterCaptionHeight(Context& ctx) const;
  bool m_legendDrawn =
      false;  // its width is known (AppState::view.reserveLeft)  // the test points in drawing order (testDrawOrder)
  std::vector<ThumbInstance> m_thumbs;
  std::vector<Vec2> m_lasso;  // window pixels
  bool m_lassoActive = false, m_panning = false;
  bool m_mouseMoved = false;  // no hover until the mouse has really moved
};

}  // namespace latentlab::gui
