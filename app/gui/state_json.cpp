#include "state_json.h"

#include "commands/command.h"
#include "context.h"
#include "latentlab/explorer/decode_check.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"
#include "latentlab/util/stats.h"
#include "selection_summary.h"

#include <algorithm>
#include <cmath>
#include <map>

using nlohmann::json;

namespace latentlab::gui {

namespace {

// What the screen shows of the selection: while the mouse drags, the drag's evaluation.
const std::optional<LatentEval>& shownEval(const AppState& s) {
  return s.edits.drag.active && s.edits.dragEval ? s.edits.dragEval : s.edits.inspect;
}

// The selected point (or edited point, or the drag in progress): where it is, its latent, its
// label, and what the inspector shows of it.
void addSelected(json& j, Context& ctx) {
  const AppState& s = ctx.state;
  const Selection& sel = s.selection.sel;
  const auto& shown = shownEval(s);
  float x = 0, y = 0;
  ctx.edits.currentPosition(x, y);
  const Drag& d = s.edits.drag;
  if (d.active) {  // what the screen shows: the dragged latent at its ghost, not the start
    j["position"] = {d.zx, d.zy};
    j["latent"] = d.z;
    j["drag"] = {{"start", {d.x0, d.y0}},
                 {"target", {d.tx, d.ty}},
                 {"evaluated", bool(s.edits.dragEval)},
                 {"evaluated_latent_is_current", s.edits.dragEval && s.edits.dragEval->latent == d.z}};
  } else {
    j["position"] = {x, y};
    j["latent"] = ctx.edits.currentLatent();
  }
  if (sel.point >= 0) {
    const PointTable& t = *s.model.pts;
    j["origin_latent"] =
        std::vector<float>(t.latents.begin() + sel.point * t.d, t.latents.begin() + (sel.point + 1) * t.d);
    j["origin_position"] = {s.model.xy[size_t(2 * sel.point)], s.model.xy[size_t(2 * sel.point + 1)]};
    j["label"] = t.labels[size_t(sel.point)];  // -1 for an added point
    j["label_class"] = t.isExtra(sel.point) ? nullptr : nlohmann::json(t.pointLabel(sel.point));
    if (t.isExtra(sel.point)) j["added_name"] = t.pointLabel(sel.point);
  }
  j["dragging"] = s.edits.drag.active;
  if (const auto& ev = shown) {
    j["probabilities"] = ev->probs;
    j["probabilities_deterministic"] = ev->probsDet;
    j["prediction"] = ev->pred;
    if (ev->pred >= 0 && ev->pred < s.model.pts->K) j["prediction_class"] = s.model.pts->classNames[size_t(ev->pred)];
    j["uncertainty"] = {{"total", ev->total}, {"aleatoric", ev->aleatoric}, {"epistemic", ev->epistemic}};
    j["decode_ms"] = ev->ms;
    if (!ev->image.empty() && ev->pred >= 0) {  // the picture encoded again, and what the screen says of it
      const DecodeCheck c =
          checkDecode(ev->pred, ev->total, ev->predRound, ev->probRound, ev->totalRound, s.model.pts->classNames);
      j["picture"] = {{"prediction", ev->predRound},
                      {"probability", ev->probRound},
                      {"total", ev->totalRound},
                      {"warning", c.faithful() ? json(nullptr) : json(c.words)}};
    }
    if (!ev->saliency.empty()) {
      j["saliency"] = ev->saliency;
      j["saliency_ms"] = ev->saliencyMs;
    }
  }
}

// The uncertainty colour scales (each mode's own), the inspector bars' common scale, and what the
// selection and the filter hold.
void addScalesAndSummaries(json& j, const AppState& s) {
  const Selection& sel = s.selection.sel;
  const auto& shown = shownEval(s);
  const char* names[] = {"total", "aleatoric", "epistemic"};
  json scales;
  for (int m = 0; m < 3; ++m) {
    const ColorScale& c = s.model.uncertainty.scale[size_t(m)];
    scales[names[m]] = {{"lo", c.lo},           {"hi", c.hi},       {"log", c.log},
                        {"floored", c.floored}, {"below", c.below}, {"above", c.above}};
  }
  j["color_scales"] = scales;
  const PointTable& t = *s.model.pts;
  const float lnK = float(std::log(double(std::max<int64_t>(2, t.K))));
  json bars = {{"full_scale", lnK}, {"unit", "nats"}};
  if (sel.any() && shown && !shown->probs.empty()) {
    const float v[3] = {shown->total, shown->aleatoric, shown->epistemic};
    for (int m = 0; m < 3; ++m)
      bars[names[m]] = {{"value", v[m]},
                        {"fraction", std::clamp(v[m] / lnK, 0.0f, 1.0f)},
                        {"percentile", percentileOf(s.model.uncertainty.sorted[size_t(m)], v[m])}};
  }
  j["uncertainty_bars"] = bars;
  auto summary = [&t](const SelectionSummary& m) {
    return json{{"count", m.count},
                {"test", m.test},
                {"train", m.train},
                {"by_label", m.byLabel},
                {"by_prediction", m.byPred},
                {"correct", m.correct},
                {"mean_total", m.meanTotal},
                {"mean_aleatoric", m.meanAleatoric},
                {"mean_epistemic", m.meanEpistemic}};
  };
  j["selection_summary"] = summary(summarize(t, s.selection.multi));
  if (!s.style.filterMask.empty()) j["filter_summary"] = summary(summarize(t, maskedPoints(s.style.filterMask)));
}

// The counterfactual runs of the CLUE panel: per head, the path's length, U before, at z* and
// after the round trip, the classes, and where the final marker is on the map.
json clueJson(const AppState& s) {
  const ClueState& cs = s.clue;
  json c = {{"running", cs.running()}, {"error", cs.error}, {"scrub", cs.scrub}, {"from_point", cs.fromPoint}};
  auto run = [&s](const ClueRun& r) {
    const ClueResult& x = r.result;
    json o = {{"method", x.method},
              {"head", x.head},
              {"uncertainty", x.uncertainty},
              {"trajectory_length", x.numPathSteps()},
              {"steps", x.steps},
              {"u_before", x.uBefore},
              {"u_latent", x.uLatent},
              {"u_roundtrip", x.uRoundtrip},
              {"class_before", x.classBefore},
              {"class_latent", x.classLatent},
              {"class_roundtrip", x.classRoundtrip},
              {"latent_distance", x.latentDistance},
              {"input_distance", x.inputDistance},
              {"path_u", x.pathU},
              {"z0", x.z0},
              {"z_star", x.zStar},
              {"ms", x.ms}};
    const DecodeCheck dc = checkDecode(x.classLatent, x.uLatent, x.classRoundtrip, x.probRoundtrip(), x.uRoundtrip,
                                       s.model.pts->classNames);
    o["picture_warning"] = dc.faithful() ? json(nullptr) : json(dc.words);
    if (r.xy.size() >= 2) o["final_position"] = {r.xy[r.xy.size() - 2], r.xy[r.xy.size() - 1]};
    if (x.target >= 0)
      o["target"] = {{"class", x.target},
                     {"before", x.targetBefore},
                     {"latent", x.targetLatent},
                     {"roundtrip", x.targetRoundtrip}};
    if (!x.weights.empty()) o["weights"] = x.weights;
    return o;
  };
  if (cs.laplace) c["laplace"] = run(*cs.laplace);
  if (cs.det) c["deterministic"] = run(*cs.det);
  if (!cs.diverse.empty()) {  // diverse K: the K runs of one head, the one followed, and their diversity
    json all = json::array();
    for (const ClueRun& r : cs.diverse) all.push_back(run(r));
    c["diverse"] = all;
    c["following"] = cs.member + 1;  // 1-based, as clue-follow and the tab's "#k"
    const DiversityMeasure& dv = cs.diverse.front().result.diversity;
    c["diversity"] = {{"k", dv.k},         {"latent", dv.latent}, {"image", dv.image},
                      {"count", dv.count}, {"dpp", dv.dpp},       {"classes", dv.classes}};
  }
  c["playing"] = cs.playing;
  c["nudged_edited"] = cs.nudged;
  if (const ClueRun* r = cs.followed(); r && cs.scrub >= 0 && size_t(2 * cs.scrub + 1) < r->xy.size()) {
    c["scrub_position"] = {r->xy[size_t(2 * cs.scrub)], r->xy[size_t(2 * cs.scrub + 1)]};
    const int64_t d = r->result.d;
    if (int64_t(r->result.path.size()) >= (cs.scrub + 1) * d)
      c["scrub_latent"] =
          std::vector<float>(r->result.path.begin() + cs.scrub * d, r->result.path.begin() + (cs.scrub + 1) * d);
  }
  const ClueBatch& b = cs.batch;
  c["batch"] = {
      {"running", b.running()}, {"error", b.error}, {"out", b.out}, {"written", b.written}, {"summary", b.summary}};
  return c;
}

// The Attribution tab's integrated gradients: the figures, and the scrubber's alpha with the
// interpolated input and F there.
json attributionJson(const AppState& s) {
  if (const auto& as = s.attribution; as.run) {
    const AttributionResult& r = as.run->ig;
    const int node = as.alpha >= 1.0 ? r.steps() - 1 : r.nodeAt(as.alpha);
    json a = {{"method", r.method},
              {"alpha", as.alpha},
              {"node", node},
              {"f_alpha", node >= 0 ? json(r.fPath[size_t(node)]) : json(r.fBaseline)},
              {"input_at_alpha", r.inputAt(as.alpha)},
              {"attribution", r.attribution},
              {"from_point", as.fromPoint},
              {"path_points", as.run->pathXY.size() / 2},
              {"path", attributionPathName(as.options.path)},
              {"decoded_nodes", r.decodedNodes},
              {"running", as.running()},
              {"error", as.error}};
    a.update(attributionFacts(r));
    if (const auto& d = as.run->det)
      a["deterministic"] = {{"f_input", d->fInput},
                            {"f_baseline", d->fBaseline},
                            {"sum_attribution", d->sumAttribution},
                            {"completeness_residual", d->residual}};
    return a;
  }
  return {{"running", s.attribution.running()}, {"error", s.attribution.error}};
}

// The Concepts tab: the selection's DVAE code, the flips and their single-flip predictions.
json conceptsJson(Context& ctx) {
  const AppState& s = ctx.state;
  const ConceptState& cs = s.concepts;
  const bool active = ctx.concepts.active();  // the flips are kept in the selected edited point
  json c = {{"bits_total", s.model.dvaeBits}, {"active", active}, {"error", cs.error}};
  if (active) {
    c["from_point"] = cs.fromPoint;
    c["edited"] = cs.edited;
    c["base"] = cs.base;
    c["flips"] = cs.flips;
  }
  if (const auto& ev = s.edits.inspect; ev && !ev->bits.empty()) {
    c["bits"] = ev->bits;
    c["code_probabilities"] = ev->codeProbs;
    c["flip_predictions"] = ev->flipPred;
    c["flip_total"] = ev->flipTotal;
    json warnings = json::array();  // each flip's picture, as the model reads it again
    for (size_t i = 0; i < ev->flipPredRound.size() && i < ev->flipPred.size(); ++i) {
      const DecodeCheck dc = checkDecode(ev->flipPred[i], ev->flipTotal[i], ev->flipPredRound[i], ev->flipProbRound[i],
                                         ev->flipTotalRound[i], s.model.pts->classNames);
      warnings.push_back(dc.faithful() ? json(nullptr) : json(dc.words));
    }
    c["flip_picture_predictions"] = ev->flipPredRound;
    c["flip_picture_warnings"] = warnings;
    c["ms"] = ev->conceptsMs;
  }
  if (const auto& ev = s.edits.inspect; ev && !ev->conceptsError.empty()) c["error"] = ev->conceptsError;
  return c;
}

// The Examples tab: the run's top and bottom examples, as training positions and map points.
json examplesJson(const AppState& s) {
  const ExamplesState& es = s.examples;
  json e = {{"method", exampleMethodName(es.options.method)},
            {"running", es.running()},
            {"error", es.error},
            {"follow", es.follow}};
  if (es.run && s.hasModel()) {
    const ExampleScores& r = es.run->scores;
    const PointTable& t = *s.model.pts;
    auto row = [&](size_t i, size_t rank) {
      const int64_t point = t.numTest + r.index[i];
      json x = {{"rank", rank}, {"index", r.index[i]}, {"point", point}, {"score", r.score[i]}};
      if (point < t.n) x["label"] = t.labels[size_t(point)];
      return x;
    };
    json top = json::array(), bottom = json::array();
    const size_t k = std::min(size_t(es.shown), r.index.size());
    for (size_t j = 0; j < k; ++j) top.push_back(row(j, j));
    for (size_t j = 0; j < k; ++j) bottom.push_back(row(r.index.size() - 1 - j, j));
    e["run"] = {{"method", r.method},
                {"from_point", es.run->fromPoint},
                {"from_edited", es.run->fromEdited},
                {"label", es.run->label},
                {"scored", r.scored},
                {"duplicates", r.duplicates},
                {"residual", r.residual},
                {"checkpoints", r.checkpoints},
                {"ms", r.ms},
                {"top", top},
                {"bottom", bottom}};
  }
  return e;
}

// The points added to the map: an image's file, or its layer, with what the model says of it. A
// layer of thousands is summarised (count and mean uncertainties) after its first 20 points.
json addedPointsJson(const AppState& s) {
  json out = json::array();
  if (!s.hasModel()) return out;
  const PointTable& t = *s.model.pts;
  std::map<std::string, int> perLayer;
  for (int64_t i = t.numData(); i < t.n; ++i) {
    const size_t k = size_t(i - t.numData()), r = size_t(i);
    const bool image = t.extraKind[k] == PointTable::kAddedImage;
    if (!image && ++perLayer[t.extraLayer[k]] > 20) continue;
    json p = {{"index", i},
              {"kind", image ? "image" : "layer"},
              {"name", t.extraName[k]},
              {"predicted", t.preds[r]},
              {"predicted_class", t.preds[r] >= 0 ? json(t.classNames[size_t(t.preds[r])]) : json(nullptr)},
              {"p_max", t.preds[r] >= 0 ? t.probs[r * size_t(t.K) + size_t(t.preds[r])] : 0.0f},
              {"total", t.total[r]},
              {"aleatoric", t.aleatoric[r]},
              {"epistemic", t.epistemic[r]},
              {"x", s.model.xy[2 * r]},
              {"y", s.model.xy[2 * r + 1]}};
    if (image) {
      p["path"] = t.extraPath[k];
      p["fingerprint"] = t.extraHash[k];
    } else {
      p["layer"] = t.extraLayer[k];
    }
    out.push_back(p);
  }
  return out;
}

// Each layer's mean uncertainties beside the test points' (the OOD lesson: epistemic U higher).
json addedLayersJson(const AppState& s) {
  json out = json::array();
  if (!s.hasModel()) return out;
  const PointTable& t = *s.model.pts;
  const SelectionSummary& test = s.model.testSummary;
  for (const std::string& layer : layerNames(t)) {
    const SelectionSummary m = summarize(t, layerPoints(t, layer));
    out.push_back({{"dataset", layer},
                   {"n", m.count},
                   {"mean_total", m.meanTotal},
                   {"mean_aleatoric", m.meanAleatoric},
                   {"mean_epistemic", m.meanEpistemic},
                   {"test_mean_total", test.meanTotal},
                   {"test_mean_aleatoric", test.meanAleatoric},
                   {"test_mean_epistemic", test.meanEpistemic}});
  }
  return out;
}

}  // namespace

nlohmann::json stateJson(Context& ctx) {
  clampView(ctx.state);
  const AppState& s = ctx.state;
  const bool model = s.hasModel();
  const Selection& sel = s.selection.sel;
  json j;
  j["bundle"] = model ? json(s.model.dir) : json(nullptr);
  j["points"] = model ? s.model.pts->n : 0;
  j["test_points"] = model ? s.model.pts->numTest : 0;
  j["input_shape"] = model ? json{s.model.pts->C, s.model.pts->H, s.model.pts->W} : json(nullptr);
  j["added_points"] = addedPointsJson(s);
  j["added_layers"] = addedLayersJson(s);
  j["selected"] = sel.point;
  j["selected_edited"] = sel.edited;
  j["selection_count"] = s.selection.multi.size();
  j["edited_points"] = s.edits.edited.size();
  j["view"] = {{"x", s.view.view.cx}, {"y", s.view.view.cy}, {"scale", s.view.view.scale}};
  // The map's rectangle in window pixels: window (px, py) shows projection point
  // (x + (px - left - width/2) / scale, y - (py - top - height/2) / scale).
  const MapRect& r = s.view.mapRect;
  j["map_rect"] = {{"left", r.left}, {"top", r.top}, {"width", r.width}, {"height", r.height}};
  j["hover"] = s.selection.hover;
  j["drag_outside"] = s.edits.drag.active && s.edits.drag.outside;
  if (model) {
    if (const LayoutQuality* q = s.model.qualityOf(s.projection.current))
      j["layout_quality"] = {{"trustworthiness", q->trustworthiness},
                             {"knn_recall", q->knnRecall},
                             {"knn_accuracy", q->knnAccuracy},
                             {"sample", q->sample},
                             {"k", q->k}};
    j["layout_computing"] = s.projection.computing ? projectionKey(*s.projection.computing) : "";
  }
  j["selection"] = s.selection.multi;
  j["thumbnails"] = s.ui.thumbnailsShown;
  j["last_error"] = ctx.log.lastError();
  j["errors"] = ctx.log.errors();
  j["jobs"] = json::array();  // the Jobs tab: each job's name and how it ended
  for (const auto& job : ctx.worker->jobs())
    j["jobs"].push_back({{"name", job->name},
                         {"finished", job->finished.load()},
                         {"cancelled", job->cancelled},
                         {"progress", job->fraction.load()},
                         {"error", job->errorText()}});
  j["device"] = model ? s.model.device : "";
  if (model && sel.any()) addSelected(j, ctx);
  if (model) j["pca"] = {{"mean", s.model.pca.mean}, {"axes", s.model.pca.axes}};
  if (model) addScalesAndSummaries(j, s);
  j["clue"] = clueJson(s);
  j["attribution"] = attributionJson(s);
  j["concepts"] = conceptsJson(ctx);
  j["examples"] = examplesJson(s);
  if (!s.ui.frameMs.empty()) {
    const std::vector<double> f = s.ui.frameMs.vector();
    j["frame_ms"] = {{"median", quantile(f, 0.5)}, {"p95", quantile(f, 0.95)}, {"frames", f.size()}};
  }
  if (!s.edits.dragMs.empty()) {
    const std::vector<double> d = s.edits.dragMs.vector();
    j["drag_update_ms"] = {{"median", quantile(d, 0.5)}, {"p95", quantile(d, 0.95)}};
  }
  if (s.ui.startupMs >= 0) j["startup_ms"] = s.ui.startupMs;
  for (const CommandSpec& c : commands())  // the keys a command alone sets (its entry writes them)
    if (c.state) c.state(j, s);
  j["recording"] = ctx.recorder.active() ? json{{"path", ctx.recorder.path()}, {"lines", ctx.recorder.lines().size()}}
                                         : json(nullptr);
  return j;
}

void writeStateJson(Context& ctx, const std::string& path) {
  const json j = stateJson(ctx);
  try {
    checkOutputFile(path, true);
    writeUserFile(path, jsonText(j));
  } catch (const Error& e) {
    ctx.log.error(e.what());
  }
}

}  // namespace latentlab::gui
