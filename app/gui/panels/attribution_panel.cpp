#include "panels/attribution_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "context.h"
#include "latentlab/explorer/viewmath.h"
#include "widgets/textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

const char* const kTargetLabels[] = {"p(class)",    "logit of class", "total U",
                                     "aleatoric U", "epistemic U",    "label-free <phi(x), phi(.)>"};
const char* const kMethodLabels[] = {"integrated gradients", "saliency |dF/dx|", "GradientShap"};
const char* const kBaselineLabels[] = {"black", "blurred input", "training mean", "uniform noise"};
const ImU32 kPathColour = IM_COL32(230, 90, 230, 255);

const char* unitOf(const AttributionTarget& t) {
  switch (t.kind) {
    case AttributionTargetKind::Probability:
      return "(probability)";
    case AttributionTargetKind::Logit:
      return "(logit)";
    case AttributionTargetKind::LabelFree:
      return "(latent units^2)";
    default:
      return "nats";
  }
}

}  // namespace

bool AttributionPanel::wantsFocus(Context& ctx) {
  if (ctx.state.attribution.serial != m_seenSerial) {
    m_seenSerial = ctx.state.attribution.serial;
    return ctx.state.attribution.running();
  }
  return false;
}

void AttributionPanel::drawSettings(Context& ctx) {
  AttributionOptions& o = ctx.state.attribution.options;
  const auto& names = ctx.state.model.pts->classNames;
  if (!ctx.state.model.pts->hasClassifier) {  // a label-free encoder: the latent is all there is to explain
    o.target.kind = AttributionTargetKind::LabelFree;
    o.path = AttributionPath::Straight;
    ImGui::TextWrapped(
        "A label-free encoder (%s): the map attributes F(x~) = <phi(x), phi(x~)>, the latent itself "
        "(Crabbé and van der Schaar 2022).",
        ctx.state.model.pts->objective.c_str());
  }
  int path = int(o.path);
  if (!ctx.state.model.pts->hasClassifier) ImGui::BeginDisabled();
  ImGui::RadioButton("IG from a baseline", &path, 0);
  tip("Integrated gradients along the straight line from a baseline image to the selected image");
  ImGui::SameLine();
  ImGui::RadioButton("from the CLUE z*", &path, 1);
  tip("Perez et al.: the uncertainty attributed along the decoded CLUE path from z* back to z0, then the straight "
      "segment from g(z0) to the image, so that the map sums to U(x) - U(g(z*)). Run a counterfactual first.");
  ImGui::SameLine();
  ImGui::RadioButton("from the drag", &path, 2);
  tip("The same along the decoded straight latent line from the selected edited point back to its origin's latent");
  if (!ctx.state.model.pts->hasClassifier) ImGui::EndDisabled();
  o.path = AttributionPath(path);
  const bool straight = o.path == AttributionPath::Straight;
  if (!straight && (o.target.needsClass() || !o.target.needsHead())) o.target.kind = AttributionTargetKind::Total;
  if (!straight) o.method = AttributionMethod::IG;
  int kind = int(o.target.kind);
  ImGui::SetNextItemWidth(190);
  if (ImGui::Combo("target F", &kind, kTargetLabels, straight ? 6 : 5)) o.target.kind = AttributionTargetKind(kind);
  if (!straight && (o.target.needsClass() || !o.target.needsHead()))
    o.target.kind = AttributionTargetKind::Total;  // U only
  tip("What is attributed to the pixels: a class's predictive probability or its logit (the network's own), an "
      "uncertainty of the head in nats, or (label-free, Crabbé and van der Schaar 2022) the latent itself: F(x~) = "
      "<phi(x), phi(x~)>, "
      "which needs no labels and no head");
  if (straight) {
    int method = int(o.method);
    ImGui::SetNextItemWidth(190);
    ImGui::Combo("method", &method, kMethodLabels, 3);
    o.method = AttributionMethod(method);
    tip("Integrated gradients from the baseline; the plain gradient's magnitude at the image (no baseline, no "
        "completeness); or GradientShap: IG's expectation over random points between the baseline and the image");
  }
  if (o.target.needsClass()) {
    if (o.target.cls < 0 || o.target.cls >= int(names.size())) o.target.cls = 0;
    ImGui::SameLine();
    ImGui::SetNextItemWidth(130);
    if (ImGui::BeginCombo("class", names[size_t(o.target.cls)].c_str())) {
      for (int k = 0; k < int(names.size()); ++k)
        if (ImGui::Selectable(names[size_t(k)].c_str(), k == o.target.cls)) o.target.cls = k;
      ImGui::EndCombo();
    }
  }
  if (o.target.needsHead()) {
    int head = int(o.head);
    ImGui::RadioButton("Laplace head", &head, 0);
    ImGui::SameLine();
    ImGui::RadioButton("deterministic head", &head, 1);
    o.head = HeadKind(head);
  }
  if (straight && o.method != AttributionMethod::Saliency) {
    int baseline = int(o.baseline);
    ImGui::SetNextItemWidth(150);
    ImGui::Combo("baseline x'", &baseline, kBaselineLabels, 4);
    o.baseline = IgBaseline(baseline);
    tip("Where the path starts: a black image, the input blurred (sigma = min(H, W)/10 pixels), the training images' "
        "mean, or "
        "uniform noise");
    ImGui::SameLine();
  }
  if (o.method != AttributionMethod::Saliency) {
    if (ImGui::Checkbox("adaptive steps", &o.adaptive) && !o.adaptive)
      o.tolerance = AttributionOptions{}.tolerance;  // a script's tolerance= is for the adaptive steps only
    tip("Start at 32 steps and double until the completeness residual is at most 1% (or 1024 steps); the steps "
        "used and each try are shown with the result. Untick to fix the steps");
    if (!o.adaptive) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(100);
      ImGui::SliderInt(!straight                                     ? "segment steps"
                       : o.method == AttributionMethod::GradientShap ? "samples"
                                                                     : "steps m",
                       &o.steps, 5, 200);
      tip(o.path == AttributionPath::Straight
              ? "Quadrature nodes along the path; more steps, smaller completeness residual"
              : "Nodes on the straight segment from g(z0) to the image (the decoded path uses its own steps)");
    }
  }
  AttributionState& as = ctx.state.attribution;
  bool live = as.live;
  if (ImGui::Checkbox("live saliency while dragging", &live)) ctx.attribution.setLive(live, as.liveSteps);
  tip("The inspector shows a saliency map of the decoded image for this target and head, updated with every drag "
      "step, scrubbed CLUE step and selection");
  if (as.live) {
    ImGui::SameLine();
    int mode = as.liveSteps > 0 ? 1 : 0;
    const bool gradient = ImGui::RadioButton("gradient", &mode, 0);
    ImGui::SameLine();
    const bool ig = ImGui::RadioButton("IG, 8 steps", &mode, 1);
    if (gradient || ig) ctx.attribution.setLive(true, mode == 1 ? 8 : 0);
  }
  if (straight && o.method == AttributionMethod::IG) {
    int quad = int(o.quadrature);
    ImGui::RadioButton("midpoint rule", &quad, 0);
    ImGui::SameLine();
    ImGui::RadioButton("Gauss-Legendre", &quad, 1);
    o.quadrature = Quadrature(quad);
  }
}

