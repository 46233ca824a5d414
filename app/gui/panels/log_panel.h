#pragma once
// The Log tab: what the explorer did, and the last error in red.
#include "panels/panel.h"

namespace latentlab::gui {

class LogPanel : public Panel {
 public:
  const char* name() const override { return "Log"; }
  void draw(Context& ctx) override;
};

}  // namespace latentlab::gui
