#include "panels/clue_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "context.h"
#include "latentlab/explorer/decode_check.h"
#include "widgets/textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

const char* const kMethodLabels[] = {"latent CLUE", "VAE-CLUE (baseline)", "ReGene prototypes", "class change",
                                     "hierarchical (input space)"};
const char* const kKindLabels[] = {"total", "aleatoric", "epistemic"};
const ImU32 kLaplaceColour = IM_COL32(255, 140, 40, 255), kDetColour = IM_COL32(80, 200, 255, 255);

std::string className(const Context& ctx, int k) {
  const auto& names = ctx.state.model.pts->classNames;
  return k >= 0 && k < int(names.size()) ? names[size_t(k)] : "?";
}

// One row of the side-by-side table: the label, then each column's value (the Laplace and the
// deterministic head, or the K diverse counterfactuals).
void row(const char* label, const char* tipText, const std::vector<std::string>& values) {
  ImGui::TableNextRow();
  ImGui::TableSetColumnIndex(0);
  ImGui::TextUnformatted(label);
  tip(tipText);
  for (size_t c = 0; c < values.size(); ++c) {
    ImGui::TableSetColumnIndex(int(c) + 1);
    ImGui::TextUnformatted(values[c].c_str());
  }
}

// The colours of the K diverse paths (the first is the Laplace head's orange).
ImU32 memberColour(int k) {
  static const ImU32 kColours[] = {IM_COL32(255, 140, 40, 255),  IM_COL32(120, 230, 90, 255),
                                   IM_COL32(230, 90, 230, 255),  IM_COL32(255, 230, 60, 255),
                                   IM_COL32(90, 200, 255, 255),  IM_COL32(255, 90, 90, 255),
                                   IM_COL32(170, 140, 255, 255), IM_COL32(200, 200, 200, 255)};
  return kColours[size_t(k) % 8];
}

std::string num(float v, const char* fmt = "%.4f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, double(v));
  return buf;
}

}  // namespace

bool CluePanel::wantsFocus(Context& ctx) {
  // Brought to the front when a run starts from a script or the panel itself is not showing.
  if (ctx.state.clue.serial != m_seenSerial) {
    m_seenSerial = ctx.state.clue.serial;
    return ctx.state.clue.running();
  }
  return false;
}

bool CluePanel::animating(const Context& ctx) const { return ctx.state.clue.playing || ctx.state.clue.running(); }

