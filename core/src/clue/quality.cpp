// CARLA's counterfactual measures (clue.h, CounterfactualQuality): validity after the round trip,
// proximity in x and z, sparsity, yNN and the plausibility of z* against the test points.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "latentlab/clue/clue_torch.h"
#include "latentlab/util/errors.h"

namespace latentlab {

namespace {

// The k nearest rows of zTrain [N, d] to each row of q [M, d]: distances and indices [M, k].
std::pair<torch::Tensor, torch::Tensor> nearest(const torch::Tensor& zTrain, const torch::Tensor& q, int k) {
  torch::NoGradGuard ng;
  const int64_t kk = std::min<int64_t>(k, zTrain.size(0));
  std::vector<torch::Tensor> ds, is;
  for (int64_t s = 0; s < q.size(0); s += 256) {
    const torch::Tensor d = torch::cdist(q.slice(0, s, std::min(q.size(0), s + 256)), zTrain);
    auto [v, i] = d.topk(kk, 1, /*largest=*/false);
    ds.push_back(v);
    is.push_back(i);
  }
  return {torch::cat(ds), torch::cat(is)};
}

}  // namespace

QualityReference makeQualityReference(const torch::Tensor& zTrain, const torch::Tensor& yTrain,
                                      const torch::Tensor& zTest, int k, int64_t maxTest) {
  if (zTrain.dim() != 2 || zTrain.size(0) < 1 || yTrain.size(0) != zTrain.size(0))
    throw InputError("[clue] the quality measures need training latents with one label each");
  QualityReference ref;
  ref.zTrain = zTrain.to(torch::kCPU, torch::kFloat).contiguous();
  ref.yTrain = yTrain.to(torch::kCPU, torch::kInt64).contiguous();
  ref.k = k;
  const torch::Tensor q = zTest.slice(0, 0, std::min(maxTest, zTest.size(0))).to(torch::kCPU, torch::kFloat);
  const torch::Tensor d = nearest(ref.zTrain, q, k).first.mean(1).to(torch::kDouble).contiguous();
  ref.testDistances.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  std::sort(ref.testDistances.begin(), ref.testDistances.end());
  return ref;
}

void measureQuality(ClueResult& r, const QualityReference& ref) {
  CounterfactualQuality& q = r.quality;
  q = CounterfactualQuality{};
  q.k = ref.k;
  // Against the path's first image: g(z0) for the latent methods (the decoder's own error is not
  // the counterfactual's change), the VAE's reconstruction for VAE-CLUE, x0 for the hierarchical
  // search (whose frames start at x0 too).
  const size_t P = r.xStar.size();
  const float* from = r.frames.size() >= P && P > 0 ? r.frames.data() : r.x0.data();
  if (P > 0 && (r.frames.size() >= P || r.x0.size() == P)) {
    double l1 = 0, l2 = 0;
    int64_t changed = 0;
    for (size_t i = 0; i < P; ++i) {
      const double v = double(r.xStar[i]) - double(from[i]);
      l1 += std::abs(v);
      l2 += v * v;
      changed += std::abs(v) > 0.05 ? 1 : 0;
    }
    q.l1X = l1;
    q.l2X = std::sqrt(l2);
    q.sparsity = double(changed) / double(P);
  }
  if (r.zStar.size() == r.z0.size()) {
    double l1 = 0, l2 = 0;
    for (size_t i = 0; i < r.zStar.size(); ++i) {
      const double v = double(r.zStar[i]) - double(r.z0[i]);
      l1 += std::abs(v);
      l2 += v * v;
    }
    q.l1Z = l1;
    q.l2Z = std::sqrt(l2);
  }
  q.valid =
      r.target >= 0 ? r.classRoundtrip == r.target : double(r.probRoundtrip()) >= CounterfactualQuality::kConfident;
  if (int64_t(r.zStar.size()) == ref.zTrain.size(1)) {
    std::vector<float> zs = r.zStar;
    const torch::Tensor z = torch::from_blob(zs.data(), {1, int64_t(zs.size())}, torch::kFloat32).clone();
    auto [d, i] = nearest(ref.zTrain, z, ref.k);
    q.knnDistance = d.mean().item<double>();
    q.yNN = ref.yTrain.index_select(0, i[0]).eq(r.classLatent).to(torch::kDouble).mean().item<double>();
    const auto below = std::lower_bound(ref.testDistances.begin(), ref.testDistances.end(), q.knnDistance);
    q.knnPercentile =
        ref.testDistances.empty() ? 0.0 : double(below - ref.testDistances.begin()) / double(ref.testDistances.size());
  }
  q.computed = true;
}

}  // namespace latentlab
