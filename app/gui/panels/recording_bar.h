#pragma once
// The recording bar (File ▸ Record demo, --record): while a demo is recorded, a small window at
// the map's bottom-left corner shows the time and the lines so far, a caption box (Enter inserts its text as
// a `caption` line, which also shows it), and Stop. It never covers the menu or the inspector.
#include "map/map_view.h"

namespace latentlab::gui {

struct Context;

// Starts recording into state.ui.recordPath (errors go to the log).
void startRecording(Context& ctx);
// Stops and writes the file; the log says where and how many lines.
void stopRecording(Context& ctx);
void drawRecordingBar(Context& ctx, const MapRect& map);

}  // namespace latentlab::gui
