#pragma once
// The training objectives of `latentlab train --objective` (Crabbé and van der Schaar's pretext tasks): the
// classifier's cross-entropy, and three label-free ones on makeAutoencoder's module. Each loss is
// per example ([n]); training takes the batch mean. Images [n, C, H, W] in [0, 1].
//   autoencoder            BCE(decode(encode(x)), x), summed over the pixels
//   denoising-autoencoder  BCE(decode(encode(x + eps)), x), eps ~ N(0, 0.3^2) (Crabbé and van der Schaar's MNIST model)
//   vae                    BCE(decode(mu + sigma e), x) + KL(N(mu, sigma^2) || N(0, I)), e ~ N(0, I)
#include <torch/script.h>

#include <string>
#include <vector>

namespace latentlab {

inline constexpr double kDenoisingSigma = 0.3;

// classifier | autoencoder | denoising-autoencoder | vae; InputError naming `where` and the value.
void checkObjective(const std::string& objective, const std::string& where);
inline bool isLabelFree(const std::string& objective) { return objective != "classifier"; }

// The loss of each example; labels y are used by the classifier only; `gen` draws the noise (a
// CPU generator; may be null for the objectives without noise).
torch::Tensor objectiveLossPerExample(const torch::jit::Module& m, const std::string& objective, const torch::Tensor& x,
                                      const torch::Tensor& y, torch::Generator* gen);

}  // namespace latentlab
