// The GL-free half of the panels' images: conversions to RGBA8 and the signed maps' legend.
#include "widgets/textures.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "latentlab/explorer/explorer.h"
#include "latentlab/explorer/viewmath.h"

namespace latentlab::gui {

void Textures::showChw(const std::string& slot, const std::vector<float>& img, int c, int h, int w, float size) {
  if (img.empty() || c < 1 || img.size() != size_t(c) * size_t(h) * size_t(w)) {
    ImGui::Dummy(ImVec2(size, size));
    return;
  }
  auto u8 = [](float v) { return uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  std::vector<uint8_t> rgba(size_t(h) * size_t(w) * 4, 255);
  const size_t plane = size_t(h) * size_t(w);
  for (size_t q = 0; q < plane; ++q) {
    if (c == 3) {
      for (size_t k = 0; k < 3; ++k) rgba[4 * q + k] = u8(img[k * plane + q]);
    } else {
      float v = 0;
      for (int ch = 0; ch < c; ++ch) v += img[size_t(ch) * plane + q];
      rgba[4 * q] = rgba[4 * q + 1] = rgba[4 * q + 2] = u8(v / float(c));
    }
  }
  show(slot, rgba, h, w, size);
}

void Textures::showGrey(const std::string& slot, const uint8_t* img, int h, int w, float size) {
  std::vector<uint8_t> rgba(size_t(h) * size_t(w) * 4, 255);
  for (size_t q = 0; q < size_t(h) * size_t(w); ++q) rgba[4 * q] = rgba[4 * q + 1] = rgba[4 * q + 2] = img[q];
  show(slot, rgba, h, w, size);
}

void Textures::showThumb(const std::string& slot, const PointTable& t, int64_t i, float size) {
  show(slot, t.thumbRgba(i), int(t.thumbH), int(t.thumbW), size);
}

std::vector<float> channelSum(const std::vector<float>& v, int64_t C, int64_t hw) {
  std::vector<float> out(size_t(hw), 0.0f);
  if (v.size() != size_t(C * hw)) return out;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < hw; ++i) out[size_t(i)] += v[size_t(c * hw + i)];
  return out;
}

std::vector<float> channelView(const std::vector<float>& v, int64_t C, int64_t hw, int view) {
  if (view <= 0 || view > C || C == 1 || v.size() != size_t(C * hw)) return channelSum(v, C, hw);
  return std::vector<float>(v.begin() + long((view - 1) * hw), v.begin() + long(view * hw));
}

void signedLegend(float clip, const char* unit, float width) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = 10, steps = 32;
  for (int i = 0; i < int(steps); ++i) {
    const float t0 = -1 + 2 * float(i) / steps, t1 = -1 + 2 * float(i + 1) / steps;
    const Rgb a = signedColor(t0), b = signedColor(t1);
    const ImU32 ca = ImGui::ColorConvertFloat4ToU32(ImVec4(a[0], a[1], a[2], 1)),
                cb = ImGui::ColorConvertFloat4ToU32(ImVec4(b[0], b[1], b[2], 1));
    dl->AddRectFilledMultiColor(ImVec2(p.x + width * float(i) / steps, p.y),
                                ImVec2(p.x + width * float(i + 1) / steps, p.y + h), ca, cb, cb, ca);
  }
  ImGui::Dummy(ImVec2(width, h));
  char lo[48], hi[48];
  std::snprintf(lo, sizeof lo, "-%.3g", double(clip));
  std::snprintf(hi, sizeof hi, "+%.3g %s", double(clip), unit);
  ImGui::TextUnformatted(lo);
  ImGui::SameLine(width * 0.5f - 4);
  ImGui::TextUnformatted("0");
  ImGui::SameLine(std::max(width * 0.5f + 20, width - ImGui::CalcTextSize(hi).x));
  ImGui::TextUnformatted(hi);
}

}  // namespace latentlab::gui
