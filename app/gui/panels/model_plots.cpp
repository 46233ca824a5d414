#include "panels/model_plots.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

constexpr ImU32 kLaplace = IM_COL32(80, 160, 230, 235), kDet = IM_COL32(230, 150, 60, 235);
constexpr ImU32 kTest = IM_COL32(80, 160, 230, 170), kOod = IM_COL32(240, 120, 60, 170);
constexpr ImU32 kAxis = IM_COL32(200, 200, 200, 255), kGrid = IM_COL32(70, 70, 70, 255);
constexpr int64_t kFewPoints = 20;  // a bin with fewer points is drawn faded: its accuracy is noise

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

// A plot frame: the area right of `left` pixels of y labels and above `bottom` pixels of x labels.
struct Frame {
  ImVec2 a, b;                                                      // the plotting area
  float x(double t) const { return a.x + float(t) * (b.x - a.x); }  // t in 0..1
  float y(double t) const { return b.y - float(t) * (b.y - a.y); }
};

Frame frame(ImDrawList* dl, float w, float h) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float left = 34, bottom = 18;
  Frame f{ImVec2(p.x + left, p.y + 4), ImVec2(p.x + w - 4, p.y + h - bottom)};
  dl->AddRectFilled(f.a, f.b, IM_COL32(30, 30, 30, 255));
  dl->AddRect(f.a, f.b, kGrid);
  ImGui::Dummy(ImVec2(w, h));
  return f;
}

// A tick on the x axis; its label is left out when it would overlap the one before (`lastRight`,
// the previous label's right edge, is updated).
void tickX(ImDrawList* dl, const Frame& f, double t, const std::string& label, float* lastRight = nullptr) {
  const float x = f.x(t);
  dl->AddLine(ImVec2(x, f.b.y), ImVec2(x, f.b.y + 3), kAxis);
  const float tw = ImGui::CalcTextSize(label.c_str()).x;
  const float left = std::clamp(x - tw / 2, f.a.x - 30, f.b.x - tw);
  if (lastRight && left < *lastRight + 4) return;
  dl->AddText(ImVec2(left, f.b.y + 3), kAxis, label.c_str());
  if (lastRight) *lastRight = left + tw;
}

void tickY(ImDrawList* dl, const Frame& f, double t, const std::string& label) {
  const float y = f.y(t);
  dl->AddLine(ImVec2(f.a.x - 3, y), ImVec2(f.a.x, y), kAxis);
  dl->AddLine(ImVec2(f.a.x, y), ImVec2(f.b.x, y), IM_COL32(60, 60, 60, 120));
  const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
  dl->AddText(ImVec2(f.a.x - 5 - ts.x, y - ts.y / 2), kAxis, label.c_str());
}

void legendItem(ImU32 color, const char* text) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = ImGui::GetTextLineHeight();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.2f), ImVec2(p.x + h * 0.6f, p.y + h * 0.8f), color);
  ImGui::Dummy(ImVec2(h * 0.7f, h));
  ImGui::SameLine(0, 2);
  ImGui::TextUnformatted(text);
}

// Accuracy against confidence per bin: the BLL (Laplace) and the deterministic head side by side,
// with the diagonal of perfect calibration; bins with few points faded, counts in the tooltip.
void drawReliability(const ModelReport& r, float w, float h) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("reliability");
  legendItem(kLaplace, "BLL");
  ImGui::SameLine();
  legendItem(kDet, "deterministic");
  const Frame f = frame(dl, w, h);
  dl->AddLine(ImVec2(f.x(0), f.y(0)), ImVec2(f.x(1), f.y(1)), IM_COL32(150, 150, 150, 200));
  const int bins = int(r.confLaplace.size());
  auto faded = [](ImU32 c, int64_t n) { return n >= kFewPoints ? c : (c & 0x00ffffffu) | (60u << 24); };
  for (int b = 0; b < bins; ++b) {
    const double x0 = double(b) / bins, x1 = double(b + 1) / bins, xm = 0.5 * (x0 + x1);
    const int64_t nd = r.countDet[size_t(b)], nl = r.countLaplace[size_t(b)];
    if (nl > 0)
      dl->AddRectFilled(ImVec2(f.x(x0) + 1, f.y(r.accLaplace[size_t(b)])), ImVec2(f.x(xm), f.y(0)),
                        faded(kLaplace, nl));
    if (nd > 0)
      dl->AddRectFilled(ImVec2(f.x(xm), f.y(r.accDet[size_t(b)])), ImVec2(f.x(x1) - 1, f.y(0)), faded(kDet, nd));
  }
  for (double t : {0.0, 0.5, 1.0}) {
    tickX(dl, f, t, num(t));
    tickY(dl, f, t, num(t));
  }
  // Hovering a bin gives its numbers.
  const ImVec2 m = ImGui::GetIO().MousePos;
  if (m.x >= f.a.x && m.x < f.b.x && m.y >= f.a.y && m.y < f.b.y && bins > 0) {
    const int b = std::clamp(int((m.x - f.a.x) / (f.b.x - f.a.x) * float(bins)), 0, bins - 1);
    ImGui::SetTooltip(
        "confidence %.2f to %.2f\nBLL: %lld points, accuracy %.3f, mean confidence %.3f\n"
        "deterministic: %lld points, accuracy %.3f, mean confidence %.3f",
        double(b) / bins, double(b + 1) / bins, (long long)r.countLaplace[size_t(b)], r.accLaplace[size_t(b)],
        r.confLaplace[size_t(b)], (long long)r.countDet[size_t(b)], r.accDet[size_t(b)], r.confDet[size_t(b)]);
  }
  ImGui::TextDisabled("x confidence, y accuracy");
  ImGui::TextDisabled("faded: a bin of < %lld points", (long long)kFewPoints);
  ImGui::EndGroup();
}

