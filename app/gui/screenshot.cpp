#include "screenshot.h"

#include <epoxy/gl.h>
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <stb_image_write.h>

#include <algorithm>

#include "context.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::gui {

void writePng(const std::string& path, int w, int h, const std::vector<uint8_t>& rgba, bool userFile) {
  std::string bytes;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
  };
  if (!stbi_write_png_to_func(sink, &bytes, w, h, 4, rgba.data(), w * 4))
    throw InputError("[png] could not encode the image (" + path + ")");
  if (userFile)
    writeUserFile(path, bytes);
  else
    writeFileAtomic(path, bytes);
}

void takeScreenshot(Context& ctx, GLFWwindow* window, const std::string& path, const MapRect& r, bool replace,
                    bool userFile) {
  try {
    checkOutputFile(path, replace);
  } catch (const Error& e) {
    return ctx.log.error(e.what());
  }
  int fw = 0, fh = 0, ww = 0, wh = 0;
  glfwGetFramebufferSize(window, &fw, &fh);
  glfwGetWindowSize(window, &ww, &wh);
  const float sx = ww > 0 ? float(fw) / float(ww) : 1.0f, sy = wh > 0 ? float(fh) / float(wh) : 1.0f;
  const int px = std::clamp(int(float(int(r.left)) * sx), 0, fw), py = std::clamp(int(float(int(r.top)) * sy), 0, fh);
  const int pw = std::clamp(int(float(int(r.width)) * sx), 1, fw - px),
            ph = std::clamp(int(float(int(r.height)) * sy), 1, fh - py);
  std::vector<uint8_t> rgba(size_t(pw) * size_t(ph) * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(px, fh - py - ph, pw, ph, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  std::vector<uint8_t> flipped(rgba.size());
  for (int row = 0; row < ph; ++row)
    std::copy_n(&rgba[size_t(ph - 1 - row) * size_t(pw) * 4], size_t(pw) * 4, &flipped[size_t(row) * size_t(pw) * 4]);
  for (size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;
  try {
    writePng(path, pw, ph, flipped, userFile);
    ctx.state.ui.ownFiles.insert(path);
    ctx.log.info("saved " + path + " (" + std::to_string(pw) + "x" + std::to_string(ph) + ")");
  } catch (const Error& e) {
    ctx.log.error(e.what());
  }
}

void takePendingShots(Context& ctx, GLFWwindow* window) {
  int ww = 0, wh = 0;
  glfwGetWindowSize(window, &ww, &wh);
  auto& shots = ctx.state.ui.shots;
  if (std::any_of(shots.begin(), shots.end(), [](const PendingShot& s) { return s.framesLeft > 0; })) {
    for (PendingShot& s : shots) s.framesLeft = std::max(0, s.framesLeft - 1);
    return;
  }
  for (const PendingShot& s : shots) {
    const MapRect whole{0, 0, float(ww), float(wh)};
    const MapRect& r = s.region == ShotRegion::Map         ? ctx.state.view.mapRect
                       : s.region == ShotRegion::Inspector ? ctx.state.view.inspectorRect
                                                           : whole;
    takeScreenshot(ctx, window, s.path, r, s.replace);
  }
  ctx.state.ui.shots.clear();
}

}  // namespace latentlab::gui
