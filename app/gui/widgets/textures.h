#pragma once
// What the panels draw images with: small images (inputs, decodes, neighbours, the hover
// thumbnail) and signed attribution maps, each under a named slot that keeps its texture from
// frame to frame. The window's implementation uploads GL textures (gl_textures.h); the panel tests
// draw placeholders of the same size and note what was shown. An image is an ImGui item either
// way, so the layout is the same. UI thread only.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {
struct PointTable;
}

namespace latentlab::gui {

class Textures {
 public:
  virtual ~Textures() = default;
  // An RGBA8 image [h, w] as an ImGui image `size` pixels on its longer side.
  virtual void show(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size) = 0;
  // A signed map [h, w] (channels summed beforehand, channelSum), coloured blue - white - red and
  // clipped at +-clip, `size` pixels on its longer side. overlay: drawn over the last ImGui item (an
  // image of the same size), transparent where the map is 0.
  virtual void showSigned(const std::string& slot, const std::vector<float>& map, int h, int w, float clip, float size,
                          bool overlay) = 0;

  // A float image [c, h, w] in [0, 1]: RGB when c is 3, else the mean of the channels in grey.
  // Draws an empty square when the size does not match.
  void showChw(const std::string& slot, const std::vector<float>& img, int c, int h, int w, float size);
  // A grey image [h, w].
  void showGrey(const std::string& slot, const uint8_t* img, int h, int w, float size);
  // Point i's thumbnail (grey or RGB, PointTable::thumbRgba).
  void showThumb(const std::string& slot, const PointTable& t, int64_t i, float size);
};

// [C, H, W] -> [H, W], the channels summed (a pixel's attribution); zeros when the size is wrong.
std::vector<float> channelSum(const std::vector<float>& v, int64_t C, int64_t hw);
// [C, H, W] -> [H, W]: view 0 (or a one-channel image) the sum over channels, view k (1..C) channel k-1.
std::vector<float> channelView(const std::vector<float>& v, int64_t C, int64_t hw, int view);
// A horizontal ramp from -clip to +clip with its numbers and `unit` (the signed maps' legend).
void signedLegend(float clip, const char* unit, float width);

}  // namespace latentlab::gui
