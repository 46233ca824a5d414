#include "panels/inspector_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "context.h"
#include "latentlab/explorer/decode_check.h"
#include "latentlab/util/errors.h"
#include "selection_summary.h"
#include "widgets/bars.h"
#include "widgets/textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

// A set of points in a few lines: the count, the class mix (the largest classes first, by label and
// by prediction), the accuracy and the mean uncertainties.
void drawSummary(const PointTable& t, const SelectionSummary& m, const char* what) {
  ImGui::Text("%s: %lld points (%lld test, %lld train)", what, (long long)m.count, (long long)m.test,
              (long long)m.train);
  if (m.count == 0) return;
  std::vector<int> order(size_t(t.K));
  for (size_t k = 0; k < order.size(); ++k) order[k] = int(k);
  std::stable_sort(order.begin(), order.end(),
                   [&m](int a, int b) { return m.byLabel[size_t(a)] > m.byLabel[size_t(b)]; });
  // Two labelled columns per class: how many have that label, how many are predicted as it.
  ImGui::PushFont(monoFont());
  ImGui::TextDisabled("%-11s %7s %6s   %-11s %7s %6s", "class", "labelled", "pred", "class", "labelled", "pred");
  ImGui::PopFont();
  tip("labelled: how many of the selection have this label; pred: how many the model predicts as this class");
  int shown = 0;
  for (int k : order) {
    if (m.byLabel[size_t(k)] == 0 || shown == 6) break;
    if (shown++ % 2) ImGui::SameLine(0, ImGui::CalcTextSize("   ").x);
    const std::string& name = t.classNames[size_t(k)];
    const std::string label = name == std::to_string(k) ? "class " + name : name;
    ImGui::PushFont(monoFont());
    ImGui::TextColored(imColorVec(classColor(k)), "%-11.11s %7lld %6lld", label.c_str(),
                       (long long)m.byLabel[size_t(k)], (long long)m.byPred[size_t(k)]);
    ImGui::PopFont();
  }
  int rest = 0;
  for (size_t k = size_t(std::min<int64_t>(6, t.K)); k < order.size(); ++k) rest += m.byLabel[size_t(order[k])] > 0;
  if (rest > 0) ImGui::TextDisabled("and %d more classes", rest);
  if (t.hasClassifier) {
    ImGui::Text("accuracy %.1f%% (%lld right)", 100.0 * double(m.correct) / double(m.count), (long long)m.correct);
    ImGui::Text("mean U: total %.3f, aleatoric %.3f, epistemic %.4f nats", m.meanTotal, m.meanAleatoric,
                m.meanEpistemic);
  }
}

// Before anything is selected: what the loaded model is, so that the panel is not empty.
void drawModelSummary(const AppState& s) {
  const PointTable& t = *s.model.pts;
  ImGui::Text("model: %s  (%s)", s.model.name.c_str(), s.model.device.c_str());
  ImGui::Text("%lld test points, %lld classes, latent d = %lld%s", (long long)t.numTest, (long long)t.K, (long long)t.d,
              s.style.showTrain && t.hasTrain() ? ", training points shown" : "");
  if (t.hasClassifier) {
    const SelectionSummary& m = s.model.testSummary;
    ImGui::Text("test accuracy %.1f%% (%s head)", 100.0 * double(m.correct) / double(std::max<int64_t>(1, m.count)),
                s.model.hasLaplace ? "Bayesian last layer" : "deterministic");
    ImGui::Text("mean U: total %.3f, aleatoric %.3f, epistemic %.4f nats", m.meanTotal, m.meanAleatoric,
                m.meanEpistemic);
    ImGui::TextDisabled(s.model.report ? "reliability and OOD: the Model tab"
                                       : "reliability and OOD: being computed (Model tab)");
  } else {
    ImGui::TextWrapped("An encoder trained without labels (%s): no prediction or uncertainty.", t.objective.c_str());
  }
}

