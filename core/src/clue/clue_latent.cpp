// Latent CLUE and class change over the penultimate latent (the thesis proposal, 2024): Adam on
//   L(z) = U(z) + lambda * d(z, z0) [+ lambda_x * |g(z) - x0|_1 / P],
// with U through one fixed bank of weight samples, z clamped to the encoder's range, an early stop
// when L stalls, and an optional class-keeping rule. Two engines compute the same run:
//  - cpu: analytic gradients of the bank's predictive in plain loops, one point per task;
//  - tensor: autograd on the context's device, all points at once (any head, the decoded term).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "clue/clue_internal.h"
#include "latentlab/clue/clue_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace {

// d(z, z0) / d and its gradient.
float distance(ClueDistance kind, const float* z, const float* z0, int d, float* grad, float scale) {
  double sum = 0;
  for (int i = 0; i < d; ++i) {
    const float dz = z[i] - z0[i];
    if (kind == ClueDistance::L1) {
      const float r = std::sqrt(dz * dz + detail::kSmoothEps * detail::kSmoothEps);
      sum += r - detail::kSmoothEps;
      grad[i] += scale * dz / r / float(d);
    } else {
      sum += dz * dz;
      grad[i] += scale * 2.0f * dz / float(d);
    }
  }
  return float(sum / d);
}

int argmax(const float* p, int k) { return int(std::max_element(p, p + k) - p); }

// One point on the cpu engine.
void runCpuPoint(const float* bank, int S, int K, int d, const float* z0In, float lower, const ClueOptions& o,
                 ClueResult& r, const ClueStepFn* onStep, const std::atomic<bool>* cancel) {
  const int target = o.method == ClueMethod::ClassChange ? o.target : -1;
  std::vector<float> z0(z0In, z0In + d), z(z0), zNew(d), grad(d), gradNew(d), m(d, 0), v(d, 0), pbar(K),
      work(size_t(2 * S * K + K)), mOld(d), vOld(d);
  if (std::isfinite(lower))
    for (float& x : z) x = std::max(x, lower);
  auto eval = [&](const std::vector<float>& at, std::vector<float>& g, float& u) {
    std::fill(g.begin(), g.end(), 0.0f);
    u = bankObjective(bank, S, K, d, at.data(), o.uncertainty, target, g.data(), pbar.data(), work.data());
    return u + float(o.lambda) * distance(o.distance, at.data(), z0.data(), d, g.data(), float(o.lambda));
  };
  float u = 0, uNew = 0;
  float loss = eval(z, grad, u);
  const int c0 = argmax(pbar.data(), K);
  r.path.assign(z.begin(), z.end());
  r.pathU.assign(1, target >= 0 ? std::exp(-u) : u);
  r.pathLoss.assign(1, loss);
  detail::Stall stall;
  stall.update(loss, o);
  double lr = o.lrOrDefault();
  int t = 0;
  for (t = 1; t <= o.steps; ++t) {
    if (cancel && cancel->load()) break;
    const double bc1 = 1 - std::pow(detail::kAdamB1, t), bc2 = 1 - std::pow(detail::kAdamB2, t);
    mOld = m;  // copies into buffers of the same size: no allocation per step
    vOld = v;
    for (int i = 0; i < d; ++i) {
      m[i] = float(detail::kAdamB1 * m[i] + (1 - detail::kAdamB1) * grad[i]);
      v[i] = float(detail::kAdamB2 * v[i] + (1 - detail::kAdamB2) * double(grad[i]) * grad[i]);
      zNew[i] = float(z[i] - lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + detail::kAdamEps));
      if (std::isfinite(lower)) zNew[i] = std::max(zNew[i], lower);
    }
    const float lossNew = eval(zNew, gradNew, uNew);
    if (o.keepClass && argmax(pbar.data(), K) != c0) {
      m = mOld;  // undo the step and try again with half the step size
      v = vOld;
      lr *= 0.5;
    } else {
      z.swap(zNew);
      grad.swap(gradNew);
      u = uNew;
      loss = lossNew;
    }
    r.path.insert(r.path.end(), z.begin(), z.end());
    r.pathU.push_back(target >= 0 ? std::exp(-u) : u);
    r.pathLoss.push_back(loss);
    if (onStep && *onStep && !(*onStep)(t, z, r.pathU.back())) break;
    if (stall.update(loss, o)) {
      r.stoppedEarly = true;
      break;
    }
  }
  r.steps = std::min(t, o.steps);
  r.zStar = z;
  detail::keepBest(r, d);
}

