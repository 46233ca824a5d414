// The DVAE over z (Gat et al. 2022): the network, its training with relaxed-Bernoulli bits, and the dry
// run that validates a DVAE file. Table 1 is in dvae_table.cpp.
#include "latentlab/concepts/concepts_torch.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "model/model_init.h"
#include "model/train_loop.h"

namespace latentlab {

using detail::addParam;
using detail::uniformInit;

torch::jit::Module makeDvae(const torch::Tensor& zTrain, const DvaeOptions& o, uint64_t seed) {
  if (zTrain.dim() != 2 || zTrain.size(0) < 2) throw InputError("[dvae] needs at least two training latents [N, d]");
  if (o.bits < 1 || o.bits > 64) throw InputError("[dvae] --bits " + std::to_string(o.bits) + " is outside 1..64");
  auto gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor z = zTrain.to(torch::kCPU, torch::kFloat32);
  const int64_t d = z.size(1), n = o.bits, h = o.hidden;
  torch::jit::Module m("LatentLabDvae");
  // Input scaling and output range; a coordinate that never varies gets scale 1 and range [v, v + 1e-6].
  torch::Tensor mean = z.mean(0), stdv = z.std(0).clamp_min(1e-6);
  torch::Tensor lo = std::get<0>(z.min(0)), hi = std::get<0>(z.max(0));
  hi = torch::max(hi, lo + 1e-6);
  m.register_buffer("zmean", mean.reshape({1, d}).contiguous());
  m.register_buffer("zstd", stdv.reshape({1, d}).contiguous());
  m.register_buffer("zlo", lo.reshape({1, d}).contiguous());
  m.register_buffer("zhi", hi.reshape({1, d}).contiguous());
  addParam(m, "e1w", uniformInit({h, d}, d, gen));
  addParam(m, "e1b", uniformInit({h}, d, gen));
  addParam(m, "e2w", uniformInit({h, h}, h, gen));
  addParam(m, "e2b", uniformInit({h}, h, gen));
  addParam(m, "e3w", uniformInit({n, h}, h, gen));
  addParam(m, "e3b", uniformInit({n}, h, gen));
  addParam(m, "d1w", uniformInit({h, n}, n, gen));
  addParam(m, "d1b", uniformInit({h}, n, gen));
  addParam(m, "d2w", uniformInit({h, h}, h, gen));
  addParam(m, "d2b", uniformInit({h}, h, gen));
  addParam(m, "d3w", uniformInit({d, h}, h, gen));
  addParam(m, "d3b", uniformInit({d}, h, gen));
  m.define(R"(
def logits(self, z):
    h = (z - self.zmean) / self.zstd
    h = torch.relu(torch.linear(h, self.e1w, self.e1b))
    h = torch.relu(torch.linear(h, self.e2w, self.e2b))
    return torch.linear(h, self.e3w, self.e3b)

def bits(self, z):
    return (self.logits(z) > 0).float()

def decode(self, b):
    h = torch.relu(torch.linear(b, self.d1w, self.d1b))
    h = torch.relu(torch.linear(h, self.d2w, self.d2b))
    return self.zlo + (self.zhi - self.zlo) * torch.sigmoid(torch.linear(h, self.d3w, self.d3b))

def forward(self, z):
    return self.decode(self.bits(z))
)");
  return m;
}

double trainDvae(torch::jit::Module& dvae, const torch::Tensor& zTrain, const DvaeOptions& o, const FitOptions& fit) {
  auto logitsOf = dvae.get_method("logits");
  auto decode = dvae.get_method("decode");
  auto gen = at::detail::createCPUGenerator(fit.seed + 3);
  const int64_t n = zTrain.size(0);
  const int64_t steps = std::max<int64_t>(1, fit.epochs * ((n + fit.batchSize - 1) / fit.batchSize));
  torch::Tensor zstd = dvae.attr("zstd").toTensor().to(fit.device);
  int64_t step = 0;
  const double log2 = std::log(2.0);
  std::optional<torch::jit::Method> classify;
  const bool consistent = o.classifier && o.consistency > 0;
  detail::FrozenParams frozen(consistent ? o.classifier : nullptr);  // gradients reach the DVAE only
  if (consistent) classify = o.classifier->get_method("classify");
  // KL(f(z) || f(z')) averaged over the batch, the latents' side held fixed; 0 without a classifier.
  auto consistency = [&](const torch::Tensor& zb, const torch::Tensor& rec) -> torch::Tensor {
    if (!classify) return torch::zeros({}, rec.options());
    torch::Tensor logP;
    {
      torch::NoGradGuard ng;
      logP = torch::log_softmax((*classify)({zb}).toTensor(), 1);
    }
    torch::Tensor logQ = torch::log_softmax((*classify)({rec}).toTensor(), 1);
    return o.consistency * (logP.exp() * (logP - logQ)).sum(1).mean();
  };
  double loss = detail::runEpochs(dvae, n, fit, [&](const torch::Tensor& idx) {
    // Linear annealing over the optimisation steps: tauStart at the first, tauEnd at the last.
    const double tau = o.tauStart + (o.tauEnd - o.tauStart) * double(std::min(step, steps - 1)) /
                                        double(std::max<int64_t>(1, steps - 1));
    ++step;
    torch::Tensor zb = zTrain.index_select(0, idx).to(fit.device);
    torch::Tensor lg = logitsOf({zb}).toTensor();
    // Binary Concrete: b = sigmoid((l + log u - log(1 - u)) / tau), u ~ U(0, 1).
    torch::Tensor u = torch::rand(lg.sizes(), gen, torch::kFloat32).clamp_(1e-6, 1 - 1e-6).to(fit.device);
    torch::Tensor b = torch::sigmoid((lg + torch::log(u) - torch::log1p(-u)) / tau);
    torch::Tensor rec = decode({b}).toTensor();
    torch::Tensor mse = ((rec - zb) / zstd).pow(2).mean();
    // KL(q || Bernoulli(1/2)) = sum_i q log q + (1 - q) log(1 - q) + log 2, written with the logits.
    torch::Tensor q = torch::sigmoid(lg);
    torch::Tensor kl = (q * torch::log_sigmoid(lg) + (1 - q) * torch::log_sigmoid(-lg) + log2).sum(1).mean();
    return mse + o.beta * kl + consistency(zb, rec);
  });
  if (o.hardEpochs <= 0) return loss;
  // The decoder meets hard bits at inference; relaxed bits at tau = 0.5 are not quite 0 and 1.
  // Fit it a little longer on the hard codes of the (now fixed) encoder, so that phi' is the best
  // decode of the code the explorer flips.
  torch::Tensor codes;
  {
    torch::NoGradGuard ng;
    codes = mapBatched(dvae, "bits", zTrain, fit.device, 8192);
  }
  std::vector<torch::Tensor> encoderParams;
  for (const auto& p : dvae.named_parameters(false))
    if (p.name[0] == 'e') encoderParams.push_back(p.value);
  for (auto& p : encoderParams) p.set_requires_grad(false);
  FitOptions hard = fit;
  hard.stage = "dvae";
  hard.epochs = o.hardEpochs;
  hard.seed = fit.seed + 1;
  loss = detail::runEpochs(dvae, n, hard, [&](const torch::Tensor& idx) {
    torch::Tensor zb = zTrain.index_select(0, idx).to(fit.device);
    torch::Tensor rec = decode({codes.index_select(0, idx).to(fit.device)}).toTensor();
    return ((rec - zb) / zstd).pow(2).mean() + consistency(zb, rec);
  });
  for (auto& p : encoderParams) p.set_requires_grad(true);
  return loss;
}

torch::jit::Module fitDvae(const torch::Tensor& zTrain, const DvaeOptions& o, const FitOptions& fit,
                           nlohmann::json& record) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::jit::Module dvae = makeDvae(zTrain, o, fit.seed);
  const double loss = trainDvae(dvae, zTrain, o, fit);
  record = {{"bits", o.bits},
            {"hidden", o.hidden},
            {"epochs", fit.epochs},
            {"beta", o.beta},
            {"hard_epochs", o.hardEpochs},
            {"batch_size", fit.batchSize},
            {"seed", fit.seed},
            {"n_train", zTrain.size(0)},
            {"final_loss", loss},
            {"tau", "linear over the steps from " + std::to_string(o.tauStart).substr(0, 4) + " to " +
                        std::to_string(o.tauEnd).substr(0, 4)},
            {"consistency", o.classifier ? o.consistency : 0.0},
            {"loss",
             "mean((z' - z) / std(z))^2 + beta * KL(q(b|z) || Bernoulli(1/2)) + consistency * KL(f(z) || "
             "f(z'))"},
            {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  return dvae;
}

int64_t validateDvae(const torch::jit::Module& m, int64_t d, const torch::Device& device, const std::string& source) {
  for (const char* method : {"logits", "bits", "decode"})
    if (!hasMethod(m, method))
      throw ModelLoadError("[validate] the DVAE has no method '" + std::string(method) + "' (" + source + ")");
  torch::NoGradGuard ng;
  torch::Tensor z = torch::rand({3, d}, torch::TensorOptions().device(device));
  torch::Tensor lg, bits, rec;
  try {
    lg = callTensor(m, "logits", z);
    bits = callTensor(m, "bits", z);
  } catch (const ModelLoadError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelLoadError("[validate] the DVAE does not take latents of d=" + std::to_string(d) + " (" + source + ")");
  }
  if (lg.dim() != 2 || lg.size(0) != 3 || bits.sizes() != lg.sizes())
    throw ModelLoadError("[validate] the DVAE's logits and bits must be [N, n] for N latents (" + source + ")");
  const int64_t n = lg.size(1);
  if (n < 1 || n > 64)
    throw ModelLoadError("[validate] the DVAE has " + std::to_string(n) + " bits; LatentLab shows 1 to 64 (" + source +
                         ")");
  if (!torch::logical_or(bits == 0, bits == 1).all().item<bool>())
    throw ModelLoadError("[validate] the DVAE's bits() gives values other than 0 and 1 (" + source + ")");
  try {
    rec = callTensor(m, "decode", bits.to(torch::kFloat32));
  } catch (const ModelLoadError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelLoadError("[validate] the DVAE's decode does not take " + std::to_string(n) + " bits (" + source + ")");
  }
  if (rec.dim() != 2 || rec.size(0) != 3 || rec.size(1) != d)
    throw ModelLoadError("[validate] the DVAE's decode gives " + std::to_string(rec.dim() == 2 ? rec.size(1) : -1) +
                         " values per latent; the classifier's latents have d=" + std::to_string(d) + " (" + source +
                         ")");
  if (!torch::isfinite(lg).all().item<bool>() || !torch::isfinite(rec).all().item<bool>())
    throw ModelLoadError("[validate] the DVAE gives non-finite values (" + source + ")");
  return n;
}

}  // namespace latentlab
