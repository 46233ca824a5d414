// Diverse counterfactuals (DiCE, Mothilal, Sharma and Tan 2020) in the classifier's latent: K
// latents per point optimised together on
//   J = (1/K) sum_i [U(z_i) + lambda * d(z_i, z0)] - diversity * (1/K) log det(Kmat),
//   Kmat[i][j] = 1 / (1 + d(z_i, z_j)) (+ 1e-4 on the diagonal, as DiCE),
// from K starts z0 + noise. DiCE maximises det(Kmat) itself; its log (in double precision) is used
// here because det's gradient vanishes as det does: from K = 5 up, starts a tenth of a standard
// deviation apart have det ~ 1e-6 and less, and the term did nothing (measured; log det's gradient,
// Kmat^-1, is largest there). Divided by K it is the log of the geometric mean of Kmat's
// eigenvalues, so that one weight means the same for every K. Each row's loss is its own term minus
// the whole diversity term, so the rows' sum is K * J and Adam follows J. The K noise directions are
// drawn from the seed once and used for every point, so that a point gets the same K whatever the
// batch, shard or order it comes in. The diversity measures of the result (clue.h,
// DiversityMeasure) are measured here too.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "clue/clue_internal.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace detail {

namespace {

// Pairwise d(z_i, z_j) within each group: z [N, K, d] -> [N, K, K], the run's distance / d.
torch::Tensor pairwise(ClueDistance kind, const torch::Tensor& z) {
  return latentDistance(kind, z.unsqueeze(2), z.unsqueeze(1));
}

// Kmat of each group, in double precision: [N, K, K].
torch::Tensor kernel(ClueDistance kind, const torch::Tensor& z) {
  const int64_t k = z.size(1);
  const torch::Tensor zd = z.to(torch::kFloat64);
  return (pairwise(kind, zd) + 1.0).reciprocal() + 1e-4 * torch::eye(k, zd.options());
}

// DiCE's determinant diversity of each group: [N].
torch::Tensor dppDiversity(ClueDistance kind, const torch::Tensor& z) { return torch::det(kernel(kind, z)); }

// The term the run maximises: (1/K) log det(Kmat) of each group, [N] (float, z's dtype).
torch::Tensor logDiversity(ClueDistance kind, const torch::Tensor& z) {
  return (torch::logdet(kernel(kind, z)) / double(z.size(1))).to(z.scalar_type());
}

}  // namespace

