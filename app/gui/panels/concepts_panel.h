#pragma once
// The Concepts tab (Gat et al. 2022): the DVAE's bits of the selection as a clickable grid. A click flips
// a bit (ConceptController); hovering a bit previews its flip, the Hamming neighbour's image and
// prediction; a strip shows, for every single flip, the class probabilities it would give.
#include <cstdint>

#include "panels/panel.h"

namespace latentlab::gui {

class ConceptsPanel : public Panel {
 public:
  const char* name() const override { return "Concepts"; }
  bool wantsFocus(Context& ctx) override;
  void draw(Context& ctx) override;

 private:
  void drawGrid(Context& ctx);
  void drawStrip(Context& ctx);
  uint64_t m_seenSerial = 0;
};

}  // namespace latentlab::gui
