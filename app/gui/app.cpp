// The explorer window: the GLFW window and GL context, Dear ImGui, the frame loop, and the wiring of
// the panels, the script runner and the frame benchmark to one Context. What each part does lives
// in its own file: controllers/, map/, panels/, widgets/, menu_bar, shortcuts, session_io,
// state_json, screenshot, script_runner, frame_bench. UI thread only; every LibTorch call goes
// through the Worker (worker.h).
#include <epoxy/gl.h>
#include <filesystem>
// epoxy first, then GLFW without its own GL header.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "context.h"
#include "frame_bench.h"
#include "gui.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "map/map_panel.h"
#include "menu_bar.h"
#include "panels/attribution_panel.h"
#include "panels/clue_panel.h"
#include "panels/concepts_panel.h"
#include "panels/confirm_dialog.h"
#include "panels/edited_panel.h"
#include "panels/error_dialog.h"
#include "panels/examples_panel.h"
#include "panels/help_window.h"
#include "panels/inspector_panel.h"
#include "panels/jobs_panel.h"
#include "panels/log_panel.h"
#include "panels/model_panel.h"
#include "panels/recording_bar.h"
#include "panels/tab_host.h"
#include "screenshot.h"
#include "script_host.h"
#include "script_runner.h"
#include "shortcuts.h"
#include "widgets/gl_textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The UI font (and a larger one for captions), from the first of these that is a readable
// TrueType file; else ImGui's built-in font, scaled for captions.
constexpr float kPresenterScale = 1.5f;  // presenter mode's font size, relative to the normal one

const char* const kFontPaths[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
                                  "/usr/share/fonts/truetype/freefont/FreeSans.ttf"};

bool readableTrueType(const char* path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  if (!f.read(magic, 4)) return false;
  const std::string m(magic, 4);
  return m == std::string("\0\1\0\0", 4) || m == "true" || m == "OTTO";
}

// Font 2 is fixed-width (tables): DejaVu Sans Mono, else ImGui's built-in font, which is one too.
const char* const kMonoFontPaths[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                                      "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"};

void loadMonoFont(ImGuiIO& io) {
  for (const char* path : kMonoFontPaths)
    if (readableTrueType(path) && io.Fonts->AddFontFromFileTTF(path, 13.0f)) return;
  io.Fonts->AddFontDefault();
}

std::string loadFonts(ImGuiIO& io) {
  for (const char* path : kFontPaths)
    if (readableTrueType(path) && io.Fonts->AddFontFromFileTTF(path, 15.0f) &&
        io.Fonts->AddFontFromFileTTF(path, 26.0f)) {
      loadMonoFont(io);
      return "";
    }
  io.Fonts->Clear();
  io.Fonts->AddFontDefault();
  ImFontConfig big;
  big.SizePixels = 26.0f;
  io.Fonts->AddFontDefault(&big);
  loadMonoFont(io);
  return std::string("no TrueType font found (looked for ") + kFontPaths[0] +
         " and others): using ImGui's built-in font";
}

struct Layout {
  MapRect map, inspector, tabs;
};

// The map on the left; on the right the inspector over the tabs.
// Presenter mode's larger fonts get a wider side panel.
Layout windowLayout(int ww, int wh, float menuHeight, bool presenter) {
  const float side = presenter ? std::max(420.0f, std::min(680.0f, float(ww) * 0.4f))
                               : std::max(380.0f, std::min(520.0f, float(ww) * 0.32f));
  const float h = float(wh) - menuHeight;
  return {{0, menuHeight, float(ww) - side, h},
          {float(ww) - side, menuHeight, side, h * 0.56f},
          {float(ww) - side, menuHeight + h * 0.56f, side, h * 0.44f}};
}

class App {
 public:
  explicit App(const GuiOptions& opt)
      : m_ctx(opt, m_textures), m_host(m_ctx), m_bench(opt.benchFrames, opt.benchAll, opt.benchResult) {}
  int run();

 private:
  bool openWindow();
  void startScriptAndModel();
  bool animating() const;
  void frame();
  void drawInspectorWindow(const MapRect& r);
  void afterDraw(Clock::time_point frameStart, int ww, int wh);
  void exportFrame(int ww, int wh);
  void record();
  void finishExport();
  void closeWindow();

