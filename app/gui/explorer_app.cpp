// The explorer window: map, inspector, model/jobs/edited/log panels, scripts and screenshots.
// Runs on the UI thread only; every LibTorch call goes through the Worker (worker.h).
#include <epoxy/gl.h>
// epoxy first, then GLFW without its own GL header.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_stdlib.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "gui.h"
#include "latentlab/errors.h"
#include "latentlab/explorer.h"
#include "latentlab/fsutil.h"
#include "latentlab/gui_script.h"
#include "latentlab/pipeline.h"
#include "latentlab/projection.h"
#include "latentlab/session.h"
#include "latentlab/viewmath.h"
#include "map_renderer.h"
#include "worker.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab::gui {

namespace {

using Clock = std::chrono::steady_clock;
// The map's background colour (RGB, and RGBA8 as MapRenderer takes it).
const Rgb kMapBackground = {26 / 255.0f, 28 / 255.0f, 34 / 255.0f};
constexpr uint32_t kMapBackgroundRgba = 0x00221c1a;

// Training from the GUI: `latentlab train`'s defaults, except the deep-ensemble comparator (N more
// classifiers, only used by the eval table), which is off unless asked for.
TrainOptions defaultGuiTrainOptions() {
  TrainOptions o;
  o.ensemble = 0;
  return o;
}

// Sets one `train-model` KEY=VALUE setting (keys from trainSettingKeys(), checked by the parser).
void applyTrainSetting(TrainOptions& o, const std::string& kv) {
  const size_t eq = kv.find('=');
  const std::string key = kv.substr(0, eq);
  const long long v = std::stoll(kv.substr(eq + 1));
  if (key == "epochs") o.epochs = int(v);
  else if (key == "latent-dim") o.latentDim = v;
  else if (key == "seed") o.seed = uint64_t(v);
  else if (key == "ensemble") o.ensemble = int(v);
  else if (key == "decoder-epochs") o.decoderEpochs = int(v);
  else if (key == "vae-epochs") o.vaeEpochs = int(v);
  else if (key == "limit-train") o.limitTrain = v;
  else throw InputError("unknown training setting '" + key + "'");
}

// An ostream buffer that hands each finished line to a callback (the job's log goes to the Log tab).
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

void layoutBounds(const std::vector<float>& xy, float& minX, float& maxX, float& minY, float& maxY) {
  minX = minY = 1e30f;
  maxX = maxY = -1e30f;
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    minX = std::min(minX, xy[i]);
    maxX = std::max(maxX, xy[i]);
    minY = std::min(minY, xy[i + 1]);
    maxY = std::max(maxY, xy[i + 1]);
  }
}

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

uint32_t packRgba(const Rgb& c, float a) {
  auto b = [](float v) { return uint32_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  return b(c[0]) | (b(c[1]) << 8) | (b(c[2]) << 16) | (b(a) << 24);
}
ImU32 imColor(const Rgb& c, float a = 1.0f) { return ImGui::ColorConvertFloat4ToU32(ImVec4(c[0], c[1], c[2], a)); }

void tip(const char* text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", text);
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5));
  return v[i];
}

// PNG bytes through stb, written atomically.
void writePng(const std::string& path, int w, int h, const std::vector<uint8_t>& rgba) {
  std::string bytes;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
  };
  if (!stbi_write_png_to_func(sink, &bytes, w, h, 4, rgba.data(), w * 4))
    throw InputError("[png] could not encode the image (" + path + ")");
  writeFileAtomic(path, bytes);
}

// What the UI holds about the loaded model (plain data; the Explorer is only touched on workers).
struct Model {
  std::shared_ptr<Explorer> ex;
  std::shared_ptr<const PointTable> pts;
  Pca2 pca;
  std::vector<float> xy;  // [n, 2]
  std::string dir, name, device;
  json metrics;
  bool hasLaplace = false;
  float epiMax = 1, totalMax = 1;
  float minX = 0, maxX = 1, minY = 0, maxY = 1;
  std::optional<ModelReport> report;
  // Finished non-linear layouts of these points, by method (tsne, umap, csv).
  struct Layout {
    std::vector<float> xy;
    LayoutQuality quality;
    bool haveQuality = false;
  };
  std::map<std::string, Layout> layouts;
  std::optional<LayoutQuality> pcaQuality;
};

struct Selection {
  int64_t point = -1;  // index into the point table
  int edited = -1;     // index into the edited points
  bool any() const { return point >= 0 || edited >= 0; }
};

struct Drag {
  bool active = false;
  Selection from;
  std::vector<float> z0;
  float x0 = 0, y0 = 0;   // 2D position of the start
  float tx = 0, ty = 0;   // cursor target in projection units
  std::vector<float> z;   // current latent (clamped inverse)
  float zx = 0, zy = 0;   // its projection
  bool outside = false;   // non-linear views: the target is outside its neighbours' hull
};

struct UndoAction {
  enum Kind { Add, Remove } kind = Add;
  EditedPoint point;
  int position = 0;
};

}  // namespace

class ExplorerApp {
 public:
  explicit ExplorerApp(const GuiOptions& opt) : m_opt(opt) {}
  int run();

