#include "widgets/gl_program.h"

#include <epoxy/gl.h>

namespace latentlab::gui {

namespace {

// Reads a shader's or program's status; on failure puts "WHAT NAME: log" into err.
template <class GetIv, class GetLog>
bool checkStatus(GLuint object, GLenum status, GetIv getIv, GetLog getLog, const char* what, const char* name,
                 std::string& err) {
  GLint ok = 0;
  getIv(object, status, &ok);
  if (ok) return true;
  char log[2048];
  getLog(object, sizeof log, nullptr, log);
  err = std::string(what) + " " + name + ": " + log;
  return false;
}

unsigned compile(GLenum type, const char* src, const char* name, std::string& err) {
  GLuint s = glCreateShader(type);
  glShaderSource(s, 1, &src, nullptr);
  glCompileShader(s);
  if (!checkStatus(s, GL_COMPILE_STATUS, glGetShaderiv, glGetShaderInfoLog, "shader", name, err)) {
    glDeleteShader(s);
    return 0;
  }
  return s;
}

}  // namespace

unsigned linkProgram(const char* vs, const char* fs, const char* name, std::string& err,
                     const std::vector<std::pair<unsigned, const char*>>& attributes) {
  GLuint v = compile(GL_VERTEX_SHADER, vs, name, err);
  if (!v) return 0;
  GLuint f = compile(GL_FRAGMENT_SHADER, fs, name, err);
  if (!f) {
    glDeleteShader(v);
    return 0;
  }
  GLuint p = glCreateProgram();
  glAttachShader(p, v);
  glAttachShader(p, f);
  for (const auto& [location, attr] : attributes) glBindAttribLocation(p, location, attr);
  glLinkProgram(p);
  glDeleteShader(v);
  glDeleteShader(f);
  if (!checkStatus(p, GL_LINK_STATUS, glGetProgramiv, glGetProgramInfoLog, "program", name, err)) {
    glDeleteProgram(p);
    return 0;
  }
  return p;
}

unsigned makeImageTexture(bool linearMin) {
  GLuint tex = 0;
  glGenTextures(1, &tex);
  glBindTexture(GL_TEXTURE_2D, tex);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, linearMin ? GL_LINEAR : GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  return tex;
}

}  // namespace latentlab::gui
