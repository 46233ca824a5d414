#include "latentlab/model/models_torch.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "model/model_init.h"

namespace latentlab {

std::string torchErrorSummary(const std::exception& e) {
  const c10::Error* ce = dynamic_cast<const c10::Error*>(&e);
  std::string what = ce ? ce->what_without_backtrace() : e.what();
  std::istringstream in(what);
  std::string line, first, last;
  while (std::getline(in, line)) {
    if (first.empty() && !line.empty()) first = line;
    const auto pos = line.find("Error: ");
    if (pos != std::string::npos && pos < 40) last = line;
  }
  return last.empty() ? first : last;
}

using detail::addParam;
using detail::uniformInit;

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// The classifier's convolutional encoder (also the label-free encoders'): its parameters, created
// in this order from `gen`, and the TorchScript lines from x to h, the flattened features.
void addConvEncoder(torch::jit::Module& m, int64_t c, int64_t d, int64_t flat, at::Generator& gen) {
  addParam(m, "c1w", uniformInit({32, c, 3, 3}, c * 9, gen));
  addParam(m, "c1b", uniformInit({32}, c * 9, gen));
  addParam(m, "c2w", uniformInit({64, 32, 3, 3}, 32 * 9, gen));
  addParam(m, "c2b", uniformInit({64}, 32 * 9, gen));
  addParam(m, "f1w", uniformInit({d, flat}, flat, gen));
  addParam(m, "f1b", uniformInit({d}, flat, gen));
}
std::string convFeatures(double normMean, double normStd) {
  return "    h = (x - " + num(normMean) + ") / " + num(normStd) + R"(
    h = torch.max_pool2d(torch.relu(torch.conv2d(h, self.c1w, self.c1b, [1, 1], [1, 1])), [2, 2])
    h = torch.max_pool2d(torch.relu(torch.conv2d(h, self.c2w, self.c2b, [1, 1], [1, 1])), [2, 2])
)";
}

// The ReGene decoder's transposed convolutions (also the label-free decoders'): parameters and
// decode_logits / decode.
void addDeconvDecoder(torch::jit::Module& m, int64_t c, int64_t d, int64_t flat, at::Generator& gen) {
  addParam(m, "fw", uniformInit({flat, d}, d, gen));
  addParam(m, "fb", uniformInit({flat}, d, gen));
  // conv_transpose2d weights are [in, out, kH, kW]; fan-in as PyTorch computes it (out * k * k).
  addParam(m, "t1w", uniformInit({64, 32, 4, 4}, 32 * 16, gen));
  addParam(m, "t1b", uniformInit({32}, 32 * 16, gen));
  addParam(m, "t2w", uniformInit({32, c, 4, 4}, c * 16, gen));
  addParam(m, "t2b", uniformInit({c}, c * 16, gen));
}
std::string deconvDecode(int64_t h4, int64_t w4) {
  return R"(
def decode_logits(self, z):
    h = torch.relu(torch.linear(z, self.fw, self.fb))
    h = torch.reshape(h, [z.size(0), 64, )" +
         std::to_string(h4) + ", " + std::to_string(w4) + R"(])
    h = torch.relu(torch.conv_transpose2d(h, self.t1w, self.t1b, [2, 2], [1, 1]))
    return torch.conv_transpose2d(h, self.t2w, self.t2b, [2, 2], [1, 1])

def decode(self, z):
    return torch.sigmoid(self.decode_logits(z))
)";
}

}  // namespace

torch::jit::Module makeClassifier(const Shape3& in, int64_t d, int64_t k, double normMean, double normStd,
                                  uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t c = in[0], h4 = in[1] / 4, w4 = in[2] / 4, flat = 64 * h4 * w4;
  torch::jit::Module m("LatentLabClassifier");
  addConvEncoder(m, c, d, flat, gen);
  addParam(m, "hw", uniformInit({k, d}, d, gen));
  addParam(m, "hb", uniformInit({k}, d, gen));
  m.define(R"(
def encode(self, x):
)" + convFeatures(normMean, normStd) +
           R"(    return torch.relu(torch.linear(torch.flatten(h, 1), self.f1w, self.f1b))

def classify(self, z):
    return torch.linear(z, self.hw, self.hb)

def forward(self, x):
    return self.classify(self.encode(x))
)");
  return m;
}

