#include "frame_bench.h"

#include <cmath>

#include "context.h"

namespace latentlab::gui {

bool FrameBench::wantsFrames(const Context& ctx) const { return enabled() && (m_phase > 0 || ctx.state.hasModel()); }

void FrameBench::beforeFrame(Context& ctx) {
  AppState& s = ctx.state;
  if (m_phase == 0 && s.hasModel() && ctx.worker->idle()) {
    if (m_all && !s.model.pts->hasTrain()) {
      if (!m_trainRequested) ctx.models.showTrainPoints(true);
      m_trainRequested = true;
    } else {
      fitView(s);
      m_phase = 1;
    }
  }
  if (m_phase != 1 && m_phase != 2) return;
  const Model& m = s.model;
  const double f = double(m_i) / m_frames;
  MapViewport& v = s.view.view;
  v.scale = s.view.fitScale * std::pow(12.0, 0.5 - 0.5 * std::cos(f * 6.2831853));
  v.cx = 0.5 * (m.minX + m.maxX) + 0.25 * (m.maxX - m.minX) * std::sin(f * 6.2831853);
  v.cy = 0.5 * (m.minY + m.maxY) + 0.2 * (m.maxY - m.minY) * std::sin(f * 3.14159);
  if (m_phase == 2 && !m_job) {
    auto ex = m.ex;
    m_job = ctx.worker->submit("bench: model report", [ex](Job& job) {
      for (int r = 0; r < 100 && !job.cancel; ++r) ex->modelReport({}, &job.cancel);
    });
  }
}

void FrameBench::afterFrame(Context& ctx, double ms, int ww, int wh, const char* renderer) {
  AppState& s = ctx.state;
  if (m_phase == 1 || m_phase == 2) {
    if (m_i >= 5) (m_phase == 1 ? m_plain : m_withJob).push_back(ms);
    if (m_i >= 5 && m_phase == 1) m_lod.push_back(s.ui.lodMs);
    if (++m_i >= m_frames + 5) {
      m_i = 0;
      if (m_phase == 2 && m_job) m_job->cancel = true;
      ++m_phase;
    }
  }
  if (m_phase == 3 && ctx.worker->idle()) {
    if (m_result) {
      nlohmann::json& r = *m_result;
      r["frames"] = m_plain;
      r["frames_with_job"] = m_withJob;
      r["lod_ms"] = m_lod;
      r["points"] = s.style.showTrain ? s.model.pts->n : s.model.pts->numTest;
      r["startup_ms"] = s.ui.startupMs;
      r["window"] = {ww, wh};
      r["renderer"] = renderer ? renderer : "";
    }
    s.ui.quit = true;
  }
}

}  // namespace latentlab::gui
