#include "controllers/model_controller.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include "commands/command.h"
#include "context.h"
#include "latentlab/model/option_ranges.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab::gui {

namespace {

// An ostream buffer that hands each finished line to a callback (a job's log goes to the Log tab).
class LineSink : public std::streambuf {
 public:
  explicit LineSink(std::function<void(const std::string&)> onLine) : m_onLine(std::move(onLine)) {}
  ~LineSink() override {
    if (!m_line.empty()) m_onLine(m_line);
  }

 protected:
  int overflow(int c) override {
    if (c == '\n' || c == '\r') {
      if (!m_line.empty()) m_onLine(m_line);
      m_line.clear();
    } else if (c != EOF) {
      m_line.push_back(char(c));
    }
    return c;
  }

 private:
  std::function<void(const std::string&)> m_onLine;
  std::string m_line;
};

}  // namespace

void ModelController::load(const std::string& dir) {
  Context& c = m_ctx;
  c.state.loadingDir = dir;
  c.log.info("loading " + dir);
  const std::string device = c.opt.device;
  const bool train = c.state.style.showTrain;
  c.worker->submit(
      "load " + dir,
      [&c, dir, device, train](Job& job) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        std::shared_ptr<Explorer> ex(Explorer::open(dir, device, progress, &job.cancel).release());
        Model m;
        m.pts = train ? ex->addTrainPoints(progress, &job.cancel) : ex->points();
        const PointTable& t = *m.pts;
        m.pca = fitPca2(t.latents.data(), t.numTest, t.d);  // fitted on the test points only
        m.xy = pcaPositions(m.pca, t, t.n);
        m.dir = dir;
        m.name = ex->bundleName();
        m.device = ex->deviceName();
        m.metrics = ex->manifestMetrics();
        m.hasLaplace = ex->hasLaplace();
        m.dvaeBits = ex->dvaeBits();
        m.dvaeProblem = ex->dvaeProblem();
        m.ex = ex;
        auto shared = std::make_shared<Model>(std::move(m));
        c.worker->toUi([&c, shared] {
          // A new model starts on PCA; a non-linear view is then computed again (or read from its cache).
          const Projection shown = c.state.projection.current;
          c.projection.cancelJob();
          c.state.projection.current = Projection::Pca;
          c.models.setModel(std::move(*shared));
          if (shown == Projection::Tsne || shown == Projection::Umap) c.projection.apply(shown, true);
        });
      },
      [&c, dir](const std::string& err) {
        if (c.state.loadingDir == dir) c.state.loadingDir.clear();
        c.log.error("could not load " + dir + ": " + err +
                    (c.state.hasModel() ? "; keeping " + c.state.model.dir : ""));
      },
      [&c, dir] {
        if (c.state.loadingDir == dir) c.state.loadingDir.clear();
        c.log.info("loading " + dir + " cancelled");
      });
}

