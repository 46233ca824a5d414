// latentlab: the command-line entry point. The subcommands are gui (the default), train,
// train-dvae, import, eval, info, project, explain and bench, one file each in app/cli/. Every error is one line on
// stderr naming the file or value, and a non-zero exit code.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli/cli_util.h"
#include "cli/command.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/runtime.h"

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void onInterrupt(int) {
  // Ctrl-C or SIGTERM: the first asks the job to stop at its next batch (its staging folder is
  // removed) and the window to close; the second ends the process at once.
  if (g_cancel.exchange(true)) std::_Exit(130);
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // One malloc arena for all threads. glibc gives each new thread its own arena, whose heap it
  // shrinks after every large free; LibTorch running on a worker thread (the GUI's jobs) then
  // page-faults its tensors back in on every step: a small GUI training run took 64 s against 15 s
  // with one arena (and 12 s for the same run on the main thread from the CLI).
  mallopt(M_ARENA_MAX, 1);
#endif
  namespace cli = latentlab::cli;
  cli::CliContext ctx;
  ctx.processStart = std::chrono::steady_clock::now();
  ctx.cancel = &g_cancel;
  ctx.exeDir = cli::exeDir();

  CLI::App app{"LatentLab: explore a classifier's latent space"};
  app.require_subcommand(0, 1);
  std::vector<std::unique_ptr<cli::Command>> commands;
  commands.push_back(cli::makeGuiCommand());  // first: it also runs when no subcommand is given
  commands.push_back(cli::makeTrainCommand());
  commands.push_back(cli::makeTrainDvaeCommand());
  commands.push_back(cli::makeTrainDecoderCommand());
  commands.push_back(cli::makeImportCommand());
  commands.push_back(cli::makeEvalCommand());
  commands.push_back(cli::makeInfoCommand());
  commands.push_back(cli::makeVerifyCommand());
  commands.push_back(cli::makeProjectCommand());
  commands.push_back(cli::makeExplainCommand());
  commands.push_back(cli::makeBenchCommand());
  for (auto& c : commands) c->add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // a bad option or value: one line, as every other error
    std::cerr << "latentlab: error: " << e.what() << " (latentlab --help lists the options)\n";
    return 2;
  }

  cli::Command* command = commands.front().get();
  for (auto& c : commands)
    if (c->parsed()) command = c.get();
  const long cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  latentlab::configureRuntime(command->threads(int(cores)));
  if (command->cancellable()) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
  }
  try {
    return command->run(ctx);
  } catch (const latentlab::CancelledError&) {
    std::cerr << "latentlab: cancelled; nothing was written\n";
    return 130;
  } catch (const latentlab::Error& e) {
    std::cerr << "latentlab: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // LibTorch errors that core did not type: keep the first line only.
    std::cerr << "latentlab: error: " << latentlab::torchErrorSummary(e) << "\n";
    return 1;
  }
}