// Live saliency of the decode (the Attribution tab's target), beside it.
void drawLiveSaliency(Context& ctx, const LatentEval& e, float img) {
  const AppState& s = ctx.state;
  const PointTable& t = *s.model.pts;
  const int H = int(t.H), W = int(t.W);
  const LatentEval* ev = &e;
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted(s.attribution.liveSteps > 0 ? "IG of F" : "dF/dx");
  ctx.textures.showChw("sal_img", ev->image, int(t.C), H, W, img);
  const std::vector<float> map = channelSum(ev->saliency, t.C, t.H * t.W);
  ctx.textures.showSigned("sal", map, H, W, signedClip(map), img, true);
  ImGui::EndGroup();
  tip(("Live saliency of the decoded image for the Attribution tab's target (" +
       attributionTargetName(s.attribution.options.target) +
       "): red raises it, blue lowers it; its own colour range. " + std::to_string(int(ev->saliencyMs * 10) / 10.0) +
       " ms of this update")
          .c_str());
}

// Snap to manifold: the data points nearest to the latent, with their labels and distances.
void drawNeighbours(Context& ctx, const LatentEval& e, float img) {
  const PointTable& t = *ctx.state.model.pts;
  const LatentEval* ev = &e;
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("nearest data");
  const float small = img / 2 - 2;
  for (size_t k = 0; k < std::min<size_t>(4, ev->neighbours.size()); ++k) {
    if (k % 2) ImGui::SameLine();
    const size_t j = size_t(ev->neighbours[k]);
    ImGui::BeginGroup();
    ctx.textures.showThumb("nb" + std::to_string(k), t, int64_t(j), small);
    double d2 = 0;
    for (int64_t a = 0; a < t.d && size_t(a) < ev->latent.size(); ++a) {
      const double x = double(ev->latent[size_t(a)]) - t.latents[j * size_t(t.d) + size_t(a)];
      d2 += x * x;
    }
    ImGui::TextColored(imColorVec(classColor(t.labels[j])), "%.8s", t.pointLabel(int64_t(j)).c_str());
    ImGui::TextDisabled("d %.2f", std::sqrt(d2));
    ImGui::EndGroup();
  }
  ImGui::EndGroup();
  tip("Snap to manifold: the data points nearest to this latent in latent space, with their labels and their "
      "Euclidean distance d to it in the latent space");
}

// Nothing selected: the summary of the filter's matches (if any), the model's, and what to do.
void drawNothingSelected(const AppState& s) {
  if (s.hasModel()) {
    if (s.selection.multi.empty() && !s.style.filterMask.empty()) {
      drawSummary(*s.model.pts, summarize(*s.model.pts, maskedPoints(s.style.filterMask)), "filter matches");
      ImGui::Separator();
    }
    drawModelSummary(s);
    ImGui::Separator();
  }
  ImGui::TextWrapped(
      "Click a point to inspect it. Then drag it (left button) to move its latent code: the decoded "
      "image, the prediction and the uncertainties follow. Shift+drag draws a lasso. Press ? for help.");
}

// Which point the inspector shows: a data point, an edited point, a drag, or a counterfactual step.
void drawPointHeader(const AppState& s) {
  const Selection& sel = s.selection.sel;
  const PointTable& t = *s.model.pts;
  const size_t i = size_t(sel.point);
  const bool dragging = s.edits.drag.active;
  // An added image or layer point has no true class: its file or layer name stands in for it.
  const std::string label = t.isExtra(sel.point) ? "none, " + t.pointLabel(sel.point) : t.pointLabel(sel.point);
  if (dragging)
    ImGui::Text("dragging #%lld (label %s): a latent has no label", (long long)sel.point, label.c_str());
  else if (sel.edited >= 0)
    ImGui::Text("edited point %d from #%lld (label %s): no label of its own", sel.edited + 1, (long long)sel.point,
                label.c_str());
  else if (s.clue.inspectStep >= 0 && s.clue.followed())
    ImGui::TextColored(ImVec4(1.0f, 0.65f, 0.3f, 1.0f),
                       "counterfactual of point #%lld (label %s): the numbers below are z_t's", (long long)sel.point,
                       label.c_str());
  else if (t.isExtra(sel.point))
    ImGui::Text("point #%lld  (%s): %s, no label", (long long)sel.point,
                t.extraKind[i - size_t(t.numData())] == PointTable::kAddedImage ? "added image" : "layer point",
                t.pointLabel(sel.point).c_str());
  else
    ImGui::Text("point #%lld  (%s %lld), label: %s", (long long)sel.point, t.isTrain[i] ? "train" : "test",
                (long long)t.splitIndex[i], label.c_str());
}

}  // namespace

