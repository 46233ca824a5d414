#include "latentlab/model/train_torch.h"

#include <torch/torch.h>

#include <chrono>
#include <optional>

#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "model/train_loop.h"

namespace latentlab {

using detail::runEpochs;

double trainClassifier(torch::jit::Module& m, const Dataset& train, const FitOptions& opt) {
  const torch::Tensor& x = train.images;
  const torch::Tensor& y = train.labels;
  auto forward = m.get_method("forward");
  return runEpochs(m, train.size(), opt, [&](const torch::Tensor& idx) {
    torch::Tensor xb = x.index_select(0, idx).to(opt.device), yb = y.index_select(0, idx).to(opt.device);
    return torch::nn::functional::cross_entropy(forward({xb}).toTensor(), yb);
  });
}

double trainDecoder(torch::jit::Module& dec, const torch::Tensor& z, const torch::Tensor& x, const FitOptions& opt,
                    const DecoderLoss& terms) {
  auto logits = dec.get_method("decode_logits");
  std::optional<torch::jit::Method> encode, classify;
  const bool latent = terms.encoder && terms.latentWeight > 0,
             consistent = terms.encoder && terms.consistencyWeight > 0;
  detail::FrozenParams frozen(latent || consistent ? terms.encoder : nullptr);  // gradients reach g only
  if (latent || consistent) {
    encode = terms.encoder->get_method("encode");
    if (consistent) classify = terms.encoder->get_method("classify");
  }
  const torch::Tensor zStd = z.std(0).to(opt.device);
  auto gen = at::detail::createCPUGenerator(opt.seed + 17);
  // The latent and consistency terms at latents zs [B, d] whose images are g(zs) with logits lg,
  // summed over the batch.
  auto termsAt = [&](const torch::Tensor& zs, const torch::Tensor& lg) {
    torch::Tensor zr = (*encode)({torch::sigmoid(lg)}).toTensor();
    torch::Tensor loss = torch::zeros({}, lg.options());
    if (latent) loss = loss + terms.latentWeight * zr.sub(zs).pow(2).sum();
    if (consistent) {
      torch::Tensor logP;
      {
        torch::NoGradGuard ng;
        logP = torch::log_softmax((*classify)({zs}).toTensor(), 1);
      }
      torch::Tensor logQ = torch::log_softmax((*classify)({zr}).toTensor(), 1);
      loss = loss + terms.consistencyWeight * (logP.exp() * (logP - logQ)).sum();
    }
    return loss;
  };
  double result = runEpochs(dec, z.size(0), opt, [&](const torch::Tensor& idx) {
    torch::Tensor zb = z.index_select(0, idx).to(opt.device), xb = x.index_select(0, idx).to(opt.device);
    torch::Tensor lg = logits({zb}).toTensor();
    // Sum over pixels, mean over the batch: the per-image Bernoulli log-likelihood.
    torch::Tensor loss = torch::binary_cross_entropy_with_logits(lg, xb, {}, {}, at::Reduction::Sum);
    if (encode) {
      loss = loss + termsAt(zb, lg);
      if (terms.offManifold) {
        const int64_t B = zb.size(0), h = B / 2;
        torch::Tensor noise = torch::randn({h, zb.size(1)}, gen, torch::kFloat32).to(opt.device);
        torch::Tensor lam = torch::rand({B - h, 1}, gen, torch::kFloat32).to(opt.device);
        torch::Tensor perm = torch::randperm(B, gen, torch::TensorOptions().dtype(torch::kInt64)).slice(0, B - h);
        torch::Tensor other = zb.index_select(0, perm.to(opt.device));
        torch::Tensor zo =
            torch::cat({zb.slice(0, 0, h) + 0.5 * zStd * noise, lam * zb.slice(0, h) + (1 - lam) * other});
        loss = loss + termsAt(zo, logits({zo}).toTensor());
      }
    }
    loss = loss / double(idx.size(0));
    return terms.regulariser ? loss + terms.regulariser(idx) : loss;
  });
  return result;
}

double trainVae(torch::jit::Module& vae, const torch::Tensor& x, const FitOptions& opt) {
  auto encode = vae.get_method("encode");
  auto logits = vae.get_method("decode_logits");
  auto gen = at::detail::createCPUGenerator(opt.seed + 1);
  return runEpochs(vae, x.size(0), opt, [&](const torch::Tensor& idx) {
    torch::Tensor xb = x.index_select(0, idx).to(opt.device);
    auto out = encode({xb}).toTuple();
    torch::Tensor mu = out->elements()[0].toTensor(), logvar = out->elements()[1].toTensor();
    torch::Tensor eps = torch::randn(mu.sizes(), gen, torch::kFloat32).to(opt.device);
    torch::Tensor u = mu + eps * torch::exp(0.5 * logvar);
    torch::Tensor rec = torch::binary_cross_entropy_with_logits(logits({u}).toTensor(), xb, {}, {}, at::Reduction::Sum);
    torch::Tensor kl = -0.5 * torch::sum(1 + logvar - mu.pow(2) - logvar.exp());
    return (rec + kl) / double(idx.size(0));
  });
}

}  // namespace latentlab
