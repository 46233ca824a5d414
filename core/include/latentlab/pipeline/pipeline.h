#pragma once
// The command-level operations behind `latentlab train|import|eval|info`, which the GUI also runs
// as jobs. Torch-free header, so the app calls them without compiling LibTorch. All of them may
// run on a worker thread; they report through `progress` and `log`, stop with CancelledError when
// `cancel` is set, and write bundles only through a staged directory. The benchmarks are in bench.h.
#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "latentlab/attribution/attribution.h"
#include "latentlab/clue/clue.h"
#include "latentlab/examples/examples.h"
#include "latentlab/util/progress.h"

namespace latentlab {

// The decoder's consistency weight unless told otherwise; docs/manual.md says how it was chosen.
inline constexpr double kDefaultDecoderConsistencyWeight = 10.0;
inline constexpr bool kDefaultDecoderOffManifold = true;  // the terms also off the training latents
// The DVAE's consistency weight, KL(f(z) || f(phi')) (concepts_torch.h DvaeOptions), likewise.
inline constexpr double kDefaultDvaeConsistency = 1.0;

struct TrainOptions {
  std::string dataset = "fashion-mnist";  // fashion-mnist | mnist | folder of class subfolders
  std::string out;
  int epochs = 5;
  int64_t latentDim = 64;
  uint64_t seed = 0;
  std::string device = "cpu";
  int ensemble = 5;         // members of the deep-ensemble comparator; 0 skips it
  int ensembleEpochs = -1;  // -1: same as epochs
  int decoderEpochs = 10;
  double decoderLatentWeight = 0.2;  // weight of |encode(decode(z)) - z|^2 in decoder training
  // weight of KL(f(z) || f(encode(decode(z)))) in decoder training (train_torch.h DecoderLoss)
  double decoderConsistencyWeight = kDefaultDecoderConsistencyWeight;
  bool decoderOffManifold = kDefaultDecoderOffManifold;
  int vaeEpochs = 10;
  int64_t dvaeBits = 16;  // n, the DVAE's bits over z (concepts_torch.h)
  int dvaeEpochs = 30;    // 0 skips the DVAE
  double dvaeConsistency = kDefaultDvaeConsistency;
  int64_t batchSize = 128;
  int64_t samples = 64;  // S, Laplace weight samples
  bool force = false;
  int64_t limitTrain = 0;   // >0: train on the first N (shuffled) training examples only
  int threads = 0;          // 0: leave LibTorch's default
  int checkpointEvery = 1;  // keep checkpoints/classifier_epoch_K.pt every N epochs (and the last), for TracIn; 0: none
  // classifier, or a label-free pretext task (objectives_torch.h): autoencoder, denoising-autoencoder,
  // vae; those bundles hold the encoder with its decoder, and no head, posterior or ensemble.
  std::string objective = "classifier";
  int channels = 0;  // 0: as the data is (data_torch.h); 1 grey; 3 colour
};

struct ImportOptions {
  std::string model;  // a TorchScript file with encode/classify[/decode]
  std::string dataset = "fashion-mnist";
  std::string out;
  std::string device = "cpu";
  uint64_t seed = 0;
  int decoderEpochs = 10;
  double decoderLatentWeight = 0.2;
  double decoderConsistencyWeight = kDefaultDecoderConsistencyWeight;
  bool decoderOffManifold = kDefaultDecoderOffManifold;
  int vaeEpochs = 10;
  int64_t dvaeBits = 16;
  int dvaeEpochs = 30;
  double dvaeConsistency = kDefaultDvaeConsistency;
  int64_t samples = 64;
  bool force = false;
  int64_t limitTrain = 0;
  int channels = 0;  // 0: as the data is (data_torch.h); 1 grey; 3 colour
};

// `latentlab train-dvae BUNDLE`: a DVAE over the bundle's training latents, added to the bundle.
struct DvaeTrainOptions {
  std::string bundle;
  int64_t bits = 16;
  int epochs = 30;
  double beta = 0.01;                            // weight of KL(q(b|z) || Bernoulli(1/2))
  double consistency = kDefaultDvaeConsistency;  // weight of KL(f(z) || f(phi')); 0 is the seed's plain objective
  // Also train the plain objective (same seed and bits, not kept) and record its Table 1 beside the
  // kept one's, as metrics.dvae_plain, which eval --dvae prints.
  bool comparePlain = false;
  int64_t batchSize = 256;
  uint64_t seed = 0;
  std::string device = "cpu";
  bool force = false;      // replace the bundle's DVAE (nothing else is ever replaced)
  int64_t limitTrain = 0;  // >0: the first N training latents only
  // Gat et al.'s Table 2: >0 trains the explanatory generator g on phi' for this many epochs twice,
  // without and with the functional Fisher regulariser (weight fisherWeight), and reports
  // cos(I(g) at phi', I(f) at phi) for both (the generators are not kept).
  int generatorEpochs = 0;
  double fisherWeight = 1.0;
};

// `latentlab train-decoder BUNDLE`: trains the bundle's decoder g again over its training latents
// (train_torch.h DecoderLoss) and replaces decoder.pt; the report gives the agreement and MSE on
// the test set before and after. Refused for a model with its own decode().
struct DecoderTrainOptions {
  std::string bundle;
  int epochs = 10;
  double latentWeight = 0.2;
  double consistencyWeight = kDefaultDecoderConsistencyWeight;
  bool offManifold = kDefaultDecoderOffManifold;
  int64_t batchSize = 128;
  uint64_t seed = 0;
  std::string device = "cpu";
  bool force = false;        // needed: the bundle's decoder is replaced
  int64_t limitTrain = 0;    // >0: the first N training latents only
  bool fromCurrent = false;  // start from the bundle's decoder (fine-tune) instead of a fresh one
};

struct EvalOptions {
  std::string bundle;
  std::string ood;  // "" = the bundle's default, "none" = skip
  std::string device = "cpu";
  int64_t limitTest = 0;  // >0: evaluate on the first N test examples only
  bool dvae = false;      // add Gat et al.'s Table 1 for the bundle's DVAE (report key "dvae")
};

// `latentlab explain`: counterfactuals for a set of test points, written as a folder.
struct ExplainOptions {
  std::string bundle;
  std::string out;     // the folder to write (staged, then renamed)
  bool force = false;  // replace an earlier explain folder (never anything else)
  std::string device = "cpu";
  ClueOptions cf;
  std::string indicesFile;                 // one test-set index per line (blank lines and # comments skipped)
  int64_t mostUncertain = 0;               // >0: the N test points of highest total uncertainty under the Laplace head
  std::vector<int64_t> indices;            // test-set indices given directly (the GUI's lasso selection)
  int64_t shardIndex = 0, shardCount = 1;  // every shardCount-th point from the shardIndex-th (0-based)
  int64_t batch = 64;                      // points optimised together
  std::string image;  // --image PATH: explain this image file (fitted to the input) instead of test points
};
// `latentlab explain --method ig --index N`: attributions of one test image, written as a folder.
struct AttributionExplainOptions {
  std::string bundle;
  std::string out;
  bool force = false;
  std::string device = "cpu";
  std::string method = "ig";
  AttributionOptions ig;
  int64_t index = -1;  // the test-set index
  std::string image;   // --image PATH: explain this image file (fitted to the input) instead of test points
};
// Writes OUT/attribution.csv (C*H lines of W numbers), OUT/attribution.png (input | baseline |
// signed map | map over the input) and OUT/summary.json (f_input, f_baseline, sum_attribution,
// completeness_residual, steps, target, head, ...). Staged like runExplain. Returns the summary.
nlohmann::json runExplainAttribution(const AttributionExplainOptions& opt, const ProgressFn& progress,
                                     const std::atomic<bool>* cancel, std::ostream& log);

// `latentlab explain --method dknn|simplex|tracin --index N`: the training examples that make the
// latent of test image N what it is (Crabbé and van der Schaar 2022), written as a folder.
struct ExampleExplainOptions {
  std::string bundle;
  std::string out;
  bool force = false;
  std::string device = "cpu";
  ExampleOptions examples;
  int64_t index = -1;  // the test-set index
  std::string image;   // --image PATH: explain this image file (fitted to the input) instead of test points
};
// Writes OUT/examples.csv (index,score: every scored training point, best first; index is the
// image's position in the training split), OUT/examples.png (the test image, the top 8 and the
// bottom 8) and OUT/summary.json (method, label, the top ten with their labels, duplicates,
// residual, checkpoints, ms). Staged like runExplain. Returns the summary.
nlohmann::json runExplainExamples(const ExampleExplainOptions& opt, const ProgressFn& progress,
                                  const std::atomic<bool>* cancel, std::ostream& log);

// `latentlab eval --checks BUNDLE --out DIR`: Crabbé and van der Schaar's consistency checks (checks_torch.h)
// and, with --compare, its pretext comparison.
struct ChecksOptions {
  std::string bundle;
  std::string out;
  bool force = false;
  std::string device = "cpu";
  int64_t testPoints = 1000;     // pixel flipping: the first N test images; similarity: a balanced draw of N
  int64_t corpusPerClass = 100;  // similarity: the training corpus, this many per class (1,000 for 10 classes)
  int steps = 64;                // IG's steps and GradientShap's samples
  int64_t tracinPoints = 100;    // TracIn's share of the balanced test draw (it costs minutes); 0 skips TracIn
  int64_t randomisationPoints =
      100;                           // model-parameter randomisation (checks_torch.h): the first N test images; 0 skips
  std::vector<std::string> compare;  // other bundles on the same dataset: Pearson r of maps and scores
  uint64_t seed = 0;
};
// Writes OUT/pixel_flip.csv (method,fraction,mean_shift,sem) and .png, OUT/similarity.csv
// (method,fraction,top,bottom) and .png, OUT/pretext.csv (bundle,other,what,pearson_mean,n) when
// comparing, and OUT/summary.json with the timings. Staged like explain. Returns the summary.
nlohmann::json runChecks(const ChecksOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                         std::ostream& log);

// Where explain may write (before any work starts): a new folder whose parent exists, or with
// `force` an earlier explain folder holding only what explain writes; never inside a bundle.
// Throws InputError naming the folder.
void checkExplainOut(const std::string& out, bool force);

// Parses "K/N" (0 <= K < N). Throws InputError naming the value.
void parseShard(const std::string& s, int64_t& index, int64_t& count);
// Writes OUT/summary.json (means over the points), OUT/points.csv (one row per point) and
// OUT/filmstrips/<index>.png. A cancelled or failed run leaves no OUT. Returns the summary.
nlohmann::json runExplain(const ExplainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                          std::ostream& log);

// Each returns the JSON summary it also writes into the bundle manifest (train/import) or
// prints (eval). Errors are typed (errors.h).
nlohmann::json runTrain(const TrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                        std::ostream& log);
nlohmann::json runImport(const ImportOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                         std::ostream& log);
nlohmann::json runEval(const EvalOptions& opt, std::ostream& log);
// Trains the DVAE on the bundle's training latents, writes BUNDLE/dvae.pt (temporary file, then
// rename) and the manifest's dvae entries (training, metrics: Table 1 on the test set). Refuses,
// before any work and changing nothing, a bundle that already has a DVAE without `force`, or a
// folder it cannot write. The bundle's other files are untouched. Returns the summary.
nlohmann::json runTrainDvae(const DvaeTrainOptions& opt, const ProgressFn& progress, const std::atomic<bool>* cancel,
                            std::ostream& log);
std::string formatEvalTable(const nlohmann::json& report);
// The DVAE part of an eval report (report["dvae"]), also printed by train-dvae.
std::string formatDvaeTable(const nlohmann::json& dvae);

nlohmann::json runTrainDecoder(const DecoderTrainOptions& opt, const ProgressFn& progress,
                               const std::atomic<bool>* cancel, std::ostream& log);
std::string bundleInfo(const std::string& dir);

// `latentlab verify BUNDLE`: every component and checkpoint against the manifest's fingerprint,
// every cache against its key (a stale cache is reported, not a fault: it is computed again), then
// the dry runs loading makes. Prints a table to `log`; returns {"ok", "files": [...]}: ok is false
// when a recorded file differs, is unreadable or lacks a fingerprint, or a component fails its dry
// run. `record` first writes the fingerprints of the files as they are now into the manifest.
struct VerifyOptions {
  std::string bundle;
  bool record = false;
  std::string device = "cpu";
};
nlohmann::json runVerify(const VerifyOptions& opt, std::ostream& log);

// Default shipped bundle directory (LATENTLAB_ASSETS, then next to the executable, then the
// source tree). Empty when none is found.
std::string defaultBundlePath(const std::string& name, const std::string& exeDir);

}  // namespace latentlab
