#pragma once
// What the pipelines (pipeline/train.cpp, pipeline/eval.cpp) and the benchmarks (bench.cpp) share.
// Internal to core; includes LibTorch.
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/train_torch.h"

namespace latentlab::detail {

using Clock = std::chrono::steady_clock;
inline double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
inline std::string join(const std::filesystem::path& a, const std::string& b) { return (a / b).string(); }

// Evaluates a loaded bundle on `test` (and on `ood` when given): every head's accuracy, NLL, ECE,
// Brier, reliability bins and OOD AUROCs, and the decoder's MSE and agreement. The heavy part of
// `eval`, and of train/import's stored metrics.
nlohmann::json evaluateBundle(const Bundle& b, const Dataset& test, const Dataset* ood, const std::string& oodName,
                              std::ostream& log);

// Changing one component of an existing bundle (train-decoder, train-dvae; bundle_edit.cpp):
// The latents of `data` under the bundle's classifier: the bundle's cache `cacheName` when its
// key matches, else computed (never written: train-dvae and train-decoder change no cache).
torch::Tensor latentsOf(const Bundle& b, const Dataset& data, const std::string& cacheName);
// Before any work: DIR/FILE (the `what`, e.g. "decoder") is not a directory, and the folder, the
// manifest and an existing FILE are writable. Throws BundleError naming `where` and the path.
void checkComponentWritable(const std::string& dir, const std::string& file, const std::string& what,
                            const std::string& where);
// `writeComponent` (the new file at `target`, atomically), then `writeManifest`; when the manifest
// cannot be written, the earlier file is put back (or the new one removed), so that the bundle
// still verifies. Rethrows.
void replaceComponent(const std::string& target, const std::string& what, const std::function<void()>& writeComponent,
                      const std::function<void()>& writeManifest);

// The manifest's record of a decoder's training: its terms and weights, epochs, loss and time.
nlohmann::json decoderRecord(const DecoderLoss& terms, int epochs, double finalLoss, double seconds);

// The decoder g against the classifier on latents z of `images`: {"mse": mean (g(z) - x)^2,
// "agreement": share of argmax classify(z) == argmax forward(g(z))}. `decoderFile` and
// `classifierFile` name the files in errors.
nlohmann::json decoderReport(const torch::jit::Module& decoder, const torch::jit::Module& classifier,
                             const torch::Tensor& z, const torch::Tensor& images, const torch::Device& dev,
                             const std::string& decoderFile, const std::string& classifierFile);

}  // namespace latentlab::detail
