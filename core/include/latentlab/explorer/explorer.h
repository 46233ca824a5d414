#pragma once
// The explorer's model side: a loaded bundle with its points (latents, predictions, the three
// uncertainties, thumbnails) and the per-latent evaluation that drags call every frame.
// Torch-free header, so the GUI compiles without LibTorch; every method that computes runs
// LibTorch and must be called from the compute worker, never from the UI thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "latentlab/attribution/attribution.h"
#include "latentlab/clue/clue.h"
#include "latentlab/examples/examples.h"
#include "latentlab/util/progress.h"

namespace latentlab {

// Everything the map needs about its points, in plain arrays (row-major).
struct PointTable {
  int64_t n = 0, d = 0, K = 0;
  int64_t C = 1, H = 28, W = 28;
  std::vector<std::string> classNames;
  std::vector<float> latents;                      // [n, d]
  std::vector<int> labels, preds;                  // [n]; preds from the Laplace predictive (deterministic if none)
  std::vector<int> predsDet;                       // [n]  deterministic head
  std::vector<float> probs;                        // [n, K] predictive mean
  std::vector<float> total, aleatoric, epistemic;  // [n] nats
  // Thumbnails [n, thumbH, thumbW, thumbC], 8-bit, channels interleaved: RGB for a colour bundle
  // (thumbC 3), grey otherwise; the image itself when both sides are at most 64, else averaged
  // down by a whole factor (a 512x512 image gives 64x64).
  std::vector<uint8_t> pixels;
  int64_t thumbC = 1, thumbH = 28, thumbW = 28;
  // Point i's thumbnail as RGBA8 [thumbH, thumbW] (what the panels and the map show).
  std::vector<uint8_t> thumbRgba(int64_t i) const;
  std::vector<uint8_t> isTrain;     // [n] 0: test split, 1: train split
  std::vector<int64_t> splitIndex;  // [n] index of the image within its split
  std::vector<float> zLo, zHi;      // [d] the encoder's output range over these points
  int64_t numTest = 0;              // test points come first, then train points
  // Points added to the map (Explorer::addImages, addLayer) are the last numExtra rows, after the
  // test and train points: labels -1 (no true class), isTrain 0. Per extra row (i - numData()):
  int64_t numExtra = 0;
  std::vector<uint8_t> extraKind;       // kAddedImage or kLayerPoint
  std::vector<std::string> extraName;   // the file name, or "<layer> #k"
  std::vector<std::string> extraPath;   // the file an added image came from ("" for a layer point)
  std::vector<std::string> extraHash;   // its content fingerprint (bytesFingerprint), "" for a layer point
  std::vector<std::string> extraLayer;  // the layer's dataset ("" for an added image)
  static constexpr uint8_t kAddedImage = 1, kLayerPoint = 2;
  struct ExtraColumns {
    std::vector<uint8_t> kind;
    std::vector<std::string> name, path, hash, layer;
  };
  int64_t numData() const { return n - numExtra; }          // test + train
  int64_t numTrain() const { return numData() - numTest; }  // 0 until the training split is shown
  bool hasTrain() const { return numTrain() > 0; }
  bool isExtra(int64_t i) const { return i >= numData() && i < n; }
  // "coat.png" for an added image, the class name for a data point, "" when there is none.
  std::string pointLabel(int64_t i) const;
  // False for a label-free bundle (an encoder trained without labels, Crabbé and van der Schaar 2022): then preds and
  // predsDet are -1, probs uniform and the uncertainties 0, and nothing should show them.
  bool hasClassifier = true;
  std::string objective = "classifier";  // what the encoder was trained for
};

inline std::vector<uint8_t> PointTable::thumbRgba(int64_t i) const {
  const size_t hw = size_t(thumbH * thumbW);
  std::vector<uint8_t> rgba(hw * 4, 255);
  if (i < 0 || i >= n || pixels.size() < size_t(n) * hw * size_t(thumbC)) return rgba;
  const uint8_t* p = &pixels[size_t(i) * hw * size_t(thumbC)];
  for (size_t q = 0; q < hw; ++q)
    for (int k = 0; k < 3; ++k) rgba[4 * q + size_t(k)] = p[q * size_t(thumbC) + (thumbC == 3 ? size_t(k) : 0)];
  return rgba;
}

inline std::string PointTable::pointLabel(int64_t i) const {
  if (isExtra(i)) return extraName[size_t(i - numData())];
  if (i < 0 || i >= n || labels[size_t(i)] < 0 || size_t(labels[size_t(i)]) >= classNames.size()) return "";
  return classNames[size_t(labels[size_t(i)])];
}

// What adding images or a layer did: the new table, the rows added, and what the log should say.
struct AddedPoints {
  std::shared_ptr<const PointTable> table;
  int64_t first = 0, count = 0;     // rows [first, first + count) of table
  std::vector<std::string> notes;   // "coat.png: resized 600x800 -> 28x28 (bilinear), ..."
  std::vector<std::string> errors;  // files that could not be read, each with its reason
};

// The model's answer for one latent: what the inspector shows during a drag.
struct LatentEval {
  std::vector<float> latent;           // [d]
  std::vector<float> image;            // [C, H, W] decode(z) in [0, 1]; empty without a decoder
  std::vector<float> probs, probsDet;  // [K] BLL predictive, deterministic head; empty without a classifier (pred -1)
  float total = 0, aleatoric = 0, epistemic = 0;
  float totalDet = 0;
  int pred = 0, predDet = 0;
  // The round trip: the decoded image encoded again, phi(g(z)), through the same head. A latent
  // can be certain while its image is not (an adversarial latent); the inspector shows both.
  float totalRound = 0, probRound = 0;  // probRound: the probability of predRound
  int predRound = 0;
  std::vector<int64_t> neighbours;  // nearest points in latent space (snap to manifold)
  // Live saliency of the decoded image (when asked): dF/dx at g(z), or IG from black with a few
  // steps, [C, H, W]; and its share of `ms`.
  std::vector<float> saliency;
  double saliencyMs = 0;
  // The DVAE's concepts (when asked, on a bundle with a DVAE; Gat et al. 2022): the code b of this latent
  // (its hard bits, or the code asked for), phi' = D(b) with f(phi'), and for each bit i the
  // Hamming neighbour b xor e_i decoded: its latent, predictive and image g(D(.)).
  std::vector<uint8_t> bits;       // [n]
  std::vector<float> codeProbs;    // [K] f(D(b))
  std::vector<float> flipLatents;  // [n, d]
  std::vector<float> flipProbs;    // [n, K]
  std::vector<int> flipPred;       // [n]
  std::vector<float> flipTotal;    // [n]
  std::vector<float> flipImages;   // [n, C, H, W]; empty without a decoder
  // Each flip's picture encoded again (decode_check.h), with a decoder: class, its probability, U.
  std::vector<int> flipPredRound;
  std::vector<float> flipProbRound, flipTotalRound;
  double conceptsMs = 0;
  std::string conceptsError;  // the DVAE failed here (the rest of the evaluation stands)
  double ms = 0;              // time the evaluation took
};

// What a live saliency map is of: options.target through options.head; options.steps 0 is the
// plain gradient at the decoded image, more is IG from a black image with that many steps.
struct SaliencyRequest {
  AttributionOptions options;
};

// Asks evaluate() for the DVAE's concepts. `bits` empty: the code of the latent, bits(z); else
// this code (a flipped point's, which need not be bits(D(code))).
struct ConceptRequest {
  std::vector<uint8_t> bits;
};

// Plots for the model panel: a reliability diagram per head and the in/out uncertainty scores.
struct ModelReport {
  static constexpr int kBins = 15;
  std::vector<double> confLaplace, accLaplace, confDet, accDet;  // [kBins] mean confidence, accuracy
  std::vector<int64_t> countLaplace, countDet;
  std::string oodName;
  std::string oodNote;  // how the OOD images were fitted to the input ("resized 28x28 -> 64x64 ..."), or empty
  std::vector<float> inMi, outMi, inEntropy, outEntropy;  // Laplace mutual information / entropy
  double aurocMi = 0, aurocEntropy = 0;
  std::string error;  // set when the OOD set could not be read
};

class Explorer {
 public:
  // Loads the bundle (classifier, decoder, posterior; the VAE and ensemble are not needed here),
  // its test images and test latents (from cache/latents_test.pt when valid, else computed).
  // Throws the typed errors of errors.h naming the file.
  static std::unique_ptr<Explorer> open(const std::string& bundleDir, const std::string& device,
                                        const ProgressFn& progress, const std::atomic<bool>* cancel);
  ~Explorer();

