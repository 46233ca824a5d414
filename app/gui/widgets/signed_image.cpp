#include "widgets/signed_image.h"

#include <epoxy/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "latentlab/explorer/viewmath.h"
#include "shaders_gen.h"
#include "widgets/gl_program.h"

namespace latentlab::gui {

namespace {

// The saliency program, linked on first use with Dear ImGui's attribute locations (read off the
// program ImGui's backend has bound when the callback runs).
struct SaliencyProgram {
  GLuint prog = 0;
  GLint proj = -1, tex = -1, clip = -1, overlay = -1;
  bool failed = false;
  std::string error;
};
SaliencyProgram g_saliency;

void useSaliency(const ImDrawList*, const ImDrawCmd* cmd) {
  GLint imguiProg = 0;
  glGetIntegerv(GL_CURRENT_PROGRAM, &imguiProg);
  if (!imguiProg) return;
  SaliencyProgram& g = g_saliency;
  if (!g.prog && !g.failed) {
    std::vector<std::pair<unsigned, const char*>> attrs;
    for (const char* name : {"Position", "UV", "Color"}) {
      const GLint loc = glGetAttribLocation(GLuint(imguiProg), name);
      if (loc >= 0) attrs.emplace_back(unsigned(loc), name);
    }
    g.prog = linkProgram(kShader_saliency_vert, kShader_saliency_frag, "saliency", g.error, attrs);
    g.failed = g.prog == 0;
    if (g.failed) std::fprintf(stderr, "latentlab: %s (saliency maps fall back to ImGui's shader)\n", g.error.c_str());
    if (g.prog) {
      g.proj = glGetUniformLocation(g.prog, "ProjMtx");
      g.tex = glGetUniformLocation(g.prog, "Texture");
      g.clip = glGetUniformLocation(g.prog, "uClip");
      g.overlay = glGetUniformLocation(g.prog, "uOverlay");
    }
  }
  if (!g.prog) return;
  float mtx[16] = {};
  glGetUniformfv(GLuint(imguiProg), glGetUniformLocation(GLuint(imguiProg), "ProjMtx"), mtx);
  const auto* v = static_cast<const SignedImages::View*>(cmd->UserCallbackData);
  glUseProgram(g.prog);
  glUniformMatrix4fv(g.proj, 1, GL_FALSE, mtx);
  glUniform1i(g.tex, 0);
  glUniform1f(g.clip, v->clip);
  glUniform1f(g.overlay, v->overlay);
}

}  // namespace

void SignedImages::show(const std::string& slot, const std::vector<float>& map, int h, int w, float clip, float size,
                        bool overlay) {
  if (map.size() != size_t(h) * size_t(w) || h < 1 || w < 1) {
    if (!overlay) ImGui::Dummy(ImVec2(size, size));
    return;
  }
  std::unique_ptr<Slot>& sp = m_slots[slot];
  if (!sp) sp = std::make_unique<Slot>();
  Slot& st = *sp;
  if (!st.tex) st.tex = makeImageTexture(false);  // float textures: nearest, no filtering needed
  if (st.h != h || st.w != w || st.data != map) {
    glBindTexture(GL_TEXTURE_2D, st.tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, w, h, 0, GL_RED, GL_FLOAT, map.data());
    st.data = map;
    st.h = h;
    st.w = w;
  }
  st.view.clip = clip;
  st.view.overlay = overlay ? 1.0f : 0.0f;
  ImVec2 p0, p1;
  if (overlay) {
    p0 = ImGui::GetItemRectMin();
    p1 = ImGui::GetItemRectMax();
  } else {
    const float aspect = float(w) / float(h);
    const ImVec2 sz = aspect >= 1 ? ImVec2(size, size / aspect) : ImVec2(size * aspect, size);
    p0 = ImGui::GetCursorScreenPos();
    p1 = ImVec2(p0.x + sz.x, p0.y + sz.y);
    ImGui::Dummy(sz);
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddCallback(useSaliency, &st.view);  // the slot outlives the frame
  dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(st.tex)), p0, p1);
  dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
}

std::vector<float> SignedImages::channelSum(const std::vector<float>& v, int64_t C, int64_t hw) {
  std::vector<float> out(size_t(hw), 0.0f);
  if (v.size() != size_t(C * hw)) return out;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < hw; ++i) out[size_t(i)] += v[size_t(c * hw + i)];
  return out;
}

void SignedImages::legend(float clip, const char* unit, float width) {
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

void SignedImages::destroy() {
  for (auto& [name, st] : m_slots)
    if (st && st->tex) glDeleteTextures(1, &st->tex);
  m_slots.clear();
}

}  // namespace latentlab::gui
