// `latentlab train`: a classifier, its Laplace last layer, the decoder, the VAE and the ensemble,
// into a new bundle (staged, so that Ctrl-C leaves nothing behind).
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"

namespace latentlab::cli {

namespace {

class TrainCommand : public Command {
 public:
  void add(CLI::App& app) override {
    TrainOptions& to = m_opt;
    m_sub = app.add_subcommand("train", "Train a classifier, its Laplace last layer, decoder, VAE and ensemble");
    addBundleOptions(m_sub, to);
    m_sub->add_option("--epochs", to.epochs, "Classifier epochs")->capture_default_str()->check(optionRange("epochs"));
    m_sub->add_option("--latent-dim", to.latentDim, "Latent dimension d")
        ->capture_default_str()
        ->check(optionRange("latent-dim"));
    m_sub->add_option("--ensemble", to.ensemble, "Deep-ensemble members (0 skips)")
        ->capture_default_str()
        ->check(optionRange("ensemble"));
    m_sub->add_option("--ensemble-epochs", to.ensembleEpochs, "Epochs per ensemble member (0 or -1: --epochs)")
        ->check(optionRange("ensemble-epochs"));
    m_sub->add_option("--batch-size", to.batchSize, "Minibatch size")
        ->capture_default_str()
        ->check(optionRange("batch-size"));
    m_sub->add_option("--threads", to.threads, "LibTorch threads (0 = default)")->check(optionRange("threads"));
    m_sub
        ->add_option("--objective", to.objective,
                     "classifier, or a label-free encoder (Crabbé and van der Schaar 2022): autoencoder, "
                     "denoising-autoencoder (inputs + "
                     "N(0, 0.3^2) noise) or vae; a label-free bundle holds the encoder and its decoder only")
        ->capture_default_str();
    m_sub
        ->add_option("--checkpoint-every", to.checkpointEvery,
                     "Keep the classifier every N epochs (and the last) in checkpoints/, for TracIn (0: none)")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
  }
  int threads(int) const override { return m_opt.threads; }
  bool cancellable() const override { return true; }
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