void ModelController::setModel(Model&& m) {
  AppState& s = m_ctx.state;
  const PointTable& t = *m.pts;
  if (t.hasClassifier && int64_t(t.total.size()) >= t.numTest)
    m.uncertainty = uncertaintyScales(t.total.data(), t.aleatoric.data(), t.epistemic.data(), t.numTest);
  std::vector<int64_t> test(size_t(t.numTest));
  for (size_t i = 0; i < test.size(); ++i) test[i] = int64_t(i);
  m.testSummary = summarize(t, test);
  m.setPositions(m.xy);
  // The same bundle as before keeps the selection and the edits; a bundle whose files changed under
  // the same path (another latent size or point count) is a new one.
  const bool sameBundle = s.hasModel() && m.dir == s.model.dir && t.d == s.model.pts->d &&
                          t.numTest == s.model.pts->numTest && t.K == s.model.pts->K;
  // Release the old model's LibTorch state on the job thread, not here.
  if (s.hasModel() && s.model.ex.get() != m.ex.get()) {
    auto old = std::make_shared<std::shared_ptr<Explorer>>(std::move(s.model.ex));
    m_ctx.worker->submit("release model", [old](Job&) { old->reset(); });
  }
  const bool newPoints = !s.hasModel() || m.pts.get() != s.model.pts.get();
  s.model = std::move(m);
  s.loadingDir.clear();
  if (!sameBundle) {
    m_ctx.edits.reset();
    m_ctx.clue.reset();
    m_ctx.attribution.reset();
    m_ctx.concepts.reset();
    m_ctx.examples.reset();
    s.style.hidden.assign(size_t(t.K), false);
    s.view.needFit = true;
    requestReport();
    m_ctx.log.info("loaded " + s.model.dir + " (" + std::to_string(t.numTest) +
                   " test points, d=" + std::to_string(t.d) + ", " + s.model.device + ")");
  }
  // The same bundle loaded again may have fewer points (its training points not loaded this time):
  // nothing may point past the new table.
  if (s.selection.sel.point >= t.n) s.selection.sel = {};
  auto& multi = s.selection.multi;
  multi.erase(std::remove_if(multi.begin(), multi.end(), [&t](int64_t i) { return i < 0 || i >= t.n; }), multi.end());
  auto& edited = s.edits.edited;
  const size_t before = edited.size();
  edited.erase(std::remove_if(edited.begin(), edited.end(), [&t](const EditedPoint& e) { return e.origin >= t.n; }),
               edited.end());
  if (edited.size() != before) {
    s.selection.sel.edited = -1;
    s.edits.undo.clear();
    m_ctx.log.error(std::to_string(before - edited.size()) +
                    " edited point(s) made from training points were dropped: the "
                    "training points are not loaded now (show them, then load the session again to keep such edits)");
  }
  s.selection.multiMask.assign(size_t(t.n), 0);
  for (int64_t i : s.selection.multi) s.selection.multiMask[size_t(i)] = 1;
  if (newPoints) {
    s.style.positionsDirty = true;
    s.style.atlasDirty = true;
  }
  m_ctx.edits.applyFilter();
  s.style.colorsDirty = true;
  if (s.selection.sel.any()) m_ctx.edits.requestInspect();
}

void ModelController::showTrainPoints(bool on) {
  Context& c = m_ctx;
  AppState& s = c.state;
  s.style.showTrain = on;
  s.style.colorsDirty = true;
  if (!s.hasModel() || !on || s.model.pts->hasTrain()) return;  // hidden, or already there
  auto ex = s.model.ex;
  Pca2 pca = s.model.pca;
  c.worker->submit(
      "train points",
      [&c, ex, pca](Job& job) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        auto pts = ex->addTrainPoints(progress, &job.cancel);
        auto xy = std::make_shared<std::vector<float>>(pcaPositions(pca, *pts, pts->n));
        c.worker->toUi([&c, ex, pts, xy] {
          AppState& s = c.state;
          if (!s.hasModel() || s.model.ex != ex) return;
          Model m = s.model;
          // Added points move after the training split: what names them follows.
          const int64_t oldData = m.pts->numData(), shift = pts->numTrain();
          auto moved = [oldData, shift](int64_t i) { return i >= oldData ? i + shift : i; };
          if (s.selection.sel.point >= 0) s.selection.sel.point = moved(s.selection.sel.point);
          for (auto& i : s.selection.multi) i = moved(i);
          for (auto& e : s.edits.edited) e.origin = moved(e.origin);
          m.pts = pts;
          m.xy = std::move(*xy);
          m.layouts.clear();  // they were for the test points only
          const Projection shown = s.projection.current;
          c.projection.cancelJob();
          s.projection.current = Projection::Pca;
          c.models.setModel(std::move(m));
          // A CSV layout has one row per test point: the map goes back to PCA.
          if (shown != Projection::Pca) c.projection.apply(shown == Projection::Csv ? Projection::Pca : shown, true);
        });
      },
      [&c](const std::string& err) { c.log.error("could not add the training points: " + err); });
}

