// TracIn (Pruthi et al. 2020) in Crabbé and van der Schaar's label-free form (Definition 3.1, Algorithm 3): the
// checkpoints' learning-rate-weighted inner products of loss gradients, restricted to the
// encoder's parameters.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace fs = std::filesystem;

namespace latentlab {

namespace {

// The parameters that encode() uses: those with a gradient from encode(x).sum().
std::vector<torch::Tensor> encoderParameters(const torch::jit::Module& m, const torch::Tensor& x) {
  std::vector<torch::Tensor> all = parametersOf(m), used;
  for (torch::Tensor& p : all) p.requires_grad_(true);
  torch::AutoGradMode on(true);
  const torch::Tensor z = callTensor(m, "encode", x);
  const auto g = torch::autograd::grad({z.sum()}, all, {}, false, false, /*allow_unused=*/true);
  for (size_t i = 0; i < all.size(); ++i)
    if (g[i].defined()) used.push_back(all[i]);
  if (used.empty()) throw ModelLoadError("[tracin] the checkpoint's encode() uses none of its parameters");
  return used;
}

}  // namespace

torch::Tensor tracinScores(std::vector<TracinCheckpoint> checkpoints, const ExampleLossFn& loss, const torch::Tensor& x,
                           int64_t y, const torch::Tensor& trainImages, const torch::Tensor& trainLabels,
                           const torch::Device& device, const ProgressFn& progress, const std::atomic<bool>* cancel) {
  if (checkpoints.empty()) throw BundleError("[tracin] there are no checkpoints to sum over");
  const int64_t N = trainImages.size(0), batch = 512, batches = (N + batch - 1) / batch;
  torch::Tensor out = torch::zeros({N}, torch::kDouble);
  // In double precision: the central difference below divides a loss change by 2h, which float's
  // 7 digits left 1.5% off per-example autograd on the test's model; in double it is below 1e-6.
  const torch::Tensor xt = x.detach().to(device, torch::kDouble).unsqueeze(0);
  const torch::Tensor yt = torch::tensor({y}, torch::kInt64).to(device);
  int t = 0;
  for (TracinCheckpoint& cp : checkpoints) {
    ++t;
    torch::jit::Module& m = cp.module;
    m.to(torch::kDouble);
    m.eval();
    const std::vector<torch::Tensor> params = encoderParameters(m, xt);
    std::vector<torch::Tensor> g;
    {
      torch::AutoGradMode on(true);
      const torch::Tensor l = loss(m, xt, yt).sum();
      const auto gs = torch::autograd::grad({l}, params, {}, false, false, true);
      for (size_t i = 0; i < params.size(); ++i)
        g.push_back(gs[i].defined() ? gs[i].detach() : torch::zeros_like(params[i]));
    }
    double gn2 = 0;
    for (const torch::Tensor& gi : g) gn2 += gi.pow(2).sum().item<double>();
    const double gnorm = std::sqrt(gn2);
    if (!std::isfinite(gnorm))
      throw ModelLoadError("[tracin] the test loss's gradient at checkpoint " + std::to_string(t) + " is not finite");
    if (gnorm == 0) continue;  // the test loss is flat here: this checkpoint adds nothing
    // A step of h along the unit direction g / |g|: <g_n, g> = |g| (L_n(+h) - L_n(-h)) / 2h. h is
    // small so that few examples cross a ReLU or max-pool kink within it (1e-4 left one 1e-3 off).
    const double h = 1e-6;
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> orig;
    for (const torch::Tensor& p : params) orig.push_back(p.detach().clone());
    auto shift = [&](double s) {
      for (size_t i = 0; i < params.size(); ++i) params[i].detach().copy_(orig[i] + g[i] * (s * h / gnorm));
    };
    for (int64_t bi = 0; bi < batches; ++bi) {
      checkCancel(cancel, "tracin");
      const int64_t s = bi * batch, e = std::min(N, s + batch);
      const torch::Tensor xb = trainImages.slice(0, s, e).to(device, torch::kDouble);
      const torch::Tensor yb = trainLabels.slice(0, s, e).to(device, torch::kInt64);
      shift(+1);
      const torch::Tensor lp = loss(m, xb, yb).to(torch::kCPU, torch::kDouble);
      shift(-1);
      const torch::Tensor lm = loss(m, xb, yb).to(torch::kCPU, torch::kDouble);
      out.slice(0, s, e) += cp.lr * gnorm * (lp - lm) / (2 * h);
      if (progress) {
        Progress p;
        p.stage = "tracin, checkpoint " + std::to_string(t) + "/" + std::to_string(checkpoints.size());
        p.batch = bi + 1;
        p.batches = batches;
        progress(p);
      }
    }
    for (size_t i = 0; i < params.size(); ++i) params[i].detach().copy_(orig[i]);
  }
  if (!torch::isfinite(out).all().item<bool>())
    throw ModelLoadError("[tracin] a training point's loss is not finite at a checkpoint");
  return out.to(torch::kFloat);
}

std::vector<TracinCheckpoint> loadCheckpoints(const Bundle& b) {
  const nlohmann::json& tr = b.manifest.training;
  if (!tr.is_object() || !tr.contains("checkpoints") || !tr["checkpoints"].is_array() || tr["checkpoints"].empty())
    throw BundleError(
        "[tracin] the bundle " + b.dir +
        " keeps no training checkpoints, which TracIn sums over; "
        "retrain it with `latentlab train` (it keeps one per epoch, --checkpoint-every N), or use dknn or simplex");
  const std::string now = fileFingerprint(b.componentPath(b.encoderComponent()));
  const std::string of = tr.value("checkpoints_of", std::string());
  if (of.empty() || of != now)
    throw BundleError("[tracin] the checkpoints in " + b.dir + " were kept while training another model (" +
                      b.manifest.components.at(b.encoderComponent()) +
                      " was replaced since); retrain with `latentlab train` to get checkpoints of this one");
  std::vector<TracinCheckpoint> out;
  for (const nlohmann::json& c : tr["checkpoints"]) {
    if (!c.is_object() || !c.contains("file") || !c["file"].is_string() || !c.contains("lr"))
      throw BundleError("[tracin] " + b.dir + "/manifest.json: a checkpoint entry needs \"file\" and \"lr\"");
    const std::string file = c["file"].get<std::string>();
    // The learning rate weighs the checkpoint's term: a negative one would turn it over, 0 drop it.
    const double lr = c["lr"].is_number() ? c["lr"].get<double>() : -1.0;
    if (!(std::isfinite(lr) && lr > 0))
      throw BundleError("[tracin] " + b.dir + "/manifest.json: checkpoint " + clipForMessage(file, 60) + " has lr " +
                        clipForMessage(c["lr"].dump(), 30) + "; it must be a number above 0");
    if (file.empty() || file.find("..") != std::string::npos || fs::path(file).is_absolute())
      throw BundleError("[tracin] " + b.dir + "/manifest.json: the checkpoint file '" + clipForMessage(file, 60) +
                        "' must be a path inside the bundle");
    const std::string path = (fs::path(b.dir) / file).string();
    // Each checkpoint's fingerprint, kept when it was written: a file put in its place (another
    // model's, another architecture) would give other scores without a word.
    std::string unreadable;
    const std::string found = fileFingerprint(path, &unreadable);
    if (found.empty()) throw BundleError("[tracin] " + unreadable);
    if (!c.contains("fingerprint") || !c["fingerprint"].is_string() || c["fingerprint"] != found)
      throw BundleError("[tracin] the checkpoint " + path +
                        " is not the one `latentlab train` kept there (its fingerprint " +
                        "differs from the manifest's); retrain to get checkpoints of this model");
    out.push_back({loadScript(path, b.device,
                              b.labelFree() ? std::vector<std::string>{"encode", "decode"}
                                            : std::vector<std::string>{"encode", "classify", "forward"}),
                   lr});
  }
  return out;
}

}  // namespace latentlab