namespace {
// An image [C, H, W] as grey [H, W] (the mean of its channels): what a signed map is drawn over.
std::vector<float> greyOf(const std::vector<float>& v, int64_t C, int64_t hw) {
  std::vector<float> g = channelSum(v, C, hw);
  for (float& x : g) x /= float(C);
  return g;
}
}  // namespace

void AttributionPanel::drawRun(Context& ctx) {
  AttributionState& as = ctx.state.attribution;
  const AttributionRun& run = *as.run;
  const AttributionResult& r = run.ig;
  const int64_t hw = r.H * r.W;
  const auto& names = ctx.state.model.pts->classNames;
  const AttributionTarget& t = as.options.target;
  const std::string what = t.needsClass() && t.cls >= 0 && t.cls < int(names.size())
                               ? (t.kind == AttributionTargetKind::Logit ? "the logit of " : "p(") +
                                     names[size_t(t.cls)] + (t.kind == AttributionTargetKind::Logit ? "" : ")")
                           : t.kind == AttributionTargetKind::LabelFree ? std::string("<phi(x), phi(.)> (label-free)")
                                                                        : r.target + " U";
  const std::string from = as.fromPoint >= 0 ? "point #" + std::to_string(as.fromPoint) : "an edited point's decode";
  const bool drag = as.options.path == AttributionPath::Drag;
  if (r.isPath())
    ImGui::TextWrapped(
        "%s attributed along the decoded path from %s (%d nodes) and the straight segment to the image (%d), "
        "%s head, %s; %s",
        what.c_str(), drag ? "the dragged point" : "the CLUE counterfactual z*", r.decodedNodes,
        r.steps() - r.decodedNodes, r.head.c_str(), from.c_str(), stepsInWords(r).c_str());
  else if (r.method == "saliency")
    ImGui::TextWrapped("Saliency |dF/dx| of %s at the image, %s", what.c_str(), from.c_str());
  else
    ImGui::TextWrapped("%s of %s, %s%s%s baseline, %s, %s rule, %s", r.method == "ig" ? "IG" : "GradientShap",
                       what.c_str(), t.needsHead() ? r.head.c_str() : "", t.needsHead() ? " head, " : "",
                       r.baseline_name.c_str(), stepsInWords(r).c_str(), r.quadrature.c_str(), from.c_str());
  const char* unit = unitOf(as.options.target);
  // A colour image's maps: the sum over its channels (a pixel's attribution, as Captum shows it), or
  // one channel alone, each in its own colour range.
  const int view = r.C == 3 ? std::clamp(as.channelView, 0, 3) : 0;
  if (r.C == 3) {
    static const char* const views[] = {"sum of R, G, B", "red only", "green only", "blue only"};
    ImGui::SetNextItemWidth(160);
    ImGui::Combo("channels shown", &as.channelView, views, 4);
    tip("A colour image has a map per channel: their sum is a pixel's attribution (what adds up to F(x) - F(x')); one "
        "channel alone shows what that colour contributes");
  }
  const float clip = view == 0 ? run.clip : signedClip(channelView(r.attribution, r.C, hw, view));
  ImGui::Text(r.isPath() ? (drag ? "F(x) = %.4f   F(g(z_drag)) = %.4f   %s" : "F(x) = %.4f   F(g(z*)) = %.4f   %s")
                         : "F(x) = %.4f   F(x') = %.4f   %s",
              r.fInput, r.fBaseline, unit);
  if (r.isPath() && !drag)
    tip("F(g(z*)) is the uncertainty of the decoded counterfactual encoded again: the CLUE table's round trip, not U "
        "at "
        "z* itself (the latent can be surer than any image it decodes to)");
  ImGui::Text("F(x) - F(start) = %.4f   sum of the map = %.4f", r.fInput - r.fBaseline, r.sumAttribution);
  // Net against gross: a map whose |values| add up to far more than its sum is mostly cancellation.
  const double gross = r.grossAttribution();
  const bool cancels = gross > 100.0 * std::abs(r.sumAttribution) && gross > 0;
  ImGui::TextColored(cancels ? ImVec4(1.0f, 0.55f, 0.35f, 1.0f) : ImVec4(0.75f, 0.75f, 0.75f, 1.0f),
                     "net %.4g, gross %.4g%s", r.sumAttribution, gross,
                     cancels ? ": mostly cancellation (red and blue nearly balance)" : "");
  tip("Net: the sum of the map (what completeness compares with F(x) - F(start)). Gross: the sum of its absolute "
      "values. When the gross is 100 times the net or more, the map's red and blue cancel: read it with care");
  if (t.kind == AttributionTargetKind::LabelFree)
    tip("Label-free completeness (Crabbé and van der Schaar 2022, Proposition 2.3): IG's map sums to |phi(x)|^2 - "
        "<phi(x), phi(x')>");
  if (!r.hasCompleteness) {  // saliency: one node, no path to scrub
    signedLegend(clip, unit, std::min(300.0f, ImGui::GetContentRegionAvail().x - 20));
    const float size = std::min(140.0f, (ImGui::GetContentRegionAvail().x - 30) / 2.0f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("image");
    ctx.textures.showChw("ig_xa", r.input, int(r.C), int(r.H), int(r.W), size);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("|dF/dx| over it");
    ctx.textures.showChw("ig_over_x", greyOf(r.input, r.C, hw), 1, int(r.H), int(r.W), size);
    ctx.textures.showSigned("ig_over", channelView(r.attribution, r.C, hw, view), int(r.H), int(r.W), clip, size, true);
    ImGui::EndGroup();
    ImGui::TextDisabled("saliency has no completeness: its map sums to nothing in particular");
    return;
  }
  const bool poor = r.residual > (r.adaptive ? r.tolerance : 0.05);
  ImGui::TextColored(
      poor ? ImVec4(1.0f, 0.55f, 0.35f, 1.0f) : ImVec4(0.6f, 0.9f, 0.6f, 1.0f),
      r.residualAbsolute ? "completeness: |sum| = %.3g (F(x) = F(x'))" : "completeness residual %.2f%%%s",
      r.residualAbsolute ? r.residual : 100.0 * r.residual,
      !poor        ? ""
      : r.adaptive ? ": above the tolerance at the most steps allowed"
                   : ": add steps");
  tip("|sum of IG - (F(x) - F(x'))| / |F(x) - F(x')|: how far the attributions are from adding up to the change of F "
      "(IG's completeness axiom). It shrinks as the steps grow.");
  float alpha = float(as.alpha);
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - 250));
  if (ImGui::SliderFloat("alpha", &alpha, 0.0f, 1.0f, "%.3f")) ctx.attribution.scrubTo(double(alpha));
  tip("Along the path x' + alpha (x - x'): 0 is the baseline, 1 the input");
  const int node = as.alpha >= 1.0 ? r.steps() - 1 : r.nodeAt(as.alpha);
  ImGui::SameLine();
  if (as.alpha >= 1.0)  // the end of the path is the input itself, not the last node before it
    ImGui::Text("F = F(x) = %.4f (the input)", r.fInput);
  else if (node >= 0)
    ImGui::Text("F = %.4f (node %.3f)", double(r.fPath[size_t(node)]), r.alphas[size_t(node)]);
  else
    ImGui::TextUnformatted("F = F(start)");
  tip("F at the last node at or before alpha, and that node's position (the nodes sit between the ends)");
  // The legend first, so that the range and unit stay in view above the maps.
  signedLegend(clip, unit, std::min(300.0f, ImGui::GetContentRegionAvail().x - 20));
  const int tiles = run.det ? 5 : 4;
  const float size = std::min(100.0f, (ImGui::GetContentRegionAvail().x - 30) / float(tiles));
  const int H = int(r.H), W = int(r.W);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("x at alpha");
  ctx.textures.showChw("ig_xa", r.inputAt(as.alpha), int(r.C), H, W, size);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("dF/dx there");
  std::vector<float> grad(size_t(hw), 0.0f);
  if (node >= 0)
    grad = channelView(std::vector<float>(r.gradients.begin() + long(size_t(node) * size_t(r.pixels())),
                                          r.gradients.begin() + long(size_t(node + 1) * size_t(r.pixels()))),
                       r.C, hw, view);
  ctx.textures.showSigned("ig_grad", grad, H, W, signedClip(grad), size, false);
  ImGui::EndGroup();
  tip("The gradient of F at the node at or before alpha (its own colour range)");
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("IG so far");
  ctx.textures.showSigned("ig_acc", channelView(r.accumulatedAt(as.alpha), r.C, hw, view), H, W, clip, size, false);
  ImGui::EndGroup();
  tip("(x - x') * the weighted gradients of the nodes up to alpha: at alpha = 1, the whole attribution");
  // A whole map over its input, in the run's colour range.
  auto overlay = [&](const char* label, const std::string& slot, const AttributionResult& m, const char* tipText) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted(label);
    // Under a signed map a colour image is shown in grey: its own reds would read as "raises F".
    ctx.textures.showChw(slot + "_x", greyOf(m.input, m.C, hw), 1, H, W, size);
    ctx.textures.showSigned(slot, channelView(m.attribution, m.C, hw, view), H, W, clip, size, true);
    ImGui::EndGroup();
    tip(tipText);
  };
  overlay("whole map", "ig_over", r,
          "The whole attribution over the input, whatever alpha: red raises F, blue lowers it");
  if (run.det) {  // Perez et al. with the deterministic head, on the same path, beside
    const AttributionResult& d = *run.det;
    overlay("deterministic", "ig_over_det", d,
            "The deterministic head's map on the same path, in the same colour range");
    ImGui::Text("deterministic head: F(x) = %.4f, F(start) = %.4f, sum %.4f, residual %.2f%%", d.fInput, d.fBaseline,
                d.sumAttribution, 100.0 * d.residual);
  }
  ImGui::TextDisabled("colours clipped at the 99th percentile of |map|; red raises F, blue lowers it");
}