torch::jit::Module makeDecoder(const Shape3& in, int64_t d, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t c = in[0], h4 = in[1] / 4, w4 = in[2] / 4, flat = 64 * h4 * w4;
  torch::jit::Module m("LatentLabDecoder");
  addDeconvDecoder(m, c, d, flat, gen);
  m.define(deconvDecode(h4, w4) + R"(
def forward(self, z):
    return self.decode(z)
)");
  return m;
}

torch::jit::Module makeAutoencoder(const Shape3& in, int64_t d, const std::string& objective, double normMean,
                                   double normStd, uint64_t seed) {
  const bool vae = objective == "vae";
  if (!vae && objective != "autoencoder" && objective != "denoising-autoencoder")
    throw InputError("[train] unknown label-free objective '" + clipForMessage(objective, 40) +
                     "' (autoencoder, denoising-autoencoder or vae)");
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t c = in[0], h4 = in[1] / 4, w4 = in[2] / 4, flat = 64 * h4 * w4;
  torch::jit::Module m("LatentLabAutoencoder");
  addConvEncoder(m, c, d, flat, gen);
  if (vae) {
    addParam(m, "lvw", uniformInit({d, flat}, flat, gen));
    addParam(m, "lvb", uniformInit({d}, flat, gen));
  }
  addDeconvDecoder(m, c, d, flat, gen);
  const std::string features = R"(
def features(self, x):
)" + convFeatures(normMean, normStd) +
                               R"(    return torch.flatten(h, 1)
)";
  const std::string encode = vae ? R"(
def encode(self, x):
    return torch.linear(self.features(x), self.f1w, self.f1b)

def encode_stats(self, x):
    h = self.features(x)
    return torch.linear(h, self.f1w, self.f1b), torch.linear(h, self.lvw, self.lvb)
)"
                                 : R"(
def encode(self, x):
    return torch.relu(torch.linear(self.features(x), self.f1w, self.f1b))
)";
  m.define(features + encode + deconvDecode(h4, w4) + R"(
def forward(self, x):
    return self.decode(self.encode(x))
)");
  return m;
}

torch::jit::Module makeVae(const Shape3& in, int64_t u, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  // The CLUE paper's 400 hidden units for MNIST-sized inputs; 128 above 4096 values (a 3x64x64
  // image), which keeps a colour bundle's VAE at 13 MB rather than 39 MB.
  const int64_t pixels = in[0] * in[1] * in[2], hidden = pixels <= 4096 ? 400 : 128;
  torch::jit::Module m("LatentLabVae");
  addParam(m, "e1w", uniformInit({hidden, pixels}, pixels, gen));
  addParam(m, "e1b", uniformInit({hidden}, pixels, gen));
  addParam(m, "muw", uniformInit({u, hidden}, hidden, gen));
  addParam(m, "mub", uniformInit({u}, hidden, gen));
  addParam(m, "lvw", uniformInit({u, hidden}, hidden, gen));
  addParam(m, "lvb", uniformInit({u}, hidden, gen));
  addParam(m, "d1w", uniformInit({hidden, u}, u, gen));
  addParam(m, "d1b", uniformInit({hidden}, u, gen));
  addParam(m, "d2w", uniformInit({pixels, hidden}, hidden, gen));
  addParam(m, "d2b", uniformInit({pixels}, hidden, gen));
  m.define(R"(
def encode(self, x):
    h = torch.relu(torch.linear(torch.flatten(x, 1), self.e1w, self.e1b))
    return torch.linear(h, self.muw, self.mub), torch.linear(h, self.lvw, self.lvb)

def decode_logits(self, u):
    h = torch.relu(torch.linear(u, self.d1w, self.d1b))
    return torch.reshape(torch.linear(h, self.d2w, self.d2b), [u.size(0), )" +
           std::to_string(in[0]) + ", " + std::to_string(in[1]) + ", " + std::to_string(in[2]) + R"(])

def decode(self, u):
    return torch.sigmoid(self.decode_logits(u))

def forward(self, x):
    mu, logvar = self.encode(x)
    return self.decode(mu)
)");
  return m;
}

std::vector<torch::Tensor> parametersOf(const torch::jit::Module& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p);
  return out;
}

