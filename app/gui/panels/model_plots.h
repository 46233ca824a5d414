#pragma once
// The Model tab's plots, drawn with ImDrawList (ImGui 1.86 has no plotting): the reliability
// diagram (Laplace against the deterministic head) and the histograms of the epistemic
// uncertainty on the test set against the OOD set, with the AUROC.
#include "app_state.h"

namespace latentlab::gui {

// The AUROC line, then both plots side by side (120 pixels high, with axes, ticks and legends).
void drawModelPlots(const ModelReport& r, const OodHistogram& ood);

}  // namespace latentlab::gui
