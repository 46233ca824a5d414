// `latentlab gui [BUNDLE]` (also what runs without a subcommand): the explorer window.
#include <cstdio>

#include "cli/command.h"
#include "gui.h"
#include "latentlab/errors.h"
#include "latentlab/fsutil.h"
#include "latentlab/gui_script.h"
#include "latentlab/pipeline.h"

namespace latentlab::cli {

namespace {

class GuiCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("gui", "Open the explorer (default) on a bundle");
    m_sub->add_option("bundle", m_opt.bundle, "Bundle directory (default: the shipped fashion-mnist)");
    m_sub->add_option("--script", m_opt.script, "Run the commands in FILE (one a line); stays open unless it ends with quit");
    m_sub->add_option("--screenshot", m_opt.screenshot, "Render the loaded model, save the window as PNG, and exit");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--size", m_size, "Window size WIDTHxHEIGHT (default 1600x960)");
    m_sub->add_flag("--force", m_opt.force, "Let --screenshot replace an existing file");
  }
  // The window keeps one core for itself (the UI thread and the software GL rasteriser); LibTorch
  // gets the others, so that no frame waits behind a background job.
  int threads(int cores) const override { return std::max(1, cores - 1); }

  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    if (m_opt.bundle.empty()) m_opt.bundle = defaultBundlePath("fashion-mnist", ctx.exeDir);
    if (m_opt.bundle.empty()) throw BundleError("[gui] shipped bundle assets/models/fashion-mnist not found");
    if (!m_size.empty()) {
      int w = 0, h = 0;
      char extra = 0;
      if (std::sscanf(m_size.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 16384 || h > 16384)
        throw InputError("[gui] --size '" + m_size + "' is not WIDTHxHEIGHT (at least 320x240)");
      m_opt.width = w;
      m_opt.height = h;
    }
    if (!m_opt.script.empty()) loadScriptFile(m_opt.script);  // an unreadable script: exit 1 before the window opens
    if (!m_opt.screenshot.empty()) checkOutputFile(m_opt.screenshot, m_opt.force);
    m_opt.processStart = ctx.processStart;
    m_opt.terminate = ctx.cancel;
    return gui::runGui(m_opt);
  }

 private:
  gui::GuiOptions m_opt;
  std::string m_size;
};

}  // namespace

std::unique_ptr<Command> makeGuiCommand() { return std::make_unique<GuiCommand>(); }

}  // namespace latentlab::cli
