#pragma once
// The script lines of the view's commands (view_commands.cpp) and of a pause, for the recorder,
// which writes the view once it has settled and a wait before each line (recorder.h).
#include <string>

namespace latentlab::gui {

std::string fitLine();
std::string centerLine(double x, double y);
std::string zoomLine(double factor);
// The pause before a recorded line, `wait FRAMES` (flow_commands.cpp).
std::string waitLine(long frames);

}  // namespace latentlab::gui
