#pragma once
// Label-free example importance (Crabbé and van der Schaar 2022, section 3): which training images make phi(x) what it
// is. What the options and the results are, for the CLI (`explain --method dknn|simplex|tracin`),
// the GUI's Examples panel and scripts. Torch-free; the algorithms are in examples_torch.h.
//
//  DKNN     score_n = 1 / |z - z_n|, over every training latent (Crabbé and van der Schaar's implementation: the
//           inverse distance, no k cut-off). A training latent at distance 0 (an exact duplicate)
//           would score infinity; it is scored 1 / eps instead, eps = 1e-6 x the RMS distance from z
//           to the training latents, so duplicates come first, tie, and stay finite.
//  SimplEx  weights w = softmax(v) over a corpus of training latents, v fitted with Adam to
//           minimise |sum_n w_n z_n - z|^2 (Crabbe et al. 2021); score_n = w_n.
//  TracIn   score_n = sum_t lr_t <grad L(x_n; theta_t), grad L(x; theta_t)> over the checkpoints
//           theta_t kept by `latentlab train`, the gradients taken w.r.t. the encoder's parameters
//           only (Crabbé and van der Schaar 2022, Definition 3.1). L is the bundle's training loss (the classifier's
//           cross-entropy with x's label; an autoencoder's own loss).
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {

enum class ExampleMethod { Dknn, Simplex, Tracin };
const char* exampleMethodName(ExampleMethod m);
// "dknn" | "simplex" | "tracin"; InputError naming `where` and the value.
ExampleMethod parseExampleMethod(const std::string& s, const std::string& where);

struct ExampleOptions {
  ExampleMethod method = ExampleMethod::Dknn;
  int64_t corpus = 1000;  // SimplEx: training points in the corpus, a seeded draw (all when >= the split)
  int steps = 1000;       // SimplEx: Adam steps
  double lr = 0.2;    // SimplEx: Adam's learning rate (0.05 left a corpus member 0.8% off after 1,000 steps; 0.2, 0.1%)
  uint64_t seed = 0;  // SimplEx: the corpus draw
};
// Throws InputError naming `where` and the value: a corpus of 0 or less, steps outside 1..100000,
// lr outside (0, 10].
void checkExampleOptions(const ExampleOptions& o, const std::string& where);
// KEY=VALUE settings of scripts and `--set`: method, corpus, steps, lr, seed.
void setExampleOption(ExampleOptions& o, const std::string& key, const std::string& value, const std::string& where);

// Scores of training points for one latent, best first.
struct ExampleScores {
  std::string method;
  // Best first: every scored point, or (a panel's request) the best k then the worst k.
  std::vector<int64_t> index;  // positions in the training split (as the dataset files store it)
  std::vector<float> score;
  int64_t scored = 0;      // points scored: the training split, or SimplEx's corpus
  int64_t duplicates = 0;  // DKNN: training latents at distance 0 from z
  double residual = 0;     // SimplEx: |sum w_n z_n - z| / |z|
  int checkpoints = 0;     // TracIn: checkpoints summed over
  double ms = 0;
};

}  // namespace latentlab
