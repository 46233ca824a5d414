#include "controllers/attribution_controller.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <optional>
#include "commands/command.h"
#include "context.h"
#include "latentlab/explorer/viewmath.h"
#include "latentlab/util/errors.h"
#include "recorder.h"

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

namespace {

float clipOf(const AttributionResult& r) {
  std::vector<float> summed(size_t(r.H * r.W), 0.0f);
  for (size_t i = 0; i < r.attribution.size(); ++i) summed[i % summed.size()] += r.attribution[i];
  return signedClip(summed);
}

}  // namespace

// The latent path of a path attribution, from z* to z0 ([K+1, d] flat), and the point whose image
// ends it; empty with `error` set when the selection has none.
bool AttributionController::latentPath(const AttributionOptions& o, std::vector<float>& path, int64_t& point,
                                       std::string& error) const {
  const AppState& s = m_ctx.state;
  const Selection& sel = s.selection.sel;
  const int64_t d = s.model.pts->d;
  path.clear();
  if (o.path == AttributionPath::Clue) {
    const ClueRun* run = s.clue.followed();
    if (!run) return error = "run a counterfactual first (the CLUE tab): the path goes from its z* back to z0", false;
    const ClueResult& r = run->result;
    const int last = r.numPathSteps() - 1;  // z* ends the path (a diverse one starts at z0, then its noisy start)
    for (int k = last; k >= 0; --k) path.insert(path.end(), r.path.begin() + k * d, r.path.begin() + (k + 1) * d);
    point = s.clue.fromPoint;
    return true;
  }
  if (sel.edited < 0)
    return error = "select an edited point (drag a point first): the path goes from it back to its origin", false;
  const std::vector<float>& z = s.edits.edited[size_t(sel.edited)].latent;
  const PointTable& t = *s.model.pts;
  constexpr int kSteps = 64;
  for (int k = 0; k <= kSteps; ++k) {
    const float a = float(k) / kSteps;
    for (int64_t j = 0; j < d; ++j)
      path.push_back(z[size_t(j)] + a * (t.latents[size_t(sel.point * d + j)] - z[size_t(j)]));
  }
  point = sel.point;
  return true;
}

void AttributionController::run(const AttributionOptions& options) {
  Context& c = m_ctx;
  AppState& s = c.state;
  AttributionState& as = s.attribution;
  as.error.clear();
  if (!s.hasModel()) return void(as.error = "load a model first");
  const Selection& sel = s.selection.sel;
  if (!sel.any() && options.path != AttributionPath::Clue) {
    as.error = "select a point (or an edited point) first";
    c.log.error("ig: nothing is selected", false);
    return;
  }
  int64_t point = sel.edited >= 0 ? -1 : sel.point;
  std::vector<float> path;
  try {
    checkAttributionOptions(options, s.model.pts->K, "ig");
    if (options.path != AttributionPath::Straight && !latentPath(options, path, point, as.error))
      throw InputError(as.error);
  } catch (const InputError& e) {
    as.error = e.what();
    c.log.error("ig: " + as.error, false);
    return;
  }
  cancel();
  as.options = options;
  if (s.clue.playing || s.clue.inspectStep >= 0) {  // the inspector shows the selection, as the tab does
    s.clue.playing = false;
    c.edits.requestInspect();
  }
  const std::vector<float> z = sel.edited >= 0 ? s.edits.edited[size_t(sel.edited)].latent : std::vector<float>{};
  ++as.runs;
  auto ex = s.model.ex;
  const bool laplace = s.model.hasLaplace;
  as.fromPoint = point;
  startInSlot(
      c, as, RunOwner::Points,
      options.path == AttributionPath::Straight ? "integrated gradients" : "latent-path attribution",
      [&c, ex, options, point, z, path, laplace](Job& job, const RunCheck& current) {
        auto latents = std::make_shared<std::vector<float>>();
        std::shared_ptr<AttributionResult> r, det;
        if (options.path == AttributionPath::Straight) {
          r = std::make_shared<AttributionResult>(ex->attribution(options, point, z, latents.get(), &job.cancel));
        } else {  // Perez et al.: both heads, side by side (the deterministic one has no epistemic U)
          AttributionOptions o = options;
          o.head = laplace ? options.head : HeadKind::Deterministic;
          r = std::make_shared<AttributionResult>(ex->pathAttribution(o, point, path, latents.get(), &job.cancel));
          if (o.head == HeadKind::Laplace && options.target.kind != AttributionTargetKind::Epistemic) {
            o.head = HeadKind::Deterministic;
            det = std::make_shared<AttributionResult>(ex->pathAttribution(o, point, path, nullptr, &job.cancel));
          }
        }
        c.worker->toUi([&c, r, det, latents, current] {
          if (!current()) return;
          AttributionState& as = c.state.attribution;
          AttributionRun run;
          run.ig = std::move(*r);
          run.latents = std::move(*latents);
          run.pathXY = c.attribution.placePath(run.latents, c.state.model.pts->d);
          run.clip = clipOf(run.ig);
          if (det) {
            run.det = std::move(*det);
            run.detClip = clipOf(*run.det);
          }
          as.run = std::move(run);
          as.job.reset();
          as.alpha = 1.0;
          c.log.info("ig: " + as.run->ig.target + ", completeness residual " + std::to_string(as.run->ig.residual));
        });
      },
      RunEnd{"attribution failed", true, "attribution cancelled", {}});
}

