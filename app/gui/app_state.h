#pragma once
// The UI's picture of the explorer: one AppState, owned by the Context (context.h) and passed by
// reference to the controllers and panels. Plain data: torch-free, GL-free and ImGui-free, so the
// rules built on it (point_style, map_lod, script_runner) are tested without a display.
// Only the UI thread reads or writes it; the workers hand results over through Worker::toUi.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "job_slot.h"
#include "latentlab/clue/clue.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/explorer/session.h"
#include "latentlab/explorer/viewmath.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/projection/projection.h"
#include "map/color_scale.h"
#include "map/map_view.h"
#include "selection_summary.h"

namespace latentlab::gui {

struct Job;

// ------------------------------------------------------------------------------------ enums
// Each has a key (the word scripts, sessions and the state JSON use) and a label (the menus).

enum class Projection { Pca, Tsne, Umap, Csv };
inline constexpr Projection kProjections[] = {Projection::Pca, Projection::Tsne, Projection::Umap, Projection::Csv};
const char* projectionKey(Projection p);    // pca | tsne | umap | csv
const char* projectionLabel(Projection p);  // PCA | t-SNE | UMAP | CSV layout
std::optional<Projection> parseProjection(const std::string& key);

enum class ColorMode { Label, Pred, Total, Aleatoric, Epistemic, Correct };
inline constexpr ColorMode kColorModes[] = {ColorMode::Label,     ColorMode::Pred,      ColorMode::Total,
                                            ColorMode::Aleatoric, ColorMode::Epistemic, ColorMode::Correct};
const char* colorModeKey(ColorMode m);    // the words of session.h's colorModes()
const char* colorModeLabel(ColorMode m);  // "true class", "predicted", "total U", ...
std::optional<ColorMode> parseColorMode(const std::string& key);
ColorMode nextColorMode(ColorMode m);  // the C key cycles

enum class ShotRegion { Window, Map, Inspector };

// ------------------------------------------------------------------------------------ model

// The Model tab's histograms of the epistemic uncertainty of the test set and the OOD set: bins on
// a log10 axis from the 1st percentile of both sets to their largest value, each bin a share of
// its own set. Computed once per report, on the job thread (sorting 20,000 scores every frame cost
// the Model tab about 2.5 ms a frame on the dev machine).
struct OodHistogram {
  static constexpr int kBins = 30;
  double lo = -6, hi = 0;  // log10 of the axis's ends
  std::vector<float> in, out;
  float top = 1e-6f;  // the tallest bin's share
};
OodHistogram oodHistogram(const ModelReport& r);

// What the UI holds about the loaded model. The Explorer itself is only used on the workers.
struct Model {
  std::shared_ptr<Explorer> ex;
  std::shared_ptr<const PointTable> pts;
  Pca2 pca;
  std::vector<float> xy;  // [n, 2]: the positions the map shows now
  std::string dir, name, device;
  nlohmann::json metrics;
  bool hasLaplace = false;
  int dvaeBits = 0;                              // n, 0 without a DVAE
  std::string dvaeProblem;                       // why the bundle's DVAE was left out
  UncertaintyScales uncertainty;                 // the colour scales and percentiles of the test points' U
  SelectionSummary testSummary;                  // all the test points (the inspector's model summary)
  float minX = 0, maxX = 1, minY = 0, maxY = 1;  // bounds of xy
  std::optional<ModelReport> report;
  OodHistogram oodHistogram;  // of the report
  struct Layout {
    std::vector<float> xy;
    LayoutQuality quality;
    bool haveQuality = false;
  };
  std::map<Projection, Layout> layouts;  // finished non-linear layouts of these points
  std::vector<std::string> layers;       // "DATASET N" of each layer added (extras_controller.h)
  std::optional<LayoutQuality> pcaQuality;

  // The quality of projection p's layout, when it is known (null while it is computed).
  const LayoutQuality* qualityOf(Projection p) const;
  // Sets xy and its bounds.
  void setPositions(const std::vector<float>& positions);
};

// ------------------------------------------------------------------------------------ selection, drag, edits

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
  std::vector<float> z;   // current latent (the clamped inverse)
  float zx = 0, zy = 0;   // its projection
  bool outside = false;   // non-linear views: the target is outside its neighbours' hull
  int clueStep = -1;      // >= 0: nudging this step of the CLUE panel's paused path
  bool byScript = false;  // a script's `drag` moves it (the mouse does not end it)
};

