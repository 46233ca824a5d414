// ReGene prototypes (the thesis roadmap, 2025): k prototypes per class from k-means on the training latents, and
// the counterfactual z(alpha) = alpha_0 z0 + sum_i alpha_i p_i with alpha = softmax(beta), starting
// at z0, optimised for U + lambda * d(z, z0) + sparsity * H(alpha).
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "clue/clue_internal.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/util/errors.h"

namespace fs = std::filesystem;

namespace latentlab {

namespace {

// k-means++ seeding and Lloyd iterations on X [n, d]; returns the centroids [k', d], k' = min(k, n).
torch::Tensor kmeans(const torch::Tensor& X, int k, at::Generator& gen) {
  const int64_t n = X.size(0);
  const int64_t kk = std::min<int64_t>(k, n);
  std::vector<int64_t> chosen{torch::randint(n, {1}, gen).item<int64_t>()};
  torch::Tensor d2 = (X - X[chosen[0]]).pow(2).sum(1);
  while (int64_t(chosen.size()) < kk) {
    const torch::Tensor w = d2.clamp_min(0);
    const double s = w.sum().item<double>();
    const int64_t next =
        s > 0 ? torch::multinomial(w / s, 1, false, gen).item<int64_t>() : torch::randint(n, {1}, gen).item<int64_t>();
    chosen.push_back(next);
    d2 = torch::minimum(d2, (X - X[next]).pow(2).sum(1));
  }
  torch::Tensor C = X.index_select(0, torch::tensor(chosen)).clone();
  for (int it = 0; it < 50; ++it) {
    const torch::Tensor assign = torch::cdist(X, C).argmin(1);
    torch::Tensor sums = torch::zeros_like(C).index_add_(0, assign, X);
    torch::Tensor counts = torch::zeros({kk}, X.options()).index_add_(0, assign, torch::ones({n}, X.options()));
    const torch::Tensor keep = counts > 0;
    torch::Tensor next = torch::where(keep.unsqueeze(1), sums / counts.clamp_min(1).unsqueeze(1), C);
    const bool done = torch::allclose(next, C);
    C = next;
    if (done) break;
  }
  return C;
}

}  // namespace

Prototypes fitPrototypes(const torch::Tensor& trainLatents, const torch::Tensor& labels, int64_t numClasses, int k,
                         uint64_t seed) {
  torch::NoGradGuard ng;
  const torch::Tensor Z = trainLatents.to(torch::kCPU, torch::kFloat32).contiguous();
  const torch::Tensor y = labels.to(torch::kCPU, torch::kLong);
  auto gen = at::detail::createCPUGenerator(seed + 11);
  Prototypes p;
  p.k = k;
  std::vector<torch::Tensor> rows;
  for (int64_t c = 0; c < numClasses; ++c) {
    const torch::Tensor idx = torch::nonzero(y == c).flatten();
    if (idx.numel() == 0) continue;
    const torch::Tensor X = Z.index_select(0, idx);
    const torch::Tensor C = kmeans(X, k, gen);
    // Each centroid's nearest training point of the class: a real example with an image.
    const torch::Tensor nearest = torch::cdist(C, X).argmin(1);
    for (int64_t j = 0; j < C.size(0); ++j) {
      const int64_t local = nearest[j].item<int64_t>();
      rows.push_back(X[local]);
      p.classes.push_back(int(c));
      p.sources.push_back(idx[local].item<int64_t>());
    }
  }
  if (rows.empty()) throw InputError("[regene] no training latents to fit prototypes on");
  p.z = torch::stack(rows).contiguous();
  return p;
}

Prototypes bundlePrototypes(const Bundle& b, int k, const ProgressFn& progress, const std::atomic<bool>* cancel) {
  const DatasetSplit data = loadManifestDataset(b.manifest);
  const int64_t K = b.numClasses(), d = b.latentDim();
  const std::string name = "prototypes_k" + std::to_string(k) + ".pt";
  const fs::path path = fs::path(b.dir) / "cache" / name;
  const std::string key =
      latentCacheKey(b.componentPath("classifier"),
                     imagesFingerprint(data.train.images) + ":prototypes:k=" + std::to_string(k), data.train.size());
  // Cached as rows [class, training index, z...] (float32 holds indices below 2^24 exactly). A
  // class with fewer than k training points gives fewer rows: such a set is refitted each time.
  const int64_t rows = K * k;
  const bool cached = k == ClueOptions{}.prototypes;  // only the default set is kept in the bundle
  if (torch::Tensor t = cached ? loadLatentCache(path.string(), key, rows, d + 2) : torch::Tensor(); t.defined()) {
    Prototypes p;
    p.k = k;
    p.z = t.slice(1, 2).contiguous();
    for (int64_t i = 0; i < rows; ++i) {
      p.classes.push_back(int(t[i][0].item<float>()));
      p.sources.push_back(int64_t(t[i][1].item<float>()));
    }
    return p;
  }
  torch::Tensor z = bundleLatents(b, data.train, "latents_train.pt", progress, cancel);
  checkCancel(cancel, "regene");
  Prototypes p = fitPrototypes(z, data.train.labels, K, k, 0);
  torch::Tensor meta = torch::stack({torch::tensor(std::vector<float>(p.classes.begin(), p.classes.end())),
                                     torch::tensor(std::vector<float>(p.sources.begin(), p.sources.end()))},
                                    1);
  if (cached) try {
      fs::create_directories(path.parent_path());
      saveLatentCache(path.string(), torch::cat({meta, p.z}, 1), key);
    } catch (const std::exception&) {
    }
  return p;
}

namespace detail {

void regene(const ClueContext& ctx, const ClueOptions& o, const torch::Tensor& z0In, std::vector<ClueResult>& out,
            const std::atomic<bool>* cancel, const ClueStepFn& onStep) {
  if (!ctx.prototypes || !ctx.prototypes->z.defined())
    throw InputError("[clue] regene needs the bundle's prototypes, and none were given");
  const torch::Tensor P = ctx.prototypes->z.to(ctx.device, torch::kFloat32);  // [M, d]
  const int64_t M = P.size(0), n = z0In.size(0);
  const torch::Tensor z0 = z0In.to(ctx.device, torch::kFloat32);
  const int target = o.method == ClueMethod::ClassChange ? o.target : -1;
  // alpha_0 = 0.99 on z0 at the start, the rest shared by the prototypes.
  torch::Tensor beta0 = torch::zeros({n, M + 1}, z0.options());
  beta0.select(1, 0).fill_(std::log(99.0 * double(M)));
  ClueProblem pb;
  pb.theta0 = beta0;
  pb.lr = o.lrOrDefault();
  pb.eval = [&](const torch::Tensor& theta, bool wantGrad) {
    torch::Tensor beta = theta.detach().requires_grad_(wantGrad);
    torch::AutoGradMode on(wantGrad);
    torch::Tensor logA = torch::log_softmax(beta, 1);
    torch::Tensor a = logA.exp();
    torch::Tensor z = a.select(1, 0).unsqueeze(1) * z0 + torch::matmul(a.slice(1, 1), P);
    Predictive p = ctx.head.predict(z);
    torch::Tensor u = uncertaintyOf(p, o.uncertainty, target);
    torch::Tensor loss = u + o.lambda * latentDistance(o.distance, z, z0) - o.sparsity * (a * logA).sum(1);
    return makeEval(loss, u, p, z, beta, wantGrad);
  };
  std::vector<torch::Tensor> thetas;
  adamTensorRun(pb, o, target >= 0, out, cancel, onStep, &thetas);
  for (int64_t i = 0; i < n; ++i) {
    ClueResult& r = out[size_t(i)];
    const torch::Tensor a = torch::softmax(thetas[size_t(r.steps)][i], 0);
    const torch::Tensor order = a.argsort(0, true);
    const int64_t top = std::min<int64_t>(8, M + 1);
    r.weights.clear();
    r.weightSources.clear();
    r.weightClasses.clear();
    for (int64_t j = 0; j < top; ++j) {
      const int64_t at = order[j].item<int64_t>();
      r.weights.push_back(a[at].item<float>());
      r.weightSources.push_back(at == 0 ? -1 : ctx.prototypes->sources[size_t(at - 1)]);
      r.weightClasses.push_back(at == 0 ? -1 : ctx.prototypes->classes[size_t(at - 1)]);
    }
  }
}

}  // namespace detail

}  // namespace latentlab
