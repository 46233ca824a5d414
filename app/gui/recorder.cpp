#include "recorder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>

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
  r.bundle = s.model.dir;
  r.projection = s.projection.current;
  r.color = s.style.colorMode;
  r.filter = s.style.filterText;
  r.caption = s.style.caption;
  r.train = s.style.showTrain;
  r.snap = s.edits.snap;
  r.legendCollapsed = s.style.legendCollapsed;
  r.presenter = s.ui.presenter;
  r.sel = s.selection.sel;
  r.edited = s.edits.edited.size();
  r.undo = s.edits.undo.size();
  r.flips = s.concepts.flips.size();
  const Drag& d = s.edits.drag;
  r.dragging = d.active;
  r.dragClueStep = d.clueStep;
  r.dragX0 = d.x0, r.dragY0 = d.y0, r.dragTx = d.tx, r.dragTy = d.ty;
  r.cx = s.view.view.cx, r.cy = s.view.view.cy, r.scale = s.view.view.scale, r.fitScale = s.view.fitScale;
  r.alpha = s.attribution.alpha;
  r.tab = s.ui.frontTab;
  r.autoFits = s.view.autoFits;
  r.saliency = s.attribution.live;
  r.saliencySteps = s.attribution.liveSteps;
  r.clueRuns = s.clue.runs;
  r.attributionRuns = s.attribution.runs;
  return r;
}

std::string clueLine(const ClueOptions& o) {
  const ClueOptions d;
  std::string l = std::string("clue method=") + clueMethodName(o.method);
  auto add = [&](const std::string& kv) { l += " " + kv; };
  if (o.head != d.head) add(std::string("head=") + headKindName(o.head));
  if (o.uncertainty != d.uncertainty) add(std::string("uncertainty=") + uncertaintyName(o.uncertainty));
  if (o.distance != d.distance) add(std::string("distance=") + clueDistanceName(o.distance));
  if (o.lambda != d.lambda) add("lambda=" + exactDouble(o.lambda));
  if (o.lambdaX >= 0 && o.lambdaX != d.lambdaX) add("lambda_x=" + exactDouble(o.lambdaX));
  if (o.lr > 0 && o.lr != d.lr) add("lr=" + exactDouble(o.lr));
  if (o.steps != d.steps) add("steps=" + std::to_string(o.steps));
  if (o.patience != d.patience) add("patience=" + std::to_string(o.patience));
  if (o.tolerance != d.tolerance) add("tolerance=" + exactDouble(o.tolerance));
  if (o.keepClass != d.keepClass) add(std::string("keep_class=") + (o.keepClass ? "on" : "off"));
  if (o.target >= 0) add("target=" + std::to_string(o.target));
  if (o.prototypes != d.prototypes) add("prototypes=" + std::to_string(o.prototypes));
  if (o.sparsity != d.sparsity) add("sparsity=" + exactDouble(o.sparsity));
  if (o.eta != d.eta) add("eta=" + exactDouble(o.eta));
  if (o.threshold != d.threshold) add("threshold=" + exactDouble(o.threshold));
  if (o.outerSteps != d.outerSteps) add("outer_steps=" + std::to_string(o.outerSteps));
  if (o.frames != d.frames) add("frames=" + std::to_string(o.frames));
  if (o.engine != d.engine) add("engine=" + o.engine);
  return l;
}

std::string attributionLine(const AttributionOptions& o) {
  const AttributionOptions d;
  std::string l = "ig target=" + attributionTargetName(o.target);
  auto add = [&](const std::string& kv) { l += " " + kv; };
  if (o.method != d.method) add(std::string("method=") + attributionMethodName(o.method));
  if (o.shapNoise != d.shapNoise) add("shap_noise=" + exactDouble(o.shapNoise));
  if (o.path != d.path) add(std::string("path=") + attributionPathName(o.path));
  if (o.head != d.head) add(std::string("head=") + headKindName(o.head));
  if (o.baseline != d.baseline) add(std::string("baseline=") + igBaselineName(o.baseline));
  if (o.steps != d.steps) add("steps=" + std::to_string(o.steps));
  if (o.quadrature != d.quadrature) add(std::string("quadrature=") + quadratureName(o.quadrature));
  if (o.blurSigma >= 0) add("blur_sigma=" + exactDouble(o.blurSigma));
  if (o.seed != d.seed) add("seed=" + std::to_string(o.seed));
  return l;
}

