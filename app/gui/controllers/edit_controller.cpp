#include "controllers/edit_controller.h"

#include <optional>
#include "commands/command.h"
#include "context.h"
#include "latentlab/util/errors.h"
#include "recorder.h"

namespace latentlab::gui {

void EditController::requestEval(EvalTarget target, std::vector<float> z) {
  Context& c = m_ctx;
  EditState& e = c.state.edits;
  const bool drag = target == EvalTarget::Drag;
  const uint64_t seq = drag ? ++e.dragSeq : ++e.inspectSeq;
  auto ex = c.state.model.ex;
  const int k = e.snap ? 6 : 0;
  // Live saliency (the Attribution tab's target and head) rides along with the decode.
  std::optional<SaliencyRequest> sal;
  if (const AttributionState& as = c.state.attribution; as.live) {
    SaliencyRequest q;
    q.options = as.options;
    q.options.steps = as.liveSteps;
    if (!c.state.model.hasLaplace) q.options.head = HeadKind::Deterministic;
    if (q.options.head == HeadKind::Deterministic && q.options.target.kind == AttributionTargetKind::Epistemic)
      q.options.target.kind = AttributionTargetKind::Total;  // the deterministic head has no epistemic part
    if (q.options.path != AttributionPath::Straight && q.options.target.needsClass())
      q.options.target.kind = AttributionTargetKind::Total;
    sal = q;
  }
  // The DVAE's code and its single flips (the Concepts tab) come with the inspector's evaluation.
  std::optional<ConceptRequest> concepts;
  if (!drag && c.state.model.dvaeBits > 0) concepts = ConceptRequest{c.concepts.requestedCode()};
  c.worker->interactive(
      [&c, ex, z = std::move(z), k, seq, drag, sal, concepts] {
        auto r =
            std::make_shared<LatentEval>(ex->evaluate(z, k, sal ? &*sal : nullptr, concepts ? &*concepts : nullptr));
        c.worker->toUi([&c, r, seq, drag] {
          EditState& e = c.state.edits;
          e.evalError.clear();
          if (drag) {
            e.dragMs.push(r->ms);
            if (seq == e.dragSeq) e.dragEval = *r;
          } else if (seq == e.inspectSeq) {
            e.inspect = *r;
            c.edits.rememberEval(*r);
          }
        });
      },
      [&c, drag](const std::string& err) {
        c.state.edits.evalError = err;  // the inspector says it; the dialog opens for a selection only
        c.log.error(std::string(drag ? "drag evaluation" : "evaluation") + " failed: " + err, !drag);
      });
}

void EditController::rememberEval(const LatentEval& r) {
  AppState& s = m_ctx.state;
  const int k = s.selection.sel.edited;
  if (k < 0 || k >= int(s.edits.edited.size())) return;
  EditedPoint& p = s.edits.edited[size_t(k)];
  if (p.latent != r.latent) return;
  p.pred = r.probs.empty() ? -1 : r.pred;
  p.total = r.probs.empty() ? -1 : r.total;
  p.image = r.image;
}

void EditController::inspectLatent(std::vector<float> z) {
  if (m_ctx.state.hasModel()) requestEval(EvalTarget::Inspect, std::move(z));
}

void EditController::addEdited(int64_t origin, std::vector<float> z) {
  AppState& s = m_ctx.state;
  if (!s.hasModel() || origin < 0 || origin >= s.model.pts->n) return;  // an edited point comes from a point
  EditState& e = s.edits;
  EditedPoint p;
  p.origin = origin;
  p.latent = std::move(z);
  m_ctx.projection.place(p.latent, p.x, p.y);
  p.projection = projectionKey(s.projection.current);
  e.edited.push_back(p);
  e.undo.push_back({UndoAction::Add, p, int(e.edited.size()) - 1});
  s.selection.sel = {origin, int(e.edited.size()) - 1};
  requestInspect();
  m_ctx.log.info("kept edited point " + std::to_string(e.edited.size()));
}

void EditController::requestInspect() {
  m_ctx.state.clue.inspectStep = -1;  // the selection again, not a counterfactual's step
  if (!m_ctx.state.hasModel() || !m_ctx.state.selection.sel.any()) return;
  requestEval(EvalTarget::Inspect, currentLatent());
}

std::vector<float> EditController::currentLatent() const {
  const AppState& s = m_ctx.state;
  const Selection& sel = s.selection.sel;
  if (sel.edited >= 0) return s.edits.edited[size_t(sel.edited)].latent;
  if (sel.point >= 0) {
    const PointTable& t = *s.model.pts;
    return std::vector<float>(t.latents.begin() + sel.point * t.d, t.latents.begin() + (sel.point + 1) * t.d);
  }
  return {};
}

void EditController::currentPosition(float& x, float& y) const {
  const AppState& s = m_ctx.state;
  const Selection& sel = s.selection.sel;
  if (sel.edited >= 0) {
    x = s.edits.edited[size_t(sel.edited)].x;
    y = s.edits.edited[size_t(sel.edited)].y;
  } else if (sel.point >= 0) {
    x = s.model.xy[size_t(2 * sel.point)];
    y = s.model.xy[size_t(2 * sel.point + 1)];
  }
}

void EditController::selectPoint(int64_t i) {
  AppState& s = m_ctx.state;
  if (!s.hasModel() || i < 0 || i >= s.model.pts->n)
    return m_ctx.log.error("no point with index " + std::to_string(i) +
                           (s.hasModel() ? " (the map has " + std::to_string(s.model.pts->n) + ")" : ""));
  s.selection.sel = {i, -1};
  s.edits.inspect.reset();
  requestInspect();
}

void EditController::selectEdited(int k) {
  AppState& s = m_ctx.state;
  if (k < 0 || k >= int(s.edits.edited.size())) return;
  s.selection.sel = {s.edits.edited[size_t(k)].origin, k};
  s.edits.inspect.reset();
  requestInspect();
}

void EditController::beginDrag() {
  float x = 0, y = 0;
  currentPosition(x, y);
  const Selection from = m_ctx.state.selection.sel;
  beginDragOf(from.point, currentLatent(), x, y, -1);
  m_ctx.state.edits.drag.from = from;
}

void EditController::beginDragOf(int64_t origin, std::vector<float> z, float x, float y, int clueStep) {
  Drag& d = m_ctx.state.edits.drag;
  d = {};
  d.active = true;
  d.from = {origin, -1};
  d.z0 = std::move(z);
  d.z = d.z0;
  d.x0 = d.tx = d.zx = x;
  d.y0 = d.ty = d.zy = y;
  d.clueStep = clueStep;
}

void EditController::dragTo(float tx, float ty) {
  AppState& s = m_ctx.state;
  const PointTable& t = *s.model.pts;
  Drag& d = s.edits.drag;
  d.tx = tx;
  d.ty = ty;
  if (s.projection.current == Projection::Pca) {
    d.z = pcaInverseDrag(s.model.pca, d.z0.data(), tx - d.x0, ty - d.y0, t.zLo.data(), t.zHi.data());
    projectPca2(s.model.pca, d.z.data(), 1, &d.zx);
    d.outside = false;
  } else {
    // Non-linear view: the convex combination of the latents of the 8 nearest projected points
    // (ReGene's on-manifold inverse); flagged when the cursor leaves their hull.
    InverseResult r = inverseProject(t.latents.data(), s.model.xy.data(), t.n, t.d, tx, ty, 8);
    d.z = std::move(r.z);
    d.zx = tx;
    d.zy = ty;
    d.outside = r.outside;
  }
  requestEval(EvalTarget::Drag, d.z);
}

void EditController::commitDrag() {
  AppState& s = m_ctx.state;
  EditState& e = s.edits;
  if (!e.drag.active) return;
  EditedPoint p;
  p.origin = e.drag.from.point;
  p.latent = e.drag.z;
  p.x = e.drag.zx;
  p.y = e.drag.zy;
  if (s.projection.current != Projection::Pca) m_ctx.projection.place(p.latent, p.x, p.y);  // where the layout puts it
  p.projection = projectionKey(s.projection.current);
  e.edited.push_back(p);
  e.undo.push_back({UndoAction::Add, p, int(e.edited.size()) - 1});
  e.drag.active = false;
  s.selection.sel = {p.origin, int(e.edited.size()) - 1};
  s.clue.inspectStep = -1;  // the inspector shows the new edited point
  if (e.dragEval && e.dragEval->latent == p.latent) {
    e.inspect = e.dragEval;
    rememberEval(*e.dragEval);
  } else {
    requestInspect();
  }
  e.dragEval.reset();
  if (e.drag.clueStep >= 0) {
    s.clue.nudged = int(e.edited.size()) - 1;
    m_ctx.log.info("nudged step " + std::to_string(e.drag.clueStep) + " of the counterfactual path into edited point " +
                   std::to_string(e.edited.size()) + " (CLUE tab: Continue runs from it)");
  } else {
    m_ctx.log.info("kept edited point " + std::to_string(e.edited.size()) + " from point " + std::to_string(p.origin));
  }
}

void EditController::cancelDrag() {
  EditState& e = m_ctx.state.edits;
  if (!e.drag.active) return;
  e.drag.active = false;
  e.dragEval.reset();
  ++e.dragSeq;
  m_ctx.log.info("drag cancelled");
}

void EditController::deleteEdited(int k) {
  AppState& s = m_ctx.state;
  EditState& e = s.edits;
  Selection& sel = s.selection.sel;
  if (k < 0 || k >= int(e.edited.size())) return;
  e.undo.push_back({UndoAction::Remove, e.edited[size_t(k)], k});
  e.edited.erase(e.edited.begin() + k);
  s.clue.nudged = -1;  // its index may have moved
  if (sel.edited == k)
    sel = {sel.point, -1};
  else if (sel.edited > k)
    --sel.edited;
  requestInspect();
}

void EditController::undo() {
  AppState& s = m_ctx.state;
  EditState& e = s.edits;
  Selection& sel = s.selection.sel;
  if (e.drag.active) return cancelDrag();
  if (e.undo.empty()) return;
  UndoAction a = e.undo.back();
  e.undo.pop_back();
  s.clue.nudged = -1;  // its index may have moved
  if (a.kind == UndoAction::Add) {
    if (a.position < int(e.edited.size())) e.edited.erase(e.edited.begin() + a.position);
    if (sel.edited == a.position)
      sel = {sel.point, -1};
    else if (sel.edited > a.position)
      --sel.edited;
  } else {
    e.edited.insert(e.edited.begin() + std::min<int>(a.position, int(e.edited.size())), a.point);
  }
  requestInspect();
  m_ctx.log.info("undo");
}

void EditController::setSnap(bool on) {
  m_ctx.state.edits.snap = on;
  requestInspect();
}

void EditController::setMultiSelection(std::vector<int64_t> points) {
  SelectionState& sel = m_ctx.state.selection;
  sel.multi = std::move(points);
  sel.multiMask.assign(m_ctx.state.hasModel() ? size_t(m_ctx.state.model.pts->n) : 0, 0);
  for (int64_t i : sel.multi)
    if (i >= 0 && size_t(i) < sel.multiMask.size()) sel.multiMask[size_t(i)] = 1;
  m_ctx.state.style.colorsDirty = true;
}

void EditController::clearMultiSelection() {
  SelectionState& sel = m_ctx.state.selection;
  sel.multi.clear();
  sel.multiMask.assign(sel.multiMask.size(), 0);
  m_ctx.state.style.colorsDirty = true;
}

std::string EditController::applyFilter() {
  AppState& s = m_ctx.state;
  StyleState& st = s.style;
  st.filterError.clear();
  st.filterMask.clear();
  st.colorsDirty = true;
  if (!s.hasModel() || st.filterText.empty()) return "";
  const PointTable& t = *s.model.pts;
  Filter f;
  try {
    f = parseFilter(st.filterText, t.classNames);
  } catch (const Error& e) {
    return st.filterError = e.what();
  }
  st.filterMask.assign(size_t(t.n), 0);
  int64_t count = 0, last = -1;
  for (int64_t i = 0; i < t.n; ++i) {
    const size_t k = size_t(i);
    PointAttrs a{i, t.labels[k], t.preds[k], t.total[k], t.aleatoric[k], t.epistemic[k]};
    if (filterMatches(f, a)) {
      st.filterMask[k] = 1;
      ++count;
      last = i;
    }
  }
  m_ctx.log.info("filter '" + st.filterText + "': " + std::to_string(count) + " points");
  if (count == 1 && f.terms.size() == 1 && f.terms[0].field == FilterTerm::Index) {
    selectPoint(last);
    s.view.view.cx = s.model.xy[size_t(2 * last)];
    s.view.view.cy = s.model.xy[size_t(2 * last + 1)];
  }
  return "";
}

void EditController::reset() {
  AppState& s = m_ctx.state;
  s.selection.sel = {};
  s.selection.multi.clear();
  s.edits.edited.clear();
  s.edits.undo.clear();
  s.edits.inspect.reset();
  s.edits.dragEval.reset();
  s.edits.drag = {};
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

std::string selectLine(int64_t point) { return "select " + std::to_string(point); }
std::string dragLine(float dx, float dy, long frames) {
  return "drag " + exactFloat(dx) + " " + exactFloat(dy) + " " + std::to_string(frames);
}

namespace {

// A script's drag of the selection by (dx, dy) projection units (the script ends it, not the mouse).
void scriptDrag(Context& ctx, float dx, float dy) {
  ctx.edits.beginDrag();
  Drag& d = ctx.state.edits.drag;
  d.byScript = true;
  ctx.edits.dragTo(d.x0 + dx, d.y0 + dy);
}

}  // namespace

void addEditCommands(CommandList& out) {
  {
    CommandSpec c{"select",
                  {arg::whole("INDEX", 0, 9e18)},
                  0,
                  "select INDEX: select a point (test points first, then train points)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.edits.selectPoint(std::stoll(cmd.args[0]));
      return true;
    };
    c.wait = waitUntilIdle;  // its evaluation
    c.stateKeys = {"selected", "selected_edited", "position", "latent", "probabilities", "uncertainty"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"drag",
                  {arg::number("DX", -1e6, 1e6), arg::number("DY", -1e6, 1e6), arg::whole("FRAMES", 0, 36000)},
                  1,
                  "drag DX DY [FRAMES]: drag the selected point by DX, DY projection units and keep it; with FRAMES, "
                  "the point moves there over FRAMES frames (60 a second), as a recorded mouse drag does"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      if (!ctx.state.hasModel() || !ctx.state.selection.sel.any()) {
        ctx.log.error("drag needs a selected point (use select INDEX first)");
        return false;
      }
      const bool animated = cmd.args.size() > 2 && std::stoi(cmd.args[2]) > 0;
      if (animated)
        scriptDrag(ctx, 0, 0);  // the runner moves it a step a frame (ScriptHost::dragMove)
      else
        scriptDrag(ctx, std::stof(cmd.args[0]), std::stof(cmd.args[1]));
      return true;
    };
    c.wait = [](const ScriptCommand& cmd) {
      ScriptWait w;
      const int frames = cmd.args.size() > 2 ? std::stoi(cmd.args[2]) : 0;
      if (frames > 0) {  // moves over FRAMES frames from where it is
        w.dragFrames = frames;
        w.dragDx = std::stof(cmd.args[0]);
        w.dragDy = std::stof(cmd.args[1]);
      } else {  // kept once its evaluation is in
        w.idle = true;
        w.commitDrag = true;
      }
      return w;
    };
    c.stateKeys = {"edited_points", "selected_edited", "position", "latent"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"undo", {}, 0, "undo: undo the last edit (like Ctrl+Z)"};
    c.run = [](Context& ctx, const ScriptCommand&) {
      ctx.edits.undo();
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::event([](const AppState& s) { return uint64_t(s.edits.undo.size()); });
    c.record.drops = true;  // an undo pops the undo stack: one line per pop
    c.stateKeys = {"edited_points"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"snap", {arg::onOff()}, 0, "snap on|off: show the nearest data images beside the decode"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.edits.setSnap(cmd.args[0] == "on");
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> { return s.edits.snap ? "on" : "off"; }, "off");
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{
        "filter", {arg::text("EXPR")}, 1, "filter EXPR: highlight the points matching EXPR, e.g. pred=3 label!=3"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.state.style.filterText = cmd.args.empty() ? "" : cmd.args[0];
      const std::string err = ctx.edits.applyFilter();
      if (!err.empty()) ctx.log.error(err);
      return err.empty();
    };
    // Typed: written once it has not changed for a moment.
    c.record =
        Recording::setting([](const AppState& s) -> std::optional<std::string> { return s.style.filterText; }, "");
    c.record.settles = true;
    c.stateKeys = {"filter_summary"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"select-matches",
                  {},
                  0,
                  "select-matches: make the filter's matches the multi-selection (the toolbar's Select matches); the "
                  "inspector summarises it"};
    c.run = [](Context& ctx, const ScriptCommand&) {
      const StyleState& st = ctx.state.style;
      if (!st.filterError.empty()) {
        ctx.log.error("select-matches: the filter has an error (" + st.filterError + "); the selection is unchanged");
        return false;
      }
      if (st.filterMask.empty()) {
        ctx.log.error("select-matches: no filter is set (use filter EXPR first)");
        return false;
      }
      ctx.edits.setMultiSelection(maskedPoints(st.filterMask));
      return true;
    };
    c.stateKeys = {"selection", "selection_count", "selection_summary"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
