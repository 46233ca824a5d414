#pragma once
// The counterfactual runs of the CLUE panel and the `clue` script command: one job runs the
// selection's explanation with the Laplace head (its path drawn as it comes) and then with the
// deterministic head; the scrubber shows any step of either in the inspector. UI thread only.
#include <string>
#include <vector>

#include "latentlab/clue/clue.h"

namespace latentlab::gui {

struct Context;
struct ClueRun;

class ClueController {
 public:
  explicit ClueController(Context& ctx) : m_ctx(ctx) {}
  // From the selection (a point or an edited point); an error says why nothing ran.
  void run(const ClueOptions& options);
  // From a latent on the followed run's path (step `step`), as if it were an edited point.
  void continueFrom(int step);
  void cancel();
  // diverse K: the scrubber and the inspector follow counterfactual `member` (0-based).
  void follow(int member);
  // Shows step `step` of the followed run in the inspector (decode, prediction, uncertainties).
  void scrubTo(int step);
  // Advances the playback by `dt` seconds (about 2 s end to end); called once a frame.
  void tick(double dt);
  // Keeps the followed run's final latent as an edited point and selects it.
  void keepFinal();
  // The shown step's marker on the map, when it can be nudged (a finished run, paused).
  bool nudgeMarker(float& x, float& y) const;
  // Starts dragging the shown step (the map's mouse); the release keeps it as an edited point
  // (state.clue.nudged) from which Continue runs.
  void beginNudge();
  // A batch run of the panel's settings (state.clue.batch) as a job: `latentlab explain` into
  // batch.out, with progress and Cancel. An error says why nothing ran.
  void runBatch();
  void cancelBatch();
  // Centres the map on the runs' paths (and z0), zoomed so that they fill about half of it.
  void zoomToPaths();
  // Places the paths again after the projection changed.
  void replace();
  void reset();  // another bundle was loaded
  // A finished run with its path placed on the current map.
  ClueRun makeRun(const ClueResult& r) const;

 private:
  void start(const ClueOptions& options, int64_t point, std::vector<float> z0);
  std::vector<float> placePath(const std::vector<float>& path, int64_t d) const;
  Context& m_ctx;
};

// The `clue` settings that run `o` again (every one that differs from the default), for the
// recorder's `clue KEY=VALUE ...` line.
std::string clueSettings(const ClueOptions& o);

}  // namespace latentlab::gui
