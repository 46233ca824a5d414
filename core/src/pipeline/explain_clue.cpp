// `latentlab explain`: counterfactuals for many test points in batches, written as a folder that
// appears whole or not at all (staged, then renamed): summary.json, points.csv, filmstrips/.
#include <stb_image_write.h>
#include <torch/torch.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>
#include <unordered_map>

#include "latentlab/clue/clue_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/explorer/decode_check.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"
#include "pipeline/explain_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace {

// Bytes that are not printable ASCII as '?', so that a binary file's junk never reaches the terminal.
std::string printable(std::string s) {
  for (char& c : s)
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) c = '?';
  return s;
}

int64_t parseWhole(const std::string& s, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const bool spaces = !s.empty() && (std::isspace((unsigned char)s.front()) || std::isspace((unsigned char)s.back()));
  const long long v = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || spaces || end != s.c_str() + s.size() || errno == ERANGE)
    throw InputError("[explain] " + what + " is not a whole number: '" + printable(clipForMessage(s, 40)) + "'");
  return v;
}

// The indices file is a regular text file of a sane size (never /dev/zero or a pipe, which would
// read forever). Throws InputError naming it.
void checkIndicesFile(const std::string& path) { checkReadableFile(path, caps::kIndexList, "indices file"); }

std::vector<int64_t> readIndices(const std::string& path, int64_t n) {
  checkIndicesFile(path);
  std::istringstream in(readFileChecked(path, caps::kIndexList, "indices file"));
  std::vector<int64_t> out;
  std::unordered_map<int64_t, int> seen;
  std::string line;
  for (int ln = 1; std::getline(in, line); ++ln) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const size_t a = line.find_first_not_of(" \t\r"), b = line.find_last_not_of(" \t\r");
    if (a == std::string::npos) continue;
    const std::string cell = line.substr(a, b - a + 1);
    int64_t v = 0;
    try {
      v = parseWhole(cell, "line " + std::to_string(ln));
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) + " (" + path + ")");
    }
    if (v < 0 || v >= n)
      throw InputError("[explain] line " + std::to_string(ln) + ": index " + std::to_string(v) +
                       " is outside the test set (0.." + std::to_string(n - 1) + ") (" + path + ")");
    if (auto [it, fresh] = seen.emplace(v, ln); !fresh)
      throw InputError("[explain] line " + std::to_string(ln) + ": index " + std::to_string(v) +
                       " is listed already (line " + std::to_string(it->second) + ") (" + path + ")");
    out.push_back(v);
  }
  if (out.empty()) throw InputError("[explain] no indices in " + path);
  return out;
}

// x0 | frames | x*, 2 pixels apart, one row per counterfactual of the point (diverse K): RGB for a
// colour bundle, grey for a grey one.
void writeFilmstrip(const std::string& path, const std::vector<const ClueResult*>& rows) {
  const ClueResult& r0 = *rows.front();
  const int64_t hw = r0.H * r0.W, img = r0.C * hw, gap = 2, oc = r0.C == 3 ? 3 : 1;
  std::vector<std::vector<const float*>> tiles;
  size_t most = 0;
  for (const ClueResult* r : rows) {
    std::vector<const float*> t{r->x0.data()};
    for (size_t f = 0; f * size_t(img) < r->frames.size(); ++f) t.push_back(r->frames.data() + f * size_t(img));
    t.push_back(r->xStar.data());
    most = std::max(most, t.size());
    tiles.push_back(std::move(t));
  }
  const int64_t w = int64_t(most) * (r0.W + gap) - gap, h = int64_t(rows.size()) * (r0.H + gap) - gap;
  std::vector<uint8_t> px(size_t(w * h * oc), 40);
  for (size_t row = 0; row < tiles.size(); ++row)
    for (size_t t = 0; t < tiles[row].size(); ++t)
      for (int64_t y = 0; y < r0.H; ++y)
        for (int64_t x = 0; x < r0.W; ++x)
          for (int64_t k = 0; k < oc; ++k) {
            float v = 0;  // channel k, or the mean of the channels for a grey strip
            for (int64_t c = oc == 3 ? k : 0; c < (oc == 3 ? k + 1 : r0.C); ++c)
              v += tiles[row][t][c * hw + y * r0.W + x];
            v = std::min(1.0f, std::max(0.0f, v / float(oc == 3 ? 1 : r0.C)));
            const int64_t py = int64_t(row) * (r0.H + gap) + y;
            px[size_t((py * w + int64_t(t) * (r0.W + gap) + x) * oc + k)] = uint8_t(v * 255.0f + 0.5f);
          }
  writePngFile(path, int(w), int(h), int(oc), px);
}