std::string Recorder::text() const {
  std::string t = m_header;
  for (const auto& l : m_lines) t += l + "\n";
  return t;
}

std::string Recorder::write() {
  try {
    writeFileAtomic(m_path, text());
  } catch (const std::exception& e) {
    return std::string("recording: ") + e.what();
  }
  m_dirty = false;
  return "";
}

// A `wait` for the pause from the last line to `at` (none before the first line, or under a frame).
void Recorder::waitUntil(double at) {
  const long frames = std::lround(std::max(0.0, at - m_lastLineAt) * kRecordFps);
  if (frames > 0 && !m_lines.empty())
    m_lines.push_back("wait " + std::to_string(std::min<long>(frames, kMaxWaitFrames)));
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

namespace {
std::string onOff(bool b) { return b ? "on" : "off"; }
}  // namespace

// A fresh window shows the bundle with PCA, colour by label, no filter and a fitted view: the
// lines that take it from there to what `s` shows.
void Recorder::writeStart(const AppState& s, double now) {
  const RecordSnapshot r = recordSnapshot(s);
  if (r.projection != Projection::Pca && r.projection != Projection::Csv)
    emit(std::string("project ") + projectionKey(r.projection), now);
  if (r.projection == Projection::Csv) comment("the map showed an imported CSV layout: use layout-csv PATH here");
  if (r.color != ColorMode::Label) emit(std::string("color ") + colorModeKey(r.color), now);
  if (r.train) emit("train on", now);
  if (r.snap) emit("snap on", now);
  if (r.legendCollapsed) emit("legend off", now);
  if (r.presenter) emit("presenter on", now);
  if (!r.tab.empty() && r.tab != "Model") emit("tab " + r.tab, now);  // Model is a fresh window's
  if (r.saliency) emit(std::string("saliency on ") + (r.saliencySteps > 0 ? "ig" : "gradient"), now);
  if (!r.filter.empty()) emit("filter " + r.filter, now);
  emit("fit", now);
  if (r.cx != 0 || r.cy != 0 || r.scale != r.fitScale) {
    emit("center " + exactDouble(r.cx) + " " + exactDouble(r.cy), now);
    if (r.fitScale > 0) emit("zoom " + exactDouble(r.scale / r.fitScale), now);
  }
  if (r.edited > 0)
    comment(std::to_string(r.edited) + " edited point(s) existed before the recording; a replay starts without them");
  if (r.sel.point >= 0 && r.sel.edited < 0) emit("select " + std::to_string(r.sel.point), now);
  if (!r.caption.empty()) emit("caption " + r.caption, now);
  m_last = r;
}

std::string Recorder::start(const std::string& path, const AppState& s, double now) {
  m_path = path;
  m_lines.clear();
  m_started = m_lastLineAt = now;
  m_viewChangedAt = m_filterChangedAt = m_alphaChangedAt = -1;
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
  if (r.cx != m_last.cx || r.cy != m_last.cy) emit("center " + exactDouble(r.cx) + " " + exactDouble(r.cy), now);
  if (r.scale != m_last.scale && m_last.scale > 0) emit("zoom " + exactDouble(r.scale / m_last.scale), now);
  m_last.cx = r.cx, m_last.cy = r.cy, m_last.scale = r.scale, m_last.fitScale = r.fitScale;
}

// Takes the view in `r` as what the lines so far show, without a line (a fit the replay makes itself).
void Recorder::absorbView(const RecordSnapshot& r) {
  m_viewChangedAt = -1;
  m_last.cx = r.cx, m_last.cy = r.cy, m_last.scale = r.scale, m_last.fitScale = r.fitScale;
}

void Recorder::flushFilter(double now) {
  if (m_filterChangedAt < 0) return;
  m_filterChangedAt = -1;
  emit(m_pendingFilter.empty() ? "filter" : "filter " + m_pendingFilter, now);
  m_last.filter = m_pendingFilter;
}

void Recorder::flushAlpha(double now) {
  if (m_alphaChangedAt < 0) return;
  m_alphaChangedAt = -1;
  emit("scrub " + exactDouble(std::clamp(m_pendingAlpha, 0.0, 1.0)), now);
  m_last.alpha = m_pendingAlpha;
}

// The edits: a drag (noted at the press, written at the release when it is kept), bit flips,
// undos, and a delete (a comment).
void Recorder::recordEdits(const AppState& s, const RecordSnapshot& r, double now,
                           const std::function<void()>& flushAll) {
  const RecordSnapshot& l = m_last;
  if (r.dragging && !l.dragging) m_dragStartedAt = now;
  const bool flipped = r.flips > l.flips;
  if (!r.dragging && l.dragging && r.edited > l.edited && r.undo > l.undo) {
    flushAll();
    if (l.dragClueStep >= 0) {
      comment("a counterfactual step was dragged here (the script language cannot say so)");
    } else {
      const double at = m_dragStartedAt;
      const long frames = std::max(1L, std::lround((now - m_dragStartedAt) * kRecordFps));
      if (l.sel.point >= 0 && l.sel.edited < 0 && l.sel.point != m_selWritten)
        emit("select " + std::to_string(l.sel.point), at);
      emit("drag " + exactFloat(r.dragTx - r.dragX0) + " " + exactFloat(r.dragTy - r.dragY0) + " " +
               std::to_string(std::min<long>(frames, 36000)),
           at);
      m_lastLineAt = now;
    }
    m_selWritten = -1;  // the new edited point is selected
  } else if (flipped) {
    flushAll();
    for (size_t k = l.flips; k < r.flips; ++k) emit("flip " + std::to_string(s.concepts.flips[k]), now);
    m_selWritten = -1;
  } else if (r.undo < l.undo) {
    flushAll();
    for (size_t k = r.undo; k < l.undo; ++k) emit("undo", now);
  } else if (r.edited < l.edited && r.undo > l.undo) {
    comment("an edited point was deleted here (the script language has no delete)");
  }
}

std::string Recorder::observe(const AppState& s, double now, bool inputActive) {
  if (!m_active) return "";
  const RecordSnapshot r = recordSnapshot(s);
  RecordSnapshot& l = m_last;
  // Settling values: note the change now, write it once still (or before any other line).
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
  if (r.filter != (m_filterChangedAt >= 0 ? m_pendingFilter : l.filter)) {
    m_pendingFilter = r.filter;
    m_filterChangedAt = now;
  }
  if (r.alpha != (m_alphaChangedAt >= 0 ? m_pendingAlpha : l.alpha)) {
    m_pendingAlpha = r.alpha;
    m_alphaChangedAt = now;
  }
  const size_t before = m_lines.size();
  auto flushAll = [&] {
    flushFilter(now);
    flushView(now);
    flushAlpha(now);
  };

  if (r.bundle != l.bundle && r.haveModel) {
    m_viewChangedAt = -1;  // the load's own fit, which the replay's `load` makes too
    flushFilter(now);
    flushAlpha(now);
    emit("load " + r.bundle, now);
    l = r;  // a load resets the view, the selection and the edits
    m_viewChangedAt = m_filterChangedAt = m_alphaChangedAt = -1;
  } else if (r.haveModel) {
    if (r.autoFits != l.autoFits) fitByItself();  // the map refitted itself: so will the replay
    // A caption first: demos announce, then act (a caption set in the same frame as an action
    // comes before it).
    if (r.caption != l.caption) flushAll(), emit(r.caption.empty() ? "caption" : "caption " + r.caption, now);
    if (r.projection != l.projection) {
      fitByItself();  // the new layout is fitted in the same frame; the replay's `project` fits it too
      flushAll();
      if (r.projection == Projection::Csv)
        comment("an imported CSV layout was shown: use layout-csv PATH here");
      else
        emit(std::string("project ") + projectionKey(r.projection), now);
    }
    if (r.color != l.color) flushAll(), emit(std::string("color ") + colorModeKey(r.color), now);
    if (r.train != l.train) flushAll(), emit("train " + onOff(r.train), now);
    if (r.snap != l.snap) flushAll(), emit("snap " + onOff(r.snap), now);
    if (r.legendCollapsed != l.legendCollapsed) flushAll(), emit("legend " + onOff(!r.legendCollapsed), now);
    if (r.presenter != l.presenter) flushAll(), emit("presenter " + onOff(r.presenter), now);
    if (r.saliency != l.saliency || (r.saliency && r.saliencySteps != l.saliencySteps))
      flushAll(),
          emit(r.saliency ? std::string("saliency on ") + (r.saliencySteps > 0 ? "ig" : "gradient") : "saliency off",
               now);
    recordEdits(s, r, now, flushAll);
    // Explanations: the run's settings, so that the replay runs the same one.
    if (r.clueRuns > l.clueRuns) flushAll(), emit(clueLine(s.clue.options), now);
    if (r.attributionRuns > l.attributionRuns) flushAll(), emit(attributionLine(s.attribution.options), now);
    // The tab in front (after a run, which may bring its own tab forward).
    if (!r.tab.empty() && !l.tab.empty() && r.tab != l.tab) flushAll(), emit("tab " + r.tab, now);
    // The selection (a drag's point is written with its drag; a new edited point selects itself).
    const bool selChanged = !(r.sel.point == l.sel.point && r.sel.edited == l.sel.edited);
    const bool newPoint = r.sel.edited >= 0 && r.edited > l.edited && r.sel.edited == int(r.edited) - 1;
    if (!r.dragging && selChanged && !newPoint) {
      if (r.sel.edited < 0 && r.sel.point >= 0) {
        flushAll();
        emit("select " + std::to_string(r.sel.point), now);
        m_selWritten = r.sel.point;
      } else if (r.sel.edited >= 0) {
        comment("edited point " + std::to_string(r.sel.edited) +
                " was selected here (the script language cannot select one)");
        m_selWritten = -1;
      }
    }
  }
  // What has settled.
  if (!inputActive && m_viewChangedAt >= 0 && now - m_viewChangedAt >= kSettleSeconds) flushView(now);
  if (m_filterChangedAt >= 0 && now - m_filterChangedAt >= kSettleSeconds) flushFilter(now);
  if (!inputActive && m_alphaChangedAt >= 0 && now - m_alphaChangedAt >= kSettleSeconds) flushAlpha(now);

  // Keep the settling values as last written ones only when flushed.
  const double cx = l.cx, cy = l.cy, scale = l.scale, fitScale = l.fitScale, alpha = l.alpha;
  const std::string filter = l.filter;
  l = r;
  l.cx = cx, l.cy = cy, l.scale = scale, l.fitScale = fitScale, l.alpha = alpha, l.filter = filter;
  if (m_lines.size() != before || m_dirty) return write();
  return "";
}

std::string Recorder::stop(double now) {
  if (!m_active) return "";
  flushFilter(now);
  flushView(now);
  flushAlpha(now);
  waitUntil(now);  // the pause before the stop, so that the last caption stays as long as it did
  m_active = false;
  return write();
}

}  // namespace latentlab::gui
