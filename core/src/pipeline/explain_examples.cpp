// `latentlab explain --method dknn|simplex|tracin`: the training examples behind one test image's
// latent, written as a folder that appears whole or not at all: examples.csv, examples.png and
// summary.json.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "latentlab/data/data_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"
#include "pipeline/explain_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace {

// The test image, a gap, the top 8, a gap, the bottom 8 (2x up to 64 px, else 1x; RGB for colour).
void writeExamplesPng(const std::string& path, const torch::Tensor& x, const Dataset& train, const ExampleScores& r) {
  const int64_t C = x.size(0), H = x.size(1), W = x.size(2), s = std::max(H, W) <= 64 ? 2 : 1, gap = 8,
                k = std::min<int64_t>(8, int64_t(r.index.size())), oc = C == 3 ? 3 : 1;
  std::vector<torch::Tensor> tiles = {x};
  for (int64_t i = 0; i < k; ++i) tiles.push_back(train.images[r.index[size_t(i)]]);
  for (int64_t i = 0; i < k; ++i) tiles.push_back(train.images[r.index[r.index.size() - size_t(k - i)]]);
  const int64_t n = int64_t(tiles.size()), w = n * W * s + (n - 1) * 2 + 2 * gap, h = H * s;
  std::vector<uint8_t> px(size_t(w * h * oc), 40);
  for (int64_t t = 0; t < n; ++t) {
    torch::Tensor img = tiles[size_t(t)].to(torch::kFloat);
    img = (oc == 3 ? img : img.mean(0, true)).permute({1, 2, 0}).contiguous();  // [H, W, oc]
    const float* p = img.data_ptr<float>();
    const int64_t x0 = t * (W * s + 2) + (t >= 1 ? gap : 0) + (t >= 1 + k ? gap : 0);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < W * s; ++xx)
        for (int64_t c = 0; c < oc; ++c)
          px[size_t((y * w + x0 + xx) * oc + c)] =
              uint8_t(std::clamp(p[((y / s) * W + xx / s) * oc + c], 0.0f, 1.0f) * 255.0f + 0.5f);
  }
  writePngFile(path, int(w), int(h), int(oc), px);
}

}  // namespace

json runExplainExamples(const ExampleExplainOptions& o, const ProgressFn& progress, const std::atomic<bool>* cancel,
                        std::ostream& log) {
  const std::string m = exampleMethodName(o.examples.method);
  if (o.index < 0 && o.image.empty())
    throw InputError("[explain] --method " + m + " needs --index N (a test-set index) or --image PATH");
  if (o.index >= 0 && !o.image.empty()) throw InputError("[explain] give --index N or --image PATH, not both");
  checkExampleOptions(o.examples, "explain");
  checkExplainOut(o.out, o.force);
  Bundle b = loadBundle(o.bundle, parseDevice(o.device), BundleParts{false, false, false});
  if (o.examples.method == ExampleMethod::Tracin) loadCheckpoints(b);  // its error before the latents' minutes
  const DatasetSplit data = loadManifestDataset(b.manifest);
  const int64_t n = data.test.size();
  if (o.image.empty() && o.index >= n)
    throw InputError("[explain] --index " + std::to_string(o.index) + " is outside the test set (0.." +
                     std::to_string(n - 1) + ")");
  std::string note;
  const Dataset user = o.image.empty() ? Dataset{} : loadImageAsDataset(o.image, b.manifest.inputShape, &note);
  if (!note.empty()) log << fs::path(o.image).filename().string() << ": " << note << " to the model's input\n";
  const torch::Tensor x = o.image.empty() ? data.test.images[o.index] : user.images[0];
  torch::Tensor z;
  {
    torch::NoGradGuard ng;
    z = b.encode(x.unsqueeze(0).to(b.device, torch::kFloat))[0].to(torch::kCPU);
  }
  const torch::Tensor Z = bundleLatents(b, data.train, "latents_train.pt", progress, cancel);
  int64_t y = o.image.empty() ? data.test.labels[o.index].item<int64_t>() : -1;
  if (y < 0) {  // a user's image has no label: TracIn's loss is taken at its predicted class
    torch::NoGradGuard ng;
    y = b.head(b.laplace ? HeadMode::Samples : HeadMode::Deterministic)
            .predict(z.unsqueeze(0).to(b.device))
            .probs.argmax(1)
            .item<int64_t>();
  }
  const ExampleScores r = exampleScores(b, o.examples, z, Z, x, y, data.train, progress, cancel);
  checkCancel(cancel, "explain");

  StagedDir stage(o.out, o.force, checkExplainOut);
  std::ostringstream csv;
  csv << "index,score\n" << std::setprecision(8);
  for (size_t i = 0; i < r.index.size(); ++i) csv << r.index[i] << "," << r.score[i] << "\n";
  writeFileAtomic((fs::path(stage.path()) / "examples.csv").string(), csv.str());
  writeExamplesPng((fs::path(stage.path()) / "examples.png").string(), x, data.train, r);
  const int64_t* labels = data.train.labels.data_ptr<int64_t>();
  json top = json::array();
  int same = 0;
  const size_t k = std::min<size_t>(10, r.index.size());
  for (size_t i = 0; i < k; ++i) {
    const int64_t li = labels[r.index[i]];
    same += li == y;  // a user's image: the share with its predicted class
    top.push_back({{"index", r.index[i]}, {"score", r.score[i]}, {"label", li}});
  }
  json summary = {{kExplainMarker, true},
                  {"bundle", fs::absolute(o.bundle).string()},
                  {"method", m},
                  {"index", o.image.empty() ? json(o.index) : json(nullptr)},
                  {"image", o.image.empty() ? json(nullptr) : json(fs::absolute(o.image).string())},
                  {"label", o.image.empty() ? json(y) : json(nullptr)},
                  {"label_used", y},  // TracIn's loss: the true label, or a user image's predicted class
                  {"shape", {x.size(0), x.size(1), x.size(2)}},
                  {"scored", r.scored},
                  {"training_points", data.train.size()},
                  {"top", top},
                  {"top10_same_label", k ? double(same) / double(k) : 0.0},
                  {"ms", r.ms},
                  {"device", o.device}};
  if (o.examples.method == ExampleMethod::Dknn) summary["duplicates"] = r.duplicates;
  if (o.examples.method == ExampleMethod::Simplex) {
    summary["corpus"] = r.scored;
    summary["corpus_seed"] = o.examples.seed;
    summary["steps"] = o.examples.steps;
    summary["lr"] = o.examples.lr;
    summary["residual"] = r.residual;
  }
  if (o.examples.method == ExampleMethod::Tracin) summary["checkpoints"] = r.checkpoints;
  writeFileAtomic((fs::path(stage.path()) / "summary.json").string(), jsonText(summary, 2) + "\n");
  checkCancel(cancel, "explain");
  stage.commit();
  log << m << " of " << (o.image.empty() ? "test image " + std::to_string(o.index) : o.image) << ": " << r.scored
      << " training points scored in " << std::fixed << std::setprecision(1) << r.ms << " ms; " << same
      << " of the top " << k << " share its label\n";
  return summary;
}

}  // namespace latentlab
