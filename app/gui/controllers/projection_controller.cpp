#include "controllers/projection_controller.h"

#include <cmath>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <optional>
#include "commands/command.h"
#include "context.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::gui {

namespace {
using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
}  // namespace

void ProjectionController::cancelJob() {
  ProjectionState& ps = m_ctx.state.projection;
  ps.cancel();  // whatever that job still posts is stale now
  ps.computing.reset();
}

void ProjectionController::setLayout(const std::vector<float>& xy) {
  AppState& s = m_ctx.state;
  if (xy.size() != size_t(2 * s.model.pts->n)) return;
  s.model.setPositions(xy);
  s.style.positionsDirty = true;
  s.view.needFit = true;
}

void ProjectionController::show(Projection p, const std::vector<float>& xy) {
  cancelJob();
  m_ctx.state.projection.current = p;
  setLayout(xy);
  placeEditedPoints();
}

void ProjectionController::apply(Projection p, bool force) {
  AppState& s = m_ctx.state;
  if (!s.hasModel()) return m_ctx.log.error("no model loaded: cannot project");
  if (s.edits.drag.active) m_ctx.edits.cancelDrag();
  const PointTable& t = *s.model.pts;
  if (p == Projection::Pca) return show(p, pcaPositions(s.model.pca, t, t.n));
  auto it = s.model.layouts.find(p);
  if (it != s.model.layouts.end()) return show(p, it->second.xy);
  if (p == Projection::Csv)
    return m_ctx.log.error("no CSV layout imported yet: import one in the Model tab (Layout CSV)");
  if (s.projection.computing == p && !force) return;  // already computing it
  // Cancelling or a failure goes back to what is shown now, unless that is itself unfinished.
  const Projection shown = s.projection.current;
  const Projection previous = shown == p || shown == s.projection.computing ? Projection::Pca : shown;
  cancelJob();
  s.projection.current = p;
  s.projection.computing = p;
  startJob(p, previous);
}

void ProjectionController::startJob(Projection p, Projection previous) {
  Context& c = m_ctx;
  auto pts = c.state.model.pts;
  const std::string method = projectionKey(p);
  LayoutRequest base;
  base.method = method;
  base.device = c.opt.device;
  base.cacheDir = c.state.model.dir + "/cache";
  base.cacheTag = !pts->hasTrain() && pts->numExtra == 0 ? "test" : pts->numExtra == 0 ? "all" : "all+added";
  const std::string name = std::string(projectionLabel(p)) + " layout of " + std::to_string(pts->n) + " points";
  c.log.info(name + " started (cached in " + layoutCachePath(base.cacheDir, method, base.cacheTag) + ")");
  // This job is still the one the map waits for: not cancelled by a switch to another view, not
  // replaced by a newer job, and its points are still the map's.
  const uint64_t serial = c.state.projection.serial;
  auto current = [&c, pts, serial] {
    return c.state.hasModel() && c.state.model.pts == pts && c.state.projection.serial == serial;
  };
  // After a cancel (from the Jobs tab) or a failure: back to the view shown before.
  auto goBack = [&c, previous, current] {
    if (!current()) return;
    c.state.projection.computing.reset();
    c.projection.apply(previous, true);
  };
  c.state.projection.job = c.worker->submit(
      name,
      [&c, pts, base, p, method, current](Job& job) {
        std::vector<int32_t> labels(pts->labels.begin(), pts->labels.end());
        LayoutRequest req = base;
        req.X = pts->latents.data();
        req.n = pts->n;
        req.d = pts->d;
        req.labels = labels.data();
        auto last = Clock::now() - std::chrono::seconds(1);
        // The map follows the optimisation: a snapshot to the UI at most every 150 ms.
        auto progress = [&](const std::vector<float>& xy, int it, int its) {
          Progress pr;
          pr.stage = method;
          pr.batch = it;
          pr.batches = its;
          job.report(pr);
          if (msSince(last) < 150 && it < its) return;
          last = Clock::now();
          auto snap = std::make_shared<std::vector<float>>(xy);
          c.worker->toUi([&c, snap, current] {
            if (current()) c.projection.setLayout(*snap);
          });
        };
        auto res = std::make_shared<LayoutResult>(computeLayout(req, progress, &job.cancel));
        c.worker->toUi([&c, pts, p, method, res, current] {
          AppState& s = c.state;
          if (!s.hasModel() || s.model.pts != pts) return;
          s.model.layouts[p] = {res->xy, res->quality, true};  // a good layout of these points, current or not
          const bool shown = current();
          if (shown) {
            s.projection.computing.reset();
            s.projection.job.reset();  // done: the slot is free (running() says so)
          }
          char how[96];
          if (res->fromCache)
            std::snprintf(how, sizeof how, "read from the bundle cache");
          else
            std::snprintf(how, sizeof how, "done in %.1f s (%s engine)", res->knnSeconds + res->layoutSeconds,
                          res->engine.c_str());
          char msg[320];
          std::snprintf(
              msg, sizeof msg, "%s layout %s: trustworthiness@15 %.4f, kNN recall@15 %.3f, 2D kNN accuracy %.3f",
              method.c_str(), how, res->quality.trustworthiness, res->quality.knnRecall, res->quality.knnAccuracy);
          c.log.info(msg);
          if (!res->cacheError.empty()) c.log.info("layout not cached: " + res->cacheError);
          if (shown) {  // not show(): that would cancel this very job
            c.projection.setLayout(res->xy);
            c.projection.placeEditedPoints();
          }
        });
      },
      [&c, method, goBack](const std::string& err) {
        c.log.error(method + " layout failed: " + err);
        goBack();
      },
      // Cancelled (from the Jobs tab or a script), also while it was still queued behind another job.
      [&c, method, previous, current, goBack] {
        if (current()) c.log.info(method + " layout cancelled; back to " + projectionKey(previous));
        goBack();
      });
}

