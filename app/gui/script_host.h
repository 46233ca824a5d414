#pragma once
// The explorer's side of a script (script_runner.h): each command runs its entry (command.h) on
// the Context, as a user's click would. UI thread only.
#include "script_runner.h"

namespace latentlab::gui {

struct Context;

class AppScriptHost : public ScriptHost {
 public:
  explicit AppScriptHost(Context& ctx) : m_ctx(ctx) {}
  bool run(const ScriptCommand& c) override;
  bool ready(const ScriptCommand& c) const override;
  void dragMove(float dx, float dy) override;
  void commitDrag() override;
  bool idle() const override;
  bool shotsPending() const override;
  bool fileExists(const std::string& path) const override;
  void error(const std::string& message) override;
  void log(const std::string& message) override;
  void runningLine(int line) override;

 private:
  Context& m_ctx;
};

}  // namespace latentlab::gui
