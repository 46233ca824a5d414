// The counterfactual options: names, KEY=VALUE parsing with ranges, and the defaults per method.
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "latentlab/clue/clue.h"
#include "latentlab/util/errors.h"
#include "util/option_parse.h"

namespace latentlab {

namespace {

using optparse::parseBool;
using optparse::parseInt;
using optparse::parseNumber;
using optparse::quoted;

const char* const kMethods[] = {"latent-clue", "vae-clue", "regene", "class-change", "hierarchical"};

}  // namespace

const char* clueMethodName(ClueMethod m) { return kMethods[int(m)]; }
const char* clueDistanceName(ClueDistance d) { return d == ClueDistance::L1 ? "l1" : "l2"; }

ClueMethod parseClueMethod(const std::string& s, const std::string& where) {
  for (int i = 0; i < 5; ++i)
    if (s == kMethods[i]) return ClueMethod(i);
  throw InputError("[" + where + "] method must be latent-clue, vae-clue, regene, class-change or hierarchical, got " +
                   quoted(s));
}

double ClueOptions::lrOrDefault() const {
  if (lr > 0) return lr;
  return method == ClueMethod::VaeClue || method == ClueMethod::Regene ? 0.1 : 0.05;
}

double ClueOptions::lambdaXOrDefault() const {
  if (lambdaX >= 0) return lambdaX;
  return method == ClueMethod::VaeClue ? 25.0 : 0.0;
}

std::vector<std::string> clueOptionKeys() {
  return {"method",      "head",      "uncertainty", "distance", "lambda",     "lambda_x",     "lr",  "steps",
          "patience",    "tolerance", "keep_class",  "target",   "prototypes", "sparsity",     "eta", "threshold",
          "outer_steps", "frames",    "engine",      "diverse",  "diversity",  "diverse_init", "seed"};
}

void setClueOption(ClueOptions& o, const std::string& key, const std::string& v, const std::string& where) {
  if (key == "method")
    o.method = parseClueMethod(v, where);
  else if (key == "head")
    o.head = parseHeadKind(v, where);
  else if (key == "uncertainty")
    o.uncertainty = parseUncertainty(v, where);
  else if (key == "distance") {
    if (v == "l1")
      o.distance = ClueDistance::L1;
    else if (v == "l2")
      o.distance = ClueDistance::L2;
    else
      throw InputError("[" + where + "] distance must be l1 or l2, got " + quoted(v));
  } else if (key == "lambda")
    o.lambda = parseNumber(key, v, 0, 1e6, false, where);
  else if (key == "lambda_x")
    o.lambdaX = parseNumber(key, v, 0, 1e6, false, where);
  else if (key == "lr")
    o.lr = parseNumber(key, v, 0, 10, true, where);
  else if (key == "steps")
    o.steps = parseInt(key, v, 1, 10000, where);
  else if (key == "patience")
    o.patience = parseInt(key, v, 1, 100000, where);
  else if (key == "tolerance")
    o.tolerance = parseNumber(key, v, 0, 1, false, where);
  else if (key == "keep_class")
    o.keepClass = parseBool(key, v, where);
  else if (key == "target")
    o.target = parseInt(key, v, 0, 100000, where);
  else if (key == "prototypes")
    o.prototypes = parseInt(key, v, 1, 256, where);
  else if (key == "sparsity")
    o.sparsity = parseNumber(key, v, 0, 1e6, false, where);
  else if (key == "eta")
    o.eta = parseNumber(key, v, 0, 1, true, where);
  else if (key == "threshold")
    o.threshold = parseNumber(key, v, 0, 100, false, where);
  else if (key == "outer_steps")
    o.outerSteps = parseInt(key, v, 1, 1000, where);
  else if (key == "frames")
    o.frames = parseInt(key, v, 0, 64, where);
  else if (key == "engine") {
    if (v != "cpu" && v != "tensor" && v != "auto")
      throw InputError("[" + where + "] engine must be cpu, tensor or auto, got " + quoted(v));
    o.engine = v;
  } else if (key == "diverse")
    o.diverse = parseInt(key, v, 1, kMaxDiverse, where);
  else if (key == "diversity")
    o.diversity = parseNumber(key, v, 0, 1e6, false, where);
  else if (key == "diverse_init")
    o.diverseInit = parseNumber(key, v, 1e-3, 10, false, where);  // below, float32 starts coincide
  else if (key == "seed")
    o.seed = uint64_t(parseInt(key, v, 0, 2147483647, where));
  else {
    std::string keys;
    for (const auto& k : clueOptionKeys()) keys += (keys.empty() ? "" : ", ") + k;
    throw InputError("[" + where + "] unknown counterfactual option " + quoted(key) + " (known: " + keys + ")");
  }
}

void checkClueOptions(const ClueOptions& o, int64_t numClasses, const std::string& where) {
  if (o.method == ClueMethod::ClassChange) {
    if (o.target < 0)
      throw InputError("[" + where + "] class-change needs target=CLASS (0.." + std::to_string(numClasses - 1) + ")");
    if (o.target >= numClasses)
      throw InputError("[" + where + "] target must be a class in 0.." + std::to_string(numClasses - 1) + ", got " +
                       std::to_string(o.target));
  } else if (o.target >= 0) {
    throw InputError("[" + where + "] target is for method=class-change; " + clueMethodName(o.method) +
                     " lowers the uncertainty");
  }
  // (setClueOption checks these too; the GUI's sliders and a caller's struct come here directly)
  if (o.diverse < 1 || o.diverse > kMaxDiverse)
    throw InputError("[" + where + "] diverse must be in 1.." + std::to_string(kMaxDiverse) + ", got " +
                     std::to_string(o.diverse));
  if (!(std::isfinite(o.diversity) && o.diversity >= 0 && o.diversity <= 1e6))
    throw InputError("[" + where + "] diversity must be a number in 0..1e+06");
  if (!(std::isfinite(o.diverseInit) && o.diverseInit >= 1e-3 && o.diverseInit <= 10))
    throw InputError("[" + where + "] diverse_init must be a number in 0.001..10");
  if (o.diverse > 1) {
    if (o.method != ClueMethod::LatentClue && o.method != ClueMethod::ClassChange)
      throw InputError("[" + where + "] diverse=" + std::to_string(o.diverse) +
                       " works with latent-clue and class-change (their K latents are optimised together), not " +
                       clueMethodName(o.method));
    if (o.engine == "cpu")
      throw InputError("[" + where + "] diverse=" + std::to_string(o.diverse) +
                       " couples the K counterfactuals, which the cpu engine cannot; use engine=tensor or auto");
  }
  if (o.head == HeadKind::Deterministic && o.uncertainty == UncertaintyKind::Epistemic)
    throw InputError("[" + where +
                     "] the deterministic head has no epistemic uncertainty (it is 0 everywhere, so "
                     "nothing would move); choose uncertainty=total or aleatoric, or head=laplace");
}

}  // namespace latentlab
