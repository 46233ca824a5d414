#pragma once
// The Model tab: load a bundle, import a TorchScript model, import a layout CSV, train a new
// model (a form), and what the loaded model is: its stored eval table and its plots
// (model_plots.h). Its fields are its own state.
#include <string>

#include "latentlab/pipeline/pipeline.h"
#include "panels/panel.h"
#include "widgets/file_browser.h"

namespace latentlab::gui {

class ModelPanel : public Panel {
 public:
  const char* name() const override { return "Model"; }
  void draw(Context& ctx) override;

 private:
  void drawLoad(Context& ctx);
  void drawImport(Context& ctx);
  void drawLayoutCsv(Context& ctx);
  void drawTrainForm(Context& ctx);
  void drawSummary(Context& ctx);

  std::string m_bundle, m_shownDir;  // the field, and the loaded bundle it was last set from
  std::string m_importModel, m_importDataset = "fashion-mnist", m_importOut;
  std::string m_layoutCsv;
  TrainOptions m_train;
  bool m_init = false;
  FileBrowser m_browser;
};

}  // namespace latentlab::gui