void CluePanel::drawSettings(Context& ctx) {
  ClueOptions& o = ctx.state.clue.options;
  int method = int(o.method);
  ImGui::SetNextItemWidth(200);
  if (ImGui::Combo("method", &method, kMethodLabels, 5)) o.method = ClueMethod(method);
  tip("latent CLUE: Adam on the classifier's latent z to lower U near z0 (the thesis proposal, 2024). VAE-CLUE: the "
      "original CLUE in "
      "a VAE's latent, a full decode and classifier pass per step. ReGene: z as a convex mix of class prototypes and "
      "z0. Class change: reach the target class. Hierarchical: latent steps pulled back to the input image.");
  if (o.method != ClueMethod::ClassChange) {  // class change lowers -log p(target), not U
    ImGui::SameLine();
    int kind = int(o.uncertainty);
    ImGui::SetNextItemWidth(110);
    if (ImGui::Combo("U", &kind, kKindLabels, 3)) o.uncertainty = UncertaintyKind(kind);
    tip("Which uncertainty to lower (nats): total = aleatoric + epistemic. The deterministic head has no epistemic "
        "part.");
  }
  if (o.method == ClueMethod::VaeClue) {
    ImGui::TextDisabled("lambda_x %.0f (fixed: |dec(u) - x0|_1 / P)", o.lambdaXOrDefault());
    tip("VAE-CLUE keeps its counterfactual near the input in pixels, with the CLUE paper's weight 25/784 per pixel");
  } else {
    float lambda = float(o.lambda);
    ImGui::SetNextItemWidth(200);
    if (ImGui::SliderFloat("lambda", &lambda, 0.0f, 10.0f, "%.3f", ImGuiSliderFlags_Logarithmic)) o.lambda = lambda;
    tip("Weight of the distance to the start, |z - z0|_1 / d (d = the latent's 64 dimensions): larger stays closer");
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(110);
  ImGui::SliderInt(o.method == ClueMethod::Hierarchical ? "inner steps" : "steps", &o.steps, 10, 1000);
  tip("Adam steps at most; the run stops earlier when the loss L = U + lambda * distance stalls");
  if (o.method == ClueMethod::Hierarchical) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    ImGui::SliderInt("outer steps", &o.outerSteps, 1, 50);
    tip("Input-space steps x <- x + eta * dx at most (the search stops when U < 0.05 nats or x stops moving)");
  }
  if (o.method == ClueMethod::ClassChange) {
    const auto& names = ctx.state.model.pts->classNames;
    if (o.target < 0 || o.target >= int(names.size())) o.target = 0;
    ImGui::SetNextItemWidth(200);
    if (ImGui::BeginCombo("target", names[size_t(o.target)].c_str())) {
      for (int k = 0; k < int(names.size()); ++k)
        if (ImGui::Selectable(names[size_t(k)].c_str(), k == o.target)) o.target = k;
      ImGui::EndCombo();
    }
  }
  if (o.method != ClueMethod::ClassChange) {
    ImGui::Checkbox("keep the class", &o.keepClass);
    tip("Undo any step that changes the predicted class (and halve the step size)");
  } else {
    o.keepClass = false;
  }
  if (o.method == ClueMethod::LatentClue || o.method == ClueMethod::ClassChange) {
    if (o.method != ClueMethod::ClassChange) ImGui::SameLine();
    ImGui::SetNextItemWidth(110);
    ImGui::SliderInt("diverse", &o.diverse, 1, kMaxDiverse, "%d", ImGuiSliderFlags_AlwaysClamp);
    tip("K counterfactuals at once, pushed apart by DiCE's diversity term (Mothilal et al. 2020): the mean of their "
        "objectives minus weight * log det(1 / (1 + d(z_i, z_j))) / K. 1: one counterfactual per head, as usual. K > 1 "
        "runs "
        "the Laplace head only (the deterministic one when the bundle has no posterior)");
    if (o.diverse > 1) {
      ImGui::SameLine();
      float w = float(o.diversity);
      ImGui::SetNextItemWidth(110);
      if (ImGui::SliderFloat("diversity weight", &w, 0.0f, 10.0f, "%.2f",
                             ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp))
        o.diversity = w;
      tip("The weight of the diversity term (DiCE's default 1); 0 gives K random restarts from nearby starts");
    }
  } else {
    o.diverse = 1;
  }
}