std::vector<int64_t> choosePoints(const ExplainOptions& o, const Bundle& b, const torch::Tensor& z) {
  const int64_t n = z.size(0);
  std::vector<int64_t> pts;
  if (!o.indicesFile.empty()) {
    pts = readIndices(o.indicesFile, n);
  } else if (!o.indices.empty()) {
    std::unordered_map<int64_t, size_t> seen;
    for (size_t k = 0; k < o.indices.size(); ++k) {
      const int64_t v = o.indices[k];
      if (v < 0 || v >= n)
        throw InputError("[explain] index " + std::to_string(v) + " is outside the test set (0.." +
                         std::to_string(n - 1) + ")");
      if (!seen.emplace(v, k).second) throw InputError("[explain] index " + std::to_string(v) + " is listed twice");
      pts.push_back(v);
    }
  } else {
    if (!b.laplace)
      throw BundleError("[explain] --most-uncertain ranks by the Laplace head, and the bundle has no posterior (" +
                        b.dir + ")");
    if (o.mostUncertain > n)
      throw InputError("[explain] --most-uncertain " + std::to_string(o.mostUncertain) + " is more than the " +
                       std::to_string(n) + " test points");
    torch::NoGradGuard ng;
    torch::Tensor u = torch::empty({n});
    const BllHead lap = b.head(HeadMode::Samples);
    for (int64_t i = 0; i < n; i += 4096) {
      const int64_t e = std::min(n, i + 4096);
      u.slice(0, i, e).copy_(lap.predict(z.slice(0, i, e).to(b.device)).total.cpu());
    }
    const torch::Tensor order = u.argsort(0, true).slice(0, 0, o.mostUncertain);
    for (int64_t i = 0; i < order.size(0); ++i) pts.push_back(order[i].item<int64_t>());
  }
  std::vector<int64_t> mine;
  for (size_t i = size_t(o.shardIndex); i < pts.size(); i += size_t(o.shardCount)) mine.push_back(pts[i]);
  return mine;
}

std::string csvHeader(int64_t d) {
  std::string h =
      "index,u_before,u_latent,u_roundtrip,latent_distance,input_distance,class_kept,ms_per_explanation,"
      "class_before,class_latent,class_roundtrip,picture_read_otherwise,valid,l1_x,l2_x,l1_z,l2_z,sparsity,ynn,"
      "knn_distance,knn_percentile,member,diversity_z,diversity_x,count_diversity,dpp,distinct_classes";
  for (int64_t i = 0; i < d; ++i) h += ",z" + std::to_string(i);
  return h + "\n";
}

// The model's reading of x* against its latent's (decode_check.h).
DecodeCheck pictureCheck(const ClueResult& r, const std::vector<std::string>& names) {
  return checkDecode(r.classLatent, r.uLatent, r.classRoundtrip, r.probRoundtrip(), r.uRoundtrip, names);
}

void csvRow(std::ostringstream& csv, int64_t index, const ClueResult& r, const std::vector<std::string>& names) {
  csv << index << ',' << r.uBefore << ',' << r.uLatent << ',' << r.uRoundtrip << ',' << r.latentDistance << ','
      << r.inputDistance << ',' << (r.classKept() ? 1 : 0) << ',' << r.ms << ',' << r.classBefore << ','
      << r.classLatent << ',' << r.classRoundtrip << ',' << (pictureCheck(r, names).faithful() ? 0 : 1);
  const CounterfactualQuality& q = r.quality;
  csv << ',' << (q.valid ? 1 : 0) << ',' << q.l1X << ',' << q.l2X << ',' << q.l1Z << ',' << q.l2Z << ',' << q.sparsity
      << ',' << q.yNN << ',' << q.knnDistance << ',' << q.knnPercentile << ',' << r.member;
  // The point's K together (diverse K); empty cells for a run of one counterfactual per point.
  const DiversityMeasure& dv = r.diversity;
  if (dv.computed)
    csv << ',' << dv.latent << ',' << dv.image << ',' << dv.count << ',' << dv.dpp << ',' << dv.classes;
  else
    csv << ",,,,,";
  for (float v : r.zStar) csv << ',' << v;
  csv << '\n';
}

}  // namespace