struct UndoAction {
  enum Kind { Add, Remove } kind = Add;
  EditedPoint point;
  int position = 0;
};

// A bounded history: the newest `capacity` values (frame times, drag timings, errors).
template <class T>
class Recent {
 public:
  explicit Recent(size_t capacity) : m_capacity(capacity) {}
  void push(T v) {
    m_items.push_back(std::move(v));
    if (m_items.size() > m_capacity) m_items.pop_front();
  }
  const std::deque<T>& items() const { return m_items; }
  std::vector<T> vector() const { return {m_items.begin(), m_items.end()}; }
  bool empty() const { return m_items.empty(); }
  size_t size() const { return m_items.size(); }
  void clear() { m_items.clear(); }

 private:
  size_t m_capacity;
  std::deque<T> m_items;
};

struct SelectionState {
  Selection sel;
  std::vector<int64_t> multi;      // the lasso or "Select matches" selection
  std::vector<uint8_t> multiMask;  // [n] 1 = in `multi`
  int64_t hover = -1;
};

struct EditState {
  std::vector<EditedPoint> edited;
  std::vector<UndoAction> undo;
  Drag drag;
  std::optional<LatentEval> inspect;     // for the current selection
  std::optional<LatentEval> dragEval;    // for the drag in progress
  uint64_t inspectSeq = 0, dragSeq = 0;  // only the newest request's answer is shown
  Recent<double> dragMs{2000};           // evaluation times of drag updates
  bool snap = false;                     // also ask for the nearest data points
  std::string evalError;                 // why the last evaluation failed ("" when it did not)
};

// ------------------------------------------------------------------------------------ view and style

struct ViewState {
  MapViewport view;                // centre, scale, size in pixels
  MapRect mapRect, inspectorRect;  // window pixels (screenshots, the state JSON)
  double fitScale = 1;             // the scale that fits the data
  bool needFit = true;
  float pointPx = 3;  // dot size this frame
  // Pixels the overlays cover at the map's left (the legend) and bottom (a caption): a fit leaves
  // them free so that no point is hidden under them. Set by the map each frame.
  float reserveLeft = 0, reserveBottom = 0;
  float reserveTop = 0;   // presenter mode: the caption's strip at the top
  uint64_t autoFits = 0;  // fits the map made by itself (a new model or layout, the map settling)

  // From window pixels to projection units and back, for the current view.
  MapTransform transform() const { return {view.cx, view.cy, view.scale, mapRect}; }
};

inline constexpr size_t kMaxCaption = 1000;  // characters of an on-screen caption

struct StyleState {
  ColorMode colorMode = ColorMode::Label;
  std::vector<bool> hidden;  // [K] classes hidden from the legend
  bool showTrain = false;
  std::string filterText, filterError;
  std::vector<uint8_t> filterMask;  // [n] 1 = matches (empty: no filter)
  std::string caption;
  bool legendCollapsed = false;  // the map's legend folded to one button
  // What the map must upload again before it draws (set by the controllers, cleared by the map).
  bool colorsDirty = true, positionsDirty = true, atlasDirty = true;

  void setColorMode(ColorMode m) {
    colorMode = m;
    colorsDirty = true;
  }
};

struct ProjectionState : JobSlot {  // the layout job
  Projection current = Projection::Pca;
  std::optional<Projection> computing;  // the layout job's method
};

struct PendingShot {
  std::string path;
  ShotRegion region = ShotRegion::Window;
  bool replace = true;  // an existing file may be replaced (asked first from the menu; a script names it)
  int framesLeft = 0;   // frames to draw first (a menu's or dialog's last frame must not be in the shot)
  bool nowait = false;  // taken without waiting for the running jobs (a layout as it computes)
};

// A save the user asked for that would replace an existing file: it waits for their answer.
struct PendingWrite {
  std::string path;
  std::function<void()> write;
};

