#pragma once
// Integrated gradients of the selection's image for the Attribution panel and the `ig` / `scrub`
// script commands: one job per run (its nodes' inputs placed on the map when it ends), and the
// scrubber along the path. UI thread only.
#include <string>
#include <vector>

#include "latentlab/attribution/attribution.h"

namespace latentlab::gui {

struct Context;

class AttributionController {
 public:
  explicit AttributionController(Context& ctx) : m_ctx(ctx) {}
  // From the selection (a point's image, or an edited point's decode); an error says why not.
  void run(const AttributionOptions& options);
  void cancel();
  // The scrubber, alpha in [0, 1] (outside: an error naming the value, nothing changes).
  void scrubTo(double alpha);
  // Live saliency in the inspector: on or off, the plain gradient (steps 0) or IG from black.
  void setLive(bool on, int steps);
  // Places the path again after the projection changed.
  void replace();
  void reset();  // another bundle was loaded

 private:
  std::vector<float> placePath(const std::vector<float>& latents, int64_t d) const;
  bool latentPath(const AttributionOptions& o, std::vector<float>& path, int64_t& point, std::string& error) const;
  Context& m_ctx;
};

// The `ig` settings that run `o` again (every one that differs from the default), for the
// recorder's `ig KEY=VALUE ...` line.
std::string attributionSettings(const AttributionOptions& o);

}  // namespace latentlab::gui