  GlTextures m_textures;  // before the Context, which refers to it
  Context m_ctx;
  GLFWwindow* m_window = nullptr;
  AppScriptHost m_host;
  ScriptRunner m_script;
  FrameBench m_bench;
  MenuBar m_menu;
  MapPanel m_map;
  InspectorPanel m_inspector;
  TabHost m_tabs;
  std::vector<Panel*> m_overlays;  // the tabs, each of which may draw over the map
  bool m_shotDone = false, m_shotOk = false, m_loadedOnce = false;
  int m_framesSinceIdle = 0;
  int m_framesWritten = 0;  // --frames
  std::string m_framesCsv;
  bool m_recordStarted = false;  // --record
  std::string m_recordError;
};

bool App::openWindow() {
  glfwSetErrorCallback(
      [](int code, const char* desc) { std::cerr << "latentlab: glfw error " << code << ": " << desc << "\n"; });
  if (!glfwInit()) {
    std::cerr << "latentlab: error: cannot open a window (no display? set DISPLAY or run under xvfb-run)\n";
    return false;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
  const GuiOptions& opt = m_ctx.opt;
  m_window = glfwCreateWindow(opt.width, opt.height, "LatentLab", nullptr, nullptr);
  if (!m_window) {
    std::cerr << "latentlab: error: cannot create an OpenGL 3.3 core window\n";
    glfwTerminate();
    return false;
  }
  glfwMakeContextCurrent(m_window);
  glfwSwapInterval(m_bench.enabled() || !opt.script.empty() || !opt.screenshot.empty() ? 0 : 1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  const std::string fontNote = loadFonts(io);
  if (!fontNote.empty()) m_ctx.log.info(fontNote);
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0;
  ImGui_ImplGlfw_InitForOpenGL(m_window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  std::string err;
  if (!m_map.initRenderer(err)) {
    std::cerr << "latentlab: error: " << err << "\n";
    return false;
  }
  m_ctx.worker->setWake([] { glfwPostEmptyEvent(); });
  // Files dropped on the window go on the map (GLFW calls this from glfwPollEvents, on this thread).
  glfwSetWindowUserPointer(m_window, &m_ctx);
  glfwSetDropCallback(m_window, [](GLFWwindow* w, int count, const char** paths) {
    auto* ctx = static_cast<Context*>(glfwGetWindowUserPointer(w));
    if (!ctx || count <= 0) return;
    if (!ctx->state.hasModel()) return ctx->log.error("load a bundle before dropping images on it");
    ctx->extras.addImages(std::vector<std::string>(paths, paths + count));
  });
  return true;
}

void App::startScriptAndModel() {
  const GuiOptions& opt = m_ctx.opt;
  if (!opt.script.empty()) {
    Script script;
    try {
      script = loadScriptFile(opt.script);
    } catch (const Error& e) {
      m_ctx.log.error(e.what());
    }
    for (const auto& e : script.errors) m_ctx.log.error(e.message);
    m_script = ScriptRunner(std::move(script));  // starts once the first model has loaded (or failed to)
    namespace fs = std::filesystem;
    const std::string base = opt.record.empty() ? "." : fs::absolute(opt.record).parent_path().string();
    m_ctx.scriptOutputs.configure(opt.allowWrites, opt.outDir, base, fs::path(opt.script).stem().string());
    if (!opt.framesDir.empty()) m_script.setExport(opt.fps);
  }
  if (!opt.bundle.empty()) m_ctx.models.load(opt.bundle);
  m_tabs.add(std::make_unique<ModelPanel>());
  m_tabs.add(std::make_unique<JobsPanel>());
  m_tabs.add(std::make_unique<EditedPanel>());
  m_tabs.add(std::make_unique<CluePanel>());
  m_tabs.add(std::make_unique<AttributionPanel>());
  m_tabs.add(std::make_unique<ConceptsPanel>());
  m_tabs.add(std::make_unique<ExamplesPanel>());
  m_tabs.add(std::make_unique<LogPanel>());
  for (const auto& p : m_tabs.tabs()) m_overlays.push_back(p.get());
}

// Frames are drawn continuously (up to 60 a second) only while something on screen moves: a drag,
// a lasso, a pan, a script step, a benchmark, a panel's animation. A background job alone redraws
// 5 times a second for its progress bar, so that the rasteriser leaves the cores to the job (at 60
// a second a GUI training run took 12x as long as `latentlab train`). Results from the workers
// wake the loop at once (Worker::setWake).
bool App::animating() const {
  const bool idle = m_ctx.worker->idle();
  bool panels = false;
  for (const auto& p : m_tabs.tabs()) panels = panels || p->animating(m_ctx);
  return m_map.animating(m_ctx) || panels || m_bench.wantsFrames(m_ctx) || m_script.wantsFrames() ||
         !m_ctx.state.ui.shots.empty() || (!m_ctx.opt.screenshot.empty() && idle) ||
         ImGui::IsMouseDown(ImGuiMouseButton_Left) || ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
         ImGui::IsMouseDown(ImGuiMouseButton_Middle);
}

void App::drawInspectorWindow(const MapRect& r) {
  ImGui::SetNextWindowPos(ImVec2(r.left, r.top));
  ImGui::SetNextWindowSize(ImVec2(r.width, r.height));
  // The fixed windows never come to the front: help and dialogs stay over them after a click.
  ImGui::Begin(m_inspector.name(), nullptr,
               ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoCollapse);
  const ImVec2 p = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  m_ctx.state.view.inspectorRect = {p.x, p.y, size.x, size.y};
  m_inspector.draw(m_ctx);
  applyScriptScroll(m_ctx.state.ui, "inspector");
  ImGui::End();
}

// Runs `step`; an exception it throws is reported and the app goes on (nothing may end the process
// and lose the user's unsaved edits).
template <class F>
void guarded(MessageLog& log, const char* what, F&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    log.error(std::string("internal error in ") + what + ": " + torchErrorSummary(e) + " (the explorer goes on)");
  }
}

void App::frame() {
  const auto frameStart = Clock::now();
  m_ctx.worker->drainUi([this](const std::string& e) { m_ctx.log.error("internal error in a result: " + e); });
  guarded(m_ctx.log, "a shortcut", [&] { handleShortcuts(m_ctx); });
  guarded(m_ctx.log, "the script", [&] { m_script.step(m_host); });
  if (m_bench.enabled()) m_bench.beforeFrame(m_ctx);

  ImGui::GetIO().FontGlobalScale = m_ctx.state.ui.presenter ? kPresenterScale : 1.0f;
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  // An export shows the script, not wherever the pointer happens to rest (no hover, no tooltip).
  if (!m_ctx.opt.framesDir.empty()) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
  ImGui::NewFrame();
  int ww = 0, wh = 0;
  glfwGetWindowSize(m_window, &ww, &wh);
  clampView(m_ctx.state);
  try {
    m_menu.draw(m_ctx);
    const Layout layout = windowLayout(ww, wh, ImGui::GetFrameHeight(), m_ctx.state.ui.presenter);
    m_map.draw(m_ctx, layout.map, m_overlays);
    drawInspectorWindow(layout.inspector);
    m_tabs.draw(m_ctx, layout.tabs);
    drawRecordingBar(m_ctx, layout.map);
    drawHelpWindow(m_ctx);
    drawErrorDialog(m_ctx);
    drawConfirmDialog(m_ctx);
  } catch (const std::exception& e) {
    ImGui::ErrorCheckEndFrameRecover(nullptr);  // close what the failed panel left open
    m_ctx.log.error("internal error while drawing: " + torchErrorSummary(e) + " (the explorer goes on)");
  }
  ImGui::Render();
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(m_window, &fw, &fh);
  glViewport(0, 0, fw, fh);
  glClearColor(0.1f, 0.1f, 0.11f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  afterDraw(frameStart, ww, wh);
}

// Startup time, screenshots (they read this frame's back buffer, before the swap), the swap, the
// frame timer and the benchmark.
void App::afterDraw(Clock::time_point frameStart, int ww, int wh) {
  AppState& s = m_ctx.state;
  if (s.hasModel() && s.ui.startupMs < 0) {
    glFinish();
    s.ui.startupMs = msSince(m_ctx.opt.processStart);
    m_ctx.log.info("first frame with points " + std::to_string(int(s.ui.startupMs)) + " ms after start");
  }
  // A script's `screenshot PATH nowait` is taken at once; the others once the jobs are done.
  const bool shotNow = !s.ui.shots.empty() && s.ui.shots.front().nowait;
  if (!s.ui.shots.empty() && (m_framesSinceIdle >= 2 || shotNow)) takePendingShots(m_ctx, m_window);
  const bool idle = m_ctx.worker->idle();
  if (!m_ctx.opt.screenshot.empty() && !m_shotDone && idle && (s.hasModel() || !m_ctx.log.lastError().empty()) &&
      m_framesSinceIdle >= 3) {
    const size_t errorsBefore = m_ctx.log.errorCount();
    takeScreenshot(m_ctx, m_window, m_ctx.opt.screenshot, {0, 0, float(ww), float(wh)}, m_ctx.opt.force);
    m_shotOk = m_ctx.log.errorCount() == errorsBefore;
    m_loadedOnce = s.hasModel();
    m_shotDone = true;
    if (!m_script.active()) s.ui.quit = true;
  }
  m_framesSinceIdle = m_ctx.worker->idle() ? m_framesSinceIdle + 1 : 0;
  exportFrame(ww, wh);
  record();
  if (m_bench.enabled()) glFinish();
  glfwSwapBuffers(m_window);
  const double ms = msSince(frameStart);
  s.ui.frameMs.push(ms);
  if (m_bench.enabled()) m_bench.afterFrame(m_ctx, ms, ww, wh, reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
}

// `--frames DIR`: each of the script's own frames (its waits and drags) as DIR/frame_NNNNNN.png,
// with a line of DIR/frames.csv (the caption, and where the selected or dragged point is); the
// window closes when the script has ended.
void App::exportFrame(int ww, int wh) {
  const GuiOptions& opt = m_ctx.opt;
  if (opt.framesDir.empty()) return;
  AppState& s = m_ctx.state;
  if (m_script.countedFrame()) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%06d.png", m_framesWritten + 1);
    const size_t errorsBefore = m_ctx.log.errorCount();
    takeScreenshot(m_ctx, m_window, opt.framesDir + "/" + name, {0, 0, float(ww), float(wh)}, true, false);
    if (m_ctx.log.errorCount() != errorsBefore) {
      s.ui.quit = true;  // a full disk: stop rather than write a film with holes
      return;
    }
    ++m_framesWritten;
    float x = 0, y = 0;
    const Drag& d = s.edits.drag;
    if (d.active)
      x = d.zx, y = d.zy;
    else if (s.hasModel())
      m_ctx.edits.currentPosition(x, y);
    std::string caption;  // RFC 4180: quoted, a quote doubled
    for (char c : s.style.caption) caption += c == '"' ? std::string("\"\"") : std::string(1, c);
    char row[96];
    std::snprintf(row, sizeof row, "%d,%s,%d,%.9g,%.9g,", m_framesWritten, name, d.active ? 1 : 0, double(x),
                  double(y));
    m_framesCsv += row + ("\"" + caption + "\"\n");
  }
  if (m_script.finished() && !m_script.wantsFrames() && m_ctx.worker->idle() && s.ui.shots.empty()) s.ui.quit = true;
}

// The export's index of frames, written when the window closes (also after a script's quit).
void App::finishExport() {
  const GuiOptions& opt = m_ctx.opt;
  if (opt.framesDir.empty()) return;
  // frames.csv marks a complete export: written last, and only when nothing went wrong.
  if (m_ctx.log.errorCount() > 0 || (!m_script.finished() && !m_script.quitRequested())) {
    std::cerr << "latentlab: the export did not complete: " << m_framesWritten << " frames in " << opt.framesDir
              << ", and no frames.csv\n";
    return;
  }
  try {
    writeFileAtomic(opt.framesDir + "/frames.csv", "frame,file,dragging,point_x,point_y,caption\n" + m_framesCsv);
  } catch (const std::exception& e) {
    m_ctx.log.error(e.what());
  }
  std::cerr << "latentlab: wrote " << m_framesWritten << " frames at " << opt.fps << " a second into " << opt.framesDir
            << "\n";
  if (m_framesWritten == 0) std::cerr << "latentlab: warning: no frames: the script has no wait or drag to show\n";
}

// --record FILE starts once the model is up and the view fitted; the recorder looks at every frame.
void App::record() {
  AppState& s = m_ctx.state;
  if (!m_ctx.opt.record.empty() && !m_recordStarted && s.hasModel() && !s.view.needFit) {
    m_recordStarted = true;
    s.ui.recordPath = m_ctx.opt.record;
    startRecording(m_ctx);
    if (!m_ctx.recorder.active()) m_recordError = "--record " + m_ctx.opt.record + ": " + m_ctx.log.lastError();
  }
  if (!m_ctx.recorder.active()) return;
  const bool input = ImGui::IsMouseDown(ImGuiMouseButton_Left) || ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
                     ImGui::IsMouseDown(ImGuiMouseButton_Middle);
  const double now = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  const std::string err = m_ctx.recorder.observe(s, now, input);
  if (!err.empty() && err != m_recordError) m_ctx.log.error(err);
  if (!err.empty()) m_recordError = err;  // kept: the exit code says the recording is incomplete
}

void App::closeWindow() {
  if (m_ctx.recorder.active()) {  // the file is complete before anything else goes
    const size_t errors = m_ctx.log.errorCount();
    stopRecording(m_ctx);
    if (m_ctx.log.errorCount() != errors) m_recordError = m_ctx.log.lastError();
  }
  finishExport();
  m_ctx.shutdown();  // joins the workers (cancelling jobs) before GL and the model go away
  m_map.destroyRenderer();
  m_textures.destroy();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(m_window);
  glfwTerminate();
}

int App::run() {
  if (!openWindow()) return 1;
  startScriptAndModel();
  auto last = Clock::now();
  while (!glfwWindowShouldClose(m_window) && !m_ctx.state.ui.quit &&
         !(m_ctx.opt.terminate && m_ctx.opt.terminate->load())) {
    if (animating())
      glfwPollEvents();
    else
      glfwWaitEventsTimeout(m_ctx.worker->idle() ? 0.25 : 0.2);
    frame();
    // Without vsync (Xvfb), cap interactive use at about 60 frames a second so that the compute
    // worker keeps the cores.
    if (!m_bench.enabled()) {
      const double spent = msSince(last);
      if (spent < 16.0) std::this_thread::sleep_for(std::chrono::microseconds(int((16.0 - spent) * 1000)));
    }
    last = Clock::now();
  }
  closeWindow();
  // A --screenshot run is for scripts and CI: it fails when it has no model or no image to show.
  if (!m_ctx.opt.screenshot.empty() && (!m_shotOk || !m_loadedOnce)) return 1;
  // An export is for slides: a script error (a false expect, a bad path) fails it.
  if (!m_ctx.opt.framesDir.empty() && m_ctx.log.errorCount() > 0) {
    std::cerr << "latentlab: error: the export had " << m_ctx.log.errorCount()
              << " error(s); the last: " << m_ctx.log.lastError() << "\n";
    return 1;
  }
  if (!m_ctx.opt.framesDir.empty() && !m_script.finished() && !m_script.quitRequested()) {
    std::cerr << "latentlab: error: the export was stopped before the end of its script (the window closed)\n";
    return 1;
  }
  if (!m_ctx.opt.record.empty() && !m_recordStarted) {
    std::cerr << "latentlab: error: --record " << m_ctx.opt.record
              << ": the recording never started (no model loaded)\n";
    return 1;
  }
  if (!m_ctx.opt.record.empty() && !m_recordError.empty()) {
    std::cerr << "latentlab: error: " << m_recordError << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

bool builtWithWindow() { return true; }

int runGui(const GuiOptions& opt) {
  if (!opt.framesDir.empty() && !opt.script.empty()) {
    // The export's length is known before it starts: a typo such as `wait 1000000` must not fill the disk.
    constexpr long kMaxExportFrames = 100000;  // about 55 minutes at 30 frames a second
    try {
      const long frames = ScriptRunner::scriptFrames(loadScriptFile(opt.script), opt.fps);
      if (frames > kMaxExportFrames) {
        std::cerr << "latentlab: error: [gui] --frames: the script is " << frames << " frames at --fps " << opt.fps
                  << ", more than " << kMaxExportFrames << " (a long `wait`?)\n";
        return 1;
      }
    } catch (const Error&) {  // an unreadable script is reported when the window starts it
    }
  }
  App app(opt);
  return app.run();
}

}  // namespace latentlab::gui
