#pragma once
// What a set of points holds (a lasso, "Select matches", or the filter's matches): the count, how
// many are test and training points, the class mix by label and by prediction, how many the model
// gets right, and the mean of each uncertainty. GL-free and torch-free; tested headless.
#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/explorer/explorer.h"

namespace latentlab::gui {

struct SelectionSummary {
  int64_t count = 0, test = 0, train = 0;
  std::vector<int64_t> byLabel, byPred;                        // [K]
  int64_t correct = 0;                                         // prediction == label (0 for a label-free bundle)
  double meanTotal = 0, meanAleatoric = 0, meanEpistemic = 0;  // nats; 0 for a label-free bundle
};

// Indices outside the table are skipped.
SelectionSummary summarize(const PointTable& t, const std::vector<int64_t>& points);
// The datasets shown as layers (PointTable's extra rows), in the order they came, and the points of one.
std::vector<std::string> layerNames(const PointTable& t);
std::vector<int64_t> layerPoints(const PointTable& t, const std::string& layer);
// The indices whose mask byte is set.
std::vector<int64_t> maskedPoints(const std::vector<uint8_t>& mask);

}  // namespace latentlab::gui
