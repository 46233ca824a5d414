#pragma once
// Draws the point map into an off-screen texture with the shaders in shaders/: every point as an
// instanced point sprite, and image thumbnails from a texture atlas for the few thousand points
// the level-of-detail pass picks. The UI shows the texture with ImGui::Image.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::gui {

struct MapViewport {
  double cx = 0, cy = 0;  // projection coordinates at the centre
  double scale = 1;       // pixels per projection unit
  int width = 1, height = 1;
};

struct ThumbInstance {
  float x, y;        // projection coordinates
  float cell, layer; // atlas slot
  uint32_t border;   // RGBA8
};

class MapRenderer {
 public:
  MapRenderer() = default;
  ~MapRenderer() = default;
  void destroy();  // frees the GL objects; call while the context is current
  // Compiles the shaders; returns false with a message in `err`.
  bool init(std::string& err);
  void setPositions(const std::vector<float>& xy);     // [n, 2]
  void setColors(const std::vector<uint32_t>& rgba);   // [n], RGBA8 (alpha 0 hides a point)
  // Grey images [n, h, w]; call again when the points change.
  void setAtlas(const std::vector<uint8_t>& pixels, int64_t n, int h, int w);
  void atlasSlot(int64_t index, float& cell, float& layer) const;
  void setThumbs(const std::vector<ThumbInstance>& thumbs);
  void render(const MapViewport& v, float pointSizePx, float thumbSizePx, uint32_t background);
  unsigned texture() const { return m_colorTex; }
  int64_t pointCount() const { return m_points; }

 private:
  void ensureTarget(int w, int h);
  unsigned m_pointsProg = 0, m_thumbsProg = 0;
  unsigned m_pointsVao = 0, m_posVbo = 0, m_colVbo = 0;
  unsigned m_thumbVao = 0, m_quadVbo = 0, m_thumbVbo = 0;
  unsigned m_atlas = 0, m_fbo = 0, m_colorTex = 0;
  int m_w = 0, m_h = 0;
  int64_t m_points = 0, m_thumbs = 0;
  int m_cellsPerRow = 1, m_cellsPerLayer = 1, m_texW = 1, m_texH = 1;
};

}  // namespace latentlab::gui
