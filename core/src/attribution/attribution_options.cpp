// The attribution options: names, KEY=VALUE parsing with ranges, and their checks. Torch-free.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "latentlab/attribution/attribution.h"
#include "latentlab/util/errors.h"
#include "util/option_parse.h"

namespace latentlab {

using optparse::parseInt;
using optparse::parseNumber;
using optparse::quoted;

AttributionTarget parseAttributionTarget(const std::string& s, const std::string& where) {
  AttributionTarget t;
  if (s == "total")
    t.kind = AttributionTargetKind::Total;
  else if (s == "aleatoric")
    t.kind = AttributionTargetKind::Aleatoric;
  else if (s == "epistemic")
    t.kind = AttributionTargetKind::Epistemic;
  else if (s == "labelfree" || s == "label-free")
    t.kind = AttributionTargetKind::LabelFree;
  else if (s.rfind("class:", 0) == 0 || s.rfind("logit:", 0) == 0) {
    t.kind = s[0] == 'c' ? AttributionTargetKind::Probability : AttributionTargetKind::Logit;
    t.cls = parseInt("target " + s.substr(0, 5), s.substr(6), 0, 100000, where);
  } else {
    throw InputError("[" + where + "] target must be class:K, logit:K, total, aleatoric, epistemic or labelfree, got " +
                     quoted(s));
  }
  return t;
}

std::string attributionTargetName(const AttributionTarget& t) {
  switch (t.kind) {
    case AttributionTargetKind::Probability:
      return "class:" + std::to_string(t.cls);
    case AttributionTargetKind::Logit:
      return "logit:" + std::to_string(t.cls);
    case AttributionTargetKind::Total:
      return "total";
    case AttributionTargetKind::Aleatoric:
      return "aleatoric";
    case AttributionTargetKind::Epistemic:
      return "epistemic";
    case AttributionTargetKind::LabelFree:
      return "labelfree";
  }
  return "total";
}

const char* attributionMethodName(AttributionMethod m) {
  static const char* const names[] = {"ig", "saliency", "gradient-shap"};
  return names[int(m)];
}

AttributionMethod parseAttributionMethod(const std::string& s, const std::string& where) {
  for (int i = 0; i < 3; ++i)
    if (s == attributionMethodName(AttributionMethod(i))) return AttributionMethod(i);
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

const char* attributionPathName(AttributionPath p) {
  static const char* const names[] = {"straight", "clue", "drag"};
  return names[int(p)];
}

void checkAttributionOptions(const AttributionOptions& o, int64_t numClasses, const std::string& where) {
  if (o.steps < 1 || o.steps > kMaxIgSteps)
    throw InputError("[" + where + "] steps must be in 1.." + std::to_string(kMaxIgSteps) + ", got " +
                     std::to_string(o.steps));
  if (!(std::isfinite(o.tolerance) && o.tolerance > 0 && o.tolerance <= 1))
    throw InputError("[" + where + "] tolerance must be in (0, 1] (a share of F(x) - F(x'))");
  if (!o.adaptive && o.tolerance != AttributionOptions{}.tolerance) {
    char t[32];
    std::snprintf(t, sizeof t, "%g", o.tolerance);
    throw InputError("[" + where +
                     "] tolerance is for steps=auto (it stops the doubling); steps=" + std::to_string(o.steps) +
                     " fixes the count, so tolerance " + t + " would be ignored: give one of them");
  }
  if (o.adaptiveStart < 1 || o.adaptiveStart > kMaxIgSteps)
    throw InputError("[" + where + "] the adaptive start must be in 1.." + std::to_string(kMaxIgSteps));
  if (o.target.needsClass() && (o.target.cls < 0 || o.target.cls >= numClasses))
    throw InputError("[" + where + "] target " + attributionTargetName(o.target) + ": the class must be in 0.." +
                     std::to_string(numClasses - 1));
  if (o.path != AttributionPath::Straight && (o.target.needsClass() || !o.target.needsHead()))
    throw InputError("[" + where +
                     "] the attribution along a latent path explains an uncertainty: target must be total, "
                     "aleatoric or epistemic");
  if (o.path != AttributionPath::Straight && o.method != AttributionMethod::IG)
    throw InputError("[" + where + "] the attribution along a latent path is integrated gradients; method " +
                     attributionMethodName(o.method) + " works on the straight path only");
  if (!(std::isfinite(o.shapNoise) && o.shapNoise >= 0 && o.shapNoise <= 1))
    throw InputError("[" + where + "] shap_noise must be in 0..1");
  if (o.head == HeadKind::Deterministic && o.target.kind == AttributionTargetKind::Epistemic)
    throw InputError("[" + where +
                     "] the deterministic head has no epistemic uncertainty (it is 0 everywhere, so every "
                     "attribution would be 0); choose total or aleatoric, or the laplace head");
  if (!(o.blurSigma < 0 || (std::isfinite(o.blurSigma) && o.blurSigma <= 100)))
    throw InputError("[" + where + "] blur_sigma must be in 0..100 pixels");
}

void setAttributionOption(AttributionOptions& o, const std::string& key, const std::string& v,
                          const std::string& where) {
  if (key == "target")
    o.target = parseAttributionTarget(v, where);
  else if (key == "method")
    o.method = parseAttributionMethod(v, where);
  else if (key == "shap_noise")
    o.shapNoise = parseNumber(key, v, 0, 1, false, where);
  else if (key == "head")
    o.head = parseHeadKind(v, where);
  else if (key == "baseline")
    o.baseline = parseIgBaseline(v, where);
  else if (key == "steps") {
    o.adaptive = v == "auto";
    if (!o.adaptive) try {
        o.steps = parseInt(key, v, 1, kMaxIgSteps, where);
      } catch (const InputError&) {
        throw InputError("[" + where + "] steps must be auto or a number in 1.." + std::to_string(kMaxIgSteps) +
                         ", got " + quoted(v));
      }
  } else if (key == "tolerance")
    o.tolerance = parseNumber(key, v, 1e-6, 1, false, where);
  else if (key == "quadrature")
    o.quadrature = parseQuadrature(v, where);
  else if (key == "blur_sigma")
    o.blurSigma = parseNumber(key, v, 0, 100, false, where);
  else if (key == "seed")
    o.seed = uint64_t(parseInt(key, v, 0, 1000000000, where));
  else if (key == "path") {
    if (v == "straight")
      o.path = AttributionPath::Straight;
    else if (v == "clue")
      o.path = AttributionPath::Clue;
    else if (v == "drag")
      o.path = AttributionPath::Drag;
    else
      throw InputError("[" + where + "] path must be straight, clue or drag, got " + quoted(v));
  } else
    throw InputError(
        "[" + where + "] unknown setting " + quoted(key) +
        " (target, method, head, baseline, steps, tolerance, quadrature, blur_sigma, seed, shap_noise, path)");
}

}  // namespace latentlab
