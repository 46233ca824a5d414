#include "panels/examples_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "context.h"
#include "latentlab/explorer/viewmath.h"
#include "widgets/textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

const char* const kMethodLabels[] = {"DKNN", "SimplEx", "TracIn"};
const ImU32 kRing = IM_COL32(255, 255, 255, 255);

ImU32 classU32(int k) {
  const Rgb c = classColor(k);
  return IM_COL32(int(c[0] * 255), int(c[1] * 255), int(c[2] * 255), 255);
}

std::string scoreText(const ExampleScores& r, size_t i) {
  char buf[48];
  if (r.method == "simplex")
    std::snprintf(buf, sizeof buf, "w %.3f", double(r.score[i]));
  else if (r.method == "dknn")
    std::snprintf(buf, sizeof buf, "%.3g", double(r.score[i]));  // 1/dist: the row's header
  else
    std::snprintf(buf, sizeof buf, "%.3g", double(r.score[i]));
  return buf;
}

// `s` cut (with "..") to fit `width` pixels.
std::string fitText(std::string s, float width) {
  if (ImGui::CalcTextSize(s.c_str()).x <= width) return s;
  while (s.size() > 1 && ImGui::CalcTextSize((s + "..").c_str()).x > width) s.pop_back();
  return s + "..";
}

}  // namespace

bool ExamplesPanel::wantsFocus(Context& ctx) {
  if (ctx.state.examples.serial == m_seenSerial) return false;
  m_seenSerial = ctx.state.examples.serial;
  return ctx.state.examples.running();
}

void ExamplesPanel::drawSettings(Context& ctx) {
  ExamplesState& es = ctx.state.examples;
  ExampleOptions& o = es.options;
  int method = int(o.method);
  for (int i = 0; i < 3; ++i) {
    if (i) ImGui::SameLine();
    ImGui::RadioButton(kMethodLabels[i], &method, i);
  }
  if (method != int(o.method)) {
    o.method = ExampleMethod(method);
    es.explained = Selection{};  // run again for the new method (follow)
  }
  tip("DKNN: 1 / latent distance to every training point (nearest first). SimplEx: the weights of the convex "
      "combination of a corpus of training latents that best rebuilds this latent. TracIn: how much each training "
      "image's loss gradient pointed the way this image's did, summed over the training checkpoints (minutes)");
  if (o.method == ExampleMethod::Simplex) {
    int corpus = int(std::min<int64_t>(o.corpus, 1 << 30));
    ImGui::SetNextItemWidth(110);
    if (ImGui::InputInt("corpus", &corpus, 100, 1000)) {
      o.corpus = std::max(1, corpus);
      es.explained = Selection{};
    }
    tip("Training points SimplEx may combine (a seeded draw); 1,000 by default, at most the whole training split");
  }
  ImGui::SameLine();
  ImGui::Checkbox("follow the selection", &es.follow);
  tip("Run DKNN or SimplEx again whenever the selection changes (TracIn runs only with the button)");
  ImGui::SetNextItemWidth(100);
  ImGui::SliderInt("shown", &es.shown, 1, 16);
  tip("How many of the top and of the bottom examples are shown");
}

void ExamplesPanel::drawRow(Context& ctx, bool top) {
  AppState& s = ctx.state;
  const ExamplesRun& run = *s.examples.run;
  const ExampleScores& r = run.scores;
  const PointTable& t = *s.model.pts;
  const size_t k = std::min(size_t(s.examples.shown), r.index.size());
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  // One fixed cell per example, its texts cut to the cell, so that the row fits the panel.
  const float size =
      std::clamp((ImGui::GetContentRegionAvail().x - gap * float(k)) / float(std::max<size_t>(k, 1)), 36.0f, 84.0f);
  for (size_t j = 0; j < k; ++j) {
    const size_t i = top ? j : r.index.size() - 1 - j;
    const int64_t pos = r.index[i], point = t.numTest + pos;
    if (j) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushID(int(j) + (top ? 0 : 1000));
    const bool have = point < t.n;
    if (have)
      ctx.textures.showThumb(std::string(top ? "ex_top_" : "ex_bot_") + std::to_string(j), t, int64_t(point), size);
    else
      ImGui::Dummy(ImVec2(size, size));
    if (have && ImGui::IsItemClicked()) ctx.examples.selectExample(top, int(j));
    const bool selected = have && s.selection.sel.edited < 0 && s.selection.sel.point == point;
    if (selected)
      ImGui::GetWindowDrawList()->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), kRing, 2.0f, 0, 2.5f);
    if (ImGui::IsItemHovered() && have)
      ImGui::SetTooltip("training image %lld (point #%lld)\nlabel %s\nscore %.6g\nclick: select it on the map",
                        (long long)pos, (long long)point, t.classNames[size_t(t.labels[size_t(point)])].c_str(),
                        double(r.score[i]));
    if (have) {
      const int label = t.labels[size_t(point)];
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(classU32(label)), "%s",
                         fitText(t.classNames[size_t(label)], size).c_str());
    }
    ImGui::TextDisabled("%s", fitText(scoreText(r, i), size).c_str());
    ImGui::Dummy(ImVec2(size, 0));  // the cell's width, whatever its texts
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

