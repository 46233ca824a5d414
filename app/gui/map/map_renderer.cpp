#include "map/map_renderer.h"

#include <epoxy/gl.h>

#include <algorithm>
#include <cmath>

#include "shaders_gen.h"
#include "widgets/gl_program.h"

namespace latentlab::gui {

void MapRenderer::destroy() {
  if (!m_pointsProg) return;
  glDeleteProgram(m_pointsProg);
  glDeleteProgram(m_thumbsProg);
  GLuint bufs[] = {m_posVbo, m_colVbo, m_quadVbo, m_thumbVbo, m_drawEbo};
  glDeleteBuffers(5, bufs);
  GLuint vaos[] = {m_pointsVao, m_thumbVao};
  glDeleteVertexArrays(2, vaos);
  if (m_atlas) glDeleteTextures(1, &m_atlas);
  m_pointsProg = 0;
}

bool MapRenderer::init(std::string& err) {
  m_pointsProg = linkProgram(kShader_points_vert, kShader_points_frag, "points", err);
  if (!m_pointsProg) return false;
  m_thumbsProg = linkProgram(kShader_thumbs_vert, kShader_thumbs_frag, "thumbs", err);
  if (!m_thumbsProg) return false;

  glGenVertexArrays(1, &m_pointsVao);
  glBindVertexArray(m_pointsVao);
  glGenBuffers(1, &m_posVbo);
  glBindBuffer(GL_ARRAY_BUFFER, m_posVbo);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, nullptr);
  glGenBuffers(1, &m_drawEbo);
  glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, m_drawEbo);  // part of the VAO's state
  glGenBuffers(1, &m_colVbo);
  glBindBuffer(GL_ARRAY_BUFFER, m_colVbo);
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 4, GL_UNSIGNED_BYTE, GL_TRUE, 0, nullptr);

  glGenVertexArrays(1, &m_thumbVao);
  glBindVertexArray(m_thumbVao);
  const float quad[] = {0, 0, 1, 0, 0, 1, 1, 1};
  glGenBuffers(1, &m_quadVbo);
  glBindBuffer(GL_ARRAY_BUFFER, m_quadVbo);
  glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, nullptr);
  glGenBuffers(1, &m_thumbVbo);
  glBindBuffer(GL_ARRAY_BUFFER, m_thumbVbo);
  const GLsizei stride = sizeof(ThumbInstance);
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(offsetof(ThumbInstance, x)));
  glVertexAttribDivisor(1, 1);
  glEnableVertexAttribArray(2);
  glVertexAttribPointer(2, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(offsetof(ThumbInstance, cell)));
  glVertexAttribDivisor(2, 1);
  glEnableVertexAttribArray(3);
  glVertexAttribPointer(3, 4, GL_UNSIGNED_BYTE, GL_TRUE, stride,
                        reinterpret_cast<void*>(offsetof(ThumbInstance, border)));
  glVertexAttribDivisor(3, 1);
  glBindVertexArray(0);
  return true;
}

void MapRenderer::setPositions(const std::vector<float>& xy) {
  m_points = int64_t(xy.size() / 2);
  m_drawCount = -1;
  glBindBuffer(GL_ARRAY_BUFFER, m_posVbo);
  glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(xy.size() * sizeof(float)), xy.data(), GL_STATIC_DRAW);
}

void MapRenderer::setColors(const std::vector<uint32_t>& rgba) {
  glBindBuffer(GL_ARRAY_BUFFER, m_colVbo);
  glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(rgba.size() * sizeof(uint32_t)), rgba.data(), GL_DYNAMIC_DRAW);
}

void MapRenderer::setAtlas(const std::vector<uint8_t>& pixels, int64_t n, int h, int w, int c) {
  GLint maxSize = 4096;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &maxSize);
  const int side = std::min<int>(maxSize, 4096);
  const int perRowMax = std::max(1, side / w), rowsMax = std::max(1, side / h);
  const int64_t perLayerMax = int64_t(perRowMax) * rowsMax;
  const int64_t inLayer = std::max<int64_t>(1, std::min<int64_t>(n, perLayerMax));
  m_cellsPerRow = int(std::min<int64_t>(perRowMax, int64_t(std::ceil(std::sqrt(double(inLayer))))));
  const int rows = int((inLayer + m_cellsPerRow - 1) / m_cellsPerRow);
  m_cellsPerLayer = m_cellsPerRow * rows;
  const int layers = int((n + m_cellsPerLayer - 1) / m_cellsPerLayer);
  m_texW = m_cellsPerRow * w;
  m_texH = rows * h;
  if (m_atlas) glDeleteTextures(1, &m_atlas);
  glGenTextures(1, &m_atlas);
  glBindTexture(GL_TEXTURE_2D_ARRAY, m_atlas);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  const GLenum fmt = c == 3 ? GL_RGB : GL_RED;
  glTexImage3D(GL_TEXTURE_2D_ARRAY, 0, c == 3 ? GL_RGB8 : GL_R8, m_texW, m_texH, std::max(1, layers), 0, fmt,
               GL_UNSIGNED_BYTE, nullptr);
  if (c != 3) {  // grey: the shader reads .rgb
    const GLint swizzle[4] = {GL_RED, GL_RED, GL_RED, GL_ONE};
    glTexParameteriv(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_SWIZZLE_RGBA, swizzle);
  }
  m_aspect = float(w) / float(h);
  std::vector<uint8_t> layer(size_t(m_texW) * size_t(m_texH) * size_t(c));
  for (int l = 0; l < layers; ++l) {
    std::fill(layer.begin(), layer.end(), uint8_t(0));
    for (int64_t cell = 0; cell < m_cellsPerLayer; ++cell) {
      const int64_t i = int64_t(l) * m_cellsPerLayer + cell;
      if (i >= n) break;
      const int col = int(cell % m_cellsPerRow), row = int(cell / m_cellsPerRow);
      for (int y = 0; y < h; ++y)
        std::copy_n(&pixels[size_t((i * h + y) * w * c)], w * c,
                    &layer[(size_t(row * h + y) * size_t(m_texW) + size_t(col * w)) * size_t(c)]);
    }
    glTexSubImage3D(GL_TEXTURE_2D_ARRAY, 0, 0, 0, l, m_texW, m_texH, 1, fmt, GL_UNSIGNED_BYTE, layer.data());
  }
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

