#pragma once
// One subcommand of `latentlab`, one file each in app/cli/: it adds its options to the command
// line, and runs when it was the one given (gui also runs when none is). main.cpp parses, sets the
// runtime up and turns the typed errors into one line and an exit code.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace latentlab::cli {

struct CliContext {
  std::atomic<bool>* cancel = nullptr;  // set by the first Ctrl-C
  std::string exeDir;                   // where the executable is (for the shipped bundles)
  std::chrono::steady_clock::time_point processStart;
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options to `app`.
  virtual void add(CLI::App& app) = 0;
  // Runs it; returns the exit code. Throws the typed errors of errors.h.
  virtual int run(const CliContext& ctx) = 0;
  // Whether the command stops cleanly at its next batch when CliContext::cancel is set (train,
  // import, project, gui). Only those get the Ctrl-C / SIGTERM handler; the others end at once.
  virtual bool cancellable() const { return false; }
  // LibTorch threads for configureRuntime(): 0 = all cores (the default).
  virtual int threads(int cores) const {
    (void)cores;
    return 0;
  }
  bool parsed() const { return m_sub && m_sub->parsed(); }

 protected:
  CLI::App* m_sub = nullptr;
};

std::unique_ptr<Command> makeGuiCommand();
std::unique_ptr<Command> makeTrainCommand();
std::unique_ptr<Command> makeTrainDvaeCommand();
std::unique_ptr<Command> makeTrainDecoderCommand();
std::unique_ptr<Command> makeImportCommand();
std::unique_ptr<Command> makeEvalCommand();
std::unique_ptr<Command> makeInfoCommand();
std::unique_ptr<Command> makeVerifyCommand();
std::unique_ptr<Command> makeProjectCommand();
std::unique_ptr<Command> makeBenchCommand();
std::unique_ptr<Command> makeExplainCommand();

}  // namespace latentlab::cli
