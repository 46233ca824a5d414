#pragma once
// Torch-free maths behind the map view: the 2D PCA projection and its inverse for drags, the
// colormaps, the lasso test, and the point filter language. Tested headless.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace latentlab {

// The first two principal axes of a set of latents. Axis signs are fixed so that each axis's
// entry of largest magnitude is positive (so another implementation can reproduce them).
struct Pca2 {
  int64_t dim = 0;
  std::vector<float> mean;  // [d]
  std::vector<float> axes;  // [2, d] row-major: axes[c * d + j], orthonormal rows
  double variance[2] = {0, 0};
  double totalVariance = 0;  // trace of the covariance
};

// z: [n, d] row-major. Throws InputError when n < 2, d < 2 or a value is not finite.
Pca2 fitPca2(const float* z, int64_t n, int64_t d);
// xy: [n, 2] = (z - mean) . axes^T
void projectPca2(const Pca2& p, const float* z, int64_t n, float* xy);
// The inverse used by drags: z = clamp(z0 + axes^T [dx, dy], lo, hi) elementwise (lo/hi: [d],
// the encoder's output range over the data). Moving the 2D point by (dx, dy) moves z by exactly
// that much along the two axes before the clamp.
std::vector<float> pcaInverseDrag(const Pca2& p, const float* z0, float dx, float dy, const float* lo, const float* hi);

// Colours, linear 0..1 sRGB-encoded components.
using Rgb = std::array<float, 3>;
Rgb viridis(float t);  // perceptually uniform, t clamped to [0, 1]
// A 20-colour categorical palette, cycling: tab10 with its grey and olive replaced by yellow and
// mint (grey is the deterministic head's bars; olive and yellow looked alike on the map), then the
// light half of tab20.
Rgb classColor(int k);
// Signed attributions, blue (t = -1) - white (0) - red (+1), t clamped to [-1, 1] (NaN: white).
// shaders/saliency.frag draws the same ramp.
Rgb signedColor(float t);
// The colour range of a signed map: the 99th percentile of |v| (LIT's and Captum's convention),
// so that a few extreme pixels do not wash the rest out; 0 when all are 0, non-finite skipped.
float signedClip(const std::vector<float>& v);

// Even-odd rule; points on the boundary may go either way. Fewer than 3 vertices: false.
bool pointInPolygon(float x, float y, const std::vector<std::pair<float, float>>& poly);

// The search box: whitespace-separated terms, all of which must hold.
//   123                  the point with index 123
//   idx=5  index>=100    index comparisons
//   label=3 pred!=3      class comparisons (numbers or class names, e.g. pred=Sneaker)
//   total>0.5 aleatoric<0.1 epistemic>=0.02   uncertainty comparisons (nats)
//   correct  wrong       prediction right / wrong
// Operators: = == != < <= > >=. Throws InputError naming the bad term.
struct FilterTerm {
  enum Field { Index, Label, Pred, Total, Aleatoric, Epistemic, Correct } field = Index;
  enum Op { Eq, Ne, Lt, Le, Gt, Ge } op = Eq;
  double value = 0;
};
struct Filter {
  std::vector<FilterTerm> terms;
  bool empty() const { return terms.empty(); }
};
Filter parseFilter(const std::string& text, const std::vector<std::string>& classNames = {});

struct PointAttrs {
  int64_t index = 0;
  int label = 0, pred = 0;
  float total = 0, aleatoric = 0, epistemic = 0;
};
bool filterMatches(const Filter& f, const PointAttrs& p);

}  // namespace latentlab
