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
// Total, aleatoric and epistemic uncertainty as bars on one scale, 0 to ln K nats (the most a K-class
// prediction can be unsure; total = aleatoric + epistemic, so the two lower bars add up to the
// top one), each coloured as the map colours that value in its mode, with the value and its
// percentile among the test points (`scales`, when it has values) beside it.
struct UncertaintyScales;
void drawUncertaintyBars(float total, float aleatoric, float epistemic, int classes, const UncertaintyScales& scales);

}  // namespace latentlab::gui
