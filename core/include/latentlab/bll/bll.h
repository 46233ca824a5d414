#pragma once
// The Bayesian last layer's choices as the explanations name them: which uncertainty (total,
// aleatoric or epistemic, in nats) and which head (the Laplace posterior or the deterministic
// softmax). Torch-free, so the GUI compiles without LibTorch; the predictive is in bll_torch.h.
#include <string>

namespace latentlab {

enum class UncertaintyKind { Total, Aleatoric, Epistemic };
enum class HeadKind { Laplace, Deterministic };

const char* uncertaintyName(UncertaintyKind k);  // total | aleatoric | epistemic
const char* headKindName(HeadKind h);            // laplace | deterministic
// Throw InputError naming `where` and the value when it is not one of the names.
UncertaintyKind parseUncertainty(const std::string& s, const std::string& where);
HeadKind parseHeadKind(const std::string& s, const std::string& where);

}  // namespace latentlab
