// Added images and layers (extras_controller.h).
#include "controllers/extras_controller.h"

#include <cmath>
#include <filesystem>
#include <memory>

#include "commands/command.h"
#include "context.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/projection/projection.h"

namespace fs = std::filesystem;

namespace latentlab::gui {

namespace {
// The new rows' positions in the view the map shows, by the projection's own placement of a latent
// (ProjectionController::place: PCA exactly, else placed among the points on the map now).
void placeNewRows(Context& c, Model& m, Projection p, int64_t from) {
  const PointTable& t = *m.pts;
  std::vector<float> xy = m.xy;
  xy.resize(size_t(2 * t.n));
  for (int64_t i = from; i < t.n; ++i)
    c.projection.place(std::vector<float>(t.latents.begin() + i * t.d, t.latents.begin() + (i + 1) * t.d),
                       xy[size_t(2 * i)], xy[size_t(2 * i + 1)]);
  m.xy = std::move(xy);
  // The other cached layouts were made without these points: they are made again when chosen.
  auto kept = m.layouts.find(p);
  std::map<Projection, Model::Layout> layouts;
  if (kept != m.layouts.end()) {
    kept->second.xy = m.xy;
    layouts[p] = kept->second;
  }
  m.layouts = std::move(layouts);
}

// Runs an add (images or a layer) as a job and puts its table on the map.
void submitAdd(Context& c, const std::string& title,
               std::function<AddedPoints(Explorer&, const ProgressFn&, const std::atomic<bool>*)> add, bool select,
               const std::string& layerArgs = "") {
  AppState& s = c.state;
  if (!s.hasModel()) return c.log.error("load a bundle before adding points to its map");
  auto ex = s.model.ex;
  c.worker->submit(
      title,
      [&c, ex, add, select, layerArgs](Job& job) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        auto r = std::make_shared<AddedPoints>(add(*ex, progress, &job.cancel));
        c.worker->toUi([&c, ex, r, select, layerArgs] {
          AppState& s = c.state;
          if (!s.hasModel() || s.model.ex != ex) return;
          for (const auto& e : r->errors) c.log.error(e);
          for (const auto& n : r->notes) c.log.info(n);
          Model m = s.model;
          if (!layerArgs.empty()) m.layers.push_back(layerArgs);
          const int64_t from = m.pts->n;
          m.pts = r->table;
          // A training split added meanwhile would have moved rows: the job's table is the explorer's newest.
          if (r->first != from) {
            m.xy = pcaPositions(m.pca, *m.pts, m.pts->n);
            m.layouts.clear();
            s.projection.current = Projection::Pca;
          } else {
            placeNewRows(c, m, s.projection.current, from);  // the map still shows the old rows
          }
          c.models.setModel(std::move(m));
          const PointTable& t = *s.model.pts;
          for (int64_t i = r->first; i < r->first + r->count; ++i)
            if (t.extraKind[size_t(i - t.numData())] == PointTable::kAddedImage)
              c.log.info("added " + t.extraName[size_t(i - t.numData())] + " as point " + std::to_string(i) +
                         ": predicted " + (t.preds[size_t(i)] >= 0 ? t.classNames[size_t(t.preds[size_t(i)])] : "-") +
                         ", total U " + std::to_string(t.total[size_t(i)]).substr(0, 5) + " nats");
          if (select && r->count > 0) c.edits.selectPoint(r->first + r->count - 1);
        });
      },
      [&c](const std::string& err) { c.log.error(err); });
}
}  // namespace

void ExtrasController::addImages(const std::vector<std::string>& paths, const std::vector<std::string>& hashes) {
  if (paths.empty()) return;
  const std::string title =
      "add " + (paths.size() == 1 ? fs::path(paths[0]).filename().string() : std::to_string(paths.size()) + " images");
  submitAdd(
      m_ctx, title,
      [paths, hashes](Explorer& ex, const ProgressFn& p, const std::atomic<bool>* cancel) {
        return ex.addImages(paths, p, cancel, hashes);
      },
      true);
}

void ExtrasController::addLayer(const std::string& dataset, int64_t limit) {
  submitAdd(
      m_ctx, "layer " + fs::path(dataset).filename().string(),
      [dataset, limit](Explorer& ex, const ProgressFn& p, const std::atomic<bool>* cancel) {
        return ex.addLayer(dataset, limit, p, cancel);
      },
      false, dataset + " " + std::to_string(limit));
}

void addExtrasCommands(CommandList& out) {
  {
    CommandSpec c{"add-image",
                  {arg::text("PATH")},
                  0,
                  "add-image PATH: put an image file (or a folder's images) on the map as extra points, resized to "
                  "the model's input, and select it (PATH is the rest of the line, spaces and all)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.extras.addImages({cmd.args[0]});
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::event([](const AppState& s) -> uint64_t { return s.addedImageCount(); });
    c.record.perEvent = [](const AppState& s, uint64_t k) { return s.addedImagePath(k); };
    c.record.endsSelection = true;
    c.stateKeys = {"added_points", "points"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"layer",
                  {arg::path("DATASET"), arg::whole("N", 1, 100000)},
                  1,
                  "layer DATASET [N]: show a dataset (mnist, fashion-mnist, emoji, a folder or a .npz; the bundle's "
                  "OOD set is `layer ood`) as a layer of extra points, N of them (default 2000)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      std::string name = cmd.args[0];
      if (name == "ood") {
        name = ctx.state.hasModel() ? ctx.state.model.ex->oodName() : "";
        if (name.empty()) {
          ctx.log.error("the bundle names no OOD dataset: give one (layer mnist)");
          return false;
        }
      }
      ctx.extras.addLayer(name, cmd.args.size() > 1 ? std::stoll(cmd.args[1]) : 2000);
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::event([](const AppState& s) -> uint64_t { return s.layerCount(); });
    c.record.perEvent = [](const AppState& s, uint64_t k) { return s.layerArgs(k); };
    c.stateKeys = {"added_points", "added_layers", "points"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
