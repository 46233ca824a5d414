// Integrated gradients (Sundararajan et al.) with the midpoint or the Gauss-Legendre rule, the
// bundle's targets and the four baselines.
#include "latentlab/integrated_gradients.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "latentlab/bundle.h"
#include "latentlab/errors.h"

namespace latentlab {

namespace {

std::vector<float> floatsOf(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void requireFinite(const torch::Tensor& t, const std::string& what) {
  if (!torch::isfinite(t).all().item<bool>()) throw ModelLoadError("[ig] " + what + " is not finite");
}

}  // namespace

IgResult integratedGradients(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb, int steps,
                             Quadrature q, const std::atomic<bool>* cancel, int64_t chunk) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (x.dim() != 3 || !x.sizes().equals(xb.sizes()))
    throw InputError("[ig] the input and the baseline must both be [C, H, W] of one size");
  IgResult r;
  quadratureRule(steps, q, r.alphas, r.weights);
  r.C = x.size(0);
  r.H = x.size(1);
  r.W = x.size(2);
  const int64_t P = r.pixels(), m = steps;
  torch::AutoGradMode grad(true);
  const torch::Tensor xf = x.detach().to(torch::kFloat), bf = xb.detach().to(x.device(), torch::kFloat);
  const torch::Tensor diff = xf - bf;
  r.fPath.resize(size_t(m));
  r.gradients.resize(size_t(m * P));
  torch::Tensor weighted = torch::zeros_like(xf);
  for (int64_t s = 0; s < m; s += chunk) {
    checkCancel(cancel, "ig");
    const int64_t e = std::min(m, s + chunk);
    const torch::Tensor a =
        torch::tensor(std::vector<double>(r.alphas.begin() + s, r.alphas.begin() + e), torch::kDouble)
            .to(xf.device(), torch::kFloat)
            .view({e - s, 1, 1, 1});
    torch::Tensor xi = (bf.unsqueeze(0) + a * diff.unsqueeze(0)).detach().requires_grad_(true);
    const torch::Tensor f = F(xi);
    if (f.dim() != 1 || f.size(0) != e - s) throw InputError("[ig] the target must give one number per image");
    requireFinite(f, "the target along the path");
    const torch::Tensor g = torch::autograd::grad({f.sum()}, {xi})[0];
    requireFinite(g, "the target's gradient along the path");
    const torch::Tensor w = torch::tensor(std::vector<double>(r.weights.begin() + s, r.weights.begin() + e), torch::kDouble)
                                .to(xf.device(), torch::kFloat)
                                .view({e - s, 1, 1, 1});
    weighted += (w * g).sum(0);
    const std::vector<float> fv = floatsOf(f), gv = floatsOf(g);
    std::copy(fv.begin(), fv.end(), r.fPath.begin() + s);
    std::copy(gv.begin(), gv.end(), r.gradients.begin() + s * P);
  }
  const torch::Tensor attribution = diff * weighted;
  {
    torch::NoGradGuard ng;
    const torch::Tensor ends = F(torch::stack({xf, bf}));
    requireFinite(ends, "the target at the input or the baseline");
    const std::vector<float> fe = floatsOf(ends);
    r.fInput = fe[0];
    r.fBaseline = fe[1];
  }
  r.input = floatsOf(xf);
  r.baseline = floatsOf(bf);
  r.attribution = floatsOf(attribution);
  double sum = 0;
  for (float v : r.attribution) sum += v;
  r.sumAttribution = sum;
  const double gap = r.fInput - r.fBaseline;
  r.residualAbsolute = std::abs(gap) < 1e-12;
  r.residual = r.residualAbsolute ? std::abs(sum) : std::abs(sum - gap) / std::abs(gap);
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

ImageScalarFn attributionFunction(const Bundle& b, const BllHead& head, const AttrTarget& t) {
  return [&b, head, t](const torch::Tensor& x) -> torch::Tensor {
    const torch::Tensor z = b.encode(x);
    if (t.kind == AttrTargetKind::Logit) return b.classify(z).select(1, t.cls);
    const Predictive p = head.predict(z);
    switch (t.kind) {
      case AttrTargetKind::Probability: return p.probs.select(1, t.cls);
      case AttrTargetKind::Aleatoric: return p.aleatoric;
      case AttrTargetKind::Epistemic: return p.epistemic;
      default: return p.total;
    }
  };
}

torch::Tensor igBaseline(IgBaseline kind, const torch::Tensor& x, const torch::Tensor& trainMean, double sigma,
                         uint64_t seed) {
  torch::NoGradGuard ng;
  const torch::Tensor xf = x.detach().to(torch::kFloat);
  switch (kind) {
    case IgBaseline::Black: return torch::zeros_like(xf);
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
      for (int64_t i = -radius; i <= radius; ++i) total += k[size_t(i + radius)] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
      for (float& v : k) v = float(v / total);
      const torch::Tensor kern = torch::tensor(k).to(xf.device());
      const int64_t C = xf.size(0);
      torch::Tensor img = xf.unsqueeze(0);  // [1, C, H, W]
      namespace F = torch::nn::functional;
      auto pass = [&](const torch::Tensor& in, bool horizontal) {
        const torch::Tensor w = horizontal ? kern.view({1, 1, 1, -1}).repeat({C, 1, 1, 1}) : kern.view({1, 1, -1, 1}).repeat({C, 1, 1, 1});
        const torch::Tensor padded = F::pad(in, F::PadFuncOptions(horizontal ? std::vector<int64_t>{radius, radius, 0, 0}
                                                                              : std::vector<int64_t>{0, 0, radius, radius})
                                                    .mode(torch::kReplicate));
        return F::conv2d(padded, w, F::Conv2dFuncOptions().groups(C));
      };
      return pass(pass(img, true), false).squeeze(0);
    }
  }
  return torch::zeros_like(xf);
}

IgResult explainIg(const Bundle& b, const IgOptions& o, const torch::Tensor& x, const torch::Tensor& trainMean,
                   const std::atomic<bool>* cancel) {
  checkIgOptions(o, b.numClasses(), "ig");
  const BllHead head = b.head(o.head == CfHead::Laplace ? HeadMode::Samples : HeadMode::Deterministic);
  const torch::Tensor xd = x.to(b.device, torch::kFloat);
  const torch::Tensor xb = igBaseline(o.baseline, xd, trainMean, o.blurSigmaOrDefault(x.size(1)), o.seed);
  IgResult r = integratedGradients(attributionFunction(b, head, o.target), xd, xb, o.steps, o.quadrature, cancel);
  r.target = attrTargetName(o.target);
  r.head = cfHeadName(o.head);
  r.baseline_name = igBaselineName(o.baseline);
  r.quadrature = quadratureName(o.quadrature);
  return r;
}

}  // namespace latentlab
