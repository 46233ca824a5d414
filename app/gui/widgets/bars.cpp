#include "widgets/bars.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "map/color_scale.h"
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

void drawUncertaintyBars(float total, float aleatoric, float epistemic, int classes, const UncertaintyScales& scales) {
  const float lnK = float(std::log(double(std::max(2, classes))));
  const char* names[] = {"total", "aleatoric", "epistemic"};
  const float vals[] = {total, aleatoric, epistemic};
  const char* tips[] = {"Entropy of the predictive mean p-bar",
                        "Mean entropy of the per-sample predictions: noise the model expects",
                        "Mutual information = total - aleatoric: the model's own doubt about its weights"};
  ImGui::TextDisabled("uncertainty in nats; every bar is full at ln %d = %.3f", std::max(2, classes), lnK);
  const bool havePct = !scales.sorted[0].empty();
  for (int i = 0; i < 3; ++i) {
    ImGui::Text("%-9s", names[i]);
    ImGui::SameLine(110);
    char buf[64];
    if (havePct) {
      const float pct = percentileOf(scales.sorted[size_t(i)], vals[i]);
      std::snprintf(buf, sizeof buf, "%.4f   (p%.0f)", vals[i], std::floor(pct));
    } else {
      std::snprintf(buf, sizeof buf, "%.4f", vals[i]);
    }
    const Rgb c = viridis(scales.scale[size_t(i)].position(vals[i]));
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, imColorVec(c));
    // Dark text on the bright end of viridis, light text elsewhere.
    const bool bright = 0.3f * c[0] + 0.6f * c[1] + 0.1f * c[2] > 0.55f;
    ImGui::PushStyleColor(ImGuiCol_Text, bright && vals[i] / lnK > 0.45f ? ImVec4(0, 0, 0, 1) : ImVec4(1, 1, 1, 1));
    ImGui::ProgressBar(std::clamp(vals[i] / lnK, 0.0f, 1.0f), ImVec2(-1, 14), buf);
    ImGui::PopStyleColor(2);
    tip((std::string(tips[i]) + ". The bar's colour is the map's colour for this value in the " + names[i] +
         " mode; pNN: the share of the test points with a lower value, in percent.").c_str());
  }
}

}  // namespace latentlab::gui
