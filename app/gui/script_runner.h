#pragma once
// Runs a parsed GUI script (`latentlab gui --script FILE`, commands/script.h) one frame at a time:
// each command's entry (commands/command.h) says what it does (run through the ScriptHost) and
// what the script then waits for. GL-free and ImGui-free, so the waiting rules are tested headless
// with a fake host (tests/app_logic_test.cpp). Runs on the UI thread.
#include <chrono>
#include <cstdint>
#include <string>

#include "commands/script.h"

namespace latentlab::gui {

// What the runner needs from the explorer. The real one (script_host.h) runs each command's
// entry (command.h) on the explorer's Context; the tests' fake records the lines.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Runs command `c` (parsed, so its entry exists); false when it failed at once (it reported why).
  virtual bool run(const ScriptCommand& c) = 0;
  // Whether `c` may run now (its entry's `ready`); the line waits until it may.
  virtual bool ready(const ScriptCommand& c) const = 0;
  // An animated drag (`drag DX DY FRAMES`): moves the drag in progress to its start + (dx, dy).
  virtual void dragMove(float dx, float dy) = 0;
  virtual void commitDrag() = 0;  // keeps it as an edited point
  // What the runner waits on.
  virtual bool idle() const = 0;          // no job, request or result pending
  virtual bool shotsPending() const = 0;  // screenshots not yet taken
  virtual bool fileExists(const std::string& path) const = 0;
  virtual void error(const std::string& message) = 0;
  virtual void log(const std::string& message) = 0;
  // The line being run or waited for (0 when none): errors meanwhile are prefixed "line N: ".
  virtual void runningLine(int line) { (void)line; }
};

class ScriptRunner {
 public:
  using Clock = std::chrono::steady_clock;
  ScriptRunner() = default;
  explicit ScriptRunner(Script script) : m_script(std::move(script)) { m_wait.idle = true; }  // starts once idle

  // Called once a frame: runs commands back to back until one waits. `now` is for wait-for.
  void step(ScriptHost& host, Clock::time_point now = Clock::now());
  bool active() const { return !m_script.commands.empty(); }
  bool finished() const { return m_pc >= m_script.commands.size(); }
  // Finished, and nothing the last lines started is still to be waited for or done (a drag's
  // commit once its evaluation is in, a wait's frames, a file).
  bool done() const {
    return finished() && !m_wait.idle && m_wait.frames == 0 && m_wait.file.empty() && m_drag.frames == 0;
  }
  bool quitRequested() const { return m_wait.quit; }  // the script ran `quit`
  // The window should keep drawing frames (a `wait N`, or commands ready to run).
  bool wantsFrames() const { return m_wait.frames > 0 || m_drag.frames > 0 || (!finished() && !m_wait.idle); }
  // Frame export (`--frames DIR --fps N`): waits and drags take `fps / 60` times their frames, and
  // each frame of a drag is counted only once its evaluation has landed (so that the exported frame
  // shows the decode of where the point is).
  void setExport(double fps) {
    m_scale = fps / 60.0;
    m_export = true;
  }
  // Whether the frame just stepped is one of the script's own: a frame of a `wait` or of a drag.
  // The export writes exactly these: sum over waits of round(FRAMES * fps / 60), and over drags
  // of the same but at least 1.
  bool countedFrame() const { return m_counted; }
  // Frames (at 60 a second) the script's waits and drags take: its length.
  static long scriptFrames(const Script& script, double fps);
  const Script& script() const { return m_script; }

 private:
  Script m_script;
  size_t m_pc = 0;
  bool m_again = false;  // the line at m_pc waits to run again (its entry was not ready)
  ScriptWait m_wait;
  Clock::time_point m_fileDeadline{};
  std::string m_waitName;  // the command whose file the script waits for
  struct DragAnimation {
    int frames = 0, step = 0;
    float dx = 0, dy = 0;
    bool landing = false;  // export: the move is made, its evaluation not yet shown
  } m_drag;
  double m_scale = 1;
  bool m_export = false, m_counted = false;
  bool stepDrag(ScriptHost& host);
};

}  // namespace latentlab::gui