 private:
  // --- model and jobs
  void requestLoad(const std::string& dir);
  void setModel(Model&& m);
  void requestTrainPoints(bool on);
  void requestReport();
  void requestInspect();
  void requestDragEval();
  void requestImport(const std::string& model, const std::string& dataset, const std::string& out);
  void requestTrainModel(TrainOptions opt);
  // Switches the map to pca | tsne | umap | csv; a layout not computed yet runs as a job that
  // updates the map as it optimises (cancel restores the previous view).
  void setProjection(const std::string& method);
  void applyLayout(const std::vector<float>& xy, bool fit);
  void importLayoutCsv(const std::string& path);
  void placeEditedPoints();
  void placeLatent(const std::vector<float>& z, float& x, float& y) const;
  // --- state
  void rebuildColors();
  void fitView();
  void selectPoint(int64_t i);
  void selectEdited(int k);
  void beginDrag();
  void dragTo(float tx, float ty);  // projection coordinates; posts the evaluation
  void commitDrag();
  void cancelDrag();
  void undo();
  void deleteEdited(int k);
  std::vector<float> currentLatent() const;
  void currentPosition(float& x, float& y) const;
  void error(const std::string& msg);
  void log(const std::string& msg);
  void applyFilter();
  // --- panels
  void drawMenu();
  void drawMap(float x, float y, float w, float h);
  void renderMap();  // from the ImGui draw callback
  void drawMapOverlay(ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void drawLegend(ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void drawInspector(float x, float y, float w, float h);
  void drawPanels(float x, float y, float w, float h);
  void drawModelTab();
  void drawJobsTab();
  void drawEditedTab();
  void drawLogTab();
  void drawHelp();
  void drawErrorModal();
  void showImage(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size);
  void drawImage(const std::vector<float>& img, const char* slot, float size);  // C x H x W in [0, 1]
  void drawImageU8(const uint8_t* img, const char* slot, float size);           // H x W grey
  void drawProbBars(const std::vector<float>& p, const std::vector<float>* det, int label);
  void drawUncertaintyBars(float total, float alea, float epi);
  void updateLod(const MapViewport& v);
  // --- scripts, export, session
  void stepScript();
  bool runCommand(const ScriptCommand& c);
  void writeState(const std::string& path);
  void takeScreenshot(const std::string& path, int x, int y, int w, int h);
  void exportCsv(const std::string& path);
  void saveSessionTo(const std::string& path);
  void loadSessionFrom(const std::string& path);
  void applySession(const SessionState& s);
  SessionState sessionState() const;

  GuiOptions m_opt;
  GLFWwindow* m_window = nullptr;
  std::unique_ptr<Worker> m_worker;
  MapRenderer m_map;
  Model m_model;
  bool m_haveModel = false;
  std::string m_loadingDir;

  // view
  MapViewport m_view;
  float m_mapX = 0, m_mapY = 0, m_mapW = 1, m_mapH = 1;  // map image rect in window pixels
  float m_inspX = 0, m_inspY = 0, m_inspW = 1, m_inspH = 1;
  double m_fitScale = 1;
  bool m_needFit = true;
  std::string m_projection = "pca";
  std::string m_layoutJobMethod;            // the layout being computed ("" none)
  std::shared_ptr<Job> m_layoutJob;
  std::string m_layoutCsvField;
  std::string m_colorMode = "label";
  std::vector<bool> m_hidden;
  bool m_showTrain = false;
  bool m_snap = false;
  bool m_colorsDirty = true;
  std::vector<uint8_t> m_filterMask;  // 1 = matches (empty: no filter)
  std::string m_filterText, m_filterError;
  std::string m_caption;
  bool m_showHelp = false;

  // selection and edits
  Selection m_sel;
  std::vector<int64_t> m_multi;
  std::vector<uint8_t> m_multiMask;
  int64_t m_hover = -1;
  bool m_mouseMoved = false;
  std::vector<ImVec2> m_lasso;
  bool m_lassoActive = false;
  bool m_panning = false;
  Drag m_drag;
  std::vector<EditedPoint> m_edited;
  std::vector<UndoAction> m_undo;
  std::optional<LatentEval> m_inspect;   // for the current selection
  std::optional<LatentEval> m_dragEval;  // for the drag in progress
  uint64_t m_inspectSeq = 0, m_dragSeq = 0;
  std::vector<double> m_dragMs;          // evaluation times of drag updates

  // thumbnails
  std::vector<ThumbInstance> m_thumbs;
  float m_thumbPx = 0;
  std::string m_lodKey;
  std::vector<uint32_t> m_colors;      // RGBA8 per point, as uploaded
  std::vector<uint32_t> m_drawList;    // points drawn this view, in order
  std::vector<uint32_t> m_pixelStamp;  // per LOD cell: == m_stamp when an opaque point covers it
  uint32_t m_stamp = 0;

  // panels
  std::string m_bundleField, m_importModel, m_importDataset = "fashion-mnist", m_importOut;
  TrainOptions m_trainForm = defaultGuiTrainOptions();
  bool m_showJobs = false;  // bring the Jobs tab to the front (a job the user started)
  std::string m_browseDir;
  bool m_browsing = false;
  int m_browseTarget = 0;  // 0 bundle, 1 import model
  std::string m_sessionPath = "session.json", m_exportPath = "selection.csv", m_pngPath = "map.png";
  std::vector<std::string> m_log;
  std::string m_lastError;
  std::vector<std::string> m_errors;
  std::string m_modalError;
  bool m_openModal = false;
  struct SlotTexture {
    unsigned tex = 0;
    std::vector<uint8_t> rgba;
    int h = 0, w = 0;
  };
  std::map<std::string, SlotTexture> m_slotTex;

  // scripts
  Script m_script;
  size_t m_pc = 0;
  int m_waitFrames = 0;
  std::string m_waitForPath;               // wait-for: the file the script waits for
  Clock::time_point m_waitForDeadline{};
  bool m_waitIdle = false;
  bool m_pendingCommit = false;
  bool m_benchTrainRequested = false;
  bool m_quit = false;
  struct PendingShot {
    std::string path;
    int region = 0;  // 0 window, 1 map, 2 inspector
  };
  std::vector<PendingShot> m_shots;

  // timing
  std::deque<double> m_frameMs;
  double m_maxFrameWithJob = 0;
  double m_startupMs = -1;
  float m_mapPointPx = 3;
  double m_lodMs = 0;  // this frame: the level-of-detail pass (CPU)
  long m_frame = 0;
};

// ----------------------------------------------------------------------------------- model and jobs

void ExplorerApp::log(const std::string& msg) {
  m_log.push_back(msg);
  if (m_log.size() > 500) m_log.erase(m_log.begin());
}

void ExplorerApp::error(const std::string& msg) {
  m_lastError = msg;
  m_errors.push_back(msg);
  log("error: " + msg);
  std::cerr << "latentlab: error: " << msg << "\n";
  m_modalError = msg;
  m_openModal = true;
}

void ExplorerApp::requestLoad(const std::string& dir) {
  m_loadingDir = dir;
  log("loading " + dir);
  const std::string device = m_opt.device;
  const bool train = m_showTrain;
  m_worker->submit(
      "load " + dir,
      [this, dir, device, train](Job& job) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        std::shared_ptr<Explorer> ex(Explorer::open(dir, device, progress, &job.cancel).release());
        Model m;
        m.pts = train ? ex->addTrainPoints(progress, &job.cancel) : ex->points();
        const PointTable& t = *m.pts;
        m.pca = fitPca2(t.latents.data(), t.numTest, t.d);  // fitted on the test points only
        m.xy.resize(size_t(t.n * 2));
        projectPca2(m.pca, t.latents.data(), t.n, m.xy.data());
        m.dir = dir;
        m.name = ex->bundleName();
        m.device = ex->deviceName();
        m.metrics = ex->manifestMetrics();
        m.hasLaplace = ex->hasLaplace();
        m.ex = ex;
        auto shared = std::make_shared<Model>(std::move(m));
        m_worker->toUi([this, shared] {
          // A new model starts on PCA; a non-linear view is then recomputed (or read from its cache).
          const std::string proj = m_projection;
          m_projection = "pca";
          if (m_layoutJob && !m_layoutJob->finished) m_layoutJob->cancel = true;
          m_layoutJobMethod.clear();
          setModel(std::move(*shared));
          if (proj == "tsne" || proj == "umap") setProjection(proj);
        });
      },
      [this, dir](const std::string& err) {
        m_loadingDir.clear();
        error("could not load " + dir + ": " + err + (m_haveModel ? "; keeping " + m_model.dir : ""));
      });
}

void ExplorerApp::setModel(Model&& m) {
  const PointTable& t = *m.pts;
  float emax = 1e-6f, tmax = 1e-6f;
  for (int64_t i = 0; i < t.n; ++i) {
    emax = std::max(emax, t.epistemic[size_t(i)]);
    tmax = std::max(tmax, t.total[size_t(i)]);
  }
  m.epiMax = emax;
  m.totalMax = std::max(tmax, float(std::log(double(t.K))));
  layoutBounds(m.xy, m.minX, m.maxX, m.minY, m.maxY);
  const bool sameBundle = m_haveModel && m.dir == m_model.dir;
  // Release the old model's LibTorch state on the job thread, not here.
  if (m_haveModel && m_model.ex.get() != m.ex.get()) {
    auto old = std::make_shared<std::shared_ptr<Explorer>>(std::move(m_model.ex));
    m_worker->submit("release model", [old](Job&) { old->reset(); });
  }
  const bool newPoints = !m_haveModel || m.pts.get() != m_model.pts.get();
  m_model = std::move(m);
  m_haveModel = true;
  m_loadingDir.clear();
  m_bundleField = m_model.dir;
  if (!sameBundle) {
    m_sel = {};
    m_multi.clear();
    m_edited.clear();
    m_undo.clear();
    m_inspect.reset();
    m_drag = {};
    m_hidden.assign(size_t(t.K), false);
    m_needFit = true;
    requestReport();
    log("loaded " + m_model.dir + " (" + std::to_string(t.numTest) + " test points, d=" + std::to_string(t.d) + ", " +
        m_model.device + ")");
  }
  m_multiMask.assign(size_t(t.n), 0);
  for (int64_t i : m_multi)
    if (i < t.n) m_multiMask[size_t(i)] = 1;
  if (newPoints) {
    m_map.setPositions(m_model.xy);
    m_map.setAtlas(t.pixels, t.n, int(t.H), int(t.W));
    m_lodKey.clear();
  }
  applyFilter();
  m_colorsDirty = true;
  if (m_sel.any()) requestInspect();
}

void ExplorerApp::requestTrainPoints(bool on) {
  m_showTrain = on;
  if (!m_haveModel) return;
  if (!on) {
    m_colorsDirty = true;
    return;
  }
  if (m_model.pts->n > m_model.pts->numTest) return;
  auto ex = m_model.ex;
  Pca2 pca = m_model.pca;
  m_worker->submit(
      "train points",
      [this, ex, pca](Job& job) {
        auto progress = [&job](const Progress& p) { job.report(p); };
        auto pts = ex->addTrainPoints(progress, &job.cancel);
        std::vector<float> xy(size_t(pts->n * 2));
        projectPca2(pca, pts->latents.data(), pts->n, xy.data());
        m_worker->toUi([this, ex, pts, xy]() mutable {
          if (!m_haveModel || m_model.ex != ex) return;
          Model m = m_model;
          m.pts = pts;
          m.xy = std::move(xy);
          m.layouts.clear();  // they were for the test points only
          const std::string proj = m_projection;
          m_projection = "pca";
          setModel(std::move(m));
          if (proj != "pca") setProjection(proj == "csv" ? "pca" : proj);
        });
      },
      [this](const std::string& err) { error("could not add the training points: " + err); });
}

void ExplorerApp::requestReport() {
  auto ex = m_model.ex;
  auto pts = m_model.pts;
  std::vector<float> pcaXy(size_t(2 * pts->numTest));
  projectPca2(m_model.pca, pts->latents.data(), pts->numTest, pcaXy.data());
  m_worker->submit("model report (reliability, OOD)", [this, ex, pts, pcaXy](Job& job) {
    auto progress = [&job](const Progress& p) { job.report(p); };
    auto r = std::make_shared<ModelReport>(ex->modelReport(progress, &job.cancel));
    std::vector<int32_t> labels(pts->labels.begin(), pts->labels.begin() + pts->numTest);
    auto q = std::make_shared<LayoutQuality>(
        layoutQuality(pts->latents.data(), pts->numTest, pts->d, pcaXy.data(), labels.data(), 2000, 15, 0));
    m_worker->toUi([this, ex, r, q] {
      if (m_haveModel && m_model.ex == ex) {
        m_model.report = *r;
        m_model.pcaQuality = *q;
      }
    });
  });
}

// ----------------------------------------------------------------------------------- projections


void ExplorerApp::applyLayout(const std::vector<float>& xy, bool fit) {
  if (!m_haveModel || xy.size() != size_t(2 * m_model.pts->n)) return;
  m_model.xy = xy;
  layoutBounds(m_model.xy, m_model.minX, m_model.maxX, m_model.minY, m_model.maxY);
  m_map.setPositions(m_model.xy);
  m_lodKey.clear();
  if (fit) m_needFit = true;
}

void ExplorerApp::placeLatent(const std::vector<float>& z, float& x, float& y) const {
  const PointTable& t = *m_model.pts;
  if (m_projection == "pca") {
    float xy[2];
    projectPca2(m_model.pca, z.data(), 1, xy);
    x = xy[0];
    y = xy[1];
    return;
  }
  Placer p{t.latents.data(), m_model.xy.data(), t.n, t.d, m_projection == "tsne" ? "tsne" : "umap", 15, 30, 0};
  p.place(z.data(), x, y);
}

void ExplorerApp::placeEditedPoints() {
  for (auto& e : m_edited) {
    placeLatent(e.latent, e.x, e.y);
    e.projection = m_projection;
  }
}

void ExplorerApp::setProjection(const std::string& method) {
  if (method != "pca" && method != "tsne" && method != "umap" && method != "csv")
    return error("unknown projection '" + method + "' (pca, tsne, umap or csv)");
  if (!m_haveModel) return error("no model loaded: cannot project");
  if (m_drag.active) cancelDrag();
  const PointTable& t = *m_model.pts;
  if (method == "pca") {
    if (m_layoutJob && !m_layoutJob->finished) m_layoutJob->cancel = true;
    m_layoutJobMethod.clear();
    std::vector<float> xy(size_t(2 * t.n));
    projectPca2(m_model.pca, t.latents.data(), t.n, xy.data());
    m_projection = "pca";
    applyLayout(xy, true);
    placeEditedPoints();
    return;
  }
  auto it = m_model.layouts.find(method);
  if (it != m_model.layouts.end()) {
    if (m_layoutJob && !m_layoutJob->finished) m_layoutJob->cancel = true;
    m_layoutJobMethod.clear();
    m_projection = method;
    applyLayout(it->second.xy, true);
    placeEditedPoints();
    return;
  }
  if (method == "csv") return error("no CSV layout imported yet: import one in the Model tab (Layout CSV)");
  if (m_layoutJobMethod == method) return;  // already computing it
  if (m_layoutJob && !m_layoutJob->finished) m_layoutJob->cancel = true;
  const std::string previous = m_projection == method || m_projection == m_layoutJobMethod ? "pca" : m_projection;
  m_projection = method;
  m_layoutJobMethod = method;
  auto pts = m_model.pts;
  LayoutRequest base;
  base.method = method;
  base.device = m_opt.device;
  base.cacheDir = m_model.dir + "/cache";
  base.cacheTag = t.n == t.numTest ? "test" : "all";
  const std::string name = std::string(method == "tsne" ? "t-SNE" : "UMAP") + " layout of " + std::to_string(t.n) + " points";
  log(name + " started (cached in " + layoutCachePath(base.cacheDir, method, base.cacheTag) + ")");
  m_layoutJob = m_worker->submit(
      name,
      [this, pts, base, method, previous](Job& job) {
        std::vector<int32_t> labels(pts->labels.begin(), pts->labels.end());
        LayoutRequest req = base;
        req.X = pts->latents.data();
        req.n = pts->n;
        req.d = pts->d;
        req.labels = labels.data();
        auto last = Clock::now() - std::chrono::seconds(1);
        // The map follows the optimisation: a snapshot to the UI at most every 150 ms.
        auto progress = [&](const std::vector<float>& xy, int it, int its) {
          Progress p;
          p.stage = method;
          p.batch = it;
          p.batches = its;
          job.report(p);
          if (msSince(last) < 150 && it < its) return;
          last = Clock::now();
          auto snap = std::make_shared<std::vector<float>>(xy);
          m_worker->toUi([this, pts, method, snap] {
            if (m_haveModel && m_model.pts == pts && m_projection == method && m_layoutJobMethod == method)
              applyLayout(*snap, true);
          });
        };
        try {
          auto res = std::make_shared<LayoutResult>(computeLayout(req, progress, &job.cancel));
          m_worker->toUi([this, pts, method, res] {
            if (!m_haveModel || m_model.pts != pts) return;
            m_model.layouts[method] = {res->xy, res->quality, true};
            if (m_layoutJobMethod == method) m_layoutJobMethod.clear();
            char how[96];
            if (res->fromCache) std::snprintf(how, sizeof how, "read from the bundle cache");
            else std::snprintf(how, sizeof how, "done in %.1f s (%s engine)", res->knnSeconds + res->layoutSeconds, res->engine.c_str());
            char msg[320];
            std::snprintf(msg, sizeof msg, "%s layout %s: trustworthiness@15 %.4f, kNN recall@15 %.3f, 2D kNN accuracy %.3f",
                          method.c_str(), how, res->quality.trustworthiness, res->quality.knnRecall, res->quality.knnAccuracy);
            log(msg);
            if (!res->cacheError.empty()) log("layout not cached: " + res->cacheError);
            if (m_projection == method) {
              applyLayout(res->xy, true);
              placeEditedPoints();
            }
          });
        } catch (const CancelledError&) {
          m_worker->toUi([this, pts, method, previous] {
            if (m_layoutJobMethod == method) m_layoutJobMethod.clear();
            if (m_haveModel && m_model.pts == pts && m_projection == method) {
              log(method + " layout cancelled; back to " + previous);
              m_projection = "pca";  // so that `previous` is applied from scratch
              setProjection(previous);
            }
          });
          throw;
        }
      },
      [this, pts, method, previous](const std::string& err) {
        error(method + " layout failed: " + err);
        if (m_layoutJobMethod == method) m_layoutJobMethod.clear();
        if (m_haveModel && m_model.pts == pts && m_projection == method) {
          m_projection = "pca";
          setProjection(previous);
        }
      });
}

void ExplorerApp::importLayoutCsv(const std::string& path) {
  if (!m_haveModel) return error("no model loaded: cannot import a layout");
  // Read and checked on the job thread (70,000 rows take about 50 ms); shown as soon as it is
  // read, its quality filled in after.
  auto pts = m_model.pts;
  m_worker->submit(
      "layout " + path,
      [this, pts, path](Job&) {
        auto xy = std::make_shared<const std::vector<float>>(readLayoutCsv(path, pts->n));
        m_worker->toUi([this, pts, xy, path] {
          if (!m_haveModel || m_model.pts != pts) return;
          m_model.layouts["csv"] = {*xy, {}, false};
          m_projection = "pca";
          setProjection("csv");
          log("imported the layout " + path);
        });
        std::vector<int32_t> labels(pts->labels.begin(), pts->labels.end());
        const LayoutQuality q = layoutQuality(pts->latents.data(), pts->n, pts->d, xy->data(), labels.data());
        m_worker->toUi([this, pts, q, xy] {
          auto it = m_model.layouts.find("csv");
          if (m_haveModel && m_model.pts == pts && it != m_model.layouts.end() && it->second.xy == *xy) {
            it->second.quality = q;
            it->second.haveQuality = true;
          }
        });
      },
      [this](const std::string& err) { error("layout not imported: " + err); });
}

std::vector<float> ExplorerApp::currentLatent() const {
  if (m_sel.edited >= 0) return m_edited[size_t(m_sel.edited)].latent;
  if (m_sel.point >= 0) {
    const PointTable& t = *m_model.pts;
    return std::vector<float>(t.latents.begin() + m_sel.point * t.d, t.latents.begin() + (m_sel.point + 1) * t.d);
  }
  return {};
}

void ExplorerApp::currentPosition(float& x, float& y) const {
  if (m_sel.edited >= 0) {
    x = m_edited[size_t(m_sel.edited)].x;
    y = m_edited[size_t(m_sel.edited)].y;
  } else if (m_sel.point >= 0) {
    x = m_model.xy[size_t(2 * m_sel.point)];
    y = m_model.xy[size_t(2 * m_sel.point + 1)];
  }
}

void ExplorerApp::requestInspect() {
  if (!m_haveModel || !m_sel.any()) return;
  const uint64_t seq = ++m_inspectSeq;
  auto ex = m_model.ex;
  std::vector<float> z = currentLatent();
  const int k = m_snap ? 6 : 0;
  m_worker->interactive([this, ex, z, k, seq] {
    try {
      auto r = std::make_shared<LatentEval>(ex->evaluate(z, k));
      m_worker->toUi([this, r, seq] {
        if (seq == m_inspectSeq) m_inspect = *r;
      });
    } catch (const std::exception& e) {
      std::string msg = torchErrorSummary(e);
      m_worker->toUi([this, msg] { error("evaluation failed: " + msg); });
    }
  });
}

void ExplorerApp::requestDragEval() {
  const uint64_t seq = ++m_dragSeq;
  auto ex = m_model.ex;
  std::vector<float> z = m_drag.z;
  const int k = m_snap ? 6 : 0;
  m_worker->interactive([this, ex, z, k, seq] {
    try {
      auto r = std::make_shared<LatentEval>(ex->evaluate(z, k));
      m_worker->toUi([this, r, seq] {
        m_dragMs.push_back(r->ms);
        if (seq == m_dragSeq) m_dragEval = *r;
      });
    } catch (const std::exception& e) {
      std::string msg = torchErrorSummary(e);
      m_worker->toUi([this, msg] { error("drag evaluation failed: " + msg); });
    }
  });
}

void ExplorerApp::requestImport(const std::string& model, const std::string& dataset, const std::string& out) {
  if (model.empty() || out.empty()) {
    error("import needs a TorchScript model path and an output bundle directory");
    return;
  }
  ImportOptions io;
  io.model = model;
  io.dataset = dataset;
  io.out = out;
  io.device = m_opt.device;
  m_showJobs = true;
  m_worker->submit(
      "import " + model,
      [this, io](Job& job) {
        std::ostringstream sink;
        runImport(io, [&job](const Progress& p) { job.report(p); }, &job.cancel, sink);
        const std::string out = io.out;
        m_worker->toUi([this, out] {
          log("imported into " + out);
          requestLoad(out);
        });
      },
      [this, model](const std::string& err) { error("could not import " + model + ": " + err); });
}

void ExplorerApp::requestTrainModel(TrainOptions opt) {
  if (opt.dataset.empty() || opt.out.empty()) {
    error("training needs a dataset (fashion-mnist, mnist or a folder) and an output bundle directory");
    return;
  }
  if (opt.epochs < 1 || opt.latentDim < 1) {
    error("training needs epochs >= 1 and a latent dimension >= 1 (got " + std::to_string(opt.epochs) + " and " +
          std::to_string(opt.latentDim) + ")");
    return;
  }
  std::error_code ec;
  if (fs::exists(opt.out, ec)) {
    error("will not train into " + opt.out + ": it already exists (pick a new directory)");
    return;
  }
  opt.device = m_opt.device;
  opt.force = false;
  m_showJobs = true;
  log("training " + opt.dataset + " -> " + opt.out + " (" + std::to_string(opt.epochs) + " epochs, d=" +
      std::to_string(opt.latentDim) + ", ensemble " + std::to_string(opt.ensemble) + ")");
  m_worker->submit(
      "train " + fs::path(opt.out).filename().string(),
      [this, opt](Job& job) {
        LineSink buf([this](const std::string& line) { m_worker->toUi([this, line] { log("train: " + line); }); });
        std::ostream sink(&buf);
        runTrain(opt, [&job](const Progress& p) { job.report(p); }, &job.cancel, sink);
        const std::string out = opt.out;
        m_worker->toUi([this, out] {
          log("trained " + out);
          requestLoad(out);
        });
      },
      [this, opt](const std::string& err) { error("training " + opt.out + " failed: " + err); });
}

// ----------------------------------------------------------------------------------- state

void ExplorerApp::applyFilter() {
  m_filterError.clear();
  m_filterMask.clear();
  m_colorsDirty = true;
  if (!m_haveModel || m_filterText.empty()) return;
  const PointTable& t = *m_model.pts;
  Filter f;
  try {
    f = parseFilter(m_filterText, t.classNames);
  } catch (const Error& e) {
    m_filterError = e.what();
    return;
  }
  m_filterMask.assign(size_t(t.n), 0);
  int64_t count = 0, last = -1;
  for (int64_t i = 0; i < t.n; ++i) {
    PointAttrs a{i, t.labels[size_t(i)], t.preds[size_t(i)], t.total[size_t(i)], t.aleatoric[size_t(i)],
                 t.epistemic[size_t(i)]};
    if (filterMatches(f, a)) {
      m_filterMask[size_t(i)] = 1;
      ++count;
      last = i;
    }
  }
  log("filter '" + m_filterText + "': " + std::to_string(count) + " points");
  if (count == 1 && f.terms.size() == 1 && f.terms[0].field == FilterTerm::Index) {
    selectPoint(last);
    m_view.cx = m_model.xy[size_t(2 * last)];
    m_view.cy = m_model.xy[size_t(2 * last + 1)];
  }
}

void ExplorerApp::rebuildColors() {
  if (!m_haveModel) return;
  const PointTable& t = *m_model.pts;
  std::vector<uint32_t> c(size_t(t.n));
  const bool multi = !m_multi.empty();
  const bool filt = !m_filterMask.empty();
  for (int64_t i = 0; i < t.n; ++i) {
    const size_t s = size_t(i);
    const int label = t.labels[s], pred = t.preds[s];
    const int cls = m_colorMode == "pred" ? pred : label;
    if ((t.isTrain[s] && !m_showTrain) || (cls < int(m_hidden.size()) && m_hidden[size_t(cls)])) {
      c[s] = 0;
      continue;
    }
    Rgb rgb;
    if (m_colorMode == "label" || m_colorMode == "pred") rgb = classColor(cls);
    else if (m_colorMode == "total") rgb = viridis(t.total[s] / m_model.totalMax);
    else if (m_colorMode == "aleatoric") rgb = viridis(t.aleatoric[s] / m_model.totalMax);
    else if (m_colorMode == "epistemic") rgb = viridis(t.epistemic[s] / m_model.epiMax);
    else rgb = label == pred ? Rgb{0.25f, 0.7f, 0.35f} : Rgb{0.9f, 0.2f, 0.2f};
    // Training points are opaque but muted (as if 55% over the background); they are drawn under
    // the test points.
    float a = 0.9f;
    if (t.isTrain[s]) {
      for (int k = 0; k < 3; ++k) rgb[size_t(k)] = 0.55f * rgb[size_t(k)] + 0.45f * kMapBackground[size_t(k)];
      a = 1.0f;
    }
    if ((multi && !m_multiMask[s]) || (filt && !m_filterMask[s])) {
      a = 0.12f;
      rgb = {rgb[0] * 0.6f + 0.2f, rgb[1] * 0.6f + 0.2f, rgb[2] * 0.6f + 0.2f};
    }
    c[s] = packRgba(rgb, a);
  }
  m_map.setColors(c);
  m_colors = std::move(c);
  m_colorsDirty = false;
  m_lodKey.clear();
}

void ExplorerApp::fitView() {
  if (!m_haveModel) return;
  const double rx = std::max(1e-6f, m_model.maxX - m_model.minX), ry = std::max(1e-6f, m_model.maxY - m_model.minY);
  m_view.cx = 0.5 * (m_model.minX + m_model.maxX);
  m_view.cy = 0.5 * (m_model.minY + m_model.maxY);
  m_view.scale = 0.92 * std::min(m_mapW / rx, m_mapH / ry);
  m_fitScale = m_view.scale;
  m_needFit = false;
}

void ExplorerApp::selectPoint(int64_t i) {
  if (!m_haveModel || i < 0 || i >= m_model.pts->n) {
    error("no point with index " + std::to_string(i) + (m_haveModel ? " (the map has " + std::to_string(m_model.pts->n) + ")" : ""));
    return;
  }
  m_sel = {i, -1};
  m_inspect.reset();
  requestInspect();
}

void ExplorerApp::selectEdited(int k) {
  if (k < 0 || k >= int(m_edited.size())) return;
  m_sel = {m_edited[size_t(k)].origin, k};
  m_inspect.reset();
  requestInspect();
}

void ExplorerApp::beginDrag() {
  float x = 0, y = 0;
  currentPosition(x, y);
  m_drag = {};
  m_drag.active = true;
  m_drag.from = m_sel;
  m_drag.z0 = currentLatent();
  m_drag.z = m_drag.z0;
  m_drag.x0 = m_drag.tx = m_drag.zx = x;
  m_drag.y0 = m_drag.ty = m_drag.zy = y;
}

void ExplorerApp::dragTo(float tx, float ty) {
  const PointTable& t = *m_model.pts;
  m_drag.tx = tx;
  m_drag.ty = ty;
  if (m_projection == "pca") {
    m_drag.z = pcaInverseDrag(m_model.pca, m_drag.z0.data(), tx - m_drag.x0, ty - m_drag.y0, t.zLo.data(), t.zHi.data());
    projectPca2(m_model.pca, m_drag.z.data(), 1, &m_drag.zx);
    m_drag.outside = false;
  } else {
    // Non-linear view: the convex combination of the latents of the 8 nearest projected points
    // (ReGene's on-manifold inverse); flagged when the cursor leaves their hull.
    InverseResult r = inverseProject(t.latents.data(), m_model.xy.data(), t.n, t.d, tx, ty, 8);
    m_drag.z = std::move(r.z);
    m_drag.zx = tx;
    m_drag.zy = ty;
    m_drag.outside = r.outside;
  }
  requestDragEval();
}

void ExplorerApp::commitDrag() {
  if (!m_drag.active) return;
  EditedPoint p;
  p.origin = m_drag.from.point;
  p.latent = m_drag.z;
  p.x = m_drag.zx;
  p.y = m_drag.zy;
  if (m_projection != "pca") placeLatent(p.latent, p.x, p.y);  // where the layout puts this latent
  p.projection = m_projection;
  m_edited.push_back(p);
  m_undo.push_back({UndoAction::Add, p, int(m_edited.size()) - 1});
  m_drag.active = false;
  m_sel = {p.origin, int(m_edited.size()) - 1};
  if (m_dragEval && m_dragEval->latent == p.latent) m_inspect = m_dragEval;
  else requestInspect();
  m_dragEval.reset();
  log("kept edited point " + std::to_string(m_edited.size()) + " from point " + std::to_string(p.origin));
}

void ExplorerApp::cancelDrag() {
  if (!m_drag.active) return;
  m_drag.active = false;
  m_dragEval.reset();
  ++m_dragSeq;
  log("drag cancelled");
}

void ExplorerApp::deleteEdited(int k) {
  if (k < 0 || k >= int(m_edited.size())) return;
  m_undo.push_back({UndoAction::Remove, m_edited[size_t(k)], k});
  m_edited.erase(m_edited.begin() + k);
  if (m_sel.edited == k) m_sel = {m_sel.point, -1};
  else if (m_sel.edited > k) --m_sel.edited;
  requestInspect();
}

void ExplorerApp::undo() {
  if (m_drag.active) {
    cancelDrag();
    return;
  }
  if (m_undo.empty()) return;
  UndoAction a = m_undo.back();
  m_undo.pop_back();
  if (a.kind == UndoAction::Add) {
    if (a.position < int(m_edited.size())) m_edited.erase(m_edited.begin() + a.position);
    if (m_sel.edited == a.position) m_sel = {m_sel.point, -1};
    else if (m_sel.edited > a.position) --m_sel.edited;
  } else {
    m_edited.insert(m_edited.begin() + std::min<int>(a.position, int(m_edited.size())), a.point);
  }
  requestInspect();
  log("undo");
}

// ----------------------------------------------------------------------------------- map

// Level of detail, recomputed when the view, the colours or the visible set change:
//  - points: only those inside the view (plus a point's radius) are drawn, and a point whose
//    centre falls in the same cell (half a point across, at least a pixel) as an opaque point
//    drawn later is skipped: the later one covers most of it. Training points are drawn first,
//    under the test points. At the fit view of 70k points this draws about 42k of them; against
//    drawing all, 2.3% of the map's pixels differ by more than 16 levels, 0.4% by more than 64
//    (measured on screenshots of the shipped bundle), and it took the frame from 31 to 21 ms.
//  - thumbnails: from about 2x zoom, greedily from the centre of the view outwards, a point gets a
//    thumbnail when no thumbnail already placed is within 0.8 of a thumbnail's size (so they barely
//    overlap and stay readable), at most 1,500.
void ExplorerApp::updateLod(const MapViewport& v) {
  if (!m_haveModel) return;
  const float px = float(10.0 * v.scale / std::max(1e-9, m_fitScale));
  char key[256];
  std::snprintf(key, sizeof key, "%.4f %.4f %.6f %d %d %zu %d", v.cx, v.cy, v.scale, v.width, v.height,
                m_filterMask.size(), int(m_showTrain));
  if (m_lodKey == key) return;
  m_lodKey = key;
  const PointTable& t = *m_model.pts;
  const int W = std::max(1, v.width), H = std::max(1, v.height);

  // Points.
  const double margin = 6.0 / v.scale;
  const double hw = 0.5 * W / v.scale + margin, hh = 0.5 * H / v.scale + margin;
  const double cellPx = std::max(1.0, 0.5 * m_mapPointPx);
  const int CW = int(std::ceil(W / cellPx)), CH = int(std::ceil(H / cellPx));
  if (m_pixelStamp.size() < size_t(CW) * size_t(CH)) {
    m_pixelStamp.assign(size_t(CW) * size_t(CH), 0);
    m_stamp = 0;
  }
  if (++m_stamp == 0) {
    std::fill(m_pixelStamp.begin(), m_pixelStamp.end(), 0u);
    m_stamp = 1;
  }
  m_drawList.clear();
  auto visit = [&](int64_t i) {
    const size_t s = size_t(i);
    const uint32_t alpha = m_colors[s] >> 24;
    if (alpha == 0) return;
    const double dx = m_model.xy[2 * s] - v.cx, dy = m_model.xy[2 * s + 1] - v.cy;
    if (std::abs(dx) > hw || std::abs(dy) > hh) return;
    const long pxX = std::lround(std::floor((0.5 * W + dx * v.scale) / cellPx)), pxY = std::lround(std::floor((0.5 * H - dy * v.scale) / cellPx));
    if (pxX >= 0 && pxX < CW && pxY >= 0 && pxY < CH) {
      uint32_t& stamp = m_pixelStamp[size_t(pxY) * size_t(CW) + size_t(pxX)];
      if (stamp == m_stamp) return;
      if (alpha >= 217) stamp = m_stamp;
    }
    m_drawList.push_back(uint32_t(i));
  };
  // Walk from the top of the drawing order down, then reverse.
  for (int64_t i = t.n - 1; i >= 0; --i)
    if (!t.isTrain[size_t(i)]) visit(i);
  if (m_showTrain)
    for (int64_t i = t.n - 1; i >= 0; --i)
      if (t.isTrain[size_t(i)]) visit(i);
  std::reverse(m_drawList.begin(), m_drawList.end());
  m_map.setDrawList(m_drawList);

  // Thumbnails.
  m_thumbs.clear();
  m_thumbPx = 0;
  if (px < 20.0f) {
    m_map.setThumbs(m_thumbs);
    return;
  }
  m_thumbPx = std::min(px, 72.0f);
  std::vector<std::pair<float, int64_t>> cand;
  for (uint32_t i : m_drawList) {
    const size_t s = size_t(i);
    if (!m_filterMask.empty() && !m_filterMask[s]) continue;
    const double dx = m_model.xy[2 * s] - v.cx, dy = m_model.xy[2 * s + 1] - v.cy;
    cand.emplace_back(float(dx * dx + dy * dy), int64_t(i));
  }
  std::sort(cand.begin(), cand.end());
  const double gap = 0.8 * m_thumbPx;  // pixels
  const int gw = int(W / gap) + 3, gh = int(H / gap) + 3;
  std::vector<int32_t> grid(size_t(gw) * size_t(gh), -1);  // one placed thumbnail per cell suffices
  std::vector<int64_t> placed;
  const size_t maxThumbs = 1500;
  for (auto& c : cand) {
    if (placed.size() >= maxThumbs) break;
    const size_t s = size_t(c.second);
    const double sx = 0.5 * W + (m_model.xy[2 * s] - v.cx) * v.scale + gap, sy = 0.5 * H - (m_model.xy[2 * s + 1] - v.cy) * v.scale + gap;
    const int gx = std::clamp(int(sx / gap), 0, gw - 1), gy = std::clamp(int(sy / gap), 0, gh - 1);
    bool free = true;
    for (int yy = std::max(0, gy - 1); yy <= std::min(gh - 1, gy + 1) && free; ++yy)
      for (int xx = std::max(0, gx - 1); xx <= std::min(gw - 1, gx + 1) && free; ++xx) {
        const int32_t o = grid[size_t(yy) * size_t(gw) + size_t(xx)];
        if (o < 0) continue;
        const size_t os = size_t(placed[size_t(o)]);
        const double ox = (m_model.xy[2 * os] - m_model.xy[2 * s]) * v.scale, oy = (m_model.xy[2 * os + 1] - m_model.xy[2 * s + 1]) * v.scale;
        if (std::abs(ox) < gap && std::abs(oy) < gap) free = false;
      }
    if (!free) continue;
    grid[size_t(gy) * size_t(gw) + size_t(gx)] = int32_t(placed.size());
    placed.push_back(c.second);
  }
  // Far ones first so that the nearest end on top.
  for (auto it = placed.rbegin(); it != placed.rend(); ++it) {
    const int64_t i = *it;
    ThumbInstance ti;
    ti.x = m_model.xy[size_t(2 * i)];
    ti.y = m_model.xy[size_t(2 * i + 1)];
    m_map.atlasSlot(i, ti.cell, ti.layer);
    const size_t s = size_t(i);
    Rgb c = classColor(m_colorMode == "pred" ? t.preds[s] : t.labels[s]);
    if (m_colorMode == "total") c = viridis(t.total[s] / m_model.totalMax);
    if (m_colorMode == "aleatoric") c = viridis(t.aleatoric[s] / m_model.totalMax);
    if (m_colorMode == "epistemic") c = viridis(t.epistemic[s] / m_model.epiMax);
    if (m_colorMode == "correct") c = t.labels[s] == t.preds[s] ? Rgb{0.25f, 0.7f, 0.35f} : Rgb{0.9f, 0.2f, 0.2f};
    ti.border = packRgba(c, 1.0f);
    m_thumbs.push_back(ti);
  }
  m_map.setThumbs(m_thumbs);
}

void ExplorerApp::renderMap() {
  const ImVec2 fbScale = ImGui::GetIO().DisplayFramebufferScale;
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(m_window, &fw, &fh);
  MapViewport v = m_view;
  v.width = int(m_mapW * fbScale.x);
  v.height = int(m_mapH * fbScale.y);
  v.scale = m_view.scale * fbScale.x;
  const int x = int(m_mapX * fbScale.x), y = fh - int((m_mapY + m_mapH) * fbScale.y);
  if (m_haveModel) m_map.render(v, x, y, m_mapPointPx * fbScale.x, m_thumbPx * fbScale.x, kMapBackgroundRgba);
  else m_map.render(v, x, y, 3, 0, kMapBackgroundRgba);
}

void ExplorerApp::drawMap(float x, float y, float w, float h) {
  ImGui::SetNextWindowPos(ImVec2(x, y));
  ImGui::SetNextWindowSize(ImVec2(w, h));
  ImGui::Begin("Map", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                   ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse |
                                   ImGuiWindowFlags_NoBackground);
  // Toolbar.
  ImGui::SetNextItemWidth(90);
  const char* projections[] = {"PCA", "t-SNE", "UMAP", "CSV layout"};
  const char* keys[] = {"pca", "tsne", "umap", "csv"};
  int proj = int(std::find(keys, keys + 4, m_projection) - keys);
  if (ImGui::Combo("##proj", &proj, projections, 4) && proj < 4) setProjection(keys[proj]);
  tip("2D projection of the latent codes z. PCA: the first two principal axes of the test latents. t-SNE and UMAP: "
      "computed as a job (the map updates while they optimise; Cancel in Jobs) and cached in the bundle. CSV layout: "
      "one imported in the Model tab. Dragging in t-SNE/UMAP moves z as a convex combination of the 8 nearest points.");
  if (m_haveModel) {
    ImGui::SameLine();
    auto it = m_model.layouts.find(m_projection);
    if (!m_layoutJobMethod.empty() && m_layoutJobMethod == m_projection) {
      ImGui::TextDisabled("computing %.0f%%", m_layoutJob ? 100.0 * m_layoutJob->fraction.load() : 0.0);
    } else if (it != m_model.layouts.end() && it->second.haveQuality) {
      const LayoutQuality& q = it->second.quality;
      ImGui::TextDisabled("T %.3f  R %.2f  A %.2f", q.trustworthiness, q.knnRecall, q.knnAccuracy);
      tip("Quality of this layout on a 2,000-point sample: T trustworthiness@15 (1 = no false neighbours in 2D), R kNN "
          "recall@15 (share of each point's 15 nearest in z that stay among its 15 nearest in 2D), A 2D 15-NN "
          "classification accuracy");
    } else if (m_projection == "pca" && m_model.pcaQuality) {
      const LayoutQuality& q = *m_model.pcaQuality;
      ImGui::TextDisabled("T %.3f  R %.2f  A %.2f", q.trustworthiness, q.knnRecall, q.knnAccuracy);
      tip("Quality of the PCA view on a 2,000-point sample: trustworthiness@15, kNN recall@15, 2D 15-NN accuracy");
    }
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(110);
  const char* modes[] = {"true class", "predicted", "total U", "aleatoric U", "epistemic U", "correct"};
  int mode = int(std::find(colorModes().begin(), colorModes().end(), m_colorMode) - colorModes().begin());
  if (ImGui::Combo("##color", &mode, modes, 6)) {
    m_colorMode = colorModes()[size_t(mode)];
    m_colorsDirty = true;
  }
  tip("Colour the points by true class, predicted class (BLL), an uncertainty (nats, viridis), or right/wrong (C cycles)");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(220);
  if (ImGui::InputTextWithHint("##filter", "search: 123 | pred=3 label!=3 | total>1", &m_filterText,
                               ImGuiInputTextFlags_EnterReturnsTrue))
    applyFilter();
  tip("Filter: an index selects that point; terms like pred=3 label!=Shirt epistemic>0.05 correct wrong highlight "
      "matching points. Enter applies, empty clears.");
  ImGui::SameLine();
  if (ImGui::Button("Select matches") && !m_filterMask.empty()) {
    m_multi.clear();
    for (size_t i = 0; i < m_filterMask.size(); ++i)
      if (m_filterMask[i]) m_multi.push_back(int64_t(i));
    m_multiMask = m_filterMask;
    m_colorsDirty = true;
  }
  tip("Make the points matching the search the multi-selection (for CSV export)");
  ImGui::SameLine();
  bool train = m_showTrain;
  if (ImGui::Checkbox("train", &train)) requestTrainPoints(train);
  tip("Also show the training points (latents computed once and cached in the bundle's cache/) (T)");
  ImGui::SameLine();
  if (ImGui::Checkbox("snap", &m_snap)) requestInspect();
  tip("Snap to manifold: show the nearest data images in latent space beside the decode");
  ImGui::SameLine();
  if (ImGui::Button("Fit")) fitView();
  tip("Fit the view to the data (F)");
  if (!m_filterError.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", m_filterError.c_str());
  }

  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.x = std::max(avail.x, 10.0f);
  avail.y = std::max(avail.y, 10.0f);
  m_mapX = origin.x;
  m_mapY = origin.y;
  m_mapW = avail.x;
  m_mapH = avail.y;
  if (m_haveModel && m_needFit) fitView();
  m_view.width = int(avail.x);
  m_view.height = int(avail.y);
  if (m_haveModel) {
    if (m_colorsDirty) rebuildColors();
    m_mapPointPx = float(std::clamp(3.0 * std::sqrt(m_view.scale / std::max(1e-9, m_fitScale)), 2.5, 9.0));
    const auto t0 = Clock::now();
    updateLod(m_view);
    m_lodMs = msSince(t0);
  }
  // The map is drawn by MapRenderer straight into the framebuffer when ImGui renders this
  // window, under the overlays that come after it in the draw list.
  ImDrawList* mapDl = ImGui::GetWindowDrawList();
  mapDl->AddCallback([](const ImDrawList*, const ImDrawCmd* cmd) { static_cast<ExplorerApp*>(cmd->UserCallbackData)->renderMap(); },
                     this);
  mapDl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("mapcanvas", avail, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                                                 ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered();
  ImGuiIO& io = ImGui::GetIO();
  auto toData = [&](ImVec2 p) {
    return ImVec2(float(m_view.cx + (p.x - origin.x - avail.x * 0.5) / m_view.scale),
                  float(m_view.cy - (p.y - origin.y - avail.y * 0.5) / m_view.scale));
  };
  auto toScreen = [&](float dx, float dy) {
    return ImVec2(float(origin.x + avail.x * 0.5 + (dx - m_view.cx) * m_view.scale),
                  float(origin.y + avail.y * 0.5 - (dy - m_view.cy) * m_view.scale));
  };

  if (m_haveModel) {
    const PointTable& t = *m_model.pts;
    // Hover: nearest visible point within 8 px.
    m_hover = -1;
    // No hover until the mouse has really moved: a pointer that merely rests where the window
    // opened (the middle of an Xvfb screen) must not put a tooltip into scripted screenshots.
    if (io.MouseDelta.x != 0 || io.MouseDelta.y != 0) m_mouseMoved = true;
    if (hovered && m_mouseMoved && !m_drag.active && !m_lassoActive) {
      const ImVec2 d = toData(io.MousePos);
      double best = 8.0 / m_view.scale;
      best *= best;
      for (int64_t i = 0; i < t.n; ++i) {
        const size_t s = size_t(i);
        if (t.isTrain[s] && !m_showTrain) continue;
        const int cls = m_colorMode == "pred" ? t.preds[s] : t.labels[s];
        if (cls < int(m_hidden.size()) && m_hidden[size_t(cls)]) continue;
        const double dx = m_model.xy[2 * s] - d.x, dy = m_model.xy[2 * s + 1] - d.y;
        const double d2 = dx * dx + dy * dy;
        if (d2 < best) {
          best = d2;
          m_hover = i;
        }
      }
    }
    // Zoom around the cursor.
    if (hovered && io.MouseWheel != 0) {
      const ImVec2 before = toData(io.MousePos);
      m_view.scale *= std::pow(1.2, double(io.MouseWheel));
      const ImVec2 after = toData(io.MousePos);
      m_view.cx += before.x - after.x;
      m_view.cy += before.y - after.y;
    }
    // Pan with the right or middle button.
    if (hovered && (ImGui::IsMouseClicked(ImGuiMouseButton_Right) || ImGui::IsMouseClicked(ImGuiMouseButton_Middle)))
      m_panning = true;
    if (m_panning) {
      m_view.cx -= io.MouseDelta.x / m_view.scale;
      m_view.cy += io.MouseDelta.y / m_view.scale;
      if (!ImGui::IsMouseDown(ImGuiMouseButton_Right) && !ImGui::IsMouseDown(ImGuiMouseButton_Middle)) m_panning = false;
    }
    // Left button: lasso with shift, drag the selected point, or select.
    if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
      float sx = 0, sy = 0;
      currentPosition(sx, sy);
      const ImVec2 sp = toScreen(sx, sy);
      const float ddx = io.MousePos.x - sp.x, ddy = io.MousePos.y - sp.y;
      if (io.KeyShift) {
        m_lassoActive = true;
        m_lasso = {io.MousePos};
      } else if (m_sel.any() && ddx * ddx + ddy * ddy < 10.0f * 10.0f) {
        beginDrag();
      } else if (m_hover >= 0) {
        selectPoint(m_hover);
      }
    }
    if (m_lassoActive) {
      if (ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
        const ImVec2 last = m_lasso.back();
        if (std::abs(last.x - io.MousePos.x) + std::abs(last.y - io.MousePos.y) > 3) m_lasso.push_back(io.MousePos);
      } else {
        std::vector<std::pair<float, float>> poly;
        for (const ImVec2& p : m_lasso) {
          ImVec2 d = toData(p);
          poly.emplace_back(d.x, d.y);
        }
        m_multi.clear();
        m_multiMask.assign(size_t(t.n), 0);
        for (int64_t i = 0; i < t.n; ++i) {
          const size_t s = size_t(i);
          if (t.isTrain[s] && !m_showTrain) continue;
          if (pointInPolygon(m_model.xy[2 * s], m_model.xy[2 * s + 1], poly)) {
            m_multi.push_back(i);
            m_multiMask[s] = 1;
          }
        }
        log("lasso selected " + std::to_string(m_multi.size()) + " points");
        m_lassoActive = false;
        m_lasso.clear();
        m_colorsDirty = true;
      }
    }
    if (m_drag.active) {
      if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE)) {
        cancelDrag();
      } else if (ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
        const ImVec2 d = toData(io.MousePos);
        if (d.x != m_drag.tx || d.y != m_drag.ty) dragTo(d.x, d.y);
      } else {
        if (m_drag.tx == m_drag.x0 && m_drag.ty == m_drag.y0) m_drag.active = false;  // a click, not a drag
        else commitDrag();
      }
    }
    if (m_hover >= 0 && !m_drag.active) {
      const size_t s = size_t(m_hover);
      ImGui::BeginTooltip();
      drawImageU8(&t.pixels[s * size_t(t.H * t.W)], "hover", 84);
      ImGui::SameLine();
      ImGui::BeginGroup();
      ImGui::Text("#%lld (%s %lld)", (long long)m_hover, t.isTrain[s] ? "train" : "test", (long long)t.splitIndex[s]);
      ImGui::Text("label: %s", t.classNames[size_t(t.labels[s])].c_str());
      ImGui::Text("pred:  %s (p=%.2f)", t.classNames[size_t(t.preds[s])].c_str(),
                  t.probs[s * size_t(t.K) + size_t(t.preds[s])]);
      ImGui::Text("total %.3f  alea %.3f  epi %.4f", t.total[s], t.aleatoric[s], t.epistemic[s]);
      ImGui::EndGroup();
      ImGui::EndTooltip();
    }
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), true);
  if (m_haveModel) drawMapOverlay(dl, origin, avail);
  if (!m_haveModel) {
    const char* msg = m_loadingDir.empty() ? "No model loaded: File > Load bundle" : "Loading the model...";
    dl->AddText(ImVec2(origin.x + 20, origin.y + 20), IM_COL32(230, 230, 230, 255), msg);
  }
  if (!m_caption.empty()) {
    ImFont* f = ImGui::GetIO().Fonts->Fonts.Size > 1 ? ImGui::GetIO().Fonts->Fonts[1] : ImGui::GetFont();
    const float fs = f->FontSize;
    const ImVec2 ts = f->CalcTextSizeA(fs, avail.x - 80, avail.x - 80, m_caption.c_str());
    const ImVec2 p(origin.x + (avail.x - ts.x) * 0.5f, origin.y + avail.y - ts.y - 36);
    dl->AddRectFilled(ImVec2(p.x - 16, p.y - 10), ImVec2(p.x + ts.x + 16, p.y + ts.y + 10), IM_COL32(0, 0, 0, 190), 8);
    dl->AddText(f, fs, p, IM_COL32(255, 255, 255, 255), m_caption.c_str(), nullptr, avail.x - 80);
  }
  dl->PopClipRect();
  ImGui::End();
}

