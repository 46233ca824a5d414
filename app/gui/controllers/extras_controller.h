#pragma once
// Points added to the map (PointTable's extra rows): a user's image files (File ▸ Add images…,
// files dropped on the window, `add-image PATH`) and a dataset shown as a layer (the bundle's OOD
// set, or any dataset or folder; `layer DATASET [N]`). Each is encoded as a job, placed in the
// current view without moving the other points (PCA exactly, t-SNE and UMAP by out-of-sample
// placement), and behaves as a test point does. UI thread only.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::gui {

struct Context;

class ExtrasController {
 public:
  explicit ExtrasController(Context& ctx) : m_ctx(ctx) {}
  // Files or folders; `hashes` (a session's fingerprints, one per file) are checked when given.
  // The last added image is selected.
  void addImages(const std::vector<std::string>& paths, const std::vector<std::string>& hashes = {});
  void addLayer(const std::string& dataset, int64_t limit);

 private:
  Context& m_ctx;
};

}  // namespace latentlab::gui