void diverseLatentClue(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0, const torch::Tensor& x0,
                       std::vector<ClueResult>& out, const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  const int64_t k = o.diverse, nk = z0.size(0), d = z0.size(1), n = nk / k;
  if (k < 2 || n * k != nk) throw InputError("[clue] diverse needs K >= 2 latents per point");
  const bool decodedTerm = o.lambdaXOrDefault() > 0;
  if (decodedTerm && (!ctx.bundle || !ctx.bundle->decoder))
    throw BundleError("[clue] lambda_x needs a decoder, and the bundle has none");
  const int target = o.method == ClueMethod::ClassChange ? o.target : -1;
  const double lambdaX = o.lambdaXOrDefault(), weight = o.diversity;
  torch::Tensor z0d = z0.to(ctx.device, torch::kFloat32);
  if (std::isfinite(ctx.zLower)) z0d = z0d.clamp_min(ctx.zLower);
  const torch::Tensor x0d = decodedTerm ? x0.to(ctx.device, torch::kFloat32) : torch::Tensor();
  // The starts: K directions drawn on the CPU from the seed, the same for every point (scaled by the
  // point's own spread), so that every device, batch, shard and order starts alike.
  torch::Tensor noise;
  torch::Tensor keep;  // keep_class: the class at z0
  {
    torch::NoGradGuard ng;
    const torch::Tensor zc = z0d.to(torch::kCPU).contiguous();
    // The spread of the point's values (d = 1 or all values equal: their size, at least 1e-3).
    torch::Tensor spread = zc.std(1, /*unbiased=*/false, /*keepdim=*/true);
    spread = torch::where(spread > 1e-6, spread, zc.abs().mean(1, /*keepdim=*/true) + 1e-3);
    const torch::Tensor scale = spread * o.diverseInit;
    torch::Generator gen = at::detail::createCPUGenerator(o.seed);
    const torch::Tensor draw = torch::randn({k, d}, gen, torch::kFloat32).repeat({n, 1});  // the same K directions
    noise = (draw * scale).to(ctx.device);
    if (o.keepClass) {
      // A start whose noise alone changes the class comes nearer z0 (halved up to 20 times, then z0
      // itself): keep_class keeps the class at z0, and the run starts inside it.
      keep = ctx.head.predict(z0d).probs.argmax(1);
      for (int halvings = 0; halvings <= 20; ++halvings) {
        torch::Tensor start = z0d + noise;
        if (std::isfinite(ctx.zLower)) start = start.clamp_min(ctx.zLower);
        const torch::Tensor off = ctx.head.predict(start).probs.argmax(1) != keep;
        if (!off.any().item<bool>()) break;
        noise = torch::where(off.unsqueeze(1), halvings == 20 ? torch::zeros_like(noise) : noise * 0.5, noise);
      }
    }
  }
  detail::ClueProblem pb;
  pb.theta0 = z0d + noise;
  pb.lr = o.lrOrDefault();
  pb.group = int(k);
  if (keep.defined()) pb.keepClasses = keep;
  const double lower = ctx.zLower;
  if (std::isfinite(lower)) pb.project = [lower](const torch::Tensor& z) { return z.clamp_min(lower); };
  auto objective = [&](const torch::Tensor& z, torch::Tensor& u, Predictive& p) {
    p = ctx.head.predict(z);
    u = uncertaintyOf(p, o.uncertainty, target);
    torch::Tensor loss = u + o.lambda * detail::latentDistance(o.distance, z, z0d);
    if (lambdaX > 0) loss = loss + lambdaX * (ctx.bundle->decode(z) - x0d).abs().flatten(1).mean(1);
    if (weight > 0) loss = loss - weight * logDiversity(o.distance, z.view({n, k, d})).repeat_interleave(k);
    return loss;
  };
  pb.eval = [&](const torch::Tensor& theta, bool wantGrad) {
    torch::Tensor z = theta.detach().requires_grad_(wantGrad);
    torch::AutoGradMode on(wantGrad);
    torch::Tensor u;
    Predictive p;
    const torch::Tensor loss = objective(z, u, p);
    return detail::makeEval(loss, u, p, z, z, wantGrad);
  };
  detail::adamTensorRun(pb, o, target >= 0, out, cancel, onStep, nullptr);
  // Each path starts at z0 itself, then the noisy start: the map and the filmstrip begin at the point.
  // (The objective at z0, whose K rows are equal, has no finite diversity term: that step's loss is
  // U + lambda_x term alone.)
  torch::NoGradGuard ng;
  Predictive p0 = ctx.head.predict(z0d);
  const torch::Tensor u0 = uncertaintyOf(p0, o.uncertainty, target);
  torch::Tensor l0 = u0.clone();
  if (lambdaX > 0) l0 = l0 + lambdaX * (ctx.bundle->decode(z0d) - x0d).abs().flatten(1).mean(1);
  const torch::Tensor loss0 = l0.cpu(), uc = u0.cpu(), zc = z0d.cpu().contiguous();
  for (int64_t i = 0; i < nk; ++i) {
    ClueResult& r = out[size_t(i)];
    const float* zi = zc.data_ptr<float>() + i * d;
    r.path.insert(r.path.begin(), zi, zi + d);
    const float ui = uc[i].item<float>();
    r.pathU.insert(r.pathU.begin(), target >= 0 ? std::exp(-ui) : ui);
    r.pathLoss.insert(r.pathLoss.begin(), loss0[i].item<float>());  // (steps counts the optimiser's only)
  }
}

}  // namespace detail

void measureDiversity(std::vector<ClueResult>& out, int k, ClueDistance distance) {
  if (k < 2) return;
  for (size_t g = 0; g + size_t(k) <= out.size(); g += size_t(k)) {
    DiversityMeasure m;
    m.k = k;
    const ClueResult& first = out[g];
    const size_t d = first.zStar.size(), P = first.xStar.size();
    std::vector<float> zs;
    std::set<int> classes;
    for (int i = 0; i < k; ++i) {
      const ClueResult& r = out[g + size_t(i)];
      zs.insert(zs.end(), r.zStar.begin(), r.zStar.end());
      classes.insert(r.classRoundtrip);
    }
    m.classes = int(classes.size());
    double lz = 0, lx = 0, cnt = 0;
    int pairs = 0;
    for (int i = 0; i < k; ++i)
      for (int j = i + 1; j < k; ++j) {
        const ClueResult &a = out[g + size_t(i)], &b = out[g + size_t(j)];
        double sz = 0, sx = 0;
        int64_t changed = 0;
        for (size_t t = 0; t < d && t < b.zStar.size(); ++t) sz += std::abs(double(a.zStar[t]) - double(b.zStar[t]));
        for (size_t t = 0; t < P && t < b.xStar.size(); ++t) {
          const double v = std::abs(double(a.xStar[t]) - double(b.xStar[t]));
          sx += v;
          changed += v > 0.05 ? 1 : 0;
        }
        lz += d > 0 ? sz / double(d) : 0;
        lx += P > 0 ? sx / double(P) : 0;
        cnt += P > 0 ? double(changed) / double(P) : 0;
        ++pairs;
      }
    m.latent = lz / pairs;
    m.image = lx / pairs;
    m.count = cnt / pairs;
    {
      torch::NoGradGuard ng;
      const torch::Tensor z = torch::from_blob(zs.data(), {1, k, int64_t(d)}, torch::kFloat32);
      m.dpp = detail::dppDiversity(distance, z)[0].item<double>();
    }
    m.computed = true;
    for (int i = 0; i < k; ++i) out[g + size_t(i)].diversity = m;
  }
}

}  // namespace latentlab