void ExplorerApp::drawMapOverlay(ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  auto toScreen = [&](float dx, float dy) {
    return ImVec2(float(origin.x + size.x * 0.5 + (dx - m_view.cx) * m_view.scale),
                  float(origin.y + size.y * 0.5 - (dy - m_view.cy) * m_view.scale));
  };
  const PointTable& t = *m_model.pts;
  // Multi-selection rings when few enough to draw one by one.
  if (!m_multi.empty() && m_multi.size() <= 3000)
    for (int64_t i : m_multi)
      dl->AddCircle(toScreen(m_model.xy[size_t(2 * i)], m_model.xy[size_t(2 * i + 1)]), 4.5f, IM_COL32(255, 255, 255, 160));
  // Edited points: a diamond joined to where it came from.
  for (size_t k = 0; k < m_edited.size(); ++k) {
    const EditedPoint& e = m_edited[k];
    const ImVec2 p = toScreen(e.x, e.y);
    if (e.origin >= 0 && e.origin < t.n)
      dl->AddLine(toScreen(m_model.xy[size_t(2 * e.origin)], m_model.xy[size_t(2 * e.origin + 1)]), p,
                  IM_COL32(255, 210, 80, 150), 1.5f);
    const bool sel = m_sel.edited == int(k);
    const float r = sel ? 8.0f : 6.0f;
    dl->AddQuadFilled(ImVec2(p.x, p.y - r), ImVec2(p.x + r, p.y), ImVec2(p.x, p.y + r), ImVec2(p.x - r, p.y),
                      sel ? IM_COL32(255, 230, 90, 255) : IM_COL32(255, 180, 40, 220));
    dl->AddQuad(ImVec2(p.x, p.y - r), ImVec2(p.x + r, p.y), ImVec2(p.x, p.y + r), ImVec2(p.x - r, p.y),
                IM_COL32(0, 0, 0, 255), 1.5f);
  }
  // The selection.
  if (m_sel.any()) {
    float x = 0, y = 0;
    currentPosition(x, y);
    const ImVec2 p = toScreen(x, y);
    dl->AddCircle(p, 9.0f, IM_COL32(255, 255, 255, 255), 24, 2.5f);
    dl->AddCircle(p, 11.0f, IM_COL32(0, 0, 0, 255), 24, 1.5f);
  }
  // The drag: a line from the start to the ghost (the clamped latent's projection) and the cursor.
  if (m_drag.active) {
    const ImVec2 a = toScreen(m_drag.x0, m_drag.y0), g = toScreen(m_drag.zx, m_drag.zy), c = toScreen(m_drag.tx, m_drag.ty);
    dl->AddLine(a, g, IM_COL32(255, 255, 255, 220), 2.0f);
    dl->AddCircleFilled(g, 7.0f, IM_COL32(255, 255, 255, 110));
    dl->AddCircle(g, 7.0f, IM_COL32(255, 255, 255, 255), 20, 2.0f);
    dl->AddLine(ImVec2(c.x - 5, c.y), ImVec2(c.x + 5, c.y), IM_COL32(255, 255, 255, 160));
    dl->AddLine(ImVec2(c.x, c.y - 5), ImVec2(c.x, c.y + 5), IM_COL32(255, 255, 255, 160));
    if (m_drag.outside) {
      const char* msg = "outside the data: the inverse extrapolates";
      dl->AddRectFilled(ImVec2(c.x + 12, c.y + 10), ImVec2(c.x + 20 + ImGui::CalcTextSize(msg).x, c.y + 30),
                        IM_COL32(120, 20, 20, 220), 4);
      dl->AddText(ImVec2(c.x + 16, c.y + 12), IM_COL32(255, 230, 230, 255), msg);
    }
  }
  if (m_hover >= 0) dl->AddCircle(toScreen(m_model.xy[size_t(2 * m_hover)], m_model.xy[size_t(2 * m_hover + 1)]), 6.0f,
                                  IM_COL32(255, 255, 255, 200), 16, 1.5f);
  if (m_lassoActive && m_lasso.size() > 1)
    dl->AddPolyline(m_lasso.data(), int(m_lasso.size()), IM_COL32(255, 255, 255, 230), ImDrawFlags_Closed, 1.5f);
  drawLegend(dl, origin, size);
}