// Where the results may go: a new folder, or with --force an earlier explain folder.
void checkExplainOut(const std::string& outIn, bool force) {
  std::string out = outIn;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.empty()) throw InputError("[explain] --out is empty");
  std::error_code ec;
  const fs::path parent = fs::absolute(out, ec).parent_path();
  if (!fs::is_directory(parent, ec))
    throw InputError("[explain] the folder " + parent.string() + " (where " + out + " would go) does not exist");
  checkNotInBundle(out, "[explain]");
  if (!fs::exists(fs::symlink_status(out, ec))) return;
  if (!force)
    throw InputError("[explain] " + out +
                     " already exists; to replace an earlier explain folder, pass --force (in the "
                     "CLUE tab: tick replace)");
  bool ours = false;
  std::string why;
  if (fs::is_directory(out, ec) && !fs::is_symlink(out, ec)) {
    try {
      ours = json::parse(readFileChecked((fs::path(out) / "summary.json").string(), caps::kSummary, "summary"))
                 .value(kExplainMarker, false);
    } catch (const Error& e) {
      why = std::string(" (") + e.what() + ")";
    } catch (const std::exception&) {
      why = " (its summary.json is not JSON)";
    }
  }
  if (!ours)
    throw InputError("[explain] " + out + " is not an earlier `latentlab explain` folder" + why +
                     "; --force replaces only those");
  // Only what explain writes: anything else in it is the user's, and --force would delete it. A
  // filmstrip is explain's only when the earlier run's points.csv lists its index.
  std::set<std::string> listed;
  try {
    std::istringstream rows(readFileChecked((fs::path(out) / "points.csv").string(), caps::kSummary, "points list"));
    std::string row;
    std::getline(rows, row);  // the header
    while (std::getline(rows, row)) {
      const std::string index = row.substr(0, row.find(','));
      listed.insert((index == "-1" ? "image" : index) + ".png");  // an --image run's one row
    }
  } catch (const Error&) {
  }
  for (const auto& e : fs::recursive_directory_iterator(out, ec)) {
    const fs::path rel = e.path().lexically_relative(out);  // the entry's own name, not a link's target
    const std::string first = rel.begin() == rel.end() ? "" : rel.begin()->string();
    const bool numbered = listed.count(rel.filename().string()) != 0;
    const bool mine = rel == "summary.json" || rel == "points.csv" || rel == "filmstrips" || rel == "attribution.csv" ||
                      rel == "attribution.png" || rel == "examples.csv" || rel == "examples.png" ||
                      (first == "filmstrips" && e.is_regular_file(ec) && rel.extension() == ".png" && numbered &&
                       std::distance(rel.begin(), rel.end()) == 2);
    if (!mine)
      throw InputError("[explain] " + out + " holds " + rel.string() +
                       ", which explain did not write; --force would "
                       "delete it, so it is refused: move your files out or choose another --out");
  }
}

void writePngFile(const std::string& path, int w, int h, int channels, const std::vector<uint8_t>& px) {
  std::string bytes;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size_t(size));
  };
  if (!stbi_write_png_to_func(sink, &bytes, w, h, channels, px.data(), w * channels))
    throw InputError("[explain] could not encode " + path);
  writeFileAtomic(path, bytes);
}

void parseShard(const std::string& s, int64_t& index, int64_t& count) {
  const size_t slash = s.find('/');
  if (slash == std::string::npos)
    throw InputError("[explain] --shard must be K/N, got '" + clipForMessage(s, 40) + "'");
  const int64_t k = parseWhole(s.substr(0, slash), "--shard K"), n = parseWhole(s.substr(slash + 1), "--shard N");
  if (n < 1 || k < 0 || k >= n)
    throw InputError("[explain] --shard K/N needs 0 <= K < N, got '" + clipForMessage(s, 40) + "'");
  index = k;
  count = n;
}

