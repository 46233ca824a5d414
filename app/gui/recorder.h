#pragma once
// Recording a demo (File ▸ Record demo, `latentlab gui --record FILE`): every change to what the
// explorer shows becomes one line of the script language (core's gui_script.h), so that the
// recording replays with `latentlab gui --script FILE`, can be edited, and can be exported as
// frames.
//
// The recorder watches the state rather than the input: once a frame it compares what is shown
// with what it last wrote down, so a change made by the mouse, a key, a menu or a running script
// is recorded alike (recording a replay gives an equivalent script). What it records:
//   - load, project, color, filter, train, snap, legend, presenter, caption, tab, saliency;
//   - select (a data point), drag DX DY FRAMES (from the press to the release), undo, flip, scrub;
//   - the view, once it has settled, as center X Y and zoom FACTOR (after a fit at the start);
//   - a wait before each line for the pause since the one before (60 frames a second, at most
//     kMaxWaitFrames: a long pause while recording is not a long pause in class).
// A counterfactual or IG run (from its panel or a script) is written with all its settings.
// What the script language cannot say (a click on an edited point, a lasso, a delete) becomes a
// `#` comment, so that the file tells the user where
// a replay may differ.
//
// Each time lines are added the whole file is written again atomically (a temporary file, then a
// rename), so a crash of the recording process leaves the last complete file, never a truncated
// one. GL-free and ImGui-free (tests/app_logic_test.cpp drives it with states and times). UI
// thread only.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app_state.h"

namespace latentlab::gui {

inline constexpr int kRecordFps = 60;          // the unit of `wait` and of a drag's FRAMES
inline constexpr int kMaxWaitFrames = 600;     // 10 s
inline constexpr double kSettleSeconds = 0.3;  // the view, the filter and the scrubber: recorded once still this long

// What the recorder compares from one frame to the next.
struct RecordSnapshot {
  std::string bundle;
  Projection projection = Projection::Pca;
  ColorMode color = ColorMode::Label;
  std::string filter, caption;
  bool train = false, snap = false, legendCollapsed = false, presenter = false;
  Selection sel;
  size_t edited = 0, undo = 0, flips = 0;
  bool dragging = false;
  int dragClueStep = -1;
  float dragX0 = 0, dragY0 = 0, dragTx = 0, dragTy = 0;
  double cx = 0, cy = 0, scale = 1, fitScale = 1;
  double alpha = 1;
  uint64_t clueRuns = 0, attributionRuns = 0;  // a counterfactual or IG run started
  std::string tab;                             // the tab in front
  uint64_t autoFits = 0;                       // fits the map made by itself (a replay makes them too)
  bool saliency = false;
  int saliencySteps = 0;
  bool haveModel = false;
};
RecordSnapshot recordSnapshot(const AppState& s);

class Recorder {
 public:
  // Starts a recording into `path` with the lines that bring a fresh window to what `s` shows.
  // Returns "" or what went wrong (the file cannot be written; nothing is recorded then).
  std::string start(const std::string& path, const AppState& s, double nowSeconds);
  // Once a frame, after it is drawn. `inputActive`: a mouse button is down (the view and a drag
  // are still moving). Returns "" or a write error (the recording goes on in memory).
  std::string observe(const AppState& s, double nowSeconds, bool inputActive);
  // Ends the recording: what is pending is written, then the file. "" or the write error.
  std::string stop(double nowSeconds);
  bool active() const { return m_active; }
  const std::string& path() const { return m_path; }
  const std::vector<std::string>& lines() const { return m_lines; }
  double startedAt() const { return m_started; }
  // The text of the file (header comments and lines).
  std::string text() const;

 private:
  void waitUntil(double at);
  void emit(const std::string& line, double at);  // with the wait since the last line
  void comment(const std::string& text);
  void flushView(double now);
  void absorbView(const RecordSnapshot& r);
  void recordEdits(const AppState& s, const RecordSnapshot& r, double now, const std::function<void()>& flushAll);
  void flushFilter(double now);
  void flushAlpha(double now);
  std::string write();
  void writeStart(const AppState& s, double now);

  bool m_active = false;
  std::string m_path, m_header;
  std::vector<std::string> m_lines;
  RecordSnapshot m_last;  // what the lines so far show
  double m_started = 0, m_lastLineAt = 0;
  // The view, the filter and the scrubber are recorded once they settle.
  double m_viewChangedAt = -1, m_filterChangedAt = -1, m_alphaChangedAt = -1;
  RecordSnapshot m_pendingView;
  std::string m_pendingFilter;
  double m_pendingAlpha = 1;
  double m_dragStartedAt = 0;
  int64_t m_selWritten = -1;  // the point the last `select` line chose (-1: none, or an edited point since)
  bool m_dirty = false;
};

// The script lines that run `o` again (`clue KEY=VALUE ...`, `ig KEY=VALUE ...`): every setting
// that differs from the default, so that the replay runs the same explanation.
std::string clueLine(const ClueOptions& o);
std::string attributionLine(const AttributionOptions& o);

// "0.123456791" etc.: a float that reads back as the same float; a double likewise.
std::string exactFloat(float v);
std::string exactDouble(double v);

}  // namespace latentlab::gui