void ExplorerApp::drawLegend(ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  const PointTable& t = *m_model.pts;
  ImGui::SetCursorScreenPos(ImVec2(origin.x + 8, origin.y + 8));
  ImDrawList* wdl = ImGui::GetWindowDrawList();
  wdl->ChannelsSplit(2);
  wdl->ChannelsSetCurrent(1);
  ImGui::BeginGroup();
  if (m_colorMode == "label" || m_colorMode == "pred") {
    ImGui::TextUnformatted(m_colorMode == "label" ? "true class (click to hide)" : "predicted class (click to hide)");
    for (int k = 0; k < int(t.K); ++k) {
      ImGui::PushID(k);
      const bool hidden = m_hidden[size_t(k)];
      const Rgb c = classColor(k);
      ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(c[0], c[1], c[2], hidden ? 0.15f : 1.0f));
      if (ImGui::Button("##c", ImVec2(14, 14))) {
        m_hidden[size_t(k)] = !hidden;
        m_colorsDirty = true;
      }
      ImGui::PopStyleColor();
      tip("Show or hide this class");
      ImGui::SameLine();
      ImGui::TextColored(hidden ? ImVec4(0.5f, 0.5f, 0.5f, 1) : ImVec4(1, 1, 1, 1), "%d %s", k,
                         t.classNames[size_t(k)].c_str());
      ImGui::PopID();
    }
  } else if (m_colorMode == "correct") {
    ImGui::TextColored(ImVec4(0.25f, 0.7f, 0.35f, 1), "correct");
    ImGui::TextColored(ImVec4(0.9f, 0.2f, 0.2f, 1), "wrong");
  } else {
    const float hi = m_colorMode == "epistemic" ? m_model.epiMax : m_model.totalMax;
    ImGui::Text("%s uncertainty (nats)", m_colorMode.c_str());
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const int steps = 32;
    for (int i = 0; i < steps; ++i) {
      const float a = float(i) / steps, b = float(i + 1) / steps;
      dl->AddRectFilled(ImVec2(p.x + a * 160, p.y), ImVec2(p.x + b * 160 + 1, p.y + 12), imColor(viridis(a)));
    }
    ImGui::Dummy(ImVec2(160, 14));
    ImGui::Text("0%*s%.3f", 24, "", hi);
  }
  if (!m_multi.empty()) ImGui::Text("%zu selected (lasso)", m_multi.size());
  ImGui::EndGroup();
  // A translucent panel behind the legend so that it stays readable over thumbnails.
  wdl->ChannelsSetCurrent(0);
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  wdl->AddRectFilled(ImVec2(a.x - 6, a.y - 4), ImVec2(b.x + 6, b.y + 4), IM_COL32(20, 20, 24, 200), 4);
  wdl->ChannelsMerge();
  (void)size;
}