void AttributionController::cancel() { m_ctx.state.attribution.cancel(); }

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

void AttributionController::setLive(bool on, int steps) {
  AttributionState& as = m_ctx.state.attribution;
  as.live = on;
  as.liveSteps = std::clamp(steps, 0, 64);
  m_ctx.edits.requestInspect();  // the inspector's map now, not at the next drag
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

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

std::string attributionSettings(const AttributionOptions& o) {
  const AttributionOptions d;
  std::string l = "target=" + attributionTargetName(o.target);
  auto add = [&](const std::string& kv) { l += " " + kv; };
  if (o.method != d.method) add(std::string("method=") + attributionMethodName(o.method));
  if (o.shapNoise != d.shapNoise) add("shap_noise=" + exactDouble(o.shapNoise));
  if (o.path != d.path) add(std::string("path=") + attributionPathName(o.path));
  if (o.head != d.head) add(std::string("head=") + headKindName(o.head));
  if (o.baseline != d.baseline) add(std::string("baseline=") + igBaselineName(o.baseline));
  if (!o.adaptive) add("steps=" + std::to_string(o.steps));  // adaptive (steps=auto) is the default
  if (o.tolerance != d.tolerance) add("tolerance=" + exactDouble(o.tolerance));
  if (o.quadrature != d.quadrature) add(std::string("quadrature=") + quadratureName(o.quadrature));
  if (o.blurSigma >= 0) add("blur_sigma=" + exactDouble(o.blurSigma));
  if (o.seed != d.seed) add("seed=" + std::to_string(o.seed));
  return l;
}

void addAttributionCommands(CommandList& out) {
  {
    CommandSpec c{"ig",
                  {arg::settings("KEY=VALUE", "ig",
                                 [](const std::string& k, const std::string& v) {
                                   AttributionOptions o;
                                   setAttributionOption(o, k, v, "ig");
                                 })},
                  1,
                  "ig [target=class:K|logit:K|total|aleatoric|epistemic head=laplace|deterministic "
                  "baseline=black|blur|mean|noise steps=auto|M tolerance=T quadrature=midpoint|gauss-legendre "
                  "path=straight|clue|drag]: "
                  "integrated gradients of the selection's image, or (path=clue|drag) an uncertainty attributed along "
                  "the decoded latent path from the CLUE z* or the dragged point back to the image (the Attribution "
                  "tab)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      AttributionOptions o;
      for (const std::string& kv : cmd.args) {
        const size_t eq = kv.find('=');
        setAttributionOption(o, kv.substr(0, eq), kv.substr(eq + 1), "ig");
      }
      ctx.attribution.run(o);
      return true;
    };
    c.wait = waitUntilIdle;
    // Each run (from the panel or a script) with all its settings, so that the replay runs the same.
    c.record = Recording::event([](const AppState& s) { return s.attribution.runs; }, Recording::Phase::Run);
    c.record.latest = [](const AppState& s) { return attributionSettings(s.attribution.options); };
    c.stateKeys = {"attribution"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"scrub",
                  {arg::number("ALPHA", 0, 1)},
                  0,
                  "scrub ALPHA: move the Attribution tab's scrubber to alpha in 0..1 along the IG path"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.attribution.scrubTo(std::stod(cmd.args[0]));
      return true;
    };
    // A slider: written once it rests and is let go of; not at the start (a replay has no run yet).
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> {
          return exactDouble(std::clamp(s.attribution.alpha, 0.0, 1.0));
        },
        std::nullopt);
    c.record.settles = c.record.stillInput = true;
    c.record.atStart = false;
    c.stateKeys = {"attribution"};
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{
        "ig-channels",
        {arg::oneOf("sum|red|green|blue", {"sum", "red", "green", "blue"}, "%s must be sum, red, green or blue")},
        0,
        "ig-channels sum|red|green|blue: the Attribution tab's maps of a colour image: the sum over its "
        "channels (a pixel's attribution), or one channel alone"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      static const std::vector<std::string> v = {"sum", "red", "green", "blue"};
      ctx.state.attribution.channelView = int(std::find(v.begin(), v.end(), cmd.args[0]) - v.begin());
      return true;
    };
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> {
          static const char* const v[] = {"sum", "red", "green", "blue"};
          return std::string(v[std::clamp(s.attribution.channelView, 0, 3)]);
        },
        "sum");
    c.stateKeys = {"attribution_channels"};
    c.state = [](nlohmann::json& j, const AppState& s) {
      static const char* const v[] = {"sum", "red", "green", "blue"};
      j["attribution_channels"] = v[std::clamp(s.attribution.channelView, 0, 3)];
    };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"saliency",
                  {arg::onOff(), arg::oneOf("gradient|ig", {"gradient", "ig"}, "%s must be gradient or ig")},
                  1,
                  "saliency on|off [gradient|ig]: live saliency of the decoded image in the inspector, for the "
                  "Attribution tab's target and head (the plain gradient, or IG from black with 8 steps)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      ctx.attribution.setLive(cmd.args[0] == "on", cmd.args.size() > 1 && cmd.args[1] == "ig" ? 8 : 0);
      return true;
    };
    c.wait = waitUntilIdle;
    c.record = Recording::setting(
        [](const AppState& s) -> std::optional<std::string> {
          if (!s.attribution.live) return "off";
          return s.attribution.liveSteps > 0 ? "on ig" : "on gradient";
        },
        "off");
    c.stateKeys = {"saliency", "saliency_ms"};
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
