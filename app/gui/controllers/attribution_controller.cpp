#include "controllers/attribution_controller.h"

#include <cmath>
#include <memory>

#include "context.h"
#include "latentlab/errors.h"
#include "latentlab/viewmath.h"

namespace latentlab::gui {

std::vector<float> AttributionController::placePath(const std::vector<float>& latents, int64_t d) const {
  const size_t n = d > 0 ? latents.size() / size_t(d) : 0;
  std::vector<float> xy(2 * n);
  for (size_t k = 0; k < n; ++k) {
    const std::vector<float> z(latents.begin() + long(k * size_t(d)), latents.begin() + long((k + 1) * size_t(d)));
    m_ctx.projection.place(z, xy[2 * k], xy[2 * k + 1]);
  }
  return xy;
}

void AttributionController::run(const IgOptions& options) {
  Context& c = m_ctx;
  AppState& s = c.state;
  AttributionState& as = s.attribution;
  as.error.clear();
  if (!s.hasModel()) return void(as.error = "load a model first");
  const Selection& sel = s.selection.sel;
  if (!sel.any()) {
    as.error = "select a point (or an edited point) first";
    c.log.error("ig: nothing is selected", false);
    return;
  }
  try {
    checkIgOptions(options, s.model.pts->K, "ig");
  } catch (const InputError& e) {
    as.error = e.what();
    c.log.error(as.error, false);
    return;
  }
  cancel();
  as.options = options;
  const int64_t point = sel.edited >= 0 ? -1 : sel.point;
  const std::vector<float> z = sel.edited >= 0 ? s.edits.edited[size_t(sel.edited)].latent : std::vector<float>{};
  const uint64_t serial = ++as.serial;
  auto ex = s.model.ex;
  auto pts = s.model.pts;
  auto current = [&c, serial, pts] { return c.state.attribution.serial == serial && c.state.model.pts == pts; };
  as.fromPoint = point;
  as.job = c.worker->submit(
      "integrated gradients",
      [&c, ex, options, point, z, current](Job& job) {
        auto latents = std::make_shared<std::vector<float>>();
        auto r = std::make_shared<IgResult>(ex->attribution(options, point, z, latents.get(), &job.cancel));
        c.worker->toUi([&c, r, latents, current] {
          if (!current()) return;
          AttributionState& as = c.state.attribution;
          AttributionRun run;
          run.ig = std::move(*r);
          run.latents = std::move(*latents);
          run.pathXY = c.attribution.placePath(run.latents, c.state.model.pts->d);
          std::vector<float> summed(size_t(run.ig.H * run.ig.W), 0.0f);
          for (size_t i = 0; i < run.ig.attribution.size(); ++i) summed[i % summed.size()] += run.ig.attribution[i];
          run.clip = signedClip(summed);
          as.run = std::move(run);
          as.job.reset();
          as.alpha = 1.0;
          c.log.info("ig: " + as.run->ig.target + ", completeness residual " + std::to_string(as.run->ig.residual));
        });
      },
      [&c, current](const std::string& err) {
        if (!current()) return;
        c.state.attribution.job.reset();
        c.state.attribution.error = err;
        c.log.error("integrated gradients failed: " + err);
      },
      [&c, current] {
        if (!current()) return;
        c.state.attribution.job.reset();
        c.log.info("integrated gradients cancelled");
      });
}

void AttributionController::cancel() {
  AttributionState& as = m_ctx.state.attribution;
  if (as.job) as.job->cancel = true;
  as.job.reset();
  ++as.serial;
}

void AttributionController::scrubTo(double alpha) {
  AttributionState& as = m_ctx.state.attribution;
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    m_ctx.log.error("scrub: alpha must be in 0..1, got " + std::to_string(alpha), false);
    return;
  }
  if (!as.run) {
    m_ctx.log.error("scrub: run integrated gradients first (the Attribution tab, or the script command ig)", false);
    return;
  }
  as.alpha = alpha;
}

void AttributionController::replace() {
  AttributionState& as = m_ctx.state.attribution;
  if (!as.run || !m_ctx.state.hasModel()) return;
  as.run->pathXY = placePath(as.run->latents, m_ctx.state.model.pts->d);
}

void AttributionController::reset() {
  cancel();
  AttributionState& as = m_ctx.state.attribution;
  as.run.reset();
  as.error.clear();
  as.alpha = 1.0;
  as.fromPoint = -1;
}

}  // namespace latentlab::gui