// ----------------------------------------------------------------------------------- inspector

// Small images (inputs, decodes, neighbours, the hover thumbnail) are GL textures, one per named
// slot, uploaded again only when their pixels change (784 ImGui rectangles per image made a drag
// frame with snap on cost 20k vertices).
void ExplorerApp::showImage(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size) {
  SlotTexture& st = m_slotTex[slot];
  if (!st.tex) {
    glGenTextures(1, &st.tex);
    glBindTexture(GL_TEXTURE_2D, st.tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }
  if (st.h != h || st.w != w || st.rgba != rgba) {
    glBindTexture(GL_TEXTURE_2D, st.tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    st.rgba = rgba;
    st.h = h;
    st.w = w;
  }
  const float aspect = float(w) / float(std::max(1, h));
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(st.tex)),
               aspect >= 1 ? ImVec2(size, size / aspect) : ImVec2(size * aspect, size));
}

void ExplorerApp::drawImage(const std::vector<float>& img, const char* slot, float size) {
  if (!m_haveModel || img.empty()) {
    ImGui::Dummy(ImVec2(size, size));
    return;
  }
  const PointTable& t = *m_model.pts;
  const int h = int(t.H), w = int(t.W), c = int(t.C);
  if (img.size() != size_t(c) * size_t(h) * size_t(w)) {
    ImGui::Dummy(ImVec2(size, size));
    return;
  }
  auto u8 = [](float v) { return uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  std::vector<uint8_t> rgba(size_t(h) * size_t(w) * 4, 255);
  const size_t plane = size_t(h) * size_t(w);
  for (size_t q = 0; q < plane; ++q) {
    if (c == 3) {
      for (size_t k = 0; k < 3; ++k) rgba[4 * q + k] = u8(img[k * plane + q]);
    } else {
      float v = 0;
      for (int ch = 0; ch < c; ++ch) v += img[size_t(ch) * plane + q];
      rgba[4 * q] = rgba[4 * q + 1] = rgba[4 * q + 2] = u8(v / float(c));
    }
  }
  showImage(slot, rgba, h, w, size);
}

void ExplorerApp::drawImageU8(const uint8_t* img, const char* slot, float size) {
  const PointTable& t = *m_model.pts;
  const int h = int(t.H), w = int(t.W);
  std::vector<uint8_t> rgba(size_t(h) * size_t(w) * 4, 255);
  for (size_t q = 0; q < size_t(h) * size_t(w); ++q) rgba[4 * q] = rgba[4 * q + 1] = rgba[4 * q + 2] = img[q];
  showImage(slot, rgba, h, w, size);
}

void ExplorerApp::drawProbBars(const std::vector<float>& p, const std::vector<float>* det, int label) {
  const PointTable& t = *m_model.pts;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float w = ImGui::GetContentRegionAvail().x - 170;
  for (int k = 0; k < int(p.size()); ++k) {
    const ImVec2 c = ImGui::GetCursorScreenPos();
    const Rgb col = classColor(k);
    ImGui::TextColored(k == label ? ImVec4(1, 1, 0.5f, 1) : ImVec4(0.85f, 0.85f, 0.85f, 1), "%-12.12s",
                       t.classNames[size_t(k)].c_str());
    ImGui::SameLine(110);
    const ImVec2 b = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(ImVec2(b.x, b.y + 2), ImVec2(b.x + w, b.y + 8), IM_COL32(60, 60, 60, 255));
    dl->AddRectFilled(ImVec2(b.x, b.y + 2), ImVec2(b.x + w * p[size_t(k)], b.y + 8), imColor(col));
    if (det) {
      dl->AddRectFilled(ImVec2(b.x, b.y + 9), ImVec2(b.x + w, b.y + 12), IM_COL32(45, 45, 45, 255));
      dl->AddRectFilled(ImVec2(b.x, b.y + 9), ImVec2(b.x + w * (*det)[size_t(k)], b.y + 12), IM_COL32(170, 170, 170, 255));
    }
    ImGui::Dummy(ImVec2(w, 12));
    ImGui::SameLine();
    ImGui::Text("%.3f", p[size_t(k)]);
    (void)c;
  }
}

void ExplorerApp::drawUncertaintyBars(float total, float alea, float epi) {
  const float lnK = float(std::log(double(m_model.pts->K)));
  const char* names[] = {"total", "aleatoric", "epistemic"};
  const float vals[] = {total, alea, epi};
  const char* tips[] = {"Entropy of the predictive mean p-bar (nats); bar full at ln K",
                        "Mean entropy of the per-sample predictions: noise the model expects",
                        "Mutual information = total - aleatoric: the model's own doubt about its weights; "
                        "bar full at the largest value among the points"};
  for (int i = 0; i < 3; ++i) {
    const float hi = i == 2 ? m_model.epiMax : lnK;
    ImGui::Text("%-9s", names[i]);
    ImGui::SameLine(110);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", vals[i]);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(imColor(viridis(vals[i] / hi))));
    ImGui::ProgressBar(std::clamp(vals[i] / hi, 0.0f, 1.0f), ImVec2(-1, 14), buf);
    ImGui::PopStyleColor();
    tip(tips[i]);
  }
}

void ExplorerApp::drawInspector(float x, float y, float w, float h) {
  ImGui::SetNextWindowPos(ImVec2(x, y));
  ImGui::SetNextWindowSize(ImVec2(w, h));
  ImGui::Begin("Inspector", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
  const ImVec2 wp = ImGui::GetWindowPos(), ws = ImGui::GetWindowSize();
  m_inspX = wp.x;
  m_inspY = wp.y;
  m_inspW = ws.x;
  m_inspH = ws.y;
  if (!m_haveModel || !m_sel.any()) {
    ImGui::TextWrapped("Click a point to inspect it. Then drag it (left button) to move its latent code: the decoded "
                       "image, the prediction and the uncertainties follow. Shift+drag draws a lasso. Press ? for help.");
    ImGui::End();
    return;
  }
  const PointTable& t = *m_model.pts;
  const size_t s = size_t(m_sel.point);
  const LatentEval* ev = m_drag.active ? (m_dragEval ? &*m_dragEval : nullptr) : (m_inspect ? &*m_inspect : nullptr);
  if (m_sel.edited >= 0) ImGui::Text("edited point %d (from #%lld)", m_sel.edited + 1, (long long)m_sel.point);
  else ImGui::Text("point #%lld  (%s %lld)", (long long)m_sel.point, t.isTrain[s] ? "train" : "test",
                   (long long)t.splitIndex[s]);
  ImGui::Text("label: %s", t.classNames[size_t(t.labels[s])].c_str());
  const float img = std::min(120.0f, (w - 40) / 3);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("input x");
  drawImageU8(&t.pixels[s * size_t(t.H * t.W)], "input", img);
  ImGui::EndGroup();
  tip("The data image of the selected point");
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted(m_drag.active ? "decode g(z) (drag)" : m_sel.edited >= 0 ? "decode g(z)" : "recon g(phi(x))");
  if (ev) drawImage(ev->image, "dec", img);
  else ImGui::Dummy(ImVec2(img, img));
  ImGui::EndGroup();
  tip("The decoder's image of the current latent: the reconstruction for a data point, the decode for a dragged one");
  if (ev && !ev->neighbours.empty()) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("nearest data");
    const float small = img / 2 - 2;
    for (size_t k = 0; k < std::min<size_t>(4, ev->neighbours.size()); ++k) {
      if (k % 2) ImGui::SameLine();
      const size_t j = size_t(ev->neighbours[k]);
      drawImageU8(&t.pixels[j * size_t(t.H * t.W)], ("nb" + std::to_string(k)).c_str(), small);
    }
    ImGui::EndGroup();
    tip("Snap to manifold: the data points nearest to this latent in latent space");
  }
  if (ev) {
    ImGui::Separator();
    ImGui::Text("BLL prediction: %s (%.3f)   deterministic: %s", t.classNames[size_t(ev->pred)].c_str(),
                ev->probs[size_t(ev->pred)], t.classNames[size_t(ev->predDet)].c_str());
    ImGui::TextDisabled("bars: BLL predictive (colour), deterministic head (grey)");
    drawProbBars(ev->probs, &ev->probsDet, t.labels[s]);
    ImGui::Separator();
    drawUncertaintyBars(ev->total, ev->aleatoric, ev->epistemic);
    ImGui::TextDisabled("decode + predictive: %.2f ms on %s", ev->ms, m_model.device.c_str());
  } else {
    ImGui::TextDisabled("computing...");
  }
  ImGui::End();
}

// ----------------------------------------------------------------------------------- panels

void ExplorerApp::drawModelTab() {
  ImGui::SetNextItemWidth(-150);
  ImGui::InputText("##bundle", &m_bundleField);
  tip("A bundle directory (manifest.json, TorchScript components, cache/)");
  ImGui::SameLine();
  if (ImGui::Button("Browse##b")) {
    m_browsing = !m_browsing;
    m_browseTarget = 0;
    m_browseDir = m_bundleField.empty() ? fs::current_path().string() : fs::path(m_bundleField).parent_path().string();
  }
  tip("Pick a directory with the file browser");
  ImGui::SameLine();
  if (ImGui::Button("Load")) requestLoad(m_bundleField);
  tip("Load this bundle on the worker; the current model stays until it has loaded");
  if (ImGui::CollapsingHeader("Import a TorchScript model")) {
    ImGui::SetNextItemWidth(-150);
    ImGui::InputTextWithHint("model .pt", "model with encode(x) and classify(z)", &m_importModel);
    tip("torch.jit.script(model).save(PATH) with methods encode(x)->z, classify(z)->logits, optional decode(z)->x");
    ImGui::SameLine();
    if (ImGui::Button("Browse##m")) {
      m_browsing = !m_browsing;
      m_browseTarget = 1;
      m_browseDir = fs::current_path().string();
    }
    tip("Pick the .pt file with the file browser");
    ImGui::SetNextItemWidth(-150);
    ImGui::InputText("dataset", &m_importDataset);
    tip("fashion-mnist, mnist, or a folder of PNG images in class subfolders");
    ImGui::SetNextItemWidth(-150);
    ImGui::InputTextWithHint("out bundle", "new directory to write", &m_importOut);
    tip("Where the new bundle goes; an existing path is refused");
    if (ImGui::Button("Import and load")) requestImport(m_importModel, m_importDataset, m_importOut);
    tip("Runs latentlab import as a job (Jobs tab), then loads the result");
  }
  if (ImGui::CollapsingHeader("Layout CSV")) {
    ImGui::SetNextItemWidth(-150);
    ImGui::InputTextWithHint("csv##layout", "index,x,y file", &m_layoutCsvField);
    tip("A precomputed 2D layout: header index,x,y and one row per point of the map (test points, then training "
        "points when shown), in dataset order");
    ImGui::SameLine();
    if (ImGui::Button("Import layout")) importLayoutCsv(m_layoutCsvField);
    tip("Show the map in this layout (the projection menu's CSV layout); a bad row is reported with its line number");
  }
  if (ImGui::CollapsingHeader("Train a new model")) {
    TrainOptions& f = m_trainForm;
    ImGui::SetNextItemWidth(-150);
    ImGui::InputText("dataset##train", &f.dataset);
    tip("fashion-mnist, mnist, or a folder of PNG images in class subfolders");
    ImGui::SetNextItemWidth(-150);
    ImGui::InputTextWithHint("out bundle##train", "new directory to write", &f.out);
    tip("Where the new bundle goes; an existing path is refused");
    auto intField = [](const char* label, int& v, int lo, int hi, const char* help) {
      ImGui::SetNextItemWidth(120);
      if (ImGui::InputInt(label, &v)) v = std::clamp(v, lo, hi);
      tip(help);
    };
    intField("epochs##train", f.epochs, 1, 1000, "Classifier epochs (one Fashion-MNIST epoch is about 12 s on 2 cores)");
    ImGui::SameLine();
    int d = int(f.latentDim);
    intField("latent dim", d, 2, 4096, "d: size of the penultimate layer z (the map's space)");
    f.latentDim = d;
    intField("decoder epochs", f.decoderEpochs, 0, 1000, "Epochs of the decoder g: z -> x on the frozen encoder");
    ImGui::SameLine();
    intField("VAE epochs", f.vaeEpochs, 0, 1000, "Epochs of the VAE the original-CLUE baseline needs (0 skips it)");
    intField("ensemble", f.ensemble, 0, 20, "Members of the deep-ensemble comparator (only the eval table uses it; each costs as much "
                                             "as the classifier; 0 skips it)");
    ImGui::SameLine();
    int seed = int(f.seed);
    intField("seed", seed, 0, 1 << 30, "Random seed: the same seed and settings give the same bundle");
    f.seed = uint64_t(seed);
    int limit = int(f.limitTrain);
    intField("limit train", limit, 0, 1 << 30, "Train on only the first N shuffled training images (0 = all), for a quick demo");
    f.limitTrain = limit;
    if (ImGui::Button("Train and load")) requestTrainModel(f);
    tip("Runs latentlab train as a job (progress and Cancel in the Jobs tab; a cancelled run leaves nothing behind), then "
        "loads the new bundle");
  }
  if (m_browsing) {
    ImGui::BeginChild("browser", ImVec2(0, 180), true);
    ImGui::TextDisabled("%s", m_browseDir.c_str());
    std::error_code ec;
    if (ImGui::Selectable("..")) m_browseDir = fs::path(m_browseDir).parent_path().string();
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(m_browseDir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
    std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.path().filename() < b.path().filename(); });
    for (const auto& e : entries) {
      const std::string name = e.path().filename().string();
      if (!name.empty() && name[0] == '.') continue;
      const bool dir = e.is_directory(ec);
      const bool bundle = dir && fs::exists(e.path() / "manifest.json", ec);
      std::string label = (dir ? "[" + name + "]" : name) + (bundle ? "  (bundle)" : "");
      if (ImGui::Selectable(label.c_str(), false, ImGuiSelectableFlags_AllowDoubleClick)) {
        if (m_browseTarget == 0 && bundle) {
          m_bundleField = e.path().string();
          m_browsing = false;
        } else if (dir) {
          m_browseDir = e.path().string();
        } else if (m_browseTarget == 1) {
          m_importModel = e.path().string();
          m_browsing = false;
        }
      }
    }
    ImGui::EndChild();
  }
  ImGui::Separator();
  if (!m_haveModel) return;
  ImGui::Text("%s on %s: %lld points, d=%lld, K=%lld%s", m_model.name.c_str(), m_model.device.c_str(),
              (long long)m_model.pts->n, (long long)m_model.pts->d, (long long)m_model.pts->K,
              m_model.hasLaplace ? "" : "  (no Laplace posterior: deterministic head only)");
  if (m_model.metrics.is_object() && m_model.metrics.contains("heads")) {
    ImGui::TextDisabled("latentlab eval (stored in the manifest when the bundle was made):");
    ImGui::TextUnformatted(formatEvalTable(m_model.metrics).c_str());
  }
  if (!m_model.report) {
    ImGui::TextDisabled("computing the reliability diagram and OOD histograms (Jobs tab)...");
    return;
  }
  const ModelReport& r = *m_model.report;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float side = std::min(200.0f, ImGui::GetContentRegionAvail().x * 0.45f);
  // Reliability diagram: accuracy against confidence per bin, Laplace (colour) and deterministic (grey).
  ImGui::BeginGroup();
  ImGui::TextUnformatted("reliability (15 bins)");
  ImVec2 p = ImGui::GetCursorScreenPos();
  dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(30, 30, 30, 255));
  dl->AddLine(ImVec2(p.x, p.y + side), ImVec2(p.x + side, p.y), IM_COL32(120, 120, 120, 255));
  const int bins = int(r.confLaplace.size());
  for (int b = 0; b < bins; ++b) {
    const float x0 = p.x + side * float(b) / bins, x1 = p.x + side * float(b + 1) / bins;
    if (r.countDet[size_t(b)] > 0)
      dl->AddRectFilled(ImVec2(x0 + 1, p.y + side * (1 - float(r.accDet[size_t(b)]))), ImVec2(x0 + (x1 - x0) * 0.5f, p.y + side),
                        IM_COL32(150, 150, 150, 200));
    if (r.countLaplace[size_t(b)] > 0)
      dl->AddRectFilled(ImVec2(x0 + (x1 - x0) * 0.5f, p.y + side * (1 - float(r.accLaplace[size_t(b)]))), ImVec2(x1 - 1, p.y + side),
                        IM_COL32(80, 160, 230, 230));
  }
  ImGui::Dummy(ImVec2(side, side));
  ImGui::TextDisabled("x: confidence, y: accuracy");
  ImGui::EndGroup();
  tip("Blue: Laplace BLL, grey: deterministic head. Bars on the diagonal are calibrated.");
  ImGui::SameLine();
  // OOD histograms of the mutual information, in-distribution vs OOD.
  ImGui::BeginGroup();
  if (!r.error.empty()) {
    ImGui::TextWrapped("OOD: %s", r.error.c_str());
  } else {
    ImGui::Text("epistemic U: test vs %s, AUROC %.3f", r.oodName.c_str(), r.aurocMi);
    p = ImGui::GetCursorScreenPos();
    const float wide = std::max(side, ImGui::GetContentRegionAvail().x - 10);
    dl->AddRectFilled(p, ImVec2(p.x + wide, p.y + side), IM_COL32(30, 30, 30, 255));
    float hi = 1e-6f;
    for (float v : r.inMi) hi = std::max(hi, v);
    for (float v : r.outMi) hi = std::max(hi, v);
    const int nb = 40;
    std::vector<float> hin(nb, 0), hout(nb, 0);
    for (float v : r.inMi) hin[size_t(std::min(nb - 1, int(v / hi * nb)))] += 1.0f / float(r.inMi.size());
    for (float v : r.outMi) hout[size_t(std::min(nb - 1, int(v / hi * nb)))] += 1.0f / float(r.outMi.size());
    float top = 1e-6f;
    for (int b = 0; b < nb; ++b) top = std::max({top, hin[size_t(b)], hout[size_t(b)]});
    for (int b = 0; b < nb; ++b) {
      const float x0 = p.x + wide * float(b) / nb, x1 = p.x + wide * float(b + 1) / nb;
      dl->AddRectFilled(ImVec2(x0, p.y + side * (1 - std::sqrt(hin[size_t(b)] / top))), ImVec2(x1, p.y + side),
                        IM_COL32(80, 160, 230, 150));
      dl->AddRectFilled(ImVec2(x0, p.y + side * (1 - std::sqrt(hout[size_t(b)] / top))), ImVec2(x1, p.y + side),
                        IM_COL32(240, 120, 60, 150));
    }
    ImGui::Dummy(ImVec2(wide, side));
    ImGui::TextDisabled("blue: test, orange: %s; x: 0..%.3f nats, y: sqrt share", r.oodName.c_str(), hi);
    ImGui::Text("AUROC by entropy: %.3f", r.aurocEntropy);
  }
  ImGui::EndGroup();
  tip("How well the epistemic uncertainty (mutual information) tells the OOD images from the test images");
}

