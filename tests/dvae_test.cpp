// The DVAE over z (Gat et al. 2022): hard bits that are deterministic 0/1, a reconstruction that beats an
// untrained one by far on clustered latents, the file round trip, and the dry run's refusals.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <filesystem>

#include "latentlab/concepts/concepts_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "test_helpers.h"

using namespace latentlab;

namespace {

// 8 well-separated clusters in d = 6 (non-negative, as after a ReLU), 200 points each.
torch::Tensor clusteredLatents(uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Tensor centres = torch::rand({8, 6}, gen) * 6;
  torch::Tensor idx = torch::arange(8).repeat_interleave(200);
  return (centres.index_select(0, idx) + 0.05 * torch::randn({1600, 6}, gen)).clamp_min(0);
}

double reconstructionError(const torch::jit::Module& m, const torch::Tensor& z) {
  torch::NoGradGuard ng;
  torch::Tensor zr = callTensor(m, "decode", callTensor(m, "bits", z));
  return ((zr - z) / z.std(0)).pow(2).mean().item<double>();
}

}  // namespace

TEST_CASE("DVAE: hard bits are deterministic 0/1, and 4 bits reconstruct 8 clusters far better than untrained") {
  const torch::Device dev = testutil::device();
  const torch::Tensor z = clusteredLatents(3).to(dev);
  DvaeOptions o;
  o.bits = 4;
  o.hidden = 64;
  FitOptions fit;
  fit.epochs = 60;
  fit.batchSize = 64;
  fit.seed = 1;
  fit.device = dev;
  torch::jit::Module m = makeDvae(z.cpu(), o, 5);
  m.to(dev);
  const double untrained = reconstructionError(m, z);
  trainDvae(m, z, o, fit);
  torch::NoGradGuard ng;
  const torch::Tensor b1 = callTensor(m, "bits", z), b2 = callTensor(m, "bits", z);
  CHECK(torch::equal(b1, b2));
  CHECK(torch::logical_or(b1 == 0, b1 == 1).all().item<bool>());
  CHECK(b1.size(1) == 4);
  const double trained = reconstructionError(m, z);
  MESSAGE("DVAE reconstruction error (std units): untrained " << untrained << ", trained " << trained);
  CHECK(trained < 0.15);
  CHECK(untrained > 0.5);
  // The decode stays in z's range (the output is lo + (hi - lo) * sigmoid).
  torch::Tensor all = callTensor(m, "decode", torch::rand({50, 4}, torch::TensorOptions().device(dev)).round());
  CHECK((all >= std::get<0>(z.min(0)) - 1e-5).all().item<bool>());
  CHECK((all <= std::get<0>(z.max(0)) + 1e-5).all().item<bool>());
  // Flipping one bit of a code and decoding moves the latent; flipping it back restores it exactly.
  torch::Tensor code = b1.slice(0, 0, 1).clone(), flipped = code.clone();
  flipped[0][1] = 1 - flipped[0][1];
  CHECK(int((flipped != code).sum().item<int64_t>()) == 1);
  torch::Tensor back = flipped.clone();
  back[0][1] = 1 - back[0][1];
  CHECK(torch::equal(callTensor(m, "decode", back), callTensor(m, "decode", code)));
}

TEST_CASE("DVAE: saved and loaded as TorchScript it gives the same bits, the dry run refuses a wrong d") {
  const torch::Tensor z = clusteredLatents(4);
  DvaeOptions o;
  o.bits = 5;
  o.hidden = 16;
  torch::jit::Module m = makeDvae(z, o, 2);
  testutil::TempDir dir;
  const std::string path = dir / "dvae.pt";
  saveScript(m, path);
  torch::jit::Module back = loadScript(path, torch::kCPU, {"logits", "bits", "decode"});
  CHECK(validateDvae(back, 6, torch::kCPU, path) == 5);
  torch::NoGradGuard ng;
  CHECK(torch::equal(callTensor(m, "bits", z), callTensor(back, "bits", z)));
  CHECK_THROWS_WITH_AS(validateDvae(back, 9, torch::kCPU, path), doctest::Contains(path.c_str()), ModelLoadError);
  // A classifier is not a DVAE: the message names the missing method and the file.
  torch::jit::Module cls = makeClassifier({1, 8, 8}, 6, 3, 0.5, 0.25, 1);
  CHECK_THROWS_WITH_AS(validateDvae(cls, 6, torch::kCPU, "cls.pt"), doctest::Contains("no method 'logits' (cls.pt)"),
                       ModelLoadError);
  CHECK_THROWS_AS(makeDvae(z, DvaeOptions{0}, 1), InputError);
}
