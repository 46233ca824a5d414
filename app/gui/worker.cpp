#include "worker.h"

#include <chrono>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "latentlab/util/errors.h"

namespace latentlab::gui {

void Job::report(const Progress& p) {
  const double within = p.batches > 0 ? double(p.batch) / double(p.batches) : 0.0;
  const double f = p.epochs > 0 ? (double(p.epoch - 1) + within) / double(p.epochs) : within;
  fraction.store(float(std::min(1.0, std::max(0.0, f))));
  // Only the parts this stage has: a t-SNE run has steps but no epochs, a load neither.
  std::string text = p.stage;
  char buf[96];
  if (p.epochs > 0) {
    std::snprintf(buf, sizeof buf, "  epoch %d/%d", p.epoch, p.epochs);
    text += buf;
  }
  if (p.batches > 0) {
    std::snprintf(buf, sizeof buf, "  %lld/%lld", (long long)p.batch, (long long)p.batches);
    text += buf;
  }
  if (p.etaSeconds > 0.5) {
    std::snprintf(buf, sizeof buf, "  ETA %.0fs", p.etaSeconds);
    text += buf;
  }
  std::lock_guard<std::mutex> l(textMutex);
  stage = text;
}

Worker::Worker() {
  m_jobThread = std::thread([this] { jobLoop(); });
  m_interactiveThread = std::thread([this] { interactiveLoop(); });
}

Worker::~Worker() { stop(); }

void Worker::stop() {
  {
    std::lock_guard<std::mutex> l(m_mutex);
    if (m_stop) return;
    m_stop = true;
    for (auto& j : m_jobs) j->cancel = true;
  }
  m_cv.notify_all();
  m_icv.notify_all();
  m_jobThread.join();
  m_interactiveThread.join();
}

std::shared_ptr<Job> Worker::submit(const std::string& name, JobFn fn, std::function<void(const std::string&)> onError,
                                    UiFn onCancel) {
  auto job = std::make_shared<Job>();
  job->name = name;
  // `run` is false for a job cancelled while it was still queued: it never starts, but its
  // onCancel runs all the same.
  Task wrapped = [this, fn = std::move(fn), onError = std::move(onError), onCancel = std::move(onCancel)](Job& j,
                                                                                                          bool run) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string err;
    try {
      if (run) fn(j);
    } catch (const CancelledError&) {
      j.cancelled = true;
    } catch (const std::exception& e) {
      err = torchErrorSummary(e);
    } catch (...) {
      err = "unknown error";
    }
    j.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Cancelled: it stopped on its cancel token, or never ran. A job that finished before it saw a
    // late Cancel is done, and its result stands.
    if (!run) j.cancelled = true;
    if (j.cancelled && err.empty() && onCancel) toUi(onCancel);
    if (!err.empty()) {
      {
        std::lock_guard<std::mutex> l(j.textMutex);
        j.error = err;
      }
      if (onError) toUi([onError, err] { onError(err); });
    }
  };
  {
    std::lock_guard<std::mutex> l(m_mutex);
    job->id = m_nextId++;
    m_jobs.push_back(job);
    // The Jobs tab keeps the newest finished jobs only (a long session loads and lays out often).
    size_t finished = 0;
    for (const auto& j : m_jobs) finished += j->finished ? 1 : 0;
    for (auto it = m_jobs.begin(); finished > kMaxFinishedJobs && it != m_jobs.end();)
      if ((*it)->finished) {
        it = m_jobs.erase(it);
        --finished;
      } else {
        ++it;
      }
    m_queue.emplace_back(job, std::move(wrapped));
  }
  m_cv.notify_all();
  return job;
}

void Worker::interactive(std::function<void()> fn, std::function<void(const std::string&)> onError) {
  {
    std::lock_guard<std::mutex> l(m_mutex);
    m_slot.put({std::move(fn), std::move(onError)});
  }
  m_icv.notify_all();
}

void Worker::toUi(UiFn fn) {
  {
    std::lock_guard<std::mutex> l(m_mutex);
    m_inbox.push_back(std::move(fn));
  }
  if (m_wake) m_wake();
}

int Worker::drainUi(const std::function<void(const std::string&)>& onError) {
  std::vector<UiFn> todo;
  {
    std::lock_guard<std::mutex> l(m_mutex);
    todo.swap(m_inbox);
  }
  for (auto& f : todo) {
    try {  // one closure that throws must not drop the others' results
      f();
    } catch (const std::exception& e) {
      if (onError) onError(torchErrorSummary(e));
    }
  }
  return int(todo.size());
}

std::vector<std::shared_ptr<Job>> Worker::jobs() const {
  std::lock_guard<std::mutex> l(m_mutex);
  return m_jobs;
}

void Worker::clearFinished() {
  std::lock_guard<std::mutex> l(m_mutex);
  std::vector<std::shared_ptr<Job>> keep;
  for (auto& j : m_jobs)
    if (!j->finished) keep.push_back(j);
  m_jobs.swap(keep);
}

bool Worker::idle() const {
  std::lock_guard<std::mutex> l(m_mutex);
  if (!m_queue.empty() || !m_inbox.empty() || m_slot.pending() || m_interactiveBusy.load() > 0) return false;
  for (auto& j : m_jobs)
    if (j->running) return false;
  return true;
}

bool Worker::jobRunning() const {
  std::lock_guard<std::mutex> l(m_mutex);
  if (!m_queue.empty()) return true;
  for (auto& j : m_jobs)
    if (j->running) return true;
  return false;
}

void Worker::jobLoop() {
#ifdef __linux__
  // Background jobs run at the lowest priority (nice 19; Linux threads have their own) so that the
  // UI thread and the GL driver's threads win the cores while the user interacts: on 2 cores a
  // training job at the same priority made frames 50-90 ms under llvmpipe. Threads started from
  // here (LibTorch's pool) inherit it. Drags, on the interactive thread, keep normal priority.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
#endif
  for (;;) {
    std::pair<std::shared_ptr<Job>, Task> item;
    {
      std::unique_lock<std::mutex> l(m_mutex);
      m_cv.wait(l, [&] { return m_stop || !m_queue.empty(); });
      if (m_stop) return;
      item = std::move(m_queue.front());
      m_queue.pop_front();
      item.first->running = true;
    }
    item.second(*item.first, !item.first->cancel);
    {
      std::lock_guard<std::mutex> l(m_mutex);
      item.first->running = false;
      // A job that ended well is at 100% (one that reported no progress would say 0).
      if (!item.first->cancelled && item.first->errorText().empty()) item.first->fraction = 1.0f;
      item.first->finished = true;
    }
  }
}

void Worker::interactiveLoop() {
  for (;;) {
    Request req;
    {
      std::unique_lock<std::mutex> l(m_mutex);
      m_icv.wait(l, [&] { return m_stop || m_slot.pending(); });
      if (m_stop) return;
      auto v = m_slot.take();
      if (!v) continue;
      req = std::move(*v);
      ++m_interactiveBusy;
    }
    std::string err;
    try {
      req.fn();
    } catch (const std::exception& e) {
      err = torchErrorSummary(e);
    } catch (...) {
      err = "unknown error";
    }
    if (!err.empty() && req.onError) toUi([onError = std::move(req.onError), err] { onError(err); });
    --m_interactiveBusy;
  }
}

}  // namespace latentlab::gui
