#include "panels/model_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

#include "context.h"
#include "panels/model_plots.h"
#include "widgets/widgets.h"

namespace fs = std::filesystem;

namespace latentlab::gui {

void ModelPanel::draw(Context& ctx) {
  if (!m_init) {
    m_bundle = ctx.opt.bundle;
    m_train = guiTrainOptions();
    m_init = true;
  }
  if (ctx.state.hasModel() && ctx.state.model.dir != m_shownDir) m_bundle = m_shownDir = ctx.state.model.dir;
  drawLoad(ctx);
  // The rarer forms fold into one header, so that the figures fit the tab without scrolling.
  if (ImGui::CollapsingHeader("Import a model, a layout CSV, or train a new model")) {
    ImGui::Indent();
    if (ImGui::CollapsingHeader("Import a TorchScript model")) drawImport(ctx);
    if (ImGui::CollapsingHeader("Layout CSV")) drawLayoutCsv(ctx);
    if (ImGui::CollapsingHeader("Train a new model")) drawTrainForm(ctx);
    ImGui::Unindent();
  }
  m_browser.draw();
  ImGui::Separator();
  if (ctx.state.hasModel()) drawSummary(ctx);
}

void ModelPanel::drawLoad(Context& ctx) {
  ImGui::SetNextItemWidth(-150);
  ImGui::InputText("##bundle", &m_bundle);
  tip("A bundle directory (manifest.json, TorchScript components, cache/)");
  ImGui::SameLine();
  if (ImGui::Button("Browse##b"))
    m_browser.toggle(m_bundle.empty() ? fs::current_path().string() : fs::path(m_bundle).parent_path().string(),
                     FileBrowser::Pick::Bundle, &m_bundle);
  tip("Pick a directory with the file browser");
  ImGui::SameLine();
  if (ImGui::Button("Load")) ctx.models.load(m_bundle);
  tip("Load this bundle on the worker; the current model stays until it has loaded");
}

void ModelPanel::drawImport(Context& ctx) {
  ImGui::SetNextItemWidth(-150);
  ImGui::InputTextWithHint("model .pt", "model with encode(x) and classify(z)", &m_importModel);
  tip("torch.jit.script(model).save(PATH) with methods encode(x)->z, classify(z)->logits, optional decode(z)->x");
  ImGui::SameLine();
  if (ImGui::Button("Browse##m"))
    m_browser.toggle(fs::current_path().string(), FileBrowser::Pick::File, &m_importModel);
  tip("Pick the .pt file with the file browser");
  ImGui::SetNextItemWidth(-150);
  ImGui::InputText("dataset", &m_importDataset);
  tip("fashion-mnist, mnist, or a folder of PNG images in class subfolders");
  ImGui::SetNextItemWidth(-150);
  ImGui::InputTextWithHint("out bundle", "new directory to write", &m_importOut);
  tip("Where the new bundle goes; an existing path is refused");
  if (ImGui::Button("Import and load")) ctx.models.importModel(m_importModel, m_importDataset, m_importOut);
  tip("Runs latentlab import as a job (Jobs tab), then loads the result");
}

void ModelPanel::drawLayoutCsv(Context& ctx) {
  ImGui::SetNextItemWidth(-150);
  ImGui::InputTextWithHint("csv##layout", "index,x,y file", &m_layoutCsv);
  tip("A precomputed 2D layout: header index,x,y and one row per point of the map (test points, then training "
      "points when shown), in dataset order");
  ImGui::SameLine();
  if (ImGui::Button("Import layout")) ctx.projection.importCsv(m_layoutCsv);
  tip("Show the map in this layout (the projection menu's CSV layout); a bad row is reported with its line number");
}

void ModelPanel::drawTrainForm(Context& ctx) {
  TrainOptions& f = m_train;
  ImGui::SetNextItemWidth(-150);
  ImGui::InputText("dataset##train", &f.dataset);
  tip("fashion-mnist, mnist, or a folder of PNG images in class subfolders");
  ImGui::SetNextItemWidth(-150);
  ImGui::InputTextWithHint("out bundle##train", "new directory to write", &f.out);
  tip("Where the new bundle goes; an existing path is refused");
  auto intField = [](const char* label, int& v, int lo, int hi, const char* help) {
    ImGui::SetNextItemWidth(120);
    if (ImGui::InputInt(label, &v)) v = std::clamp(v, lo, hi);
    tip(help);
  };
  intField("epochs##train", f.epochs, 1, 1000, "Classifier epochs (one Fashion-MNIST epoch is about 12 s on 2 cores)");
  ImGui::SameLine();
  int d = int(f.latentDim);
  intField("latent dim", d, 2, 4096, "d: size of the penultimate layer z (the map's space)");
  f.latentDim = d;
  intField("decoder epochs", f.decoderEpochs, 0, 1000, "Epochs of the decoder g: z -> x on the frozen encoder");
  ImGui::SameLine();
  intField("VAE epochs", f.vaeEpochs, 0, 1000, "Epochs of the VAE the original-CLUE baseline needs (0 skips it)");
  intField("ensemble", f.ensemble, 0, 20,
           "Members of the deep-ensemble comparator (only the eval table uses it; each costs as much as the "
           "classifier; 0 skips it)");
  ImGui::SameLine();
  int seed = int(f.seed);
  intField("seed", seed, 0, 1 << 30, "Random seed: the same seed and settings give the same bundle");
  f.seed = uint64_t(seed);
  int limit = int(f.limitTrain);
  intField("limit train", limit, 0, 1 << 30,
           "Train on only the first N shuffled training images (0 = all), for a quick demo");
  f.limitTrain = limit;
  if (ImGui::Button("Train and load")) ctx.models.trainModel(f);
  tip("Runs latentlab train as a job (progress and Cancel in the Jobs tab; a cancelled run leaves nothing behind), "
      "then "
      "loads the new bundle");
}

void ModelPanel::drawSummary(Context& ctx) {
  const Model& m = ctx.state.model;
  // The model's name, size and accuracy are in the inspector's summary; here what it lacks.
  if (!m.hasLaplace) ImGui::TextDisabled("no Laplace posterior: the deterministic head only");
  if (!m.pts->hasClassifier) {  // a label-free bundle (Crabbé and van der Schaar 2022): its own figures, no heads to
                                // calibrate
    ImGui::TextWrapped(
        "This encoder was trained without labels (%s): there is no classifier, so no predictions, "
        "uncertainties, reliability or OOD plots. The map is coloured by the true class; the Examples "
        "tab and the Attribution tab's label-free target explain it.",
        m.pts->objective.c_str());
    if (m.metrics.is_object() && m.metrics.contains("test_loss"))
      ImGui::Text("test loss %.4f per image, reconstruction MSE %.5f", m.metrics.value("test_loss", 0.0),
                  m.metrics.value("reconstruction_mse", 0.0));
    return;
  }
  // The plots first (they fit the tab at the default size), then the eval table in a fixed-width
  // font so that its columns line up.
  if (!m.report)
    ImGui::TextDisabled("computing the reliability diagram and OOD histograms (Jobs tab)...");
  else
    drawModelPlots(*m.report, m.oodHistogram);
  if (m.metrics.is_object() && m.metrics.contains("heads")) {
    ImGui::TextDisabled("latentlab eval (stored in the manifest when the bundle was made):");
    nlohmann::json main = m.metrics;
    main.erase("dvae");
    ImGui::PushFont(monoFont());
    ImGui::TextUnformatted(formatEvalTable(main).c_str());
    ImGui::PopFont();
    if (m.metrics.contains("dvae") && m.metrics["dvae"].is_object() &&
        ImGui::CollapsingHeader("DVAE bit flips (Gat et al. 2022, Table 1)")) {
      ImGui::PushFont(monoFont());
      ImGui::TextUnformatted(formatDvaeTable(m.metrics["dvae"]).c_str());
      ImGui::PopFont();
      ImGui::TextDisabled(
          "changed: the share of test points whose prediction a flip of that bit changes (from f(phi'))");
    }
  }
}

}  // namespace latentlab::gui