void runCpuEngine(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0, std::vector<ClueResult>& out,
                  const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  const torch::Tensor bankT = ctx.head.linearBank().to(torch::kCPU, torch::kFloat32).contiguous();
  const int S = int(bankT.size(0)), K = int(bankT.size(1)), d = int(bankT.size(2) - 1);
  const torch::Tensor zc = z0.to(torch::kCPU, torch::kFloat32).contiguous();
  const float* bank = bankT.data_ptr<float>();
  const float* zp = zc.data_ptr<float>();
  const int64_t n = zc.size(0);
  if (n == 1) {
    runCpuPoint(bank, S, K, d, zp, float(ctx.zLower), o, out[0], &onStep, cancel);
    return;
  }
  at::parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      runCpuPoint(bank, S, K, d, zp + i * d, float(ctx.zLower), o, out[size_t(i)], i == 0 ? &onStep : nullptr, cancel);
  });
}

}  // namespace

float bankObjective(const float* bank, int S, int K, int d, const float* z, UncertaintyKind kind, int target,
                    float* grad, float* pbar, float* work) {
  float* p = work;              // [S*K] softmax of each sample
  float* logp = work + S * K;   // [S*K] log-softmax
  float* a = work + 2 * S * K;  // [K] -log p-bar
  const int d1 = d + 1;
  std::fill(pbar, pbar + K, 0.0f);
  for (int s = 0; s < S; ++s) {
    float mx = -INFINITY;
    for (int j = 0; j < K; ++j) {
      const float* w = bank + size_t(s * K + j) * size_t(d1);
      float l = w[d];
      for (int i = 0; i < d; ++i) l += w[i] * z[i];
      logp[s * K + j] = l;
      mx = std::max(mx, l);
    }
    double sum = 0;
    for (int j = 0; j < K; ++j) sum += std::exp(double(logp[s * K + j] - mx));
    const float lse = mx + float(std::log(sum));
    for (int j = 0; j < K; ++j) {
      logp[s * K + j] -= lse;
      p[s * K + j] = std::exp(logp[s * K + j]);
      pbar[j] += p[s * K + j] / float(S);
    }
  }
  // Coefficients G[s, j] = dU / dlogit[s, j], written over logp (each row is read before it is written).
  double total = 0, alea = 0;
  for (int j = 0; j < K; ++j) {
    const double pj = std::max(double(pbar[j]), 1e-30);
    a[j] = float(-std::log(pj));
    total += pbar[j] * a[j];
  }
  float value = 0;
  for (int s = 0; s < S; ++s) {
    float* ps = p + s * K;
    float* g = logp + s * K;
    double hs = 0, pa = 0;
    for (int j = 0; j < K; ++j) {
      hs -= ps[j] * g[j];
      pa += ps[j] * a[j];
    }
    alea += hs / S;
    for (int j = 0; j < K; ++j) {
      const float gt = ps[j] * (a[j] - float(pa)) / float(S);   // d total
      const float ga = -ps[j] * (g[j] + float(hs)) / float(S);  // d aleatoric
      float c = 0;
      if (target >= 0) {
        c = -ps[target] * ((j == target ? 1.0f : 0.0f) - ps[j]) / (float(S) * std::max(pbar[target], 1e-30f));
      } else if (kind == UncertaintyKind::Total) {
        c = gt;
      } else if (kind == UncertaintyKind::Aleatoric) {
        c = ga;
      } else {
        c = gt - ga;
      }
      g[j] = c;
    }
  }
  // One deterministic map has no epistemic term: exactly 0 with no gradient (rounding would leave a
  // tiny one, which Adam's normalised steps would turn into full-size moves).
  if (S == 1 && target < 0 && kind == UncertaintyKind::Epistemic) return 0.0f;
  if (target >= 0)
    value = float(-std::log(std::max(double(pbar[target]), 1e-30)));
  else if (kind == UncertaintyKind::Total)
    value = float(total);
  else if (kind == UncertaintyKind::Aleatoric)
    value = float(alea);
  else
    value = float(total - alea);
  for (int r = 0; r < S * K; ++r) {
    const float c = logp[r];
    const float* w = bank + size_t(r) * size_t(d1);
    for (int i = 0; i < d; ++i) grad[i] += c * w[i];
  }
  return value;
}

