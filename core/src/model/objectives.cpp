// The per-example losses of the training objectives (objectives_torch.h), and TracIn's view of them.
#include "latentlab/model/objectives_torch.h"

#include <torch/torch.h>

#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace F = torch::nn::functional;

void checkObjective(const std::string& o, const std::string& where) {
  if (o != "classifier" && o != "autoencoder" && o != "denoising-autoencoder" && o != "vae")
    throw InputError("[" + where +
                     "] --objective must be classifier, autoencoder, denoising-autoencoder or vae, got '" +
                     clipForMessage(o, 40) + "'");
}

namespace {

torch::Tensor noiseLike(const torch::Tensor& x, torch::Generator* gen) {
  if (!gen) throw InputError("[objective] this objective draws noise and needs a generator");
  return torch::randn(x.sizes(), *gen, torch::TensorOptions().dtype(torch::kFloat)).to(x.device(), x.scalar_type());
}

torch::Tensor reconstruction(const torch::Tensor& logits, const torch::Tensor& x) {
  return F::binary_cross_entropy_with_logits(logits, x,
                                             F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
      .flatten(1)
      .sum(1);
}

}  // namespace

torch::Tensor objectiveLossPerExample(const torch::jit::Module& m, const std::string& objective, const torch::Tensor& x,
                                      const torch::Tensor& y, torch::Generator* gen) {
  if (objective == "classifier")
    return F::cross_entropy(callTensor(m, "forward", x), y, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  if (objective == "autoencoder") return reconstruction(callTensor(m, "decode_logits", callTensor(m, "encode", x)), x);
  if (objective == "denoising-autoencoder") {
    const torch::Tensor noisy = x + kDenoisingSigma * noiseLike(x, gen);
    return reconstruction(callTensor(m, "decode_logits", callTensor(m, "encode", noisy)), x);
  }
  if (objective == "vae") {
    auto out = const_cast<torch::jit::Module&>(m).get_method("encode_stats")({x}).toTuple()->elements();
    const torch::Tensor mu = out.at(0).toTensor(), logvar = out.at(1).toTensor().clamp(-20, 20);
    const torch::Tensor z = mu + torch::exp(0.5 * logvar) * noiseLike(mu, gen);
    const torch::Tensor kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1);
    return reconstruction(callTensor(m, "decode_logits", z), x) + kl;
  }
  checkObjective(objective, "objective");
  return {};
}

ExampleLossFn classifierLoss() { return objectiveLoss("classifier"); }

ExampleLossFn objectiveLoss(const std::string& objective, uint64_t noiseSeed) {
  checkObjective(objective, "tracin");
  return [objective, noiseSeed](const torch::jit::Module& m, const torch::Tensor& x, const torch::Tensor& y) {
    torch::Generator gen = at::detail::createCPUGenerator(noiseSeed);
    return objectiveLossPerExample(m, objective, x, y, &gen);
  };
}

}  // namespace latentlab
