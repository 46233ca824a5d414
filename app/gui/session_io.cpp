#include "session_io.h"

#include <algorithm>
#include <filesystem>

#include "commands/command.h"
#include "context.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab::gui {

namespace {

// The map's added points as a session records them: each image, and each run of one layer's points.
std::vector<SessionState::Added> sessionAdded(const PointTable& t) {
  std::vector<SessionState::Added> out;
  for (size_t k = 0; k < t.extraKind.size(); ++k) {
    if (t.extraKind[k] == PointTable::kAddedImage) {
      out.push_back({false, t.extraPath[k], t.extraHash[k], 0});
    } else if (!out.empty() && out.back().layer && out.back().path == t.extraLayer[k] && k > 0 &&
               t.extraKind[k - 1] == PointTable::kLayerPoint) {
      ++out.back().n;
    } else {
      out.push_back({true, t.extraLayer[k], "", 1});
    }
  }
  return out;
}

void applySession(Context& ctx, const SessionState& s) {
  AppState& st = ctx.state;
  const PointTable& t = *st.model.pts;
  // A session saved with the training points shown may name them: add them first, then apply.
  int64_t highest = s.selected;
  for (int64_t i : s.selection) highest = std::max(highest, i);
  for (const auto& e : s.edited) highest = std::max(highest, e.origin);
  if (s.showTrain && !t.hasTrain() && highest >= t.n) {
    ctx.models.showTrainPoints(true);
    ctx.worker->submit("apply session", [&ctx, s](Job&) {
      ctx.worker->toUi([&ctx, s] {
        if (ctx.state.hasModel() && ctx.state.model.pts->hasTrain())
          applySession(ctx, s);
        else
          ctx.log.error("session not applied: it names training points, and they could not be added");
      });
    });
    return;
  }
  // Then the points it added, in their order (each image checked against its fingerprint).
  if (!s.added.empty() && t.numExtra == 0) {
    // Consecutive images in one job (a thousand added images are one table, not a thousand).
    std::vector<std::string> paths, hashes;
    auto flush = [&] {
      if (!paths.empty()) ctx.extras.addImages(paths, hashes);
      paths.clear();
      hashes.clear();
    };
    for (const auto& a : s.added) {
      if (a.layer) {
        flush();
        ctx.extras.addLayer(a.path, a.n);
      } else {
        paths.push_back(a.path);
        hashes.push_back(a.fingerprint);
      }
    }
    flush();
    ctx.worker->submit("apply session", [&ctx, s](Job&) {
      ctx.worker->toUi([&ctx, s] {
        if (ctx.state.hasModel() && ctx.state.model.pts->numExtra > 0)
          applySession(ctx, s);
        else
          ctx.log.error("session not applied: the points it added could not be added again");
      });
    });
    return;
  }
  if (!s.added.empty() && sessionAdded(t).size() != s.added.size())
    return ctx.log.error("session not applied: " + std::to_string(sessionAdded(t).size()) + " of its " +
                         std::to_string(s.added.size()) +
                         " added points are on the map (the errors above say why the others are not); its selection "
                         "and edits would name the wrong points");
  for (int64_t i : s.selection)
    if (i < 0 || i >= t.n)
      return ctx.log.error("session selection index " + std::to_string(i) + " is out of range (" + std::to_string(t.n) +
                           " points)");
  if (s.selected >= t.n)
    return ctx.log.error("session selected index " + std::to_string(s.selected) + " is out of range");
  for (const auto& e : s.edited)
    if (int64_t(e.latent.size()) != t.d || e.origin < 0 || e.origin >= t.n)
      return ctx.log.error("session edited point does not fit this model (d=" + std::to_string(t.d) + ")");
  st.style.setColorMode(parseColorMode(s.colorMode).value_or(ColorMode::Label));
  const auto projection = parseProjection(s.projection);
  if (!projection)
    ctx.log.error("unknown projection '" + s.projection + "' (pca, tsne, umap or csv)");
  else if (*projection != st.projection.current)
    ctx.projection.apply(*projection == Projection::Csv && !st.model.layouts.count(Projection::Csv) ? Projection::Pca
                                                                                                    : *projection);
  st.view.view.cx = s.viewX;
  st.view.view.cy = s.viewY;
  st.view.view.scale = s.viewScale;
  st.view.needFit = false;
  st.style.hidden.assign(size_t(t.K), false);
  for (int k : s.hiddenClasses)
    if (k >= 0 && k < int(t.K)) st.style.hidden[size_t(k)] = true;
  st.style.filterText = s.filter;
  ctx.edits.applyFilter();
  ctx.edits.setMultiSelection(s.selection);
  st.edits.edited = s.edited;
  st.edits.undo.clear();
  st.selection.sel = {s.selected, -1};
  st.edits.inspect.reset();
  if (st.selection.sel.any()) ctx.edits.requestInspect();
  if (s.showTrain != st.style.showTrain) ctx.models.showTrainPoints(s.showTrain);
  st.style.colorsDirty = true;
  ctx.log.info("session applied");
}

}  // namespace

