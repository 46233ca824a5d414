#include "script_host.h"

#include <filesystem>

#include "context.h"
#include "latentlab/util/errors.h"

namespace latentlab::gui {

bool AppScriptHost::run(const ScriptCommand& c) {
  const CommandSpec* spec = findCommand(c.name);
  if (!spec || !spec->run) {
    error("unknown command '" + c.name + "'");
    return false;
  }
  // A script's writes go where ScriptOutputs says (script_outputs.h), or are refused with the line.
  ScriptCommand resolved = c;
  for (size_t i = 0; i < spec->args.size() && i < resolved.args.size(); ++i) {
    if (spec->args[i].writes == ArgSpec::Writes::No) continue;
    bool made = false;
    try {
      resolved.args[i] = m_ctx.scriptOutputs.resolve(c.args[i], spec->args[i].writes == ArgSpec::Writes::Folder, &made);
    } catch (const Error& e) {
      error(c.name + ": " + e.what());
      return false;
    }
    if (made) log("script output folder: " + m_ctx.scriptOutputs.folder());
  }
  return spec->run(m_ctx, resolved);
}

bool AppScriptHost::ready(const ScriptCommand& c) const {
  const CommandSpec* spec = findCommand(c.name);
  return !spec || !spec->ready || spec->ready(m_ctx);
}

void AppScriptHost::dragMove(float dx, float dy) {
  const Drag& d = m_ctx.state.edits.drag;
  if (!d.active) return m_ctx.log.error("drag: the drag ended before its last frame (a load or an undo?)");
  m_ctx.edits.dragTo(d.x0 + dx, d.y0 + dy);
}
void AppScriptHost::commitDrag() { m_ctx.edits.commitDrag(); }
bool AppScriptHost::idle() const { return m_ctx.worker->idle(); }
bool AppScriptHost::shotsPending() const { return !m_ctx.state.ui.shots.empty(); }
bool AppScriptHost::fileExists(const std::string& path) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  // A file the script itself writes (clue-batch OUT/summary.json) lands in its output folder.
  const std::string& out = m_ctx.scriptOutputs.folder();
  if (!m_ctx.scriptOutputs.allowsWrites() && !out.empty() && fs::path(path).is_relative() &&
      fs::exists(fs::path(out) / path, ec))
    return true;
  return fs::exists(path, ec);
}
void AppScriptHost::error(const std::string& message) { m_ctx.log.error(message); }
void AppScriptHost::log(const std::string& message) { m_ctx.log.info(message); }
void AppScriptHost::runningLine(int line) {
  m_ctx.log.setPrefix(line > 0 ? "line " + std::to_string(line) + ": " : "");
}

}  // namespace latentlab::gui
