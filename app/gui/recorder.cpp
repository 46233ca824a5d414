#include "recorder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "commands/view_commands.h"
#include "controllers/edit_controller.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::gui {

std::string exactFloat(float v) {
  char b[48];
  std::snprintf(b, sizeof b, "%.9g", double(v));
  return b;
}

std::string exactDouble(double v) {
  char b[48];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

RecordSnapshot recordSnapshot(const AppState& s) {
  RecordSnapshot r;
  r.haveModel = s.hasModel();
  r.sel = s.selection.sel;
  r.edited = s.edits.edited.size();
  r.undo = s.edits.undo.size();
  const Drag& d = s.edits.drag;
  r.dragging = d.active;
  r.dragClueStep = d.clueStep;
  r.dragX0 = d.x0, r.dragY0 = d.y0, r.dragTx = d.tx, r.dragTy = d.ty;
  r.cx = s.view.view.cx, r.cy = s.view.view.cy, r.scale = s.view.view.scale, r.fitScale = s.view.fitScale;
  r.autoFits = s.view.autoFits;
  const CommandList& all = commands();
  r.values.resize(all.size());
  r.counts.assign(all.size(), 0);
  for (size_t i = 0; i < all.size(); ++i) {
    const Recording& rec = all[i].record;
    if (rec.kind == Recording::Kind::Setting) r.values[i] = rec.value(s);
    if (rec.kind == Recording::Kind::Event) r.counts[i] = rec.count(s);
  }
  return r;
}

std::string Recorder::text() const {
  std::string t = m_header;
  for (const auto& l : m_lines) t += l + "\n";
  return t;
}

std::string Recorder::write() {
  try {
    writeUserFile(m_path, text());
  } catch (const std::exception& e) {
    return std::string("recording: ") + e.what();
  }
  m_dirty = false;
  return "";
}

// A `wait` for the pause from the last line to `at` (none before the first line, or under a frame).
void Recorder::waitUntil(double at) {
  const long frames = std::lround(std::max(0.0, at - m_lastLineAt) * kRecordFps);
  if (frames > 0 && !m_lines.empty()) m_lines.push_back(waitLine(std::min<long>(frames, kMaxWaitFrames)));
}

void Recorder::emit(const std::string& line, double at) {
  waitUntil(at);
  m_lines.push_back(line);
  m_lastLineAt = std::max(m_lastLineAt, at);
  m_dirty = true;
}

void Recorder::comment(const std::string& text) {
  m_lines.push_back("# " + text);
  m_dirty = true;
}

// Command i's line for a setting's value, or its comment for a value the language cannot say.
void Recorder::emitSetting(size_t i, const std::string& value, double at) {
  const Recording& rec = commands()[i].record;
  if (!rec.unsaid.empty() && value == rec.unsaid) return comment(rec.unsaidComment);
  emit(commands()[i].line(value), at);
}

// A fresh window shows the bundle with PCA, colour by label, no filter and a fitted view: the
// lines that take it from there to what `s` shows.
void Recorder::writeStart(const AppState& s, double now) {
  const RecordSnapshot r = recordSnapshot(s);
  const CommandList& all = commands();
  auto settings = [&](bool announce) {
    for (size_t i = 0; i < all.size(); ++i) {
      const Recording& rec = all[i].record;
      if (rec.kind != Recording::Kind::Setting || !rec.atStart || rec.resets) continue;
      if ((rec.phase == Recording::Phase::Announce) != announce || !r.values[i]) continue;
      if (!rec.fresh || *r.values[i] != *rec.fresh) emitSetting(i, *r.values[i], now);
    }
  };
  settings(false);
  emit(fitLine(), now);
  if (r.cx != 0 || r.cy != 0 || r.scale != r.fitScale) {
    emit(centerLine(r.cx, r.cy), now);
    if (r.fitScale > 0) emit(zoomLine(r.scale / r.fitScale), now);
  }
  if (r.edited > 0)
    comment(std::to_string(r.edited) + " edited point(s) existed before the recording; a replay starts without them");
  if (r.sel.point >= 0 && r.sel.edited < 0) emit(selectLine(r.sel.point), now);
  settings(true);  // the caption of what is shown, after it
  m_last = r;
}

std::string Recorder::start(const std::string& path, const AppState& s, double now) {
  m_path = path;
  m_lines.clear();
  m_started = m_lastLineAt = now;
  m_viewChangedAt = -1;
  m_pending.assign(commands().size(), Pending{});
  char date[32] = "";
  const std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", std::localtime(&t));
  m_header = std::string("# LatentLab demo, recorded ") + date + " on the bundle " +
             (s.hasModel() ? s.model.name + " (" + s.model.dir + ")" : std::string("(none)")) +
             "\n# replay: latentlab gui BUNDLE --script THIS_FILE; export: add --frames DIR [--fps N]\n"
             "# waits and drag FRAMES are at 60 frames a second; edit the captions freely\n";
  writeStart(s, now);
  const std::string err = write();
  m_active = err.empty();
  return err;
}

void Recorder::flushView(double now) {
  if (m_viewChangedAt < 0) return;
  m_viewChangedAt = -1;
  const RecordSnapshot& r = m_pendingView;
  if (r.cx != m_last.cx || r.cy != m_last.cy) emit(centerLine(r.cx, r.cy), now);
  if (r.scale != m_last.scale && m_last.scale > 0) emit(zoomLine(r.scale / m_last.scale), now);
  m_last.cx = r.cx, m_last.cy = r.cy, m_last.scale = r.scale, m_last.fitScale = r.fitScale;
}

// Takes the view in `r` as what the lines so far show, without a line (a fit the replay makes itself).
void Recorder::absorbView(const RecordSnapshot& r) {
  m_viewChangedAt = -1;
  m_last.cx = r.cx, m_last.cy = r.cy, m_last.scale = r.scale, m_last.fitScale = r.fitScale;
}

void Recorder::flushSetting(size_t i, double now) {
  Pending& p = m_pending[i];
  if (p.changedAt < 0) return;
  p.changedAt = -1;
  if (p.value && m_last.values[i]) emitSetting(i, *p.value, now);
  m_last.values[i] = p.value;
}

void Recorder::flushSettling(double now) {
  for (size_t i = 0; i < m_pending.size(); ++i) flushSetting(i, now);
}

// The settings of one phase that changed: a line each (a settling one is only noted: it is written
// once it rests). An unknown value (nullopt) is not written, and the next known one is taken as
// written.
void Recorder::recordSettings(const RecordSnapshot& r, Recording::Phase phase, double now,
                              const std::function<void()>& flushAll, const std::function<void()>& fitByItself) {
  const CommandList& all = commands();
  for (size_t i = 0; i < all.size(); ++i) {
    const Recording& rec = all[i].record;
    if (rec.kind != Recording::Kind::Setting || rec.phase != phase || rec.settles || rec.resets) continue;
    const auto &now_ = r.values[i], &was = m_last.values[i];
    if (!now_ || !was || *now_ == *was) continue;
    if (rec.refits) fitByItself();  // fitted in the same frame; the replay's command fits it too
    flushAll();
    emitSetting(i, *now_, now);
  }
}

// The events of one phase: a line per event (or per drop of the count, or one for the newest).
void Recorder::recordEvents(const AppState& s, const RecordSnapshot& r, Recording::Phase phase, double now,
                            const std::function<void()>& flushAll) {
  const CommandList& all = commands();
  for (size_t i = 0; i < all.size(); ++i) {
    const Recording& rec = all[i].record;
    if (rec.kind != Recording::Kind::Event || rec.phase != phase) continue;
    const uint64_t was = m_last.counts[i], is = r.counts[i];
    if (rec.drops) {
      if (is >= was) continue;
      flushAll();
      for (uint64_t k = is; k < was; ++k) emit(all[i].line(), now);
    } else {
      if (is <= was) continue;
      flushAll();
      if (rec.perEvent)
        for (uint64_t k = was; k < is; ++k) emit(all[i].line(rec.perEvent(s, k)), now);
      else
        emit(all[i].line(rec.latest(s)), now);
    }
    if (rec.endsSelection) m_selWritten = -1;
  }
}

// The map's edits: a drag (noted at the press, written at the release when it is kept) and a
// delete (a comment).
void Recorder::recordEdits(const RecordSnapshot& r, double now, const std::function<void()>& flushAll) {
  const RecordSnapshot& l = m_last;
  if (r.dragging && !l.dragging) m_dragStartedAt = now;
  if (!r.dragging && l.dragging && r.edited > l.edited && r.undo > l.undo) {
    flushAll();
    if (l.dragClueStep >= 0) {
      comment("a counterfactual step was dragged here (the script language cannot say so)");
    } else {
      const double at = m_dragStartedAt;
      const long frames = std::max(1L, std::lround((now - m_dragStartedAt) * kRecordFps));
      if (l.sel.point >= 0 && l.sel.edited < 0 && l.sel.point != m_selWritten) emit(selectLine(l.sel.point), at);
      emit(dragLine(r.dragTx - r.dragX0, r.dragTy - r.dragY0, std::min<long>(frames, 36000)), at);
      m_lastLineAt = now;
    }
    m_selWritten = -1;  // the new edited point is selected
  } else if (r.edited < l.edited && r.undo > l.undo) {
    comment("an edited point was deleted here (the script language has no delete)");
  }
}

// The selection (a drag's point is written with its drag; a new edited point selects itself).
void Recorder::recordSelection(const RecordSnapshot& r, double now, const std::function<void()>& flushAll) {
  const RecordSnapshot& l = m_last;
  const bool changed = !(r.sel.point == l.sel.point && r.sel.edited == l.sel.edited);
  const bool newPoint = r.sel.edited >= 0 && r.edited > l.edited && r.sel.edited == int(r.edited) - 1;
  if (r.dragging || !changed || newPoint) return;
  if (r.sel.edited < 0 && r.sel.point >= 0) {
    flushAll();
    emit(selectLine(r.sel.point), now);
    m_selWritten = r.sel.point;
  } else if (r.sel.edited >= 0) {
    comment("edited point " + std::to_string(r.sel.edited) +
            " was selected here (the script language cannot select one)");
    m_selWritten = -1;
  }
}

std::string Recorder::observe(const AppState& s, double now, bool inputActive) {
  if (!m_active) return "";
  const RecordSnapshot r = recordSnapshot(s);
  RecordSnapshot& l = m_last;
  const CommandList& all = commands();
  // The view settles: note the change now, write it once still (or before any other line).
  const bool viewMoved = r.cx != (m_viewChangedAt >= 0 ? m_pendingView.cx : l.cx) ||
                         r.cy != (m_viewChangedAt >= 0 ? m_pendingView.cy : l.cy) ||
                         r.scale != (m_viewChangedAt >= 0 ? m_pendingView.scale : l.scale);
  const RecordSnapshot earlierView = m_pendingView;  // a view still settling from before this frame
  const double earlierViewAt = m_viewChangedAt;
  if (viewMoved) {
    m_pendingView = r;
    m_viewChangedAt = now;
  }
  // A fit the replay makes by itself (after `load` or `project`): what settled before it is written,
  // the fit is not.
  bool absorbed = false;
  auto fitByItself = [&] {
    if (!viewMoved || absorbed) return;
    absorbed = true;
    m_pendingView = earlierView;
    m_viewChangedAt = earlierViewAt;
    flushView(now);
    absorbView(r);
  };
  // Settling settings (typing, a slider): likewise noted now and written once still.
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].record.settles) continue;
    Pending& p = m_pending[i];
    if (r.values[i] != (p.changedAt >= 0 ? p.value : l.values[i])) {
      p.value = r.values[i];
      p.changedAt = now;
    }
  }
  const size_t before = m_lines.size();
  auto flushAll = [&] {
    flushSettling(now);
    flushView(now);
  };

  bool reset = false;
  for (size_t i = 0; i < all.size() && !reset; ++i) {
    const Recording& rec = all[i].record;
    if (!rec.resets || !r.values[i] || r.values[i] == l.values[i]) continue;
    reset = true;
    m_viewChangedAt = -1;  // the load's own fit, which the replay's `load` makes too
    flushSettling(now);
    emitSetting(i, *r.values[i], now);
  }
  if (reset) {
    l = r;  // a load resets the view, the selection and the edits
    m_viewChangedAt = -1;
    m_pending.assign(all.size(), Pending{});
  } else if (r.haveModel) {
    if (r.autoFits != l.autoFits) fitByItself();  // the map refitted itself: so will the replay
    // Demos announce, then act: a caption set in the same frame as an action comes before it.
    recordSettings(r, Recording::Phase::Announce, now, flushAll, fitByItself);
    recordSettings(r, Recording::Phase::Setting, now, flushAll, fitByItself);
    recordEdits(r, now, flushAll);
    recordEvents(s, r, Recording::Phase::Edit, now, flushAll);
    recordEvents(s, r, Recording::Phase::Run, now, flushAll);
    recordSettings(r, Recording::Phase::Late, now, flushAll, fitByItself);  // a run may bring its tab forward
    recordSelection(r, now, flushAll);
  }
  // What has settled.
  if (!inputActive && m_viewChangedAt >= 0 && now - m_viewChangedAt >= kSettleSeconds) flushView(now);
  for (size_t i = 0; i < all.size(); ++i) {
    const Pending& p = m_pending[i];
    if (p.changedAt >= 0 && now - p.changedAt >= kSettleSeconds && !(all[i].record.stillInput && inputActive))
      flushSetting(i, now);
  }

  // Keep the settling values as last written ones only when flushed.
  if (!reset) {
    const RecordSnapshot written = l;
    l = r;
    l.cx = written.cx, l.cy = written.cy, l.scale = written.scale, l.fitScale = written.fitScale;
    for (size_t i = 0; i < all.size(); ++i)
      if (all[i].record.settles) l.values[i] = written.values[i];
  }
  if (m_lines.size() != before || m_dirty) return write();
  return "";
}

std::string Recorder::stop(double now) {
  if (!m_active) return "";
  flushSettling(now);
  flushView(now);
  waitUntil(now);  // the pause before the stop, so that the last caption stays as long as it did
  m_active = false;
  return write();
}

}  // namespace latentlab::gui
