#pragma once
// Runs a parsed GUI script (`latentlab gui --script FILE`, parsed by core's gui_script.h) one frame
// at a time: a dispatch table maps each command to what the explorer does (the ScriptHost) and to
// what the script then waits for. GL-free and ImGui-free, so the table and the waiting rules are
// tested headless with a fake host (tests/app_logic_test.cpp). Runs on the UI thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "app_state.h"
#include "latentlab/clue/clue.h"
#include "latentlab/explorer/gui_script.h"

namespace latentlab::gui {

// What the explorer does for each command. Arguments are already checked by parseScript. Each
// method reports its own failures through error(); the runner goes on with the next line.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  virtual void load(const std::string& bundleDir) = 0;
  virtual void project(Projection p) = 0;
  virtual void cancelJobs() = 0;
  virtual std::string exportLayout(const std::string& path) = 0;  // "" or what went wrong
  virtual void importLayout(const std::string& path) = 0;
  virtual void color(ColorMode m) = 0;
  virtual void select(int64_t index) = 0;
  virtual bool hasSelection() const = 0;
  virtual void dragBy(float dx, float dy) = 0;    // starts a drag of the selection and moves it
  virtual void dragMove(float dx, float dy) = 0;  // moves the drag in progress to its start + (dx, dy)
  virtual void presenter(bool on) = 0;            // presenter mode (View menu)
  virtual void commitDrag() = 0;                  // keeps it as an edited point
  // After this frame, once the jobs are done (nowait: after this frame, whatever runs).
  virtual void screenshot(const std::string& path, ShotRegion region, bool nowait) = 0;
  virtual void writeState(const std::string& path) = 0;
  virtual void caption(const std::string& text) = 0;
  virtual std::string filter(const std::string& expr) = 0;  // "" or the parse error
  virtual void fit() = 0;
  virtual void zoom(double factor) = 0;
  virtual void center(double x, double y) = 0;
  virtual void showTrain(bool on) = 0;
  virtual void trainModel(const TrainOptions& options) = 0;
  virtual void snap(bool on) = 0;
  virtual void undo() = 0;
  // Runs a counterfactual from the selection with both heads (the CLUE panel's Run).
  virtual void clue(const ClueOptions& options) = 0;
  // Starts the CLUE panel's batch run into `out` over the N most uncertain test points (n > 0) or
  // the lasso selection's test points (n == 0), with `options`.
  virtual void clueZoom() = 0;  // the map centred on the CLUE paths
  // Integrated gradients of the selection (the Attribution tab's run), and its scrubber.
  virtual void ig(const AttributionOptions& options) = 0;
  virtual void scrub(double alpha) = 0;
  virtual void flip(int bit) = 0;
  // The Examples tab: example importance of the selection, and a click on its rank-th top or bottom example.
  virtual void examples(const ExampleOptions& options) = 0;
  virtual void selectExample(bool top, int rank) = 0;
  virtual void tab(const std::string& name) = 0;  // bring a tab to the front; an error names an unknown one  // the
                                                  // Concepts tab's flip of the selection's DVAE code
  virtual void saliency(bool on, int steps) = 0;  // live saliency: steps 0 = the gradient
  virtual void scroll(const std::string& panel, double fraction) = 0;  // inspector | tabs | help, 0 top .. 1 bottom
  virtual void help(bool open) = 0;                                    // the help window
  virtual void selectMatches() = 0;     // the filter's matches become the multi-selection
  virtual void legend(bool shown) = 0;  // the map's legend, or folded
  // Checks KEY OP VALUE against the state JSON; "" when it holds, else what the state says.
  virtual std::string expect(const std::string& key, const std::string& op, const std::string& value) = 0;
  virtual bool batchRunning() const = 0;  // a CLUE batch run is going
  virtual void clueBatch(const std::string& out, int64_t n, const ClueOptions& options) = 0;
  virtual void saveSession(const std::string& path) = 0;
  virtual void loadSession(const std::string& path) = 0;
  virtual void exportCsv(const std::string& path) = 0;
  virtual void quit() = 0;
  // What the runner waits on.
  virtual bool idle() const = 0;          // no job, request or result pending
  virtual bool shotsPending() const = 0;  // screenshots not yet taken
  virtual bool fileExists(const std::string& path) const = 0;
  virtual void error(const std::string& message) = 0;
  virtual void log(const std::string& message) = 0;
  // The line being run or waited for (0 when none): errors meanwhile are prefixed "line N: ".
  virtual void runningLine(int line) { (void)line; }
};

// What a command leaves the script waiting for before its next line.
struct ScriptWait {
  bool idle = false;        // the worker has nothing left to do (loads, jobs, evaluations)
  bool frame = false;       // the frame is drawn first (screenshots read it)
  bool commitDrag = false;  // once idle: keep the drag as an edited point, then wait idle again
  int frames = 0;           // `wait N`
  bool counted = false;     // the frames are the script's own time (`wait`): an export writes them
  int dragFrames = 0;       // `drag DX DY FRAMES`: the drag moves over this many frames
  float dragDx = 0, dragDy = 0;
  std::string file;  // `wait-for PATH`
  int fileSeconds = 60;
  bool quit = false;
  bool again = false;  // run the same line again next frame (it waits for something to end)
};
using ScriptVerb = std::function<ScriptWait(ScriptHost&, const ScriptCommand&)>;

// One entry per command of gui_script.cpp's table (scriptCommandHelp()), no more, no fewer.
const std::map<std::string, ScriptVerb>& scriptVerbs();

// Sets one `train-model` KEY=VALUE setting (keys from trainSettingKeys(), checked by the parser).
// Throws InputError for an unknown key.
void applyTrainSetting(TrainOptions& o, const std::string& keyValue);

class ScriptRunner {
 public:
  using Clock = std::chrono::steady_clock;
  ScriptRunner() = default;
  explicit ScriptRunner(Script script) : m_script(std::move(script)) { m_wait.idle = true; }  // starts once idle

  // Called once a frame: runs commands back to back until one waits. `now` is for wait-for.
  void step(ScriptHost& host, Clock::time_point now = Clock::now());
  bool active() const { return !m_script.commands.empty(); }
  bool finished() const { return m_pc >= m_script.commands.size(); }
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
  bool m_again = false;  // the line at m_pc waits to run again (ScriptWait::again)
  ScriptWait m_wait;
  Clock::time_point m_fileDeadline{};
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
