#pragma once
// What the app asks the worker to do with models: load a bundle, add the training points, compute
// the model report, import a TorchScript model, train a new bundle. Each runs as a job (progress
// and Cancel in the Jobs tab); its result reaches the state on the UI thread, and a failure leaves
// the current model loaded and says why. UI thread only.
#include <string>

#include "latentlab/pipeline/pipeline.h"

namespace latentlab::gui {

struct Context;
struct Model;

class ModelController {
 public:
  explicit ModelController(Context& ctx) : m_ctx(ctx) {}

  // Opens the bundle on the job thread; the current model stays until it is up.
  void load(const std::string& dir);
  // Shows or hides the training points; the first time, their latents are computed (or read
  // from the bundle's cache) as a job.
  void showTrainPoints(bool on);
  void importModel(const std::string& model, const std::string& dataset, const std::string& out);
  // Refuses (with an error) a missing dataset or output, bad numbers, or an existing output.
  void trainModel(TrainOptions options);
  // Puts a model (or the same bundle with a new point table) on the map; the same bundle keeps
  // the selection and the edits.
  void setModel(Model&& m);

 private:
  void requestReport();
  Context& m_ctx;
};

}  // namespace latentlab::gui
