// Saliency, GradientShap and the label-free wrapper g_x (Crabbé and van der Schaar 2022, Definition 2.1 and Table 3).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "attribution/ig_internal.h"
#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/model/bundle_torch.h"

namespace latentlab {

using namespace ig_internal;

ImageScalarFn labelFreeFunction(const ImageEncoderFn& encode, const torch::Tensor& zRef) {
  const torch::Tensor ref = zRef.detach().to(torch::kFloat).flatten();
  return [encode, ref](const torch::Tensor& x) -> torch::Tensor {
    const torch::Tensor z = encode(x);
    if (z.dim() != 2 || z.size(1) != ref.numel())
      throw InputError("[labelfree] the encoder gives latents of another size than the reference's " +
                       std::to_string(ref.numel()));
    return (z * ref.to(z.device()).unsqueeze(0)).sum(1);
  };
}

ImageScalarFn labelFreeFunction(const Bundle& b, const torch::Tensor& zRef) {
  if (zRef.numel() != b.latentDim())
    throw InputError("[labelfree] the reference latent has " + std::to_string(zRef.numel()) +
                     " numbers; the encoder's d is " + std::to_string(b.latentDim()));
  return labelFreeFunction([&b](const torch::Tensor& x) { return b.encode(x); }, zRef.to(b.device));
}

AttributionResult saliencyAttribution(const ImageScalarFn& F, const torch::Tensor& x, const std::atomic<bool>* cancel) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (x.dim() != 3) throw InputError("[saliency] the input must be [C, H, W]");
  AttributionResult r;
  r.C = x.size(0);
  r.H = x.size(1);
  r.W = x.size(2);
  const torch::Tensor xf = x.detach().to(torch::kFloat);
  gradientsAt(F, xf.unsqueeze(0), 1, cancel, r.fPath, r.gradients);
  r.alphas = {1.0};
  r.weights = {1.0};
  r.input = floatsOf(xf);
  r.baseline.assign(r.input.size(), 0.0f);
  r.attribution.resize(r.gradients.size());
  for (size_t i = 0; i < r.gradients.size(); ++i) r.attribution[i] = std::abs(r.gradients[i]);
  r.fInput = r.fPath[0];
  for (float v : r.attribution) r.sumAttribution += v;
  r.hasCompleteness = false;
  r.method = attributionMethodName(AttributionMethod::Saliency);
  r.baseline_name = "none";
  r.quadrature = "none";
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

AttributionResult gradientShap(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb, int samples,
                               double noise, uint64_t seed, const std::atomic<bool>* cancel, int64_t chunk) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (x.dim() != 3 || !x.sizes().equals(xb.sizes()))
    throw InputError("[gradient-shap] the input and the baseline must both be [C, H, W] of one size");
  if (samples < 1 || samples > 1000)
    throw InputError("[gradient-shap] samples must be in 1..1000, got " + std::to_string(samples));
  AttributionResult r;
  r.C = x.size(0);
  r.H = x.size(1);
  r.W = x.size(2);
  const int64_t P = r.pixels(), m = samples;
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  torch::Tensor alpha = std::get<0>(torch::rand({m}, gen, torch::kDouble).sort());
  r.alphas.assign(alpha.data_ptr<double>(), alpha.data_ptr<double>() + m);
  r.weights.assign(size_t(m), 1.0 / double(m));
  const torch::Tensor xf = x.detach().to(torch::kFloat), bf = xb.detach().to(x.device(), torch::kFloat);
  torch::Tensor xs = xf.unsqueeze(0).expand({m, -1, -1, -1});
  if (noise > 0) xs = xs + (noise * torch::randn({m, r.C, r.H, r.W}, gen, torch::kFloat)).to(xf.device());
  const torch::Tensor a = alpha.to(torch::kFloat).to(xf.device()).view({m, 1, 1, 1});
  gradientsAt(F, bf.unsqueeze(0) + a * (xs - bf.unsqueeze(0)), chunk, cancel, r.fPath, r.gradients);
  const torch::Tensor g = torch::from_blob(r.gradients.data(), {m, P}, torch::kFloat);
  r.input = floatsOf(xf);
  r.baseline = floatsOf(bf);
  r.attribution = floatsOf((xf - bf).cpu().flatten() * g.mean(0));
  finishResult(F, xf, bf, r);
  r.method = attributionMethodName(AttributionMethod::GradientShap);
  r.quadrature = "monte-carlo";
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

}  // namespace latentlab