SessionState sessionState(const Context& ctx) {
  const AppState& st = ctx.state;
  SessionState s;
  std::error_code ec;
  // An absolute path: the session may be loaded from another working directory.
  const std::string dir = st.hasModel() ? st.model.dir : st.loadingDir;
  s.bundle = dir.empty() ? dir : fs::absolute(dir, ec).lexically_normal().string();
  s.projection = projectionKey(st.projection.current);
  s.colorMode = colorModeKey(st.style.colorMode);
  s.viewX = st.view.view.cx;
  s.viewY = st.view.view.cy;
  s.viewScale = st.view.view.scale;
  s.showTrain = st.style.showTrain;
  for (size_t k = 0; k < st.style.hidden.size(); ++k)
    if (st.style.hidden[k]) s.hiddenClasses.push_back(int(k));
  s.filter = st.style.filterText;
  s.selection = st.selection.multi;
  s.selected = st.selection.sel.point;
  s.edited = st.edits.edited;
  if (st.hasModel()) s.added = sessionAdded(*st.model.pts);
  return s;
}

void saveSessionTo(Context& ctx, const std::string& path, bool replace) {
  clampView(ctx.state);  // what is saved can be loaded again
  try {
    checkOutputFile(path, replace);
    saveSession(sessionState(ctx), path);
    ctx.state.ui.ownFiles.insert(path);
    ctx.log.info("saved session " + path);
  } catch (const Error& e) {
    ctx.log.error(e.what());
  }
}

void loadSessionFrom(Context& ctx, const std::string& path) {
  SessionState s;
  try {
    s = loadSession(path);
  } catch (const Error& e) {
    return ctx.log.error(e.what());
  }
  ctx.state.ui.ownFiles.insert(path);
  auto isSessionBundle = [s](const Context& c) {
    std::error_code ec;
    return c.state.hasModel() &&
           (s.bundle.empty() || fs::weakly_canonical(s.bundle, ec) == fs::weakly_canonical(c.state.model.dir, ec));
  };
  if (isSessionBundle(ctx)) return applySession(ctx, s);
  // Load the session's bundle first; apply once it is up (the job queue runs in order), and only
  // to that bundle: when it fails to load, the model that stays is not the session's.
  ctx.models.load(s.bundle);
  ctx.worker->submit("apply session", [&ctx, s, path, isSessionBundle](Job&) {
    ctx.worker->toUi([&ctx, s, path, isSessionBundle] {
      if (isSessionBundle(ctx))
        applySession(ctx, s);
      else
        ctx.log.error("session " + path + " not applied: its bundle " + s.bundle + " did not load");
    });
  });
}

void exportSelectionCsv(Context& ctx, const std::string& path, bool replace) {
  const AppState& st = ctx.state;
  if (!st.hasModel()) return ctx.log.error("nothing to export: no model is loaded");
  const PointTable& t = *st.model.pts;
  std::vector<int64_t> idx = st.selection.multi;
  if (idx.empty() && st.selection.sel.point >= 0) idx.push_back(st.selection.sel.point);
  if (idx.empty()) return ctx.log.error("nothing to export: select points first (click, lasso or search)");
  std::vector<CsvRow> rows;
  for (int64_t i : idx) {
    const size_t s = size_t(i);
    CsvRow r;
    r.index = i;
    r.label = t.labels[s];
    r.pred = t.preds[s];
    r.total = t.total[s];
    r.aleatoric = t.aleatoric[s];
    r.epistemic = t.epistemic[s];
    r.x = st.model.xy[2 * s];
    r.y = st.model.xy[2 * s + 1];
    r.latent.assign(t.latents.begin() + i * t.d, t.latents.begin() + (i + 1) * t.d);
    rows.push_back(std::move(r));
  }
  try {
    checkOutputFile(path, replace);
    writeUserFile(path, selectionCsv(rows, t.d));
    ctx.state.ui.ownFiles.insert(path);
    ctx.log.info("wrote " + std::to_string(rows.size()) + " rows to " + path);
  } catch (const Error& e) {
    ctx.log.error(e.what());
  }
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

void addSessionCommands(CommandList& out) {
  {
    CommandSpec c{
        "session-save", {arg::outFile()}, 0, "session-save PATH: save view, colours, selection and edited points"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      saveSessionTo(ctx, cmd.args[0], true);
      return true;
    };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"session-load", {arg::path()}, 0, "session-load PATH: restore a saved session"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      loadSessionFrom(ctx, cmd.args[0]);
      return true;
    };
    c.wait = waitUntilIdle;
    c.stateKeys = {"view", "color", "selected", "edited_points", "selection"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"export-csv", {arg::outFile()}, 0, "export-csv PATH: write the selection as CSV"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      exportSelectionCsv(ctx, cmd.args[0], true);
      return true;
    };
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
