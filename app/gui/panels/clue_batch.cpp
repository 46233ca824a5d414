// The CLUE tab's batch section: the panel's settings run over many test points as a job
// (`latentlab explain`), with progress and Cancel, and the means it wrote.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

#include "context.h"
#include "panels/clue_panel.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

// A new folder in the working directory, named for the bundle and the run.
std::string proposeOut(const Context& ctx) {
  const ClueOptions& o = ctx.state.clue.options;
  std::string base = "explain-" + std::filesystem::path(ctx.state.model.dir).filename().string() + "-" +
                     clueMethodName(o.method) + "-" + headKindName(o.head);
  std::error_code ec;
  std::string out = base;
  for (int k = 2; std::filesystem::exists(out, ec) && k < 1000; ++k) out = base + "-" + std::to_string(k);
  return out;
}

// `scale` multiplies the value before `format` (100 for a share shown as a percentage).
void summaryRow(const nlohmann::json& s, const char* key, const char* label, const char* tipText,
                const char* format = "%.4f", double scale = 1.0) {
  ImGui::TableNextRow();
  ImGui::TableSetColumnIndex(0);
  ImGui::TextUnformatted(label);
  tip(tipText);
  ImGui::TableSetColumnIndex(1);
  if (s.contains(key) && s[key].is_number())
    ImGui::Text(format, scale * s[key].get<double>());
  else
    ImGui::TextUnformatted("-");
}

}  // namespace

void CluePanel::drawBatch(Context& ctx) {
  ClueBatch& b = ctx.state.clue.batch;
  const ClueOptions& o = ctx.state.clue.options;
  const std::string key =
      ctx.state.model.dir + "|" + clueMethodName(o.method) + "|" + headKindName(o.head) + "|" + b.written;
  // A proposed folder follows the settings until the user (or a script) writes another.
  if ((b.out.empty() || b.out == m_proposed) && key != m_outKey) {
    b.out = m_proposed = proposeOut(ctx);
    m_outKey = key;
  }
  ImGui::TextWrapped(
      "Runs the settings above (%s, %s head, U = %s) on many test points, one after another, and "
      "writes summary.json, points.csv and a filmstrip per point, as `latentlab explain` does.",
      clueMethodName(o.method), headKindName(o.head), uncertaintyName(o.uncertainty));
  int which = b.lasso ? 1 : 0;
  ImGui::RadioButton("the most uncertain test points:", &which, 0);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(110);
  ImGui::InputInt("##n", &b.mostUncertain, 10, 100);
  b.mostUncertain = std::clamp(b.mostUncertain, 1, 1000000);
  tip("The N test points of highest total uncertainty under the Laplace head, whatever the method and head, so that "
      "runs with different settings explain the same points");
  size_t lassoTest = 0;
  if (ctx.state.hasModel())
    for (int64_t i : ctx.state.selection.multi)
      if (i >= 0 && i < ctx.state.model.pts->n && !ctx.state.model.pts->isTrain[size_t(i)]) ++lassoTest;
  const std::string lassoLabel = "the lasso selection's test points (" + std::to_string(lassoTest) + ")";
  ImGui::RadioButton(lassoLabel.c_str(), &which, 1);
  tip("Shift+drag on the map draws a lasso; its training points are left out");
  b.lasso = which == 1;
  ImGui::SetNextItemWidth(std::max(200.0f, ImGui::GetContentRegionAvail().x - 120));
  ImGui::InputText("folder", &b.out);
  tip("A new folder (relative to the working directory unless absolute). It is written only when the run "
      "finishes: a cancelled or failed run leaves nothing.");
  ImGui::SameLine();
  ImGui::Checkbox("replace", &b.force);
  tip("Replace an earlier explain folder of that name (never any other folder)");
  if (b.running()) {
    if (ImGui::Button("Cancel##batch")) ctx.clue.cancelBatch();
    ImGui::SameLine();
    const std::string text = b.job->cancel ? std::string("cancelling...") : b.job->stageText();
    ImGui::ProgressBar(b.job->fraction.load(), ImVec2(-1, 0), text.c_str());
  } else if (ImGui::Button("Run the batch")) {
    ctx.clue.runBatch();
  }
  if (!b.error.empty()) ImGui::TextColored(kErrorText, "%s", b.error.c_str());
  if (b.summary.is_object()) {
    const nlohmann::json& s = b.summary;
    ImGui::Text("%s: %lld points, %.1f points/s", b.written.c_str(), (long long)s.value("n_points", 0),
                s.value("points_per_second", 0.0));
    if (s.value("n_counterfactuals", 0) > s.value("n_points", 0))
      ImGui::Text("%lld counterfactuals (diverse): the means below are over them",
                  (long long)s.value("n_counterfactuals", 0));
    if (ImGui::BeginTable("batch", 2, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
      summaryRow(s, "u_before", "U before (mean)", "U at z0, nats");
      summaryRow(s, "u_latent", "U at z*", "U of the counterfactual latents");
      summaryRow(s, "u_roundtrip", "U round trip", "U of phi(g(z*)): the decoded counterfactuals encoded again");
      summaryRow(s, "class_kept", "class kept", "share of points whose class after the round trip is the one at z0");
      summaryRow(s, "input_distance", "|x* - x0|_1 / P", "pixel distance to the input, per pixel");
      summaryRow(s, "drop_kept", "drop kept",
                 "(U before - U round trip) / (U before - U at z*): the share of the drop in U that the pictures keep");
      summaryRow(s, "pictures_read_otherwise", "pictures read otherwise",
                 "share of counterfactual pictures the model reads as another class than z*, or far less surely");
      const bool diverse = s.value("n_counterfactuals", 0) > s.value("n_points", 0);
      summaryRow(s, "ms_per_explanation", diverse ? "ms per counterfactual" : "ms per point",
                 "optimisation time per counterfactual (batched; a point's K share their run)");
      if (s.contains("quality") && s["quality"].is_object()) {
        const nlohmann::json& q = s["quality"];
        summaryRow(q, "validity", "valid (CARLA)",
                   "share that reached the target or a class of p >= 0.8 after the round trip");
        summaryRow(q, "sparsity", "pixels changed",
                   "mean share of the image's values changed by more than 0.05 from x_first", "%.1f%%", 100);
        summaryRow(q, "l1_x", "|x* - x_first| L1", "mean L1 norm of x* - x_first (g(z0) for the latent methods)");
        summaryRow(q, "l2_z", "|z* - z0| L2", "mean L2 norm of z* - z0");
        summaryRow(q, "ynn", "neighbours agree (yNN)",
                   "mean share of the 5 nearest training latents of z* with z*'s class");
        summaryRow(q, "knn_percentile", "farther from the data than",
                   "mean share of test points nearer the training latents than z*", "%.0f%% of test points", 100);
      }
      if (s.contains("diversity") && s["diversity"].is_object()) {  // diverse K: the K of each point together
        const nlohmann::json& d = s["diversity"];
        summaryRow(d, "latent", "diversity in the latent",
                   "DiCE: mean pairwise |z*_i - z*_j|_1 / d between a point's K counterfactuals, over the points");
        summaryRow(d, "image", "diversity in the picture", "mean pairwise |x*_i - x*_j|_1 / P");
        summaryRow(d, "count", "pixels that differ", "mean share of pixels two of them differ in by more than 0.05",
                   "%.1f%%", 100);
        summaryRow(d, "classes", "classes reached", "mean number of distinct classes after the round trip among the K",
                   "%.2f");
      }
      ImGui::EndTable();
    }
  }
}

}  // namespace latentlab::gui
