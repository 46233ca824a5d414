#pragma once
// A controller's one job of a kind at a time (an explanation run, a batch run, a layout): the job,
// a serial number that every start and every cancel advance, so that a run's late results are
// dropped once another run has started or it was cancelled, and the last error. The results reach
// the state on the UI thread through closures that check the run is still current first.
// UI thread only (the work runs on the job thread).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace latentlab::gui {

struct Context;
struct Job;

struct JobSlot {
  std::shared_ptr<Job> job;
  uint64_t serial = 0;
  std::string error;
  bool running() const { return job != nullptr; }
  // Asks the running job to stop; whatever it still posts is stale from now on.
  void cancel();
};

// True while the run it was made for is the slot's newest and the model it read is still loaded.
// It reads the UI's state: call it only on the UI thread, inside the run's worker->toUi closures.
using RunCheck = std::function<bool()>;

// How a run in a slot ends when it does not deliver its results (it delivers them itself, through
// worker->toUi closures that check the RunCheck and then free the slot's job).
struct RunEnd {
  std::string failed;              // an error is logged as "<failed>: <message>"
  bool dialog = true;              // ... and shown in the error dialog
  std::string cancelled;           // logged when cancelled ("": nothing)
  std::function<void()> onCancel;  // after the slot is freed, when cancelled
};

// What identifies the model a run reads: its point table (a run whose results are placed among the
// points), or its explorer (a run that outlives the training points being added).
enum class RunOwner { Points, Explorer };

// Cancels what `slot` runs and starts `work` in it as a job named `name` (the Jobs tab). `work`
// runs on the job thread with the job and the check its result closures must pass. A failure or a
// cancel frees the slot, keeps the error and logs it, when the run is still current.
void startInSlot(Context& c, JobSlot& slot, RunOwner owner, const std::string& name,
                 std::function<void(Job& job, const RunCheck& current)> work, RunEnd end);

}  // namespace latentlab::gui
