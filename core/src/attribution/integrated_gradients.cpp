// Integrated gradients (Sundararajan et al.) with the midpoint or the Gauss-Legendre rule, the
// bundle's targets and the four baselines.
#include "latentlab/attribution/attribution_torch.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <functional>

#include "attribution/ig_internal.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

using namespace ig_internal;

std::vector<float> inputGradient(const ImageScalarFn& F, const torch::Tensor& x) {
  std::vector<float> f, g;
  gradientsAt(F, x.detach().to(torch::kFloat).unsqueeze(0), 1, nullptr, f, g);
  return g;
}

AttributionResult integratedGradients(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb,
                                      int steps, Quadrature q, const std::atomic<bool>* cancel, int64_t chunk) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (x.dim() != 3 || !x.sizes().equals(xb.sizes()))
    throw InputError("[ig] the input and the baseline must both be [C, H, W] of one size");
  AttributionResult r;
  quadratureRule(steps, q, r.alphas, r.weights);
  r.C = x.size(0);
  r.H = x.size(1);
  r.W = x.size(2);
  const int64_t P = r.pixels(), m = steps;
  const torch::Tensor xf = x.detach().to(torch::kFloat), bf = xb.detach().to(x.device(), torch::kFloat);
  const torch::Tensor diff = xf - bf;
  const torch::Tensor a = torch::tensor(r.alphas, torch::kDouble).to(xf.device(), torch::kFloat).view({m, 1, 1, 1});
  gradientsAt(F, bf.unsqueeze(0) + a * diff.unsqueeze(0), chunk, cancel, r.fPath, r.gradients);
  const torch::Tensor w = torch::tensor(r.weights, torch::kDouble).to(torch::kFloat).view({m, 1});
  const torch::Tensor g = torch::from_blob(r.gradients.data(), {m, P}, torch::kFloat);
  r.input = floatsOf(xf);
  r.baseline = floatsOf(bf);
  r.attribution = floatsOf(diff.cpu().flatten() * (w * g).sum(0));
  finishResult(F, xf, bf, r);
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

AttributionResult latentPathAttribution(const Bundle& b, const ImageScalarFn& F, const torch::Tensor& zPath,
                                        const torch::Tensor& x, int segmentSteps, const std::atomic<bool>* cancel) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (zPath.dim() != 2 || zPath.size(0) < 1 || zPath.size(1) != b.latentDim())
    throw InputError("[latent-ig] the path must be [K+1, d] latents with d = " + std::to_string(b.latentDim()));
  if (segmentSteps < 1 || segmentSteps > kMaxIgSteps)
    throw InputError("[latent-ig] the segment's steps must be in 1.." + std::to_string(kMaxIgSteps));
  torch::Tensor xs;
  {
    torch::NoGradGuard ng;
    xs = b.decode(zPath.to(b.device, torch::kFloat)).to(torch::kFloat);  // [K+1, C, H, W]
  }
  const torch::Tensor xf = x.detach().to(xs.device(), torch::kFloat);
  if (!xs[0].sizes().equals(xf.sizes())) throw InputError("[latent-ig] the decoder's images and x differ in shape");
  const int64_t K = xs.size(0) - 1, S = segmentSteps;
  const torch::Tensor g0 = xs[K];
  const torch::Tensor segA = ((torch::arange(S, torch::kFloat) + 0.5f) / float(S)).to(xs.device()).view({S, 1, 1, 1});
  std::vector<torch::Tensor> mids, deltas;
  if (K > 0) {
    mids.push_back(0.5f * (xs.slice(0, 0, K) + xs.slice(0, 1, K + 1)));
    deltas.push_back(xs.slice(0, 1, K + 1) - xs.slice(0, 0, K));
  }
  mids.push_back(g0.unsqueeze(0) + segA * (xf - g0).unsqueeze(0));
  deltas.push_back(((xf - g0) / float(S)).unsqueeze(0).expand({S, -1, -1, -1}));
  const torch::Tensor nodes = torch::cat(mids), steps = torch::cat(deltas);
  AttributionResult r;
  r.C = xf.size(0);
  r.H = xf.size(1);
  r.W = xf.size(2);
  const int64_t N = nodes.size(0), P = r.pixels();
  gradientsAt(F, nodes, 64, cancel, r.fPath, r.gradients);
  r.nodeInputs = floatsOf(nodes);
  r.nodeSteps = floatsOf(steps);
  r.decodedNodes = int(K);
  // The scrubber's positions: each node's segment end as a share of the path's length (L2 in pixels).
  const torch::Tensor len = steps.flatten(1).norm(2, 1).cpu().to(torch::kDouble);
  const double total = std::max(1e-12, len.sum().item<double>());
  double run = 0;
  for (int64_t k = 0; k < N; ++k) {
    run += len[k].item<double>();
    r.alphas.push_back(std::min(1.0, run / total));
    r.weights.push_back(1.0);
  }
  const torch::Tensor g = torch::from_blob(r.gradients.data(), {N, P}, torch::kFloat);
  r.attribution = floatsOf((g * steps.cpu().flatten(1)).sum(0));
  r.input = floatsOf(xf);
  r.baseline = floatsOf(xs[0]);
  finishResult(F, xf, xs[0], r);
  r.quadrature = "midpoint";
  r.baseline_name = "g(z*)";
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

