#pragma once
// The inspector's bars, for any panel that shows a prediction: class probabilities and the three
// uncertainties. ImGui; UI thread only.
#include <string>
#include <vector>

namespace latentlab::gui {

// One row per class: its name (highlighted for `label`), a bar of p (class colour) with the
// deterministic head's probability as a thin grey bar below it when `det` is given, and the value.
void drawProbBars(const std::vector<std::string>& classNames, const std::vector<float>& p,
                  const std::vector<float>* det, int label);
// Total, aleatoric and epistemic uncertainty (nats) as bars coloured by viridis: total and
// aleatoric full at ln K, epistemic at `epiMax` (the largest among the points).
void drawUncertaintyBars(float total, float aleatoric, float epistemic, int classes, float epiMax);

}  // namespace latentlab::gui
