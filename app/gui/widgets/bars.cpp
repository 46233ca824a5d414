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
      dl->AddRectFilled(ImVec2(b.x, b.y + 9), ImVec2(b.x + w * (*det)[size_t(k)], b.y + 12),
                        IM_COL32(170, 170, 170, 255));
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
    // Three significant figures (epistemic is often below 0.001), and the percentile in words.
    if (havePct) {
      const float pct = percentileOf(scales.sorted[size_t(i)], vals[i]);
      if (pct >= 100.0f)
        std::snprintf(buf, sizeof buf, "%.3g   (higher than every test point)", vals[i]);
      else
        std::snprintf(buf, sizeof buf, "%.3g   (higher than %.0f%% of test points)", vals[i], std::floor(pct));
    } else {
      std::snprintf(buf, sizeof buf, "%.3g", vals[i]);
    }
    const Rgb c = viridis(scales.scale[size_t(i)].position(vals[i]));
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, imColorVec(c));
    // The bar without its own text; the text after it in white on a dark outline, readable over
    // any colour of the bar and of the trough.
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImGui::ProgressBar(std::clamp(vals[i] / lnK, 0.0f, 1.0f), ImVec2(-1, 14), "");
    ImGui::PopStyleColor();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 tp(at.x + 6, at.y + (14 - ImGui::GetTextLineHeight()) * 0.5f);
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy)
        if (dx || dy) dl->AddText(ImVec2(tp.x + float(dx), tp.y + float(dy)), IM_COL32(0, 0, 0, 255), buf);
    dl->AddText(tp, IM_COL32(255, 255, 255, 255), buf);
    ImGui::LogText("%s\n", buf);  // drawn text is not logged by itself (ImGui's log, the panel tests)
    tip((std::string(tips[i]) + ". The bar's colour is the map's colour for this value in the " + names[i] +
         " mode; the percentage: the share of the test points with a lower value.")
            .c_str());
  }
}

}  // namespace latentlab::gui
