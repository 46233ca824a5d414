// `latentlab bench`: core's benchmarks (bench.h) and the GUI's (frame time and startup, measured by
// the window's own frame timer under the current DISPLAY), as one table and JSON.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "gui.h"
#include "latentlab/bench/bench.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/stats.h"

namespace latentlab::cli {

namespace {

// The benchmarks that need the window (Xvfb and llvmpipe on the dev machine).
const std::vector<std::string> kGuiBench = {"frame_ms_10k", "frame_ms_70k", "startup_ms"};

// Runs the window's frame benchmark: the test points (frame_ms_10k, and startup_ms from the
// process start), then with the training points too (frame_ms_70k).
void runGuiBench(const std::vector<std::string>& keys, const std::string& bundle, const std::string& device,
                 nlohmann::json& results, std::chrono::steady_clock::time_point start) {
  auto want = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  for (int all = 0; all < 2; ++all) {
    const std::string key = all ? "frame_ms_70k" : "frame_ms_10k";
    if (!want(key) && !(all == 0 && want("startup_ms"))) continue;
    nlohmann::json r;
    gui::GuiOptions g;
    g.bundle = bundle;
    g.device = device;
    g.benchFrames = 300;
    g.benchAll = all == 1;
    g.benchResult = &r;
    g.processStart = all == 0 ? start : std::chrono::steady_clock::now();
    if (gui::runGui(g) != 0 || !r.contains("frames"))
      throw Error("[bench] the GUI benchmarks need a display (run under xvfb-run)");
    if (want(key)) {
      results[key] = summaryStats(r["frames"].get<std::vector<double>>(), "ms");
      auto withJob = summaryStats(r["frames_with_job"].get<std::vector<double>>(), "ms");
      results[key]["with_job_p95"] = withJob["p95"];
      results[key]["with_job_max"] = withJob["max"];
      results[key]["lod_median"] = summaryStats(r["lod_ms"].get<std::vector<double>>(), "ms")["median"];
      results[key]["note"] = std::to_string(r["points"].get<long long>()) + " points, " +
                             std::to_string(g.benchFrames) + " frames of pan+zoom (x1..x12, thumbnails on), " +
                             r["window"].dump() + " window, " + r["renderer"].get<std::string>() +
                             "; whole frame incl. glFinish";
    }
    if (all == 0 && want("startup_ms")) {
      results["startup_ms"] = summaryStats({r["startup_ms"].get<double>()}, "ms");
      results["startup_ms"]["note"] = "process start to the first frame with the points drawn (bundle cache warm)";
    }
  }
}

class BenchCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("bench", "Run the benchmarks; one table, optional flat JSON");
    m_sub->add_option("--only", m_only, "Comma-separated benchmark names");
    m_sub->add_option("--json", m_json, "Write results as JSON");
    m_sub->add_option("--bundle", m_opt.bundle,
                      "Bundle for predictive_ms, drag_update_p95_ms and the GUI benchmarks "
                      "(default: shipped fashion-mnist)");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--repeats", m_opt.repeats, "Repetitions (0 = each benchmark's default)")
        ->check(CLI::NonNegativeNumber);
    m_sub->add_flag("--force", m_force, "Replace an existing --json file");
  }
  // With the window's benchmarks, the window keeps one core for itself.
  int threads(int cores) const override {
    const bool window = m_only.empty() || m_only.find("frame_ms") != std::string::npos;
    return window ? std::max(1, cores - 1) : 0;
  }

  int run(const CliContext& ctx) override {
    if (!m_json.empty()) checkOutputFile(m_json, m_force);
    std::stringstream ss(m_only);
    std::vector<std::string> guiKeys;
    for (std::string item; std::getline(ss, item, ',');) {
      if (item.empty()) continue;
      if (std::find(kGuiBench.begin(), kGuiBench.end(), item) != kGuiBench.end())
        guiKeys.push_back(item);
      else
        m_opt.only.push_back(item);
    }
    if (m_only.empty()) {
      if (gui::builtWithWindow()) guiKeys = kGuiBench;  // a CLI-only build skips them
    } else if (m_opt.only.empty()) {
      m_opt.none = true;
    }
    if (m_opt.bundle.empty()) m_opt.bundle = defaultBundlePath("fashion-mnist", ctx.exeDir);
    nlohmann::json guiResults = nlohmann::json::object();
    // The GUI benchmarks first: startup_ms wants a process that has not warmed LibTorch yet.
    if (!guiKeys.empty()) runGuiBench(guiKeys, m_opt.bundle, m_opt.device, guiResults, ctx.processStart);
    auto report = runBench(m_opt, std::cerr);
    for (auto& [k, v] : guiResults.items()) {
      report["results"][k] = v;
      report["flat"][k] = v["median"];
    }
    std::cout << formatBenchTable(report);
    if (!m_json.empty()) writeJson(m_json, report);
    return 0;
  }

 private:
  BenchOptions m_opt;
  std::string m_only, m_json;
  bool m_force = false;
};

}  // namespace

std::unique_ptr<Command> makeBenchCommand() { return std::make_unique<BenchCommand>(); }

}  // namespace latentlab::cli
