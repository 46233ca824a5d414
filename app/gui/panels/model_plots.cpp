#include "panels/model_plots.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

// Accuracy against confidence per bin: Laplace (blue) and deterministic (grey) bars side by side.
void drawReliability(const ModelReport& r, float side) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("reliability (15 bins)");
  const ImVec2 p = ImGui::GetCursorScreenPos();
  dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(30, 30, 30, 255));
  dl->AddLine(ImVec2(p.x, p.y + side), ImVec2(p.x + side, p.y), IM_COL32(120, 120, 120, 255));
  const int bins = int(r.confLaplace.size());
  for (int b = 0; b < bins; ++b) {
    const float x0 = p.x + side * float(b) / bins, x1 = p.x + side * float(b + 1) / bins;
    if (r.countDet[size_t(b)] > 0)
      dl->AddRectFilled(ImVec2(x0 + 1, p.y + side * (1 - float(r.accDet[size_t(b)]))), ImVec2(x0 + (x1 - x0) * 0.5f, p.y + side),
                        IM_COL32(150, 150, 150, 200));
    if (r.countLaplace[size_t(b)] > 0)
      dl->AddRectFilled(ImVec2(x0 + (x1 - x0) * 0.5f, p.y + side * (1 - float(r.accLaplace[size_t(b)]))), ImVec2(x1 - 1, p.y + side),
                        IM_COL32(80, 160, 230, 230));
  }
  ImGui::Dummy(ImVec2(side, side));
  ImGui::TextDisabled("x: confidence, y: accuracy");
  ImGui::EndGroup();
  tip("Blue: Laplace BLL, grey: deterministic head. Bars on the diagonal are calibrated.");
}

// Histograms of the mutual information, in-distribution (blue) against OOD (orange).
void drawOodHistograms(const ModelReport& r, float side) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::BeginGroup();
  if (!r.error.empty()) {
    ImGui::TextWrapped("OOD: %s", r.error.c_str());
  } else {
    ImGui::Text("epistemic U: test vs %s, AUROC %.3f", r.oodName.c_str(), r.aurocMi);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float wide = std::max(side, ImGui::GetContentRegionAvail().x - 10);
    dl->AddRectFilled(p, ImVec2(p.x + wide, p.y + side), IM_COL32(30, 30, 30, 255));
    float hi = 1e-6f;
    for (const auto* set : {&r.inMi, &r.outMi})
      for (float v : *set)
        if (std::isfinite(v)) hi = std::max(hi, v);
    const int nb = 40;
    std::vector<float> hin(nb, 0), hout(nb, 0);
    auto fill = [&](const std::vector<float>& values, std::vector<float>& hist) {
      for (float v : values)  // a non-finite score has no bin (core refuses them; this never indexes with one)
        if (std::isfinite(v)) hist[size_t(std::clamp(int(v / hi * nb), 0, nb - 1))] += 1.0f / float(values.size());
    };
    fill(r.inMi, hin);
    fill(r.outMi, hout);
    float top = 1e-6f;
    for (int b = 0; b < nb; ++b) top = std::max({top, hin[size_t(b)], hout[size_t(b)]});
    for (int b = 0; b < nb; ++b) {
      const float x0 = p.x + wide * float(b) / nb, x1 = p.x + wide * float(b + 1) / nb;
      dl->AddRectFilled(ImVec2(x0, p.y + side * (1 - std::sqrt(hin[size_t(b)] / top))), ImVec2(x1, p.y + side),
                        IM_COL32(80, 160, 230, 150));
      dl->AddRectFilled(ImVec2(x0, p.y + side * (1 - std::sqrt(hout[size_t(b)] / top))), ImVec2(x1, p.y + side),
                        IM_COL32(240, 120, 60, 150));
    }
    ImGui::Dummy(ImVec2(wide, side));
    ImGui::TextDisabled("blue: test, orange: %s; x: 0..%.3f nats, y: sqrt share", r.oodName.c_str(), hi);
    ImGui::Text("AUROC by entropy: %.3f", r.aurocEntropy);
  }
  ImGui::EndGroup();
  tip("How well the epistemic uncertainty (mutual information) tells the OOD images from the test images");
}

}  // namespace

void drawModelPlots(const ModelReport& r) {
  const float side = std::min(200.0f, ImGui::GetContentRegionAvail().x * 0.45f);
  drawReliability(r, side);
  ImGui::SameLine();
  drawOodHistograms(r, side);
}

}  // namespace latentlab::gui
