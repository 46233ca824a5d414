// The original CLUE (Antorán et al.), the baseline latent CLUE is measured against: Adam on the
// VAE's latent u with L(u) = U(f(dec(u))) + lambda_x * |dec(u) - x0|_1 / P, a full decode and a full
// classifier pass per step, starting at the VAE's mean encoding of x0.
#include "clue/clue_internal.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab::detail {

void vaeClue(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& x0, std::vector<ClueResult>& out,
             const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  const Bundle& b = *ctx.bundle;
  if (!b.vae) throw BundleError("[clue] vae-clue needs the bundle's VAE, and it has none (" + b.dir + ")");
  const int target = o.method == ClueMethod::ClassChange ? o.target : -1;
  const double lambdaX = o.lambdaXOrDefault();
  const torch::Tensor x0d = x0.to(ctx.device, torch::kFloat32);
  torch::Tensor u0;
  {
    torch::NoGradGuard ng;
    u0 = b.vae->get_method("encode")({x0d}).toTuple()->elements()[0].toTensor().detach();
  }
  ClueProblem pb;
  pb.theta0 = u0;
  pb.lr = o.lrOrDefault();
  torch::jit::Module vae = *b.vae;
  pb.eval = [&](const torch::Tensor& theta, bool wantGrad) {
    torch::Tensor u = theta.detach().requires_grad_(wantGrad);
    torch::AutoGradMode on(wantGrad);
    torch::Tensor x = callTensor(vae, "decode", u);
    torch::Tensor z = b.encode(x);
    Predictive p = ctx.head.predict(z);
    torch::Tensor unc = uncertaintyOf(p, o.uncertainty, target);
    torch::Tensor loss = unc + lambdaX * (x - x0d).abs().flatten(1).mean(1);
    return makeEval(loss, unc, p, z, u, wantGrad);
  };
  std::vector<torch::Tensor> thetas;
  adamTensorRun(pb, o, target >= 0, out, cancel, onStep, &thetas);
  torch::NoGradGuard ng;
  for (size_t i = 0; i < out.size(); ++i) {
    ClueResult& r = out[i];
    r.frameSteps = frameSteps(r.steps, o.frames);
    std::vector<torch::Tensor> us;
    for (int s : r.frameSteps) us.push_back(thetas[size_t(s)][int64_t(i)]);
    us.push_back(thetas[size_t(r.steps)][int64_t(i)]);
    torch::Tensor imgs = callTensor(vae, "decode", torch::stack(us).to(ctx.device)).cpu();
    const int64_t f = int64_t(r.frameSteps.size());
    r.frames = toFloats(imgs.slice(0, 0, f));
    r.xStar = toFloats(imgs[f]);
  }
}

}  // namespace latentlab::detail
