#pragma once
// The map's level of detail: which dots to draw, in which order, and which points get an image
// thumbnail. GL-free (the map panel uploads the result); tested headless.
//  - Dots: only those inside the view (plus a dot's radius). A dot whose centre falls in the same
//    cell (half a dot across, at least a pixel) as an opaque dot drawn later is skipped: the later
//    one covers most of it. Training points are drawn first, under the test points. At the fit
//    view of 70k points this draws about 42k; against drawing all, 2.3% of the map's pixels differ
//    by more than 16 levels, 0.4% by more than 64 (measured on screenshots of the shipped bundle),
//    and it took the frame from 31 to 21 ms under llvmpipe.
//  - Thumbnails: from about 2x zoom, greedily from the centre of the view outwards, a point gets a
//    thumbnail when no thumbnail already placed is within 0.8 of a thumbnail's size (so they barely
//    overlap and stay readable), at most kMaxThumbs.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "map/map_view.h"

namespace latentlab::gui {

struct LodInput {
  const float* xy = nullptr;            // [n, 2]
  const uint32_t* colors = nullptr;     // [n] RGBA8 from PointStyle::colorOf; alpha 0 is not drawn
  const uint8_t* isTrain = nullptr;     // [n]
  const uint8_t* filterMask = nullptr;  // [n] or null: only matching points get thumbnails
  int64_t n = 0;
  bool showTrain = false;                            // false: the training points are skipped without a look
  const std::vector<uint32_t>* testOrder = nullptr;  // the test points bottom first (testDrawOrder), or null: by index
  MapViewport view;                                  // width and height in pixels
  double fitScale = 1;                               // the scale that fits the data (the zoom is scale / fitScale)
  float pointPx = 3;                                 // dot diameter in pixels
};

class MapLod {
 public:
  static constexpr size_t kMaxThumbs = 1500;
  static constexpr float kThumbMinPx = 20.0f, kThumbMaxPx = 72.0f;

  // Recomputes when the view changed since the last call or after invalidate(); returns whether it did.
  bool update(const LodInput& in);
  // Call when the positions, colours or visible set change.
  void invalidate() { m_valid = false; }

  const std::vector<uint32_t>& drawList() const { return m_drawList; }  // in drawing order (later on top)
  const std::vector<int64_t>& thumbnails() const { return m_thumbs; }   // far from the centre first
  float thumbPx() const { return m_thumbPx; }                           // 0: none at this zoom

 private:
  void placeThumbnails(const LodInput& in);

  bool m_valid = false;
  MapViewport m_view;
  double m_fitScale = 0;
  float m_pointPx = 0;
  std::vector<uint32_t> m_drawList;
  std::vector<int64_t> m_thumbs;
  float m_thumbPx = 0;
  std::vector<uint32_t> m_cellStamp;  // per cell: == m_stamp when an opaque dot covers it
  uint32_t m_stamp = 0;
};

}  // namespace latentlab::gui
