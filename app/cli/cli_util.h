#pragma once
// What the subcommands share: the progress bar on stderr and JSON output files.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "latentlab/model/option_ranges.h"
#include "latentlab/util/progress.h"

namespace latentlab::cli {

// A one-line progress bar on stderr: stage, epoch, batch, loss, samples/s, ETA (redrawn in place
// on a terminal, a line every 200 ms otherwise).
void printProgress(const Progress& p);
// Writes j (indented) atomically; throws InputError naming the path.
void writeJson(const std::string& path, const nlohmann::json& j);
// The directory of the running executable ("" when unknown).
std::string exeDir();

// CLI11's check for a training option, from core's one table of ranges (option_ranges.h); whole
// numbers unless `fractional` (so that the message reads "1 to 1000").
// A fractional one also refuses nan, which passes every comparison (the same exit status as a value
// out of range).
inline CLI::Validator optionRange(const char* name, bool fractional = false) {
  const OptionRange& r = trainOptionRange(name);
  if (!fractional) return CLI::Range(int64_t(r.lo), int64_t(r.hi));
  CLI::Validator range = CLI::Range(r.lo, r.hi);
  const std::string description = range.get_description();
  CLI::Validator v(
      [range](std::string& s) mutable -> std::string {
        const std::string bad = range(s);
        if (!bad.empty()) return bad;
        return std::isfinite(std::strtod(s.c_str(), nullptr)) ? std::string() : "Value " + s + " is not a number";
      },
      description);
  return v;
}

// The options `train` and `import` share: where the bundle goes, the device and seed, and the
// components trained after the classifier (TrainOptions and ImportOptions have the same fields).
template <class Options>
void addBundleOptions(CLI::App* sub, Options& o) {
  sub->add_option("--dataset", o.dataset,
                  "fashion-mnist, mnist, emoji, a .npz file, DIR with train/ and test/ class folders, or a folder of "
                  "class subfolders (split 80/20)")
      ->capture_default_str();
  sub->add_option("--out", o.out, "Bundle directory to write")->required();
  sub->add_option("--device", o.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--seed", o.seed, "Random seed")->capture_default_str()->check(optionRange("seed"));
  sub->add_option("--decoder-epochs", o.decoderEpochs, "ReGene decoder epochs (import: when the model has no decode())")
      ->capture_default_str()
      ->check(optionRange("decoder-epochs"));
  sub->add_option("--decoder-latent-weight", o.decoderLatentWeight,
                  "Weight of |encode(decode(z)) - z|^2 in decoder training (0 = plain ReGene)")
      ->capture_default_str()
      ->check(optionRange("decoder-latent-weight", true));
  sub->add_option("--decoder-consistency-weight", o.decoderConsistencyWeight,
                  "Weight of KL(f(z) || f(encode(decode(z)))) in decoder training: the classifier reads the decoded "
                  "image as it reads z (0 = off)")
      ->capture_default_str()
      ->check(optionRange("decoder-consistency-weight", true));
  sub->add_option("--decoder-off-manifold", o.decoderOffManifold,
                  "true: the decoder's latent and consistency terms also at latents no training image has")
      ->capture_default_str()
      ->check(CLI::IsMember({"true", "false", "1", "0"}));
  sub->add_option("--vae-epochs", o.vaeEpochs, "VAE epochs (0 skips the VAE)")
      ->capture_default_str()
      ->check(optionRange("vae-epochs"));
  sub->add_option("--dvae-bits", o.dvaeBits, "Bits of the DVAE over z")
      ->capture_default_str()
      ->check(optionRange("bits"));
  sub->add_option("--dvae-consistency", o.dvaeConsistency,
                  "Weight of KL(f(z) || f(phi')) in the DVAE's training: the classifier reads the decoded latent as it "
                  "reads z (0 = the seed's plain objective)")
      ->capture_default_str()
      ->check(optionRange("dvae-consistency", true));
  sub->add_option("--dvae-epochs", o.dvaeEpochs, "DVAE epochs (0 skips the DVAE)")
      ->capture_default_str()
      ->check(optionRange("dvae-epochs"));
  sub->add_option("--samples", o.samples, "Laplace weight samples S")
      ->capture_default_str()
      ->check(optionRange("samples"));
  sub->add_option("--limit-train", o.limitTrain, "Use only N training images (0 = all)")
      ->check(optionRange("limit-train"));
  sub->add_option("--channels", o.channels,
                  "1 (grey) or 3 (colour); default: as the data is (3 if any image has colour)")
      ->check(CLI::IsMember({1, 3}));
  sub->add_flag("--force", o.force, "Replace an existing --out bundle");
}

}  // namespace latentlab::cli