void ExamplesPanel::draw(Context& ctx) {
  AppState& s = ctx.state;
  if (!s.hasModel()) {
    ImGui::TextWrapped("Load a model to see which training images make a point's latent what it is.");
    return;
  }
  ExamplesState& es = s.examples;
  ImGui::TextWrapped(
      "Which training images make this latent what it is (label-free: the scores use the latents, not "
      "the labels; the labels below are for you to judge them).");
  drawSettings(ctx);
  ctx.examples.follow();
  const bool canRun = s.selection.sel.any() && !es.running();
  if (!canRun) ImGui::BeginDisabled();
  if (ImGui::Button("Find the examples")) ctx.examples.run(es.options);
  if (!canRun) ImGui::EndDisabled();
  tip("Scores every training point (SimplEx: its corpus) for the selected point or edited point; the training points "
      "are added to the map first when they are not there");
  if (!s.selection.sel.any()) {
    ImGui::SameLine();
    ImGui::TextDisabled("select a point first");
  }
  if (es.running()) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel##ex")) ctx.examples.cancel();
    ImGui::SameLine();
    const std::string stage = es.job->stageText();
    ImGui::ProgressBar(es.job->fraction.load(), ImVec2(-1, 0), stage.empty() ? "examples" : stage.c_str());
  }
  if (!es.error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, kErrorText);
    ImGui::TextWrapped("%s", es.error.c_str());
    ImGui::PopStyleColor();
  }
  if (!es.run) return;
  const ExamplesRun& run = *es.run;
  const ExampleScores& r = run.scores;
  const PointTable& t = *s.model.pts;
  ImGui::Separator();
  const std::string from = run.fromPoint >= 0 ? "point #" + std::to_string(run.fromPoint)
                                              : "edited point " + std::to_string(run.fromEdited + 1);
  std::string detail;
  char buf[160];
  if (r.method == "dknn") {
    std::snprintf(buf, sizeof buf, "%lld training latents, %.1f ms", (long long)r.scored, r.ms);
    detail = buf;
    if (r.duplicates > 0) detail += "; " + std::to_string(r.duplicates) + " at distance 0 (duplicates, scored 1/eps)";
  } else if (r.method == "simplex") {
    std::snprintf(buf, sizeof buf, "a corpus of %lld, residual |w^T Z - z| / |z| = %.3f, %.1f ms", (long long)r.scored,
                  r.residual, r.ms);
    detail = buf;
  } else {
    std::snprintf(buf, sizeof buf, "%lld training images, %d checkpoints, %.1f s", (long long)r.scored, r.checkpoints,
                  r.ms / 1000);
    detail = buf;
  }
  ImGui::TextWrapped("%s of %s: %s",
                     r.method == "dknn"      ? "DKNN"
                     : r.method == "simplex" ? "SimplEx"
                                             : "TracIn",
                     from.c_str(), detail.c_str());
  const Selection& sel = s.selection.sel;
  if (sel.any() && (sel.point != run.fromPoint || sel.edited != run.fromEdited))
    ImGui::TextDisabled(
        "(the list stays with %s while you browse its examples; Find the examples runs it for the selection)",
        from.c_str());
  if (run.label >= 0 && run.label < int(t.classNames.size())) {
    const size_t k = std::min(size_t(es.shown), r.index.size());
    int same = 0, have = 0;
    for (size_t j = 0; j < k; ++j) {
      const int64_t p = t.numTest + r.index[j];
      if (p < t.n) ++have, same += t.labels[size_t(p)] == run.label;
    }
    ImGui::Text("%d of the top %d share its %s (%s)", same, have, run.fromPoint >= 0 ? "label" : "predicted class",
                t.classNames[size_t(run.label)].c_str());
  }
  ImGui::TextUnformatted(r.method == "dknn" ? "Top (most important; score 1/dist): click one to select it"
                         : r.method == "simplex"
                             ? "Top (most important; score: SimplEx weight w): click one to select it"
                             : "Top (most important; score: TracIn): click one to select it");
  drawRow(ctx, true);
  ImGui::TextUnformatted(r.method == "simplex"
                             ? "Bottom (least important; many weights are ~0, so their order means little)"
                             : "Bottom (least important)");
  drawRow(ctx, false);
  if (r.method == "simplex")
    ImGui::TextDisabled("SimplEx scores only its corpus; the rest of the training set has no weight");
  if (r.method == "dknn")
    ImGui::TextDisabled("1/dist: one over the latent distance to the training image (1 / latent units)");
}

void ExamplesPanel::drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) {
  const AppState& s = ctx.state;
  const ExamplesState& es = s.examples;
  if (!es.run || !s.hasModel() || !s.style.showTrain) return;
  const PointTable& pts = *s.model.pts;
  const std::vector<float>& xy = s.model.xy;
  const size_t k = std::min(size_t(es.shown), es.run->scores.index.size());
  int drawn = 0;
  for (size_t j = 0; j < k; ++j) {
    const int64_t p = pts.numTest + es.run->scores.index[j];
    if (p >= pts.n || size_t(2 * p + 1) >= xy.size()) continue;
    const ImVec2 c = toIm(t.toScreen(xy[size_t(2 * p)], xy[size_t(2 * p + 1)]));
    dl->AddCircle(c, 7.0f, kRing, 12, 1.0f);
    ++drawn;
  }
  if (drawn == 0) return;
  // What the rings are, under the attribution path's legend (top right of the map).
  const std::string text = "thin white rings: the top " + std::to_string(drawn) + " examples (Examples tab)";
  const MapRect& m = t.rect;
  const ImVec2 sz = ImGui::CalcTextSize(text.c_str());
  const ImVec2 p0(m.left + m.width - sz.x - 16, m.top + 6 * ImGui::GetTextLineHeight() + 18);
  dl->AddRectFilled(p0, ImVec2(m.left + m.width - 4, p0.y + sz.y + 8), IM_COL32(20, 20, 24, 210), 4.0f);
  dl->AddText(ImVec2(p0.x + 6, p0.y + 4), IM_COL32(230, 230, 230, 255), text.c_str());
}

}  // namespace latentlab::gui