void InspectorPanel::draw(Context& ctx) {
  const AppState& s = ctx.state;
  const Selection& sel = s.selection.sel;
  if (s.hasModel() && !s.selection.multi.empty()) {
    drawSummary(*s.model.pts, summarize(*s.model.pts, s.selection.multi), "selection");
    ImGui::Separator();
  }
  if (!s.hasModel() || !sel.any()) return drawNothingSelected(s);
  const PointTable& t = *s.model.pts;
  const size_t i = size_t(sel.point);
  const bool dragging = s.edits.drag.active;
  const auto& evalOpt = dragging ? s.edits.dragEval : s.edits.inspect;
  const LatentEval* ev = evalOpt ? &*evalOpt : nullptr;
  const bool editedPoint = sel.edited >= 0 || dragging;
  drawPointHeader(s);
  const ClueRun* clueRun = s.clue.inspectStep >= 0 && !dragging ? s.clue.followed() : nullptr;
  if (clueRun && clueRun->result.members > 1)
    ImGui::TextColored(ImVec4(1.0f, 0.65f, 0.3f, 1.0f), "showing step %d of %d of counterfactual #%d of %d (CLUE tab)",
                       s.clue.inspectStep, clueRun->result.numPathSteps() - 1, clueRun->result.member + 1,
                       clueRun->result.members);
  else if (clueRun)
    ImGui::TextColored(ImVec4(1.0f, 0.65f, 0.3f, 1.0f), "showing step %d of %d of the %s %s run (CLUE tab)",
                       s.clue.inspectStep, clueRun->result.numPathSteps() - 1, clueRun->result.head.c_str(),
                       clueRun->result.method.c_str());
  const float img = std::min(120.0f, (ImGui::GetWindowWidth() - 40) / 3);
  const int H = int(t.H), W = int(t.W);
  ImGui::BeginGroup();
  ImGui::TextUnformatted(editedPoint ? "origin's image x" : "input x");
  ctx.textures.showThumb("input", t, int64_t(i), img);
  ImGui::EndGroup();
  tip("The data image of the selected point");
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted(dragging          ? "decode g(z) (drag)"
                         : clueRun         ? "decode g(z_t)"
                         : sel.edited >= 0 ? "decode g(z)"
                                           : "recon g(phi(x))");
  if (ev)
    ctx.textures.showChw("dec", ev->image, int(t.C), H, W, img);
  else
    ImGui::Dummy(ImVec2(img, img));
  ImGui::EndGroup();
  tip("The decoder's image of the current latent: the reconstruction for a data point, the decode for a dragged one");
  // VAE-CLUE and the hierarchical search move an image, not the classifier's latent: their own
  // image (the frame at or before this step) is shown beside the decoder's view of z_t.
  const bool imageMethod = clueRun && (clueRun->result.method == std::string("vae-clue") ||
                                       clueRun->result.method == std::string("hierarchical"));
  if (imageMethod) {
    const ClueResult& r = clueRun->result;
    const size_t P = size_t(r.C * r.H * r.W);
    int frame = -1;
    for (size_t f = 0; f < r.frameSteps.size() && (f + 1) * P <= r.frames.size(); ++f)
      if (r.frameSteps[f] <= s.clue.inspectStep) frame = int(f);
    const bool last = s.clue.inspectStep >= r.numPathSteps() - 1 && r.xStar.size() == P;
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("%s x (step %d)", r.method == std::string("vae-clue") ? "VAE's" : "input",
                last         ? r.numPathSteps() - 1
                : frame >= 0 ? r.frameSteps[size_t(frame)]
                             : 0);
    if (last)
      ctx.textures.showChw("method_img", r.xStar, int(r.C), H, W, img);
    else if (frame >= 0)
      ctx.textures.showChw("method_img",
                           std::vector<float>(r.frames.begin() + long(size_t(frame) * P),
                                              r.frames.begin() + long(size_t(frame + 1) * P)),
                           int(r.C), H, W, img);
    else
      ctx.textures.showChw("method_img", r.x0, int(r.C), H, W, img);
    ImGui::EndGroup();
    tip("This method's own image at (or just before) this step: the VAE's decode for VAE-CLUE, the input being "
        "changed for the hierarchical search. z_t is the classifier's latent of that image; the image beside it is "
        "the classifier's decoder's view of z_t, which is not the same picture.");
  }
  if (ev && !ev->saliency.empty()) drawLiveSaliency(ctx, *ev, img);
  if (ev && !ev->neighbours.empty()) drawNeighbours(ctx, *ev, img);
  if (!s.edits.evalError.empty()) ImGui::TextColored(kErrorText, "%s", clipForMessage(s.edits.evalError, 300).c_str());
  if (!ev) {
    if (s.edits.evalError.empty()) ImGui::TextDisabled("computing...");
    return;
  }
  if (!t.hasClassifier || ev->probs.empty()) {
    ImGui::Separator();
    ImGui::TextWrapped(
        "This bundle's encoder was trained without labels (%s): it has no classifier, so there is no "
        "prediction and no uncertainty to show. Its examples and label-free saliency are in the Examples "
        "and Attribution tabs.",
        t.objective.c_str());
    if (!s.ui.presenter) ImGui::TextDisabled("decode: %.2f ms on %s", ev->ms, s.model.device.c_str());
    return;
  }
  // The round trip of the decoded image, beside it: the latent's own numbers follow below.
  const bool ownImage = !clueRun && !dragging && sel.edited < 0;
  ImGui::Text("%s encoded again: %s, total U %.4f nats",
              ownImage      ? "the reconstruction"
              : imageMethod ? "g(z_t)"
                            : "this decoded image",
              t.classNames[size_t(ev->predRound)].c_str(), ev->totalRound);
  if (imageMethod) ImGui::TextDisabled("(the CLUE table's round trip is this method's own image at z*, not g(z*))");
  if (const DecodeCheck c =
          checkDecode(ev->pred, ev->total, ev->predRound, ev->probRound, ev->totalRound, t.classNames);
      !c.faithful()) {
    ImGui::PushStyleColor(ImGuiCol_Text, kWarnText);
    ImGui::TextWrapped("%s", c.words.c_str());
    ImGui::PopStyleColor();
  }
  tip("phi(g(z)): the image above, encoded again and classified by the same head. When the latent below is sure "
      "and this is not, the latent moved where no image goes.");
  ImGui::Separator();
  // The uncertainties first: with ten class rows below them they would fall under the fold.
  drawUncertaintyBars(ev->total, ev->aleatoric, ev->epistemic, int(t.K), s.model.uncertainty);
  ImGui::Separator();
  ImGui::Text("BLL prediction: %s (%.3f)   deterministic head (grey bars): %s", t.classNames[size_t(ev->pred)].c_str(),
              ev->probs[size_t(ev->pred)], t.classNames[size_t(ev->predDet)].c_str());
  tip("Bars: the BLL predictive (in the class colour), with the deterministic head's probability as the thin grey "
      "bar under it");
  drawProbBars(t.classNames, ev->probs, &ev->probsDet, editedPoint || clueRun ? -1 : t.labels[i]);
  if (!s.ui.presenter) ImGui::TextDisabled("decode + predictive: %.2f ms on %s", ev->ms, s.model.device.c_str());
}

}  // namespace latentlab::gui
