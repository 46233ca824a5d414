#pragma once
// Small images (inputs, decodes, neighbours, the hover thumbnail) as GL textures, one per named
// slot, uploaded again only when their pixels change: 784 ImGui rectangles per image made a drag
// frame with snap on cost 20k vertices. UI thread only (GL).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace latentlab::gui {

class ImageCache {
 public:
  // Draws an RGBA8 image [h, w] as an ImGui image `size` pixels on its longer side.
  void show(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size);
  // A float image [c, h, w] in [0, 1]: RGB when c is 3, else the mean of the channels in grey.
  // Draws an empty square when the size does not match.
  void showChw(const std::string& slot, const std::vector<float>& img, int c, int h, int w, float size);
  // A grey image [h, w].
  void showGrey(const std::string& slot, const uint8_t* img, int h, int w, float size);
  // Frees the textures; call while the GL context is current.
  void destroy();

 private:
  struct Slot {
    unsigned tex = 0;
    std::vector<uint8_t> rgba;
    int h = 0, w = 0;
  };
  std::map<std::string, Slot> m_slots;
};

}  // namespace latentlab::gui