struct UiState {
  bool showHelp = false;
  std::optional<PendingWrite> confirmWrite;  // the overwrite question in front of the user
  std::set<std::string> ownFiles;            // files this session saved or loaded: saved again without asking
  bool focusJobs = false;                    // bring the Jobs tab to the front (a job the user started)
  std::string focusTab;                      // bring this tab to the front (the script command `tab`)
  std::string frontTab;                      // the tab in front (set as the tabs are drawn)
  bool quit = false;
  std::string sessionPath = "session.json";  // File menu and Ctrl+S
  std::string addImagePath;                  // File ▸ Add images...
  std::string layerDataset;                  // File ▸ Add layer (the bundle's OOD set when empty)
  std::vector<PendingShot> shots;            // taken after this frame is drawn
  Recent<double> frameMs{240};
  double startupMs = -1;
  double lodMs = 0;            // this frame: the level-of-detail pass (CPU)
  size_t thumbnailsShown = 0;  // image thumbnails on the map this frame
  bool devFigures = false;     // the status bar shows the frame time (View menu)
  bool presenter = false;      // presenter mode (View menu): large fonts, no developer figures, captions on top
  std::string recordPath = "demo.txt";  // File ▸ Record demo
  std::string recordCaption;            // the recording bar's caption box
  std::string scrollPanel;              // scroll this panel (the script command `scroll`) ...
  float scrollTo = 0;                   // ... to this fraction of its height, 0 = top, 1 = bottom,
  int scrollFrames = 0;                 // ... for this many more frames (its height is known after one)
};

// ------------------------------------------------------------------------------------ counterfactuals

// The CLUE panel's runs: the same explanation with the Laplace head and with the deterministic one.
struct ClueRun {
  ClueResult result;
  std::vector<float> xy;  // [T+1, 2] the path on the map (PCA, or placed like an edited point)
  float x0 = 0, y0 = 0;   // z0 on the map (vae-clue's path starts at phi(dec(u0)), not at z0)
};

// A batch run of the panel's settings over many test points (`latentlab explain`, as a job): it
// writes summary.json, points.csv and the filmstrips into a new folder.
struct ClueBatch : JobSlot {
  int mostUncertain = 100;  // the N most uncertain test points (Laplace total U), or
  bool lasso = false;       // the lasso selection's test points
  std::string out;          // the folder to write ("" until the panel proposes one)
  bool force = false;       // replace an earlier explain folder there
  nlohmann::json summary;   // the last finished run's summary.json (null: none)
  std::string written;      // where it was written
};

struct ClueState : JobSlot {  // the run of both heads
  ClueOptions options;        // the panel's settings
  std::optional<ClueRun> laplace, det;
  std::vector<ClueRun> diverse;  // diverse K: the K counterfactuals of one head (laplace and det stay empty)
  int member = 0;                // diverse K: the one the scrubber and the inspector follow
  std::vector<float> liveXY;     // [t, 2] the path of the run in progress
  uint64_t runs = 0;             // runs started (the demo recorder writes a `clue` line for each)
  int64_t fromPoint = -1;        // where the runs started (a point, or -1 for an edited latent)
  int64_t origin = -1;           // the data point the runs go back to (the selection's point)
  int inspectStep = -1;          // the inspector shows this step of the followed run (-1: the selection)
  int fromEdited = -1;
  bool followDet = false;  // the scrubber follows the deterministic run
  int scrub = 0;           // the step shown
  bool playing = false;
  double playClock = 0;  // seconds into the playback
  int nudged = -1;       // the edited point made by dragging a paused path's step
  ClueBatch batch;

  const ClueRun* followed() const {
    if (!diverse.empty()) return &diverse[size_t(std::clamp(member, 0, int(diverse.size()) - 1))];
    return followDet ? (det ? &*det : nullptr) : (laplace ? &*laplace : nullptr);
  }
};

// ------------------------------------------------------------------------------------ attributions

// The Attribution panel's integrated gradients of the selection's image, with the scrubber.
struct AttributionRun {
  AttributionResult ig;
  std::vector<float> latents;  // [m, d] phi of each node's input x' + alpha_k (x - x')
  std::vector<float> pathXY;   // [m, 2] those latents on the map
  float clip = 0;              // the colour range: the 99th percentile of |attribution| (channels summed)
  std::optional<AttributionResult>
      det;  // a latent path's attribution with the deterministic head, beside (Perez et al.)
  float detClip = 0;
};

