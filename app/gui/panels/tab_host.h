#pragma once
// The tabbed window under the inspector: Model, Jobs, Edited, Log (and the later explanation
// panels), each a Panel of its own.
#include <memory>
#include <vector>

#include "map/map_view.h"
#include "panels/panel.h"

namespace latentlab::gui {

class TabHost {
 public:
  void add(std::unique_ptr<Panel> panel) { m_tabs.push_back(std::move(panel)); }
  const std::vector<std::unique_ptr<Panel>>& tabs() const { return m_tabs; }
  // Draws the window at `rect` (window pixels) with one tab per panel.
  void draw(Context& ctx, const MapRect& rect);

 private:
  std::vector<std::unique_ptr<Panel>> m_tabs;
};

}  // namespace latentlab::gui