void CluePanel::drawResults(Context& ctx) {
  ClueState& cs = ctx.state.clue;
  const ClueResult* a = cs.laplace ? &cs.laplace->result : nullptr;
  const ClueResult* b = cs.det ? &cs.det->result : nullptr;
  // The columns: both heads, or the K diverse counterfactuals of one head.
  std::vector<const ClueResult*> cols{a, b};
  std::vector<std::string> heads{"Laplace head", "deterministic head"};
  if (!cs.diverse.empty()) {
    cols.clear();
    heads.clear();
    for (const ClueRun& r : cs.diverse) {
      cols.push_back(&r.result);
      heads.push_back("#" + std::to_string(r.result.member + 1));
    }
    a = cols.front();
    b = nullptr;
  }
  if (!a && !b) return;
  const ClueResult& any = a ? *a : *b;
  if (cs.diverse.empty() && a && !b && any.uncertainty == std::string("epistemic"))
    ImGui::TextDisabled("The deterministic head has no epistemic uncertainty: its column is empty.");
  const std::string from = cs.fromPoint >= 0 ? "point #" + std::to_string(cs.fromPoint) : "an edited latent";
  if (any.target >= 0)
    ImGui::TextWrapped("class change to %s (lowers -log p(target)), from %s; U below = %s uncertainty, in nats",
                       className(ctx, any.target).c_str(), from.c_str(), any.uncertainty.c_str());
  else
    ImGui::Text("%s, U = %s uncertainty (nats), from %s", any.method.c_str(), any.uncertainty.c_str(), from.c_str());
  if (!cs.diverse.empty()) {
    const DiversityMeasure& dv = any.diversity;
    // What the K reach after the round trip: for class change, how many reached the target (the others
    // failed, which is not diversity); otherwise how many classes they reach.
    std::string reach;
    if (any.target >= 0) {
      int hit = 0;
      for (const ClueResult* r : cols) hit += r->classRoundtrip == any.target ? 1 : 0;
      reach = std::to_string(hit) + " of " + std::to_string(cols.size()) + " read as " + className(ctx, any.target) +
              " after the round trip";
    } else {
      reach = std::to_string(dv.classes) + (dv.classes == 1 ? " class" : " classes") + " after the round trip";
    }
    ImGui::TextWrapped(
        "%d counterfactuals found together (DiCE), %s head: on average two of them differ by %.3f per "
        "latent dimension and %.3f per pixel, in %.0f%% of the pixels; det %.3g (1 = far apart; "
        "lower with more of them); %s",
        int(cols.size()), any.head.c_str(), dv.latent, dv.image, 100 * dv.count, dv.dpp, reach.c_str());
    tip("DiCE's diversity (Mothilal et al. 2020): the mean pairwise distance between the K counterfactuals, in the "
        "latent (|z*_i - z*_j|_1 / d) and in the picture; the share of pixels two of them differ in by more than "
        "0.05 (the table's \"pixels changed\" is against the start instead); and DiCE's determinant "
        "det(1 / (1 + d(z*_i, z*_j)))");
  }
  if (!ImGui::BeginTable("clue", int(cols.size()) + 1, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp))
    return;
  ImGui::TableSetupColumn("");
  for (const std::string& h : heads) ImGui::TableSetupColumn(h.c_str());
  if (cs.diverse.empty()) {
    ImGui::TableHeadersRow();
  } else {  // each counterfactual's number in its path's colour
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int c = 0; c < int(heads.size()); ++c) {
      ImGui::TableSetColumnIndex(c + 1);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(memberColour(c)), "%s", heads[size_t(c)].c_str());
    }
  }
  auto f = [&cols](auto get) {
    std::vector<std::string> v;
    for (const ClueResult* r : cols) v.push_back(r ? get(*r) : std::string("-"));
    return v;
  };
  row("U before", "U at the start z0", f([](auto& r) { return num(r.uBefore); }));
  row("U at z*", "U of the counterfactual latent itself", f([](auto& r) { return num(r.uLatent); }));
  row("U round trip",
      "U of phi(g(z*)): the decoded counterfactual encoded again. A low U at z* with a high U here "
      "means the latent moved where no image goes (an adversarial latent).",
      f([](auto& r) { return num(r.uRoundtrip); }));
  auto classes = [&ctx](const ClueResult& r) {
    return className(ctx, r.classBefore) + " -> " + className(ctx, r.classLatent) + " -> " +
           className(ctx, r.classRoundtrip);
  };
  row("class", "predicted class: at z0 -> at z* -> after the round trip", f(classes));
  if (any.target >= 0) {
    auto t = [](const ClueResult& r) {
      return num(r.targetBefore, "%.3f") + " -> " + num(r.targetLatent, "%.3f") + " -> " +
             num(r.targetRoundtrip, "%.3f");
    };
    row("p(target)", "the target's probability: at z0 -> at z* -> after the round trip", f(t));
  }
  row("|z* - z0|_1 / d", "latent distance moved, per latent dimension",
      f([](auto& r) { return num(r.latentDistance); }));
  row("|x* - x0|_1 / P",
      "pixel distance between the input and the counterfactual image, per pixel (includes the "
      "decoder's reconstruction error for the latent methods)",
      f([](auto& r) { return num(r.inputDistance); }));
  auto along = [](const ClueResult& r) {
    const size_t img = size_t(r.C * r.H * r.W);
    if (img == 0 || r.frames.size() < img || r.xStar.size() != img) return std::string("-");
    double sum = 0;
    for (size_t i = 0; i < img; ++i) sum += std::abs(double(r.xStar[i]) - double(r.frames[i]));
    return num(float(sum / double(img)));
  };
  row("|x* - x_first|_1 / P",
      "pixel change along the path: from the path's first image to x*. For the latent "
      "methods that image is the decode of z0 (it differs from x0 by the decoder's error); for VAE-CLUE the VAE's "
      "reconstruction; for the hierarchical search x0 itself.",
      f(along));
  // CARLA's measures (Pawelczyk et al. 2021), in words: what a reviewer of counterfactuals asks.
  auto q = [](auto get) {
    return [get](const ClueResult& r) { return r.quality.computed ? get(r.quality) : std::string("-"); };
  };
  row("valid?",
      "CARLA's validity: class change reached its target after the round trip; the other methods reached a class of "
      "probability >= 0.8 after it",
      f(q([](const CounterfactualQuality& c) { return std::string(c.valid ? "yes" : "no"); })));
  row("pixels changed", "sparsity: the share of the image's values changed by more than 0.05 from x_first",
      f(q([](const CounterfactualQuality& c) { return num(float(100 * c.sparsity), "%.1f%%"); })));
  row("|x* - x_first| L1 / L2",
      "proximity in the image: L1 and L2 norms of x* - x_first (the path's first image: g(z0) for the latent "
      "methods, so that the decoder's own error is not counted)",
      f(q([](const CounterfactualQuality& c) {
        return num(float(c.l1X), "%.1f") + " / " + num(float(c.l2X), "%.2f");
      })));
  row("|z* - z0| L1 / L2", "proximity in the latent: L1 and L2 norms of z* - z0",
      f(q([](const CounterfactualQuality& c) {
        return num(float(c.l1Z), "%.2f") + " / " + num(float(c.l2Z), "%.2f");
      })));
  row("neighbours agree (yNN)",
      "the share of the 5 nearest training latents of z* whose label is z*'s class: 1 means z* sits among "
      "training points of the class it claims",
      f(q([](const CounterfactualQuality& c) { return num(float(c.yNN), "%.2f"); })));
  row("farther from the data than",
      "plausibility: the mean distance of z* to its 5 nearest training latents, as the share of test points that "
      "are nearer the data than z* (near 100%: z* is off the data)",
      f(q([](const CounterfactualQuality& c) { return num(float(100 * c.knnPercentile), "%.0f%% of test points"); })));
  row("optimiser steps", "steps to z*, the step with the lowest L = U + lambda * distance (not always the lowest U)",
      f([](auto& r) { return std::to_string(r.steps); }));
  row(cs.diverse.empty() ? "time (ms)" : "time (ms, shared)",
      "wall-clock time of the explanation on the worker thread, round trip and frames included; the "
      "first run after loading also pays for warming the models up",
      f([](auto& r) { return num(float(r.ms), "%.1f"); }));
  ImGui::EndTable();
  const ClueResult* w = a ? a : b;
  if (w && !w->weights.empty()) {
    ImGui::TextUnformatted("ReGene weights (be more like these to be more certain):");
    double shown = 0, all = 0;
    for (size_t j = 0; j < w->weights.size(); ++j) all += w->weights[j];
    for (size_t j = 0; j < w->weights.size() && j < 5; ++j) {
      shown += w->weights[j];
      ImGui::Text("  %.3f  %s", double(w->weights[j]),
                  w->weightSources[j] < 0 ? "z0 itself"
                                          : (className(ctx, w->weightClasses[j]) + " prototype, training image #" +
                                             std::to_string(w->weightSources[j]))
                                                .c_str());
    }
    if (w->weights.size() > 5)
      ImGui::TextDisabled("  the other %zu weights sum to %.3f", w->weights.size() - 5, all - shown);
  }
}

