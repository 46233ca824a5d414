#pragma once
// Label-free example importance for the Examples panel and the `examples` / `example` script
// commands (Crabbé and van der Schaar 2022): DKNN, SimplEx or TracIn of the selection's latent over the training split,
// as a job (the training points are added first when the map lacks them). Clicking an example
// selects its training point on the map. UI thread only.
#include <cstdint>

#include "latentlab/examples/examples.h"

namespace latentlab::gui {

struct Context;

class ExamplesController {
 public:
  explicit ExamplesController(Context& ctx) : m_ctx(ctx) {}
  // Of the selection (a point, or an edited point's latent); an error says why not.
  void run(const ExampleOptions& options);
  // Called while the panel is shown: runs DKNN or SimplEx again when the selection changed (not
  // for a selection an example click made, nor for TracIn, which takes minutes).
  void follow();
  // Selects the training point of the rank-th top (or bottom) example; an error names a rank out
  // of range or a missing run.
  void selectExample(bool top, int rank);
  void cancel();
  void reset();  // another bundle was loaded

 private:
  Context& m_ctx;
};

}  // namespace latentlab::gui
