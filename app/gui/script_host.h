#pragma once
// The explorer's side of the script commands (script_runner.h): each one calls the controller or
// helper a user's click would. UI thread only.
#include "script_runner.h"

namespace latentlab::gui {

struct Context;

class AppScriptHost : public ScriptHost {
 public:
  explicit AppScriptHost(Context& ctx) : m_ctx(ctx) {}
  void load(const std::string& dir) override;
  void project(Projection p) override;
  void cancelJobs() override;
  std::string exportLayout(const std::string& path) override;
  void importLayout(const std::string& path) override;
  void color(ColorMode m) override;
  void select(int64_t index) override;
  bool hasSelection() const override;
  void dragMove(float dx, float dy) override;
  void presenter(bool on) override;
  void dragBy(float dx, float dy) override;
  void commitDrag() override;
  void screenshot(const std::string& path, ShotRegion region, bool nowait) override;
  void writeState(const std::string& path) override;
  void caption(const std::string& text) override;
  std::string filter(const std::string& expr) override;
  void fit() override;
  void zoom(double factor) override;
  void center(double x, double y) override;
  void showTrain(bool on) override;
  void trainModel(const TrainOptions& options) override;
  void snap(bool on) override;
  void undo() override;
  void clue(const ClueOptions& options) override;
  void clueZoom() override;
  void ig(const AttributionOptions& options) override;
  void scrub(double alpha) override;
  void flip(int bit) override;
  void examples(const ExampleOptions& options) override;
  void selectExample(bool top, int rank) override;
  void tab(const std::string& name) override;
  void saliency(bool on, int steps) override;
  void scroll(const std::string& panel, double fraction) override;
  void help(bool open) override;
  void selectMatches() override;
  void legend(bool shown) override;
  std::string expect(const std::string& key, const std::string& op, const std::string& value) override;
  bool batchRunning() const override;
  void clueBatch(const std::string& out, int64_t n, const ClueOptions& options) override;
  void saveSession(const std::string& path) override;
  void loadSession(const std::string& path) override;
  void exportCsv(const std::string& path) override;
  void quit() override;
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