void ExplorerApp::drawJobsTab() {
  auto jobs = m_worker->jobs();
  if (jobs.empty()) ImGui::TextDisabled("no jobs yet");
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
    Job& j = **it;
    ImGui::PushID(j.id);
    const std::string err = j.errorText();
    if (j.finished) {
      if (!err.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "#%d %s: failed: %s", j.id, j.name.c_str(), err.c_str());
      else if (j.cancelled) ImGui::TextDisabled("#%d %s: cancelled", j.id, j.name.c_str());
      else ImGui::TextDisabled("#%d %s: done in %.2f s", j.id, j.name.c_str(), j.seconds);
    } else {
      ImGui::Text("#%d %s%s", j.id, j.name.c_str(), j.running ? "" : " (queued)");
      ImGui::ProgressBar(j.fraction.load(), ImVec2(-80, 0), j.stageText().c_str());
      ImGui::SameLine();
      if (ImGui::Button("Cancel")) j.cancel = true;
      tip("Stop this job at its next batch; nothing it was writing is kept");
    }
    ImGui::PopID();
  }
  if (ImGui::Button("Clear finished")) m_worker->clearFinished();
  tip("Remove finished jobs from this list");
}

void ExplorerApp::drawEditedTab() {
  if (m_edited.empty()) {
    ImGui::TextWrapped("Drag a selected point to make an edited point; it is kept here when you release the mouse.");
    return;
  }
  for (size_t k = 0; k < m_edited.size(); ++k) {
    ImGui::PushID(int(k));
    const EditedPoint& e = m_edited[k];
    char label[96];
    std::snprintf(label, sizeof label, "edited %zu  from #%lld  at (%.2f, %.2f)", k + 1, (long long)e.origin, e.x, e.y);
    if (ImGui::Selectable(label, m_sel.edited == int(k), 0, ImVec2(ImGui::GetContentRegionAvail().x - 70, 0)))
      selectEdited(int(k));
    tip("Select this edited point (the inspector shows its decode and prediction)");
    ImGui::SameLine();
    if (ImGui::SmallButton("Delete")) deleteEdited(int(k));
    tip("Delete this edited point (Ctrl+Z brings it back)");
    ImGui::PopID();
  }
  if (ImGui::Button("Undo (Ctrl+Z)")) undo();
  tip("Undo the last add or delete");
}

void ExplorerApp::drawLogTab() {
  if (!m_lastError.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "last error: %s", m_lastError.c_str());
  for (const auto& l : m_log) ImGui::TextWrapped("%s", l.c_str());
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
}

void ExplorerApp::drawPanels(float x, float y, float w, float h) {
  ImGui::SetNextWindowPos(ImVec2(x, y));
  ImGui::SetNextWindowSize(ImVec2(w, h));
  ImGui::Begin("Panels", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                      ImGuiWindowFlags_NoTitleBar);
  if (ImGui::BeginTabBar("tabs")) {
    if (ImGui::BeginTabItem("Model")) {
      drawModelTab();
      ImGui::EndTabItem();
    }
    const bool running = m_worker->jobRunning();
    if (ImGui::BeginTabItem(running ? "Jobs (running)###Jobs" : "Jobs###Jobs", nullptr,
                            m_showJobs ? ImGuiTabItemFlags_SetSelected : 0)) {
      drawJobsTab();
      ImGui::EndTabItem();
    }
    std::string edited = "Edited (" + std::to_string(m_edited.size()) + ")###Edited";
    if (ImGui::BeginTabItem(edited.c_str())) {
      drawEditedTab();
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Log")) {
      drawLogTab();
      ImGui::EndTabItem();
    }
    m_showJobs = false;
    ImGui::EndTabBar();
  }
  ImGui::End();
}

