#pragma once
// Integrated gradients of a scalar function of the input image, on any device (attribution.h has
// the options and the result). Batched over the quadrature nodes; autograd on the function.
#include <torch/script.h>

#include <atomic>
#include <functional>

#include "latentlab/attribution.h"
#include "latentlab/bll.h"

namespace latentlab {

struct Bundle;

// F: images [n, C, H, W] -> [n], differentiable in the images.
using ImageScalarFn = std::function<torch::Tensor(const torch::Tensor& x)>;

// IG of F from baseline xb to x (both [C, H, W], on F's device): the nodes' inputs are evaluated
// `chunk` at a time. Fills every field of IgResult but the names. Throws CancelledError when
// `cancel` is set, InputError on shapes that differ, ModelLoadError when F or its gradient is not
// finite.
IgResult integratedGradients(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb, int steps,
                             Quadrature q, const std::atomic<bool>* cancel = nullptr, int64_t chunk = 64);

// Perez et al.'s uncertainty attribution along a decoded latent path: zPath [K+1, d] runs from z*
// to z0 (a CLUE path reversed, a drag's line), x_k = g(z_k); the segment from g(z0) to x [C, H, W]
// is added with `segmentSteps` nodes, so that A = sum_k dF/dx(m_k) * (x_k - x_{k-1}) (gradients at
// the midpoints m_k) sums to F(x) - F(g(z*)) up to the quadrature error, reported as the residual.
IgResult latentPathAttribution(const Bundle& b, const ImageScalarFn& F, const torch::Tensor& zPath, const torch::Tensor& x,
                               int segmentSteps, const std::atomic<bool>* cancel = nullptr);

// dF/dx at x [C, H, W] (the plain saliency map), [C*H*W].
std::vector<float> inputGradient(const ImageScalarFn& F, const torch::Tensor& x);

// F of the bundle for target t through `head` (the Laplace bank or the deterministic head); the
// logit target is the network's own classify(z)[K]. Keeps references to b: it must outlive F.
ImageScalarFn attributionFunction(const Bundle& b, const BllHead& head, const AttrTarget& t);

// The baseline x' for x [C, H, W]: zeros, x blurred (Gaussian, sigma pixels, edges replicated),
// `trainMean` [C, H, W], or uniform [0, 1] noise from `seed`.
torch::Tensor igBaseline(IgBaseline kind, const torch::Tensor& x, const torch::Tensor& trainMean, double sigma,
                         uint64_t seed);

// IG on the bundle with options o (checked): x [C, H, W] in [0, 1]; `trainMean` is needed for the
// mean baseline only. Names the target, head, baseline and quadrature in the result.
IgResult explainIg(const Bundle& b, const IgOptions& o, const torch::Tensor& x, const torch::Tensor& trainMean,
                   const std::atomic<bool>* cancel = nullptr);

}  // namespace latentlab
