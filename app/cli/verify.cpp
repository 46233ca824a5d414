// `latentlab verify BUNDLE`: is every file the bundle's own, and does every component pass its dry run?
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::cli {

namespace {

class VerifyCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand(
        "verify",
        "Check every component, checkpoint and cache of a bundle against the fingerprints its manifest records, "
        "and run the load-time dry runs; prints a table, exit code 1 on a problem");
    m_sub->add_option("bundle", m_opt.bundle, "Bundle directory")->required();
    m_sub->add_flag("--record", m_opt.record,
                    "First record the fingerprints of the files as they are now (a bundle from before "
                    "fingerprints, or a component you replaced on purpose)");
    m_sub->add_option("--json", m_json, "Also write the table as JSON");
    m_sub->add_flag("--force", m_force, "Replace an existing --json file");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
  }
  int run(const CliContext&) override {
    if (!m_json.empty()) checkOutputFile(m_json, m_force);
    const nlohmann::json r = runVerify(m_opt, std::cout);
    if (!m_json.empty()) writeJson(m_json, r);
    return r.value("ok", false) ? 0 : 1;
  }

 private:
  VerifyOptions m_opt;
  std::string m_json;
  bool m_force = false;
};

}  // namespace

std::unique_ptr<Command> makeVerifyCommand() { return std::make_unique<VerifyCommand>(); }

}  // namespace latentlab::cli
