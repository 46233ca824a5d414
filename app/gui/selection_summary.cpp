#include "selection_summary.h"

#include <algorithm>

namespace latentlab::gui {

SelectionSummary summarize(const PointTable& t, const std::vector<int64_t>& points) {
  SelectionSummary s;
  s.byLabel.assign(size_t(t.K), 0);
  s.byPred.assign(size_t(t.K), 0);
  const bool u = t.hasClassifier && int64_t(t.total.size()) >= t.n;
  for (int64_t i : points) {
    if (i < 0 || i >= t.n) continue;
    const size_t k = size_t(i);
    ++s.count;
    ++(t.isTrain[k] ? s.train : s.test);
    const int label = t.labels[k];
    const int pred = k < t.preds.size() ? t.preds[k] : -1;
    if (label >= 0 && label < int(t.K)) ++s.byLabel[size_t(label)];
    if (pred >= 0 && pred < int(t.K)) ++s.byPred[size_t(pred)];
    if (pred >= 0 && pred == label) ++s.correct;
    if (u) {
      s.meanTotal += t.total[k];
      s.meanAleatoric += t.aleatoric[k];
      s.meanEpistemic += t.epistemic[k];
    }
  }
  if (s.count > 0) {
    s.meanTotal /= double(s.count);
    s.meanAleatoric /= double(s.count);
    s.meanEpistemic /= double(s.count);
  }
  return s;
}

std::vector<int64_t> maskedPoints(const std::vector<uint8_t>& mask) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) out.push_back(int64_t(i));
  return out;
}

std::vector<std::string> layerNames(const PointTable& t) {
  std::vector<std::string> out;
  for (size_t k = 0; k < t.extraLayer.size(); ++k)
    if (t.extraKind[k] == PointTable::kLayerPoint && std::find(out.begin(), out.end(), t.extraLayer[k]) == out.end())
      out.push_back(t.extraLayer[k]);
  return out;
}

std::vector<int64_t> layerPoints(const PointTable& t, const std::string& layer) {
  std::vector<int64_t> out;
  for (int64_t i = t.numData(); i < t.n; ++i) {
    const size_t k = size_t(i - t.numData());
    if (t.extraKind[k] == PointTable::kLayerPoint && t.extraLayer[k] == layer) out.push_back(i);
  }
  return out;
}

}  // namespace latentlab::gui