void ProjectionController::importCsv(const std::string& path) {
  Context& c = m_ctx;
  if (!c.state.hasModel()) return c.log.error("no model loaded: cannot import a layout");
  // Read and checked on the job thread (70,000 rows take about 50 ms); shown as soon as it is
  // read, its quality filled in after.
  auto pts = c.state.model.pts;
  c.worker->submit(
      "layout " + path,
      [&c, pts, path](Job&) {
        auto xy = std::make_shared<const std::vector<float>>(readLayoutCsv(path, pts->n));
        c.worker->toUi([&c, pts, xy, path] {
          if (!c.state.hasModel() || c.state.model.pts != pts) return;
          c.state.model.layouts[Projection::Csv] = {*xy, {}, false};
          c.projection.apply(Projection::Csv);
          c.log.info("imported the layout " + path);
        });
        std::vector<int32_t> labels(pts->labels.begin(), pts->labels.end());
        const LayoutQuality q = layoutQuality(pts->latents.data(), pts->n, pts->d, xy->data(), labels.data());
        c.worker->toUi([&c, pts, q, xy] {
          Model& m = c.state.model;
          auto it = m.layouts.find(Projection::Csv);
          if (c.state.hasModel() && m.pts == pts && it != m.layouts.end() && it->second.xy == *xy) {
            it->second.quality = q;
            it->second.haveQuality = true;
          }
        });
      },
      [&c](const std::string& err) { c.log.error("layout not imported: " + err); });
}

std::string ProjectionController::exportCsv(const std::string& path, bool replace) {
  if (!m_ctx.state.hasModel()) return "no model loaded: no layout to export";
  try {
    checkOutputFile(path, replace);
    writeLayoutCsv(path, m_ctx.state.model.xy);
    m_ctx.state.ui.ownFiles.insert(path);
  } catch (const Error& e) {
    return e.what();
  }
  m_ctx.log.info("wrote the layout to " + path);
  return "";
}

void ProjectionController::place(const std::vector<float>& z, float& x, float& y) const {
  const AppState& s = m_ctx.state;
  const PointTable& t = *s.model.pts;
  const Projection p = s.projection.current;
  if (int64_t(z.size()) != t.d)
    throw InputError("[place] a latent of " + std::to_string(z.size()) +
                     " values, the model has d=" + std::to_string(t.d));
  if (p == Projection::Pca) {
    float xy[2];
    projectPca2(s.model.pca, z.data(), 1, xy);
    x = xy[0];
    y = xy[1];
    return;
  }
  Placer placer{t.latents.data(), s.model.xy.data(), t.n, t.d, p == Projection::Tsne ? "tsne" : "umap", 15, 30, 0};
  placer.place(z.data(), x, y);
  if (!std::isfinite(x) || !std::isfinite(y)) {  // a latent far outside the data: its PCA position, never NaN
    float xy[2];
    projectPca2(s.model.pca, z.data(), 1, xy);
    x = std::isfinite(xy[0]) ? xy[0] : 0.0f;
    y = std::isfinite(xy[1]) ? xy[1] : 0.0f;
  }
}

void ProjectionController::placeEditedPoints() {
  for (auto& e : m_ctx.state.edits.edited) {
    place(e.latent, e.x, e.y);
    e.projection = projectionKey(m_ctx.state.projection.current);
  }
  m_ctx.clue.replace();         // the counterfactual paths too
  m_ctx.attribution.replace();  // and the IG path
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

void addProjectionCommands(CommandList& out) {
  {
    std::vector<std::string> keys;
    for (Projection p : kProjections) keys.push_back(projectionKey(p));
    CommandSpec c{"project",
                  {arg::oneOf("pca|tsne|umap|csv", keys, "unknown projection %s (pca, tsne, umap or csv)"),
                   arg::oneOf("nowait", {"nowait"}, "%s after the projection must be nowait")},
                  1,
                  "project pca|tsne|umap|csv [nowait]: switch the 2D projection (t-SNE and UMAP are computed as a job, "
                  "or read from the bundle's cache; the script waits for them unless nowait)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.projection.apply(*parseProjection(cmd.args[0]));
      return true;
    };
    c.wait = [](const ScriptCommand& cmd) {
      ScriptWait w;
      w.idle = cmd.args.size() < 2;  // `nowait` goes on while the layout is computed
      return w;
    };
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> { return projectionKey(s.projection.current); }, "pca");
    c.record.unsaid = projectionKey(Projection::Csv);
    c.record.unsaidComment = "an imported CSV layout was shown: use layout-csv PATH here";
    c.record.refits = true;  // the new layout is fitted in the same frame, and so is the replay's
    c.stateKeys = {"projection", "layout_quality", "layout_computing"};
    c.state = [](nlohmann::json& j, const AppState& s) { j["projection"] = projectionKey(s.projection.current); };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{
        "export-layout", {arg::outFile()}, 0, "export-layout PATH: write the map's current layout as CSV (index,x,y)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      const std::string err = ctx.projection.exportCsv(cmd.args[0], true);
      if (!err.empty()) ctx.log.error(err);
      return err.empty();
    };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"layout-csv", {arg::path()}, 0, "layout-csv PATH: import a 2D layout (index,x,y) and show it"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.projection.importCsv(cmd.args[0]);
      return true;
    };
    c.wait = waitUntilIdle;
    c.stateKeys = {"projection"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
