#include "script_host.h"

#include <cctype>
#include <filesystem>

#include "context.h"
#include "expect.h"
#include "latentlab/util/errors.h"
#include "selection_summary.h"
#include "session_io.h"
#include "state_json.h"

namespace latentlab::gui {

void AppScriptHost::load(const std::string& dir) { m_ctx.models.load(dir); }
void AppScriptHost::project(Projection p) { m_ctx.projection.apply(p); }
void AppScriptHost::cancelJobs() {
  for (auto& j : m_ctx.worker->jobs())
    if (!j->finished) j->cancel = true;
}
std::string AppScriptHost::exportLayout(const std::string& path) { return m_ctx.projection.exportCsv(path, true); }
void AppScriptHost::importLayout(const std::string& path) { m_ctx.projection.importCsv(path); }
void AppScriptHost::color(ColorMode m) {
  const AppState& s = m_ctx.state;
  if (m != ColorMode::Label && s.hasModel() && !s.model.pts->hasClassifier)
    return m_ctx.log.error(std::string("color ") + colorModeKey(m) +
                           ": this bundle's encoder was trained without labels, "
                           "so there are no predictions or uncertainties to colour by (color label works)");
  m_ctx.state.style.setColorMode(m);
}
void AppScriptHost::select(int64_t index) { m_ctx.edits.selectPoint(index); }
bool AppScriptHost::hasSelection() const { return m_ctx.state.hasModel() && m_ctx.state.selection.sel.any(); }
void AppScriptHost::dragBy(float dx, float dy) {
  m_ctx.edits.beginDrag();
  Drag& d = m_ctx.state.edits.drag;
  d.byScript = true;
  m_ctx.edits.dragTo(d.x0 + dx, d.y0 + dy);
}
void AppScriptHost::dragMove(float dx, float dy) {
  const Drag& d = m_ctx.state.edits.drag;
  if (!d.active) return m_ctx.log.error("drag: the drag ended before its last frame (a load or an undo?)");
  m_ctx.edits.dragTo(d.x0 + dx, d.y0 + dy);
}
void AppScriptHost::presenter(bool on) { m_ctx.state.ui.presenter = on; }
void AppScriptHost::commitDrag() { m_ctx.edits.commitDrag(); }
void AppScriptHost::screenshot(const std::string& path, ShotRegion region, bool nowait) {
  PendingShot shot{path, region, true};
  shot.nowait = nowait;
  m_ctx.state.ui.shots.push_back(shot);
}
void AppScriptHost::writeState(const std::string& path) { writeStateJson(m_ctx, path); }
void AppScriptHost::caption(const std::string& text) { m_ctx.state.style.caption = clipForMessage(text, kMaxCaption); }
std::string AppScriptHost::filter(const std::string& expr) {
  m_ctx.state.style.filterText = expr;
  return m_ctx.edits.applyFilter();
}
void AppScriptHost::fit() { fitView(m_ctx.state); }
void AppScriptHost::zoom(double factor) {
  m_ctx.state.view.view.scale *= factor;
  clampView(m_ctx.state);
}
void AppScriptHost::center(double x, double y) {
  m_ctx.state.view.view.cx = x;
  m_ctx.state.view.view.cy = y;
  clampView(m_ctx.state);
}
void AppScriptHost::showTrain(bool on) { m_ctx.models.showTrainPoints(on); }
void AppScriptHost::trainModel(const TrainOptions& options) { m_ctx.models.trainModel(options); }
void AppScriptHost::snap(bool on) { m_ctx.edits.setSnap(on); }
void AppScriptHost::undo() { m_ctx.edits.undo(); }
void AppScriptHost::clue(const ClueOptions& options) { m_ctx.clue.run(options); }
void AppScriptHost::clueZoom() { m_ctx.clue.zoomToPaths(); }
void AppScriptHost::ig(const AttributionOptions& options) { m_ctx.attribution.run(options); }
void AppScriptHost::scrub(double alpha) { m_ctx.attribution.scrubTo(alpha); }
void AppScriptHost::flip(int bit) { m_ctx.concepts.flip(bit); }
void AppScriptHost::examples(const ExampleOptions& options) { m_ctx.examples.run(options); }
void AppScriptHost::selectExample(bool top, int rank) { m_ctx.examples.selectExample(top, rank); }
void AppScriptHost::tab(const std::string& name) {
  static const char* const kTabs[] = {"Model", "Jobs", "Edited", "CLUE", "Attribution", "Concepts", "Examples", "Log"};
  auto lower = [](std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const char* t : kTabs)
    if (lower(t) == lower(name)) {
      m_ctx.state.ui.focusTab = t;
      return;
    }
  error("tab: no tab '" + clipForMessage(name, 40) +
        "'; the tabs are Model, Jobs, Edited, CLUE, Attribution, Concepts, Examples, Log");
}
void AppScriptHost::scroll(const std::string& panel, double fraction) {
  UiState& ui = m_ctx.state.ui;
  if (panel == "help" && !ui.showHelp) return error("scroll help: the help window is not open (help on first)");
  ui.scrollPanel = panel;
  ui.scrollTo = float(fraction);
  ui.scrollFrames = 3;
}
void AppScriptHost::help(bool open) { m_ctx.state.ui.showHelp = open; }
void AppScriptHost::selectMatches() {
  if (!m_ctx.state.style.filterError.empty())
    return error("select-matches: the filter has an error (" + m_ctx.state.style.filterError +
                 "); the selection is unchanged");
  if (m_ctx.state.style.filterMask.empty()) return error("select-matches: no filter is set (use filter EXPR first)");
  m_ctx.edits.setMultiSelection(maskedPoints(m_ctx.state.style.filterMask));
}
void AppScriptHost::legend(bool shown) { m_ctx.state.style.legendCollapsed = !shown; }
std::string AppScriptHost::expect(const std::string& key, const std::string& op, const std::string& value) {
  return checkFact(stateJson(m_ctx), key, op, value);
}
void AppScriptHost::saliency(bool on, int steps) { m_ctx.attribution.setLive(on, steps); }
bool AppScriptHost::batchRunning() const { return m_ctx.state.clue.batch.running(); }
void AppScriptHost::clueBatch(const std::string& out, int64_t n, const ClueOptions& options) {
  ClueBatch& b = m_ctx.state.clue.batch;
  m_ctx.state.clue.options = options;
  b.out = out;
  b.lasso = n == 0;
  if (n > 0) b.mostUncertain = int(n);
  m_ctx.clue.runBatch();
  if (!b.error.empty()) m_ctx.log.error("clue-batch: " + b.error);
}
void AppScriptHost::saveSession(const std::string& path) { saveSessionTo(m_ctx, path, true); }
void AppScriptHost::loadSession(const std::string& path) { loadSessionFrom(m_ctx, path); }
void AppScriptHost::exportCsv(const std::string& path) { exportSelectionCsv(m_ctx, path, true); }
void AppScriptHost::quit() { m_ctx.state.ui.quit = true; }
bool AppScriptHost::idle() const { return m_ctx.worker->idle(); }
bool AppScriptHost::shotsPending() const { return !m_ctx.state.ui.shots.empty(); }
bool AppScriptHost::fileExists(const std::string& path) const {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}
void AppScriptHost::error(const std::string& message) { m_ctx.log.error(message); }
void AppScriptHost::log(const std::string& message) { m_ctx.log.info(message); }
void AppScriptHost::runningLine(int line) {
  m_ctx.log.setPrefix(line > 0 ? "line " + std::to_string(line) + ": " : "");
}

}  // namespace latentlab::gui