struct AttributionState : JobSlot {
  AttributionOptions options;  // the panel's settings
  std::optional<AttributionRun> run;
  uint64_t runs = 0;       // runs started (the demo recorder writes an `ig` line for each)
  double alpha = 1.0;      // the scrubber: 0 = the baseline, 1 = the input
  int64_t fromPoint = -1;  // the point explained (-1: an edited point's decode)
  bool live = false;       // live saliency of the decode while dragging (the inspector)
  int liveSteps = 0;       // 0: the plain gradient; else IG from black with this many steps
  int channelView = 0;     // a colour image's maps: 0 the sum over channels (a pixel's), 1..3 red, green, blue alone
};

// ------------------------------------------------------------------------------------ concepts

// The Concepts tab: the DVAE's bits of the selection (Gat et al. 2022), flipped by clicks. The flips from
// one point live in one edited point holding D(bits); they go on while that point is selected.
struct ConceptState {
  int64_t fromPoint = -1;     // the point the flips started from
  std::vector<uint8_t> base;  // its code, before any flip
  std::vector<uint8_t> bits;  // the code now
  std::vector<int> flips;     // the bits flipped, in order, since the flips' point was selected
  std::vector<int> history;   // every flip made on this model, in order (the recorder counts them)
  int edited = -1;            // the edited point holding D(bits), or -1
  std::vector<float> latent;  // D(bits): checks that `edited` still is that point
  int hover = -1;             // the bit under the mouse (its flip is previewed)
  std::string error;
  bool pending = false;  // a flip is being decoded
  uint64_t serial = 0;   // counts flips (the tab comes to the front)
};

// ------------------------------------------------------------------------------------ examples

// The Examples tab (Crabbé and van der Schaar 2022): the training images that make the selection's latent what it is.
struct ExamplesRun {
  ExampleScores scores;    // every scored training point, best first (training positions)
  int64_t fromPoint = -1;  // the point explained (-1: an edited point's latent)
  int fromEdited = -1;     // the edited point explained, or -1
  int label = -1;          // the explained point's label (an edited point's: its predicted class)
};

struct ExamplesState : JobSlot {
  ExampleOptions options;  // the panel's settings
  std::optional<ExamplesRun> run;
  bool follow = true;    // DKNN and SimplEx run again when the selection changes
  int shown = 8;         // the top k and the bottom k
  Selection explained;   // the selection the run (or the running job) is of
  int64_t clicked = -1;  // the point an example click selected (following skips it)
};

struct AppState {
  Model model;
  std::string loadingDir;  // the bundle being loaded ("" none)
  ProjectionState projection;
  ViewState view;
  StyleState style;
  SelectionState selection;
  EditState edits;
  ClueState clue;
  AttributionState attribution;
  ConceptState concepts;
  ExamplesState examples;
  UiState ui;

  bool hasModel() const { return model.pts != nullptr; }
  // The points added to the map (PointTable's extra rows), for the recorder and `state`: added
  // images in order (their paths), and the layers ("DATASET N", one per `layer` command).
  uint64_t addedImageCount() const;
  std::string addedImagePath(uint64_t k) const;
  uint64_t layerCount() const { return model.layers.size(); }
  std::string layerArgs(uint64_t k) const { return k < model.layers.size() ? model.layers[size_t(k)] : ""; }
};

// The PCA positions [n, 2] of the table's first n points.
std::vector<float> pcaPositions(const Pca2& pca, const PointTable& t, int64_t n);

// Centres the view on the data and scales it to fill the map (nothing without a model).
void fitView(AppState& s);

// Keeps the view drawable and savable whatever the wheel, the keys or a script did: a scale within
// 1e-3 to 1e5 times the fit scale, a centre within ten data widths of the data (a non-finite value
// fits the view). Nothing without a model. Called once a frame.
void clampView(AppState& s);

// `latentlab train`'s defaults, except the deep-ensemble comparator (N more classifiers, only used
// by the eval table), which the GUI leaves off unless asked for.
TrainOptions guiTrainOptions();

}  // namespace latentlab::gui
