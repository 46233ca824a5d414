// runGui for a latentlab built without the window (-DLATENTLAB_BUILD_GUI=OFF): a GPU server
// without the GLFW, ImGui and GL packages still gets train, import, eval, info, project and
// bench. Asking it for the window is an error that says how to get one.
#include <cstdio>

#include "gui.h"

namespace latentlab::gui {

int runGui(const GuiOptions&) {
  std::fprintf(stderr,
               "latentlab: error: this build has no window (configured with -DLATENTLAB_BUILD_GUI=OFF); "
               "the command-line subcommands work, or rebuild with the GUI packages and "
               "-DLATENTLAB_BUILD_GUI=ON\n");
  return 1;
}

bool builtWithWindow() { return false; }

}  // namespace latentlab::gui
