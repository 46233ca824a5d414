// `latentlab project BUNDLE`: a 2D layout (PCA, t-SNE or UMAP) of the bundle's latents, with its
// quality, cached in the bundle; optionally written as CSV and JSON.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/explorer/explorer.h"
#include "latentlab/projection/projection.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::cli {

namespace {

class ProjectCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("project",
                               "Compute a 2D layout (PCA, t-SNE or UMAP) of a bundle's latents, "
                               "with its quality; cached in the bundle");
    m_sub->add_option("bundle", m_bundle, "Bundle directory")->required();
    m_sub->add_option("--method", m_method, "pca, tsne or umap")->capture_default_str();
    m_sub->add_option("--points", m_points, "test (the test split) or all (test, then train)")->capture_default_str();
    m_sub->add_option("--out", m_out, "Write the layout as CSV: index,x,y, one row per point in dataset order");
    m_sub->add_option("--json", m_json, "Write the timings and quality as JSON");
    m_sub->add_option("--seed", m_seed, "Random seed")->capture_default_str();
    m_sub->add_option("--device", m_device, "cpu or cuda (the encoder and the exact kNN)")->capture_default_str();
    m_sub->add_option("--threads", m_threads, "Threads for the layout (0 = all cores)")->check(CLI::NonNegativeNumber);
    m_sub->add_flag("--no-cache", m_noCache, "Neither read nor write the bundle's layout cache");
    m_sub->add_option("--limit", m_limit, "Only the first N points (0 = all; implies --no-cache)")
        ->check(CLI::NonNegativeNumber);
    m_sub->add_flag("--force", m_force, "Replace an existing --out or --json file");
    m_sub
        ->add_option("--repulsion", m_repulsion,
                     "t-SNE repulsion of the CPU engine: bh (Barnes-Hut), fft (FIt-SNE) or auto")
        ->capture_default_str();
    m_sub
        ->add_option("--engine", m_engine,
                     "cpu, tensor (every iteration in LibTorch on --device) or auto (tensor on cuda)")
        ->capture_default_str();
  }

  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    // Every option is checked before the bundle is opened.
    if (m_points != "test" && m_points != "all")
      throw InputError("[project] --points must be test or all, got '" + m_points + "'");
    checkLayoutOptions(m_method, m_engine, m_repulsion);
    if (!m_out.empty()) checkOutputFile(m_out, m_force);
    if (!m_json.empty()) checkOutputFile(m_json, m_force);
    std::error_code ec;
    if (!m_out.empty() && !m_json.empty() &&
        std::filesystem::weakly_canonical(m_out, ec) == std::filesystem::weakly_canonical(m_json, ec))
      throw InputError("[project] --out and --json name the same file (" + m_out + ")");
    auto ex = Explorer::open(m_bundle, m_device, printProgress, ctx.cancel);
    auto pts = m_points == "all" ? ex->addTrainPoints(printProgress, ctx.cancel) : ex->points();
    std::vector<int32_t> labels(pts->labels.begin(), pts->labels.end());
    LayoutRequest req;
    req.method = m_method;
    req.X = pts->latents.data();
    req.n = m_limit > 0 ? std::min<int64_t>(m_limit, pts->n) : pts->n;
    req.d = pts->d;
    req.labels = labels.data();
    req.device = m_device;
    req.seed = m_seed;
    req.threads = m_threads;
    req.cacheDir = m_noCache || m_limit > 0 ? "" : m_bundle + "/cache";
    req.cacheTag = m_points;
    req.tsneRepulsion = m_repulsion;
    req.engine = m_engine;
    const auto t0 = std::chrono::steady_clock::now();
    auto res = computeLayout(
        req,
        [](const std::vector<float>&, int it, int its) {
          Progress p;
          p.stage = "layout";
          p.epoch = 1;
          p.epochs = 1;
          p.batch = it;
          p.batches = its;
          printProgress(p);
        },
        ctx.cancel);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\n");
    report(req, res);
    if (!m_out.empty()) {
      writeLayoutCsv(m_out, res.xy);
      std::printf("wrote %s\n", m_out.c_str());
    }
    const auto& q = res.quality;
    if (!m_json.empty())
      writeJson(m_json, {{"method", m_method},
                         {"points", req.n},
                         {"d", req.d},
                         {"seconds", total},
                         {"knn_seconds", res.knnSeconds},
                         {"knn_exact", res.knnExact},
                         {"layout_seconds", res.layoutSeconds},
                         {"from_cache", res.fromCache},
                         {"engine", res.engine},
                         {"device", m_device},
                         {"quality",
                          {{"trustworthiness", q.trustworthiness},
                           {"knn_recall", q.knnRecall},
                           {"knn_accuracy", q.knnAccuracy},
                           {"sample", q.sample},
                           {"k", q.k}}}});
    return 0;
  }

 private:
  void report(const LayoutRequest& req, const LayoutResult& res) const {
    const auto& q = res.quality;
    std::printf("%s of %lld points (d=%lld)%s: kNN %.2f s (%s), layout %.2f s%s%s, quality %.2f s\n", m_method.c_str(),
                (long long)req.n, (long long)req.d, res.fromCache ? " from the bundle cache" : "", res.knnSeconds,
                res.knnExact ? "exact" : "HNSW", res.layoutSeconds, res.engine.empty() ? "" : " on the engine ",
                res.engine.c_str(), res.qualitySeconds);
    std::printf("quality on %lld points: trustworthiness@%d %.4f, kNN recall@%d %.4f, 2D kNN accuracy %.4f\n",
                (long long)q.sample, q.k, q.trustworthiness, q.k, q.knnRecall, q.knnAccuracy);
    if (!res.cacheError.empty())
      std::fprintf(stderr, "latentlab: warning: layout not cached: %s\n", res.cacheError.c_str());
  }

  std::string m_bundle, m_method = "tsne", m_points = "test", m_out, m_json, m_device = "cpu";
  uint64_t m_seed = 0;
  int m_threads = 0;
  bool m_noCache = false, m_force = false;
  int64_t m_limit = 0;
  std::string m_repulsion = "auto", m_engine = "auto";
};

}  // namespace

std::unique_ptr<Command> makeProjectCommand() { return std::make_unique<ProjectCommand>(); }

}  // namespace latentlab::cli
