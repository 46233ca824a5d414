#pragma once
// The main menu bar: File (sessions, exports, screenshots, quit), View, Help, and the status on the
// right (model, points shown, median frame time, the running job). Its file fields are its state.
#include <string>

namespace latentlab::gui {

struct Context;

class MenuBar {
 public:
  void draw(Context& ctx);

 private:
  void drawFileMenu(Context& ctx);
  void drawStatus(Context& ctx);
  std::string m_exportPath = "selection.csv", m_pngPath = "map.png";
};

}  // namespace latentlab::gui
