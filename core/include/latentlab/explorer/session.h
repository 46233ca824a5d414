#pragma once
// What the explorer saves: the session (view, colour mode, selection, edited points) as JSON, and
// the selection as CSV. Torch-free; tested headless.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace latentlab {

constexpr int kSessionFormatVersion = 1;

// A point the user dragged and kept: where it came from and the latent it now has.
struct EditedPoint {
  int64_t origin = -1;        // index of the point it was dragged from
  std::vector<float> latent;  // [d]
  float x = 0, y = 0;         // its position in the projection it was made in
  std::string projection = "pca";
  // What the model said of it when it was last evaluated, for the Edited tab (not saved in a
  // session: a loaded one is evaluated again): the predicted class (-1 until then), the total
  // uncertainty in nats and the decoded image [C, H, W].
  int pred = -1;
  float total = -1;
  std::vector<float> image;
};

struct SessionState {
  std::string bundle;
  std::string projection = "pca";
  std::string colorMode = "label";  // label | pred | total | aleatoric | epistemic | correct
  double viewX = 0, viewY = 0;      // data coordinates at the centre of the map
  double viewScale = 1;             // pixels per projection unit
  bool showTrain = false;
  std::vector<int> hiddenClasses;
  std::string filter;
  std::vector<int64_t> selection;
  int64_t selected = -1;
  std::vector<EditedPoint> edited;
  // Points added to the map, in order: an image file (with its content fingerprint, checked when
  // the session is loaded) or a layer (a dataset and its point count). Saved as "added":
  // [{"image": PATH, "fingerprint": F} | {"layer": DATASET, "n": N}].
  struct Added {
    bool layer = false;
    std::string path;         // the image file, or the layer's dataset
    std::string fingerprint;  // an image's
    int64_t n = 0;            // a layer's
  };
  std::vector<Added> added;
};

const std::vector<std::string>& colorModes();
nlohmann::json sessionToJson(const SessionState& s);
// Throws InputError naming `source` and the key for anything missing, mistyped or out of range.
SessionState sessionFromJson(const nlohmann::json& j, const std::string& source);
void saveSession(const SessionState& s, const std::string& path);               // atomic
SessionState loadSession(const std::string& path);                              // InputError naming the path
SessionState parseSession(const std::string& text, const std::string& source);  // the same, from text

struct CsvRow {
  int64_t index = 0;
  int label = 0, pred = 0;
  float total = 0, aleatoric = 0, epistemic = 0;
  float x = 0, y = 0;
  std::vector<float> latent;
};
// Header: index,label,prediction,total,aleatoric,epistemic,x,y,z0,...,z{d-1}. Floats with 9
// significant digits, so a float survives the round trip exactly.
std::string selectionCsv(const std::vector<CsvRow>& rows, int64_t latentDim);

}  // namespace latentlab
