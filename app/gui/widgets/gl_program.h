#pragma once
// GLSL programs from the sources in shaders/ (compiled into the binary as kShader_* strings).
#include <string>
#include <utility>
#include <vector>

namespace latentlab::gui {

// Compiles and links; 0 with "shader|program NAME: log" in err on failure. `attributes` are bound
// to their locations before the link (for programs that must match another's vertex layout).
unsigned linkProgram(const char* vs, const char* fs, const char* name, std::string& err,
                     const std::vector<std::pair<unsigned, const char*>>& attributes = {});

// A new 2D texture, clamped at the edges, magnified to crisp pixels; minified linearly when
// `linearMin`, else nearest. Left bound.
unsigned makeImageTexture(bool linearMin);

}  // namespace latentlab::gui
