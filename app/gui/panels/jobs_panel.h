#pragma once
// The Jobs tab: every background job, newest first, with its progress bar and Cancel.
#include "panels/panel.h"

namespace latentlab::gui {

class JobsPanel : public Panel {
 public:
  const char* name() const override { return "Jobs"; }
  std::string title(const Context& ctx) const override;
  bool wantsFocus(Context& ctx) override;
  void draw(Context& ctx) override;
};

}  // namespace latentlab::gui
