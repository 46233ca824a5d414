#pragma once
// The map's projection: PCA, t-SNE, UMAP or an imported CSV layout. A layout not computed yet
// runs as a job that updates the map as it optimises and is cached in the bundle; cancelling it
// (or a failure) goes back to the view shown before. UI thread only.
#include <string>
#include <vector>

#include "app_state.h"

namespace latentlab::gui {

struct Context;

class ProjectionController {
 public:
  explicit ProjectionController(Context& ctx) : m_ctx(ctx) {}

  // Shows projection p: at once when it is PCA or already computed, else as a layout job. A job
  // already computing p goes on unless `force` (the points changed: start again).
  void apply(Projection p, bool force = false);
  // Reads and checks the file on the job thread, then shows it as the CSV layout.
  void importCsv(const std::string& path);
  // Writes the positions shown now (an existing file only when `replace`); returns "" or what went wrong.
  std::string exportCsv(const std::string& path, bool replace);
  // Stops the layout job, if one runs (the view stays as it is).
  void cancelJob();
  // Where the current layout puts latent z (PCA: its projection; else placed among its neighbours).
  void place(const std::vector<float>& z, float& x, float& y) const;
  // Re-places the edited points in the current projection.
  void placeEditedPoints();

 private:
  // Cancels the layout job and shows xy as projection p.
  void show(Projection p, const std::vector<float>& xy);
  // Moves the map's points to xy (and fits the view), keeping any job.
  void setLayout(const std::vector<float>& xy);
  void startJob(Projection p, Projection previous);
  Context& m_ctx;
};

}  // namespace latentlab::gui
