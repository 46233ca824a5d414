#pragma once
// The Attribution tab: integrated gradients of the selection's image for a target (a class's
// probability or logit, or an uncertainty) through either head, from one of four baselines, with
// the completeness residual; a scrubber along the path shows the interpolated input, F there, the
// gradient there and the attribution gathered so far. Maps are drawn by the saliency shader.
#include "panels/panel.h"

namespace latentlab::gui {

class AttributionPanel : public Panel {
 public:
  const char* name() const override { return "Attribution"; }
  bool wantsFocus(Context& ctx) override;
  void draw(Context& ctx) override;
  void drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) override;

 private:
  void drawSettings(Context& ctx);
  void drawRun(Context& ctx);
  uint64_t m_seenSerial = 0;
};

}  // namespace latentlab::gui