bool hasMethod(const torch::jit::Module& m, const std::string& name) { return m.find_method(name).has_value(); }

torch::Tensor callTensor(const torch::jit::Module& m, const std::string& method, const torch::Tensor& x) {
  return m.get_method(method)({x}).toTensor();
}

torch::jit::Module loadScript(const std::string& path, const torch::Device& device,
                              const std::vector<std::string>& requiredMethods,
                              const std::function<void(const std::string&)>& checkFingerprint) {
  std::string bytes;
  try {
    bytes = readFileChecked(path, caps::kModel, "TorchScript file");
  } catch (const InputError& e) {
    throw ModelLoadError(e.what());
  }
  if (checkFingerprint) checkFingerprint(bytesFingerprint(bytes));
  torch::jit::Module m;
  try {
    std::istringstream in(bytes);
    m = torch::jit::load(in, device);
  } catch (const std::exception& e) {
    throw ModelLoadError("[load] not a loadable TorchScript file: " + torchErrorSummary(e) + " (" + path + ")");
  }
  for (const auto& name : requiredMethods)
    if (!hasMethod(m, name)) throw ModelLoadError("[load] model has no method '" + name + "' (" + path + ")");
  m.eval();
  return m;
}

void saveScript(const torch::jit::Module& m, const std::string& path) {
  std::ostringstream out;
  try {
    m.save(out);
  } catch (const std::exception& e) {
    throw ModelLoadError("[save] " + torchErrorSummary(e) + " (" + path + ")");
  }
  try {
    writeFileAtomic(path, out.str());
  } catch (const InputError& e) {
    throw ModelLoadError(e.what());
  }
}

