#pragma once
// The keyboard shortcuts: one table, which handleShortcuts() acts on and the help window prints.
// The mouse's bindings live in map/map_input.cpp. UI thread only.
#include <vector>

namespace latentlab::gui {

struct Context;

struct Shortcut {
  enum class Ctrl { Any, Without, With };
  int keys[2];        // GLFW key codes (0: none)
  Ctrl ctrl;          // whether Ctrl must be held, must not be, or either
  bool shift;         // Shift must be held (else either way)
  const char* label;  // as the help window prints it
  const char* what;
  void (*run)(Context&);
};

const std::vector<Shortcut>& shortcuts();
// Runs the shortcuts pressed this frame, unless a text field has the keyboard.
void handleShortcuts(Context& ctx);

}  // namespace latentlab::gui
