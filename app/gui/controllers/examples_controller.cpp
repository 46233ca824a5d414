#include "controllers/examples_controller.h"

#include <memory>

#include "commands/command.h"
#include "context.h"
#include "latentlab/util/errors.h"

namespace latentlab::gui {

void ExamplesController::run(const ExampleOptions& options) {
  Context& c = m_ctx;
  AppState& s = c.state;
  ExamplesState& es = s.examples;
  es.error.clear();
  if (!s.hasModel()) return void(es.error = "load a model first");
  const Selection sel = s.selection.sel;
  if (!sel.any()) {
    es.error = "select a point (or an edited point) first";
    c.log.error("examples: nothing is selected", false);
    return;
  }
  try {
    checkExampleOptions(options, "examples");
  } catch (const InputError& e) {
    es.error = e.what();
    c.log.error(es.error, false);
    return;
  }
  cancel();
  es.options = options;
  es.explained = sel;
  es.clicked = -1;
  const int64_t point = sel.edited >= 0 ? -1 : sel.point;
  const std::vector<float> z = sel.edited >= 0 ? s.edits.edited[size_t(sel.edited)].latent : std::vector<float>{};
  int label = -1;
  if (point >= 0)
    label = s.model.pts->labels[size_t(point)];
  else if (s.edits.inspect && s.edits.inspect->latent == z)
    label = s.edits.inspect->pred;
  // The scores are of training points: the map gets them first (a job before this one).
  if (!s.model.pts->hasTrain()) c.models.showTrainPoints(true);
  auto ex = s.model.ex;
  const int edited = sel.edited;
  // Its explorer, not its points: the training points are added (a new table) while it is queued.
  startInSlot(
      c, es, RunOwner::Explorer, std::string("examples (") + exampleMethodName(options.method) + ")",
      [&c, ex, options, point, z, edited, label](Job& job, const RunCheck& current) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        auto r = std::make_shared<ExampleScores>(ex->examples(options, point, z, progress, &job.cancel));
        c.worker->toUi([&c, r, point, edited, label, current] {
          if (!current()) return;
          ExamplesState& es = c.state.examples;
          es.run = ExamplesRun{std::move(*r), point, edited, label};
          es.job.reset();
        });
      },
      RunEnd{"examples", false, "", {}});
}

void ExamplesController::follow() {
  AppState& s = m_ctx.state;
  ExamplesState& es = s.examples;
  const Selection& sel = s.selection.sel;
  if (!es.follow || !s.hasModel() || !sel.any() || es.options.method == ExampleMethod::Tracin) return;
  if (sel.point == es.explained.point && sel.edited == es.explained.edited) return;
  if (sel.edited < 0 && sel.point == es.clicked) return;  // browsing the examples keeps their list
  if (s.edits.drag.active) return;                        // after the drop
  run(es.options);
}

void ExamplesController::selectExample(bool top, int rank) {
  Context& c = m_ctx;
  AppState& s = c.state;
  ExamplesState& es = s.examples;
  if (!es.run) return c.log.error("example: run the Examples tab first (examples METHOD)");
  const auto& idx = es.run->scores.index;
  if (rank < 0 || size_t(rank) >= idx.size())
    return c.log.error("example: rank " + std::to_string(rank) + " is outside 0.." +
                       std::to_string(int64_t(idx.size()) - 1));
  const int64_t pos = top ? idx[size_t(rank)] : idx[idx.size() - 1 - size_t(rank)];
  const int64_t point = s.model.pts->numTest + pos;
  if (point >= s.model.pts->n) return c.log.error("example: the training points are not on the map yet");
  if (!s.style.showTrain) c.models.showTrainPoints(true);
  es.clicked = point;
  c.edits.selectPoint(point);
}

void ExamplesController::cancel() { m_ctx.state.examples.cancel(); }

void ExamplesController::reset() {
  cancel();
  ExamplesState& es = m_ctx.state.examples;
  es.run.reset();
  es.error.clear();
  es.explained = Selection{};
  es.clicked = -1;
  ++es.serial;
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

void addExamplesCommands(CommandList& out) {
  {
    ArgSpec method{"dknn|simplex|tracin", ArgSpec::Kind::One, [](const std::string& w) -> std::string {
                     try {
                       parseExampleMethod(w, "examples");
                     } catch (const InputError& e) {
                       return e.what();
                     }
                     return "";
                   }};
    CommandSpec c{"examples",
                  {method, arg::settings("KEY=VALUE", "examples",
                                         [](const std::string& k, const std::string& v) {
                                           ExampleOptions o;
                                           setExampleOption(o, k, v, "examples");
                                         })},
                  1,
                  "examples dknn|simplex|tracin [corpus=N steps=N lr=X seed=S]: the training examples that make the "
                  "selection's latent what it is (the Examples tab; Crabbé and van der Schaar 2022); the training "
                  "points are added to the map first"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ExampleOptions o;
      o.method = parseExampleMethod(cmd.args[0], "examples");
      for (size_t i = 1; i < cmd.args.size(); ++i) {
        const size_t eq = cmd.args[i].find('=');
        setExampleOption(o, cmd.args[i].substr(0, eq), cmd.args[i].substr(eq + 1), "examples");
      }
      ctx.examples.run(o);
      return true;
    };
    c.wait = waitUntilIdle;
    c.stateKeys = {"examples", "points"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"example",
                  {arg::oneOf("top|bottom", {"top", "bottom"}, "%s must be top or bottom"), arg::whole("RANK", 0, 1e9)},
                  0,
                  "example top|bottom RANK: click the Examples tab's RANK-th (0 = first) top or bottom example: its "
                  "training point is selected on the map"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.examples.selectExample(cmd.args[0] == "top", std::stoi(cmd.args[1]));
      return true;
    };
    c.wait = waitUntilIdle;
    c.stateKeys = {"selected"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
