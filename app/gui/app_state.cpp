#include "app_state.h"

#include <algorithm>
#include <cmath>

namespace latentlab::gui {

namespace {
template <class E, size_t N>
size_t indexOf(const E (&all)[N], E e) {
  return size_t(std::find(all, all + N, e) - all);
}
}  // namespace

const char* projectionKey(Projection p) {
  static const char* const keys[] = {"pca", "tsne", "umap", "csv"};
  return keys[indexOf(kProjections, p)];
}

const char* projectionLabel(Projection p) {
  static const char* const labels[] = {"PCA", "t-SNE", "UMAP", "CSV layout"};
  return labels[indexOf(kProjections, p)];
}

std::optional<Projection> parseProjection(const std::string& key) {
  for (Projection p : kProjections)
    if (key == projectionKey(p)) return p;
  return std::nullopt;
}

const char* colorModeKey(ColorMode m) { return colorModes()[indexOf(kColorModes, m)].c_str(); }

const char* colorModeLabel(ColorMode m) {
  static const char* const labels[] = {"true class", "predicted", "total U", "aleatoric U", "epistemic U", "correct"};
  return labels[indexOf(kColorModes, m)];
}

std::optional<ColorMode> parseColorMode(const std::string& key) {
  for (ColorMode m : kColorModes)
    if (key == colorModeKey(m)) return m;
  return std::nullopt;
}

ColorMode nextColorMode(ColorMode m) {
  const size_t n = std::size(kColorModes);
  return kColorModes[(indexOf(kColorModes, m) + 1) % n];
}

const LayoutQuality* Model::qualityOf(Projection p) const {
  auto it = layouts.find(p);
  if (it != layouts.end() && it->second.haveQuality) return &it->second.quality;
  if (p == Projection::Pca && pcaQuality) return &*pcaQuality;
  return nullptr;
}

void Model::setPositions(const std::vector<float>& positions) {
  xy = positions;
  minX = minY = 1e30f;
  maxX = maxY = -1e30f;
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    minX = std::min(minX, xy[i]);
    maxX = std::max(maxX, xy[i]);
    minY = std::min(minY, xy[i + 1]);
    maxY = std::max(maxY, xy[i + 1]);
  }
}

std::vector<float> pcaPositions(const Pca2& pca, const PointTable& t, int64_t n) {
  std::vector<float> xy(size_t(2 * n));
  projectPca2(pca, t.latents.data(), n, xy.data());
  return xy;
}

void fitView(AppState& s) {
  if (!s.hasModel()) return;
  const Model& m = s.model;
  ViewState& v = s.view;
  const double rx = std::max(1e-6f, m.maxX - m.minX), ry = std::max(1e-6f, m.maxY - m.minY);
  // The data fill the part of the map the legend and a caption leave free (when it is not too small).
  const float left = v.reserveLeft < 0.4f * v.mapRect.width ? v.reserveLeft : 0.0f;
  // A caption set in this frame has not been measured yet: about two lines of it.
  const float caption = v.reserveBottom > 0 || s.style.caption.empty() ? v.reserveBottom : 120.0f;
  const float bottom = caption < 0.4f * v.mapRect.height ? caption : 0.0f;
  const float top = v.reserveTop < 0.4f * v.mapRect.height ? v.reserveTop : 0.0f;
  v.view.scale = 0.92 * std::min((v.mapRect.width - left) / rx, (v.mapRect.height - bottom - top) / ry);
  v.view.cx = 0.5 * (m.minX + m.maxX) - 0.5 * left / v.view.scale;
  v.view.cy = 0.5 * (m.minY + m.maxY) - 0.5 * (bottom - top) / v.view.scale;
  v.fitScale = v.view.scale;
  v.needFit = false;
}

void clampView(AppState& s) {
  if (!s.hasModel() || s.view.needFit) return;
  MapViewport& v = s.view.view;
  const Model& m = s.model;
  if (!std::isfinite(v.scale) || !std::isfinite(v.cx) || !std::isfinite(v.cy) || v.scale <= 0) return fitView(s);
  const double fit = s.view.fitScale > 0 && std::isfinite(s.view.fitScale) ? s.view.fitScale : 1.0;
  v.scale = std::clamp(v.scale, fit * 1e-3, fit * 1e5);
  const double wx = std::max(1e-6, double(m.maxX) - m.minX), wy = std::max(1e-6, double(m.maxY) - m.minY);
  v.cx = std::clamp(v.cx, m.minX - 10 * wx, m.maxX + 10 * wx);
  v.cy = std::clamp(v.cy, m.minY - 10 * wy, m.maxY + 10 * wy);
}

TrainOptions guiTrainOptions() {
  TrainOptions o;
  o.ensemble = 0;
  return o;
}

OodHistogram oodHistogram(const ModelReport& r) {
  OodHistogram h;
  std::vector<float> all;
  for (const auto* set : {&r.inMi, &r.outMi})
    for (float v : *set)
      if (std::isfinite(v) && v > 0) all.push_back(v);
  std::sort(all.begin(), all.end());
  h.lo = all.empty() ? 1e-6 : std::log10(std::max(1e-9f, all[all.size() / 100]));
  h.hi = all.empty() ? 0 : std::max(h.lo + 1e-3, double(std::log10(all.back())));
  h.in.assign(OodHistogram::kBins, 0);
  h.out.assign(OodHistogram::kBins, 0);
  auto fill = [&](const std::vector<float>& values, std::vector<float>& hist) {
    for (float v : values) {  // a non-finite score has no bin (core refuses them; this never indexes with one)
      if (!std::isfinite(v)) continue;
      const double t = (std::log10(std::max(v, 1e-12f)) - h.lo) / (h.hi - h.lo);
      hist[size_t(std::clamp(int(t * OodHistogram::kBins), 0, OodHistogram::kBins - 1))] += 1.0f / float(values.size());
    }
  };
  fill(r.inMi, h.in);
  fill(r.outMi, h.out);
  for (int k = 0; k < OodHistogram::kBins; ++k) h.top = std::max({h.top, h.in[size_t(k)], h.out[size_t(k)]});
  return h;
}

uint64_t AppState::addedImageCount() const {
  if (!hasModel()) return 0;
  uint64_t n = 0;
  for (uint8_t k : model.pts->extraKind) n += k == PointTable::kAddedImage;
  return n;
}

std::string AppState::addedImagePath(uint64_t k) const {
  if (!hasModel()) return "";
  const PointTable& t = *model.pts;
  for (size_t i = 0; i < t.extraKind.size(); ++i)
    if (t.extraKind[i] == PointTable::kAddedImage && k-- == 0) return t.extraPath[i];
  return "";
}

}  // namespace latentlab::gui
