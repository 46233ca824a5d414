#pragma once
// The window's Textures (textures.h): one GL texture per named slot. UI thread; the GL context
// current.
#include <map>
#include <memory>

#include "widgets/textures.h"

namespace latentlab::gui {

class GlTextures final : public Textures {
 public:
  void show(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size) override;
  void showSigned(const std::string& slot, const std::vector<float>& map, int h, int w, float clip, float size,
                  bool overlay) override;
  // Frees the textures; call while the GL context is current.
  void destroy();

  struct SignedView {  // what the saliency shader's draw callback reads at render time
    float clip = 1, overlay = 0;
  };

 private:
  struct ImageSlot {
    unsigned tex = 0;
    std::vector<uint8_t> rgba;
    int h = 0, w = 0;
  };
  struct SignedSlot {
    unsigned tex = 0;
    int h = 0, w = 0;
    std::vector<float> data;
    SignedView view;
  };
  std::map<std::string, ImageSlot> m_images;
  std::map<std::string, std::unique_ptr<SignedSlot>> m_signed;  // stable addresses: the draw callbacks keep them
};

}  // namespace latentlab::gui
