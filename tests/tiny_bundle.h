#pragma once
// One tiny bundle shared by a test executable's cases (each ctest entry trains it once, in about a
// second): 3 classes of 8x8 images, d = 8, with a decoder, a VAE, a DVAE and a 2-member ensemble.
#include <sstream>
#include <string>

#include "latentlab/pipeline/pipeline.h"
#include "test_helpers.h"

namespace {

// One tiny bundle shared by the cases below: 3 classes of 8x8 images, d = 8.
struct TinyBundle {
  testutil::TempDir dir;
  std::string data = dir / "data";
  std::string bundle = dir / "tiny.bundle";
  nlohmann::json summary;
  // channels 3: RGB bands on a non-square 8x12 image (the colour bundle of colour_test.cpp).
  explicit TinyBundle(int channels = 1, int h = 8, int w = 8) {
    testutil::writeImageFolder(data, 3, 16, h, w, 11, channels);
    latentlab::TrainOptions o;
    o.dataset = data;
    o.out = bundle;
    o.epochs = 30;
    o.latentDim = 8;
    o.ensemble = 2;
    o.ensembleEpochs = 2;
    o.decoderEpochs = 3;
    o.vaeEpochs = 1;
    o.batchSize = 16;
    o.samples = 16;
    o.device = testutil::device().str();
    std::ostringstream log;
    summary = latentlab::runTrain(o, {}, nullptr, log);
  }
};
inline TinyBundle& tiny() {
  static TinyBundle t;
  return t;
}
inline TinyBundle& tinyColour() {
  static TinyBundle t(3, 8, 12);
  return t;
}

}  // namespace
