// Gat et al.'s Table 1 for a bundle's DVAE: how well phi' = D(bits(phi)) keeps the classifier's
// predictions, and how often flipping the bits changes them.
#include <torch/torch.h>

#include <algorithm>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/concepts/concepts_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"

using nlohmann::json;

namespace latentlab {

namespace {

// The predicted class of every latent [N, d] through `head`, in batches on `dev`; CPU int64 [N].
torch::Tensor predictions(const BllHead& head, const torch::Tensor& z, const torch::Device& dev) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < z.size(0); i += 4096)
    out.push_back(head.predict(z.slice(0, i, std::min(i + 4096, z.size(0))).to(dev)).probs.argmax(1).cpu());
  return torch::cat(out);
}

}  // namespace

json dvaeTable(const Bundle& b, const torch::jit::Module& dvae, const torch::Tensor& z, const torch::Tensor& labels) {
  const torch::Device dev = b.device;
  const std::string file = b.componentPath("dvae");
  const bool laplace = b.laplace.has_value();
  const BllHead head = b.head(laplace ? HeadMode::Samples : HeadMode::Deterministic);
  torch::Tensor bits = mapBatched(dvae, "bits", z, dev, 4096, file);
  torch::Tensor zr = mapBatched(dvae, "decode", bits, dev, 4096, file);
  const int64_t n = z.size(0), k = b.numClasses();
  // The dry run saw a few rows; real data must give the same shapes, and bits of 0 and 1.
  if (bits.dim() != 2 || bits.size(0) != n || !torch::logical_or(bits == 0, bits == 1).all().item<bool>())
    throw ModelLoadError("[eval] the DVAE's bits() gives other than one row of 0/1 bits per test latent (" + file +
                         ")");
  if (zr.dim() != 2 || zr.size(0) != n || zr.size(1) != z.size(1))
    throw ModelLoadError("[eval] the DVAE's decode() gives other than one latent of d=" + std::to_string(z.size(1)) +
                         " per code (" + file + ")");
  requireFiniteRows(zr, "eval", "DVAE reconstructions", "test latents", file);
  const int64_t nb = bits.size(1);
  torch::Tensor y = labels.to(torch::kInt64).cpu();
  torch::Tensor p = predictions(head, z, dev), pr = predictions(head, zr, dev);
  torch::Tensor pAll = predictions(head, mapBatched(dvae, "decode", 1 - bits, dev, 4096, file), dev);
  torch::Tensor anyChanged = torch::zeros({n}, torch::kBool);
  json perBit = json::array();
  for (int64_t i = 0; i < nb; ++i) {
    torch::Tensor flipped = bits.clone();
    flipped.select(1, i).fill_(1).sub_(bits.select(1, i));
    torch::Tensor pf = predictions(head, mapBatched(dvae, "decode", flipped, dev, 4096, file), dev);
    torch::Tensor changed = pf != pr;  // against phi', the point the flip starts from
    anyChanged |= changed;
    const int64_t count = changed.sum().item<int64_t>();
    json row = {{"bit", i},
                {"on", bits.select(1, i).mean().item<double>()},
                {"changed", double(count) / double(n)},
                {"changed_count", count}};
    if (count > 0) {
      torch::Tensor hist = torch::bincount(pf.masked_select(changed), {}, k);
      const int64_t top = hist.argmax().item<int64_t>();
      row["target_class"] = top;
      row["target_name"] = b.manifest.classNames.at(size_t(top));
      row["target_share"] = hist[top].item<double>() / double(count);
    } else {
      row["target_class"] = nullptr;
      row["target_name"] = nullptr;
      row["target_share"] = nullptr;
    }
    perBit.push_back(row);
  }
  auto frac = [&](const torch::Tensor& mask) { return mask.to(torch::kFloat64).mean().item<double>(); };
  torch::Tensor stdv = z.std(0).clamp_min(1e-6);
  return {{"head", laplace ? "laplace" : "deterministic"},
          {"n_test", n},
          {"n_bits", nb},
          {"accuracy", frac(p == y)},
          {"accuracy_reconstructed", frac(pr == y)},
          {"agreement", frac(p == pr)},
          {"all_flip_changed", frac(pAll != pr)},
          {"single_flip_changed", frac(anyChanged)},
          {"reconstruction_mse_std", ((zr - z) / stdv).pow(2).mean().item<double>()},
          {"distinct_codes", std::get<0>(torch::unique_dim(bits, 0)).size(0)},
          {"bits", perBit}};
}

}  // namespace latentlab
