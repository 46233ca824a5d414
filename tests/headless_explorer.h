#pragma once
// The explorer without its window, for tests: a Context (the controllers, the worker, the state)
// on the shipped bundle, the worker's results handed to the state as the frame loop hands them,
// and scripts run as `latentlab gui --script` runs them, with no display, GL or ImGui.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "commands/script.h"
#include "context.h"
#include "script_host.h"
#include "script_runner.h"
#include "widgets/textures.h"

namespace latentlab::gui::testing {

// Images are noted by slot, not drawn (the panel tests draw a placeholder of the same size).
struct NoTextures : Textures {
  std::vector<std::string> shown;
  void show(const std::string& slot, const std::vector<uint8_t>&, int, int, float) override { shown.push_back(slot); }
  void showSigned(const std::string& slot, const std::vector<float>&, int, int, float, float, bool) override {
    shown.push_back(slot);
  }
};

// The shipped Fashion-MNIST bundle (ctest sets LATENTLAB_TEST_BUNDLE).
inline std::string shippedBundle() {
  const char* b = std::getenv("LATENTLAB_TEST_BUNDLE");
  return b ? b : "";
}

class HeadlessExplorer {
 public:
  // Textures first: the Context refers to them. A bundle of "" loads nothing.
  explicit HeadlessExplorer(const std::string& bundle, Textures* tex = nullptr)
      : textures(tex ? *tex : m_noTextures), ctx(GuiOptions{}, textures), host(ctx) {
    ctx.state.view.mapRect = {0, 20, 1100, 940};    // the map's rectangle in a 1600x960 window
    ctx.scriptOutputs.configure(true, "", "", "");  // the tests' scripts write where they say (--allow-writes)
    if (!bundle.empty()) {
      ctx.models.load(bundle);
      settle();
    }
  }
  ~HeadlessExplorer() { ctx.shutdown(); }

  // One frame's worth of the frame loop without drawing: the worker's results, the map's fit and
  // the view kept drawable; screenshots count as taken.
  void frame() {
    ctx.worker->drainUi([this](const std::string& e) { ctx.log.error("internal error in a result: " + e); });
    AppState& s = ctx.state;
    if (s.hasModel() && s.view.needFit) fitView(s);
    clampView(s);
    s.ui.shots.clear();
  }
  // Frames until the worker has nothing left (false if it still has after `seconds`).
  bool settle(double seconds = 600) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
      frame();
      if (ctx.worker->idle()) return true;
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // Runs `text` as a script to its end; returns the errors it logged (each "line N: ...").
  std::vector<std::string> run(const std::string& text) { return run(parseScript(text, "test")); }
  std::vector<std::string> run(Script script) {
    const size_t before = ctx.log.errorCount();
    for (const auto& e : script.errors) ctx.log.error(e.message);
    ScriptRunner r(std::move(script));
    for (int f = 0; f < 1000000; ++f) {
      frame();
      r.step(host);
      if (r.quitRequested() || r.done()) break;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    settle();
    const auto& errs = ctx.log.errors();
    const size_t n = ctx.log.errorCount() - before;
    return std::vector<std::string>(errs.end() - long(std::min(n, errs.size())), errs.end());
  }

 private:
  NoTextures m_noTextures;

 public:
  Textures& textures;
  Context ctx;
  AppScriptHost host;
};

}  // namespace latentlab::gui::testing