void AttributionPanel::draw(Context& ctx) {
  AppState& s = ctx.state;
  if (!s.hasModel()) {
    ImGui::TextWrapped("Load a model to attribute its predictions and uncertainties to pixels.");
    return;
  }
  AttributionState& as = s.attribution;
  drawSettings(ctx);
  const bool canRun = s.selection.sel.any() && !as.running();
  if (!canRun) ImGui::BeginDisabled();
  if (ImGui::Button("Explain the selection")) ctx.attribution.run(as.options);
  if (!canRun) ImGui::EndDisabled();
  tip("Integrated gradients of F from the baseline to the selected image (an edited point: its decode)");
  if (!s.selection.sel.any()) {
    ImGui::SameLine();
    ImGui::TextDisabled("select a point first");
  }
  if (as.running()) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel##ig")) ctx.attribution.cancel();
    ImGui::SameLine();
    ImGui::ProgressBar(as.job->fraction.load(), ImVec2(-1, 0), "integrated gradients");
  }
  if (!as.error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, kErrorText);
    ImGui::TextWrapped("%s", as.error.c_str());
    ImGui::PopStyleColor();
    if (as.run) ImGui::TextDisabled("(below: the previous result)");
  }
  ImGui::Separator();
  if (as.run) drawRun(ctx);
}

