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

namespace latentlab {

namespace {

using Clock = std::chrono::steady_clock;

template <class T>
std::vector<T> toVector(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().cpu();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

}  // namespace

struct Explorer::Impl {
  Bundle bundle;
  DatasetSplit data;
  std::optional<BllHead> lap;
  std::optional<BllHead> det;
  std::shared_ptr<const PointTable> table;
  std::mutex clueMutex;  // the lazily loaded parts of counterfactuals
  std::optional<Prototypes> prototypes;
  torch::Tensor trainMean;  // [C, H, W] on the device: IG's mean baseline (made on first use)
  torch::Tensor latents;    // [n, d] CPU, the table's latents (for nearest-neighbour queries)

  // An attribution's options against this model (InputError / BundleError naming `where`).
  void checkAttribution(const AttributionOptions& o, const char* where) const {
    checkAttributionOptions(o, table->K, where);
    if (o.target.needsHead()) requireClassifier(where);
    if (o.target.needsHead() && o.head == HeadKind::Laplace && !lap)
      throw BundleError(std::string("[") + where + "] the laplace head needs a posterior, and the bundle has none (" +
                        bundle.dir + ")");
  }

  // BundleError for what needs a classifier head, on a label-free bundle.
  void requireClassifier(const char* where) const {
    if (!det)
      throw BundleError(std::string("[") + where + "] this bundle's encoder was trained without labels (" +
                        bundle.objective +
                        "): it has no classifier, so no prediction or uncertainty to explain; the label-free target "
                        "works (target=labelfree) (" +
                        bundle.dir + ")");
  }

  void checkDvae(const char* where) const {
    if (!bundle.dvae && !bundle.dvaeProblem.empty())
      throw BundleError(std::string("[") + where + "] " + bundle.dvaeProblem);
    if (!bundle.dvae)
      throw BundleError(std::string("[") + where + "] this bundle has no DVAE; add one with `latentlab train-dvae " +
                        bundle.dir + "`");
  }
  // Throws ModelLoadError naming the file unless `code` is [rows, n] of 0 and 1 (bits() on real data).
  void checkCode(const torch::Tensor& code) const {
    if (code.dim() != 2 || code.size(1) != bundle.dvaeBits ||
        !torch::logical_or(code == 0, code == 1).all().item<bool>())
      throw ModelLoadError("[dvae] bits() gives other than " + std::to_string(bundle.dvaeBits) + " bits of 0 or 1 (" +
                           bundle.componentPath("dvae") + ")");
  }
  // A code from the UI as a [1, n] float tensor on the device; InputError naming `where`.
  torch::Tensor codeTensor(const std::vector<uint8_t>& bits, const char* where) const {
    checkDvae(where);
    if (int64_t(bits.size()) != bundle.dvaeBits)
      throw InputError(std::string("[") + where + "] a code of " + std::to_string(bits.size()) +
                       " bits; the DVAE has " + std::to_string(bundle.dvaeBits));
    std::vector<float> f(bits.size());
    for (size_t i = 0; i < bits.size(); ++i) {
      if (bits[i] > 1)
        throw InputError(std::string("[") + where + "] bit " + std::to_string(i) + " is " + std::to_string(bits[i]) +
                         ", not 0 or 1");
      f[i] = float(bits[i]);
    }
    return torch::tensor(f).reshape({1, int64_t(f.size())}).to(bundle.device);
  }
  torch::Tensor decodeCodes(const torch::Tensor& codes) const {
    torch::Tensor z;
    try {
      z = callTensor(*bundle.dvae, "decode", codes);
    } catch (const std::exception& e) {
      throw ModelLoadError("[dvae] decode failed: " + torchErrorSummary(e) + " (" + bundle.componentPath("dvae") + ")");
    }
    if (z.dim() != 2 || z.size(0) != codes.size(0) || z.size(1) != table->d)
      throw ModelLoadError("[dvae] decode gives other than one latent of d=" + std::to_string(table->d) +
                           " per code (" + bundle.componentPath("dvae") + ")");
    if (!torch::isfinite(z).all().item<bool>())
      throw ModelLoadError("[dvae] the DVAE decodes this code to non-finite values (" + bundle.componentPath("dvae") +
                           ")");
    return z;
  }
  // The concepts part of an evaluation of z [1, d] (explorer.h, LatentEval::bits).
  void concepts(LatentEval& r, const torch::Tensor& z, const std::vector<uint8_t>& asked) const {
    const auto t0 = Clock::now();
    torch::Tensor code = asked.empty() ? callTensor(*bundle.dvae, "bits", z) : codeTensor(asked, "flip");
    checkCode(code);
    const int64_t n = code.size(1);
    // Row 0: the code itself; row 1 + i: bit i flipped.
    torch::Tensor codes = code.repeat({n + 1, 1});
    codes.slice(0, 1).sub_(torch::eye(n, codes.options())).abs_();
    torch::Tensor zs = decodeCodes(codes);
    const Predictive p = (lap ? *lap : *det).predict(zs);
    r.bits = toVector<uint8_t>(code.to(torch::kCPU, torch::kUInt8));
    r.codeProbs = toVector<float>(p.probs[0].to(torch::kCPU, torch::kFloat32));
    r.flipLatents = toVector<float>(zs.slice(0, 1).to(torch::kCPU, torch::kFloat32));
    r.flipProbs = toVector<float>(p.probs.slice(0, 1).to(torch::kCPU, torch::kFloat32));
    r.flipTotal = toVector<float>(p.total.slice(0, 1).to(torch::kCPU, torch::kFloat32));
    for (int64_t v : toVector<int64_t>(p.probs.slice(0, 1).argmax(1).cpu())) r.flipPred.push_back(int(v));
    if (bundle.decoder) r.flipImages = toVector<float>(bundle.decode(zs.slice(0, 1)).to(torch::kCPU, torch::kFloat32));
    for (float v : r.flipProbs)
      if (!std::isfinite(v))
        throw ModelLoadError("[explorer] non-finite probabilities at a flipped code (" + bundle.dir + ")");
    r.conceptsMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }

