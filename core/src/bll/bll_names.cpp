// The names of the uncertainties and heads (bll.h). Torch-free.
#include "latentlab/bll/bll.h"
#include "latentlab/util/errors.h"
#include "util/option_parse.h"

namespace latentlab {

namespace {
const char* const kKinds[] = {"total", "aleatoric", "epistemic"};
}  // namespace

const char* uncertaintyName(UncertaintyKind k) { return kKinds[int(k)]; }
const char* headKindName(HeadKind h) { return h == HeadKind::Laplace ? "laplace" : "deterministic"; }

UncertaintyKind parseUncertainty(const std::string& s, const std::string& where) {
  for (int i = 0; i < 3; ++i)
    if (s == kKinds[i]) return UncertaintyKind(i);
  throw InputError("[" + where + "] uncertainty must be total, aleatoric or epistemic, got " + optparse::quoted(s));
}

HeadKind parseHeadKind(const std::string& s, const std::string& where) {
  if (s == "laplace") return HeadKind::Laplace;
  if (s == "deterministic") return HeadKind::Deterministic;
  throw InputError("[" + where + "] head must be laplace or deterministic, got " + optparse::quoted(s));
}

}  // namespace latentlab
