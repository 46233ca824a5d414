// Model-parameter randomisation (checks_torch.h): the cascading and independent tests of Adebayo
// et al. (2018), MPRT and eMPRT as Hedström et al. (2024) define them.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "latentlab/checks/checks_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace {

std::vector<double> averageRanks(const torch::Tensor& t) {
  const torch::Tensor c = t.flatten().to(torch::kCPU, torch::kDouble).contiguous();
  const double* v = c.data_ptr<double>();
  const size_t n = size_t(c.numel());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [v](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = 0.5 * double(i + j);
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

// The layer of a parameter name: before the last '.', or without a trailing w/b/weight/bias.
std::string layerOf(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot != std::string::npos) return name.substr(0, dot);
  for (const char* suffix : {"weight", "bias", "w", "b"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
      return name.substr(0, name.size() - s.size());
  }
  return name;
}

// The discrete entropy of a 100-bin histogram of |map| over its range.
double histogramEntropy(const torch::Tensor& a) {
  const torch::Tensor v = a.abs().flatten().to(torch::kCPU, torch::kDouble);
  const double lo = v.min().item<double>(), hi = v.max().item<double>();
  if (!(hi > lo)) return 0.0;
  const torch::Tensor h = torch::histc(v, 100, lo, hi);
  const torch::Tensor p = h / h.sum();
  const torch::Tensor nz = p.masked_select(p > 0);
  return -(nz * nz.log()).sum().item<double>();
}

// A method's maps [n, C*H*W] of `images` under model m, for the original model's predicted classes.
using MapFn = std::function<torch::Tensor(const torch::jit::Module& m, const torch::Tensor& x, int cls, int i)>;

}  // namespace

double spearman(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.numel() != b.numel() || a.numel() < 2)
    throw InputError("[checks] Spearman's correlation needs two vectors of one length >= 2");
  return pearson(torch::tensor(averageRanks(a), torch::kDouble), torch::tensor(averageRanks(b), torch::kDouble));
}

double ssim(const torch::Tensor& a, const torch::Tensor& b) {
  namespace F = torch::nn::functional;
  const torch::Tensor x = a.to(torch::kCPU, torch::kDouble).view({1, 1, a.size(0), a.size(1)});
  const torch::Tensor y = b.to(torch::kCPU, torch::kDouble).view({1, 1, b.size(0), b.size(1)});
  const int64_t w = std::min<int64_t>({7, a.size(0), a.size(1)});
  auto pool = [w](const torch::Tensor& t) { return F::avg_pool2d(t, F::AvgPool2dFuncOptions(w).stride(1)); };
  const torch::Tensor mx = pool(x), my = pool(y);
  const torch::Tensor vx = pool(x * x) - mx * mx, vy = pool(y * y) - my * my, cxy = pool(x * y) - mx * my;
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const torch::Tensor s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  return s.mean().item<double>();
}

std::vector<std::pair<std::string, std::vector<std::string>>> parameterLayers(const torch::jit::Module& m) {
  std::vector<std::pair<std::string, std::vector<std::string>>> layers;
  for (const auto& p : m.named_parameters(true)) {
    const std::string layer = layerOf(p.name);
    if (layers.empty() || layers.back().first != layer) layers.push_back({layer, {}});
    layers.back().second.push_back(p.name);
  }
  return layers;
}