ImageScalarFn attributionFunction(const Bundle& b, const BllHead& head, const AttributionTarget& t) {
  return [&b, head, t](const torch::Tensor& x) -> torch::Tensor {
    const torch::Tensor z = b.encode(x);
    if (t.kind == AttributionTargetKind::Logit) return b.classify(z).select(1, t.cls);
    const Predictive p = head.predict(z);
    switch (t.kind) {
      case AttributionTargetKind::Probability:
        return p.probs.select(1, t.cls);
      case AttributionTargetKind::Aleatoric:
        return p.aleatoric;
      case AttributionTargetKind::Epistemic:
        return p.epistemic;
      default:
        return p.total;
    }
  };
}

torch::Tensor igBaseline(IgBaseline kind, const torch::Tensor& x, const torch::Tensor& trainMean, double sigma,
                         uint64_t seed) {
  torch::NoGradGuard ng;
  const torch::Tensor xf = x.detach().to(torch::kFloat);
  switch (kind) {
    case IgBaseline::Black:
      return torch::zeros_like(xf);
    case IgBaseline::Mean:
      if (!trainMean.defined() || !trainMean.sizes().equals(x.sizes()))
        throw InputError("[ig] the mean baseline needs the training images' mean image");
      return trainMean.detach().to(xf.device(), torch::kFloat);
    case IgBaseline::Noise: {
      torch::Generator gen = at::detail::createCPUGenerator(seed);
      return torch::rand(xf.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat)).to(xf.device());
    }
    case IgBaseline::Blur: {
      if (sigma <= 0) return xf.clone();
      const int64_t radius = std::max<int64_t>(1, int64_t(std::ceil(3 * sigma)));
      std::vector<float> k(size_t(2 * radius + 1));
      double total = 0;
      for (int64_t i = -radius; i <= radius; ++i)
        total += k[size_t(i + radius)] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
      for (float& v : k) v = float(v / total);
      const torch::Tensor kern = torch::tensor(k).to(xf.device());
      const int64_t C = xf.size(0);
      torch::Tensor img = xf.unsqueeze(0);  // [1, C, H, W]
      namespace F = torch::nn::functional;
      auto pass = [&](const torch::Tensor& in, bool horizontal) {
        const torch::Tensor w =
            horizontal ? kern.view({1, 1, 1, -1}).repeat({C, 1, 1, 1}) : kern.view({1, 1, -1, 1}).repeat({C, 1, 1, 1});
        const torch::Tensor padded =
            F::pad(in, F::PadFuncOptions(horizontal ? std::vector<int64_t>{radius, radius, 0, 0}
                                                    : std::vector<int64_t>{0, 0, radius, radius})
                           .mode(torch::kReplicate));
        return F::conv2d(padded, w, F::Conv2dFuncOptions().groups(C));
      };
      return pass(pass(img, true), false).squeeze(0);
    }
  }
  return torch::zeros_like(xf);
}

int adaptiveStepCap(int64_t pixels) {
  // The gradients of every node are kept for the scrubber: at most 512 MB of them.
  const int64_t byMemory = (int64_t(1) << 27) / std::max<int64_t>(1, pixels);
  return int(std::max<int64_t>(1, std::min<int64_t>(kMaxIgSteps, byMemory)));
}

