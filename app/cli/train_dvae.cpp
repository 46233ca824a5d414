// `latentlab train-dvae BUNDLE [--bits N] [--force]`: adds a DVAE over z (Gat et al. 2022) to a bundle,
// LatentLab's own or imported. Only dvae.pt and manifest.json change.
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"

namespace latentlab::cli {

namespace {

class TrainDvaeCommand : public Command {
 public:
  void add(CLI::App& app) override {
    DvaeTrainOptions& o = m_opt;
    m_sub = app.add_subcommand("train-dvae", "Add a DVAE over the latent (bit flips, Gat et al. 2022) to a bundle");
    m_sub->add_option("bundle", o.bundle, "Bundle directory")->required();
    m_sub->add_option("--bits", o.bits, "Number of bits n")->capture_default_str()->check(optionRange("bits"));
    m_sub->add_option("--epochs", o.epochs, "Epochs over the training latents")
        ->capture_default_str()
        ->check(optionRange("epochs"));
    m_sub->add_option("--beta", o.beta, "Weight of KL(q(b|z) || Bernoulli(1/2))")
        ->capture_default_str()
        ->check(optionRange("beta", true));
    m_sub
        ->add_option("--consistency", o.consistency,
                     "Weight of KL(f(z) || f(phi')): the classifier reads the decoded latent as it reads z (0 = the "
                     "seed's plain objective)")
        ->capture_default_str()
        ->check(optionRange("consistency", true));
    m_sub->add_flag("--compare-plain", o.comparePlain,
                    "Also train the plain objective (not kept) and record its table beside, for eval --dvae");
    m_sub->add_option("--batch-size", o.batchSize, "Minibatch size")
        ->capture_default_str()
        ->check(optionRange("batch-size"));
    m_sub->add_option("--seed", o.seed, "Random seed")->capture_default_str()->check(optionRange("seed"));
    m_sub->add_option("--device", o.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--limit-train", o.limitTrain, "Use only N training latents (0 = all)")
        ->check(optionRange("limit-train"));
    m_sub
        ->add_option("--generator-epochs", o.generatorEpochs,
                     "Gat et al.'s Table 2: train the generator on phi' this many epochs without and with the Fisher "
                     "regulariser and report cos(I(g), I(f)) for both (0 skips)")
        ->capture_default_str()
        ->check(optionRange("generator-epochs"));
    m_sub->add_option("--fisher-weight", o.fisherWeight, "Weight of the Fisher regulariser 1 - cos(I(g), I(f))")
        ->capture_default_str()
        ->check(optionRange("fisher-weight", true));
    m_sub->add_flag("--force", o.force, "Replace the bundle's DVAE");
  }
  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    runTrainDvae(m_opt, printProgress, ctx.cancel, std::cout);
    return 0;
  }

 private:
  DvaeTrainOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> makeTrainDvaeCommand() { return std::make_unique<TrainDvaeCommand>(); }

}  // namespace latentlab::cli
