#pragma once
// The help window (? or Help menu): the mouse, the key table of shortcuts.h, and every script
// command with its arguments (from core's script table).
namespace latentlab::gui {

struct Context;

void drawHelpWindow(Context& ctx);

}  // namespace latentlab::gui