namespace {

// Runs `run(m)` with o's steps: o.steps, or adaptive (attribution.h), and records how m was chosen.
AttributionResult withSteps(const AttributionOptions& o, int64_t pixels,
                            const std::function<AttributionResult(int)>& run) {
  if (!o.adaptive) return run(o.steps);
  const int cap = adaptiveStepCap(pixels);
  int m = std::min(o.adaptiveStart, cap);
  double ms = 0;
  std::vector<std::pair<int, double>> tries;
  for (;;) {
    AttributionResult r = run(m);
    ms += r.ms;
    tries.emplace_back(m, r.residual);
    if (!r.hasCompleteness || r.residual <= o.tolerance || m >= cap) {
      r.adaptive = true;
      r.tolerance = o.tolerance;
      r.stepCap = cap;
      r.tries = std::move(tries);
      r.ms = ms;
      return r;
    }
    m = std::min(2 * m, cap);
  }
}

// The path [K+1, d] with the midpoint of every piece inserted: [2K+1, d].
torch::Tensor refinePath(const torch::Tensor& zPath) {
  const int64_t K = zPath.size(0) - 1;
  if (K < 1) return zPath;
  torch::Tensor out = torch::empty({2 * K + 1, zPath.size(1)}, zPath.options());
  out.slice(0, 0, 2 * K + 1, 2).copy_(zPath);
  out.slice(0, 1, 2 * K, 2).copy_(0.5 * (zPath.slice(0, 0, K) + zPath.slice(0, 1, K + 1)));
  return out;
}

}  // namespace

AttributionResult straightPathAttribution(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb,
                                          const AttributionOptions& o, const std::atomic<bool>* cancel) {
  return withSteps(o, x.numel(), [&](int m) {
    return o.method == AttributionMethod::GradientShap ? gradientShap(F, x, xb, m, o.shapNoise, o.seed, cancel)
                                                       : integratedGradients(F, x, xb, m, o.quadrature, cancel);
  });
}

AttributionResult explainLatentPath(const Bundle& b, const AttributionOptions& o, const ImageScalarFn& F,
                                    const torch::Tensor& zPath, const torch::Tensor& x,
                                    const std::atomic<bool>* cancel) {
  if (!o.adaptive) return latentPathAttribution(b, F, zPath, x, o.steps, cancel);
  // Each doubling halves the segment's steps and the decoded path's pieces (midpoints in z, decoded),
  // while the gradients of every node stay within the same 512 MB.
  torch::Tensor path = zPath;
  bool first = true;
  const int64_t P = x.numel();
  return withSteps(o, P, [&](int m) {
    if (!first && (2 * (path.size(0) - 1) + m) * P <= (int64_t(1) << 27)) path = refinePath(path);
    first = false;
    return latentPathAttribution(b, F, path, x, m, cancel);
  });
}

AttributionResult explainIg(const Bundle& b, const AttributionOptions& o, const torch::Tensor& x,
                            const torch::Tensor& trainMean, const std::atomic<bool>* cancel) {
  checkAttributionOptions(o, b.numClasses(), "ig");
  const torch::Tensor xd = x.to(b.device, torch::kFloat);
  ImageScalarFn F;
  if (!o.target.needsHead()) {
    torch::NoGradGuard ng;
    F = labelFreeFunction(b, b.encode(xd.unsqueeze(0))[0]);
  } else {
    F = attributionFunction(b, b.head(o.head == HeadKind::Laplace ? HeadMode::Samples : HeadMode::Deterministic),
                            o.target);
  }
  AttributionResult r;
  if (o.method == AttributionMethod::Saliency) {
    r = saliencyAttribution(F, xd, cancel);
  } else {
    const torch::Tensor xb = igBaseline(o.baseline, xd, trainMean, o.blurSigmaOrDefault(x.size(1), x.size(2)), o.seed);
    r = straightPathAttribution(F, xd, xb, o, cancel);
    r.baseline_name = igBaselineName(o.baseline);
    if (o.method == AttributionMethod::IG) r.quadrature = quadratureName(o.quadrature);
  }
  r.target = attributionTargetName(o.target);
  r.head = o.target.needsHead() ? headKindName(o.head) : "none";
  return r;
}

}  // namespace latentlab
