#include "latentlab/explorer/explorer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "latentlab/attribution/attribution_torch.h"
#include "latentlab/clue/clue_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/examples/examples_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/metrics.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

#include "explorer/explorer_impl.h"

namespace latentlab {

Explorer::Explorer() : m(std::make_unique<Impl>()) {}
Explorer::~Explorer() = default;

std::unique_ptr<Explorer> Explorer::open(const std::string& bundleDir, const std::string& device,
                                         const ProgressFn& progress, const std::atomic<bool>* cancel) {
  std::unique_ptr<Explorer> e(new Explorer());
  Impl& s = *e->m;
  const bool trace = std::getenv("LATENTLAB_TRACE") != nullptr;
  auto t0 = Clock::now();
  auto mark = [&](const char* what) {
    if (trace)
      std::fprintf(stderr, "explorer: %-10s %7.1f ms\n", what,
                   std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    t0 = Clock::now();
  };
  s.bundle = loadBundle(bundleDir, parseDevice(device), BundleParts{false, false});
  mark("bundle");
  checkCancel(cancel, "explorer");
  const Bundle& b = s.bundle;
  if (!b.decoder)
    throw BundleError("[explorer] the bundle has no decoder; drag-to-decode needs one (" + bundleDir + ")");
  if (b.labelFree() && b.numClasses() == 0)
    throw BundleError("[explorer] the label-free bundle names no classes of its dataset (" + bundleDir + ")");
  // Only the test split at start (Fashion-MNIST's 60k training images cost a second to inflate);
  // the training split is read when the user asks for the training points.
  if (b.manifest.dataset == "fashion-mnist") {
    const fs::path dir = fashionMnistDir();
    s.data.test =
        loadIdxDataset((dir / "t10k-images-idx3-ubyte.gz").string(), (dir / "t10k-labels-idx1-ubyte.gz").string(),
                       b.manifest.classNames, b.manifest.dataset);
    s.data.test.images = withChannels(s.data.test.images, b.manifest.inputShape[0]);  // a --channels 3 bundle
  } else {
    s.data = loadManifestDataset(b.manifest);
  }
  mark("dataset");
  const Dataset& test = s.data.test;
  if (test.images.size(1) != b.manifest.inputShape[0] || test.images.size(2) != b.manifest.inputShape[1] ||
      test.images.size(3) != b.manifest.inputShape[2])
    throw BundleError("[explorer] dataset '" + b.manifest.dataset + "' images do not match the bundle's input shape (" +
                      bundleDir + ")");
  if (!b.labelFree()) s.det = b.head(HeadMode::Deterministic);
  if (b.laplace) s.lap = b.head(HeadMode::Samples);
  checkCancel(cancel, "explorer");
  torch::Tensor z = bundleLatents(b, test, "latents_test.pt", progress, cancel);
  mark("latents");
  auto t = std::make_shared<PointTable>();
  t->d = b.latentDim();
  t->K = b.numClasses();
  t->C = b.manifest.inputShape[0];
  t->H = b.manifest.inputShape[1];
  t->W = b.manifest.inputShape[2];
  t->classNames = b.manifest.classNames;
  t->hasClassifier = !b.labelFree();
  t->objective = b.objective;
  s.appendPoints(*t, z, test, false);
  t->numTest = t->n;
  mark("points");
  s.latents = z;
  s.table = t;
  return e;
}

namespace explorer_detail {
void appendThumbnails(PointTable& t, const torch::Tensor& images) {
  torch::Tensor img = images.to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t m = img.size(0), c = img.size(1), h = img.size(2), w = img.size(3);
  const int64_t f = std::max<int64_t>(1, (std::max(h, w) + 63) / 64);  // whole factor: sides <= 64
  t.thumbC = c == 3 ? 3 : 1;
  t.thumbH = h / f;
  t.thumbW = w / f;
  const int64_t th = t.thumbH, tw = t.thumbW, tc = t.thumbC;
  const float* src = img.data_ptr<float>();
  const size_t base = t.pixels.size();
  t.pixels.resize(base + size_t(m * th * tw * tc));
  const float norm = 1.0f / float(f * f * (tc == c ? 1 : c));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t y = 0; y < th; ++y)
      for (int64_t x = 0; x < tw; ++x)
        for (int64_t k = 0; k < tc; ++k) {
          float v = 0;  // the mean of the f x f block (of every channel, for a grey thumbnail of C != 1, 3)
          for (int64_t ch = (tc == c ? k : 0); ch < (tc == c ? k + 1 : c); ++ch)
            for (int64_t dy = 0; dy < f; ++dy)
              for (int64_t dx = 0; dx < f; ++dx) v += src[((i * c + ch) * h + y * f + dy) * w + x * f + dx];
          v = std::min(1.0f, std::max(0.0f, v * norm));
          t.pixels[base + size_t(((i * th + y) * tw + x) * tc + k)] = uint8_t(v * 255.0f + 0.5f);
        }
}
void truncateRows(PointTable& t, int64_t rows) {
  const size_t r = size_t(rows);
  t.latents.resize(r * size_t(t.d));
  t.probs.resize(r * size_t(t.K));
  for (auto* v : {&t.labels, &t.preds, &t.predsDet}) v->resize(r);
  for (auto* v : {&t.total, &t.aleatoric, &t.epistemic}) v->resize(r);
  t.isTrain.resize(r);
  t.splitIndex.resize(r);
  t.pixels.resize(r * size_t(t.thumbH * t.thumbW * t.thumbC));
  const int64_t extrasKept = std::max<int64_t>(0, rows - t.numData());
  for (auto* v : {&t.extraName, &t.extraPath, &t.extraHash, &t.extraLayer}) v->resize(size_t(extrasKept));
  t.extraKind.resize(size_t(extrasKept));
  t.numExtra = extrasKept;
  t.n = rows;
}
}  // namespace explorer_detail

std::string Explorer::oodName() const { return m->bundle.manifest.defaultOod; }

std::shared_ptr<const PointTable> Explorer::points() const { return m->table; }

std::shared_ptr<const PointTable> Explorer::addTrainPoints(const ProgressFn& progress,
                                                           const std::atomic<bool>* cancel) {
  if (m->table->hasTrain()) return m->table;
  if (m->data.train.size() == 0) m->data.train = loadManifestDataset(m->bundle.manifest).train;
  checkCancel(cancel, "explorer");
  torch::Tensor z = bundleLatents(m->bundle, m->data.train, "latents_train.pt", progress, cancel);
  checkCancel(cancel, "explorer");
  // Rows: test, train, then the added points (moved after the training split).
  const PointTable& old = *m->table;
  auto t = std::make_shared<PointTable>(old);
  const int64_t keep = old.numData();
  explorer_detail::truncateRows(*t, keep);
  m->appendPoints(*t, z, m->data.train, true);
  torch::Tensor extraZ = m->latents.slice(0, keep, old.n);
  if (old.numExtra > 0) m->appendExtraRows(*t, extraZ, m->extraImages, old);
  m->latents = torch::cat({m->latents.slice(0, 0, keep), z, extraZ});
  m->table = t;
  return t;
}

int Explorer::dvaeBits() const { return m->bundle.dvae ? int(m->bundle.dvaeBits) : 0; }
const std::string& Explorer::dvaeProblem() const { return m->bundle.dvaeProblem; }

std::vector<uint8_t> Explorer::dvaeCode(const std::vector<float>& zIn) const {
  m->checkDvae("dvae");
  if (int64_t(zIn.size()) != m->table->d)
    throw InputError("[dvae] latent has " + std::to_string(zIn.size()) +
                     " values, the model needs d=" + std::to_string(m->table->d));
  torch::NoGradGuard ng;
  std::vector<float> zc = zIn;
  torch::Tensor z = torch::from_blob(zc.data(), {1, m->table->d}, torch::kFloat32).to(m->bundle.device);
  torch::Tensor code = callTensor(*m->bundle.dvae, "bits", z);
  m->checkCode(code);
  return toVector<uint8_t>(code.to(torch::kCPU, torch::kUInt8));
}

std::vector<float> Explorer::dvaeDecode(const std::vector<uint8_t>& bits) const {
  torch::NoGradGuard ng;
  return toVector<float>(m->decodeCodes(m->codeTensor(bits, "dvae")).to(torch::kCPU, torch::kFloat32));
}

LatentEval Explorer::evaluate(const std::vector<float>& zIn, int neighbours, const SaliencyRequest* saliency,
                              const ConceptRequest* concepts) const {
  const auto t0 = Clock::now();
  const PointTable& t = *m->table;
  if (int64_t(zIn.size()) != t.d)
    throw InputError("[explorer] latent has " + std::to_string(zIn.size()) +
                     " values, the model needs d=" + std::to_string(t.d));
  torch::NoGradGuard ng;
  std::vector<float> zc = zIn;
  torch::Tensor z = torch::from_blob(zc.data(), {1, t.d}, torch::kFloat32).to(m->bundle.device);
  LatentEval r;
  r.latent = zIn;
  Predictive p, q;
  try {
    torch::Tensor img = m->bundle.decode(z);
    r.image = toVector<float>(img.to(torch::kCPU, torch::kFloat32));
    if (!t.hasClassifier) {  // a label-free encoder: the decode, the neighbours, the saliency; no prediction
      r.pred = r.predDet = r.predRound = -1;
      for (float x : r.image)
        if (!std::isfinite(x))
          throw ModelLoadError("[explorer] the model gives non-finite decoded pixels at this latent (" + m->bundle.dir +
                               ")");
      m->finishEval(r, z, neighbours, saliency);
      r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      return r;
    }
    p = (m->lap ? *m->lap : *m->det).predict(z);
    q = m->det->predict(z);
    const Predictive rt = (m->lap ? *m->lap : *m->det).predict(m->bundle.encode(img));
    r.totalRound = rt.total.item<float>();
    r.predRound = int(rt.probs.argmax(1).item<int64_t>());
    r.probRound = rt.probs[0][r.predRound].item<float>();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // a user's decode() or classify() that raises at this latent
    throw ModelLoadError("[explorer] the model failed at this latent: " + torchErrorSummary(e) + " (" + m->bundle.dir +
                         ")");
  }
  r.probs = toVector<float>(p.probs.to(torch::kCPU, torch::kFloat32));
  r.probsDet = toVector<float>(q.probs.to(torch::kCPU, torch::kFloat32));
  r.total = p.total.item<float>();
  r.aleatoric = p.aleatoric.item<float>();
  r.epistemic = p.epistemic.item<float>();
  r.totalDet = q.total.item<float>();
  for (const auto* v : {&r.image, &r.probs, &r.probsDet})
    for (float x : *v)
      if (!std::isfinite(x))
        throw ModelLoadError(std::string("[explorer] the model gives non-finite ") +
                             (v == &r.image ? "decoded pixels" : "probabilities") + " at this latent (" +
                             m->bundle.dir + ")");
  r.pred = int(std::max_element(r.probs.begin(), r.probs.end()) - r.probs.begin());
  r.predDet = int(std::max_element(r.probsDet.begin(), r.probsDet.end()) - r.probsDet.begin());
  m->finishEval(r, z, neighbours, saliency);
  if (concepts && m->bundle.dvae) {
    try {  // a DVAE that fails here takes the Concepts tab down, not the inspector
      m->concepts(r, z, concepts->bits);
    } catch (const std::exception& e) {
      r.bits.clear();
      r.conceptsError = dynamic_cast<const Error*>(&e)
                            ? e.what()
                            : "[dvae] the DVAE failed at this latent: " + torchErrorSummary(e) + " (" +
                                  m->bundle.componentPath("dvae") + ")";
    }
  }
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

ModelReport Explorer::modelReport(const ProgressFn& progress, const std::atomic<bool>* cancel) const {
  const PointTable& t = *m->table;
  ModelReport r;
  if (!t.hasClassifier) {
    r.error = "this encoder was trained without labels (" + t.objective + "): there is no classifier to calibrate";
    return r;
  }
  std::vector<int64_t> labels(t.labels.begin(), t.labels.begin() + t.numTest);
  std::vector<float> probs(t.probs.begin(), t.probs.begin() + t.numTest * t.K);
  ClassificationMetrics lap = classificationMetrics(probs, labels, t.K, ModelReport::kBins);
  torch::NoGradGuard ng;
  torch::Tensor zt = m->latents.slice(0, 0, t.numTest);
  Predictive pd = m->det->predict(zt.to(m->bundle.device));
  requireFiniteRows(pd.probs, "explorer", "probabilities", "test images", m->bundle.componentPath("classifier"));
  ClassificationMetrics det = classificationMetrics(toVector<float>(pd.probs.to(torch::kCPU, torch::kFloat32)), labels,
                                                    t.K, ModelReport::kBins);
  for (const auto& bin : lap.bins) {
    r.confLaplace.push_back(bin.confidence);
    r.accLaplace.push_back(bin.accuracy);
    r.countLaplace.push_back(bin.count);
  }
  for (const auto& bin : det.bins) {
    r.confDet.push_back(bin.confidence);
    r.accDet.push_back(bin.accuracy);
    r.countDet.push_back(bin.count);
  }
  r.inMi.assign(t.epistemic.begin(), t.epistemic.begin() + t.numTest);
  r.inEntropy.assign(t.total.begin(), t.total.begin() + t.numTest);
  r.oodName = m->bundle.manifest.defaultOod;
  if (r.oodName.empty()) {
    r.error = "the bundle names no OOD dataset";
    return r;
  }
  try {
    Dataset ood = loadOodFor(r.oodName, m->bundle.manifest.inputShape, &r.oodNote);
    checkCancel(cancel, "explorer");
    torch::Tensor zo = bundleLatents(m->bundle, ood, "latents_ood_" + fs::path(r.oodName).filename().string() + ".pt",
                                     progress, cancel);
    Predictive po = (m->lap ? *m->lap : *m->det).predict(zo.to(m->bundle.device));
    requireFiniteRows(po.probs, "explorer", "probabilities", "OOD images (" + r.oodName + ")",
                      m->bundle.componentPath(m->lap ? "laplace" : "classifier"));
    r.outMi = toVector<float>(po.epistemic.to(torch::kCPU, torch::kFloat32));
    r.outEntropy = toVector<float>(po.total.to(torch::kCPU, torch::kFloat32));
    r.aurocMi =
        auroc(std::vector<double>(r.inMi.begin(), r.inMi.end()), std::vector<double>(r.outMi.begin(), r.outMi.end()));
    r.aurocEntropy = auroc(std::vector<double>(r.inEntropy.begin(), r.inEntropy.end()),
                           std::vector<double>(r.outEntropy.begin(), r.outEntropy.end()));
  } catch (const CancelledError&) {
    throw;
  } catch (const std::exception& e) {
    r.error = torchErrorSummary(e);
  }
  return r;
}

const std::string& Explorer::bundleDir() const { return m->bundle.dir; }
std::string Explorer::bundleName() const {
  fs::path p = fs::path(m->bundle.dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}
nlohmann::json Explorer::manifestMetrics() const { return m->bundle.manifest.metrics; }
std::string Explorer::deviceName() const { return m->bundle.device.str(); }
bool Explorer::hasDecoder() const { return m->bundle.decoder.has_value(); }
bool Explorer::hasLaplace() const { return m->lap.has_value(); }

}  // namespace latentlab
