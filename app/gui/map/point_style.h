#pragma once
// Which points the map shows, and in what colour: the one rule that the colours, the hover, the
// lasso and the level-of-detail pass share. GL-free; tested headless (tests/app_logic_test.cpp).
#include <cstdint>
#include <utility>
#include <vector>

#include "app_state.h"
#include "latentlab/explorer/viewmath.h"

namespace latentlab::gui {

// The map's background (the muted training points are blended towards it).
inline constexpr Rgb kMapBackground = {26 / 255.0f, 28 / 255.0f, 34 / 255.0f};
inline constexpr uint32_t kMapBackgroundRgba = 0x00221c1a;

// The colours of the "correct" colour mode (the dots, the thumbnail borders and the legend): a muted
// blue and a bright orange, which viewers with red-green colour blindness also tell apart.
Rgb correctnessColor(bool correct);
// An added point's colour where the map shows classes: white for an added image, pink for a layer.
Rgb extraColor(uint8_t kind);
// RGBA8 (red in the low byte), as MapRenderer takes it.
uint32_t packRgba(const Rgb& c, float alpha);

struct PointStyle {
  const PointTable* table = nullptr;
  ColorMode mode = ColorMode::Label;
  std::vector<bool> hidden;  // [K]
  bool showTrain = false;
  const std::vector<uint8_t>* filterMask = nullptr;  // [n] or empty: no filter
  const std::vector<uint8_t>* multiMask = nullptr;   // [n] or empty
  bool anyMulti = false;                             // a multi-selection exists: others are dimmed
  const UncertaintyScales* scales = nullptr;         // the uncertainty modes' colour scales

  // The style the app's state asks for.
  static PointStyle of(const AppState& s);

  // The class the legend lists the point under: its prediction when colouring by prediction,
  // else its label.
  int classOf(int64_t i) const;
  // Shown on the map: not a training point while those are off, and not of a hidden class.
  bool visible(int64_t i) const;
  // The colour mode's colour for the point, before muting and dimming (thumbnail borders).
  Rgb baseColor(int64_t i) const;
  // As drawn, RGBA8: alpha 0 exactly when !visible(i). Training points are opaque but muted (as if
  // 55% over the background); points outside the multi-selection or the filter are dimmed.
  uint32_t colorOf(int64_t i) const;
};

// colorOf for every point of the table.
std::vector<uint32_t> pointColors(const PointStyle& style);
// The test points in drawing order, bottom first: by value in the uncertainty modes (the most
// uncertain on top), the wrong ones on top of the right ones in the correct mode, else by index.
std::vector<uint32_t> testDrawOrder(const PointStyle& style);

// The nearest visible point to projection point (x, y) within `radius` projection units, or -1.
int64_t pickNearest(const PointStyle& style, const float* xy, double x, double y, double radius);
// The visible points inside the polygon (projection coordinates; even-odd rule), in index order.
std::vector<int64_t> pickInPolygon(const PointStyle& style, const float* xy,
                                   const std::vector<std::pair<float, float>>& polygon);

}  // namespace latentlab::gui
