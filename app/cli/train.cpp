// `latentlab train`: a classifier, its Laplace last layer, the decoder, the VAE and the ensemble,
// into a new bundle (staged, so that Ctrl-C leaves nothing behind).
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline.h"

namespace latentlab::cli {

namespace {

class TrainCommand : public Command {
 public:
  void add(CLI::App& app) override {
    TrainOptions& to = m_opt;
    m_sub = app.add_subcommand("train", "Train a classifier, its Laplace last layer, decoder, VAE and ensemble");
    addBundleOptions(m_sub, to);
    m_sub->add_option("--epochs", to.epochs, "Classifier epochs")->capture_default_str();
    m_sub->add_option("--latent-dim", to.latentDim, "Latent dimension d")->capture_default_str();
    m_sub->add_option("--ensemble", to.ensemble, "Deep-ensemble members (0 skips)")->capture_default_str();
    m_sub->add_option("--ensemble-epochs", to.ensembleEpochs, "Epochs per ensemble member (default: --epochs)")
        ->check(CLI::Range(1, 1000));
    m_sub->add_option("--batch-size", to.batchSize, "Minibatch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
    m_sub->add_option("--threads", to.threads, "LibTorch threads (0 = default)")->check(CLI::Range(0, 1024));
  }
  int threads(int) const override { return m_opt.threads; }
  int run(const CliContext& ctx) override {
    runTrain(m_opt, printProgress, ctx.cancel, std::cout);
    return 0;
  }

 private:
  TrainOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> makeTrainCommand() { return std::make_unique<TrainCommand>(); }

}  // namespace latentlab::cli