void AttributionPanel::drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) {
  const AttributionState& as = ctx.state.attribution;
  if (!as.run || as.run->pathXY.size() < 4) return;
  // The path belongs to the point explained: another selection does not show it (its legend says
  // "its images", which would then name the wrong point).
  const Selection& sel = ctx.state.selection.sel;
  if (!sel.any() || (as.fromPoint >= 0 && as.fromPoint != sel.point)) return;
  const std::vector<float>& xy = as.run->pathXY;
  const size_t n = xy.size() / 2;
  std::vector<ImVec2> pts(n);
  for (size_t i = 0; i < n; ++i) pts[i] = toIm(t.toScreen(xy[2 * i], xy[2 * i + 1]));
  for (size_t i = 0; i + 1 < n; ++i) dl->AddLine(pts[i], pts[i + 1], kPathColour, 1.5f);
  for (size_t i = 0; i < n; ++i) dl->AddCircleFilled(pts[i], 2.0f, kPathColour, 6);
  dl->AddCircle(pts[0], 6.0f, kPathColour, 12, 1.5f);  // the baseline's end
  const int node = as.alpha >= 1.0 ? int(n) - 1 : as.run->ig.nodeAt(as.alpha);
  if (node >= 0 && size_t(node) < n) {
    dl->AddCircleFilled(pts[size_t(node)], 4.5f, IM_COL32(255, 255, 255, 255), 12);
    dl->AddCircle(pts[size_t(node)], 7.0f, kPathColour, 12, 2.0f);
  }
  const char* text = "attribution path (magenta; its images encoded and placed): ring = start, white = alpha";
  const MapRect& m = t.rect;
  const ImVec2 sz = ImGui::CalcTextSize(text);
  // Top right, under the CLUE legend's place (captions use the bottom of the map).
  const ImVec2 p0(m.left + m.width - sz.x - 16, m.top + 4 * ImGui::GetTextLineHeight() + 14);
  dl->AddRectFilled(p0, ImVec2(m.left + m.width - 4, p0.y + sz.y + 8), IM_COL32(20, 20, 24, 210), 4.0f);
  dl->AddText(ImVec2(p0.x + 6, p0.y + 4), IM_COL32(230, 230, 230, 255), text);
}

}  // namespace latentlab::gui
