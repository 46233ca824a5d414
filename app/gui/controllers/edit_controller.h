#pragma once
// The selection and what the user does to it: select a point or an edited point, drag its latent
// through the inverse projection (each move posts one evaluation: decode + predictive), keep or
// cancel the drag, delete, undo; the multi-selection and the search filter. Evaluations go to the
// worker's newest-wins slot, so a drag never queues stale updates. UI thread only.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {
struct LatentEval;
}

namespace latentlab::gui {

struct Context;

class EditController {
 public:
  explicit EditController(Context& ctx) : m_ctx(ctx) {}

  void selectPoint(int64_t i);  // an error names a bad index
  void selectEdited(int k);
  void beginDrag();  // of the selection, from where it is shown
  // Of latent z shown at (x, y), as if it were an edited point made from point `origin` (a
  // counterfactual path's step, clueStep >= 0, nudged by hand); the commit selects it.
  void beginDragOf(int64_t origin, std::vector<float> z, float x, float y, int clueStep);
  void dragTo(float tx, float ty);  // projection coordinates; posts the evaluation
  void commitDrag();                // keeps the dragged latent as an edited point
  void cancelDrag();
  void deleteEdited(int k);
  void undo();            // the last add or delete (or the drag in progress)
  void setSnap(bool on);  // also show the nearest data points
  // Asks for the inspector's evaluation of the current selection.
  void requestInspect();
  // Shows latent z in the inspector (a step of a counterfactual path), whatever is selected.
  void inspectLatent(std::vector<float> z);
  // Keeps what the evaluation says of the selected edited point (its prediction, U and decode)
  // in that point, for the Edited tab, when r is of its latent.
  void rememberEval(const LatentEval& r);
  // Adds z as an edited point made from point `origin` (may be -1), placed in the current view,
  // and selects it (undoable like a drag).
  void addEdited(int64_t origin, std::vector<float> z);

  void setMultiSelection(std::vector<int64_t> points);
  void clearMultiSelection();
  // Parses state.style.filterText into the filter mask; a single index selects and centres that
  // point. A parse error goes to state.style.filterError (returned too).
  std::string applyFilter();

  // The selection's latent and position on the map (empty / unchanged when nothing is selected).
  std::vector<float> currentLatent() const;
  void currentPosition(float& x, float& y) const;
  // Forgets the selection, the edits and the drag (another bundle was loaded).
  void reset();

 private:
  enum class EvalTarget { Inspect, Drag };
  void requestEval(EvalTarget target, std::vector<float> z);
  Context& m_ctx;
};

// The script lines of a selection and a kept drag (their commands are declared in
// edit_controller.cpp), for the recorder.
std::string selectLine(int64_t point);
std::string dragLine(float dx, float dy, long frames);

}  // namespace latentlab::gui
