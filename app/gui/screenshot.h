#pragma once
// Screenshots: the window, the map or the inspector as PNG, read from the back buffer of the frame
// just drawn (before the swap) and written atomically. UI thread only (GL).
#include <cstdint>
#include <string>
#include <vector>

#include "map/map_view.h"

struct GLFWwindow;

namespace latentlab::gui {

struct Context;

// PNG bytes through stb, written atomically. Throws InputError naming the path.
// `userFile`: a path the user named (a link there is followed, writeUserFile); false for a file in a
// folder LatentLab owns (an export's frames: a link there is replaced, writeFileAtomic).
void writePng(const std::string& path, int w, int h, const std::vector<uint8_t>& rgba, bool userFile = true);
// `region` in window pixels (clamped to the window); errors go to the log. An existing file is
// replaced only when `replace` (fsutil.h's checkOutputFile).
void takeScreenshot(Context& ctx, GLFWwindow* window, const std::string& path, const MapRect& region, bool replace,
                    bool userFile = true);
// Takes the screenshots queued in state.ui.shots, then clears the queue (once none has frames to wait).
void takePendingShots(Context& ctx, GLFWwindow* window);

}  // namespace latentlab::gui
