// The example-importance options (names, KEY=VALUE parsing with ranges). Torch-free.
#include <cmath>

#include "latentlab/examples/examples.h"
#include "latentlab/util/errors.h"
#include "util/option_parse.h"

namespace latentlab {

using optparse::parseInt;
using optparse::parseNumber;
using optparse::quoted;

const char* exampleMethodName(ExampleMethod m) {
  static const char* const names[] = {"dknn", "simplex", "tracin"};
  return names[int(m)];
}

ExampleMethod parseExampleMethod(const std::string& s, const std::string& where) {
  for (int i = 0; i < 3; ++i)
    if (s == exampleMethodName(ExampleMethod(i))) return ExampleMethod(i);
  throw InputError("[" + where + "] example method must be dknn, simplex or tracin, got " + quoted(s));
}

void checkExampleOptions(const ExampleOptions& o, const std::string& where) {
  if (o.corpus <= 0)
    throw InputError("[" + where + "] the SimplEx corpus must hold at least 1 training point, got " +
                     std::to_string(o.corpus));
  if (o.steps < 1 || o.steps > 100000)
    throw InputError("[" + where + "] steps must be in 1..100000, got " + std::to_string(o.steps));
  if (!(std::isfinite(o.lr) && o.lr > 0 && o.lr <= 10)) throw InputError("[" + where + "] lr must be in (0, 10]");
}

void setExampleOption(ExampleOptions& o, const std::string& key, const std::string& v, const std::string& where) {
  if (key == "method")
    o.method = parseExampleMethod(v, where);
  else if (key == "corpus") {
    o.corpus = parseInt(key, v, -1000000000, 1000000000, where);
    if (o.corpus <= 0) throw InputError("[" + where + "] corpus must be at least 1 training point, got " + quoted(v));
  } else if (key == "steps")
    o.steps = parseInt(key, v, 1, 100000, where);
  else if (key == "lr")
    o.lr = parseNumber(key, v, 0, 10, true, where);
  else if (key == "seed")
    o.seed = uint64_t(parseInt(key, v, 0, 1000000000, where));
  else
    throw InputError("[" + where + "] unknown setting " + quoted(key) + " (method, corpus, steps, lr, seed)");
}

}  // namespace latentlab