void ModelController::requestReport() {
  Context& c = m_ctx;
  auto ex = c.state.model.ex;
  auto pts = c.state.model.pts;
  auto pcaXy = std::make_shared<std::vector<float>>(pcaPositions(c.state.model.pca, *pts, pts->numTest));
  c.worker->submit(
      "model report (reliability, OOD)",
      [&c, ex, pts, pcaXy](Job& job) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        auto r = std::make_shared<ModelReport>(ex->modelReport(progress, &job.cancel));
        auto ood = std::make_shared<OodHistogram>(oodHistogram(*r));
        std::vector<int32_t> labels(pts->labels.begin(), pts->labels.begin() + pts->numTest);
        // The PCA view's quality needs more than k + 1 = 16 points; a tiny test set has none.
        std::shared_ptr<LayoutQuality> q;
        if (pts->numTest > 16)
          q = std::make_shared<LayoutQuality>(
              layoutQuality(pts->latents.data(), pts->numTest, pts->d, pcaXy->data(), labels.data(), 2000, 15, 0));
        c.worker->toUi([&c, ex, r, ood, q] {
          if (c.state.hasModel() && c.state.model.ex == ex) {
            c.state.model.report = *r;
            c.state.model.oodHistogram = *ood;
            if (q) c.state.model.pcaQuality = *q;
          }
        });
      },
      [&c](const std::string& err) { c.log.error("the model report (reliability, OOD) failed: " + err); });
}

void ModelController::importModel(const std::string& model, const std::string& dataset, const std::string& out) {
  Context& c = m_ctx;
  if (model.empty() || out.empty())
    return c.log.error("import needs a TorchScript model path and an output bundle directory");
  ImportOptions io;
  io.model = model;
  io.dataset = dataset;
  io.out = out;
  io.device = c.opt.device;
  c.state.ui.focusJobs = true;
  c.worker->submit(
      "import " + model,
      [&c, io](Job& job) {
        std::ostringstream sink;
        runImport(
            io, [&job](const Progress& p) { job.report(p); }, &job.cancel, sink);
        const std::string out = io.out;
        c.worker->toUi([&c, out] {
          c.log.info("imported into " + out);
          c.models.load(out);
        });
      },
      [&c, model](const std::string& err) { c.log.error("could not import " + model + ": " + err); });
}

