#pragma once
// LatentLab's own networks, built as torch::jit::Module from TorchScript source so that shipped
// bundles and users' imported models load through one path, and Python can torch.jit.load them.
//
// Interfaces (all images N x C x H x W float in [0, 1]):
//   classifier: encode(x) -> z [N, d] (after ReLU, so z >= 0), classify(z) -> logits [N, K],
//               forward(x) = classify(encode(x)); optional decode(z) -> x.
//   decoder:    decode(z) -> x in [0, 1], decode_logits(z), forward = decode.
//   vae:        encode(x) -> (mu, logvar) [N, u], decode(u) -> x, decode_logits(u).
#include <torch/script.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "latentlab/util/errors.h"

namespace latentlab {

using Shape3 = std::array<int64_t, 3>;  // C, H, W

torch::jit::Module makeClassifier(const Shape3& inputShape, int64_t latentDim, int64_t numClasses, double normMean,
                                  double normStd, uint64_t seed);
torch::jit::Module makeDecoder(const Shape3& inputShape, int64_t latentDim, uint64_t seed);
// A label-free encoder with its decoder (Crabbé and van der Schaar's pretext tasks), one module: the classifier's
// convolutional encoder and the ReGene decoder's architecture. encode(x) -> z [N, d] (autoencoder
// and denoising autoencoder: after ReLU, as the classifier's; vae: the posterior mean mu),
// decode(z) / decode_logits(z), forward(x) = decode(encode(x)); the vae also has
// encode_stats(x) -> (mu, logvar). `objective`: autoencoder, denoising-autoencoder or vae.
torch::jit::Module makeAutoencoder(const Shape3& inputShape, int64_t latentDim, const std::string& objective,
                                   double normMean, double normStd, uint64_t seed);

torch::jit::Module makeVae(const Shape3& inputShape, int64_t vaeLatentDim, uint64_t seed);

std::vector<torch::Tensor> parametersOf(const torch::jit::Module& m);

// Loads a TorchScript file onto `device`, in eval mode. The file is read once, as a plain file
// under caps::kModel (never a device or a pipe: fsutil.h). `checkFingerprint`, when given, gets the
// bytes' bytesFingerprint before LibTorch parses them, and may throw to refuse them. Throws
// ModelLoadError naming the file if it cannot be read, is not TorchScript or lacks one of
// `requiredMethods`.
torch::jit::Module loadScript(const std::string& path, const torch::Device& device,
                              const std::vector<std::string>& requiredMethods,
                              const std::function<void(const std::string& fingerprint)>& checkFingerprint = {});

// Saves through an exclusive temporary file and a rename (writeFileAtomic: a link at `path` is
// replaced, a replaced file keeps its mode). Throws ModelLoadError on failure.
void saveScript(const torch::jit::Module& m, const std::string& path);

bool hasMethod(const torch::jit::Module& m, const std::string& name);
torch::Tensor callTensor(const torch::jit::Module& m, const std::string& method, const torch::Tensor& x);

// Refuses (ModelLoadError naming both shapes) a model made for another channel count than the
// images': one that broadcasts a grey image to three channels (the same latents for the image and
// for it replicated: a colour model's per-channel normalisation), or one that does not run on them
// while its first convolution's weight takes the other count.
void checkInputChannels(const torch::jit::Module& m, const Shape3& inputShape, const std::string& source,
                        const torch::Device& device);

// Dry run of a classifier: encode on two inputs of `inputShape`, classify, and decode if present.
// Returns {d, K}. Throws ModelLoadError naming `source` and the mismatch (wrong rank, shapes,
// dtype, non-finite outputs, K != expectedClasses when expectedClasses > 0).
std::pair<int64_t, int64_t> validateClassifier(const torch::jit::Module& m, const Shape3& inputShape,
                                               int64_t expectedClasses, const torch::Device& device,
                                               const std::string& source);
// Dry run of a decoder module (decode(z) must give N x C x H x W in [0, 1]).
void validateDecoder(const torch::jit::Module& m, int64_t latentDim, const Shape3& inputShape,
                     const torch::Device& device, const std::string& source);
// A VAE (the original CLUE's): encode(x) -> (mean [N, k], log-variance), decode(u) -> [N, C, H, W],
// finite on random images of shape `in`. Throws ModelLoadError naming `source`.
void validateVae(const torch::jit::Module& m, const Shape3& in, const torch::Device& device, const std::string& source);

// Runs `method` over `x` in batches under NoGrad on `device`; result on the CPU. When the model
// raises (a user's model can fail on real data that its dry run passed), throws ModelLoadError
// naming `source` (its file), the method and the first input of the failing batch.
torch::Tensor mapBatched(const torch::jit::Module& m, const std::string& method, const torch::Tensor& x,
                         const torch::Device& device, int64_t batchSize = 1024, const std::string& source = "");

// The dry runs use random inputs; this is the check on real data. Throws ModelLoadError when a row
// of `values` [N, ...] holds a non-finite number: "[where] non-finite WHAT on K of N INPUTS (first:
// i, j, ...) (FILE)".
void requireFiniteRows(const torch::Tensor& values, const std::string& where, const std::string& what,
                       const std::string& inputs, const std::string& file);

// Parses "cpu", "cuda", "cuda:N"; throws DeviceError when CUDA is asked for and absent.
torch::Device parseDevice(const std::string& name);

}  // namespace latentlab
