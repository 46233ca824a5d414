#pragma once
// Everything the explorer's panels and controllers share, in one place (as Polyscope's Context):
// the options, the state, the messages, the compute worker, the GL-side caches and the three
// controllers. The App (app.cpp) owns it for the window's life, so nothing lives in statics and
// shutdown has one order: the worker joins its threads before the model and the GL objects go.
// UI thread only.
#include <memory>

#include "app_state.h"
#include "controllers/attribution_controller.h"
#include "controllers/clue_controller.h"
#include "controllers/concept_controller.h"
#include "controllers/edit_controller.h"
#include "controllers/examples_controller.h"
#include "controllers/model_controller.h"
#include "controllers/projection_controller.h"
#include "gui.h"
#include "map/map_renderer.h"
#include "message_log.h"
#include "recorder.h"
#include "widgets/image_cache.h"
#include "widgets/signed_image.h"
#include "worker.h"

namespace latentlab::gui {

struct Context {
  explicit Context(const GuiOptions& options)
      : opt(options),
        worker(std::make_unique<Worker>()),
        models(*this),
        projection(*this),
        edits(*this),
        clue(*this),
        attribution(*this),
        concepts(*this),
        examples(*this) {}

  GuiOptions opt;
  AppState state;
  MessageLog log;
  std::unique_ptr<Worker> worker;
  MapRenderer map;            // GL: the point map
  ImageCache images;          // GL: small image textures
  SignedImages signedImages;  // GL: attribution maps (drawn by shaders/saliency.frag)
  ModelController models;
  ProjectionController projection;
  EditController edits;
  ClueController clue;
  AttributionController attribution;
  ConceptController concepts;
  ExamplesController examples;
  Recorder recorder;  // File ▸ Record demo, --record

  // Joins the worker (cancelling its jobs), then frees the model and the GL objects. Call while
  // the GL context is current.
  void shutdown() {
    if (worker) worker->stop();  // before reset(): the jobs' closures reach the UI through `worker`
    worker.reset();
    state.model = {};
    map.destroy();
    images.destroy();
    signedImages.destroy();
  }
};

}  // namespace latentlab::gui
