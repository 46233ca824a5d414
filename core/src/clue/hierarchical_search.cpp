// Hierarchical counterfactual search (the thesis roadmap, 2025, its phase 4): latent CLUE inside; its latent
// steps pulled back to the input as a saliency dx = sum_j J(x_j)^T (z_j - z_{j-1}), with J the
// encoder's Jacobian on the decoded path x_j = x + g(z_j) - g(z_0); outside, x <- x + eta * dx /
// max|dx|. Stops when U falls below the threshold or x stops moving.
#include <torch/torch.h>

#include <algorithm>

#include "clue/clue_internal.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab::detail {

namespace {
constexpr int kPathPoints = 8;           // segments of the inner path pulled back per outer step
constexpr double kStillPerPixel = 1e-4;  // x "stops moving" below this mean change per pixel
}  // namespace

void hierarchicalSearch(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0,
                        std::vector<ClueResult>& out, const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  const Bundle& b = *ctx.bundle;
  if (!b.decoder)
    throw BundleError("[clue] hierarchical search needs a decoder, and the bundle has none (" + b.dir + ")");
  const int64_t n = x0.size(0);
  ClueOptions inner = o;
  inner.method = ClueMethod::LatentClue;
  inner.frames = 0;
  torch::Tensor x = x0.to(ctx.device, torch::kFloat32).clone();
  auto uOf = [&](const torch::Tensor& z) { return uncertaintyOf(ctx.head.predict(z), o.uncertainty, -1); };
  torch::Tensor z;
  {
    torch::NoGradGuard ng;
    z = b.encode(x);
  }
  std::vector<torch::Tensor> xs{x.cpu()}, zs{z.cpu()}, us;
  {
    torch::NoGradGuard ng;
    us.push_back(uOf(z).cpu());
  }
  std::vector<int> stopped(static_cast<size_t>(n), -1);
  torch::Tensor active = torch::ones({n}, torch::kBool);
  for (int k = 1; k <= o.outerSteps; ++k) {
    checkCancel(cancel, "clue");
    // Inner loop: latent CLUE from the current latents.
    std::vector<ClueResult> in(static_cast<size_t>(n));
    latentClue(ctx, inner, z, x, in, cancel, {});
    // Pull the inner path back to the input along its decoded path.
    std::vector<torch::Tensor> xsj, dzs;
    {
      torch::NoGradGuard ng;
      std::vector<torch::Tensor> pts;  // [m+1] of [N, d]
      for (int j = 0; j <= kPathPoints; ++j) {
        std::vector<torch::Tensor> rows;
        for (int64_t i = 0; i < n; ++i) {
          const ClueResult& r = in[size_t(i)];
          const int T = r.steps;
          const int t = int(std::lround(double(j) * T / kPathPoints));
          rows.push_back(
              torch::from_blob(const_cast<float*>(r.path.data()) + size_t(t) * size_t(r.path.size() / (T + 1)),
                               {z.size(1)}, torch::kFloat32)
                  .clone());
        }
        pts.push_back(torch::stack(rows).to(ctx.device));
      }
      const torch::Tensor g0 = b.decode(pts[0]);
      for (int j = 1; j <= kPathPoints; ++j) {
        xsj.push_back((x + b.decode(pts[size_t(j)]) - g0).clamp(0, 1));
        dzs.push_back(pts[size_t(j)] - pts[size_t(j - 1)]);
      }
    }
    torch::Tensor X = torch::cat(xsj).detach().requires_grad_(true);  // [m*N, C, H, W]
    torch::Tensor dz = torch::cat(dzs);
    torch::Tensor dx;
    {
      torch::AutoGradMode on(true);
      torch::Tensor s = (b.encode(X) * dz).sum();
      dx =
          torch::autograd::grad({s}, {X})[0].detach().reshape({kPathPoints, n, x.size(1), x.size(2), x.size(3)}).sum(0);
    }
    torch::NoGradGuard ng;
    const torch::Tensor scale = dx.abs().flatten(1).amax(1).clamp_min(1e-12).reshape({n, 1, 1, 1});
    torch::Tensor xNew = (x + o.eta * dx / scale).clamp(0, 1);
    const torch::Tensor moved = (xNew - x).abs().flatten(1).mean(1).cpu();
    const torch::Tensor a = active.to(ctx.device).reshape({n, 1, 1, 1});
    x = torch::where(a, xNew, x);
    z = b.encode(x);
    const torch::Tensor u = uOf(z).cpu();
    xs.push_back(x.cpu());
    zs.push_back(z.cpu());
    us.push_back(u);
    bool any = false;
    for (int64_t i = 0; i < n; ++i) {
      if (!active[i].item<bool>()) continue;
      if (u[i].item<float>() < o.threshold || moved[i].item<float>() < kStillPerPixel) {
        stopped[size_t(i)] = k;
        active[i] = false;
      } else {
        any = true;
      }
    }
    if (onStep) {
      const torch::Tensor zr = zs.back()[0].contiguous();
      if (!onStep(k, std::vector<float>(zr.data_ptr<float>(), zr.data_ptr<float>() + zr.numel()), u[0].item<float>()))
        break;
    }
    if (!any) break;
  }
  const int last = int(xs.size()) - 1;
  for (int64_t i = 0; i < n; ++i) {
    ClueResult& r = out[size_t(i)];
    const int end = stopped[size_t(i)] >= 0 ? stopped[size_t(i)] : last;
    r.steps = end;
    r.stoppedEarly = stopped[size_t(i)] >= 0 && end < o.outerSteps;
    r.path.clear();
    r.pathU.clear();
    r.pathLoss.clear();
    r.inputPath.clear();
    for (int s = 0; s <= end; ++s) {
      auto zz = toFloats(zs[size_t(s)][i]);
      r.path.insert(r.path.end(), zz.begin(), zz.end());
      r.pathU.push_back(us[size_t(s)][i].item<float>());
      r.pathLoss.push_back(r.pathU.back());
      auto xx = toFloats(xs[size_t(s)][i]);
      r.inputPath.insert(r.inputPath.end(), xx.begin(), xx.end());
    }
    r.zStar = toFloats(zs[size_t(end)][i]);
    r.xStar = toFloats(xs[size_t(end)][i]);
    r.frameSteps = frameSteps(end, o.frames);
    r.frames.clear();
    for (int s : r.frameSteps) {
      auto xx = toFloats(xs[size_t(s)][i]);
      r.frames.insert(r.frames.end(), xx.begin(), xx.end());
    }
  }
}

}  // namespace latentlab::detail
