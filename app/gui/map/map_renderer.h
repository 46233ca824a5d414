#pragma once
// Draws the point map with the shaders in shaders/: every point as a point sprite, and image
// thumbnails from a texture atlas for the points the level-of-detail pass picks. It draws straight
// into the window's framebuffer, from an ImGui draw callback, so that the map costs no extra
// full-size copy (under llvmpipe an off-screen texture plus its blended quad cost about 8 ms).
#include <cstdint>
#include <string>
#include <vector>

#include "map/map_view.h"

namespace latentlab::gui {

struct ThumbInstance {
  float x, y;         // projection coordinates
  float cell, layer;  // atlas slot
  uint32_t border;    // RGBA8
};

class MapRenderer {
 public:
  MapRenderer() = default;
  ~MapRenderer() = default;
  void destroy();  // frees the GL objects; call while the context is current
  // Compiles the shaders; returns false with a message in `err`.
  bool init(std::string& err);
  void setPositions(const std::vector<float>& xy);    // [n, 2]
  void setColors(const std::vector<uint32_t>& rgba);  // [n], RGBA8 (alpha 0 hides a point)
  // The points to draw, in drawing order (later on top); until the first call after
  // setPositions, all of them in index order.
  void setDrawList(const std::vector<uint32_t>& indices);
  // Grey images [n, h, w]; call again when the points change.
  // pixels [n, h, w, c] (c = 1 grey, 3 RGB), the PointTable thumbnails.
  void setAtlas(const std::vector<uint8_t>& pixels, int64_t n, int h, int w, int c);
  void atlasSlot(int64_t index, float& cell, float& layer) const;
  void setThumbs(const std::vector<ThumbInstance>& thumbs);
  // Draws into the current framebuffer's rectangle whose lower-left corner is (x, y) in GL
  // pixels, of the viewport's width and height (scissored; the GL blend/scissor state changes).
  void render(const MapViewport& v, int x, int y, float pointSizePx, float thumbSizePx, uint32_t background);
  int64_t pointCount() const { return m_points; }

 private:
  unsigned m_pointsProg = 0, m_thumbsProg = 0;
  unsigned m_pointsVao = 0, m_posVbo = 0, m_colVbo = 0, m_drawEbo = 0;
  unsigned m_thumbVao = 0, m_quadVbo = 0, m_thumbVbo = 0;
  unsigned m_atlas = 0;
  int64_t m_points = 0, m_thumbs = 0, m_drawCount = -1;
  int m_cellsPerRow = 1, m_cellsPerLayer = 1, m_texW = 1, m_texH = 1;
  float m_aspect = 1.0f;  // thumbnail width / height
};

}  // namespace latentlab::gui
