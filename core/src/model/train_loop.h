#pragma once
// The minibatch loop every training stage shares (train.cpp, dvae.cpp): a seeded shuffle each
// epoch, Adam, progress and cancellation, and a clear error when the loss becomes non-finite.
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "latentlab/model/models_torch.h"
#include "latentlab/model/train_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab::detail {

// Freezes a module's parameters (requires_grad false) for its lifetime, and gives them back as they
// were when it ends, also on an exception (a cancelled run leaves the model trainable).
class FrozenParams {
 public:
  explicit FrozenParams(const torch::jit::Module* m) {
    if (!m) return;
    for (auto p : m->parameters()) {
      m_params.push_back(p);
      m_was.push_back(p.requires_grad());
      p.set_requires_grad(false);
    }
  }
  ~FrozenParams() {
    for (size_t i = 0; i < m_params.size(); ++i) m_params[i].set_requires_grad(m_was[i]);
  }
  FrozenParams(const FrozenParams&) = delete;
  FrozenParams& operator=(const FrozenParams&) = delete;

 private:
  std::vector<torch::Tensor> m_params;
  std::vector<bool> m_was;
};

// Shared minibatch loop: a seeded shuffle each epoch, Adam, progress and cancellation.
// `lossFn(batchIdx)` returns the batch loss (a scalar with a graph).
template <class LossFn>
double runEpochs(torch::jit::Module& m, int64_t n, const FitOptions& opt, LossFn&& lossFn) {
  if (n <= 0) throw InputError("[train] no training examples for stage " + opt.stage);
  m.train();
  m.to(opt.device);
  torch::optim::Adam adam(parametersOf(m), torch::optim::AdamOptions(opt.lr).weight_decay(opt.weightDecay));
  auto gen = at::detail::createCPUGenerator(opt.seed);
  const int64_t batches = (n + opt.batchSize - 1) / opt.batchSize;
  const auto start = std::chrono::steady_clock::now();
  int64_t seen = 0;
  double epochLoss = 0.0;
  double lr = opt.lr;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    if (opt.lrDecayAt < 1.0 && epoch == int(opt.lrDecayAt * opt.epochs) + 1) {
      lr = opt.lr * 0.1;
      for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
    torch::Tensor perm = torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kInt64));
    double sum = 0.0;
    for (int64_t b = 0; b < batches; ++b) {
      if (opt.cancel && opt.cancel->load()) throw CancelledError("[train] cancelled during " + opt.stage);
      torch::Tensor idx = perm.slice(0, b * opt.batchSize, std::min(n, (b + 1) * opt.batchSize));
      adam.zero_grad();
      torch::Tensor loss = lossFn(idx);
      loss.backward();
      adam.step();
      const double l = loss.item<double>();
      if (!std::isfinite(l)) {
        // The stage's own option: the classifier's --epochs, the ensemble's, the decoder's, the VAE's.
        const std::string option = opt.stage.rfind("ensemble", 0) == 0 ? "--ensemble-epochs"
                                   : opt.stage == "decoder"            ? "--decoder-epochs"
                                   : opt.stage == "dvae"               ? "--dvae-epochs"
                                   : opt.stage == "vae"                ? "--vae-epochs"
                                                                       : "--epochs";
        throw Error("[train] the loss became non-finite in " + opt.stage + " (epoch " + std::to_string(epoch) +
                    "): the data or the model gives non-finite values, or the training diverged; try another --seed "
                    "or a smaller " +
                    option);
      }
      sum += l;
      seen += idx.size(0);
      if (opt.progress) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        Progress p;
        p.stage = opt.stage;
        p.epoch = epoch;
        p.epochs = opt.epochs;
        p.batch = b + 1;
        p.batches = batches;
        p.loss = sum / double(b + 1);
        p.samplesPerSec = secs > 0 ? double(seen) / secs : 0.0;
        const double total = double(n) * opt.epochs;
        p.etaSeconds = p.samplesPerSec > 0 ? (total - double(seen)) / p.samplesPerSec : 0.0;
        opt.progress(p);
      }
    }
    epochLoss = sum / double(batches);
    if (opt.onEpochEnd) {
      m.eval();
      opt.onEpochEnd(epoch, lr);
      m.train();
    }
  }
  m.eval();
  return epochLoss;
}

}  // namespace latentlab::detail
