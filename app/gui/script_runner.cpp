#include "script_runner.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "latentlab/util/errors.h"

namespace latentlab::gui {

namespace {

ScriptWait untilIdle() { return ScriptWait::untilIdle(); }

}  // namespace

long ScriptRunner::scriptFrames(const Script& script, double fps) {
  long n = 0;
  for (const auto& c : script.commands) {
    const CommandSpec* spec = findCommand(c.name);
    if (!spec || !spec->wait) continue;
    const ScriptWait w = spec->wait(c);  // a function of the arguments alone
    if (w.counted && w.frames > 0) n += std::lround(w.frames * fps / 60.0);
    if (w.dragFrames > 0) n += std::max(1L, std::lround(w.dragFrames * fps / 60.0));
  }
  return n;
}

// One frame of an animated drag: the point moves a step (the last step exactly to DX, DY); then the
// drag is kept as an edited point once the evaluations are done, as a `drag DX DY` would be.
bool ScriptRunner::stepDrag(ScriptHost& host) {
  DragAnimation& d = m_drag;
  if (d.landing) {
    if (!host.idle()) return true;
    d.landing = false;
    m_counted = true;
  } else {
    ++d.step;
    const float t = d.step >= d.frames ? 1.0f : float(d.step) / float(d.frames);
    host.dragMove(d.step >= d.frames ? d.dx : d.dx * t, d.step >= d.frames ? d.dy : d.dy * t);
    if (m_export) {
      d.landing = true;
      return true;
    }
    m_counted = true;
  }
  if (d.step >= d.frames) {
    m_drag = {};
    m_wait = untilIdle();
    m_wait.commitDrag = true;
  }
  return true;
}

void ScriptRunner::step(ScriptHost& host, Clock::time_point now) {
  m_counted = false;
  if (!active() || m_wait.quit) return;
  if (host.shotsPending()) return;  // a screenshot of the previous command is still to be taken
  if (m_drag.frames > 0 && stepDrag(host)) return;
  if (m_wait.frames > 0) {
    --m_wait.frames;
    m_counted = m_wait.counted;
    return;
  }
  if (m_wait.idle) {
    if (!host.idle()) return;
    m_wait.idle = false;
    if (m_wait.commitDrag) {
      host.commitDrag();
      m_wait.commitDrag = false;
      m_wait.idle = true;  // the inspector of the new edited point
      return;
    }
  }
  if (!m_wait.file.empty()) {
    if (host.fileExists(m_wait.file)) {
      m_wait.file.clear();
    } else if (now > m_fileDeadline) {
      host.error(m_waitName + ": " + m_wait.file + " did not appear in time; the script goes on");
      m_wait.file.clear();
    } else {
      return;
    }
  }
  // Instant commands run back to back; the first that waits ends this frame's batch. A line's prefix
  // stays until the next line runs, so what its job reports later (a load that fails) names it too.
  if (finished()) host.runningLine(0);
  while (!finished()) {
    const ScriptCommand& c = m_script.commands[m_pc++];
    const bool quiet = m_again;  // a line that runs again is logged once
    m_again = false;
    if (!quiet) host.log("script " + std::to_string(c.line) + ": " + c.name + (c.rest.empty() ? "" : " " + c.rest));
    host.runningLine(c.line);  // what goes wrong while it runs names the line
    const CommandSpec* spec = findCommand(c.name);
    if (!spec) {  // a hand-made Script (the parser keeps only known commands)
      host.error("unknown command '" + c.name + "'");
      m_wait = {};
    } else if (!host.ready(c)) {  // the same line next frame, quietly
      m_again = true;
      --m_pc;
      m_wait = {};
      return;
    } else {
      try {
        m_wait = host.run(c) && spec->wait ? spec->wait(c) : ScriptWait{};
        // A wait shorter than one exported frame takes none (a `wait 1` must not show the frame
        // between a select and its drag); a drag takes at least one, so that it is seen.
        if (m_wait.counted && m_wait.frames > 0) m_wait.frames = int(std::lround(m_wait.frames * m_scale));
        if (m_wait.dragFrames > 0) {
          m_drag.frames = std::max(1, int(std::lround(m_wait.dragFrames * m_scale)));
          m_drag.dx = m_wait.dragDx, m_drag.dy = m_wait.dragDy;
          m_wait = {};
          break;  // the drag moves from the next frame on
        }
      } catch (const std::out_of_range&) {  // a whole number beyond int's range (the parser refuses them)
        host.error("a number in '" + c.name + " " + clipForMessage(c.rest, 60) + "' is out of range");
        m_wait = {};
      } catch (const std::exception& e) {
        host.error(e.what());
        m_wait = {};
      }
    }
    if (!m_wait.file.empty()) {
      m_fileDeadline = now + std::chrono::seconds(m_wait.fileSeconds);
      m_waitName = c.name;
    }
    if (m_wait.idle || m_wait.frame || m_wait.frames > 0 || !m_wait.file.empty() || m_wait.quit) break;
  }
}

}  // namespace latentlab::gui