// Histograms of the epistemic uncertainty (mutual information) of the test set and the OOD set on a
// log axis (both pile up near 0 on a linear one), each as a share of its own set.
void drawOodHistograms(const ModelReport& r, const OodHistogram& hg, float w, float h) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("epistemic U: test vs OOD");
  char a[64], b[64];
  std::snprintf(a, sizeof a, "test %zu", r.inMi.size());
  std::snprintf(b, sizeof b, "%.24s %zu", r.oodName.c_str(), r.outMi.size());
  legendItem(kTest, a);
  ImGui::SameLine();
  legendItem(kOod, b);
  if (!r.oodNote.empty()) {
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s to the model's input", r.oodName.c_str(), r.oodNote.c_str());
  }
  const Frame f = frame(dl, w, h);
  const double lo = hg.lo, hi = hg.hi;
  const int nb = OodHistogram::kBins;
  const std::vector<float>&hin = hg.in, &hout = hg.out;
  const float top = hg.top;
  const double yTop = std::ceil(top * 10.0) / 10.0;  // the y axis ends at a round share
  for (int k = 0; k < nb; ++k) {
    const double x0 = double(k) / nb, x1 = double(k + 1) / nb;
    dl->AddRectFilled(ImVec2(f.x(x0), f.y(hin[size_t(k)] / yTop)), ImVec2(f.x(x1), f.y(0)), kTest);
    dl->AddRectFilled(ImVec2(f.x(x0), f.y(hout[size_t(k)] / yTop)), ImVec2(f.x(x1), f.y(0)), kOod);
  }
  // Ticks at the decades inside the axis (and the ends when there are fewer than two).
  int decades = 0;
  float lastRight = -1e9f;
  for (int e = int(std::ceil(lo)); e <= int(std::floor(hi)); ++e, ++decades)
    tickX(dl, f, (e - lo) / (hi - lo), num(std::pow(10.0, e)), &lastRight);
  if (decades < 2) {
    tickX(dl, f, 0, num(std::pow(10.0, lo)));
    tickX(dl, f, 1, num(std::pow(10.0, hi)));
  }
  tickY(dl, f, 0, "0");
  tickY(dl, f, 1, num(yTop));
  tickY(dl, f, 0.5, num(yTop / 2));
  ImGui::TextDisabled("x nats (log axis)");
  ImGui::TextDisabled("y share of each set");
  ImGui::EndGroup();
}

}  // namespace

void drawModelPlots(const ModelReport& r, const OodHistogram& ood) {
  if (!r.error.empty()) {
    ImGui::TextWrapped("OOD: %s", r.error.c_str());
  } else {
    ImGui::TextWrapped("OOD detection, AUROC: %.3f by epistemic U, %.3f by total U (entropy)", r.aurocMi,
                       r.aurocEntropy);
    tip("How well each uncertainty tells the OOD images from the test images: 0.5 is chance, 1 perfect");
  }
  const float avail = ImGui::GetContentRegionAvail().x;
  const float w = std::max(160.0f, 0.5f * (avail - ImGui::GetStyle().ItemSpacing.x) - 1), h = 100;
  drawReliability(r, w, h);
  if (r.error.empty()) {
    ImGui::SameLine();
    drawOodHistograms(r, ood, w, h);
  }
}

}  // namespace latentlab::gui
