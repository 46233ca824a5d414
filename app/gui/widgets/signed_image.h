#pragma once
// Signed attribution maps drawn by a shader (shaders/saliency.frag): the raw floats go to the GPU
// as a one-channel texture and the blue - white - red ramp, clipped at +-clip, is applied per
// pixel, alone or over an image. A legend bar names the range. UI thread; GL context current.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace latentlab::gui {

class SignedImages {
 public:
  // The map [h, w] (channels summed beforehand) `size` pixels on its longer side. overlay: drawn
  // over the last ImGui item (an image of the same size), transparent where the map is 0.
  void show(const std::string& slot, const std::vector<float>& map, int h, int w, float clip, float size, bool overlay);
  // [C, H, W] -> [H, W], the channels summed (a pixel's attribution).
  static std::vector<float> channelSum(const std::vector<float>& v, int64_t C, int64_t hw);
  // A horizontal ramp from -clip to +clip with its numbers and `unit`.
  static void legend(float clip, const char* unit, float width);
  void destroy();

  struct View {  // what the draw callback reads at render time
    float clip = 1, overlay = 0;
  };

 private:
  struct Slot {
    unsigned tex = 0;
    int h = 0, w = 0;
    std::vector<float> data;
    View view;
  };
  std::map<std::string, std::unique_ptr<Slot>> m_slots;  // stable addresses: the draw callbacks keep them
};

}  // namespace latentlab::gui
