#pragma once
// Parameter initialisation shared by the networks built from TorchScript source (models.cpp, dvae.cpp).
#include <torch/torch.h>

#include <cmath>
#include <string>

namespace latentlab::detail {

// PyTorch's default Linear/Conv initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
inline torch::Tensor uniformInit(at::IntArrayRef shape, int64_t fanIn, at::Generator& gen) {
  const double bound = 1.0 / std::sqrt(double(fanIn));
  return torch::rand(shape, gen, torch::kFloat32).mul_(2 * bound).sub_(bound);
}

inline void addParam(torch::jit::Module& m, const std::string& name, torch::Tensor t) {
  m.register_parameter(name, t.set_requires_grad(true), /*is_buffer=*/false);
}

}  // namespace latentlab::detail