namespace {
std::string shapeStr(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

torch::Tensor dryCall(const torch::jit::Module& m, const std::string& method, const torch::Tensor& x,
                      const std::string& source) {
  c10::IValue out;
  try {
    out = m.get_method(method)({x});
  } catch (const std::exception& e) {
    throw ModelLoadError("[validate] " + method + "() failed on input " + shapeStr(x) + ": " + torchErrorSummary(e) +
                         " (" + source + ")");
  }
  if (!out.isTensor()) throw ModelLoadError("[validate] " + method + "() must return one Tensor (" + source + ")");
  torch::Tensor t = out.toTensor();
  if (t.scalar_type() != torch::kFloat32)
    throw ModelLoadError("[validate] " + method + "() returns " + std::string(c10::toString(t.scalar_type())) +
                         ", expected float32 (" + source + ")");
  if (!torch::isfinite(t).all().item<bool>())
    throw ModelLoadError("[validate] " + method + "() returns non-finite values (" + source + ")");
  return t;
}
}  // namespace

void checkInputChannels(const torch::jit::Module& m, const Shape3& in, const std::string& source,
                        const torch::Device& device) {
  auto refuse = [&](int64_t takes, const std::string& how) {
    throw ModelLoadError("[validate] the model " + how + " takes " + std::to_string(takes) +
                         "-channel images, but the images are " + std::to_string(in[0]) + "x" + std::to_string(in[1]) +
                         "x" + std::to_string(in[2]) + " (" + (in[0] == 1 ? "grey" : "colour") + "); " +
                         (takes == 1 || takes == 3 ? "load the data with --channels " + std::to_string(takes)
                                                   : std::string("LatentLab reads images with 1 or 3 channels")) +
                         " (" + source + ")");
  };
  torch::NoGradGuard ng;
  // A colour model's per-channel normalisation (x - mean[3]) / std[3] broadcasts a grey image to
  // three channels and runs on the wrong input without an error. Its signature: a grey image and
  // the same image replicated to three channels give the same latents (a grey model cannot take
  // three channels at all, or reads them differently).
  if (in[0] == 1) {
    auto gen = at::detail::createCPUGenerator(99);
    const torch::Tensor x1 = torch::rand({2, 1, in[1], in[2]}, gen, torch::kFloat32).to(device);
    try {
      const torch::Tensor z1 = callTensor(m, "encode", x1);
      const torch::Tensor z3 = callTensor(m, "encode", x1.expand({2, 3, in[1], in[2]}).contiguous());
      if (z1.sizes() == z3.sizes() && torch::allclose(z1, z3, 1e-5, 1e-6))
        refuse(3, "broadcasts a grey image to three channels (the same latents for it and for it replicated):");
    } catch (const ModelLoadError&) {
      throw;
    } catch (const std::exception&) {
      // One of the two does not run: the dry run below says which, or the weights do.
    }
  }
  // Otherwise the first convolution's weight [out, in/groups, k, k] names what it was made for,
  // when the model does not run on these images at all (the dry run's error would be torch's).
  for (const auto& p : m.named_parameters(/*recurse=*/true)) {
    if (p.value.dim() != 4) continue;
    const int64_t takes = p.value.size(1);
    if (takes == in[0] || (takes != 1 && takes != 3)) return;  // a grouped or later layer: no claim
    try {
      callTensor(m, "encode", torch::rand({2, in[0], in[1], in[2]}).to(device));
    } catch (const std::exception&) {
      refuse(takes, "(its first convolution " + p.name + ", weight " + shapeStr(p.value) + ")");
    }
    return;
  }
}

std::pair<int64_t, int64_t> validateClassifier(const torch::jit::Module& m, const Shape3& in, int64_t expectedClasses,
                                               const torch::Device& device, const std::string& source) {
  for (const char* name : {"encode", "classify"})
    if (!hasMethod(m, name))
      throw ModelLoadError(std::string("[validate] model has no method '") + name + "' (" + source + ")");
  torch::NoGradGuard ng;
  checkInputChannels(m, in, source, device);
  auto gen = at::detail::createCPUGenerator(1234);
  torch::Tensor x = torch::rand({2, in[0], in[1], in[2]}, gen, torch::kFloat32).to(device);
  torch::Tensor z = dryCall(m, "encode", x, source);
  if (z.dim() != 2 || z.size(0) != 2)
    throw ModelLoadError("[validate] encode(x) must return [N, d] for x " + shapeStr(x) + ", got " + shapeStr(z) +
                         " (" + source + ")");
  torch::Tensor logits = dryCall(m, "classify", z, source);
  if (logits.dim() != 2 || logits.size(0) != 2)
    throw ModelLoadError("[validate] classify(z) must return [N, K] for z " + shapeStr(z) + ", got " +
                         shapeStr(logits) + " (" + source + ")");
  if (!torch::isfinite(z).all().item<bool>() || !torch::isfinite(logits).all().item<bool>())
    throw ModelLoadError("[validate] encode or classify gives non-finite values (NaN or infinity) on test images (" +
                         source + ")");
  if (expectedClasses > 0 && logits.size(1) != expectedClasses)
    throw ModelLoadError("[validate] classify(z) gives " + std::to_string(logits.size(1)) +
                         " classes, the dataset has " + std::to_string(expectedClasses) + " (" + source + ")");
  if (hasMethod(m, "decode")) validateDecoder(m, z.size(1), in, device, source);
  return {z.size(1), logits.size(1)};
}

void validateDecoder(const torch::jit::Module& m, int64_t d, const Shape3& in, const torch::Device& device,
                     const std::string& source) {
  if (!hasMethod(m, "decode")) throw ModelLoadError("[validate] decoder has no method 'decode' (" + source + ")");
  torch::NoGradGuard ng;
  torch::Tensor z = torch::rand({2, d}).to(device);
  torch::Tensor x = dryCall(m, "decode", z, source);
  if (x.dim() != 4 || x.size(0) != 2 || x.size(1) != in[0] || x.size(2) != in[1] || x.size(3) != in[2])
    throw ModelLoadError("[validate] decode(z) must return [N, " + std::to_string(in[0]) + ", " +
                         std::to_string(in[1]) + ", " + std::to_string(in[2]) + "] for d=" + std::to_string(d) +
                         ", got " + shapeStr(x) + " (" + source + ")");
  if (!torch::isfinite(x).all().item<bool>())
    throw ModelLoadError("[validate] decode(z) gives non-finite values (NaN or infinity) (" + source + ")");
  if (x.min().item<float>() < 0.f || x.max().item<float>() > 1.f)
    throw ModelLoadError("[validate] decode(z) must return values in [0, 1] (" + source + ")");
}

void validateVae(const torch::jit::Module& m, const Shape3& in, const torch::Device& device,
                 const std::string& source) {
  for (const char* name : {"encode", "decode"})
    if (!hasMethod(m, name))
      throw ModelLoadError(std::string("[validate] the VAE has no method '") + name + "' (" + source + ")");
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(4321);
  const torch::Tensor x = torch::rand({2, in[0], in[1], in[2]}, gen, torch::kFloat32).to(device);
  torch::Tensor u, back;
  try {
    u = m.get_method("encode")({x}).toTuple()->elements().at(0).toTensor();
    back = callTensor(m, "decode", u);
  } catch (const std::exception& e) {
    throw ModelLoadError("[validate] the VAE's encode(x) must give (mean, log-variance) and decode(mean) an image: " +
                         torchErrorSummary(e) + " (" + source + ")");
  }
  if (u.dim() != 2 || u.size(0) != 2)
    throw ModelLoadError("[validate] the VAE's encode(x) must give a mean [N, k] for x " + shapeStr(x) + ", got " +
                         shapeStr(u) + " (" + source + ")");
  if (back.dim() != 4 || back.size(0) != 2 || back.size(1) != in[0] || back.size(2) != in[1] || back.size(3) != in[2])
    throw ModelLoadError("[validate] the VAE's decode must give images " + shapeStr(x) + ", got " + shapeStr(back) +
                         " (" + source + ")");
  if (!torch::isfinite(u).all().item<bool>() || !torch::isfinite(back).all().item<bool>())
    throw ModelLoadError("[validate] the VAE gives non-finite values (NaN or infinity) on test images (" + source +
                         ")");
}

torch::Tensor mapBatched(const torch::jit::Module& m, const std::string& method, const torch::Tensor& x,
                         const torch::Device& device, int64_t batchSize, const std::string& source) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> outs;
  for (int64_t i = 0; i < x.size(0); i += batchSize) {
    try {
      outs.push_back(
          callTensor(m, method, x.slice(0, i, std::min(i + batchSize, x.size(0))).to(device)).to(torch::kCPU));
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // the TorchScript interpreter's errors
      throw ModelLoadError("[model] " + method + "() failed on inputs " + std::to_string(i) + ".." +
                           std::to_string(std::min(i + batchSize, x.size(0)) - 1) + " of " + shapeStr(x) + ": " +
                           torchErrorSummary(e) + " (" + (source.empty() ? "the model" : source) + ")");
    }
  }
  if (outs.empty()) return torch::Tensor();
  return torch::cat(outs);
}

