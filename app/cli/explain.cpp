// `latentlab explain BUNDLE --method ...`: counterfactual explanations of uncertainty for many test
// points (latent CLUE, VAE-CLUE, ReGene, class change, hierarchical search), as a folder.
#include <algorithm>
#include <functional>
#include <iostream>
#include <set>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/attribution/attribution.h"
#include "latentlab/clue/clue.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"

namespace latentlab::cli {

namespace {

class ExplainCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("explain",
                               "Counterfactual explanations of uncertainty for test points (summary.json, "
                               "points.csv, filmstrips/), or integrated gradients of one test image "
                               "(--method ig: attribution.csv, attribution.png, summary.json), as a folder");
    m_sub->add_option("bundle", m_opt.bundle, "Bundle directory")->required();
    m_sub
        ->add_option("--method", m_method,
                     "latent-clue, vae-clue, regene, class-change, hierarchical, ig, latent-ig; "
                     "labelfree-saliency, labelfree-ig, labelfree-gradient-shap (Crabbé and van der Schaar's feature "
                     "importance of <phi(x), phi(.)>); dknn, simplex, tracin (training examples: "
                     "examples.csv)")
        ->capture_default_str();
    m_sub->add_option("--corpus", m_examples.corpus, "simplex: training points in the corpus (default 1000)");
    m_sub->add_option("--index", m_attr.index, "ig: the test-set index of the image")
        ->check(CLI::Range(int64_t(0), int64_t(1) << 40));
    m_sub->add_option("--image", m_image,
                      "An image file of your own (any size; resized to the model's input) to explain instead of "
                      "test points, with any method");
    m_sub->add_option("--baseline", m_baseline, "ig: black, blur, mean or noise (default black)");
    m_sub->add_option("--quadrature", m_quadrature, "ig: midpoint or gauss-legendre (default midpoint)");
    m_sub->add_option("--head", m_head, "laplace or deterministic")->capture_default_str();
    m_sub->add_option("--uncertainty", m_kind, "total, aleatoric or epistemic")->capture_default_str();
    m_sub->add_option("--indices", m_opt.indicesFile, "A file of test-set indices, one per line");
    m_sub
        ->add_option("--most-uncertain", m_opt.mostUncertain,
                     "The N test points of highest total uncertainty under the Laplace head")
        ->check(CLI::Range(int64_t(1), int64_t(1000000)));
    m_sub->add_option("--shard", m_shard, "K/N: every N-th point from the K-th (0-based), for array jobs");
    m_sub->add_option("--out", m_opt.out, "The folder to write")->required();
    m_sub->add_flag("--force", m_opt.force, "Replace an earlier explain folder (never anything else)");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--target", m_target,
                      "class-change: the class index to reach; ig: class:K, logit:K, total, "
                      "aleatoric or epistemic (default total)");
    m_sub->add_option(
        "--steps", m_steps,
        "Optimiser steps, at most (default 200); ig and the other attributions: integration steps, or auto "
        "(the default: 32 doubling until the completeness residual is at most 1%, or 1024)");
    m_sub->add_option("--lambda", m_lambda, "Weight of the latent distance d(z, z0) (default 1)");
    m_sub->add_option("--batch", m_opt.batch, "Points optimised together")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(1), int64_t(100000)));
    m_sub->add_option("--set", m_sets,
                      "KEY=VALUE for any other option (lambda_x, lr, distance, keep_class, "
                      "prototypes, sparsity, eta, threshold, outer_steps, frames, engine, ...)");
    m_sub->add_flag("--keep-class", m_keepClass, "Undo steps that change the predicted class");
    m_sub->add_option("--diverse", m_diverse,
                      "latent-clue, class-change: K counterfactuals per point (1 to 8), pushed apart by DiCE's "
                      "diversity term (--set diversity=W, default 1; diverse_init, seed); one filmstrip row each");
  }

  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    static const char* const kMethods[] = {"latent-clue",  "vae-clue",
                                           "regene",       "class-change",
                                           "hierarchical", "ig",
                                           "latent-ig",    "labelfree-saliency",
                                           "labelfree-ig", "labelfree-gradient-shap",
                                           "dknn",         "simplex",
                                           "tracin"};
    if (std::find(std::begin(kMethods), std::end(kMethods), m_method) == std::end(kMethods)) {
      std::string all;
      for (const char* m : kMethods) all += std::string(all.empty() ? "" : ", ") + m;
      throw InputError(
          "[explain] --method '" + clipForMessage(m_method, 40) + "' is not a method; the methods are " + all +
          (m_method.find("dvae") != std::string::npos || m_method.find("flip") != std::string::npos
               ? " (the DVAE's bit flips: the Concepts tab of `latentlab gui`, and `latentlab eval --dvae`)"
               : ""));
    }
    if (m_method == "ig" || m_method == "latent-ig" || m_method.rfind("labelfree-", 0) == 0) return runIg(ctx);
    if (m_method == "dknn" || m_method == "simplex" || m_method == "tracin") return runExamples(ctx);
    for (const char* flag : {"--index", "--baseline", "--quadrature"})
      if (m_sub->get_option(flag)->count() > 0)
        throw InputError(std::string("[explain] ") + flag + " is for --method ig; " + m_method +
                         " explains many points");
    ClueOptions& cf = m_opt.cf;
    setClueOption(cf, "method", m_method, "explain");
    setClueOption(cf, "head", m_head, "explain");
    setClueOption(cf, "uncertainty", m_kind, "explain");
    auto given = [this](const char* flag) { return m_sub->get_option(flag)->count() > 0; };  // "" is a value too
    if (given("--target")) setClueOption(cf, "target", m_target, "explain");
    if (given("--steps")) setClueOption(cf, "steps", m_steps, "explain");
    if (given("--lambda")) setClueOption(cf, "lambda", m_lambda, "explain");
    if (given("--diverse")) setClueOption(cf, "diverse", m_diverse, "explain");
    if (m_keepClass) cf.keepClass = true;
    // --set never overrides an option given by its own flag.
    const std::vector<std::pair<std::string, std::string>> flags = {
        {"method", "--method"}, {"head", "--head"},     {"uncertainty", "--uncertainty"}, {"target", "--target"},
        {"steps", "--steps"},   {"lambda", "--lambda"}, {"keep_class", "--keep-class"},   {"diverse", "--diverse"}};
    const std::set<std::string> sets =
        applySets(flags, [&cf](const std::string& k, const std::string& v) { setClueOption(cf, k, v, "explain"); });
    if (cf.diverse < 2)
      for (const char* key : {"diversity", "diverse_init", "seed"})
        if (sets.count(key))
          throw InputError(std::string("[explain] --set ") + key +
                           "=... is for diverse counterfactuals (--diverse K, K >= 2); this run makes one per point, "
                           "so it would do nothing");
    if (cf.method == ClueMethod::VaeClue && m_sub->get_option("--lambda")->count() > 0)
      throw InputError(
          "[explain] vae-clue has no latent distance, so --lambda does nothing; its pixel term is "
          "--set lambda_x=W (default 25)");
    if (m_sub->get_option("--shard")->count() > 0) parseShard(m_shard, m_opt.shardIndex, m_opt.shardCount);
    m_opt.image = m_image;
    runExplain(m_opt, printProgress, ctx.cancel, std::cerr);
    std::fprintf(stderr, "\n");
    std::printf("wrote %s\n", m_opt.out.c_str());
    return 0;
  }

 private:
  // --set KEY=VALUE, each through `set`; never a key that its own flag (in `flags`) gave already.
  // Returns the keys set.
  std::set<std::string> applySets(const std::vector<std::pair<std::string, std::string>>& flags,
                                  const std::function<void(const std::string&, const std::string&)>& set) const {
    std::set<std::string> keys;
    for (const std::string& kv : m_sets) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw InputError("[explain] --set needs KEY=VALUE, got '" + clipForMessage(kv, 60) + "'");
      const std::string key = kv.substr(0, eq);
      if (!keys.insert(key).second)
        throw InputError("[explain] --set " + clipForMessage(key, 40) + "=... is given twice; give it once");
      for (const auto& [k, flag] : flags)
        if (key == k && m_sub->get_option(flag)->count() > 0)
          throw InputError("[explain] --set " + clipForMessage(kv, 60) + " and " + flag + " both set " + key +
                           "; give it once");
      set(key, kv.substr(eq + 1));
    }
    return keys;
  }

  // Integrated gradients of one test image.
  int runIg(const CliContext& ctx) {
    for (const char* flag : {"--indices", "--most-uncertain", "--shard", "--lambda", "--keep-class", "--uncertainty",
                             "--batch", "--diverse"})
      if (m_sub->get_option(flag)->count() > 0)
        throw InputError(std::string("[explain] ") + flag +
                         " is not an option of --method ig (it explains one image, "
                         "--index N; the uncertainty to explain is --target total|aleatoric|epistemic)");
    AttributionExplainOptions& a = m_attr;
    a.bundle = m_opt.bundle;
    a.out = m_opt.out;
    a.force = m_opt.force;
    a.device = m_opt.device;
    a.method = m_method;
    if (m_sub->get_option("--index")->count() == 0 && m_image.empty())
      throw InputError("[explain] --method " + m_method + " needs --index N (a test-set index) or --image PATH");
    a.image = m_image;
    if (m_method.rfind("labelfree-", 0) == 0) {
      parseAttributionMethod(m_method.substr(10), "explain");  // names the bad method before any work
      if (m_sub->get_option("--target")->count() > 0)
        throw InputError("[explain] --method " + m_method +
                         " explains <phi(x), phi(.)>, the latent itself; --target is for ig");
    }
    if (m_sub->get_option("--corpus")->count() > 0) throw InputError("[explain] --corpus is for --method simplex");
    if (m_method == "latent-ig")
      for (const char* flag : {"--baseline", "--quadrature"})
        if (m_sub->get_option(flag)->count() > 0)
          throw InputError(std::string("[explain] ") + flag +
                           " is for --method ig; latent-ig starts at g(z*) of a latent CLUE run");
    setAttributionOption(a.ig, "head", m_head, "explain");
    auto given = [this](const char* flag) { return m_sub->get_option(flag)->count() > 0; };
    if (given("--target")) setAttributionOption(a.ig, "target", m_target, "explain");
    if (given("--steps")) setAttributionOption(a.ig, "steps", m_steps, "explain");
    if (given("--baseline")) setAttributionOption(a.ig, "baseline", m_baseline, "explain");
    if (given("--quadrature")) setAttributionOption(a.ig, "quadrature", m_quadrature, "explain");
    const std::vector<std::pair<std::string, std::string>> flags = {{"head", "--head"},
                                                                    {"target", "--target"},
                                                                    {"steps", "--steps"},
                                                                    {"baseline", "--baseline"},
                                                                    {"quadrature", "--quadrature"}};
    applySets(flags, [&a](const std::string& k, const std::string& v) { setAttributionOption(a.ig, k, v, "explain"); });
    const nlohmann::json s = runExplainAttribution(a, printProgress, ctx.cancel, std::cerr);
    if (s["completeness_residual"].is_number())
      std::printf("wrote %s (completeness residual %.3g)\n", a.out.c_str(), s["completeness_residual"].get<double>());
    else
      std::printf("wrote %s\n", a.out.c_str());
    return 0;
  }

  // Example importance (dknn, simplex, tracin) of one test image.
  int runExamples(const CliContext& ctx) {
    for (const char* flag : {"--indices", "--most-uncertain", "--shard", "--lambda", "--keep-class", "--uncertainty",
                             "--batch", "--baseline", "--quadrature", "--head", "--target", "--diverse"})
      if (m_sub->get_option(flag)->count() > 0)
        throw InputError(std::string("[explain] ") + flag + " is not an option of --method " + m_method +
                         " (it scores the training examples of one test image, --index N)");
    if (m_sub->get_option("--index")->count() == 0 && m_image.empty())
      throw InputError("[explain] --method " + m_method + " needs --index N (a test-set index) or --image PATH");
    ExampleExplainOptions e;
    e.image = m_image;
    e.bundle = m_opt.bundle;
    e.out = m_opt.out;
    e.force = m_opt.force;
    e.device = m_opt.device;
    e.index = m_attr.index;
    e.examples = m_examples;
    e.examples.method = parseExampleMethod(m_method, "explain");
    if (m_sub->get_option("--corpus")->count() > 0 && e.examples.method != ExampleMethod::Simplex)
      throw InputError("[explain] --corpus is for --method simplex");
    if (m_sub->get_option("--steps")->count() > 0) setExampleOption(e.examples, "steps", m_steps, "explain");
    applySets({{"method", "--method"}, {"corpus", "--corpus"}, {"steps", "--steps"}},
              [&e](const std::string& k, const std::string& v) { setExampleOption(e.examples, k, v, "explain"); });
    checkExampleOptions(e.examples, "explain");
    runExplainExamples(e, printProgress, ctx.cancel, std::cerr);
    std::fprintf(stderr, "\n");
    std::printf("wrote %s\n", e.out.c_str());
    return 0;
  }

  ExampleOptions m_examples;
  std::string m_image;
  AttributionExplainOptions m_attr;
  std::string m_baseline, m_quadrature;
  ExplainOptions m_opt;
  std::string m_method = "latent-clue", m_head = "laplace", m_kind = "total", m_shard, m_target, m_steps, m_lambda,
              m_diverse;
  std::vector<std::string> m_sets;
  bool m_keepClass = false;
};

}  // namespace

std::unique_ptr<Command> makeExplainCommand() { return std::make_unique<ExplainCommand>(); }

}  // namespace latentlab::cli
