#pragma once
// The Inspector: the selected point's image, its decode g(z) (live during a drag), the nearest data
// images (snap), the class probabilities of the Bayesian last layer and the deterministic head,
// and the three uncertainties.
#include "panels/panel.h"

namespace latentlab::gui {

class InspectorPanel : public Panel {
 public:
  const char* name() const override { return "Inspector"; }
  void draw(Context& ctx) override;
};

}  // namespace latentlab::gui
