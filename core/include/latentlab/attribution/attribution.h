#pragma once
// Attributions of one image: integrated gradients (IG) of a target F over the input pixels, and
// the uncertainty attribution along a decoded latent path (Perez et al.). What the options and the
// results are, for the CLI (`latentlab explain --method ig|latent-ig`), the GUI's Attribution panel
// and scripts. Torch-free, so the GUI compiles without LibTorch; the algorithms are in
// attribution_torch.h.
//
//  IG_i = (x_i - x'_i) * sum_k w_k dF/dx_i(x' + alpha_k (x - x'))        (a sum, never a mean)
//  completeness residual = |sum_i IG_i - (F(x) - F(x'))| / |F(x) - F(x')|
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "latentlab/bll/bll.h"

namespace latentlab {

// What F is: class K's predictive probability p-bar_K, class K's logit (the network's own
// classify(z)[K], whatever the head), an uncertainty of the head in nats, or (Crabbé and van der Schaar's label-free
// feature importance, Definition 2.1) the encoder's latent projected on the explained image's own:
// F(x~) = <phi(x), phi(x~)>, with phi(x) held fixed. The label-free target needs no head and no
// classes, so it works on encoders trained without labels; its IG sums to
// |phi(x)|^2 - <phi(x), phi(x')> (label-free completeness, Crabbé and van der Schaar 2022, Proposition 2.3).
enum class AttributionTargetKind { Probability, Logit, Total, Aleatoric, Epistemic, LabelFree };
struct AttributionTarget {
  AttributionTargetKind kind = AttributionTargetKind::Total;
  int cls = -1;  // Probability and Logit: the class
  bool needsClass() const { return kind == AttributionTargetKind::Probability || kind == AttributionTargetKind::Logit; }
  bool needsHead() const { return kind != AttributionTargetKind::LabelFree; }
};
// "class:K" | "logit:K" | "total" | "aleatoric" | "epistemic" | "labelfree"; InputError naming
// `where` and the value.
AttributionTarget parseAttributionTarget(const std::string& s, const std::string& where);
std::string attributionTargetName(const AttributionTarget& t);

enum class IgBaseline { Black, Blur, Mean, Noise };
const char* igBaselineName(IgBaseline b);
IgBaseline parseIgBaseline(const std::string& s, const std::string& where);

// Midpoint: alpha_k = (k + 1/2) / m, w_k = 1/m. Gauss-Legendre: the m-point rule on [0, 1].
enum class Quadrature { Midpoint, GaussLegendre };
constexpr int kMaxIgSteps = 1024;
const char* quadratureName(Quadrature q);
Quadrature parseQuadrature(const std::string& s, const std::string& where);
// The nodes alpha_k in (0, 1), increasing, and weights w_k summing to 1. m in 1..kMaxIgSteps.
void quadratureRule(int m, Quadrature q, std::vector<double>& alphas, std::vector<double>& weights);

// The GUI's path: IG's straight line from a baseline, or Perez et al.'s decoded latent path from
// the CLUE counterfactual (or from a dragged edited point) back to the image.
enum class AttributionPath { Straight, Clue, Drag };
const char* attributionPathName(AttributionPath p);

// How the attribution is made: integrated gradients; the plain gradient's magnitude |dF/dx| at x
// (Simonyan et al.'s saliency, as Captum's Saliency computes it); or GradientShap, IG's expectation
// estimated with `steps` random points b + alpha_k (x + eps_k - b), alpha_k ~ U(0, 1) from `seed`,
// eps_k ~ N(0, shap_noise^2), attribution (x - b) * mean_k dF/dx (Captum's GradientShap with one
// baseline). Saliency has no completeness; GradientShap has it in expectation.
enum class AttributionMethod { IG, Saliency, GradientShap };
const char* attributionMethodName(AttributionMethod m);
AttributionMethod parseAttributionMethod(const std::string& s, const std::string& where);

struct AttributionOptions {
  AttributionTarget target;
  AttributionMethod method = AttributionMethod::IG;
  double shapNoise = 0.0;  // GradientShap: the input noise's standard deviation, in [0, 1] pixel units
  AttributionPath path = AttributionPath::Straight;  // the GUI and scripts (`path=`); the CLI picks by --method
  HeadKind head = HeadKind::Laplace;
  IgBaseline baseline = IgBaseline::Black;
  int steps = 64;  // m when not adaptive
  // Adaptive steps (the default): start at adaptiveStart and double until the completeness residual
  // is at most `tolerance`, or kMaxIgSteps (fewer where the gradients of every node would pass
  // 512 MB). For IG, label-free IG, GradientShap (its samples) and the latent path (its segment's
  // steps, and the decoded path refined in z). `steps=N` (--steps N) fixes m instead.
  bool adaptive = true;
  double tolerance = 0.01;
  int adaptiveStart = 32;
  Quadrature quadrature = Quadrature::Midpoint;
  double blurSigma = -1;  // blur baseline: Gaussian sigma in pixels; < 0: min(H, W) / 10
  uint64_t seed = 0;      // noise baseline: uniform [0, 1] pixels from this seed
  double blurSigmaOrDefault(int64_t h, int64_t w) const {
    return blurSigma >= 0 ? blurSigma : double(std::min(h, w)) / 10.0;
  }
};
// Throws InputError naming `where` and the value: steps outside 1..kMaxIgSteps, a tolerance outside (0, 1], a class
// target without a class or outside 0..numClasses-1, epistemic U with the deterministic head (it is 0 everywhere).
void checkAttributionOptions(const AttributionOptions& o, int64_t numClasses, const std::string& where);
// KEY=VALUE settings of scripts and `--set`: target, method (ig|saliency|gradient-shap), head,
// baseline, steps (N fixes m; auto is adaptive), tolerance, quadrature, blur_sigma, seed, shap_noise, path
// (straight|clue|drag). InputError names the key or value.
void setAttributionOption(AttributionOptions& o, const std::string& key, const std::string& value,
                          const std::string& where);

// One IG run on one image, with what the scrubber needs: the F and the gradient at every node.
struct AttributionResult {
  int64_t C = 0, H = 0, W = 0;
  std::vector<float> input, baseline;   // [P] x and x', P = C*H*W
  std::vector<float> attribution;       // [P]
  std::vector<double> alphas, weights;  // [m]
  std::vector<float> fPath;             // [m] F at each node
  std::vector<float> gradients;         // [m, P] dF/dx at each node
  double fInput = 0, fBaseline = 0, sumAttribution = 0;
  // Σ|φ|: beside the net Σφ, how much of the map cancels (a gross 100 times the net is mostly cancellation).
  double grossAttribution() const {
    double g = 0;
    for (float v : attribution) g += std::abs(double(v));
    return g;
  }
  double residual = 0;            // |sum - (F(x) - F(x'))| / |F(x) - F(x')|; the absolute gap when F(x) == F(x')
  bool residualAbsolute = false;  // F(x) and F(x') agree to 1e-12: residual is |sum| itself
  std::string target, head, baseline_name, quadrature, method = "ig";
  bool hasCompleteness = true;  // false for saliency (|dF/dx| sums to nothing in particular)
  double ms = 0;                // all tries together
  // How the step count was chosen: fixed, or adaptive with the tries made (m and its residual, in
  // order; the result is the last) and whether the last met the tolerance.
  bool adaptive = false;
  double tolerance = 0;
  int stepCap = 0;  // adaptive: the most steps it could take
  std::vector<std::pair<int, double>> tries;
  bool toleranceMet() const { return !hasCompleteness || residual <= tolerance; }
  // A path attribution (latent-ig) instead of a straight line: the node inputs x_k and their
  // steps dx_k ([m, P] each); then A = sum_k g_k * dx_k, and alphas hold each node's share of the
  // path's length (the scrubber's position).
  std::vector<float> nodeInputs, nodeSteps;
  int decodedNodes = 0;  // latent-ig: the first nodes lie on the decoded path, the rest on the segment to x
  bool isPath() const { return !nodeSteps.empty(); }

  int64_t pixels() const { return C * H * W; }
  int steps() const { return int(alphas.size()); }
  // The last node at or below alpha (-1 below the first node).
  int nodeAt(double alpha) const;
  // x' + alpha (x - x') (a path: the input of the node at or below alpha, x' before the first).
  std::vector<float> inputAt(double alpha) const;
  // (x - x') * sum over the nodes at or below alpha of w_k g_k (a path: sum of g_k * dx_k): the
  // attribution gathered so far (the whole attribution at alpha = 1).
  std::vector<float> accumulatedAt(double alpha) const;
};

// What a run says of itself, as the state JSON and explain's summary.json both write it: target,
// head, baseline, quadrature, steps, f_input, f_baseline, sum_attribution, gross_attribution,
// completeness_residual (null when completeness does not apply), steps_rule (fixed | adaptive) and,
// when adaptive, tolerance, steps_cap, steps_tried [[m, residual], ...] and tolerance_met.
// One line for people: "128 steps (adaptive: 32, 64, 128 until the residual was <= 1%)".
nlohmann::json attributionFacts(const AttributionResult& r);
std::string stepsInWords(const AttributionResult& r);

}  // namespace latentlab
