#pragma once
// The compute side of the GUI. Two threads, neither of them the UI thread:
//  - the interactive thread runs short requests (drag updates, inspector evaluations) from a
//    newest-wins slot, so a drag never queues stale frames;
//  - the job thread runs long jobs (loading, activations, projections, import, training) in
//    order, each with a cancel token and atomic progress for the Jobs panel.
// Both catch every exception and report it; the UI thread only reads posted results.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latentlab/util/newest_wins.h"
#include "latentlab/util/progress.h"

namespace latentlab::gui {

struct Job {
  int id = 0;
  std::string name;
  std::atomic<bool> cancel{false};
  std::atomic<bool> running{false};
  std::atomic<bool> finished{false};
  std::atomic<float> fraction{0.0f};
  mutable std::mutex textMutex;
  std::string stage;  // guarded by textMutex
  std::string error;  // guarded by textMutex; set when the job failed (not when cancelled)
  bool cancelled = false;
  double seconds = 0;

  std::string stageText() const {
    std::lock_guard<std::mutex> l(textMutex);
    return stage;
  }
  std::string errorText() const {
    std::lock_guard<std::mutex> l(textMutex);
    return error;
  }
  void report(const Progress& p);  // thread-safe
};

class Worker {
 public:
  static constexpr size_t kMaxFinishedJobs = 100;
  using JobFn = std::function<void(Job&)>;
  using UiFn = std::function<void()>;

  Worker();
  ~Worker();  // stop()
  // Cancels the running and queued jobs and joins both threads; closures still waiting for the UI
  // thread are dropped. Idempotent. Call it before the Worker's owner lets go of it: a job's last
  // words (toUi) go through the owner's pointer.
  void stop();

  // Queues a long job. On the UI thread afterwards: `onError` with the message if the job throws,
  // `onCancel` if it was cancelled (while it ran, or while it was still queued and never ran).
  std::shared_ptr<Job> submit(const std::string& name, JobFn fn, std::function<void(const std::string&)> onError = {},
                              UiFn onCancel = {});
  // Posts an interactive request; a pending one that was not started yet is dropped. If it
  // throws, `onError` runs on the UI thread with the message (as for jobs).
  void interactive(std::function<void()> fn, std::function<void(const std::string&)> onError);
  // Hands a closure to the UI thread (runs inside drainUi()) and wakes the UI thread.
  void toUi(UiFn fn);
  // Called (from any thread) after toUi queued something, e.g. glfwPostEmptyEvent, so that a UI
  // thread asleep in glfwWaitEvents sees the result at once. Set before submitting work.
  void setWake(std::function<void()> wake) { m_wake = std::move(wake); }
  // Called by the UI thread once a frame; returns how many closures ran.
  // A closure that throws is reported through `onError` and the others still run.
  int drainUi(const std::function<void(const std::string&)>& onError = {});

  // The queued and running jobs and the newest kMaxFinishedJobs finished ones, newest last.
  std::vector<std::shared_ptr<Job>> jobs() const;
  void clearFinished();
  bool idle() const;  // nothing queued, running, or waiting for the UI
  bool jobRunning() const;

 private:
  void jobLoop();
  void interactiveLoop();

  mutable std::mutex m_mutex;
  std::condition_variable m_cv, m_icv;
  using Task = std::function<void(Job&, bool run)>;
  std::deque<std::pair<std::shared_ptr<Job>, Task>> m_queue;
  std::vector<std::shared_ptr<Job>> m_jobs;
  struct Request {
    std::function<void()> fn;
    std::function<void(const std::string&)> onError;
  };
  NewestWins<Request> m_slot;
  std::atomic<int> m_interactiveBusy{0};
  std::vector<UiFn> m_inbox;
  std::function<void()> m_wake;
  bool m_stop = false;
  int m_nextId = 1;
  std::thread m_jobThread, m_interactiveThread;
};

}  // namespace latentlab::gui
