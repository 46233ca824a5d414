// `latentlab import MODEL.pt`: a PyTorch user's TorchScript model (encode/classify[/decode]) into a
// bundle, with the Laplace posterior, a decoder when it has none, and the VAE.
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"

namespace latentlab::cli {

namespace {

class ImportCommand : public Command {
 public:
  void add(CLI::App& app) override {
    ImportOptions& io = m_opt;
    m_sub = app.add_subcommand("import", "Turn a TorchScript model (encode/classify[/decode]) into a bundle");
    m_sub->add_option("model", io.model, "TorchScript file from torch.jit.script(model).save(...)")->required();
    addBundleOptions(m_sub, io);
  }
  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    runImport(m_opt, printProgress, ctx.cancel, std::cout);
    return 0;
  }

 private:
  ImportOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> makeImportCommand() { return std::make_unique<ImportCommand>(); }

}  // namespace latentlab::cli
