// `latentlab eval BUNDLE`: accuracy, NLL, ECE, Brier and OOD AUROC per head, and the decoder's
// quality, and with --dvae the DVAE's flips, as one table (and JSON).
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/fsutil.h"
#include "latentlab/pipeline.h"

namespace latentlab::cli {

namespace {

class EvalCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("eval", "Accuracy, NLL, ECE, Brier and OOD AUROC per head; decoder quality");
    m_sub->add_option("bundle", m_opt.bundle, "Bundle directory")->required();
    m_sub->add_option("--ood", m_opt.ood, "mnist, fashion-mnist, a PNG folder, or none (default: the bundle's)");
    m_sub->add_option("--json", m_json, "Also write the figures as JSON");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--limit-test", m_opt.limitTest, "Evaluate only the first N test images")
        ->check(CLI::NonNegativeNumber);
    m_sub->add_flag("--dvae", m_opt.dvae, "Also report the DVAE's Table 1 (seed 003): accuracy of f(phi) and f(phi'), "
                    "agreement, predictions changed by bit flips, per bit");
    m_sub->add_flag("--force", m_force, "Replace an existing --json file");
  }
  int run(const CliContext&) override {
    if (!m_json.empty()) checkOutputFile(m_json, m_force);  // before the work, not after
    auto report = runEval(m_opt, std::cerr);
    std::cout << formatEvalTable(report);
    if (!m_json.empty()) writeJson(m_json, report);
    return 0;
  }

 private:
  EvalOptions m_opt;
  std::string m_json;
  bool m_force = false;
};

}  // namespace

std::unique_ptr<Command> makeEvalCommand() { return std::make_unique<EvalCommand>(); }

}  // namespace latentlab::cli
