#pragma once
// The frame benchmark behind `latentlab bench --only frame_ms_10k,frame_ms_70k`: once the model
// is up (with the training points for the 70k run), `frames` frames of continuous pan and zoom
// (x1 to x12), then the same again while a background job (the model report, in a loop) runs.
// Each frame is timed by the app from its start to after glFinish. UI thread only.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

namespace latentlab::gui {

struct Context;
struct Job;

class FrameBench {
 public:
  FrameBench(int frames, bool allPoints, nlohmann::json* result)
      : m_frames(frames), m_all(allPoints), m_result(result) {}
  bool enabled() const { return m_frames > 0; }
  // Whether the app should draw without waiting for events: not before the model is up, so that
  // the benchmark's own frames do not slow the model's loading and inflate startup_ms (a user's
  // window waits for events then too).
  bool wantsFrames(const Context& ctx) const;
  // Before the frame: waits for the model, then sets this frame's view.
  void beforeFrame(Context& ctx);
  // After the frame: records its time; when done, writes the result and asks the app to quit.
  void afterFrame(Context& ctx, double frameMs, int windowW, int windowH, const char* renderer);

 private:
  int m_frames = 0;
  bool m_all = false;
  nlohmann::json* m_result = nullptr;
  int m_phase = 0;  // 0 waiting, 1 frames, 2 frames with a job, 3 done
  int m_i = 0;
  bool m_trainRequested = false;
  std::shared_ptr<Job> m_job;
  std::vector<double> m_plain, m_withJob, m_lod;
};

}  // namespace latentlab::gui
