#include "shortcuts.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "context.h"
#include "panels/confirm_dialog.h"
#include "session_io.h"

namespace latentlab::gui {

const std::vector<Shortcut>& shortcuts() {
  constexpr auto Any = Shortcut::Ctrl::Any, Without = Shortcut::Ctrl::Without, With = Shortcut::Ctrl::With;
  static const std::vector<Shortcut> table = {
      {{GLFW_KEY_F, 0}, Any, false, "F", "fit the view to the data", [](Context& c) { fitView(c.state); }},
      {{GLFW_KEY_T, 0},
       Without,
       false,
       "T",
       "show or hide the training points",
       [](Context& c) { c.models.showTrainPoints(!c.state.style.showTrain); }},
      {{GLFW_KEY_C, 0},
       Without,
       false,
       "C",
       "next colour mode",
       [](Context& c) { c.state.style.setColorMode(nextColorMode(c.state.style.colorMode)); }},
      {{GLFW_KEY_SLASH, 0},
       Any,
       true,
       "?",
       "this help",
       [](Context& c) { c.state.ui.showHelp = !c.state.ui.showHelp; }},
      {{GLFW_KEY_ESCAPE, 0},
       Any,
       false,
       "Esc",
       "cancel the drag, or clear the lasso selection",
       [](Context& c) {
         if (!c.state.edits.drag.active) c.edits.clearMultiSelection();  // the map cancels a drag itself
       }},
      {{GLFW_KEY_DELETE, 0},
       Any,
       false,
       "Delete",
       "remove the selected edited point",
       [](Context& c) {
         if (c.state.selection.sel.edited >= 0) c.edits.deleteEdited(c.state.selection.sel.edited);
       }},
      {{GLFW_KEY_Z, 0}, With, false, "Ctrl+Z", "undo the last edit", [](Context& c) { c.edits.undo(); }},
      {{GLFW_KEY_S, 0},
       With,
       false,
       "Ctrl+S",
       "save the session (File menu's session file)",
       [](Context& c) {
         const std::string path = c.state.ui.sessionPath;
         writeWithConfirmation(c, path, [&c, path] { saveSessionTo(c, path, true); });
       }},
      {{GLFW_KEY_Q, 0}, With, false, "Ctrl+Q", "quit", [](Context& c) { c.state.ui.quit = true; }},
      {{GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD},
       Any,
       false,
       "+",
       "zoom in",
       [](Context& c) { c.state.view.view.scale *= 1.25; }},
      {{GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT},
       Any,
       false,
       "-",
       "zoom out",
       [](Context& c) { c.state.view.view.scale /= 1.25; }},
  };
  return table;
}

void handleShortcuts(Context& ctx) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  for (const Shortcut& s : shortcuts()) {
    if ((s.ctrl == Shortcut::Ctrl::With && !io.KeyCtrl) || (s.ctrl == Shortcut::Ctrl::Without && io.KeyCtrl) ||
        (s.shift && !io.KeyShift))
      continue;
    for (int key : s.keys)
      if (key && ImGui::IsKeyPressed(key)) {
        s.run(ctx);
        break;
      }
  }
}

}  // namespace latentlab::gui
