// `latentlab explain BUNDLE --method ...`: counterfactual explanations of uncertainty for many test
// points (latent CLUE, VAE-CLUE, ReGene, class change, hierarchical search), as a folder.
#include <iostream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/counterfactual.h"
#include "latentlab/errors.h"
#include "latentlab/pipeline.h"

namespace latentlab::cli {

namespace {

class ExplainCommand : public Command {
 public:
  void add(CLI::App& app) override {
    m_sub = app.add_subcommand("explain", "Counterfactual explanations of uncertainty for test points, written as a folder "
                                          "(summary.json, points.csv, filmstrips/)");
    m_sub->add_option("bundle", m_opt.bundle, "Bundle directory")->required();
    m_sub->add_option("--method", m_method, "latent-clue, vae-clue, regene, class-change or hierarchical")->capture_default_str();
    m_sub->add_option("--head", m_head, "laplace or deterministic")->capture_default_str();
    m_sub->add_option("--uncertainty", m_kind, "total, aleatoric or epistemic")->capture_default_str();
    m_sub->add_option("--indices", m_opt.indicesFile, "A file of test-set indices, one per line");
    m_sub->add_option("--most-uncertain", m_opt.mostUncertain,
                      "The N test points of highest total uncertainty under the Laplace head")
        ->check(CLI::Range(int64_t(1), int64_t(1000000)));
    m_sub->add_option("--shard", m_shard, "K/N: every N-th point from the K-th (0-based), for array jobs");
    m_sub->add_option("--out", m_opt.out, "The folder to write")->required();
    m_sub->add_flag("--force", m_opt.force, "Replace an earlier explain folder (never anything else)");
    m_sub->add_option("--device", m_opt.device, "cpu or cuda")->capture_default_str();
    m_sub->add_option("--target", m_target, "class-change: the class index to reach");
    m_sub->add_option("--steps", m_steps, "Optimiser steps, at most (default 200)");
    m_sub->add_option("--lambda", m_lambda, "Weight of the latent distance d(z, z0) (default 1)");
    m_sub->add_option("--batch", m_opt.batch, "Points optimised together")->capture_default_str()
        ->check(CLI::Range(int64_t(1), int64_t(100000)));
    m_sub->add_option("--set", m_sets, "KEY=VALUE for any other option (lambda_x, lr, distance, keep_class, "
                                       "prototypes, sparsity, eta, threshold, outer_steps, frames, engine, ...)");
    m_sub->add_flag("--keep-class", m_keepClass, "Undo steps that change the predicted class");
  }

  bool cancellable() const override { return true; }
  int run(const CliContext& ctx) override {
    CfOptions& cf = m_opt.cf;
    setCfOption(cf, "method", m_method, "explain");
    setCfOption(cf, "head", m_head, "explain");
    setCfOption(cf, "uncertainty", m_kind, "explain");
    if (!m_target.empty()) setCfOption(cf, "target", m_target, "explain");
    if (!m_steps.empty()) setCfOption(cf, "steps", m_steps, "explain");
    if (!m_lambda.empty()) setCfOption(cf, "lambda", m_lambda, "explain");
    if (m_keepClass) cf.keepClass = true;
    // --set never overrides an option given by its own flag.
    const std::vector<std::pair<std::string, std::string>> flags = {
        {"method", "--method"}, {"head", "--head"}, {"uncertainty", "--uncertainty"}, {"target", "--target"},
        {"steps", "--steps"}, {"lambda", "--lambda"}, {"keep_class", "--keep-class"}};
    for (const std::string& kv : m_sets) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw InputError("[explain] --set needs KEY=VALUE, got '" + clipForMessage(kv, 60) + "'");
      const std::string key = kv.substr(0, eq);
      for (const auto& [k, flag] : flags)
        if (key == k && m_sub->get_option(flag)->count() > 0)
          throw InputError("[explain] --set " + clipForMessage(kv, 60) + " and " + flag + " both set " + key + "; give it once");
      setCfOption(cf, key, kv.substr(eq + 1), "explain");
    }
    if (cf.method == CfMethod::VaeClue && m_sub->get_option("--lambda")->count() > 0)
      throw InputError("[explain] vae-clue has no latent distance, so --lambda does nothing; its pixel term is "
                       "--set lambda_x=W (default 25)");
    if (m_sub->get_option("--shard")->count() > 0) parseShard(m_shard, m_opt.shardIndex, m_opt.shardCount);
    runExplain(m_opt, printProgress, ctx.cancel, std::cerr);
    std::fprintf(stderr, "\n");
    std::printf("wrote %s\n", m_opt.out.c_str());
    return 0;
  }

 private:
  ExplainOptions m_opt;
  std::string m_method = "latent-clue", m_head = "laplace", m_kind = "total", m_shard, m_target, m_steps, m_lambda;
  std::vector<std::string> m_sets;
  bool m_keepClass = false;
};

}  // namespace

std::unique_ptr<Command> makeExplainCommand() { return std::make_unique<ExplainCommand>(); }

}  // namespace latentlab::cli