torch::Tensor uncertaintyOf(const Predictive& p, UncertaintyKind kind, int target) {
  if (target >= 0) return -torch::log(p.probs.select(1, target).clamp_min(1e-30));
  switch (kind) {
    case UncertaintyKind::Total:
      return p.total;
    case UncertaintyKind::Aleatoric:
      return p.aleatoric;
    case UncertaintyKind::Epistemic:
      return p.epistemic;
  }
  return p.total;
}

void latentClue(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0, const torch::Tensor& x0,
                std::vector<ClueResult>& out, const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  const bool bank = ctx.head.linearBank().defined();
  const bool decodedTerm = o.lambdaXOrDefault() > 0;
  if (decodedTerm && (!ctx.bundle || !ctx.bundle->decoder))
    throw BundleError("[clue] lambda_x needs a decoder, and the bundle has none");
  if (o.engine == "cpu" && (!bank || decodedTerm))
    throw InputError(std::string("[clue] engine=cpu needs a linear head without lambda_x (") +
                     (bank ? "lambda_x is set" : "this head is not linear") + "); use engine=tensor or auto");
  const bool cpu = o.engine == "cpu" || (o.engine == "auto" && bank && !decodedTerm && ctx.device.is_cpu());
  if (cpu) {
    runCpuEngine(ctx, o, z0, out, cancel, onStep);
    checkCancel(cancel, "clue");
    return;
  }
  const int target = o.method == ClueMethod::ClassChange ? o.target : -1;
  const double lambdaX = o.lambdaXOrDefault();
  torch::Tensor z0d = z0.to(ctx.device, torch::kFloat32);
  if (std::isfinite(ctx.zLower)) z0d = z0d.clamp_min(ctx.zLower);
  const torch::Tensor x0d = decodedTerm ? x0.to(ctx.device, torch::kFloat32) : torch::Tensor();
  detail::ClueProblem pb;
  pb.theta0 = z0d;
  pb.lr = o.lrOrDefault();
  const double lower = ctx.zLower;
  if (std::isfinite(lower)) pb.project = [lower](const torch::Tensor& z) { return z.clamp_min(lower); };
  pb.eval = [&](const torch::Tensor& theta, bool wantGrad) {
    torch::Tensor z = theta.detach().requires_grad_(wantGrad);
    torch::AutoGradMode on(wantGrad);
    Predictive p = ctx.head.predict(z);
    torch::Tensor u = uncertaintyOf(p, o.uncertainty, target);
    torch::Tensor loss = u + o.lambda * detail::latentDistance(o.distance, z, z0d);
    if (lambdaX > 0) loss = loss + lambdaX * (ctx.bundle->decode(z) - x0d).abs().flatten(1).mean(1);
    return detail::makeEval(loss, u, p, z, z, wantGrad);
  };
  detail::adamTensorRun(pb, o, target >= 0, out, cancel, onStep, nullptr);
}

}  // namespace latentlab
