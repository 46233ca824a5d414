#pragma once
// A model bundle: a directory with manifest.json, TorchScript components and cache/.
// One loading path serves LatentLab's own bundles and imported user models.
#include <torch/script.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/model/manifest.h"
#include "latentlab/util/progress.h"

namespace latentlab {

struct Bundle {
  std::string dir;
  Manifest manifest;
  torch::Device device = torch::kCPU;
  torch::jit::Module classifier;  // encode / classify [/ decode]; a label-free bundle's encoder (encode / decode)
  std::string objective = "classifier";  // what it was trained for (objectives_torch.h); anything else is label-free
  std::optional<torch::jit::Module> decoder;  // has decode(z); may be the classifier itself
  std::optional<LaplaceFit> laplace;
  std::optional<torch::jit::Module> vae;
  std::optional<torch::jit::Module> dvae;    // concepts_torch.h: logits / bits / decode over z
  int64_t dvaeBits = 0;                      // n, when there is a DVAE
  std::string dvaeProblem;                   // why the manifest's DVAE was left out (stale: another classifier's)
  std::string vaeProblem;                    // why the manifest's VAE was left out (not its file, a failed dry run)
  std::string ensembleProblem;               // why the manifest's ensemble was left out
  std::vector<torch::jit::Module> ensemble;  // members with forward(x) -> logits
  torch::Tensor headW, headB;                // the affine head read off classify; undefined if not affine

  int64_t latentDim() const { return manifest.latentDim; }
  // A label-free bundle (Crabbé and van der Schaar 2022): an encoder trained without labels, with its decoder and no
  // classifier head, posterior or ensemble. classify() and head() throw BundleError naming it.
  bool labelFree() const { return objective != "classifier"; }
  // The component that holds encode(): "classifier", or "encoder" in a label-free bundle.
  const char* encoderComponent() const { return labelFree() ? "encoder" : "classifier"; }
  // The file of component `name` (classifier, decoder, laplace, ensemble_K) in this bundle.
  std::string componentPath(const std::string& name) const;
  int64_t numClasses() const { return int64_t(manifest.classNames.size()); }
  // Batched helpers on `device`, results on `device`. x: [N, C, H, W] in [0, 1].
  torch::Tensor encode(const torch::Tensor& x) const;
  torch::Tensor classify(const torch::Tensor& z) const;
  torch::Tensor decode(const torch::Tensor& z) const;  // throws BundleError when there is no decoder
  // Deterministic head (epistemic = 0) or the Laplace BLL; throws BundleError if no posterior.
  BllHead head(HeadMode mode) const;
};

// Loads and validates every component (dry runs: shapes, and finite values on test inputs). Every
// file is checked against the manifest's fingerprint (Manifest::fingerprints) before LibTorch reads
// it. Throws BundleError / ModelLoadError naming the file: missing directory or manifest, newer
// format, a required component (the classifier or encoder, the decoder, the posterior) that is not
// the bundle's own file or not TorchScript, a decoder whose d or output shape disagrees with the
// encoder, a posterior of the wrong size. An optional component (the DVAE, the VAE, the ensemble)
// that fails is left out, with the reason in dvaeProblem, vaeProblem or ensembleProblem.
// `parts` skips components a caller does not need (the explorer needs neither VAE nor ensemble).
struct BundleParts {
  bool vae = true;
  bool ensemble = true;
  bool dvae = true;
};
Bundle loadBundle(const std::string& dir, const torch::Device& device, BundleParts parts = {});

// Component `name` of `b` (its file checked against the manifest's fingerprint). Throws
// ModelLoadError naming the file, what the manifest records and what was found.
torch::jit::Module loadComponent(const Bundle& b, const std::string& name, const torch::Device& device,
                                 const std::vector<std::string>& methods);
// Loads b.vae when it is not loaded yet (the explorer loads it when vae-clue first runs): checked
// and dry-run as loadBundle does. Throws BundleError with the reason (kept in b.vaeProblem).
void loadVae(Bundle& b);
// Sets mf.fingerprints to those of the files in `dir`: each component's under its name, each
// checkpoint's under its path (what train, import and train-dvae record), and the records that tie
// the DVAE and the checkpoints to the classifier. Throws BundleError naming a file that cannot be read.
void recordFingerprints(Manifest& mf, const std::string& dir);

// The latent caches (cache/latents_*.pt, pickled so that Python's torch.load reads them) hold
// what one classifier made of one set of images. The key kept beside each (cache/latents_*.pt.key)
// is a checksum of the classifier file's bytes with the dataset's name and image count, so a
// replaced classifier never gets another's latents; its second line is the fingerprint of the
// cache file itself, so a cache altered in place is computed again.
// "HEX16 N bytes": FNV-1a 64 of the file's bytes and its size ("" when it cannot be read).
// `why`, when given, gets the reason a file could not be read (a device, a pipe, too large).
std::string fileFingerprint(const std::string& path, std::string* why = nullptr);
std::string latentCacheKey(const std::string& classifierFile, const std::string& dataset, int64_t images);
// Writes both files atomically. Throws InputError when they cannot be written.
void saveLatentCache(const std::string& path, const torch::Tensor& z, const std::string& key);
// The cached latents when the file holds a finite float [n, d] tensor and its key matches;
// otherwise an undefined tensor (never throws).
torch::Tensor loadLatentCache(const std::string& path, const std::string& key, int64_t n, int64_t d);

struct Dataset;
// The latents of `data` from `cache/<name>` when its key matches this classifier; otherwise computed
// in batches on the bundle's device (with progress; CancelledError when `cancel` is set), checked
// finite (ModelLoadError naming the classifier) and written back atomically when the folder is
// writable. [N, d] float32 on the CPU.
torch::Tensor bundleLatents(const Bundle& b, const Dataset& data, const std::string& name, const ProgressFn& progress,
                            const std::atomic<bool>* cancel);

// Reads the affine head off classify(): b = f(0), W[:, j] = f(e_j) - b, checked on random z.
// Returns false (and leaves W, b undefined) when classify is not affine.
bool extractAffineHead(const torch::jit::Module& classifier, int64_t latentDim, const torch::Device& device,
                       torch::Tensor& W, torch::Tensor& b);

}  // namespace latentlab