  // The neighbours and the live saliency of an evaluation (explorer.h, LatentEval).
  void finishEval(LatentEval& r, const torch::Tensor& z, int neighbours, const SaliencyRequest* saliency) const {
    const PointTable& t = *table;
    if (neighbours > 0) {
      torch::Tensor dist = (latents - z.cpu()).pow(2).sum(1);
      const int64_t k = std::min<int64_t>(neighbours, dist.size(0));
      r.neighbours = toVector<int64_t>(std::get<1>(dist.topk(k, 0, /*largest=*/false)));
    }
    if (!saliency || r.image.empty()) return;
    const auto s0 = Clock::now();
    AttributionOptions o = saliency->options;
    o.path = AttributionPath::Straight;
    AttributionOptions checked = o;
    checked.steps = std::max(1, o.steps);  // 0 (the plain gradient) is valid here
    checkAttributionOptions(checked, t.K, "saliency");
    const torch::Tensor x =
        torch::from_blob(r.image.data(), {t.C, t.H, t.W}, torch::kFloat32).clone().to(bundle.device);
    ImageScalarFn F;
    if (!o.target.needsHead()) {  // label-free: <phi(g(z)), phi(.)>
      F = labelFreeFunction(bundle, bundle.encode(x.unsqueeze(0))[0]);
    } else {
      if (!det)
        throw BundleError(
            "[saliency] this bundle's encoder was trained without labels: only the label-free target has a map");
      F = attributionFunction(bundle, o.head == HeadKind::Laplace && lap ? *lap : *det, o.target);
    }
    r.saliency = o.steps <= 0
                     ? inputGradient(F, x)
                     : integratedGradients(F, x, torch::zeros_like(x), o.steps, Quadrature::Midpoint).attribution;
    r.saliencyMs = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
  }

  // Point i's image [C, H, W] (test points first, then training points); InputError naming `where`.
  torch::Tensor imageOf(int64_t i, const char* where) const {
    const PointTable& t = *table;
    if (i < 0 || i >= t.n)
      throw InputError(std::string("[") + where + "] point " + std::to_string(i) + " is not one of the " +
                       std::to_string(t.n));
    const bool train = i >= t.numTest;
    return (train ? data.train : data.test).images[train ? i - t.numTest : i];
  }

