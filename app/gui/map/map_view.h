#pragma once
// The map's geometry: what part of the projection plane is shown, and where it sits in the window.
// GL-free and ImGui-free (the level-of-detail pass and its tests use it).

namespace latentlab::gui {

struct MapViewport {
  double cx = 0, cy = 0;  // projection coordinates at the centre
  double scale = 1;       // pixels per projection unit
  int width = 1, height = 1;
};

// A rectangle in window pixels (top-left origin, y down).
struct MapRect {
  float left = 0, top = 0, width = 1, height = 1;
};

struct Vec2 {
  float x = 0, y = 0;
};

// The one mapping between window pixels and projection units: window (px, py) shows projection
// point (cx + (px - left - width/2) / scale, cy - (py - top - height/2) / scale).
struct MapTransform {
  double cx = 0, cy = 0, scale = 1;
  MapRect rect;

  Vec2 toScreen(double x, double y) const {
    return {float(rect.left + rect.width * 0.5 + (x - cx) * scale),
            float(rect.top + rect.height * 0.5 - (y - cy) * scale)};
  }
  Vec2 toData(float px, float py) const {
    return {float(cx + (px - rect.left - rect.width * 0.5) / scale),
            float(cy - (py - rect.top - rect.height * 0.5) / scale)};
  }
};

}  // namespace latentlab::gui
