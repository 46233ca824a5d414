#pragma once
// The explorer window. Torch-free: it talks to core's Explorer through the compute worker only.
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace latentlab::gui {

struct GuiOptions {
  std::string bundle;      // directory; the caller resolves the shipped default
  std::string script;      // --script FILE
  std::string screenshot;  // --screenshot PATH: render once the model is up, save, exit
  bool force = false;  // --force: --screenshot may replace an existing file; --frames may write into a non-empty folder
  std::string record;  // --record FILE: record a demo from the start (File ▸ Record demo)
  std::string framesDir;     // --frames DIR: render the script's replay into DIR/frame_NNNNNN.png, then quit
  int fps = 30;              // --fps N: the export's frames a second (waits and drags are at 60)
  std::string outDir;        // --out-dir DIR: where the script's writes go (script_outputs.h)
  bool allowWrites = false;  // --allow-writes: the script's paths are used as given
  std::string device = "cpu";
  int width = 1600, height = 960;
  std::chrono::steady_clock::time_point processStart = std::chrono::steady_clock::now();
  const std::atomic<bool>* terminate = nullptr;  // set by Ctrl-C or SIGTERM: close the window
  // Frame benchmark (latentlab bench): render `benchFrames` frames of pan and zoom with the test
  // points (and the train points when benchAll), then the same while a background job runs.
  int benchFrames = 0;
  bool benchAll = false;
  nlohmann::json* benchResult = nullptr;
};

// Runs the window until it is closed, a script quits, or `terminate` is set. Returns the process
// exit code: 0, or 1 when the window could not be created, when the script file cannot be read,
// or when a --screenshot run could not load its model or save its image (the message is on stderr).
int runGui(const GuiOptions& opt);
// False in a build without the window (-DLATENTLAB_BUILD_GUI=OFF), where runGui only says so.
bool builtWithWindow();

}  // namespace latentlab::gui