  std::shared_ptr<const PointTable> points() const;
  // Adds the training split (latents cached in cache/latents_train.pt) and returns the new table.
  std::shared_ptr<const PointTable> addTrainPoints(const ProgressFn& progress, const std::atomic<bool>* cancel);

  // Adds image files (a folder adds its image files, sorted) as extra points: each decoded (alpha
  // over white), resized (bilinear) and converted to the bundle's input shape with a note, encoded,
  // and given the predictive and its uncertainties. An unreadable file is listed in `errors` and
  // the others are added; InputError when none could be. `hashes`, when not empty, must match each
  // file's content fingerprint (a session's record): a changed file is an error.
  AddedPoints addImages(const std::vector<std::string>& paths, const ProgressFn& progress,
                        const std::atomic<bool>* cancel, const std::vector<std::string>& hashes = {});
  // Adds a dataset (loadOodDataset's names: "mnist", "fashion-mnist", "emoji", a folder, a .npz) as a
  // layer of extra points, fitted to the input shape; at most `limit` of them (a seeded sample).
  AddedPoints addLayer(const std::string& dataset, int64_t limit, const ProgressFn& progress,
                       const std::atomic<bool>* cancel);
  // Decode + predictive (+ the k nearest points when k > 0). z: [d].
  LatentEval evaluate(const std::vector<float>& z, int neighbours = 0, const SaliencyRequest* saliency = nullptr,
                      const ConceptRequest* concepts = nullptr) const;
  // The DVAE (Gat et al. 2022), when the bundle has one: n bits, the code of z, and the latent D(bits).
  // Errors (no DVAE, wrong sizes, bits other than 0/1) are InputError / BundleError naming the value.
  int dvaeBits() const;                    // 0 without a DVAE
  const std::string& dvaeProblem() const;  // why the bundle's DVAE was left out ("" when it was not)
  std::vector<uint8_t> dvaeCode(const std::vector<float>& z) const;
  std::vector<float> dvaeDecode(const std::vector<uint8_t>& bits) const;
  ModelReport modelReport(const ProgressFn& progress, const std::atomic<bool>* cancel) const;
  // A counterfactual (clue.h) from point `point` (its image and latent), or, when point
  // < 0, from the latent z0 (an edited point; its image is g(z0)). `onStep(step, z, u)` sees the
  // path of the run as it goes (return false to stop). The VAE (vae-clue) and the prototypes
  // (regene) are loaded on first use. Throws the typed errors of errors.h.
  ClueResult counterfactual(const ClueOptions& o, int64_t point, const std::vector<float>& z0,
                            const std::function<bool(int, const std::vector<float>&, float)>& onStep,
                            const ProgressFn& progress, const std::atomic<bool>* cancel) const;
  // The same, all o.diverse counterfactuals of the point (one unless diverse K > 1), each with its
  // quality measures and the K's diversity. onStep sees the first one's path.
  std::vector<ClueResult> counterfactuals(const ClueOptions& o, int64_t point, const std::vector<float>& z0,
                                          const std::function<bool(int, const std::vector<float>&, float)>& onStep,
                                          const ProgressFn& progress, const std::atomic<bool>* cancel) const;

