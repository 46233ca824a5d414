#pragma once
// Saving from the menus and shortcuts: a file the user owns is replaced only after they say so.
// Files this session saved or loaded itself are saved again without asking. Script commands name
// their outputs explicitly and do not ask. UI thread only.
#include <functional>
#include <string>

namespace latentlab::gui {

struct Context;

// Runs `write` now when `path` does not exist (or this session wrote or loaded it); otherwise asks
// "PATH exists. Replace it?" and runs it on Replace.
void writeWithConfirmation(Context& ctx, const std::string& path, std::function<void()> write);
// The question, when one is pending.
void drawConfirmDialog(Context& ctx);

}  // namespace latentlab::gui
