#pragma once
// The Model tab's plots, drawn with ImDrawList (ImGui 1.86 has no plotting): the reliability
// diagram (Laplace against the deterministic head) and the histograms of the epistemic
// uncertainty on the test set against the OOD set, with the AUROC.
#include "latentlab/explorer.h"

namespace latentlab::gui {

// Both plots side by side (at most 200 pixels high).
void drawModelPlots(const ModelReport& r);

}  // namespace latentlab::gui
