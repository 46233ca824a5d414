// `latentlab train-decoder BUNDLE --force`: trains the bundle's decoder again (with the consistency
// term by default) and replaces decoder.pt. Only decoder.pt and manifest.json change.
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/pipeline/pipeline.h"

namespace latentlab::cli {

namespace {

class TrainDecoderCommand : public Command {
 public:
  void add(CLI::App& app) override {
    DecoderTrainOptions& o = m_opt;
    m_sub = app.add_subcommand("train-decoder",
                               "Train a bundle's decoder again, so that the classifier reads its pictures as it reads "
                               "the latents (replaces decoder.pt)");
    m_sub->add_option("bundle", o.bundle, "Bundle directory")->required();
    m_sub->add_option("--epochs", o.epochs, "Epochs over the training latents")
        ->capture_default_str()
        ->check(optionRange("epochs"));
    m_sub->add_option("--latent-weight", o.latentWeight, "Weight of |encode(decode(z)) - z|^2")
        ->capture_default_str()
        ->check(optionRange("latent-weight", true));
    m_sub
        ->add_option("--consistency-weight", o.consistencyWeight,
                     "Weight of KL(f(z) || f(encode(decode(z)))) (0 = off)")
        ->capture_default_str()
        ->check(optionRange("consistency-weight", true));
    m_sub
        ->add_option("--off-manifold", o.offManifold,
                     "true: the latent and consistency terms also at latents no training image has (noise and mixes)")
        ->capture_default_str()
        ->check(CLI::IsMember({"true", "false", "1", "0"}));
    m_sub->add_option("--batch-size", o.batchSize, "Minibatch size")
        ->capture_default_str()
        ->check(optionRange("batch-size"));
    m_sub->add_option("--seed", o.seed, "Random seed")->capture_default_str()->check(optionRange("seed"));
    m_sub->add_option("--device", o.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--limit-train", o.limitTrain, "Use only N training latents (0 = all)")
        ->check(optionRange("limit-train"));
    m_sub->add_flag("--force", o.force, "Replace the bundle's decoder");
    m_sub->add_flag("--from-current", o.fromCurrent,
                    "Start from the bundle's decoder (fine-tune it) instead of a fresh one");
  }
  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    runTrainDecoder(m_opt, printProgress, ctx.cancel, std::cout);
    return 0;
  }

 private:
  DecoderTrainOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> makeTrainDecoderCommand() { return std::make_unique<TrainDecoderCommand>(); }

}  // namespace latentlab::cli
