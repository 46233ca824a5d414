#include "job_slot.h"

#include "context.h"

namespace latentlab::gui {

void JobSlot::cancel() {
  if (job) job->cancel = true;
  job.reset();
  ++serial;
}

void startInSlot(Context& c, JobSlot& slot, RunOwner owner, const std::string& name,
                 std::function<void(Job&, const RunCheck&)> work, RunEnd end) {
  slot.cancel();
  const uint64_t serial = ++slot.serial;
  JobSlot* sp = &slot;  // lives in the Context's state, which outlives the worker's closures
  const std::shared_ptr<const void> model =
      owner == RunOwner::Points ? std::shared_ptr<const void>(c.state.model.pts) : c.state.model.ex;
  RunCheck current = [&c, sp, serial, owner, model] {
    const std::shared_ptr<const void> now =
        owner == RunOwner::Points ? std::shared_ptr<const void>(c.state.model.pts) : c.state.model.ex;
    return sp->serial == serial && now == model;
  };
  slot.job = c.worker->submit(
      name, [work = std::move(work), current](Job& job) { work(job, current); },
      [&c, sp, current, end, origin = c.log.prefix()](const std::string& err) {
        if (!current()) return;
        sp->job.reset();
        sp->error = err;
        // Reported at the script line that started the job, not at the line running when it failed.
        const std::string now = c.log.prefix();
        c.log.setPrefix(origin);
        c.log.error(end.failed + ": " + err, end.dialog);
        c.log.setPrefix(now);
      },
      [&c, sp, current, end] {
        if (!current()) return;
        sp->job.reset();
        if (end.onCancel) end.onCancel();
        if (!end.cancelled.empty()) c.log.info(end.cancelled);
      });
}

}  // namespace latentlab::gui