void MapRenderer::atlasSlot(int64_t index, float& cell, float& layer) const {
  cell = float(index % m_cellsPerLayer);
  layer = float(index / m_cellsPerLayer);
}

void MapRenderer::setDrawList(const std::vector<uint32_t>& indices) {
  m_drawCount = int64_t(indices.size());
  glBindVertexArray(m_pointsVao);
  glBufferData(GL_ELEMENT_ARRAY_BUFFER, GLsizeiptr(indices.size() * sizeof(uint32_t)), indices.data(), GL_STREAM_DRAW);
  glBindVertexArray(0);
}

void MapRenderer::setThumbs(const std::vector<ThumbInstance>& thumbs) {
  m_thumbs = int64_t(thumbs.size());
  glBindBuffer(GL_ARRAY_BUFFER, m_thumbVbo);
  glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(thumbs.size() * sizeof(ThumbInstance)), thumbs.data(), GL_STREAM_DRAW);
}

void MapRenderer::render(const MapViewport& v, int x, int y, float pointSizePx, float thumbSizePx, uint32_t bg) {
  const int w = std::max(1, v.width), h = std::max(1, v.height);
  glViewport(x, y, w, h);
  glEnable(GL_SCISSOR_TEST);
  glScissor(x, y, w, h);
  glClearColor(float(bg & 255) / 255.f, float((bg >> 8) & 255) / 255.f, float((bg >> 16) & 255) / 255.f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  glEnable(GL_BLEND);
  glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  const float sx = float(2.0 * v.scale / w), sy = float(2.0 * v.scale / h);
  if (m_points > 0 && m_drawCount != 0) {
    glDisable(GL_PROGRAM_POINT_SIZE);
    glPointSize(pointSizePx);
    glUseProgram(m_pointsProg);
    glUniform2f(glGetUniformLocation(m_pointsProg, "uCentre"), float(v.cx), float(v.cy));
    glUniform2f(glGetUniformLocation(m_pointsProg, "uScale"), sx, sy);
    glUniform1f(glGetUniformLocation(m_pointsProg, "uPointSize"), pointSizePx);
    glBindVertexArray(m_pointsVao);
    if (m_drawCount < 0)
      glDrawArrays(GL_POINTS, 0, GLsizei(m_points));
    else
      glDrawElements(GL_POINTS, GLsizei(m_drawCount), GL_UNSIGNED_INT, nullptr);
  }
  if (m_thumbs > 0 && m_atlas) {
    glUseProgram(m_thumbsProg);
    glUniform2f(glGetUniformLocation(m_thumbsProg, "uCentre"), float(v.cx), float(v.cy));
    glUniform2f(glGetUniformLocation(m_thumbsProg, "uScale"), sx, sy);
    glUniform2f(glGetUniformLocation(m_thumbsProg, "uPixel"), 2.0f / w, 2.0f / h);
    glUniform1f(glGetUniformLocation(m_thumbsProg, "uSizePx"), thumbSizePx);
    glUniform1f(glGetUniformLocation(m_thumbsProg, "uAspect"), m_aspect);
    glUniform1f(glGetUniformLocation(m_thumbsProg, "uCellsPerRow"), float(m_cellsPerRow));
    const float cellW = float(m_texW) / float(m_cellsPerRow);
    const float cellH = float(m_texH) / float(m_cellsPerLayer / m_cellsPerRow);
    glUniform2f(glGetUniformLocation(m_thumbsProg, "uCellUv"), cellW / float(m_texW), cellH / float(m_texH));
    glUniform1f(glGetUniformLocation(m_thumbsProg, "uBorder"), std::min(0.2f, 2.0f / std::max(thumbSizePx, 1.0f)));
    glUniform1i(glGetUniformLocation(m_thumbsProg, "uAtlas"), 0);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D_ARRAY, m_atlas);
    glBindVertexArray(m_thumbVao);
    glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, GLsizei(m_thumbs));
  }
  glBindVertexArray(0);
  glUseProgram(0);
  glDisable(GL_SCISSOR_TEST);
}

}  // namespace latentlab::gui