  // Fills the per-point columns for rows [from, n) of `t` from latents z [m, d] and images.
  void appendPoints(PointTable& t, const torch::Tensor& z, const Dataset& ds, bool train) {
    torch::NoGradGuard ng;
    const int64_t m = z.size(0);
    std::vector<torch::Tensor> probs, tot, alea, epi, pdet;
    for (int64_t i = 0; i < m && !t.hasClassifier; i += 4096) {  // a label-free encoder: no prediction, no U
      const int64_t e = std::min(m, i + 4096);
      probs.push_back(torch::full({e - i, t.K}, 1.0 / double(t.K)));
      tot.push_back(torch::zeros({e - i}));
      alea.push_back(torch::zeros({e - i}));
      epi.push_back(torch::zeros({e - i}));
      pdet.push_back(torch::full({e - i}, -1, torch::kInt64));
    }
    for (int64_t i = 0; i < m && t.hasClassifier; i += 4096) {
      torch::Tensor zb = z.slice(0, i, std::min(m, i + 4096)).to(bundle.device);
      Predictive p;
      try {
        p = (lap ? *lap : *det).predict(zb);
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {  // a user's classify() that raises on real latents
        throw ModelLoadError("[explorer] the head failed on latents " + std::to_string(i) + "..: " +
                             torchErrorSummary(e) + " (" + bundle.componentPath(lap ? "laplace" : "classifier") + ")");
      }
      probs.push_back(p.probs.cpu());
      tot.push_back(p.total.cpu());
      alea.push_back(p.aleatoric.cpu());
      epi.push_back(p.epistemic.cpu());
      pdet.push_back(det->predict(zb).probs.argmax(1).cpu());
    }
    torch::Tensor P = torch::cat(probs).to(torch::kFloat32);
    requireFiniteRows(P, "explorer", "probabilities", train ? "training images" : "test images",
                      bundle.componentPath(lap ? "laplace" : "classifier"));
    auto append = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
    append(t.latents, toVector<float>(z.to(torch::kFloat32)));
    append(t.probs, toVector<float>(P));
    for (int64_t v : toVector<int64_t>(P.argmax(1))) t.preds.push_back(t.hasClassifier ? int(v) : -1);
    for (int64_t v : toVector<int64_t>(torch::cat(pdet))) t.predsDet.push_back(int(v));
    for (int64_t v : toVector<int64_t>(ds.labels)) t.labels.push_back(int(v));
    append(t.total, toVector<float>(torch::cat(tot).to(torch::kFloat32)));
    append(t.aleatoric, toVector<float>(torch::cat(alea).to(torch::kFloat32)));
    append(t.epistemic, toVector<float>(torch::cat(epi).to(torch::kFloat32)));
    // Grey thumbnails in a plain loop: LibTorch 1.13's elementwise chain took 0.35 s for 10k here.
    {
      torch::Tensor img = ds.images.to(torch::kCPU, torch::kFloat32).contiguous();
      const float* src = img.data_ptr<float>();
      const int64_t c = img.size(1), hw = img.size(2) * img.size(3);
      const size_t base = t.pixels.size();
      t.pixels.resize(base + size_t(m * hw));
      for (int64_t i = 0; i < m; ++i)
        for (int64_t p = 0; p < hw; ++p) {
          float v = 0;
          for (int64_t ch = 0; ch < c; ++ch) v += src[(i * c + ch) * hw + p];
          v = std::min(1.0f, std::max(0.0f, v / float(c)));
          t.pixels[base + size_t(i * hw + p)] = uint8_t(v * 255.0f + 0.5f);
        }
    }
    t.isTrain.insert(t.isTrain.end(), size_t(m), uint8_t(train ? 1 : 0));
    for (int64_t i = 0; i < m; ++i) t.splitIndex.push_back(i);
    t.n += m;
    torch::Tensor all = torch::from_blob(t.latents.data(), {t.n, t.d}, torch::kFloat32);
    t.zLo = toVector<float>(std::get<0>(all.min(0)));
    t.zHi = toVector<float>(std::get<0>(all.max(0)));
  }
};

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
  } else {
    s.data = loadNamedDataset(b.manifest.dataset, b.manifest.splitSeed);
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

std::shared_ptr<const PointTable> Explorer::points() const { return m->table; }

std::shared_ptr<const PointTable> Explorer::addTrainPoints(const ProgressFn& progress,
                                                           const std::atomic<bool>* cancel) {
  if (m->table->n > m->table->numTest) return m->table;
  if (m->data.train.size() == 0)
    m->data.train = loadNamedDataset(m->bundle.manifest.dataset, m->bundle.manifest.splitSeed).train;
  checkCancel(cancel, "explorer");
  torch::Tensor z = bundleLatents(m->bundle, m->data.train, "latents_train.pt", progress, cancel);
  checkCancel(cancel, "explorer");
  auto t = std::make_shared<PointTable>(*m->table);
  m->appendPoints(*t, z, m->data.train, true);
  m->latents = torch::cat({m->latents, z});
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
    Dataset ood = loadOodDataset(r.oodName);
    checkCancel(cancel, "explorer");
    if (ood.images.sizes().slice(1) != m->data.test.images.sizes().slice(1))
      throw InputError("[explorer] OOD images " + r.oodName + " have another shape than the bundle's input");
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

ClueResult Explorer::counterfactual(const ClueOptions& o, int64_t point, const std::vector<float>& z0,
                                    const std::function<bool(int, const std::vector<float>&, float)>& onStep,
                                    const ProgressFn& progress, const std::atomic<bool>* cancel) const {
  std::lock_guard<std::mutex> lock(m->clueMutex);
  Bundle& b = m->bundle;
  const PointTable& t = *m->table;
  checkClueOptions(o, t.K, "clue");
  m->requireClassifier("clue");
  if (o.method == ClueMethod::VaeClue && !b.vae) {
    if (b.manifest.components.count("vae") == 0)
      throw BundleError("[clue] vae-clue needs the bundle's VAE, and it has none (" + b.dir + ")");
    b.vae = loadScript(b.componentPath("vae"), b.device, {"encode", "decode"});
  }
  ClueContext ctx = makeClueContext(b, o, m->latents.slice(0, 0, t.numTest));
  if (o.method == ClueMethod::Regene) {
    if (!m->prototypes || m->prototypes->k != o.prototypes)
      m->prototypes = bundlePrototypes(b, o.prototypes, progress, cancel);
    ctx.prototypes = &*m->prototypes;
  }
  std::vector<ClueResult> r;
  if (point >= 0) {
    r = explainPoints(ctx, o, m->imageOf(point, "clue").unsqueeze(0), m->latents.slice(0, point, point + 1), cancel,
                      onStep);
  } else {
    if (int64_t(z0.size()) != t.d)
      throw InputError("[clue] a latent of " + std::to_string(z0.size()) +
                       " values, the model has d=" + std::to_string(t.d));
    std::vector<float> zc = z0;
    r = explainLatents(ctx, o, torch::from_blob(zc.data(), {1, t.d}, torch::kFloat32).clone(), cancel, onStep);
  }
  return r.at(0);
}

namespace {

// phi of each node's input (the IG path on the map): [m, d] flat.
std::vector<float> encodeNodes(const Bundle& b, const AttributionResult& r) {
  torch::NoGradGuard ng;
  const int64_t P = r.pixels(), steps = r.steps();
  std::vector<float> inputs(size_t(steps * P));
  for (int64_t k = 0; k < steps; ++k) {
    const std::vector<float> xi =
        r.isPath() ? std::vector<float>(r.nodeInputs.begin() + k * P, r.nodeInputs.begin() + (k + 1) * P)
                   : r.inputAt(r.alphas[size_t(k)]);
    std::copy(xi.begin(), xi.end(), inputs.begin() + k * P);
  }
  const torch::Tensor zs = b.encode(torch::from_blob(inputs.data(), {steps, r.C, r.H, r.W}, torch::kFloat32).clone());
  return toVector<float>(zs.to(torch::kFloat).cpu());
}

}  // namespace

AttributionResult Explorer::attribution(const AttributionOptions& o, int64_t point, const std::vector<float>& z,
                                        std::vector<float>* pathLatents, const std::atomic<bool>* cancel) const {
  std::lock_guard<std::mutex> lock(m->clueMutex);
  const Bundle& b = m->bundle;
  const PointTable& t = *m->table;
  m->checkAttribution(o, "ig");
  torch::Tensor x;
  if (point >= 0) {
    x = m->imageOf(point, "ig");
  } else {
    if (int64_t(z.size()) != t.d)
      throw InputError("[ig] a latent of " + std::to_string(z.size()) +
                       " values, the model has d=" + std::to_string(t.d));
    if (!b.decoder)
      throw BundleError("[ig] an edited point's image is its decode, and the bundle has no decoder (" + b.dir + ")");
    torch::NoGradGuard ng;
    std::vector<float> zc = z;
    x = b.decode(torch::from_blob(zc.data(), {1, t.d}, torch::kFloat32).clone())[0].clamp(0, 1).cpu();
  }
  if (o.baseline == IgBaseline::Mean && !m->trainMean.defined())
    m->trainMean = m->data.train.images.to(torch::kFloat).mean(0);
  AttributionResult r = explainIg(b, o, x, m->trainMean, cancel);
  if (pathLatents) *pathLatents = encodeNodes(b, r);
  return r;
}

AttributionResult Explorer::pathAttribution(const AttributionOptions& o, int64_t point, const std::vector<float>& zPath,
                                            std::vector<float>* pathLatents, const std::atomic<bool>* cancel) const {
  std::lock_guard<std::mutex> lock(m->clueMutex);
  const Bundle& b = m->bundle;
  const PointTable& t = *m->table;
  m->checkAttribution(o, "latent-ig");
  if (!b.decoder)
    throw BundleError("[latent-ig] a latent path is decoded, and the bundle has no decoder (" + b.dir + ")");
  if (zPath.empty() || zPath.size() % size_t(t.d) != 0)
    throw InputError("[latent-ig] the path must hold whole latents of d=" + std::to_string(t.d));
  const int64_t K1 = int64_t(zPath.size()) / t.d;
  std::vector<float> zc = zPath;
  const torch::Tensor path = torch::from_blob(zc.data(), {K1, t.d}, torch::kFloat32).clone();
  torch::Tensor x;
  if (point >= 0) {
    x = m->imageOf(point, "latent-ig");
  } else {
    torch::NoGradGuard ng;
    x = b.decode(path.slice(0, K1 - 1, K1).to(b.device))[0].cpu();
  }
  const BllHead head = b.head(o.head == HeadKind::Laplace ? HeadMode::Samples : HeadMode::Deterministic);
  AttributionResult r = latentPathAttribution(b, attributionFunction(b, head, o.target), path, x, o.steps, cancel);
  r.target = attributionTargetName(o.target);
  r.head = headKindName(o.head);
  if (pathLatents) *pathLatents = encodeNodes(b, r);
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

namespace latentlab {

ExampleScores Explorer::examples(const ExampleOptions& o, int64_t point, const std::vector<float>& z,
                                 const ProgressFn& progress, const std::atomic<bool>* cancel) const {
  const PointTable& t = *m->table;
  const char* where = exampleMethodName(o.method);
  if (t.n == t.numTest || m->data.train.size() != t.n - t.numTest)
    throw InputError(std::string("[") + where +
                     "] the training points are not loaded; show them first (they are what is scored)");
  if (point >= t.n)
    throw InputError(std::string("[") + where + "] point " + std::to_string(point) + " is not one of the " +
                     std::to_string(t.n));
  if (point < 0 && int64_t(z.size()) != t.d)
    throw InputError(std::string("[") + where + "] the latent has " + std::to_string(z.size()) + " values; d is " +
                     std::to_string(t.d));
  const torch::Tensor Z = m->latents.slice(0, t.numTest, t.n);
  torch::Tensor zt, x;
  int64_t y = 0;
  if (point >= 0) {
    zt = m->latents[point];
    if (o.method == ExampleMethod::Tracin) {
      x = m->imageOf(point, where);
      y = t.labels[size_t(point)];
    }
  } else {
    zt = torch::tensor(z, torch::kFloat);
    if (o.method == ExampleMethod::Tracin) {
      torch::NoGradGuard ng;
      const torch::Tensor zd = zt.unsqueeze(0).to(m->bundle.device);
      x = m->bundle.decode(zd)[0].to(torch::kCPU, torch::kFloat);
      y = m->det ? (m->lap ? *m->lap : *m->det).predict(zd).probs.argmax(1).item<int64_t>() : 0;  // label-free: unused
    }
  }
  return exampleScores(m->bundle, o, zt, Z, x, y, m->data.train, progress, cancel,
                       /*keep=*/64);  // the panel shows <= 16
}

}  // namespace latentlab
