#include "map/map_lod.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace latentlab::gui {

bool MapLod::update(const LodInput& in) {
  const MapViewport& v = in.view;
  if (m_valid && v.cx == m_view.cx && v.cy == m_view.cy && v.scale == m_view.scale && v.width == m_view.width &&
      v.height == m_view.height && in.fitScale == m_fitScale && in.pointPx == m_pointPx)
    return false;
  m_valid = true;
  m_view = v;
  m_fitScale = in.fitScale;
  m_pointPx = in.pointPx;
  const int W = std::max(1, v.width), H = std::max(1, v.height);

  const double margin = 6.0 / v.scale;
  const double hw = 0.5 * W / v.scale + margin, hh = 0.5 * H / v.scale + margin;
  const double cellPx = std::max(1.0, 0.5 * in.pointPx);
  const int CW = int(std::ceil(W / cellPx)), CH = int(std::ceil(H / cellPx));
  if (m_cellStamp.size() < size_t(CW) * size_t(CH)) {
    m_cellStamp.assign(size_t(CW) * size_t(CH), 0);
    m_stamp = 0;
  }
  if (++m_stamp == 0) {
    std::fill(m_cellStamp.begin(), m_cellStamp.end(), 0u);
    m_stamp = 1;
  }
  m_drawList.clear();
  auto visit = [&](int64_t i) {
    const size_t s = size_t(i);
    const uint32_t alpha = in.colors[s] >> 24;
    if (alpha == 0) return;
    const double dx = in.xy[2 * s] - v.cx, dy = in.xy[2 * s + 1] - v.cy;
    if (std::abs(dx) > hw || std::abs(dy) > hh) return;
    const long cx = std::lround(std::floor((0.5 * W + dx * v.scale) / cellPx));
    const long cy = std::lround(std::floor((0.5 * H - dy * v.scale) / cellPx));
    if (cx >= 0 && cx < CW && cy >= 0 && cy < CH) {
      uint32_t& stamp = m_cellStamp[size_t(cy) * size_t(CW) + size_t(cx)];
      if (stamp == m_stamp) return;
      if (alpha >= 217) stamp = m_stamp;  // opaque enough to hide what lies under it
    }
    m_drawList.push_back(uint32_t(i));
  };
  // Walk from the top of the drawing order down (test points, then training points), then reverse.
  if (in.testOrder) {
    for (auto k = in.testOrder->rbegin(); k != in.testOrder->rend(); ++k)
      if (int64_t(*k) < in.n && !in.isTrain[*k]) visit(int64_t(*k));
  } else {
    for (int64_t i = in.n - 1; i >= 0; --i)
      if (!in.isTrain[size_t(i)]) visit(i);
  }
  if (in.showTrain)
    for (int64_t i = in.n - 1; i >= 0; --i)
      if (in.isTrain[size_t(i)]) visit(i);
  std::reverse(m_drawList.begin(), m_drawList.end());
  placeThumbnails(in);
  return true;
}

void MapLod::placeThumbnails(const LodInput& in) {
  const MapViewport& v = m_view;
  const int W = std::max(1, v.width), H = std::max(1, v.height);
  const float px = float(10.0 * v.scale / std::max(1e-9, in.fitScale));
  m_thumbs.clear();
  m_thumbPx = 0;
  if (px < kThumbMinPx) return;
  m_thumbPx = std::min(px, kThumbMaxPx);
  std::vector<std::pair<float, int64_t>> cand;
  for (uint32_t i : m_drawList) {
    const size_t s = size_t(i);
    if (in.filterMask && !in.filterMask[s]) continue;
    const double dx = in.xy[2 * s] - v.cx, dy = in.xy[2 * s + 1] - v.cy;
    cand.emplace_back(float(dx * dx + dy * dy), int64_t(i));
  }
  std::sort(cand.begin(), cand.end());
  const double gap = 0.8 * m_thumbPx;  // pixels
  const int gw = int(W / gap) + 3, gh = int(H / gap) + 3;
  std::vector<int32_t> grid(size_t(gw) * size_t(gh), -1);  // one placed thumbnail per cell suffices
  std::vector<int64_t> placed;
  const float* xy = in.xy;
  for (auto& c : cand) {
    if (placed.size() >= kMaxThumbs) break;
    const size_t s = size_t(c.second);
    const double sx = 0.5 * W + (xy[2 * s] - v.cx) * v.scale + gap,
                 sy = 0.5 * H - (xy[2 * s + 1] - v.cy) * v.scale + gap;
    const int gx = std::clamp(int(sx / gap), 0, gw - 1), gy = std::clamp(int(sy / gap), 0, gh - 1);
    bool free = true;
    for (int yy = std::max(0, gy - 1); yy <= std::min(gh - 1, gy + 1) && free; ++yy)
      for (int xx = std::max(0, gx - 1); xx <= std::min(gw - 1, gx + 1) && free; ++xx) {
        const int32_t o = grid[size_t(yy) * size_t(gw) + size_t(xx)];
        if (o < 0) continue;
        const size_t os = size_t(placed[size_t(o)]);
        const double ox = (xy[2 * os] - xy[2 * s]) * v.scale, oy = (xy[2 * os + 1] - xy[2 * s + 1]) * v.scale;
        if (std::abs(ox) < gap && std::abs(oy) < gap) free = false;
      }
    if (!free) continue;
    grid[size_t(gy) * size_t(gw) + size_t(gx)] = int32_t(placed.size());
    placed.push_back(c.second);
  }
  // Far ones first, so that the nearest end on top.
  m_thumbs.assign(placed.rbegin(), placed.rend());
}

}  // namespace latentlab::gui
