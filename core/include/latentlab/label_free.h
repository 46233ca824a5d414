#pragma once
// Seed 002's label-free feature importance: any linear attribution method applied to the scalar
// g_x(x~) = <phi(x), phi(x~)> (Definition 2.1), and the two methods beside IG that it is shown
// with: saliency and GradientShap. Each takes F's device from its inputs.
#include <torch/script.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "latentlab/integrated_gradients.h"

namespace latentlab {

// g_x for the explained image's latent zRef [d] (detached; on the bundle's device):
// F(x~) = sum_j zRef_j * encode(x~)_j, one number per image. Keeps a reference to b.
ImageScalarFn labelFreeFunction(const Bundle& b, const torch::Tensor& zRef);
// The same for any encoder: images [n, C, H, W] -> latents [n, d] (tests rotate one).
using ImageEncoderFn = std::function<torch::Tensor(const torch::Tensor& x)>;
ImageScalarFn labelFreeFunction(const ImageEncoderFn& encode, const torch::Tensor& zRef);

// |dF/dx| at x [C, H, W] as an IgResult of one node (alpha 1): attribution, fInput, and
// hasCompleteness false.
IgResult saliencyAttribution(const ImageScalarFn& F, const torch::Tensor& x, const std::atomic<bool>* cancel = nullptr);

// GradientShap with baseline xb: `samples` points b + alpha_k (x + eps_k - b) with alpha_k ~ U(0,1)
// (sorted, so the scrubber runs along them) and eps_k ~ N(0, noise^2), from `seed`; attribution
// (x - b) * mean_k dF/dx. residual as for IG (it holds in expectation, not exactly).
IgResult gradientShap(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb, int samples, double noise,
                      uint64_t seed, const std::atomic<bool>* cancel = nullptr, int64_t chunk = 64);

}  // namespace latentlab