json runExplain(const ExplainOptions& o, const ProgressFn& progress, const std::atomic<bool>* cancel,
                std::ostream& log) {
  using Clock = std::chrono::steady_clock;
  if (int(!o.indicesFile.empty()) + int(o.mostUncertain > 0) + int(!o.indices.empty()) + int(!o.image.empty()) != 1)
    throw InputError("[explain] give one of --indices FILE, --most-uncertain N or --image PATH");
  if (!o.image.empty() && o.shardCount != 1)
    throw InputError("[explain] --shard splits test points among jobs; --image explains one image");
  if (o.cf.target >= 0 && o.cf.method != ClueMethod::ClassChange)
    throw InputError(std::string("[explain] --target is for --method class-change; ") + clueMethodName(o.cf.method) +
                     " lowers the uncertainty");
  if (o.shardCount < 1 || o.shardIndex < 0 || o.shardIndex >= o.shardCount)
    throw InputError("[explain] --shard K/N needs 0 <= K < N");
  if (o.batch < 1) throw InputError("[explain] the batch must be at least 1");
  checkExplainOut(o.out, o.force);
  if (!o.indicesFile.empty()) checkIndicesFile(o.indicesFile);  // said before the bundle loads
  const bool needVae = o.cf.method == ClueMethod::VaeClue;
  Bundle b = loadBundle(o.bundle, parseDevice(o.device), BundleParts{needVae, false});
  if (needVae && !b.vae)
    throw BundleError(b.vaeProblem.empty()
                          ? "[explain] vae-clue needs a VAE, and the bundle has none (" + o.bundle + ")"
                          : "[explain] vae-clue: " + b.vaeProblem);
  checkClueOptions(o.cf, b.numClasses(), "explain");
  if (o.cf.head == HeadKind::Deterministic && o.cf.uncertainty == UncertaintyKind::Epistemic)
    throw InputError(
        "[explain] the deterministic head has no epistemic uncertainty (it is 0 everywhere, so nothing "
        "would move); choose --uncertainty total or aleatoric, or --head laplace");
  const DatasetSplit split = loadManifestDataset(b.manifest);
  const Dataset& testSet = split.test;
  checkCancel(cancel, "explain");
  const torch::Tensor zTest = bundleLatents(b, testSet, "latents_test.pt", progress, cancel);
  // CARLA's measures compare each counterfactual with the training latents and the test points.
  const QualityReference quality = makeQualityReference(
      bundleLatents(b, split.train, "latents_train.pt", progress, cancel), split.train.labels, zTest);
  // --image: the user's file (fitted to the input) is the one point, row 0; the test latents stay
  // the context (the data the counterfactual is kept near).
  std::string note;
  const Dataset test = o.image.empty() ? testSet : loadImageAsDataset(o.image, b.manifest.inputShape, &note);
  if (!note.empty()) log << fs::path(o.image).filename().string() << ": " << note << " to the model's input\n";
  torch::Tensor z = zTest;
  if (!o.image.empty()) {
    torch::NoGradGuard ng;
    z = b.encode(test.images.to(b.device, torch::kFloat)).to(torch::kCPU, torch::kFloat);
  }
  const std::vector<int64_t> points = o.image.empty() ? choosePoints(o, b, z) : std::vector<int64_t>{0};
  // A shard may be empty (more array jobs than points): it writes a header-only CSV.
  ClueContext ctx = makeClueContext(b, o.cf, zTest);
  Prototypes protos;
  if (o.cf.method == ClueMethod::Regene) {
    protos = bundlePrototypes(b, o.cf.prototypes, progress, cancel);
    ctx.prototypes = &protos;
  }
  StagedDir stage(o.out, o.force, checkExplainOut);
  fs::create_directories(fs::path(stage.path()) / "filmstrips");
  std::ostringstream csv;
  csv << std::setprecision(7) << csvHeader(b.latentDim());
  double sums[7] = {0, 0, 0, 0, 0, 0, 0};  // u_before, u_latent, u_roundtrip, latent, input, kept, ms
  double target[3] = {0, 0, 0};
  double qsum[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};  // CARLA's measures (points.csv's columns)
  double dsum[5] = {0, 0, 0, 0, 0};              // diverse K: the diversity measures, summed over the points
  int64_t misread = 0;       // counterfactual pictures the model reads as another class, or much less surely
  std::string pictureWords;  // --image: what is wrong with its picture, in words
  const auto t0 = Clock::now();
  for (size_t i = 0; i < points.size(); i += size_t(o.batch)) {
    checkCancel(cancel, "explain");
    const size_t e = std::min(points.size(), i + size_t(o.batch));
    const torch::Tensor idx = torch::tensor(std::vector<int64_t>(points.begin() + long(i), points.begin() + long(e)));
    auto res = explainPoints(ctx, o.cf, test.images.index_select(0, idx), z.index_select(0, idx), cancel);
    const size_t k = size_t(std::max(1, o.cf.diverse));
    for (size_t j = 0; j < res.size(); ++j) {
      ClueResult& r = res[j];
      measureQuality(r, quality);
      const CounterfactualQuality& q = r.quality;
      const double qv[9] = {q.valid ? 1.0 : 0.0, q.l1X, q.l2X,         q.l1Z,          q.l2Z,
                            q.sparsity,          q.yNN, q.knnDistance, q.knnPercentile};
      for (int m = 0; m < 9; ++m) qsum[m] += qv[m];
      // A user's image is row -1 and filmstrips/image.png: never mistaken for test point 0.
      const int64_t index = o.image.empty() ? points[i + j / k] : -1;
      csvRow(csv, index, r, b.manifest.classNames);
      const DecodeCheck dc = pictureCheck(r, b.manifest.classNames);
      misread += dc.faithful() ? 0 : 1;
      if (!o.image.empty() && !dc.faithful() && pictureWords.empty())
        pictureWords = (k > 1 ? "counterfactual " + std::to_string(r.member + 1) + ": " : std::string()) + dc.words;
      if (r.diversity.computed && r.member == 0) {
        const DiversityMeasure& dv = r.diversity;
        const double dvv[5] = {dv.latent, dv.image, dv.count, dv.dpp, double(dv.classes)};
        for (int m = 0; m < 5; ++m) dsum[m] += dvv[m];
      }
      if (r.member + 1 == r.members) {  // the point's last counterfactual: its filmstrip, one row each
        std::vector<const ClueResult*> rows;
        for (size_t m = j + 1 - k; m <= j; ++m) rows.push_back(&res[m]);
        writeFilmstrip(
            (fs::path(stage.path()) / "filmstrips" / (o.image.empty() ? std::to_string(index) : "image") += ".png")
                .string(),
            rows);
      }
      const double v[7] = {
          r.uBefore, r.uLatent, r.uRoundtrip, r.latentDistance, r.inputDistance, r.classKept() ? 1.0 : 0.0, r.ms};
      for (int m = 0; m < 7; ++m) sums[m] += v[m];
      target[0] += r.targetBefore;
      target[1] += r.targetLatent;
      target[2] += r.targetRoundtrip;
    }
    if (progress) {
      Progress p;
      p.stage = std::string("explain (") + clueMethodName(o.cf.method) + ")";
      p.epoch = p.epochs = 1;
      p.batch = int64_t(e);
      p.batches = int64_t(points.size());
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      p.samplesPerSec = s > 0 ? double(e) / s : 0;
      p.etaSeconds = p.samplesPerSec > 0 ? double(points.size() - e) / p.samplesPerSec : 0;
      progress(p);
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  // The means are over the counterfactuals (K per point with diverse K), the diversity's over the points.
  const int kk = std::max(1, o.cf.diverse);
  const double n = double(points.size()) * kk, np = double(points.size());
  auto mean = [n](double v) { return n > 0 ? json(v / n) : json(nullptr); };
  auto pointMean = [np](double v) { return np > 0 ? json(v / np) : json(nullptr); };
  json summary = {
      {kExplainMarker, true},
      {"bundle", fs::absolute(o.bundle).string()},
      {"method", clueMethodName(o.cf.method)},
      {"head", headKindName(o.cf.head)},
      {"uncertainty", uncertaintyName(o.cf.uncertainty)},
      {"n_points", points.size()},
      {"n_counterfactuals", points.size() * size_t(kk)},
      {"image", o.image.empty() ? json(nullptr) : json(fs::absolute(o.image).string())},
      {"input_shape", b.manifest.inputShape},
      {"u_before", mean(sums[0])},
      {"u_latent", mean(sums[1])},
      {"u_roundtrip", mean(sums[2])},
      {"latent_distance", mean(sums[3])},
      {"input_distance", mean(sums[4])},
      {"class_kept", mean(sums[5])},
      // Null when the latent's U barely fell (under 0.01 nats on average): a share of nothing.
      {"drop_kept",
       n > 0 && (sums[0] - sums[1]) / n >= 0.01 ? json((sums[0] - sums[2]) / (sums[0] - sums[1])) : json(nullptr)},
      {"pictures_read_otherwise", mean(double(misread))},
      {"picture_warning", o.image.empty()        ? json(nullptr)
                          : pictureWords.empty() ? json(nullptr)
                                                 : json(pictureWords)},
      {"ms_per_explanation", mean(sums[6])},
      {"quality",
       {{"measures",
         "CARLA (Pawelczyk et al. 2021): means over the points; valid = the target (class change) or a class of "
         "probability >= 0.8 after the round trip; l1_x, l2_x and sparsity (share of values changed by more than "
         "0.05) against the path's first image (g(z0) for the latent methods, so that the decoder's own error is not "
         "counted; x0 for the hierarchical search); yNN and knn_distance over the 5 nearest training latents of z*; "
         "knn_percentile = share of test points nearer the data"},
        {"validity", mean(qsum[0])},
        {"l1_x", mean(qsum[1])},
        {"l2_x", mean(qsum[2])},
        {"l1_z", mean(qsum[3])},
        {"l2_z", mean(qsum[4])},
        {"sparsity", mean(qsum[5])},
        {"ynn", mean(qsum[6])},
        {"knn_distance", mean(qsum[7])},
        {"knn_percentile", mean(qsum[8])},
        {"ms", mean(sums[6])}}},
      {"diversity",
       kk < 2 ? json(nullptr)
              : json{{"measures",
                      "DiCE (Mothilal et al. 2020), means over the points of each point's K counterfactuals: latent = "
                      "mean pairwise |z*_i - z*_j|_1 / d; image = mean pairwise |x*_i - x*_j|_1 / P; count = mean "
                      "pairwise share of values differing by more than 0.05; dpp = det(1 / (1 + d(z*_i, z*_j))), the "
                      "term the run maximised; classes = distinct round-trip classes among the K"},
                     {"k", kk},
                     {"latent", pointMean(dsum[0])},
                     {"image", pointMean(dsum[1])},
                     {"count", pointMean(dsum[2])},
                     {"dpp", pointMean(dsum[3])},
                     {"classes", pointMean(dsum[4])}}},
      {"seconds", seconds},
      {"points_per_second", seconds > 0 ? np / seconds : 0.0},
      {"shard", std::to_string(o.shardIndex) + "/" + std::to_string(o.shardCount)},
      {"device", o.device},
      {"options",
       {{"lambda", o.cf.lambda},
        {"lambda_x", o.cf.lambdaXOrDefault()},
        {"lr", o.cf.lrOrDefault()},
        {"steps", o.cf.steps},
        {"distance", clueDistanceName(o.cf.distance)},
        {"keep_class", o.cf.keepClass},
        {"prototypes", o.cf.prototypes},
        {"sparsity", o.cf.sparsity},
        {"eta", o.cf.eta},
        {"threshold", o.cf.threshold},
        {"outer_steps", o.cf.outerSteps},
        {"patience", o.cf.patience},
        {"tolerance", o.cf.tolerance},
        {"frames", o.cf.frames},
        {"engine", o.cf.engine},
        {"batch", o.batch},
        {"target", o.cf.target >= 0 ? json(o.cf.target) : json(nullptr)},
        {"diverse", kk},
        {"diversity", kk > 1 ? json(o.cf.diversity) : json(nullptr)},
        {"diverse_init", kk > 1 ? json(o.cf.diverseInit) : json(nullptr)},
        // Only diverse K draws noise (its starts); the other runs are deterministic.
        {"seed", kk > 1 ? json(o.cf.seed) : json(nullptr)}}}};
  if (o.cf.target >= 0) {
    summary["target"] = o.cf.target;
    summary["target_before"] = mean(target[0]);
    summary["target_latent"] = mean(target[1]);
    summary["target_roundtrip"] = mean(target[2]);
  }
  writeFileAtomic((fs::path(stage.path()) / "points.csv").string(), csv.str());
  writeFileAtomic((fs::path(stage.path()) / "summary.json").string(), jsonText(summary, 2) + "\n");
  checkCancel(cancel, "explain");
  stage.commit();
  log << "explained " << points.size() << " points"
      << (kk > 1 ? " (" + std::to_string(kk) + " counterfactuals each)" : "") << " with " << clueMethodName(o.cf.method)
      << " (" << headKindName(o.cf.head) << ", " << uncertaintyName(o.cf.uncertainty) << ") in " << std::fixed
      << std::setprecision(1) << seconds << " s\n";
  return summary;
}

}  // namespace latentlab
