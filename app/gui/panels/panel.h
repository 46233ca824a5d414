#pragma once
// A panel of the explorer: what it draws inside its window or tab (the host owns Begin/End, as
// ImHex's views), what it draws over the map (trajectories, paths, edited points), and whether it
// needs frames while nothing else moves (an animation). One panel per file in panels/.
#include <string>

struct ImDrawList;

namespace latentlab::gui {

struct Context;
struct MapTransform;

class Panel {
 public:
  virtual ~Panel() = default;
  // The panel's name: its window or tab id ("Jobs").
  virtual const char* name() const = 0;
  // The tab's label; may carry a count ("Edited (3)"). Defaults to the name.
  virtual std::string title(const Context&) const { return name(); }
  // Asks the tab host to bring this tab to the front (once).
  virtual bool wantsFocus(Context&) { return false; }
  virtual void draw(Context& ctx) = 0;
  // Drawn over the map, clipped to it, after the points and before the selection markers.
  virtual void drawMapOverlay(Context&, const MapTransform&, ImDrawList*) {}
  // True while the panel animates: the window then draws continuously.
  virtual bool animating(const Context&) const { return false; }
};

}  // namespace latentlab::gui
