#pragma once
// The uncertainty colour scales of the map and the percentiles the inspector shows. GL-free and
// torch-free; tested headless (tests/app_logic_test.cpp).
//
// A linear scale up to the largest value leaves nearly every point dark: a few outliers set the top
// (epistemic 0.21 nats on Fashion-MNIST while most points are below 0.01). So each mode's scale runs
// from the 1st to the 99th percentile of the test points' values (the 1% beyond each end are
// clamped to its colour, and counted), and when the values are skewed (the median in the lowest
// tenth of that range) the axis is logarithmic, over at most three decades. The legend prints the numbers at its ticks.
#include <array>
#include <cstdint>
#include <vector>

namespace latentlab::gui {

struct ColorScale {
  float lo = 0, hi = 1;          // the ends, in the values' unit (nats)
  bool log = false;              // log axis between lo > 0 and hi
  bool floored = false;          // lo is hi / 1000, above the 1st percentile (a log axis spans 3 decades at most)
  int64_t below = 0, above = 0;  // values clamped at the low and the high end

  // Where v falls on the scale, clamped to 0..1 (NaN gives 0).
  float position(float v) const;
  // The value at position t in 0..1 (the legend's ticks).
  float valueAt(float t) const;
};

// The scale for these values (non-finite values are ignored; none at all gives 0..1).
ColorScale robustColorScale(const float* values, int64_t n);

// What share of `sorted` (ascending) lies below v, in percent: 0..100.
float percentileOf(const std::vector<float>& sorted, float v);

// Total, aleatoric and epistemic, in that order: each one's colour scale and its sorted values over
// the test points (for the percentiles beside the inspector's bars).
struct UncertaintyScales {
  std::array<ColorScale, 3> scale;
  std::array<std::vector<float>, 3> sorted;
};
UncertaintyScales uncertaintyScales(const float* total, const float* aleatoric, const float* epistemic, int64_t n);

}  // namespace latentlab::gui
