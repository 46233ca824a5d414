// `latentlab gui [BUNDLE]` (also what runs without a subcommand): the explorer window.
#include <unistd.h>
#include <cstdio>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "commands/command.h"
#include "commands/script.h"
#include "gui.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::cli {

namespace {

class GuiCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("gui", "Open the explorer (default) on a bundle");
    m_sub->add_option("bundle", m_opt.bundle, "Bundle directory (default: the shipped fashion-mnist)");
    m_sub->add_option("--script", m_opt.script,
                      "Run the commands in FILE (one a line); stays open unless it ends with quit");
    m_sub->add_option("--screenshot", m_opt.screenshot, "Render the loaded model, save the window as PNG, and exit");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--size", m_size, "Window size WIDTHxHEIGHT (default 1600x960)");
    m_sub->add_option("--record", m_opt.record,
                      "Record a demo into FILE from the start (as File > Record demo): every change to what is shown "
                      "becomes a script line; the file is complete after every line");
    m_sub->add_option("--frames", m_opt.framesDir,
                      "Render the --script replay into DIR/frame_NNNNNN.png (the script's waits and drags, at --fps), "
                      "with DIR/frames.csv, then exit");
    m_sub->add_option("--fps", m_fps, "Frames a second for --frames (default 30; waits and drags are at 60)");
    m_sub->add_option("--out-dir", m_opt.outDir,
                      "Where the --script's screenshot, export-*, state, session-save, clue-batch and train-model "
                      "paths go (default: a new folder SCRIPT-out beside the --record file or here)");
    m_sub->add_flag("--allow-writes", m_opt.allowWrites,
                    "Let the --script write where its paths say (absolute, .., existing files): only for a script "
                    "you trust");
    m_sub->add_flag("--commands", m_listCommands,
                    "Print the script commands (usage, what each does, the state keys it changes) as a Markdown "
                    "table, and exit");
    m_sub->add_flag(
        "--force", m_opt.force,
        "Let --screenshot and --record replace an existing file, and --frames write into a non-empty folder");
  }
  // The window keeps one core for itself (the UI thread and the software GL rasteriser); LibTorch
  // gets the others, so that no frame waits behind a background job.
  int threads(int cores) const override { return std::max(1, cores - 1); }

  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    if (m_listCommands) {
      std::cout << gui::commandTableMarkdown() << std::flush;
      if (!std::cout) throw InputError("[gui] --commands: the table could not be written to the standard output");
      return 0;
    }
    if (m_opt.bundle.empty()) m_opt.bundle = defaultBundlePath("fashion-mnist", ctx.exeDir);
    if (m_opt.bundle.empty()) throw BundleError("[gui] shipped bundle assets/models/fashion-mnist not found");
    if (!m_size.empty()) {
      int w = 0, h = 0;
      char extra = 0;
      if (std::sscanf(m_size.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 16384 || h > 16384)
        throw InputError("[gui] --size '" + m_size + "' is not WIDTHxHEIGHT (320x240 to 16384x16384)");
      m_opt.width = w;
      m_opt.height = h;
    }
    if (!m_opt.script.empty())
      gui::loadScriptFile(m_opt.script);  // an unreadable script: exit 1 before the window opens
    if ((!m_opt.outDir.empty() || m_opt.allowWrites) && m_opt.script.empty())
      throw InputError("[gui] --out-dir and --allow-writes are for a --script's writes; there is no --script");
    if (!m_opt.outDir.empty() && m_opt.allowWrites)
      throw InputError("[gui] --out-dir and --allow-writes do not go together: choose one");
    if (!m_opt.outDir.empty()) {
      namespace fs = std::filesystem;
      std::error_code ec;
      while (m_opt.outDir.size() > 1 && m_opt.outDir.back() == '/') m_opt.outDir.pop_back();  // "dir/" is dir
      const std::string real = fs::weakly_canonical(fs::absolute(m_opt.outDir), ec).string();
      if (real.rfind("/proc", 0) == 0 || real.rfind("/dev", 0) == 0)
        throw InputError("[gui] --out-dir " + m_opt.outDir + " leads to " + real + ", which is not a place for files");
      const fs::file_status st = fs::symlink_status(m_opt.outDir, ec);
      if (fs::is_symlink(st) || (fs::exists(st) && !fs::is_directory(st)))
        throw InputError("[gui] --out-dir " + m_opt.outDir + " is " + (fs::is_symlink(st) ? "a link" : "not a folder") +
                         "; give a folder (it is made if missing)");
      if (!fs::exists(st) && !fs::is_directory(fs::absolute(m_opt.outDir).parent_path(), ec))
        throw InputError("[gui] --out-dir " + m_opt.outDir + ": the folder above it does not exist");
      checkNotInBundle(m_opt.outDir, "[gui] --out-dir");
    }
    if (!m_opt.framesDir.empty()) prepareFramesDir();
    if (!m_opt.record.empty()) checkRecordFile();
    if (!m_opt.screenshot.empty()) checkOutputFile(m_opt.screenshot, m_opt.force);
    m_opt.processStart = ctx.processStart;
    m_opt.fps = m_fps;
    m_opt.terminate = ctx.cancel;
    return gui::runGui(m_opt);
  }

 private:
  // --frames DIR: a new or empty folder (with --force, the frames of an earlier export there are
  // removed first, so that a shorter film does not end with the old one's frames).
  void prepareFramesDir() {
    namespace fs = std::filesystem;
    if (m_opt.script.empty())
      throw InputError("[gui] --frames " + m_opt.framesDir + " needs --script FILE: the frames are of its replay");
    if (m_fps < 1 || m_fps > 240)
      throw InputError("[gui] --fps " + std::to_string(m_fps) + " must be 1 to 240 frames a second");
    std::error_code ec;
    const fs::path dir(m_opt.framesDir);
    checkNotInBundle(m_opt.framesDir, "[gui] --frames");
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
      throw InputError("[gui] --frames " + m_opt.framesDir + " is a file, not a folder");
    if (fs::is_directory(dir, ec) && !fs::is_empty(dir, ec)) {
      if (!m_opt.force)
        throw InputError("[gui] --frames " + m_opt.framesDir +
                         " is not empty: choose a new folder, or add --force to write into it");
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        const bool frame =
            name.size() == 16 && name.rfind("frame_", 0) == 0 && name.substr(12) == ".png" &&
            std::all_of(name.begin() + 6, name.begin() + 12, [](char ch) { return ch >= '0' && ch <= '9'; });
        // Only the files an export writes (a link at such a name goes itself; what it names is
        // never touched): nothing else of the user's goes.
        if ((frame || name == "frames.csv") && (e.is_symlink(ec) || e.is_regular_file(ec))) fs::remove(e.path(), ec);
      }
    }
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir, ec))
      throw InputError("[gui] --frames " + m_opt.framesDir + ": cannot create the folder");
  }

  // --record FILE: writable now (a recording that cannot be saved is refused before the window
  // opens, not found out at the end), and not a file this run reads or the export writes.
  void checkRecordFile() {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path rec = fs::weakly_canonical(m_opt.record, ec);
    if (!m_opt.script.empty() && fs::exists(m_opt.script, ec) && fs::equivalent(m_opt.script, m_opt.record, ec))
      throw InputError("[gui] --record " + m_opt.record + " is the --script being run: record into another file");
    if (!m_opt.framesDir.empty() && rec.parent_path() == fs::weakly_canonical(m_opt.framesDir, ec))
      throw InputError("[gui] --record " + m_opt.record +
                       " is inside the --frames folder, whose files the export writes");
    checkOutputFile(m_opt.record, m_opt.force);
    // Can a file be made there? A new, exclusive temporary file (never one, or a link, already there).
    const fs::path dir = fs::absolute(m_opt.record).parent_path();
    std::string probe = (dir / ".latentlab-record-probe-XXXXXX").string();
    const int fd = ::mkstemp(probe.data());
    const bool ok = fd >= 0 && ::write(fd, "x", 1) == 1;
    if (fd >= 0) {
      ::close(fd);
      ::unlink(probe.c_str());
    }
    if (!ok)
      throw InputError("[gui] --record " + m_opt.record + ": cannot write there (a read-only or missing folder?)");
  }

  gui::GuiOptions m_opt;
  std::string m_size;
  int m_fps = 30;
  bool m_listCommands = false;
};

}  // namespace

std::unique_ptr<Command> makeGuiCommand() { return std::make_unique<GuiCommand>(); }

}  // namespace latentlab::cli