void ExplorerApp::drawMenu() {
  if (!ImGui::BeginMainMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    ImGui::SetNextItemWidth(220);
    ImGui::InputText("session file", &m_sessionPath);
    if (ImGui::MenuItem("Save session")) saveSessionTo(m_sessionPath);
    if (ImGui::MenuItem("Load session")) loadSessionFrom(m_sessionPath);
    ImGui::Separator();
    ImGui::SetNextItemWidth(220);
    ImGui::InputText("csv file", &m_exportPath);
    if (ImGui::MenuItem("Export selection as CSV")) exportCsv(m_exportPath);
    if (ImGui::MenuItem("Export layout as CSV (index,x,y)") && m_haveModel) {
      try {
        writeLayoutCsv(m_exportPath, m_model.xy);
        log("wrote the layout to " + m_exportPath);
      } catch (const Error& e) {
        error(e.what());
      }
    }
    ImGui::SetNextItemWidth(220);
    ImGui::InputText("png file", &m_pngPath);
    if (ImGui::MenuItem("Export map as PNG")) m_shots.push_back({m_pngPath, 1});
    if (ImGui::MenuItem("Export inspector as PNG")) m_shots.push_back({m_pngPath, 2});
    if (ImGui::MenuItem("Screenshot window as PNG")) m_shots.push_back({m_pngPath, 0});
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) m_quit = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    if (ImGui::MenuItem("Fit to data", "F")) fitView();
    bool train = m_showTrain;
    if (ImGui::MenuItem("Training points", "T", &train)) requestTrainPoints(train);
    ImGui::MenuItem("Snap to manifold", nullptr, &m_snap);
    if (ImGui::MenuItem("Clear selection", "Esc")) {
      m_multi.clear();
      m_multiMask.assign(m_multiMask.size(), 0);
      m_colorsDirty = true;
    }
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Shortcuts and script commands", "?")) m_showHelp = true;
    ImGui::EndMenu();
  }
  // Status on the right: model, frame time, jobs.
  double med = 0;
  if (!m_frameMs.empty()) med = percentile(std::vector<double>(m_frameMs.begin(), m_frameMs.end()), 0.5);
  std::string jobStatus;
  for (const auto& j : m_worker->jobs())
    if (j->running) {
      char b[160];
      std::snprintf(b, sizeof b, " | %s %.0f%%", j->name.c_str(), 100.0 * j->fraction.load());
      jobStatus = b;
    }
  char status[512];
  std::snprintf(status, sizeof status, "%s | %lld points | frame %.1f ms%s", m_haveModel ? m_model.name.c_str() : "no model",
                m_haveModel ? (long long)std::count(m_model.pts->isTrain.begin(), m_model.pts->isTrain.end(),
                                                    uint8_t(m_showTrain ? 1 : 0)) + (m_showTrain ? m_model.pts->numTest : 0)
                            : 0LL,
                med, jobStatus.c_str());
  ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize(status).x - 20);
  ImGui::TextUnformatted(status);
  ImGui::EndMainMenuBar();
}

void ExplorerApp::drawHelp() {
  if (!m_showHelp) return;
  ImGui::SetNextWindowSize(ImVec2(640, 560), ImGuiCond_Appearing);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::Begin("Help (?)", &m_showHelp)) {
    ImGui::TextUnformatted("Mouse");
    ImGui::BulletText("left click: select a point; left drag on the selected point: move its latent code");
    ImGui::BulletText("shift + left drag: lasso selection");
    ImGui::BulletText("right or middle drag: pan; wheel: zoom around the cursor");
    ImGui::TextUnformatted("Keys");
    ImGui::BulletText("F fit   T training points   C next colour mode   ? this help");
    ImGui::BulletText("Esc cancel drag / clear lasso selection   Delete remove the selected edited point");
    ImGui::BulletText("Ctrl+Z undo   Ctrl+S save session   Ctrl+Q quit   + / - zoom");
    ImGui::Separator();
    ImGui::TextUnformatted("Script commands (latentlab gui --script FILE)");
    for (const auto& [name, help] : scriptCommandHelp()) ImGui::BulletText("%s", help.c_str());
  }
  ImGui::End();
}

