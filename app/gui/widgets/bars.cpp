#include "widgets/bars.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "widgets/widgets.h"

namespace latentlab::gui {

void drawProbBars(const std::vector<std::string>& classNames, const std::vector<float>& p,
                  const std::vector<float>* det, int label) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float w = ImGui::GetContentRegionAvail().x - 170;
  for (int k = 0; k < int(p.size()) && k < int(classNames.size()); ++k) {
    ImGui::TextColored(k == label ? ImVec4(1, 1, 0.5f, 1) : ImVec4(0.85f, 0.85f, 0.85f, 1), "%-12.12s",
                       classNames[size_t(k)].c_str());
    ImGui::SameLine(110);
    const ImVec2 b = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(ImVec2(b.x, b.y + 2), ImVec2(b.x + w, b.y + 8), IM_COL32(60, 60, 60, 255));
    dl->AddRectFilled(ImVec2(b.x, b.y + 2), ImVec2(b.x + w * p[size_t(k)], b.y + 8), imColor(classColor(k)));
    if (det && size_t(k) < det->size()) {
      dl->AddRectFilled(ImVec2(b.x, b.y + 9), ImVec2(b.x + w, b.y + 12), IM_COL32(45, 45, 45, 255));
      dl->AddRectFilled(ImVec2(b.x, b.y + 9), ImVec2(b.x + w * (*det)[size_t(k)], b.y + 12), IM_COL32(170, 170, 170, 255));
    }
    ImGui::Dummy(ImVec2(w, 12));
    ImGui::SameLine();
    ImGui::Text("%.3f", p[size_t(k)]);
  }
}

void drawUncertaintyBars(float total, float aleatoric, float epistemic, int classes, float epiMax) {
  const float lnK = float(std::log(double(std::max(2, classes))));
  const char* names[] = {"total", "aleatoric", "epistemic"};
  const float vals[] = {total, aleatoric, epistemic};
  const char* tips[] = {"Entropy of the predictive mean p-bar (nats); bar full at ln K",
                        "Mean entropy of the per-sample predictions: noise the model expects",
                        "Mutual information = total - aleatoric: the model's own doubt about its weights; "
                        "bar full at the largest value among the points"};
  for (int i = 0; i < 3; ++i) {
    const float hi = i == 2 ? epiMax : lnK;
    ImGui::Text("%-9s", names[i]);
    ImGui::SameLine(110);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", vals[i]);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, imColorVec(viridis(vals[i] / hi)));
    ImGui::ProgressBar(std::clamp(vals[i] / hi, 0.0f, 1.0f), ImVec2(-1, 14), buf);
    ImGui::PopStyleColor();
    tip(tips[i]);
  }
}

}  // namespace latentlab::gui