void CluePanel::drawScrubber(Context& ctx) {
  ClueState& cs = ctx.state.clue;
  if (!cs.diverse.empty()) {
    ImGui::TextUnformatted("follow:");
    for (int k = 0; k < int(cs.diverse.size()); ++k) {
      ImGui::SameLine();
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(memberColour(k)));
      int member = cs.member;
      if (ImGui::RadioButton(("#" + std::to_string(k + 1)).c_str(), &member, k)) ctx.clue.follow(k);
      ImGui::PopStyleColor();
    }
    tip("Which counterfactual the scrubber, Play and the inspector follow (its path is drawn thicker on the map)");
  }
  if (cs.laplace && cs.det) {
    int follow = cs.followDet ? 1 : 0;
    ImGui::RadioButton("follow the Laplace run", &follow, 0);
    ImGui::SameLine();
    ImGui::RadioButton("follow the deterministic run", &follow, 1);
    if ((follow == 1) != cs.followDet) {
      cs.followDet = follow == 1;
      ctx.clue.scrubTo(cs.scrub);
    }
  }
  const ClueRun* r = cs.followed();
  if (!r) return;
  const int last = r->result.numPathSteps() - 1;
  if (ImGui::Button(cs.playing ? "Pause" : "Play")) {
    if (!cs.playing && cs.scrub >= last) cs.scrub = 0;
    cs.playing = !cs.playing;
    cs.playClock = last > 0 ? 2.0 * cs.scrub / last : 0;
  }
  tip("Play the path from z0 to z* (the inspector shows each step: its decode, prediction and uncertainties)");
  ImGui::SameLine();
  if (ImGui::ArrowButton("back", ImGuiDir_Left)) ctx.clue.scrubTo(cs.scrub - 1);
  ImGui::SameLine();
  if (ImGui::ArrowButton("fwd", ImGuiDir_Right)) ctx.clue.scrubTo(cs.scrub + 1);
  ImGui::SameLine();
  if (ImGui::Button("Zoom to paths")) ctx.clue.zoomToPaths();
  tip("Centre the map on the paths, zoomed in (Fit in the map's toolbar shows all the data again)");
  ImGui::SameLine();
  int step = cs.scrub;
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - 90));
  if (ImGui::SliderInt("step", &step, 0, std::max(0, last))) {
    cs.playing = false;
    ctx.clue.scrubTo(step);
  }
  if (cs.scrub <= last && size_t(cs.scrub) < r->result.pathU.size()) {
    ImGui::Text("step %d of %d: %s %.4f (the inspector shows this step)", cs.scrub, last,
                r->result.target >= 0 ? "p(target)" : "U", double(r->result.pathU[size_t(cs.scrub)]));
    if (r->result.members > 1)
      tip("A diverse path: step 0 is z0, step 1 its noisy start, then the optimiser's steps (the table counts "
          "those only)");
  }
  if (last == 0)
    ImGui::TextColored(ImVec4(1.0f, 0.8f, 0.4f, 1.0f),
                       "No step lowered U + lambda * distance: the point is already "
                       "as certain as this run can make it (try a smaller lambda).");
  const Selection& sel = ctx.state.selection.sel;
  if (cs.nudged >= 0 && sel.edited == cs.nudged && !cs.running()) {
    if (ImGui::Button("Continue from the nudged point")) ctx.clue.run(cs.options);
    tip("Run again from the step you dragged (the selected edited point), with the same settings");
  } else {
    if (ImGui::Button("Continue from this step")) ctx.clue.continueFrom(cs.scrub);
    tip("Run again from the latent at this step");
  }
  if (!cs.playing && !cs.running()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("To nudge the run: drag the white dot on the map (the step shown), then continue from there.");
    ImGui::PopStyleColor();
  }
  ImGui::SameLine();
  if (ImGui::Button("Keep z* as an edited point")) ctx.clue.keepFinal();
  tip("Add the counterfactual latent to the edited points (then drag it, or run again from it)");
  // The filmstrip: x0, the frames along the path, and x*; one row per counterfactual when diverse.
  std::vector<const ClueResult*> strips{&r->result};
  if (!cs.diverse.empty()) {
    strips.clear();
    for (const ClueRun& d : cs.diverse) strips.push_back(&d.result);
  }
  const auto& names = ctx.state.model.pts->classNames;
  ImGui::TextDisabled("x0 | the path | x*");
  for (size_t row = 0; row < strips.size(); ++row) {
    const ClueResult& res = *strips[row];
    const int C = int(res.C), H = int(res.H), W = int(res.W);
    const size_t img = size_t(C * H * W);
    if (img == 0 || res.x0.size() != img) return;
    const std::string id = "clue" + std::to_string(row) + "_";
    const float size = 40;
    if (strips.size() > 1) {  // its number in its map colour, and what the model reads in its x*
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(memberColour(int(row))));
      ImGui::Text("#%zu", row + 1);
      ImGui::PopStyleColor();
      ImGui::SameLine();
      ImGui::Text("x* read as %s (%.3f), U %.4f after the round trip", className(ctx, res.classRoundtrip).c_str(),
                  double(res.probRoundtrip()), double(res.uRoundtrip));
    }
    ctx.textures.showChw(id + "x0", res.x0, C, H, W, size);
    for (size_t f = 0; (f + 1) * img <= res.frames.size(); ++f) {
      ImGui::SameLine();
      ctx.textures.showChw(
          id + "f" + std::to_string(f),
          std::vector<float>(res.frames.begin() + long(f * img), res.frames.begin() + long((f + 1) * img)), C, H, W,
          size);
      if (f < res.frameSteps.size()) tip(("step " + std::to_string(res.frameSteps[f])).c_str());
    }
    ImGui::SameLine();
    ctx.textures.showChw(id + "xs", res.xStar, C, H, W, size);
    tip("x*: the counterfactual image (the decode of z*, or the optimised input for the hierarchical search)");
    if (const DecodeCheck c =
            checkDecode(res.classLatent, res.uLatent, res.classRoundtrip, res.probRoundtrip(), res.uRoundtrip, names);
        !c.faithful()) {
      ImGui::PushStyleColor(ImGuiCol_Text, kWarnText);
      if (strips.size() > 1)
        ImGui::TextWrapped("x* of #%zu: %s", row + 1, c.words.c_str());
      else
        ImGui::TextWrapped("x*: %s", c.words.c_str());
      ImGui::PopStyleColor();
    }
  }
}

