#include "script_runner.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "latentlab/util/errors.h"

namespace latentlab::gui {

namespace {

ScriptWait next() { return {}; }
ScriptWait untilIdle() {
  ScriptWait w;
  w.idle = true;
  return w;
}
ScriptWait afterFrame() {
  ScriptWait w;
  w.frame = true;
  return w;
}

}  // namespace

void applyTrainSetting(TrainOptions& o, const std::string& kv) {
  const size_t eq = kv.find('=');
  const std::string key = kv.substr(0, eq);
  const long long v = eq == std::string::npos ? 0 : std::stoll(kv.substr(eq + 1));
  if (key == "epochs")
    o.epochs = int(v);
  else if (key == "latent-dim")
    o.latentDim = v;
  else if (key == "seed")
    o.seed = uint64_t(v);
  else if (key == "ensemble")
    o.ensemble = int(v);
  else if (key == "decoder-epochs")
    o.decoderEpochs = int(v);
  else if (key == "vae-epochs")
    o.vaeEpochs = int(v);
  else if (key == "limit-train")
    o.limitTrain = v;
  else
    throw InputError("unknown training setting '" + key + "'");
}

const std::map<std::string, ScriptVerb>& scriptVerbs() {
  using H = ScriptHost;
  using C = ScriptCommand;
  static const std::map<std::string, ScriptVerb> verbs = {
      {"load", [](H& h, const C& c) { return h.load(c.args[0]), untilIdle(); }},
      {"project",
       [](H& h, const C& c) {
         h.project(*parseProjection(c.args[0]));
         ScriptWait w;
         w.idle = c.args.size() < 2;  // `nowait` goes on while the layout is computed
         return w;
       }},
      {"cancel", [](H& h, const C&) { return h.cancelJobs(), untilIdle(); }},
      {"export-layout",
       [](H& h, const C& c) {
         const std::string err = h.exportLayout(c.args[0]);
         if (!err.empty()) h.error(err);
         return next();
       }},
      {"layout-csv", [](H& h, const C& c) { return h.importLayout(c.args[0]), untilIdle(); }},
      {"color", [](H& h, const C& c) { return h.color(*parseColorMode(c.args[0])), next(); }},
      {"select", [](H& h, const C& c) { return h.select(std::stoll(c.args[0])), untilIdle(); }},
      {"drag",
       [](H& h, const C& c) {
         if (!h.hasSelection()) {
           h.error("drag needs a selected point (use select INDEX first)");
           return next();
         }
         const int frames = c.args.size() > 2 ? std::stoi(c.args[2]) : 0;
         if (frames > 0) {  // moves over FRAMES frames from where it is (the runner steps it)
           h.dragBy(0, 0);
           ScriptWait w;
           w.dragFrames = frames;
           w.dragDx = std::stof(c.args[0]);
           w.dragDy = std::stof(c.args[1]);
           return w;
         }
         h.dragBy(std::stof(c.args[0]), std::stof(c.args[1]));
         ScriptWait w = untilIdle();
         w.commitDrag = true;
         return w;
       }},
      {"wait",
       [](H&, const C& c) {
         ScriptWait w;
         w.frames = std::stoi(c.args[0]);
         w.counted = true;
         return w;
       }},
      {"wait-for",
       [](H&, const C& c) {
         ScriptWait w;
         w.file = c.args[0];
         w.fileSeconds = c.args.size() > 1 ? std::stoi(c.args[1]) : 60;
         return w;
       }},
      {"screenshot",
       [](H& h, const C& c) { return h.screenshot(c.args[0], ShotRegion::Window, c.args.size() > 1), afterFrame(); }},
      {"export-map", [](H& h, const C& c) { return h.screenshot(c.args[0], ShotRegion::Map, false), afterFrame(); }},
      {"export-inspector",
       [](H& h, const C& c) { return h.screenshot(c.args[0], ShotRegion::Inspector, false), afterFrame(); }},
      {"scroll",
       [](H& h, const C& c) {
         h.scroll(c.args[0], std::stod(c.args[1]));
         ScriptWait w;
         w.frames = 3;  // the panel scrolls over the next frames
         return w;
       }},
      {"help",
       [](H& h, const C& c) {
         h.help(c.args[0] == "on");
         ScriptWait w;
         w.frames = 2;  // a window that opens is laid out over two frames
         return w;
       }},
      {"legend", [](H& h, const C& c) { return h.legend(c.args[0] == "on"), afterFrame(); }},
      {"presenter",
       [](H& h, const C& c) {
         h.presenter(c.args[0] == "on");
         ScriptWait w;
         w.frames = 2;  // the fonts change size: the layout settles over two frames
         return w;
       }},
      {"expect",
       [](H& h, const C& c) {
         const std::string err = h.expect(c.args[0], c.args[1], c.args[2]);
         if (!err.empty()) h.error("expect " + c.args[0] + " " + c.args[1] + " " + c.args[2] + ": " + err);
         return next();
       }},
      {"state", [](H& h, const C& c) { return h.writeState(c.args[0]), next(); }},
      {"caption", [](H& h, const C& c) { return h.caption(c.args.empty() ? "" : c.args[0]), next(); }},
      {"filter",
       [](H& h, const C& c) {
         const std::string err = h.filter(c.args.empty() ? "" : c.args[0]);
         if (!err.empty()) h.error(err);
         return next();
       }},
      {"fit", [](H& h, const C&) { return h.fit(), next(); }},
      {"select-matches", [](H& h, const C&) { return h.selectMatches(), next(); }},
      {"zoom", [](H& h, const C& c) { return h.zoom(std::stod(c.args[0])), next(); }},
      {"center", [](H& h, const C& c) { return h.center(std::stod(c.args[0]), std::stod(c.args[1])), next(); }},
      {"train", [](H& h, const C& c) { return h.showTrain(c.args[0] == "on"), untilIdle(); }},
      {"train-model",
       [](H& h, const C& c) {
         TrainOptions o = guiTrainOptions();
         o.dataset = c.args[0];
         o.out = c.args[1];
         for (size_t k = 2; k < c.args.size(); ++k) applyTrainSetting(o, c.args[k]);
         h.trainModel(o);
         return untilIdle();
       }},
      {"snap", [](H& h, const C& c) { return h.snap(c.args[0] == "on"), untilIdle(); }},
      {"undo", [](H& h, const C&) { return h.undo(), untilIdle(); }},
      {"clue",
       [](H& h, const C& c) {
         ClueOptions o;
         for (const std::string& kv : c.args) {
           const size_t eq = kv.find('=');
           setClueOption(o, kv.substr(0, eq), kv.substr(eq + 1), "clue");
         }
         if (o.target >= 0 && o.method != ClueMethod::ClassChange) {
           h.error(std::string("clue: target is for method=class-change; ") + clueMethodName(o.method) + " lowers U");
           return next();
         }
         h.clue(o);
         return untilIdle();
       }},
      {"clue-zoom", [](H& h, const C&) { return h.clueZoom(), next(); }},
      {"ig",
       [](H& h, const C& c) {
         AttributionOptions o;
         for (const std::string& kv : c.args) {
           const size_t eq = kv.find('=');
           setAttributionOption(o, kv.substr(0, eq), kv.substr(eq + 1), "ig");
         }
         h.ig(o);
         return untilIdle();
       }},
      {"scrub", [](H& h, const C& c) { return h.scrub(std::stod(c.args[0])), next(); }},
      {"flip", [](H& h, const C& c) { return h.flip(std::stoi(c.args[0])), untilIdle(); }},
      {"examples",
       [](H& h, const C& c) {
         ExampleOptions o;
         o.method = parseExampleMethod(c.args[0], "examples");
         for (size_t i = 1; i < c.args.size(); ++i) {
           const size_t eq = c.args[i].find('=');
           setExampleOption(o, c.args[i].substr(0, eq), c.args[i].substr(eq + 1), "examples");
         }
         h.examples(o);
         return untilIdle();
       }},
      {"example",
       [](H& h, const C& c) { return h.selectExample(c.args[0] == "top", std::stoi(c.args[1])), untilIdle(); }},
      {"tab", [](H& h, const C& c) { return h.tab(c.args[0]), afterFrame(); }},
      {"saliency",
       [](H& h, const C& c) {
         return h.saliency(c.args[0] == "on", c.args.size() > 1 && c.args[1] == "ig" ? 8 : 0), untilIdle();
       }},
      {"clue-batch",
       [](H& h, const C& c) {
         if (h.batchRunning()) {  // one batch at a time: this line waits for the one before to end
           ScriptWait w;
           w.again = true;
           return w;
         }
         ClueOptions o;
         for (size_t k = 2; k < c.args.size(); ++k) {
           const size_t eq = c.args[k].find('=');
           setClueOption(o, c.args[k].substr(0, eq), c.args[k].substr(eq + 1), "clue-batch");
         }
         h.clueBatch(c.args[0], c.args[1] == "lasso" ? 0 : std::stoll(c.args[1]), o);
         return next();
       }},
      {"session-save", [](H& h, const C& c) { return h.saveSession(c.args[0]), next(); }},
      {"session-load", [](H& h, const C& c) { return h.loadSession(c.args[0]), untilIdle(); }},
      {"export-csv", [](H& h, const C& c) { return h.exportCsv(c.args[0]), next(); }},
      {"quit",
       [](H& h, const C&) {
         h.quit();
         ScriptWait w;
         w.quit = true;
         return w;
       }},
  };
  return verbs;
}

long ScriptRunner::scriptFrames(const Script& script, double fps) {
  long n = 0;
  for (const auto& c : script.commands) {
    int frames = 0;
    if (c.name == "wait")
      frames = std::stoi(c.args[0]);
    else if (c.name == "drag" && c.args.size() > 2)
      frames = std::stoi(c.args[2]);
    if (frames > 0)
      n += c.name == "drag" ? std::max(1L, std::lround(frames * fps / 60.0)) : std::lround(frames * fps / 60.0);
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
      host.error("wait-for: " + m_wait.file + " did not appear in time; the script goes on");
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
    auto verb = scriptVerbs().find(c.name);
    if (verb == scriptVerbs().end()) {  // the parser and this table disagree (a test checks they do not)
      host.error("no handler for '" + c.name + "'");
    } else {
      try {
        m_wait = verb->second(host, c);
        // A wait shorter than one exported frame takes none (a `wait 1` must not show the frame
        // between a select and its drag); a drag takes at least one, so that it is seen.
        if (m_wait.counted && m_wait.frames > 0) m_wait.frames = int(std::lround(m_wait.frames * m_scale));
        if (m_wait.dragFrames > 0) {
          m_drag.frames = std::max(1, int(std::lround(m_wait.dragFrames * m_scale)));
          m_drag.dx = m_wait.dragDx, m_drag.dy = m_wait.dragDy;
          m_wait = {};
          break;  // the drag moves from the next frame on
        }
        if (m_wait.again) {  // the same line next frame, quietly
          m_again = true;
          --m_pc;
          m_wait = {};
          return;
        }
      } catch (const std::out_of_range&) {  // a whole number beyond int's range (the parser refuses them)
        host.error("a number in '" + c.name + " " + clipForMessage(c.rest, 60) + "' is out of range");
        m_wait = {};
      } catch (const std::exception& e) {
        host.error(e.what());
        m_wait = {};
      }
    }
    if (!m_wait.file.empty()) m_fileDeadline = now + std::chrono::seconds(m_wait.fileSeconds);
    if (m_wait.idle || m_wait.frame || m_wait.frames > 0 || !m_wait.file.empty() || m_wait.quit) break;
  }
}

}  // namespace latentlab::gui
