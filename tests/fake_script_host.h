#pragma once
// A ScriptHost for the runner's tests: it records each command line it is asked to run (and the
// animated drag's moves), and the tests decide when the explorer is busy, which screenshots are
// pending and which files exist. What the commands do to the explorer is tested on a real Context
// (commands_test.cpp).
#include <set>
#include <string>
#include <vector>

#include "recorder.h"
#include "script_runner.h"

namespace latentlab::gui {

struct FakeHost : ScriptHost {
  std::vector<std::string> calls, errors;
  bool busy = false, shots = false;
  std::set<std::string> files, notReady, failing;  // by command name
  int line = 0;
  bool run(const ScriptCommand& c) override {
    if (c.name.rfind("wait", 0) == 0) return true;  // the waits are the runner's own: not recorded
    calls.push_back(c.rest.empty() ? c.name : c.name + " " + c.rest);
    if (c.name == "screenshot" || c.name == "export-map" || c.name == "export-inspector") shots = true;
    if (failing.count(c.name)) {
      error(c.name + " failed");
      return false;
    }
    return true;
  }
  bool ready(const ScriptCommand& c) const override { return !notReady.count(c.name); }
  void dragMove(float dx, float dy) override { calls.push_back("move " + exactFloat(dx) + " " + exactFloat(dy)); }
  void commitDrag() override { calls.push_back("commit"); }
  bool idle() const override { return !busy; }
  bool shotsPending() const override { return shots; }
  bool fileExists(const std::string& p) const override { return files.count(p) > 0; }
  void error(const std::string& m) override { errors.push_back(line ? "line " + std::to_string(line) + ": " + m : m); }
  void log(const std::string&) override {}
  void runningLine(int l) override { line = l; }
};

}  // namespace latentlab::gui
