#pragma once
// The Examples tab (Crabbé and van der Schaar 2022): the top-k and bottom-k training images for the selection's latent,
// by DKNN, SimplEx or TracIn, with their scores and labels. Clicking one selects it on the map; the
// top examples are ringed on the map.
#include <cstdint>

#include "panels/panel.h"

namespace latentlab::gui {

class ExamplesPanel : public Panel {
 public:
  const char* name() const override { return "Examples"; }
  bool wantsFocus(Context& ctx) override;
  void draw(Context& ctx) override;
  void drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) override;

 private:
  void drawSettings(Context& ctx);
  void drawRow(Context& ctx, bool top);
  uint64_t m_seenSerial = 0;
};

}  // namespace latentlab::gui
