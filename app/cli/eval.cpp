// `latentlab eval BUNDLE`: accuracy, NLL, ECE, Brier and OOD AUROC per head, and the decoder's
// quality, and with --dvae the DVAE's flips, as one table (and JSON).
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

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
    m_sub->add_flag("--dvae", m_opt.dvae,
                    "Also report the DVAE's Table 1 (Gat et al. 2022): accuracy of f(phi) and f(phi'), "
                    "agreement, predictions changed by bit flips, per bit");
    m_sub->add_flag("--force", m_force, "Replace an existing --json file (with --checks: an earlier --out folder)");
    m_sub->add_flag(
        "--checks", m_checks,
        "Crabbé and van der Schaar's consistency checks of the label-free explanations instead: pixel "
        "flipping and similarity rates (and with --compare, Pearson r against other bundles), and the model-parameter "
        "randomisation (MPRT, eMPRT), as CSV and PNG in --out");
    m_sub->add_option("--out", m_check.out, "--checks: the folder to write");
    m_sub->add_option("--compare", m_check.compare,
                      "--checks: other bundles of the same dataset (e.g. other objectives)");
    m_sub->add_option("--test-points", m_check.testPoints, "--checks: test images (default 1000)");
    m_sub->add_option("--tracin-points", m_check.tracinPoints,
                      "--checks: test images for TracIn, 0 skips it (default 100)");
    m_sub->add_option("--randomisation-points", m_check.randomisationPoints,
                      "--checks: test images for the model-parameter randomisation (MPRT, eMPRT), 0 skips it "
                      "(default 100)");
    m_sub->add_option("--steps", m_check.steps, "--checks: IG steps and GradientShap samples (default 64)");
    m_sub->add_option("--corpus-per-class", m_check.corpusPerClass,
                      "--checks: training images per class in the corpus (default 100)");
  }
  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    if (m_checks) {
      if (!m_json.empty() || m_opt.dvae || m_sub->get_option("--ood")->count() > 0 || m_opt.limitTest > 0)
        throw InputError(
            "[eval] --checks takes --out, --compare, --test-points, --tracin-points, --randomisation-points, --steps "
            "and "
            "--corpus-per-class; --json, --dvae, --ood and --limit-test are for the usual evaluation");
      m_check.bundle = m_opt.bundle;
      m_check.device = m_opt.device;
      m_check.force = m_force;
      runChecks(m_check, printProgress, ctx.cancel, std::cout);
      std::fprintf(stderr, "\n");
      std::printf("wrote %s\n", m_check.out.c_str());
      return 0;
    }
    for (const char* flag : {"--out", "--compare", "--test-points", "--tracin-points", "--randomisation-points",
                             "--steps", "--corpus-per-class"})
      if (m_sub->get_option(flag)->count() > 0) throw InputError(std::string("[eval] ") + flag + " is for --checks");
    if (!m_json.empty()) checkOutputFile(m_json, m_force);  // before the work, not after
    auto report = runEval(m_opt, std::cerr);
    std::cout << formatEvalTable(report);
    if (!m_json.empty()) writeJson(m_json, report);
    return 0;
  }

 private:
  EvalOptions m_opt;
  ChecksOptions m_check;
  bool m_checks = false;
  std::string m_json;
  bool m_force = false;
};

}  // namespace

std::unique_ptr<Command> makeEvalCommand() { return std::make_unique<EvalCommand>(); }

}  // namespace latentlab::cli
