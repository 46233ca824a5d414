// The attribution options (names, KEY=VALUE parsing with ranges), the quadrature rules, and the
// scrubber's views of an IG result. Torch-free.
#include <algorithm>
#include <cmath>

#include "latentlab/attribution.h"
#include "latentlab/errors.h"
#include "option_parse.h"

namespace latentlab {

using optparse::parseInt;
using optparse::parseNumber;
using optparse::quoted;

AttrTarget parseAttrTarget(const std::string& s, const std::string& where) {
  AttrTarget t;
  if (s == "total") t.kind = AttrTargetKind::Total;
  else if (s == "aleatoric") t.kind = AttrTargetKind::Aleatoric;
  else if (s == "epistemic") t.kind = AttrTargetKind::Epistemic;
  else if (s == "labelfree" || s == "label-free") t.kind = AttrTargetKind::LabelFree;
  else if (s.rfind("class:", 0) == 0 || s.rfind("logit:", 0) == 0) {
    t.kind = s[0] == 'c' ? AttrTargetKind::Probability : AttrTargetKind::Logit;
    t.cls = parseInt("target " + s.substr(0, 5), s.substr(6), 0, 100000, where);
  } else {
    throw InputError("[" + where + "] target must be class:K, logit:K, total, aleatoric, epistemic or labelfree, got " + quoted(s));
  }
  return t;
}

std::string attrTargetName(const AttrTarget& t) {
  switch (t.kind) {
    case AttrTargetKind::Probability: return "class:" + std::to_string(t.cls);
    case AttrTargetKind::Logit: return "logit:" + std::to_string(t.cls);
    case AttrTargetKind::Total: return "total";
    case AttrTargetKind::Aleatoric: return "aleatoric";
    case AttrTargetKind::Epistemic: return "epistemic";
    case AttrTargetKind::LabelFree: return "labelfree";
  }
  return "total";
}

const char* attrMethodName(AttrMethod m) {
  static const char* const names[] = {"ig", "saliency", "gradient-shap"};
  return names[int(m)];
}

AttrMethod parseAttrMethod(const std::string& s, const std::string& where) {
  for (int i = 0; i < 3; ++i)
    if (s == attrMethodName(AttrMethod(i))) return AttrMethod(i);
  throw InputError("[" + where + "] method must be ig, saliency or gradient-shap, got " + quoted(s));
}

const char* igBaselineName(IgBaseline b) {
  static const char* const names[] = {"black", "blur", "mean", "noise"};
  return names[int(b)];
}

IgBaseline parseIgBaseline(const std::string& s, const std::string& where) {
  for (int i = 0; i < 4; ++i)
    if (s == igBaselineName(IgBaseline(i))) return IgBaseline(i);
  throw InputError("[" + where + "] baseline must be black, blur, mean or noise, got " + quoted(s));
}

const char* attrPathName(AttrPath p) {
  static const char* const names[] = {"straight", "clue", "drag"};
  return names[int(p)];
}

const char* quadratureName(Quadrature q) { return q == Quadrature::Midpoint ? "midpoint" : "gauss-legendre"; }

Quadrature parseQuadrature(const std::string& s, const std::string& where) {
  if (s == "midpoint") return Quadrature::Midpoint;
  if (s == "gauss-legendre" || s == "gl") return Quadrature::GaussLegendre;
  throw InputError("[" + where + "] quadrature must be midpoint or gauss-legendre, got " + quoted(s));
}

void quadratureRule(int m, Quadrature q, std::vector<double>& alphas, std::vector<double>& weights) {
  if (m < 1 || m > 1000) throw InputError("[ig] steps must be in 1..1000, got " + std::to_string(m));
  alphas.assign(size_t(m), 0.0);
  weights.assign(size_t(m), 0.0);
  if (q == Quadrature::Midpoint) {
    for (int k = 0; k < m; ++k) {
      alphas[size_t(k)] = (k + 0.5) / m;
      weights[size_t(k)] = 1.0 / m;
    }
    return;
  }
  // Gauss-Legendre on [-1, 1] by Newton's method on P_m (roots from the Chebyshev-like guess),
  // then mapped to [0, 1]: alpha = (t + 1) / 2, w = w_t / 2.
  for (int i = 0; i < (m + 1) / 2; ++i) {
    double t = std::cos(M_PI * (i + 0.75) / (m + 0.5)), dp = 1;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = t;  // P_0, P_1
      for (int k = 2; k <= m; ++k) {
        const double pk = ((2.0 * k - 1) * t * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = pk;
      }
      const double pm = m == 1 ? t : p1, pm1 = m == 1 ? 1 : p0;
      dp = m * (t * pm - pm1) / (t * t - 1);
      const double step = pm / dp;
      t -= step;
      if (std::abs(step) < 1e-15) break;
    }
    const double w = 2.0 / ((1 - t * t) * dp * dp);
    // t > 0 first: the node pair (+t, -t).
    alphas[size_t(m - 1 - i)] = (1 + t) / 2;
    weights[size_t(m - 1 - i)] = w / 2;
    alphas[size_t(i)] = (1 - t) / 2;
    weights[size_t(i)] = w / 2;
  }
}

void checkIgOptions(const IgOptions& o, int64_t numClasses, const std::string& where) {
  if (o.steps < 1 || o.steps > 1000) throw InputError("[" + where + "] steps must be in 1..1000, got " + std::to_string(o.steps));
  if (o.target.needsClass() && (o.target.cls < 0 || o.target.cls >= numClasses))
    throw InputError("[" + where + "] target " + attrTargetName(o.target) + ": the class must be in 0.." +
                     std::to_string(numClasses - 1));
  if (o.path != AttrPath::Straight && (o.target.needsClass() || !o.target.needsHead()))
    throw InputError("[" + where + "] the attribution along a latent path explains an uncertainty: target must be total, "
                     "aleatoric or epistemic");
  if (o.path != AttrPath::Straight && o.method != AttrMethod::IG)
    throw InputError("[" + where + "] the attribution along a latent path is integrated gradients; method " +
                     attrMethodName(o.method) + " works on the straight path only");
  if (!(std::isfinite(o.shapNoise) && o.shapNoise >= 0 && o.shapNoise <= 1))
    throw InputError("[" + where + "] shap_noise must be in 0..1");
  if (o.head == CfHead::Deterministic && o.target.kind == AttrTargetKind::Epistemic)
    throw InputError("[" + where + "] the deterministic head has no epistemic uncertainty (it is 0 everywhere, so every "
                     "attribution would be 0); choose total or aleatoric, or the laplace head");
  if (!(o.blurSigma < 0 || (std::isfinite(o.blurSigma) && o.blurSigma <= 100)))
    throw InputError("[" + where + "] blur_sigma must be in 0..100 pixels");
}

void setIgOption(IgOptions& o, const std::string& key, const std::string& v, const std::string& where) {
  if (key == "target") o.target = parseAttrTarget(v, where);
  else if (key == "method") o.method = parseAttrMethod(v, where);
  else if (key == "shap_noise") o.shapNoise = parseNumber(key, v, 0, 1, false, where);
  else if (key == "head") o.head = parseCfHead(v, where);
  else if (key == "baseline") o.baseline = parseIgBaseline(v, where);
  else if (key == "steps") o.steps = parseInt(key, v, 1, 1000, where);
  else if (key == "quadrature") o.quadrature = parseQuadrature(v, where);
  else if (key == "blur_sigma") o.blurSigma = parseNumber(key, v, 0, 100, false, where);
  else if (key == "seed") o.seed = uint64_t(parseInt(key, v, 0, 1000000000, where));
  else if (key == "path") {
    if (v == "straight") o.path = AttrPath::Straight;
    else if (v == "clue") o.path = AttrPath::Clue;
    else if (v == "drag") o.path = AttrPath::Drag;
    else throw InputError("[" + where + "] path must be straight, clue or drag, got " + quoted(v));
  }
  else
    throw InputError("[" + where + "] unknown setting " + quoted(key) +
                     " (target, method, head, baseline, steps, quadrature, blur_sigma, seed, shap_noise, path)");
}

int IgResult::nodeAt(double alpha) const {
  int k = -1;
  for (size_t i = 0; i < alphas.size(); ++i)
    if (alphas[i] <= alpha + 1e-12) k = int(i);
  return k;
}

std::vector<float> IgResult::inputAt(double alpha) const {
  if (isPath()) {
    const int k = alpha >= 1.0 ? steps() - 1 : nodeAt(alpha);
    if (k < 0) return baseline;
    const size_t P = size_t(pixels());
    return std::vector<float>(nodeInputs.begin() + long(size_t(k) * P), nodeInputs.begin() + long(size_t(k + 1) * P));
  }
  std::vector<float> out(input.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = float(baseline[i] + alpha * (double(input[i]) - baseline[i]));
  return out;
}

std::vector<float> IgResult::accumulatedAt(double alpha) const {
  const size_t P = size_t(pixels());
  std::vector<double> acc(P, 0.0);
  const int last = alpha >= 1.0 ? steps() - 1 : nodeAt(alpha);
  if (isPath()) {
    std::vector<float> out(P, 0.0f);
    for (int k = 0; k <= last; ++k)
      for (size_t i = 0; i < P; ++i) out[i] += gradients[size_t(k) * P + i] * nodeSteps[size_t(k) * P + i];
    return out;
  }
  for (int k = 0; k <= last; ++k)
    for (size_t i = 0; i < P; ++i) acc[i] += weights[size_t(k)] * gradients[size_t(k) * P + i];
  std::vector<float> out(P);
  for (size_t i = 0; i < P; ++i) out[i] = float((double(input[i]) - baseline[i]) * acc[i]);
  return out;
}

}  // namespace latentlab
