#pragma once
// Everything the explorer's panels and controllers share, in one place (as Polyscope's Context):
// the options, the state, the messages, the compute worker, the controllers, the recorder and
// the panels' images. It holds no GL object: the window's textures come in as a Textures (GL in
// the app, placeholders in the panel tests), so that controllers and panels are built and tested
// without a window. The App (app.cpp) owns it for the window's life, so nothing lives in statics
// and shutdown has one order: the worker joins its threads before the model goes. UI thread only.
#include <memory>

#include "app_state.h"
#include "commands/script_outputs.h"
#include "controllers/attribution_controller.h"
#include "controllers/clue_controller.h"
#include "controllers/concept_controller.h"
#include "controllers/edit_controller.h"
#include "controllers/examples_controller.h"
#include "controllers/extras_controller.h"
#include "controllers/model_controller.h"
#include "controllers/projection_controller.h"
#include "gui.h"
#include "message_log.h"
#include "recorder.h"
#include "widgets/textures.h"
#include "worker.h"

namespace latentlab::gui {

struct Context {
  Context(const GuiOptions& options, Textures& tex)
      : opt(options),
        textures(tex),
        worker(std::make_unique<Worker>()),
        models(*this),
        projection(*this),
        edits(*this),
        clue(*this),
        attribution(*this),
        concepts(*this),
        examples(*this),
        extras(*this) {}

  GuiOptions opt;
  AppState state;
  MessageLog log;
  Textures& textures;  // the panels' images
  std::unique_ptr<Worker> worker;
  ModelController models;
  ProjectionController projection;
  EditController edits;
  ClueController clue;
  AttributionController attribution;
  ConceptController concepts;
  ExamplesController examples;
  ExtrasController extras;
  Recorder recorder;            // File ▸ Record demo, --record
  ScriptOutputs scriptOutputs;  // where a --script's writes go

  // Joins the worker (cancelling its jobs), then frees the model.
  void shutdown() {
    if (worker) worker->stop();  // before reset(): the jobs' closures reach the UI through `worker`
    worker.reset();
    state.model = {};
  }
};

}  // namespace latentlab::gui