  // Integrated gradients (attribution.h) of point `point`'s image, or, when point < 0, of g(z) (an
  // edited point's decode). `pathLatents`, when given, receives phi of every node's input [m, d]:
  // the IG path on the map. Throws the typed errors of errors.h.
  AttributionResult attribution(const AttributionOptions& o, int64_t point, const std::vector<float>& z,
                                std::vector<float>* pathLatents, const std::atomic<bool>* cancel) const;

  // Perez et al.'s attribution of o.target (an uncertainty) along the decoded latent path zPath
  // ([K+1, d] flat, from z* to z0) and the segment from g(z0) to point `point`'s image (point < 0:
  // g(z0) itself), with o.steps nodes on the segment. `pathLatents` as for attribution().
  AttributionResult pathAttribution(const AttributionOptions& o, int64_t point, const std::vector<float>& zPath,
                                    std::vector<float>* pathLatents, const std::atomic<bool>* cancel) const;

  // Label-free example importance (examples.h) of point `point`'s latent, or, when point < 0, of
  // the latent z (an edited point; TracIn then explains its decode g(z) with its predicted class
  // as the label); the best 64 and the worst 64 of them (ExampleScores). Scores the training
  // split, so addTrainPoints() must have run: InputError
  // otherwise. Training position i is point numTest + i. Throws the typed errors of errors.h.
  ExampleScores examples(const ExampleOptions& o, int64_t point, const std::vector<float>& z,
                         const ProgressFn& progress, const std::atomic<bool>* cancel) const;

  const std::string& bundleDir() const;
  std::string bundleName() const;
  std::string oodName() const;  // the manifest's OOD dataset ("" when it names none)
  nlohmann::json manifestMetrics() const;
  std::string deviceName() const;
  bool hasDecoder() const;
  bool hasLaplace() const;

 private:
  Explorer();
  struct Impl;
  std::unique_ptr<Impl> m;
};

}  // namespace latentlab