torch::Device parseDevice(const std::string& name) {
  torch::Device dev(torch::kCPU);
  try {
    dev = torch::Device(name);
  } catch (const c10::Error&) {
    throw DeviceError("[device] unknown device '" + name + "'; use cpu or cuda");
  }
  if (dev.is_cuda() && !torch::cuda::is_available())
    throw DeviceError("[device] '" + name + "' was asked for, but CUDA is not available on this machine");
  if (!dev.is_cpu() && !dev.is_cuda()) throw DeviceError("[device] unsupported device '" + name + "'; use cpu or cuda");
  return dev;
}

void requireFiniteRows(const torch::Tensor& values, const std::string& where, const std::string& what,
                       const std::string& inputs, const std::string& file) {
  if (values.numel() == 0) return;
  const torch::Tensor bad = torch::logical_not(torch::isfinite(values)).reshape({values.size(0), -1}).any(1);
  const int64_t count = bad.sum().item<int64_t>();
  if (count == 0) return;
  const torch::Tensor first = torch::nonzero(bad).flatten().slice(0, 0, 5).cpu();
  std::string list;
  for (int64_t i = 0; i < first.numel(); ++i) list += (i ? ", " : "") + std::to_string(first[i].item<int64_t>());
  throw ModelLoadError("[" + where + "] non-finite " + what + " on " + std::to_string(count) + " of " +
                       std::to_string(values.size(0)) + " " + inputs + " (first: " + list + ") (" + file + ")");
}

}  // namespace latentlab