void ModelController::trainModel(TrainOptions opt) {
  Context& c = m_ctx;
  if (opt.dataset.empty() || opt.out.empty())
    return c.log.error("training needs a dataset (fashion-mnist, mnist or a folder) and an output bundle directory");
  if (opt.epochs < 1 || opt.latentDim < 1)
    return c.log.error("training needs epochs >= 1 and a latent dimension >= 1 (got " + std::to_string(opt.epochs) +
                       " and " + std::to_string(opt.latentDim) + ")");
  std::error_code ec;
  if (fs::exists(opt.out, ec))
    return c.log.error("will not train into " + opt.out + ": it already exists (pick a new directory)");
  try {
    checkOutputPath(opt.out, false);  // not inside a bundle, in a folder that exists
  } catch (const Error& e) {
    return c.log.error(e.what());
  }
  opt.device = c.opt.device;
  opt.force = false;
  c.state.ui.focusJobs = true;
  c.log.info("training " + opt.dataset + " -> " + opt.out + " (" + std::to_string(opt.epochs) +
             " epochs, d=" + std::to_string(opt.latentDim) + ", ensemble " + std::to_string(opt.ensemble) + ")");
  c.worker->submit(
      "train " + fs::path(opt.out).filename().string(),
      [&c, opt](Job& job) {
        LineSink buf([&c](const std::string& line) { c.worker->toUi([&c, line] { c.log.info("train: " + line); }); });
        std::ostream sink(&buf);
        runTrain(
            opt, [&job](const Progress& p) { job.report(p); }, &job.cancel, sink);
        const std::string out = opt.out;
        c.worker->toUi([&c, out] {
          c.log.info("trained " + out);
          c.models.load(out);
        });
      },
      [&c, opt](const std::string& err) { c.log.error("training " + opt.out + " failed: " + err); });
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

namespace {

// The `train-model` KEY=VALUE settings: `latentlab train`'s options of the same name (and range).
struct TrainSetting {
  const char* key;
  void (*set)(TrainOptions& o, long long v);
};
const TrainSetting kTrainSettings[] = {
    {"epochs", [](TrainOptions& o, long long v) { o.epochs = int(v); }},
    {"latent-dim", [](TrainOptions& o, long long v) { o.latentDim = v; }},
    {"seed", [](TrainOptions& o, long long v) { o.seed = uint64_t(v); }},
    {"ensemble", [](TrainOptions& o, long long v) { o.ensemble = int(v); }},
    {"decoder-epochs", [](TrainOptions& o, long long v) { o.decoderEpochs = int(v); }},
    {"vae-epochs", [](TrainOptions& o, long long v) { o.vaeEpochs = int(v); }},
    {"limit-train", [](TrainOptions& o, long long v) { o.limitTrain = v; }},
};

const TrainSetting* findTrainSetting(const std::string& key) {
  for (const TrainSetting& t : kTrainSettings)
    if (key == t.key) return &t;
  return nullptr;
}

// One setting: a key of the table, a whole number in the range `latentlab train` takes for its
// option of the same name. "" or what is wrong.
std::string checkTrainSetting(const std::string& kv) {
  const size_t eq = kv.find('=');
  if (eq == std::string::npos) return "'" + clipForMessage(kv, 40) + "' is not KEY=VALUE";
  const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
  if (!findTrainSetting(key)) return "unknown setting '" + clipForMessage(key, 40) + "'";
  if (!arg::isWholeNumber(value)) return "'" + clipForMessage(value, 40) + "' (" + key + ") is not a whole number >= 0";
  const OptionRange& r = trainOptionRange(key);
  const double v = std::strtod(value.c_str(), nullptr);
  if (!(v >= r.lo && v <= r.hi))
    return key + "=" + clipForMessage(value, 40) + " is out of range (" + arg::rangeText(r.lo, r.hi) + ")";
  return "";
}

}  // namespace

void addModelCommands(CommandList& out) {
  {
    CommandSpec c{"load",
                  {arg::path("BUNDLE_DIR")},
                  0,
                  "load BUNDLE_DIR: open another bundle (the current one stays if it fails)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.models.load(cmd.args[0]);
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> {
          if (!s.hasModel()) return std::nullopt;
          return s.model.dir;
        },
        std::nullopt);
    c.record.resets = true;  // a load starts the view, the selection and the edits afresh
    c.stateKeys = {"bundle", "points", "test_points"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"train", {arg::onOff()}, 0, "train on|off: show the training points as well as the test points"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.models.showTrainPoints(cmd.args[0] == "on");
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> { return s.style.showTrain ? "on" : "off"; }, "off");
    c.stateKeys = {"points"};
    out.push_back(std::move(c));
  }
  {
    const ArgSpec settings{"KEY=VALUE", ArgSpec::Kind::Settings, checkTrainSetting};
    CommandSpec c{"train-model",
                  {arg::path("DATASET"), arg::outFolder("OUT"), settings},
                  1,
                  "train-model DATASET OUT [epochs=N latent-dim=D seed=S ensemble=N decoder-epochs=N vae-epochs=N "
                  "limit-train=N]: train a new bundle as a job (like latentlab train), then load it"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      TrainOptions o = guiTrainOptions();
      o.dataset = cmd.args[0];
      o.out = cmd.args[1];
      for (size_t k = 2; k < cmd.args.size(); ++k) {
        const std::string& kv = cmd.args[k];
        findTrainSetting(kv.substr(0, kv.find('=')))->set(o, std::stoll(kv.substr(kv.find('=') + 1)));
      }
      ctx.models.trainModel(o);
      return true;
    };
    c.wait = waitUntilIdle;
    c.stateKeys = {"bundle", "jobs"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