RandomisationResult parameterRandomisation(const torch::jit::Module& classifier, const torch::Tensor& images,
                                           uint64_t seed, const std::atomic<bool>* cancel,
                                           const std::function<void(int64_t, int64_t)>& onStep) {
  const auto layers = parameterLayers(classifier);
  if (layers.empty()) throw InputError("[checks] the classifier has no parameters to randomise");
  std::vector<std::pair<std::string, std::vector<std::string>>> topDown(layers.rbegin(), layers.rend());
  const int64_t n = images.size(0), L = int64_t(topDown.size());
  torch::Tensor cls;
  {
    torch::NoGradGuard ng;
    cls = callTensor(classifier, "forward", images).argmax(1).cpu();
  }
  // The model with the given layers redrawn (each layer from its own seeded generator, so that a
  // layer's draw is the same in the cascading and the independent test).
  auto randomised = [&](const std::vector<int64_t>& which) {
    torch::jit::Module m = classifier.clone();
    torch::NoGradGuard ng;
    std::map<std::string, torch::Tensor> params;
    for (const auto& p : m.named_parameters(true)) params[p.name] = p.value;
    for (int64_t l : which) {
      auto gen = at::detail::createCPUGenerator(seed + 1000 + uint64_t(l));
      // Re-initialised as PyTorch's reset_parameters() does for Linear and Conv layers (what
      // Quantus's MPRT calls): U(-b, b), b = 1 / sqrt(fan_in), for the weight and for the bias (the
      // fan-in of the layer's weight). A layer of 1-D parameters only (a norm's scale and shift) is
      // drawn from N(0, s^2), s the parameter's own standard deviation.
      int64_t fanIn = 0;
      for (const std::string& name : topDown[size_t(l)].second)
        if (params.at(name).dim() >= 2) fanIn = params.at(name).numel() / params.at(name).size(0);
      for (const std::string& name : topDown[size_t(l)].second) {
        torch::Tensor p = params.at(name);
        torch::Tensor draw;
        if (fanIn > 0) {
          const double b = 1.0 / std::sqrt(double(fanIn));
          draw = torch::rand(p.sizes(), gen, torch::kFloat32) * (2 * b) - b;
        } else {
          const double sd = p.numel() > 1 ? p.std().item<double>() : 0.0;
          draw = torch::randn(p.sizes(), gen, torch::kFloat32) * (sd > 0 ? sd : 0.01);
        }
        p.copy_(draw.to(p.device(), p.dtype()));
      }
    }
    return m;
  };
  auto logitFn = [](const torch::jit::Module& m, int c) -> ImageScalarFn {
    return [m, c](const torch::Tensor& x) { return callTensor(m, "forward", x).select(1, c); };
  };
  const torch::Tensor black = torch::zeros_like(images[0]);
  const std::vector<std::pair<std::string, MapFn>> methods = {
      {"ig",
       [&](const torch::jit::Module& m, const torch::Tensor& x, int c, int) {
         return torch::tensor(
             integratedGradients(logitFn(m, c), x, black, 64, Quadrature::Midpoint, cancel).attribution);
       }},
      {"saliency", [&](const torch::jit::Module& m, const torch::Tensor& x, int c,
                       int) { return torch::tensor(saliencyAttribution(logitFn(m, c), x, cancel).attribution); }},
      {"gradient-shap",
       [&](const torch::jit::Module& m, const torch::Tensor& x, int c, int i) {
         return torch::tensor(gradientShap(logitFn(m, c), x, black, 64, 0.0, uint64_t(i), cancel).attribution);
       }},
      {"labelfree-ig", [&](const torch::jit::Module& m, const torch::Tensor& x, int, int) {
         torch::Tensor zRef;
         {
           torch::NoGradGuard ng;
           zRef = callTensor(m, "encode", x.unsqueeze(0))[0];
         }
         const ImageEncoderFn enc = [m](const torch::Tensor& xs) { return callTensor(m, "encode", xs); };
         return torch::tensor(
             integratedGradients(labelFreeFunction(enc, zRef), x, black, 64, Quadrature::Midpoint, cancel).attribution);
       }}};
  RandomisationResult out;
  for (const auto& l : topDown) out.layers.push_back(l.first);
  out.images = n;
  // The models: the original, then L cascading (top-down), then L independent.
  std::vector<torch::jit::Module> models{classifier};
  for (int64_t l = 0; l < L; ++l) {
    std::vector<int64_t> upTo(size_t(l + 1));
    std::iota(upTo.begin(), upTo.end(), int64_t(0));
    models.push_back(randomised(upTo));
  }
  for (int64_t l = 0; l < L; ++l) models.push_back(randomised({l}));
  const int64_t H = images.size(2), W = images.size(3), C = images.size(1);
  auto scaled = [&](const torch::Tensor& map) {  // |map| summed over channels, divided by its maximum
    const torch::Tensor s = map.abs().view({C, H, W}).sum(0).to(torch::kDouble);
    const double mx = s.max().item<double>();
    return mx > 0 ? s / mx : s;
  };
  const int64_t total = int64_t(methods.size()) * n;
  int64_t done = 0;
  for (const auto& [name, fn] : methods) {
    RandomisationMethod rm;
    rm.name = name;
    std::vector<double> sp(models.size(), 0.0), ss(models.size(), 0.0);
    double emprt = 0;
    for (int64_t i = 0; i < n; ++i) {
      checkCancel(cancel, "checks");
      const torch::Tensor x = images[i];
      const int c = int(cls[i].item<int64_t>());
      const torch::Tensor orig = fn(models[0], x, c, int(i));
      const torch::Tensor origScaled = scaled(orig);
      for (size_t k = 1; k < models.size(); ++k) {
        const torch::Tensor r = fn(models[k], x, c, int(i));
        sp[k] += spearman(orig.abs(), r.abs());
        ss[k] += ssim(origScaled, scaled(r));
        if (int64_t(k) == L) {  // the fully randomised model (the last cascading step)
          const double h0 = histogramEntropy(orig);
          emprt += h0 > 0 ? histogramEntropy(r) / h0 : 0.0;
        }
      }
      if (onStep) onStep(++done, total);
    }
    for (int64_t l = 0; l < L; ++l) {
      rm.cascadeSpearman.push_back(sp[size_t(1 + l)] / double(n));
      rm.cascadeSsim.push_back(ss[size_t(1 + l)] / double(n));
      rm.independentSpearman.push_back(sp[size_t(1 + L + l)] / double(n));
      rm.independentSsim.push_back(ss[size_t(1 + L + l)] / double(n));
    }
    rm.mprt = std::accumulate(rm.cascadeSpearman.begin(), rm.cascadeSpearman.end(), 0.0) / double(L);
    rm.emprt = emprt / double(n);
    out.methods.push_back(rm);
  }
  return out;
}

}  // namespace latentlab
