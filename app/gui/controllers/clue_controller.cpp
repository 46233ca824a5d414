#include "controllers/clue_controller.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "commands/command.h"
#include "context.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "recorder.h"

namespace latentlab::gui {

namespace {
constexpr double kPlaySeconds = 2.0;  // a whole path plays in about this long
}

// On the UI thread: PCA is a projection per step; the other views place each latent among its
// nearest points (about 0.05 ms at 10k points, 0.4 ms at 70k), so a long path is placed at
// kPlacedSteps evenly spaced steps (always the first and the last) and drawn straight between them.
std::vector<float> ClueController::placePath(const std::vector<float>& path, int64_t d) const {
  constexpr size_t kPlacedSteps = 41;
  const size_t steps = d > 0 ? path.size() / size_t(d) : 0;
  std::vector<float> xy(2 * steps);
  if (steps == 0) return xy;
  auto placeAt = [&](size_t t) {
    const std::vector<float> z(path.begin() + long(t * size_t(d)), path.begin() + long((t + 1) * size_t(d)));
    m_ctx.projection.place(z, xy[2 * t], xy[2 * t + 1]);
  };
  const bool every = m_ctx.state.projection.current == Projection::Pca || steps <= kPlacedSteps;
  std::vector<size_t> at;
  for (size_t k = 0; k < (every ? steps : kPlacedSteps); ++k)
    at.push_back(every ? k : (k * (steps - 1) + (kPlacedSteps - 1) / 2) / (kPlacedSteps - 1));
  for (size_t t : at) placeAt(t);
  for (size_t k = 0; k + 1 < at.size(); ++k)  // the steps between two placed ones, on the straight line
    for (size_t t = at[k] + 1; t < at[k + 1]; ++t) {
      const float f = float(t - at[k]) / float(at[k + 1] - at[k]);
      for (int c = 0; c < 2; ++c) xy[2 * t + c] = xy[2 * at[k] + c] + f * (xy[2 * at[k + 1] + c] - xy[2 * at[k] + c]);
    }
  return xy;
}

ClueRun ClueController::makeRun(const ClueResult& r) const {
  ClueRun run{r, placePath(r.path, r.d)};
  if (int64_t(r.z0.size()) == r.d) m_ctx.projection.place(r.z0, run.x0, run.y0);
  return run;
}

void ClueController::run(const ClueOptions& asked) {
  AppState& s = m_ctx.state;
  ClueOptions options = asked;
  if (options.method != ClueMethod::ClassChange) options.target = -1;  // the panel keeps its last target
  s.clue.error.clear();
  if (!s.hasModel()) {
    s.clue.error = "load a model first";
    return;
  }
  const Selection& sel = s.selection.sel;
  if (!sel.any()) {
    s.clue.error = "select a point (or an edited point) first";
    m_ctx.log.error("clue: nothing is selected", false);
    return;
  }
  if (options.head == HeadKind::Deterministic && options.uncertainty == UncertaintyKind::Epistemic) {
    s.clue.error =
        "the deterministic head has no epistemic uncertainty (it is 0 everywhere); choose total or aleatoric";
    m_ctx.log.error("clue: " + s.clue.error, false);
    return;
  }
  if (options.head == HeadKind::Laplace && !s.model.hasLaplace)
    m_ctx.log.error("clue: this bundle has no Laplace posterior; only the deterministic head runs", false);
  s.clue.fromEdited = sel.edited;
  s.clue.origin = sel.point;
  if (sel.edited >= 0)
    start(options, -1, s.edits.edited[size_t(sel.edited)].latent);
  else
    start(options, sel.point, {});
}

void ClueController::continueFrom(int step) {
  AppState& s = m_ctx.state;
  const ClueRun* r = s.clue.followed();
  if (!r || step < 0 || step >= r->result.numPathSteps()) return;
  const int64_t d = r->result.d;
  std::vector<float> z(r->result.path.begin() + step * d, r->result.path.begin() + (step + 1) * d);
  s.clue.fromEdited = -1;
  start(s.clue.options, -1, std::move(z));
}

void ClueController::start(const ClueOptions& options, int64_t point, std::vector<float> z0) {
  Context& c = m_ctx;
  AppState& s = c.state;
  cancel();
  ClueState& cs = s.clue;
  cs.options = options;
  cs.laplace.reset();
  cs.det.reset();
  cs.diverse.clear();
  cs.member = 0;
  cs.liveXY.clear();
  cs.scrub = 0;
  cs.inspectStep = -1;
  cs.playing = false;
  cs.fromPoint = point;
  ++cs.runs;
  auto ex = s.model.ex;
  const bool laplace = s.model.hasLaplace;
  c.state.ui.focusJobs = false;
  startInSlot(
      c, cs, RunOwner::Points, std::string("clue (") + clueMethodName(options.method) + ")",
      [&c, ex, options, point, z0, laplace](Job& job, const RunCheck& current) {
        auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
        const int total = options.method == ClueMethod::Hierarchical ? options.outerSteps : options.steps;
        auto onStep = [&](int step, const std::vector<float>& z, float) {
          Progress p;
          p.stage = "laplace head";
          p.batch = step;
          p.batches = total;
          job.report(p);
          const auto now = std::chrono::steady_clock::now();
          if (now - last < std::chrono::milliseconds(50)) return !job.cancel.load();
          last = now;
          auto zz = std::make_shared<std::vector<float>>(z);
          c.worker->toUi([&c, zz, current] {
            if (!current()) return;
            float x = 0, y = 0;
            c.projection.place(*zz, x, y);
            c.state.clue.liveXY.push_back(x);
            c.state.clue.liveXY.push_back(y);
          });
          return !job.cancel.load();
        };
        auto progress = [&job](const Progress& p) { job.report(p); };
        if (options.diverse > 1) {  // K counterfactuals of one head: the Laplace one when there is one
          ClueOptions one = options;
          if (!laplace) one.head = HeadKind::Deterministic;
          auto all = std::make_shared<std::vector<ClueResult>>(
              ex->counterfactuals(one, point, z0, onStep, progress, &job.cancel));
          c.worker->toUi([&c, all, current] {
            if (!current()) return;
            ClueState& cs = c.state.clue;
            for (const ClueResult& r : *all) cs.diverse.push_back(c.clue.makeRun(r));
            cs.member = 0;
            cs.liveXY.clear();
            cs.job.reset();
            cs.followDet = false;
            c.clue.scrubTo(0);
            cs.playing = true;
            cs.playClock = 0;
            c.log.info("clue: " + std::to_string(all->size()) + " diverse counterfactuals (" + all->front().method +
                       ", " + all->front().head + " head) done");
          });
          return;
        }
        std::shared_ptr<ClueResult> lap;
        if (laplace && options.head == HeadKind::Laplace) {
          lap = std::make_shared<ClueResult>(ex->counterfactual(options, point, z0, onStep, progress, &job.cancel));
          checkCancel(&job.cancel, "clue");
        }
        // The deterministic head alongside, except for epistemic U, which it does not have.
        std::shared_ptr<ClueResult> dr;
        if (options.uncertainty != UncertaintyKind::Epistemic || !lap) {
          ClueOptions det = options;
          det.head = HeadKind::Deterministic;
          Progress p;
          p.stage = "deterministic head";
          job.report(p);
          dr = std::make_shared<ClueResult>(ex->counterfactual(det, point, z0, {}, progress, &job.cancel));
        }
        c.worker->toUi([&c, lap, dr, current] {
          if (!current()) return;
          ClueState& cs = c.state.clue;
          if (lap) cs.laplace = c.clue.makeRun(*lap);
          if (dr) cs.det = c.clue.makeRun(*dr);
          cs.liveXY.clear();
          cs.job.reset();
          cs.followDet = !lap;
          c.clue.scrubTo(0);  // the inspector shows this run from its first step
          cs.playing = true;  // the path plays once from z0 to z*
          cs.playClock = 0;
          c.log.info(std::string("clue: ") + (lap ? lap : dr)->method + " done");
        });
      },
      RunEnd{"clue failed", true, "clue cancelled", [&c] { c.state.clue.liveXY.clear(); }});
}

void ClueController::cancel() { m_ctx.state.clue.cancel(); }  // late results of the cancelled run are dropped

void ClueController::scrubTo(int step) {
  ClueState& cs = m_ctx.state.clue;
  const ClueRun* r = cs.followed();
  if (!r) return;
  cs.scrub = std::clamp(step, 0, r->result.numPathSteps() - 1);
  cs.inspectStep = cs.scrub;
  const int64_t d = r->result.d;
  m_ctx.edits.inspectLatent(
      std::vector<float>(r->result.path.begin() + cs.scrub * d, r->result.path.begin() + (cs.scrub + 1) * d));
}

void ClueController::tick(double dt) {
  ClueState& cs = m_ctx.state.clue;
  const ClueRun* r = cs.followed();
  if (!cs.playing || !r) return;
  const int last = r->result.numPathSteps() - 1;
  cs.playClock += dt;
  const int step = last <= 0 ? 0 : std::min(last, int(cs.playClock / kPlaySeconds * last));
  if (step != cs.scrub) scrubTo(step);
  if (step >= last) cs.playing = false;
}

void ClueController::keepFinal() {
  ClueState& cs = m_ctx.state.clue;
  const ClueRun* r = cs.followed();
  if (!r) return;
  m_ctx.edits.addEdited(cs.origin, r->result.zStar);
}

void ClueController::zoomToPaths() {
  AppState& s = m_ctx.state;
  const ClueState& cs = s.clue;
  float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  auto add = [&](float x, float y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    lo[0] = std::min(lo[0], x), hi[0] = std::max(hi[0], x);
    lo[1] = std::min(lo[1], y), hi[1] = std::max(hi[1], y);
  };
  std::vector<const ClueRun*> runs{cs.laplace ? &*cs.laplace : nullptr, cs.det ? &*cs.det : nullptr};
  for (const ClueRun& r : cs.diverse) runs.push_back(&r);
  for (const ClueRun* r : runs) {
    if (!r) continue;
    add(r->x0, r->y0);
    for (size_t i = 0; i + 1 < r->xy.size(); i += 2) add(r->xy[i], r->xy[i + 1]);
  }
  if (!(lo[0] <= hi[0]) || !s.hasModel()) return;
  ViewState& v = s.view;
  // At least a tenth of the data's extent, so that a path of one step shows its neighbourhood.
  const double wx = std::max(double(hi[0] - lo[0]), 0.1 * (s.model.maxX - s.model.minX));
  const double wy = std::max(double(hi[1] - lo[1]), 0.1 * (s.model.maxY - s.model.minY));
  v.view.cx = 0.5 * (lo[0] + hi[0]);
  v.view.cy = 0.5 * (lo[1] + hi[1]);
  v.view.scale = 0.5 * std::min(v.mapRect.width / std::max(wx, 1e-9), v.mapRect.height / std::max(wy, 1e-9));
  clampView(s);
}

bool ClueController::nudgeMarker(float& x, float& y) const {
  const ClueState& cs = m_ctx.state.clue;
  const ClueRun* r = cs.followed();
  if (!r || cs.playing || cs.running() || cs.scrub < 0 || size_t(2 * cs.scrub + 1) >= r->xy.size()) return false;
  x = r->xy[size_t(2 * cs.scrub)];
  y = r->xy[size_t(2 * cs.scrub + 1)];
  return true;
}

void ClueController::beginNudge() {
  ClueState& cs = m_ctx.state.clue;
  float x = 0, y = 0;
  if (!nudgeMarker(x, y) || cs.origin < 0) return;
  const ClueResult& r = cs.followed()->result;
  const int64_t d = r.d;
  m_ctx.edits.beginDragOf(cs.origin,
                          std::vector<float>(r.path.begin() + cs.scrub * d, r.path.begin() + (cs.scrub + 1) * d), x, y,
                          cs.scrub);
}

void ClueController::runBatch() {
  Context& c = m_ctx;
  AppState& s = c.state;
  ClueBatch& b = s.clue.batch;
  b.error.clear();
  // A refusal is kept for the panel and logged once (a script's line number comes with it).
  auto refuse = [&c, &b](const std::string& why) {
    b.error = why;
    c.log.error("batch explain: " + why, false);
  };
  if (!s.hasModel()) return refuse("load a model first");
  if (b.running()) return refuse("a batch run is going already");
  ExplainOptions o;
  o.bundle = s.model.dir;
  o.out = b.out;
  o.force = b.force;
  o.device = s.model.device;
  o.cf = s.clue.options;
  if (o.cf.method != ClueMethod::ClassChange) o.cf.target = -1;
  if (b.out.empty()) return refuse("choose a folder to write (a new one)");
  if (b.lasso) {
    const PointTable& t = *s.model.pts;
    for (int64_t i : s.selection.multi)
      if (i >= 0 && i < t.n && !t.isTrain[size_t(i)]) o.indices.push_back(t.splitIndex[size_t(i)]);
    if (o.indices.empty())
      return refuse("the lasso selection holds no test points (shift+drag on the map to draw one)");
  } else {
    if (b.mostUncertain < 1) return refuse("the number of points must be at least 1");
    o.mostUncertain = b.mostUncertain;
  }
  try {
    checkExplainOut(o.out, o.force);  // said now, by the line or the click that asked
  } catch (const InputError& e) {
    return refuse(e.what());
  }
  b.summary = nullptr;
  b.written.clear();
  c.state.ui.focusJobs = false;
  startInSlot(
      c, b, RunOwner::Points,
      std::string("explain (") + clueMethodName(o.cf.method) + ", " + headKindName(o.cf.head) + ")",
      [&c, o](Job& job, const RunCheck& current) {
        std::ostringstream log;
        auto summary = std::make_shared<nlohmann::json>(runExplain(
            o, [&job](const Progress& p) { job.report(p); }, &job.cancel, log));
        c.worker->toUi([&c, summary, out = o.out, current, text = log.str()] {
          if (!current()) return;
          ClueBatch& b = c.state.clue.batch;
          b.job.reset();
          b.summary = *summary;
          b.written = out;
          c.log.info(text.empty() ? "explain: done" : "explain: " + text.substr(0, text.find('\n')) + " -> " + out);
        });
      },
      RunEnd{"batch explain failed", true, "batch explain cancelled: nothing was written", {}});
}

void ClueController::cancelBatch() {
  ClueBatch& b = m_ctx.state.clue.batch;
  if (b.job) b.job->cancel = true;
}

void ClueController::replace() {
  ClueState& cs = m_ctx.state.clue;
  if (!m_ctx.state.hasModel()) return;
  if (cs.laplace) cs.laplace = makeRun(cs.laplace->result);
  if (cs.det) cs.det = makeRun(cs.det->result);
  for (ClueRun& r : cs.diverse) r = makeRun(r.result);
  cs.liveXY.clear();
}

void ClueController::follow(int member) {
  ClueState& cs = m_ctx.state.clue;
  if (cs.diverse.empty()) return;
  cs.member = std::clamp(member, 0, int(cs.diverse.size()) - 1);
  scrubTo(cs.scrub);
}

void ClueController::reset() {
  cancel();
  ClueState& cs = m_ctx.state.clue;
  cs.laplace.reset();
  cs.det.reset();
  cs.diverse.clear();
  cs.member = 0;
  cs.liveXY.clear();
  cs.error.clear();
  cs.playing = false;
  cs.inspectStep = -1;
  cs.origin = -1;
  cs.fromPoint = -1;
  cs.nudged = -1;
  cs.batch.cancel();
  cs.batch.summary = nullptr;
  cs.batch.error.clear();
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

std::string clueSettings(const ClueOptions& o) {
  const ClueOptions d;
  std::string l = std::string("method=") + clueMethodName(o.method);
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
  if (o.diverse != d.diverse) add("diverse=" + std::to_string(o.diverse));
  if (o.diversity != d.diversity) add("diversity=" + exactDouble(o.diversity));
  if (o.diverseInit != d.diverseInit) add("diverse_init=" + exactDouble(o.diverseInit));
  if (o.seed != d.seed) add("seed=" + std::to_string(o.seed));
  return l;
}

namespace {

ClueOptions parseClueSettings(const std::vector<std::string>& words, size_t from, const std::string& where) {
  ClueOptions o;
  for (size_t k = from; k < words.size(); ++k) {
    const size_t eq = words[k].find('=');
    setClueOption(o, words[k].substr(0, eq), words[k].substr(eq + 1), where);
  }
  return o;
}

ArgSpec clueSettingsArg(const std::string& where) {
  return arg::settings("KEY=VALUE", where, [where](const std::string& k, const std::string& v) {
    ClueOptions o;
    setClueOption(o, k, v, where);
  });
}

}  // namespace

void addClueCommands(CommandList& out) {
  {
    CommandSpec c{
        "clue",
        {clueSettingsArg("clue")},
        1,
        "clue [method=latent-clue|vae-clue|regene|class-change|hierarchical "
        "uncertainty=total|aleatoric|epistemic lambda=L steps=N target=CLASS keep_class=on diverse=K ...]: explain "
        "the selection's uncertainty with a counterfactual, with the Laplace and the deterministic head (the CLUE "
        "panel's Run); diverse=K (2..8): K counterfactuals of the Laplace head, pushed apart (DiCE)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      const ClueOptions o = parseClueSettings(cmd.args, 0, "clue");
      if (o.target >= 0 && o.method != ClueMethod::ClassChange) {
        ctx.log.error(std::string("clue: target is for method=class-change; ") + clueMethodName(o.method) +
                      " lowers U");
        return false;
      }
      ctx.clue.run(o);
      return true;
    };
    c.wait = waitUntilIdle;
    // Each run (from the panel or a script) with all its settings, so that the replay runs the same.
    c.record = Recording::event([](const AppState& s) { return s.clue.runs; }, Recording::Phase::Run);
    c.record.latest = [](const AppState& s) { return clueSettings(s.clue.options); };
    c.stateKeys = {"clue"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"clue-follow",
                  {arg::whole("K", 1, kMaxDiverse)},
                  0,
                  "clue-follow K: the scrubber and the inspector follow diverse counterfactual K (1 = the first; the "
                  "CLUE tab's radio buttons), showing its z* (Play runs its path)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      const int k = std::stoi(cmd.args[0]);
      const size_t have = ctx.state.clue.diverse.size();
      if (int(have) < k) {
        ctx.log.error(have == 0 ? std::string("clue-follow: there are no diverse counterfactuals (run clue diverse=K "
                                              "first)")
                                : "clue-follow: there are " + std::to_string(have) +
                                      " diverse counterfactuals; choose 1.." + std::to_string(have),
                      false);
        return false;
      }
      ctx.clue.follow(k - 1);
      ClueState& cs = ctx.state.clue;  // its z*, held (Play runs its path)
      cs.playing = false;
      ctx.clue.scrubTo(cs.followed()->result.numPathSteps() - 1);
      return true;
    };
    c.stateKeys = {"clue"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{
        "clue-zoom", {}, 0, "clue-zoom: centre the map on the CLUE paths, zoomed in (the CLUE tab's Zoom to paths)"};
    c.run = [](Context& ctx, const ScriptCommand&) {
      ctx.clue.zoomToPaths();
      return true;
    };
    c.stateKeys = {"view"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{
        "clue-batch",
        {arg::outFolder("OUT"),
         {"N|lasso", ArgSpec::Kind::One,
          [](const std::string& w) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(w.c_str(), &end);
            const bool count = !w.empty() && end == w.c_str() + w.size() &&
                               w.find_first_not_of("0123456789") == std::string::npos && v >= 1 && v <= 1e6;
            if (w == "lasso" || count) return "";
            return "'" + clipForMessage(w, 40) + "' must be lasso or a number of points from 1 to 1000000";
          }},
         clueSettingsArg("clue-batch")},
        1,
        "clue-batch OUT N|lasso [KEY=VALUE ...]: the CLUE panel's batch run (latentlab explain) of the N most "
        "uncertain test points, or of the lasso selection's test points, into the new folder OUT, as a job; "
        "KEY=VALUE as for clue. The script goes on at once (wait-for OUT/summary.json to wait for it)"};
    c.ready = [](const Context& ctx) { return !ctx.state.clue.batch.running(); };  // one batch at a time
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ClueBatch& b = ctx.state.clue.batch;
      ctx.state.clue.options = parseClueSettings(cmd.args, 2, "clue-batch");
      b.out = cmd.args[0];
      b.lasso = cmd.args[1] == "lasso";
      if (!b.lasso) b.mostUncertain = std::stoi(cmd.args[1]);
      ctx.clue.runBatch();  // a refusal is logged there, with this line's number
      return b.error.empty();
    };
    c.stateKeys = {"clue"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
