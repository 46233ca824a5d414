// The counterfactual entry points: the context (head, range of z, prototypes), the dispatch to
// each method, and what every run reports besides its path: the round trip phi(x*), U before, at
// z* and after the round trip, the distances and the decoded frames.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "clue/clue_internal.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace detail {

std::vector<int> frameSteps(int last, int count) {
  std::vector<int> s;
  if (count <= 0) return s;
  if (count == 1 || last == 0) return {last};
  for (int i = 0; i < count; ++i) {
    const int t = int(std::lround(double(i) * last / (count - 1)));
    if (s.empty() || s.back() != t) s.push_back(t);
  }
  return s;
}

std::vector<float> toFloats(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace detail

using detail::toFloats;

ClueContext makeClueContext(const Bundle& b, const ClueOptions& o, const torch::Tensor& latents) {
  ClueContext c;
  c.bundle = &b;
  c.device = b.device;
  if (o.head == HeadKind::Laplace && !b.laplace)
    throw BundleError("[clue] head=laplace needs the bundle's Laplace posterior, and it has none (" + b.dir + ")");
  c.head = b.head(o.head == HeadKind::Laplace ? HeadMode::Samples : HeadMode::Deterministic);
  if (latents.defined() && latents.numel() > 0 && latents.min().item<float>() >= 0.0f) c.zLower = 0.0;
  return c;
}

namespace {

std::vector<ClueResult> explain(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0In,
                                const torch::Tensor& z0In, const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const Bundle& b = *ctx.bundle;
  checkClueOptions(o, b.numClasses(), "clue");
  if (o.method != ClueMethod::VaeClue && !b.decoder)
    throw BundleError(std::string("[clue] ") + clueMethodName(o.method) +
                      " needs a decoder for the round trip, and the bundle has none (" + b.dir + ")");
  const torch::Device dev = ctx.device;
  // diverse K: each point K times in a row, its K counterfactuals optimised together.
  const int64_t k = std::max(1, o.diverse);
  const torch::Tensor x0 =
      k > 1 ? x0In.to(dev, torch::kFloat32).repeat_interleave(k, 0) : x0In.to(dev, torch::kFloat32);
  const torch::Tensor z0 =
      k > 1 ? z0In.to(dev, torch::kFloat32).repeat_interleave(k, 0) : z0In.to(dev, torch::kFloat32);
  const int64_t n = z0.size(0);
  std::vector<ClueResult> out(static_cast<size_t>(n));
  switch (o.method) {
    case ClueMethod::LatentClue:
    case ClueMethod::ClassChange:
      if (k > 1)
        detail::diverseLatentClue(ctx, o, z0, x0, out, cancel, onStep);
      else
        latentClue(ctx, o, z0, x0, out, cancel, onStep);
      break;
    case ClueMethod::VaeClue:
      detail::vaeClue(ctx, o, x0, out, cancel, onStep);
      break;
    case ClueMethod::Regene:
      detail::regene(ctx, o, z0, out, cancel, onStep);
      break;
    case ClueMethod::Hierarchical:
      detail::hierarchicalSearch(ctx, o, x0, out, cancel, onStep);
      break;
  }
  checkCancel(cancel, "clue");
  // A component that gives NaN or infinity on this input (a VAE that passed its dry run on random
  // images) would otherwise give rows of nan, class 0 and empty pictures: refused, naming the file.
  auto finite = [](const std::vector<float>& v) {
    for (float x : v)
      if (!std::isfinite(x)) return false;
    return true;
  };
  for (const ClueResult& r : out)
    if (!finite(r.zStar) || !finite(r.xStar) || !finite(r.frames) || !finite(r.pathU) || !finite(r.path)) {
      const std::string file = o.method == ClueMethod::VaeClue ? b.componentPath("vae")
                               : b.decoder                     ? b.componentPath("decoder")
                                                               : b.componentPath("classifier");
      throw ModelLoadError(std::string("[clue] ") + clueMethodName(o.method) +
                           " gave non-finite values (NaN or infinity) on this point: its model is not sound on it (" +
                           file + ")");
    }
  torch::NoGradGuard ng;
  const int64_t d = z0.size(1);
  torch::Tensor zStar = torch::empty({n, d});
  for (int64_t i = 0; i < n; ++i) zStar[i] = torch::from_blob(out[size_t(i)].zStar.data(), {d}, torch::kFloat32);
  zStar = zStar.to(dev);
  // The counterfactual images: g(z*) for the latent methods; the others made their own.
  torch::Tensor xStar;
  if (out[0].xStar.empty()) {
    xStar = b.decode(zStar);
  } else {
    std::vector<torch::Tensor> rows;
    for (auto& r : out)
      rows.push_back(torch::from_blob(r.xStar.data(), {x0.size(1), x0.size(2), x0.size(3)}, torch::kFloat32).clone());
    xStar = torch::stack(rows).to(dev);
  }
  const torch::Tensor zRound = b.encode(xStar);
  const Predictive pBefore = ctx.head.predict(z0), pLatent = ctx.head.predict(zStar), pRound = ctx.head.predict(zRound);
  const torch::Tensor uB = uncertaintyOf(pBefore, o.uncertainty).cpu(),
                      uL = uncertaintyOf(pLatent, o.uncertainty).cpu(), uR = uncertaintyOf(pRound, o.uncertainty).cpu();
  const torch::Tensor lat = (zStar - z0).abs().mean(1).cpu(), inp = (xStar - x0).abs().flatten(1).mean(1).cpu();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / double(n);
  for (int64_t i = 0; i < n; ++i) {
    ClueResult& r = out[size_t(i)];
    r.method = clueMethodName(o.method);
    r.head = headKindName(o.head);
    r.uncertainty = uncertaintyName(o.uncertainty);
    r.d = d;
    r.C = x0.size(1);
    r.H = x0.size(2);
    r.W = x0.size(3);
    r.x0 = toFloats(x0[i]);
    r.z0 = toFloats(z0[i]);
    r.xStar = toFloats(xStar[i]);
    r.zStar = toFloats(zStar[i]);
    r.probsBefore = toFloats(pBefore.probs[i]);
    r.probsLatent = toFloats(pLatent.probs[i]);
    r.probsRoundtrip = toFloats(pRound.probs[i]);
    r.uBefore = uB[i].item<float>();
    r.uLatent = uL[i].item<float>();
    r.uRoundtrip = uR[i].item<float>();
    r.classBefore = int(pBefore.probs[i].argmax().item<int64_t>());
    r.classLatent = int(pLatent.probs[i].argmax().item<int64_t>());
    r.classRoundtrip = int(pRound.probs[i].argmax().item<int64_t>());
    r.latentDistance = lat[i].item<float>();
    r.inputDistance = inp[i].item<float>();
    r.ms = ms;
    r.member = int(i % k);
    r.members = int(k);
    if (o.target >= 0) {
      r.target = o.target;
      r.targetBefore = r.probsBefore[size_t(o.target)];
      r.targetLatent = r.probsLatent[size_t(o.target)];
      r.targetRoundtrip = r.probsRoundtrip[size_t(o.target)];
    }
    if (r.frames.empty() && o.frames > 0) {
      r.frameSteps = detail::frameSteps(r.numPathSteps() - 1, o.frames);  // (diverse: z0 comes before the steps)
      std::vector<torch::Tensor> zs;
      for (int s : r.frameSteps)
        zs.push_back(torch::from_blob(r.path.data() + size_t(s) * size_t(d), {d}, torch::kFloat32));
      r.frames = toFloats(b.decode(torch::stack(zs).to(dev)));
    }
  }
  measureDiversity(out, int(k), o.distance);
  return out;
}

}  // namespace

std::vector<ClueResult> explainInputs(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0,
                                      const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  torch::Tensor z0;
  {
    torch::NoGradGuard ng;
    z0 = ctx.bundle->encode(x0.to(ctx.device, torch::kFloat32));
  }
  return explain(ctx, o, x0, z0, cancel, onStep);
}

std::vector<ClueResult> explainPoints(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0,
                                      const torch::Tensor& z0, const std::atomic<bool>* cancel,
                                      const ClueStepFn& onStep) {
  if (x0.size(0) != z0.size(0))
    throw InputError("[clue] " + std::to_string(x0.size(0)) + " images but " + std::to_string(z0.size(0)) + " latents");
  return explain(ctx, o, x0, z0, cancel, onStep);
}

std::vector<ClueResult> explainLatents(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0,
                                       const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  torch::Tensor x0;
  {
    torch::NoGradGuard ng;
    x0 = ctx.bundle->decode(z0.to(ctx.device, torch::kFloat32));
  }
  return explain(ctx, o, x0, z0, cancel, onStep);
}

}  // namespace latentlab
