// `latentlab info BUNDLE`: the manifest summary.
#include <iostream>

#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"

namespace latentlab::cli {

namespace {

class InfoCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("info", "Print a bundle's manifest summary");
    m_sub->add_option("bundle", m_bundle, "Bundle directory")->required();
  }
  int run(const CliContext&) override {
    std::cout << bundleInfo(m_bundle);
    return 0;
  }

 private:
  std::string m_bundle;
};

}  // namespace

std::unique_ptr<Command> makeInfoCommand() { return std::make_unique<InfoCommand>(); }

}  // namespace latentlab::cli