void CluePanel::draw(Context& ctx) {
  AppState& s = ctx.state;
  if (!s.hasModel()) {
    ImGui::TextWrapped("Load a model to explain its uncertainty with counterfactuals.");
    return;
  }
  ClueState& cs = s.clue;
  drawSettings(ctx);
  const bool canRun = s.selection.sel.any() && !cs.running();
  if (!canRun) ImGui::BeginDisabled();
  if (ImGui::Button("Run from the selection")) ctx.clue.run(cs.options);
  if (!canRun) ImGui::EndDisabled();
  tip("Which nearby latent would the model be sure about, and what does it look like? Runs the method from the "
      "selected "
      "point with the Laplace head, then with the deterministic head. The round trip phi(g(z*)) shows whether the "
      "image really changed.");
  if (!s.selection.sel.any()) {
    ImGui::SameLine();
    ImGui::TextDisabled("select a point (or an edited point) first");
  }
  if (cs.running()) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) ctx.clue.cancel();
    ImGui::SameLine();
    ImGui::ProgressBar(cs.job->fraction.load(), ImVec2(-1, 0), cs.job->stageText().c_str());
  }
  if (!cs.error.empty()) ImGui::TextColored(kErrorText, "%s", cs.error.c_str());
  ImGui::Separator();
  drawResults(ctx);  // first: the round trip is what a run is read by
  drawScrubber(ctx);
  ImGui::Spacing();
  if (cs.batch.running()) ImGui::SetNextItemOpen(true);  // a run started from a script shows its progress
  if (ImGui::CollapsingHeader("Batch run over many test points")) drawBatch(ctx);
  // Scrolled down to the batch section when a run starts (its progress) and when it ends (its means).
  const uint64_t batchKey = cs.batch.serial * 2 + (cs.batch.summary.is_object() ? 1 : 0);
  if ((cs.batch.running() || cs.batch.summary.is_object()) && batchKey != m_seenBatch) {
    m_seenBatch = batchKey;
    m_scrollFrames = 3;  // the section's new height counts from the next frame
  }
  if (m_scrollFrames > 0) {
    --m_scrollFrames;
    ImGui::SetScrollHereY(1.0f);
  }
  // Playback runs in draw so that it follows the frame clock.
  ctx.clue.tick(double(ImGui::GetIO().DeltaTime));
}