void ExplorerApp::drawErrorModal() {
  if (m_openModal) {
    ImGui::OpenPopup("Error");
    m_openModal = false;
  }
  ImGui::SetNextWindowSize(ImVec2(560, 0), ImGuiCond_Appearing);
  if (ImGui::BeginPopupModal("Error", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::PushTextWrapPos(540);
    ImGui::TextUnformatted(m_modalError.c_str());
    ImGui::PopTextWrapPos();
    if (ImGui::Button("OK", ImVec2(120, 0)) || ImGui::IsKeyPressed(GLFW_KEY_ENTER)) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

// ----------------------------------------------------------------------------------- export, session

void ExplorerApp::exportCsv(const std::string& path) {
  if (!m_haveModel) return error("nothing to export: no model is loaded");
  const PointTable& t = *m_model.pts;
  std::vector<int64_t> idx = m_multi;
  if (idx.empty() && m_sel.point >= 0) idx.push_back(m_sel.point);
  if (idx.empty()) return error("nothing to export: select points first (click, lasso or search)");
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
    r.x = m_model.xy[2 * s];
    r.y = m_model.xy[2 * s + 1];
    r.latent.assign(t.latents.begin() + i * t.d, t.latents.begin() + (i + 1) * t.d);
    rows.push_back(std::move(r));
  }
  try {
    writeFileAtomic(path, selectionCsv(rows, t.d));
    log("wrote " + std::to_string(rows.size()) + " rows to " + path);
  } catch (const Error& e) {
    error(e.what());
  }
}

SessionState ExplorerApp::sessionState() const {
  SessionState s;
  s.bundle = m_haveModel ? m_model.dir : m_loadingDir;
  s.projection = m_projection;
  s.colorMode = m_colorMode;
  s.viewX = m_view.cx;
  s.viewY = m_view.cy;
  s.viewScale = m_view.scale;
  s.showTrain = m_showTrain;
  for (size_t k = 0; k < m_hidden.size(); ++k)
    if (m_hidden[k]) s.hiddenClasses.push_back(int(k));
  s.filter = m_filterText;
  s.selection = m_multi;
  s.selected = m_sel.point;
  s.edited = m_edited;
  return s;
}

void ExplorerApp::saveSessionTo(const std::string& path) {
  try {
    saveSession(sessionState(), path);
    log("saved session " + path);
  } catch (const Error& e) {
    error(e.what());
  }
}

void ExplorerApp::applySession(const SessionState& s) {
  const PointTable& t = *m_model.pts;
  for (int64_t i : s.selection)
    if (i >= t.n) return error("session selection index " + std::to_string(i) + " is out of range (" +
                               std::to_string(t.n) + " points)");
  if (s.selected >= t.n) return error("session selected index " + std::to_string(s.selected) + " is out of range");
  for (const auto& e : s.edited)
    if (int64_t(e.latent.size()) != t.d || e.origin >= t.n)
      return error("session edited point does not fit this model (d=" + std::to_string(t.d) + ")");
  m_colorMode = s.colorMode;
  if (s.projection != m_projection) setProjection(s.projection == "csv" && !m_model.layouts.count("csv") ? "pca" : s.projection);
  m_view.cx = s.viewX;
  m_view.cy = s.viewY;
  m_view.scale = s.viewScale;
  m_needFit = false;
  m_hidden.assign(size_t(t.K), false);
  for (int k : s.hiddenClasses)
    if (k >= 0 && k < int(t.K)) m_hidden[size_t(k)] = true;
  m_filterText = s.filter;
  applyFilter();
  m_multi = s.selection;
  m_multiMask.assign(size_t(t.n), 0);
  for (int64_t i : m_multi) m_multiMask[size_t(i)] = 1;
  m_edited = s.edited;
  m_undo.clear();
  m_sel = {s.selected, -1};
  m_inspect.reset();
  if (m_sel.any()) requestInspect();
  if (s.showTrain != m_showTrain) requestTrainPoints(s.showTrain);
  m_colorsDirty = true;
  log("session applied");
}

void ExplorerApp::loadSessionFrom(const std::string& path) {
  SessionState s;
  try {
    s = loadSession(path);
  } catch (const Error& e) {
    return error(e.what());
  }
  if (!m_haveModel || (!s.bundle.empty() && fs::weakly_canonical(s.bundle) != fs::weakly_canonical(m_model.dir))) {
    // Load the session's bundle first; apply once it is up.
    const std::string dir = s.bundle;
    requestLoad(dir);
    m_worker->submit("apply session", [this, s](Job&) {
      m_worker->toUi([this, s] {
        if (m_haveModel) applySession(s);
      });
    });
    return;
  }
  applySession(s);
}

void ExplorerApp::writeState(const std::string& path) {
  json j;
  j["bundle"] = m_haveModel ? json(m_model.dir) : json(nullptr);
  j["projection"] = m_projection;
  j["color"] = m_colorMode;
  j["points"] = m_haveModel ? m_model.pts->n : 0;
  j["test_points"] = m_haveModel ? m_model.pts->numTest : 0;
  j["selected"] = m_sel.point;
  j["selected_edited"] = m_sel.edited;
  j["selection_count"] = m_multi.size();
  j["edited_points"] = m_edited.size();
  j["view"] = {{"x", m_view.cx}, {"y", m_view.cy}, {"scale", m_view.scale}};
  // The map's rectangle in window pixels: window (px, py) shows projection point
  // (x + (px - left - width/2) / scale, y - (py - top - height/2) / scale).
  j["map_rect"] = {{"left", m_mapX}, {"top", m_mapY}, {"width", m_mapW}, {"height", m_mapH}};
  j["hover"] = m_hover;
  j["drag_outside"] = m_drag.active && m_drag.outside;
  if (m_haveModel) {
    auto it = m_model.layouts.find(m_projection);
    const LayoutQuality* q = it != m_model.layouts.end() && it->second.haveQuality ? &it->second.quality
                             : m_projection == "pca" && m_model.pcaQuality ? &*m_model.pcaQuality : nullptr;
    if (q) j["layout_quality"] = {{"trustworthiness", q->trustworthiness}, {"knn_recall", q->knnRecall},
                                  {"knn_accuracy", q->knnAccuracy}, {"sample", q->sample}, {"k", q->k}};
    j["layout_computing"] = m_layoutJobMethod;
  }
  j["selection"] = m_multi;
  j["caption"] = m_caption;
  j["last_error"] = m_lastError;
  j["errors"] = m_errors;
  j["device"] = m_haveModel ? m_model.device : "";
  if (m_haveModel && m_sel.any()) {
    float x = 0, y = 0;
    currentPosition(x, y);
    j["position"] = {x, y};
    j["latent"] = currentLatent();
    if (m_sel.point >= 0) {
      const PointTable& t = *m_model.pts;
      j["origin_latent"] = std::vector<float>(t.latents.begin() + m_sel.point * t.d, t.latents.begin() + (m_sel.point + 1) * t.d);
      j["origin_position"] = {m_model.xy[size_t(2 * m_sel.point)], m_model.xy[size_t(2 * m_sel.point + 1)]};
      j["label"] = t.labels[size_t(m_sel.point)];
    }
    if (m_inspect) {
      j["probabilities"] = m_inspect->probs;
      j["probabilities_deterministic"] = m_inspect->probsDet;
      j["prediction"] = m_inspect->pred;
      j["uncertainty"] = {{"total", m_inspect->total}, {"aleatoric", m_inspect->aleatoric}, {"epistemic", m_inspect->epistemic}};
      j["decode_ms"] = m_inspect->ms;
    }
  }
  if (m_haveModel) {
    j["pca"] = {{"mean", m_model.pca.mean}, {"axes", m_model.pca.axes}};
  }
  if (!m_frameMs.empty()) {
    std::vector<double> f(m_frameMs.begin(), m_frameMs.end());
    j["frame_ms"] = {{"median", percentile(f, 0.5)}, {"p95", percentile(f, 0.95)}, {"frames", f.size()}};
  }
  if (!m_dragMs.empty()) j["drag_update_ms"] = {{"median", percentile(m_dragMs, 0.5)}, {"p95", percentile(m_dragMs, 0.95)}};
  if (m_startupMs >= 0) j["startup_ms"] = m_startupMs;
  try {
    writeFileAtomic(path, j.dump(2) + "\n");
  } catch (const Error& e) {
    error(e.what());
  }
}

void ExplorerApp::takeScreenshot(const std::string& path, int x, int y, int w, int h) {
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(m_window, &fw, &fh);
  int ww = 0, wh = 0;
  glfwGetWindowSize(m_window, &ww, &wh);
  const float sx = ww > 0 ? float(fw) / float(ww) : 1.0f, sy = wh > 0 ? float(fh) / float(wh) : 1.0f;
  int px = std::clamp(int(float(x) * sx), 0, fw), py = std::clamp(int(float(y) * sy), 0, fh);
  int pw = std::clamp(int(float(w) * sx), 1, fw - px), ph = std::clamp(int(float(h) * sy), 1, fh - py);
  std::vector<uint8_t> rgba(size_t(pw) * size_t(ph) * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(px, fh - py - ph, pw, ph, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  std::vector<uint8_t> flipped(rgba.size());
  for (int r = 0; r < ph; ++r)
    std::copy_n(&rgba[size_t(ph - 1 - r) * size_t(pw) * 4], size_t(pw) * 4, &flipped[size_t(r) * size_t(pw) * 4]);
  for (size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;
  try {
    writePng(path, pw, ph, flipped);
    log("saved " + path + " (" + std::to_string(pw) + "x" + std::to_string(ph) + ")");
  } catch (const Error& e) {
    error(e.what());
  }
}

// ----------------------------------------------------------------------------------- scripts

bool ExplorerApp::runCommand(const ScriptCommand& c) {
  const auto& a = c.args;
  const std::string at = m_script.commands.empty() ? "" : "line " + std::to_string(c.line) + ": ";
  if (c.name == "load") {
    requestLoad(a[0]);
    m_waitIdle = true;
  } else if (c.name == "project") {
    setProjection(a[0]);
    m_waitIdle = a.size() < 2;
  } else if (c.name == "cancel") {
    for (auto& j : m_worker->jobs())
      if (!j->finished) j->cancel = true;
    m_waitIdle = true;
  } else if (c.name == "export-layout") {
    if (!m_haveModel) error(at + "no model loaded: no layout to export");
    else try {
        writeLayoutCsv(a[0], m_model.xy);
        log("wrote the layout to " + a[0]);
      } catch (const Error& e) {
        error(at + e.what());
      }
  } else if (c.name == "layout-csv") {
    importLayoutCsv(a[0]);
    m_waitIdle = true;
  } else if (c.name == "color") {
    m_colorMode = a[0];
    m_colorsDirty = true;
  } else if (c.name == "select") {
    selectPoint(std::stoll(a[0]));
    m_waitIdle = true;
  } else if (c.name == "drag") {
    if (!m_haveModel || !m_sel.any()) {
      error(at + "drag needs a selected point (use select INDEX first)");
    } else {
      beginDrag();
      dragTo(m_drag.x0 + std::stof(a[0]), m_drag.y0 + std::stof(a[1]));
      m_waitIdle = true;
      m_pendingCommit = true;
    }
  } else if (c.name == "wait") {
    m_waitFrames = std::stoi(a[0]);
  } else if (c.name == "wait-for") {
    m_waitForPath = a[0];
    m_waitForDeadline = Clock::now() + std::chrono::seconds(a.size() > 1 ? std::stoi(a[1]) : 60);
  } else if (c.name == "screenshot") {
    m_shots.push_back({a[0], 0});
  } else if (c.name == "state") {
    writeState(a[0]);
  } else if (c.name == "caption") {
    m_caption = a.empty() ? "" : a[0];
  } else if (c.name == "filter") {
    m_filterText = a.empty() ? "" : a[0];
    applyFilter();
    if (!m_filterError.empty()) error(at + m_filterError);
  } else if (c.name == "fit") {
    fitView();
  } else if (c.name == "zoom") {
    m_view.scale *= std::stod(a[0]);
  } else if (c.name == "center") {
    m_view.cx = std::stod(a[0]);
    m_view.cy = std::stod(a[1]);
  } else if (c.name == "train") {
    requestTrainPoints(a[0] == "on");
    m_waitIdle = true;
  } else if (c.name == "train-model") {
    TrainOptions o = m_trainForm;
    o.dataset = a[0];
    o.out = a[1];
    for (size_t k = 2; k < a.size(); ++k) applyTrainSetting(o, a[k]);
    requestTrainModel(o);
    m_waitIdle = true;
  } else if (c.name == "snap") {
    m_snap = a[0] == "on";
    requestInspect();
    m_waitIdle = true;
  } else if (c.name == "undo") {
    undo();
    m_waitIdle = true;
  } else if (c.name == "session-save") {
    saveSessionTo(a[0]);
  } else if (c.name == "session-load") {
    loadSessionFrom(a[0]);
    m_waitIdle = true;
  } else if (c.name == "export-csv") {
    exportCsv(a[0]);
  } else if (c.name == "export-map") {
    m_shots.push_back({a[0], 1});
  } else if (c.name == "export-inspector") {
    m_shots.push_back({a[0], 2});
  } else if (c.name == "quit") {
    m_quit = true;
    return false;
  }
  return true;
}

void ExplorerApp::stepScript() {
  if (!m_shots.empty()) return;  // a screenshot of the previous command is still to be taken
  if (m_waitFrames > 0) {
    --m_waitFrames;
    return;
  }
  if (m_waitIdle) {
    if (!m_worker->idle()) return;
    m_waitIdle = false;
    if (m_pendingCommit) {
      commitDrag();
      m_pendingCommit = false;
      m_waitIdle = true;  // the inspector of the new edited point
      return;
    }
  }
  if (!m_waitForPath.empty()) {
    std::error_code ec;
    if (fs::exists(m_waitForPath, ec)) {
      m_waitForPath.clear();
    } else if (Clock::now() > m_waitForDeadline) {
      error("wait-for: " + m_waitForPath + " did not appear in time; the script goes on");
      m_waitForPath.clear();
    } else {
      return;
    }
  }
  if (m_pc >= m_script.commands.size()) return;
  // Run instant commands back to back; stop at one that waits.
  while (m_pc < m_script.commands.size() && !m_waitIdle && m_waitFrames == 0 && m_waitForPath.empty() && !m_quit) {
    const ScriptCommand& c = m_script.commands[m_pc++];
    log("script " + std::to_string(c.line) + ": " + c.name + (c.rest.empty() ? "" : " " + c.rest));
    runCommand(c);
    if (c.name == "screenshot" || c.name == "export-map" || c.name == "export-inspector") break;  // after this frame
  }
}

// ----------------------------------------------------------------------------------- main loop

int ExplorerApp::run() {
  glfwSetErrorCallback([](int code, const char* desc) { std::cerr << "latentlab: glfw error " << code << ": " << desc << "\n"; });
  if (!glfwInit()) {
    std::cerr << "latentlab: error: cannot open a window (no display? set DISPLAY or run under xvfb-run)\n";
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
  m_window = glfwCreateWindow(m_opt.width, m_opt.height, "LatentLab", nullptr, nullptr);
  if (!m_window) {
    std::cerr << "latentlab: error: cannot create an OpenGL 3.3 core window\n";
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(m_window);
  const bool timing = m_opt.benchFrames > 0;
  glfwSwapInterval(timing || !m_opt.script.empty() || !m_opt.screenshot.empty() ? 0 : 1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  const char* fontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (fs::exists(fontPath)) {
    io.Fonts->AddFontFromFileTTF(fontPath, 15.0f);
    io.Fonts->AddFontFromFileTTF(fontPath, 26.0f);
  } else {
    io.Fonts->AddFontDefault();
  }
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0;
  ImGui_ImplGlfw_InitForOpenGL(m_window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  std::string err;
  if (!m_map.init(err)) {
    std::cerr << "latentlab: error: " << err << "\n";
    return 1;
  }
  m_worker = std::make_unique<Worker>();
  m_worker->setWake([] { glfwPostEmptyEvent(); });
  if (!m_opt.script.empty()) {
    try {
      m_script = loadScriptFile(m_opt.script);
    } catch (const Error& e) {
      error(e.what());
    }
    for (const auto& e : m_script.errors) error(e.message);
    m_waitIdle = true;  // start once the initial model has loaded (or failed to)
  }
  if (!m_opt.bundle.empty()) requestLoad(m_opt.bundle);
  m_bundleField = m_opt.bundle;

  // Frame benchmark state.
  std::vector<double> benchFrames, benchJobFrames, benchLod;
  int benchPhase = 0;  // 0 waiting, 1 frames, 2 frames with a job, 3 done
  int benchI = 0;
  std::shared_ptr<Job> benchJob;
  bool shotDone = false;
  int framesSinceIdle = 0;

  auto last = Clock::now();
  while (!glfwWindowShouldClose(m_window) && !m_quit) {
    // Frames are drawn continuously (up to 60 a second) only while something on screen moves:
    // a drag, a lasso, a pan, a script step, a benchmark. A background job alone redraws 5 times a
    // second for its progress bar, so that the rasteriser leaves the cores to the job (at 60 a
    // second a GUI training run took 12x as long as `latentlab train`). Results from the workers
    // wake the loop at once (Worker::setWake).
    const bool idle = m_worker->idle();
    const bool animating = m_drag.active || m_lassoActive || m_panning || timing || m_waitFrames > 0 ||
                           !m_shots.empty() || (m_pc < m_script.commands.size() && !m_waitIdle) ||
                           (!m_opt.screenshot.empty() && idle) || ImGui::IsMouseDown(ImGuiMouseButton_Left) ||
                           ImGui::IsMouseDown(ImGuiMouseButton_Right) || ImGui::IsMouseDown(ImGuiMouseButton_Middle);
    if (animating) glfwPollEvents();
    else glfwWaitEventsTimeout(idle ? 0.25 : 0.2);
    const auto frameStart = Clock::now();
    m_worker->drainUi();

    // Keyboard shortcuts (not while typing into a field).
    if (!io.WantTextInput) {
      if (ImGui::IsKeyPressed(GLFW_KEY_F)) fitView();
      if (ImGui::IsKeyPressed(GLFW_KEY_T) && !io.KeyCtrl) requestTrainPoints(!m_showTrain);
      if (ImGui::IsKeyPressed(GLFW_KEY_C) && !io.KeyCtrl) {
        auto it = std::find(colorModes().begin(), colorModes().end(), m_colorMode);
        m_colorMode = colorModes()[size_t((it - colorModes().begin() + 1) % int(colorModes().size()))];
        m_colorsDirty = true;
      }
      if (ImGui::IsKeyPressed(GLFW_KEY_SLASH) && io.KeyShift) m_showHelp = !m_showHelp;
      if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_Z)) undo();
      if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_S)) saveSessionTo(m_sessionPath);
      if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_Q)) m_quit = true;
      if (ImGui::IsKeyPressed(GLFW_KEY_DELETE) && m_sel.edited >= 0) deleteEdited(m_sel.edited);
      if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE) && !m_drag.active) {
        m_multi.clear();
        m_multiMask.assign(m_multiMask.size(), 0);
        m_colorsDirty = true;
      }
      if (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD)) m_view.scale *= 1.25;
      if (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT)) m_view.scale /= 1.25;
    }

    if (!m_script.commands.empty()) stepScript();

    // Benchmark: pan and zoom continuously, first alone, then with a background job running.
    if (timing && benchPhase == 0 && m_haveModel && m_worker->idle()) {
      if (m_opt.benchAll && m_model.pts->n == m_model.pts->numTest) {
        if (!m_benchTrainRequested) requestTrainPoints(true);
        m_benchTrainRequested = true;
      } else {
        fitView();
        benchPhase = 1;
      }
    }
    if (benchPhase == 1 || benchPhase == 2) {
      const double f = double(benchI) / m_opt.benchFrames;
      m_view.scale = m_fitScale * std::pow(12.0, 0.5 - 0.5 * std::cos(f * 6.2831853));
      m_view.cx = 0.5 * (m_model.minX + m_model.maxX) + 0.25 * (m_model.maxX - m_model.minX) * std::sin(f * 6.2831853);
      m_view.cy = 0.5 * (m_model.minY + m_model.maxY) + 0.2 * (m_model.maxY - m_model.minY) * std::sin(f * 3.14159);
      if (benchPhase == 2 && !benchJob) {
        auto ex = m_model.ex;
        benchJob = m_worker->submit("bench: model report", [ex](Job& job) {
          for (int r = 0; r < 100 && !job.cancel; ++r) ex->modelReport({}, &job.cancel);
        });
      }
    }

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    drawMenu();
    int ww = 0, wh = 0;
    glfwGetWindowSize(m_window, &ww, &wh);
    const float top = ImGui::GetFrameHeight();
    const float side = std::max(380.0f, std::min(520.0f, float(ww) * 0.32f));
    drawMap(0, top, float(ww) - side, float(wh) - top);
    drawInspector(float(ww) - side, top, side, (float(wh) - top) * 0.56f);
    drawPanels(float(ww) - side, top + (float(wh) - top) * 0.56f, side, (float(wh) - top) * 0.44f);
    drawHelp();
    drawErrorModal();
    ImGui::Render();
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(m_window, &fw, &fh);
    glViewport(0, 0, fw, fh);
    glClearColor(0.1f, 0.1f, 0.11f, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

    ++m_frame;
    if (m_haveModel && m_startupMs < 0) {
      glFinish();
      m_startupMs = msSince(m_opt.processStart);
      log("first frame with points " + std::to_string(int(m_startupMs)) + " ms after start");
    }
    // Screenshots read the back buffer of this frame, before the swap.
    if (!m_shots.empty() && framesSinceIdle >= 2) {
      for (const auto& s : m_shots) {
        if (s.region == 1) takeScreenshot(s.path, int(m_mapX), int(m_mapY), int(m_mapW), int(m_mapH));
        else if (s.region == 2) takeScreenshot(s.path, int(m_inspX), int(m_inspY), int(m_inspW), int(m_inspH));
        else takeScreenshot(s.path, 0, 0, ww, wh);
      }
      m_shots.clear();
    }
    if (!m_opt.screenshot.empty() && !shotDone && ((m_haveModel && m_worker->idle()) || (!m_lastError.empty() && m_worker->idle()))) {
      if (framesSinceIdle >= 3) {
        takeScreenshot(m_opt.screenshot, 0, 0, ww, wh);
        shotDone = true;
        if (m_script.commands.empty()) m_quit = true;
      }
    }
    framesSinceIdle = m_worker->idle() ? framesSinceIdle + 1 : 0;
    if (timing) glFinish();
    glfwSwapBuffers(m_window);

    const double ms = msSince(frameStart);
    m_frameMs.push_back(ms);
    if (m_frameMs.size() > 240) m_frameMs.pop_front();
    if (m_worker->jobRunning()) m_maxFrameWithJob = std::max(m_maxFrameWithJob, ms);
    if (benchPhase == 1 || benchPhase == 2) {
      if (benchI >= 5) (benchPhase == 1 ? benchFrames : benchJobFrames).push_back(ms);
      if (benchI >= 5 && benchPhase == 1) benchLod.push_back(m_lodMs);
      if (++benchI >= m_opt.benchFrames + 5) {
        benchI = 0;
        if (benchPhase == 2 && benchJob) benchJob->cancel = true;
        ++benchPhase;
      }
    }
    if (benchPhase == 3 && m_worker->idle()) {
      if (m_opt.benchResult) {
        json& r = *m_opt.benchResult;
        r["frames"] = benchFrames;
        r["frames_with_job"] = benchJobFrames;
        r["lod_ms"] = benchLod;
        r["points"] = m_showTrain ? m_model.pts->n : m_model.pts->numTest;
        r["startup_ms"] = m_startupMs;
        r["window"] = {ww, wh};
        r["renderer"] = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
      }
      m_quit = true;
    }
    // Without vsync (Xvfb), cap interactive use at about 60 frames a second so that the
    // compute worker keeps the cores.
    if (!timing) {
      const double spent = msSince(last);
      if (spent < 16.0) std::this_thread::sleep_for(std::chrono::microseconds(int((16.0 - spent) * 1000)));
    }
    last = Clock::now();
    (void)err;
  }
  m_worker.reset();  // joins the threads (cancelling jobs) before GL and the model go away
  m_model = {};
  m_map.destroy();
  for (auto& [slot, st] : m_slotTex)
    if (st.tex) glDeleteTextures(1, &st.tex);
  m_slotTex.clear();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(m_window);
  glfwTerminate();
  return 0;
}

bool builtWithWindow() { return true; }

int runGui(const GuiOptions& opt) {
  ExplorerApp app(opt);
  return app.run();
}

}  // namespace latentlab::gui
