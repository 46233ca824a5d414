#include "widgets/image_cache.h"

#include <epoxy/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "widgets/gl_program.h"

namespace latentlab::gui {

void ImageCache::show(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size) {
  Slot& st = m_slots[slot];
  if (!st.tex) st.tex = makeImageTexture(true);
  if (st.h != h || st.w != w || st.rgba != rgba) {
    glBindTexture(GL_TEXTURE_2D, st.tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    st.rgba = rgba;
    st.h = h;
    st.w = w;
  }
  const float aspect = float(w) / float(std::max(1, h));
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(st.tex)),
               aspect >= 1 ? ImVec2(size, size / aspect) : ImVec2(size * aspect, size));
}

void ImageCache::showChw(const std::string& slot, const std::vector<float>& img, int c, int h, int w, float size) {
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

void ImageCache::showGrey(const std::string& slot, const uint8_t* img, int h, int w, float size) {
  std::vector<uint8_t> rgba(size_t(h) * size_t(w) * 4, 255);
  for (size_t q = 0; q < size_t(h) * size_t(w); ++q) rgba[4 * q] = rgba[4 * q + 1] = rgba[4 * q + 2] = img[q];
  show(slot, rgba, h, w, size);
}

void ImageCache::destroy() {
  for (auto& [name, st] : m_slots)
    if (st.tex) glDeleteTextures(1, &st.tex);
  m_slots.clear();
}

}  // namespace latentlab::gui