void CluePanel::drawMapOverlay(Context& ctx, const MapTransform& t, ImDrawList* dl) {
  const ClueState& cs = ctx.state.clue;
  auto path = [&](const std::vector<float>& xy, ImU32 colour, bool followed) {
    const size_t n = xy.size() / 2;
    if (n == 0) return;
    std::vector<ImVec2> pts(n);
    for (size_t i = 0; i < n; ++i) pts[i] = toIm(t.toScreen(xy[2 * i], xy[2 * i + 1]));
    // Segments with round joints (a thick polyline's miter joins spike at sharp turns); the
    // deterministic path thinner, so that it shows on top of the Laplace one it often follows.
    const float width = colour == kDetColour ? 1.6f : 3.0f;
    for (int pass = 0; pass < 2; ++pass) {
      const ImU32 c = pass == 0 ? IM_COL32(0, 0, 0, 200) : colour;
      const float w = pass == 0 ? width + 2.0f : width;
      for (size_t i = 0; i + 1 < n; ++i) dl->AddLine(pts[i], pts[i + 1], c, w);
      if (n <= 400)
        for (size_t i = 1; i + 1 < n; ++i) dl->AddCircleFilled(pts[i], 0.5f * w, c, 8);
    }
    dl->AddCircle(pts[0], 6.0f, colour, 16, 2.0f);      // z0
    dl->AddCircleFilled(pts[n - 1], 5.0f, colour, 16);  // z*
    dl->AddCircle(pts[n - 1], 6.0f, IM_COL32(0, 0, 0, 255), 16, 1.5f);
    if (followed && cs.scrub >= 0 && size_t(cs.scrub) < n) {
      const ImVec2 p = pts[size_t(cs.scrub)];
      dl->AddCircleFilled(p, 4.0f, IM_COL32(255, 255, 255, 255), 12);
      dl->AddCircle(p, 7.0f, colour, 16, 2.0f);
    }
  };
  auto link = [&](const ClueRun& r, ImU32 colour) {  // from z0 to the path's start (vae-clue starts elsewhere)
    if (r.xy.size() < 2) return;
    const ImVec2 a = toIm(t.toScreen(r.x0, r.y0)), b = toIm(t.toScreen(r.xy[0], r.xy[1]));
    if (std::abs(a.x - b.x) + std::abs(a.y - b.y) > 2) dl->AddLine(a, b, (colour & 0x00FFFFFF) | 0x90000000, 1.0f);
  };
  if (cs.laplace) {
    link(*cs.laplace, kLaplaceColour);
    path(cs.laplace->xy, kLaplaceColour, !cs.followDet);
  }
  if (cs.det) {  // on top, thinner
    link(*cs.det, kDetColour);
    path(cs.det->xy, kDetColour, cs.followDet);
  }
  for (int k = 0; k < int(cs.diverse.size()); ++k) {  // the followed one last, on top
    const int m = k == int(cs.diverse.size()) - 1 ? cs.member : (k >= cs.member ? k + 1 : k);
    link(cs.diverse[size_t(m)], memberColour(m));
    path(cs.diverse[size_t(m)].xy, memberColour(m), m == cs.member);
  }
  if (!cs.diverse.empty()) {  // z0 in white (not one path's colour), each z* with its number
    const ClueRun& r0 = cs.diverse.front();
    const ImVec2 s0 = toIm(t.toScreen(r0.x0, r0.y0));
    dl->AddCircle(s0, 8.0f, IM_COL32(0, 0, 0, 255), 20, 4.0f);
    dl->AddCircle(s0, 8.0f, IM_COL32(255, 255, 255, 255), 20, 2.0f);
    std::vector<ImVec4> placed;  // the labels drawn so far (x0, y0, x1, y1): a label never covers another
    for (int k = 0; k < int(cs.diverse.size()); ++k) {
      const std::vector<float>& xy = cs.diverse[size_t(k)].xy;
      if (xy.size() < 2) continue;
      const ImVec2 e = toIm(t.toScreen(xy[xy.size() - 2], xy[xy.size() - 1]));
      const std::string label = "#" + std::to_string(k + 1);
      const ImVec2 sz = ImGui::CalcTextSize(label.c_str());
      ImVec2 at(e.x + 8, e.y - sz.y - 2);
      for (bool moved = true; moved;) {  // stacked below the ones it would cover (paths a few pixels long)
        moved = false;
        for (const ImVec4& r : placed)
          if (at.x < r.z + 2 && at.x + sz.x > r.x - 2 && at.y < r.w + 2 && at.y + sz.y > r.y - 2) {
            at.y = r.w + 3;
            moved = true;
          }
      }
      placed.push_back(ImVec4(at.x, at.y, at.x + sz.x, at.y + sz.y));
      dl->AddRectFilled(ImVec2(at.x - 2, at.y - 1), ImVec2(at.x + sz.x + 2, at.y + sz.y + 1), IM_COL32(0, 0, 0, 200),
                        3.0f);
      dl->AddText(at, memberColour(k), label.c_str());
    }
  }
  path(cs.liveXY, kLaplaceColour, false);
  if (!cs.diverse.empty()) {  // the legend of the K paths
    const std::string first = std::to_string(cs.diverse.size()) + " diverse counterfactuals (" +
                              cs.diverse.front().result.head + " head), coloured as in the CLUE tab:";
    const char* second = "white ring = z0,  #k = its z*,  white dot = the step shown of the one followed";
    const MapRect& m = t.rect;
    const float lh = ImGui::GetTextLineHeight();
    const float w = std::max(ImGui::CalcTextSize(first.c_str()).x, ImGui::CalcTextSize(second).x);
    const ImVec2 p0(m.left + m.width - w - 16, m.top + 4);
    dl->AddRectFilled(p0, ImVec2(m.left + m.width - 4, m.top + 3 * lh + 14), IM_COL32(20, 20, 24, 210), 4.0f);
    dl->AddText(ImVec2(p0.x + 6, p0.y + 4), IM_COL32(230, 230, 230, 255), first.c_str());
    float x = p0.x + 6;
    for (int k = 0; k < int(cs.diverse.size()); ++k) {
      const std::string label = "#" + std::to_string(k + 1) + "  ";
      dl->AddText(ImVec2(x, p0.y + 4 + lh), memberColour(k), label.c_str());
      x += ImGui::CalcTextSize(label.c_str()).x;
    }
    dl->AddText(ImVec2(p0.x + 6, p0.y + 4 + 2 * lh), IM_COL32(230, 230, 230, 255), second);
  } else if (cs.laplace || cs.det || !cs.liveXY.empty()) {  // a legend, top right of the map (captions use the bottom)
    const bool vae = (cs.laplace && cs.laplace->result.method == std::string("vae-clue")) ||
                     (cs.det && cs.det->result.method == std::string("vae-clue"));
    const char* lines[] = {"CLUE path:  orange = Laplace head,  blue = deterministic (thin)",
                           "ring = start,  filled dot = z*,  white dot = the step shown (on z* at the end)",
                           "thin line: from z0 to the VAE's reconstruction, where VAE-CLUE starts"};
    const int nLines = vae ? 3 : 2;
    const MapRect& m = t.rect;
    const float lh = ImGui::GetTextLineHeight();
    float w = 0;
    for (int k = 0; k < nLines; ++k) w = std::max(w, ImGui::CalcTextSize(lines[k]).x);
    const ImVec2 p0(m.left + m.width - w - 16, m.top + 4);
    dl->AddRectFilled(p0, ImVec2(m.left + m.width - 4, m.top + float(nLines) * lh + 14), IM_COL32(20, 20, 24, 210),
                      4.0f);
    for (int k = 0; k < nLines; ++k)
      dl->AddText(ImVec2(p0.x + 6, p0.y + 4 + float(k) * lh), IM_COL32(230, 230, 230, 255), lines[k]);
  }
}

}  // namespace latentlab::gui
