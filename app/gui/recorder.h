#pragma once
// Recording a demo (File ▸ Record demo, `latentlab gui --record FILE`): every change to what the
// explorer shows becomes one line of the script language (commands/script.h), so that the
// recording replays with `latentlab gui --script FILE`, can be edited, and can be exported as
// frames.
//
// The recorder watches the state rather than the input: once a frame it compares what is shown
// with what it last wrote down, so a change made by the mouse, a key, a menu or a running script
// is recorded alike (recording a replay gives an equivalent script). What each command records
// is its entry's Recording (commands/command.h): the settings it shows (colour, projection,
// caption, filter, ...) and the events it counts (flips, undos, explanation runs, each written with
// all its settings). The recorder itself writes the map interaction: select, drag DX DY FRAMES
// (from the press to the release), and the view once it has settled (center X Y and zoom FACTOR,
// after a fit at the start). Before each line it writes a wait for the pause since the one before
// (60 frames a second, at most kMaxWaitFrames: a long pause while recording is not a long pause in
// class). What the script language cannot say (a click on an edited point, a lasso, a delete)
// becomes a `#` comment, so that the file tells the user where a replay may differ.
//
// Each time lines are added the whole file is written again atomically (a temporary file, then a
// rename), so a crash of the recording process leaves the last complete file, never a truncated
// one. GL-free and ImGui-free (tests/recording_test.cpp drives it with states and times). UI
// thread only.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app_state.h"
#include "commands/command.h"

namespace latentlab::gui {

inline constexpr int kRecordFps = 60;          // the unit of `wait` and of a drag's FRAMES
inline constexpr int kMaxWaitFrames = 600;     // 10 s
inline constexpr double kSettleSeconds = 0.3;  // the view, the filter and the scrubber: recorded once still this long

// What the recorder compares from one frame to the next.
struct RecordSnapshot {
  bool haveModel = false;
  Selection sel;
  size_t edited = 0, undo = 0;
  bool dragging = false;
  int dragClueStep = -1;
  float dragX0 = 0, dragY0 = 0, dragTx = 0, dragTy = 0;
  double cx = 0, cy = 0, scale = 1, fitScale = 1;
  uint64_t autoFits = 0;  // fits the map made by itself (a replay makes them too)
  // Per command of commands(), by position: its Recording's value (settings) or count (events).
  std::vector<std::optional<std::string>> values;
  std::vector<uint64_t> counts;
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
  void emitSetting(size_t i, const std::string& value, double at);  // command i's line, or its comment
  void flushView(double now);
  void absorbView(const RecordSnapshot& r);
  void flushSettling(double now);  // the settling settings that are pending
  void flushSetting(size_t i, double now);
  void recordSettings(const RecordSnapshot& r, Recording::Phase phase, double now,
                      const std::function<void()>& flushAll, const std::function<void()>& fitByItself);
  void recordEvents(const AppState& s, const RecordSnapshot& r, Recording::Phase phase, double now,
                    const std::function<void()>& flushAll);
  void recordEdits(const RecordSnapshot& r, double now, const std::function<void()>& flushAll);
  void recordSelection(const RecordSnapshot& r, double now, const std::function<void()>& flushAll);
  std::string write();
  void writeStart(const AppState& s, double now);

  bool m_active = false;
  std::string m_path, m_header;
  std::vector<std::string> m_lines;
  RecordSnapshot m_last;  // what the lines so far show
  double m_started = 0, m_lastLineAt = 0;
  // The view and the settling settings (a filter being typed, a slider) are written once they settle.
  double m_viewChangedAt = -1;
  RecordSnapshot m_pendingView;
  struct Pending {
    double changedAt = -1;  // < 0: nothing pending
    std::optional<std::string> value;
  };
  std::vector<Pending> m_pending;  // per command
  double m_dragStartedAt = 0;
  int64_t m_selWritten = -1;  // the point the last `select` line chose (-1: none, or an edited point since)
  bool m_dirty = false;
};

// "0.123456791" etc.: a float that reads back as the same float; a double likewise.
std::string exactFloat(float v);
std::string exactDouble(double v);

}  // namespace latentlab::gui
