#pragma once
// The Attribution tab's algorithms, on any device (attribution.h has the options and the results):
// integrated gradients of a scalar function of the input image, batched over the quadrature nodes
// with autograd on the function; the uncertainty attribution along a decoded latent path; and
// the label-free feature importance (saliency, IG and GradientShap of <phi(x), phi(.)>).
#include <torch/script.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "latentlab/attribution/attribution.h"
#include "latentlab/bll/bll_torch.h"

namespace latentlab {

struct Bundle;

// F: images [n, C, H, W] -> [n], differentiable in the images.
using ImageScalarFn = std::function<torch::Tensor(const torch::Tensor& x)>;

// IG of F from baseline xb to x (both [C, H, W], on F's device): the nodes' inputs are evaluated
// `chunk` at a time. Fills every field of AttributionResult but the names. Throws CancelledError when
// `cancel` is set, InputError on shapes that differ, ModelLoadError when F or its gradient is not
// finite.
AttributionResult integratedGradients(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb,
                                      int steps, Quadrature q, const std::atomic<bool>* cancel = nullptr,
                                      int64_t chunk = 64);

// Perez et al.'s uncertainty attribution along a decoded latent path: zPath [K+1, d] runs from z*
// to z0 (a CLUE path reversed, a drag's line), x_k = g(z_k); the segment from g(z0) to x [C, H, W]
// is added with `segmentSteps` nodes, so that A = sum_k dF/dx(m_k) * (x_k - x_{k-1}) (gradients at
// the midpoints m_k) sums to F(x) - F(g(z*)) up to the quadrature error, reported as the residual.
AttributionResult latentPathAttribution(const Bundle& b, const ImageScalarFn& F, const torch::Tensor& zPath,
                                        const torch::Tensor& x, int segmentSteps,
                                        const std::atomic<bool>* cancel = nullptr);

// IG (or GradientShap, by o.method) of F from xb to x with o's steps: o.steps, or adaptive
// (attribution.h: 32 doubling until the residual is at most o.tolerance), the tries recorded.
AttributionResult straightPathAttribution(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb,
                                          const AttributionOptions& o, const std::atomic<bool>* cancel = nullptr);

// latentPathAttribution with o's steps: fixed (o.steps segment steps), or adaptive, each doubling
// of the segment's steps also splitting every piece of the decoded path at its midpoint in z.
AttributionResult explainLatentPath(const Bundle& b, const AttributionOptions& o, const ImageScalarFn& F,
                                    const torch::Tensor& zPath, const torch::Tensor& x,
                                    const std::atomic<bool>* cancel = nullptr);

// The most steps an adaptive run may take for images of `pixels` values (kMaxIgSteps, or fewer
// where the gradients of every node would pass 512 MB).
int adaptiveStepCap(int64_t pixels);

// dF/dx at x [C, H, W] (the plain saliency map), [C*H*W].
std::vector<float> inputGradient(const ImageScalarFn& F, const torch::Tensor& x);

// F of the bundle for target t through `head` (the Laplace bank or the deterministic head); the
// logit target is the network's own classify(z)[K]. Keeps references to b: it must outlive F.
ImageScalarFn attributionFunction(const Bundle& b, const BllHead& head, const AttributionTarget& t);

// The baseline x' for x [C, H, W]: zeros, x blurred (Gaussian, sigma pixels, edges replicated),
// `trainMean` [C, H, W], or uniform [0, 1] noise from `seed`.
torch::Tensor igBaseline(IgBaseline kind, const torch::Tensor& x, const torch::Tensor& trainMean, double sigma,
                         uint64_t seed);

// IG on the bundle with options o (checked): x [C, H, W] in [0, 1]; `trainMean` is needed for the
// mean baseline only. Names the target, head, baseline and quadrature in the result.
AttributionResult explainIg(const Bundle& b, const AttributionOptions& o, const torch::Tensor& x,
                            const torch::Tensor& trainMean, const std::atomic<bool>* cancel = nullptr);

// Label-free feature importance (Crabbé and van der Schaar 2022): any linear attribution method applied to the scalar
// g_x(x~) = <phi(x), phi(x~)> (Definition 2.1), and the two methods beside IG that it is shown
// with: saliency and GradientShap. Each takes F's device from its inputs.

// g_x for the explained image's latent zRef [d] (detached; on the bundle's device):
// F(x~) = sum_j zRef_j * encode(x~)_j, one number per image. Keeps a reference to b.
ImageScalarFn labelFreeFunction(const Bundle& b, const torch::Tensor& zRef);
// The same for any encoder: images [n, C, H, W] -> latents [n, d] (tests rotate one).
using ImageEncoderFn = std::function<torch::Tensor(const torch::Tensor& x)>;
ImageScalarFn labelFreeFunction(const ImageEncoderFn& encode, const torch::Tensor& zRef);

// |dF/dx| at x [C, H, W] as an AttributionResult of one node (alpha 1): attribution, fInput, and
// hasCompleteness false.
AttributionResult saliencyAttribution(const ImageScalarFn& F, const torch::Tensor& x,
                                      const std::atomic<bool>* cancel = nullptr);

// GradientShap with baseline xb: `samples` points b + alpha_k (x + eps_k - b) with alpha_k ~ U(0,1)
// (sorted, so the scrubber runs along them) and eps_k ~ N(0, noise^2), from `seed`; attribution
// (x - b) * mean_k dF/dx. residual as for IG (it holds in expectation, not exactly).
AttributionResult gradientShap(const ImageScalarFn& F, const torch::Tensor& x, const torch::Tensor& xb, int samples,
                               double noise, uint64_t seed, const std::atomic<bool>* cancel = nullptr,
                               int64_t chunk = 64);

}  // namespace latentlab
