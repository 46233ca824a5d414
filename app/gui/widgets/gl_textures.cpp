// The window's textures (textures.h): RGBA8 images, and signed maps drawn by shaders/saliency.frag
// (the raw floats go to the GPU as a one-channel texture; the blue - white - red ramp, clipped at
// +-clip, is applied per pixel, alone or over an image). Uploaded again only when their pixels
// change: 784 ImGui rectangles per image made a drag frame with snap on cost 20k vertices.
#include "widgets/gl_textures.h"

#include <epoxy/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cstdio>

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
  const auto* v = static_cast<const GlTextures::SignedView*>(cmd->UserCallbackData);
  glUseProgram(g.prog);
  glUniformMatrix4fv(g.proj, 1, GL_FALSE, mtx);
  glUniform1i(g.tex, 0);
  glUniform1f(g.clip, v->clip);
  glUniform1f(g.overlay, v->overlay);
}

}  // namespace

void GlTextures::show(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size) {
  ImageSlot& st = m_images[slot];
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

void GlTextures::showSigned(const std::string& slot, const std::vector<float>& map, int h, int w, float clip,
                            float size, bool overlay) {
  if (map.size() != size_t(h) * size_t(w) || h < 1 || w < 1) {
    if (!overlay) ImGui::Dummy(ImVec2(size, size));
    return;
  }
  std::unique_ptr<SignedSlot>& sp = m_signed[slot];
  if (!sp) sp = std::make_unique<SignedSlot>();
  SignedSlot& st = *sp;
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

void GlTextures::destroy() {
  for (auto& [name, st] : m_images)
    if (st.tex) glDeleteTextures(1, &st.tex);
  m_images.clear();
  for (auto& [name, st] : m_signed)
    if (st && st->tex) glDeleteTextures(1, &st->tex);
  m_signed.clear();
}

}  // namespace latentlab::gui
