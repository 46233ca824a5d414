#include "map/point_style.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace latentlab::gui {

Rgb correctnessColor(bool correct) { return correct ? Rgb{0.29f, 0.52f, 0.78f} : Rgb{1.0f, 0.62f, 0.08f}; }

uint32_t packRgba(const Rgb& c, float a) {
  auto b = [](float v) { return uint32_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  return b(c[0]) | (b(c[1]) << 8) | (b(c[2]) << 16) | (b(a) << 24);
}

PointStyle PointStyle::of(const AppState& s) {
  PointStyle p;
  p.table = s.model.pts.get();
  p.mode = s.style.colorMode;
  p.hidden = s.style.hidden;
  p.showTrain = s.style.showTrain;
  p.filterMask = &s.style.filterMask;
  p.multiMask = &s.selection.multiMask;
  p.anyMulti = !s.selection.multi.empty();
  p.scales = &s.model.uncertainty;
  if (p.table && !p.table->hasClassifier) p.mode = ColorMode::Label;  // a label-free bundle has nothing else to show
  return p;
}

int PointStyle::classOf(int64_t i) const {
  const size_t s = size_t(i);
  return mode == ColorMode::Pred && table->preds[s] >= 0 ? table->preds[s] : table->labels[s];
}

bool PointStyle::visible(int64_t i) const {
  if (table->isTrain[size_t(i)] && !showTrain) return false;
  const int cls = classOf(i);
  return !(cls >= 0 && cls < int(hidden.size()) && hidden[size_t(cls)]);
}

Rgb extraColor(uint8_t kind) {
  return kind == PointTable::kAddedImage ? Rgb{1.0f, 1.0f, 1.0f} : Rgb{0.72f, 0.72f, 0.72f};
}

Rgb PointStyle::baseColor(int64_t i) const {
  const PointTable& t = *table;
  const size_t s = size_t(i);
  // An added point has no true class: its own colour where the map shows classes or correctness.
  if (t.isExtra(i) &&
      (mode == ColorMode::Label || mode == ColorMode::Correct || (mode == ColorMode::Pred && classOf(i) < 0)))
    return extraColor(t.extraKind[size_t(i - t.numData())]);
  switch (mode) {
    case ColorMode::Label:
    case ColorMode::Pred:
      return classColor(classOf(i));
    case ColorMode::Total:
      return viridis(scales ? scales->scale[0].position(t.total[s]) : t.total[s]);
    case ColorMode::Aleatoric:
      return viridis(scales ? scales->scale[1].position(t.aleatoric[s]) : t.aleatoric[s]);
    case ColorMode::Epistemic:
      return viridis(scales ? scales->scale[2].position(t.epistemic[s]) : t.epistemic[s]);
    case ColorMode::Correct:
      break;
  }
  return correctnessColor(t.labels[s] == t.preds[s]);
}

uint32_t PointStyle::colorOf(int64_t i) const {
  if (!visible(i)) return 0;
  const size_t s = size_t(i);
  Rgb rgb = baseColor(i);
  float a = 0.9f;
  if (table->isTrain[s]) {
    for (size_t k = 0; k < 3; ++k) rgb[k] = 0.55f * rgb[k] + 0.45f * kMapBackground[k];
    a = 1.0f;
  }
  // A search lights up its own matches, also while a selection exists (the selection keeps its
  // rings); without a search, the selection is lit.
  const bool filtering = filterMask && !filterMask->empty();
  const bool outside =
      filtering ? !(*filterMask)[s] : anyMulti && multiMask && s < multiMask->size() && !(*multiMask)[s];
  if (outside) {
    a = 0.12f;
    rgb = {rgb[0] * 0.6f + 0.2f, rgb[1] * 0.6f + 0.2f, rgb[2] * 0.6f + 0.2f};
  }
  return packRgba(rgb, a);
}

std::vector<uint32_t> pointColors(const PointStyle& style) {
  std::vector<uint32_t> c(size_t(style.table->n));
  for (int64_t i = 0; i < style.table->n; ++i) c[size_t(i)] = style.colorOf(i);
  return c;
}

std::vector<uint32_t> testDrawOrder(const PointStyle& style) {
  const PointTable& t = *style.table;
  std::vector<uint32_t> order(size_t(t.numTest));
  for (size_t i = 0; i < order.size(); ++i) order[i] = uint32_t(i);
  // A layer's points go under the test points (they must not hide them); added images on top.
  auto withExtras = [&t](std::vector<uint32_t> o) {
    std::vector<uint32_t> out;
    for (int64_t i = t.numData(); i < t.n; ++i)
      if (t.extraKind[size_t(i - t.numData())] == PointTable::kLayerPoint) out.push_back(uint32_t(i));
    out.insert(out.end(), o.begin(), o.end());
    for (int64_t i = t.numData(); i < t.n; ++i)
      if (t.extraKind[size_t(i - t.numData())] == PointTable::kAddedImage) out.push_back(uint32_t(i));
    return out;
  };
  const float* v = nullptr;
  switch (style.mode) {
    case ColorMode::Total:
      v = t.total.data();
      break;
    case ColorMode::Aleatoric:
      v = t.aleatoric.data();
      break;
    case ColorMode::Epistemic:
      v = t.epistemic.data();
      break;
    case ColorMode::Correct:
      if (int64_t(t.preds.size()) < t.numTest) return withExtras(std::move(order));
      std::stable_partition(order.begin(), order.end(), [&t](uint32_t i) { return t.labels[i] == t.preds[i]; });
      return withExtras(std::move(order));
    default:
      return withExtras(std::move(order));
  }
  if (int64_t(t.total.size()) < t.numTest || int64_t(t.aleatoric.size()) < t.numTest ||
      int64_t(t.epistemic.size()) < t.numTest)
    return withExtras(std::move(order));
  // NaN (never expected) sorts first, so that the order stays a strict weak one.
  auto key = [v](uint32_t i) { return v[i] == v[i] ? v[i] : -std::numeric_limits<float>::infinity(); };
  std::stable_sort(order.begin(), order.end(), [&key](uint32_t a, uint32_t b) { return key(a) < key(b); });
  return withExtras(std::move(order));
}

int64_t pickNearest(const PointStyle& style, const float* xy, double x, double y, double radius) {
  double best = radius * radius;
  int64_t found = -1;
  for (int64_t i = 0; i < style.table->n; ++i) {
    const double dx = xy[2 * i] - x, dy = xy[2 * i + 1] - y;
    const double d2 = dx * dx + dy * dy;
    if (d2 < best && style.visible(i)) {
      best = d2;
      found = i;
    }
  }
  return found;
}

std::vector<int64_t> pickInPolygon(const PointStyle& style, const float* xy,
                                   const std::vector<std::pair<float, float>>& polygon) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < style.table->n; ++i)
    if (style.visible(i) && pointInPolygon(xy[2 * i], xy[2 * i + 1], polygon)) out.push_back(i);
  return out;
}

}  // namespace latentlab::gui
