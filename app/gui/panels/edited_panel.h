#pragma once
// The Edited tab: the points the user dragged and kept (select, delete, undo), and their markers
// on the map: a diamond joined to the point it came from.
#include "panels/panel.h"

namespace latentlab::gui {

class EditedPanel : public Panel {
 public:
  const char* name() const override { return "Edited"; }
  std::string title(const Context& ctx) const override;
  void draw(Context& ctx) override;
  void drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) override;
};

}  // namespace latentlab::gui
