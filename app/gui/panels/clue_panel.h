#pragma once
// The CLUE tab: counterfactual explanations of the selection's uncertainty (latent CLUE, the
// VAE-CLUE baseline, ReGene prototypes, class change, hierarchical search), run with the Laplace
// and the deterministic head side by side, with the round trip phi(g(z*)) always shown; a scrubber
// and playback along the path (the inspector follows), a filmstrip, and the paths on the map.
#include <string>

#include "panels/panel.h"

namespace latentlab::gui {

class CluePanel : public Panel {
 public:
  const char* name() const override { return "CLUE"; }
  bool wantsFocus(Context& ctx) override;
  void draw(Context& ctx) override;
  void drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) override;
  bool animating(const Context& ctx) const override;

 private:
  void drawSettings(Context& ctx);
  void drawResults(Context& ctx);
  void drawScrubber(Context& ctx);
  void drawBatch(Context& ctx);  // clue_batch.cpp
  bool m_focusNext = false;
  std::string m_proposed;    // the batch folder the panel proposed, and
  std::string m_outKey;      // the settings it was proposed for
  uint64_t m_seenBatch = 0;  // the batch run the panel scrolled to
  int m_scrollFrames = 0;
  uint64_t m_seenSerial = 0;
};

}  // namespace latentlab::gui
