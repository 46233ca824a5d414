// The script's own commands: its waits, its screenshots and state files, its checks, and the end.
#include <algorithm>
#include <sstream>

#include "commands/command.h"
#include "context.h"
#include "expect.h"
#include "latentlab/util/errors.h"
#include "state_json.h"

namespace latentlab::gui {

namespace {

CommandSpec shot(const char* name, ShotRegion region, const char* help) {
  CommandSpec c{name, {arg::outFile()}, 0, help};
  c.run = [region](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.ui.shots.push_back(PendingShot{cmd.args[0], region, true});
    return true;
  };
  c.wait = [](const ScriptCommand&) { return ScriptWait::afterFrame(); };
  return c;
}

}  // namespace

std::string waitLine(long frames) { return "wait " + std::to_string(frames); }

void addFlowCommands(CommandList& out) {
  {
    CommandSpec c{"wait", {arg::whole("FRAMES", 0, 1e6)}, 0, "wait FRAMES: render FRAMES frames"};
    c.run = [](Context&, const ScriptCommand&) { return true; };
    c.wait = [](const ScriptCommand& cmd) {
      ScriptWait w = ScriptWait::forFrames(std::stoi(cmd.args[0]));
      w.counted = true;
      return w;
    };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{
        "wait-for",
        {arg::path(), arg::whole("SECONDS", 0, 86400)},
        1,
        "wait-for PATH [SECONDS]: pause the script until PATH exists (default at most 60 s), while the window "
        "stays live; a relative PATH is also looked for in the script's output folder (clue-batch OUT/summary.json); "
        "for driving the GUI from outside, e.g. with xdotool"};
    c.run = [](Context&, const ScriptCommand&) { return true; };
    c.wait = [](const ScriptCommand& cmd) {
      ScriptWait w;
      w.file = cmd.args[0];
      w.fileSeconds = cmd.args.size() > 1 ? std::stoi(cmd.args[1]) : 60;
      return w;
    };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"screenshot",
                  {arg::outFile(), arg::oneOf("nowait", {"nowait"}, "%s after the path must be nowait")},
                  1,
                  "screenshot PATH [nowait]: save the whole window as PNG, once the running jobs are done (nowait: at "
                  "once, e.g. a layout while it is computed)"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      PendingShot s{cmd.args[0], ShotRegion::Window, true};
      s.nowait = cmd.args.size() > 1;
      ctx.state.ui.shots.push_back(s);
      return true;
    };
    c.wait = [](const ScriptCommand&) { return ScriptWait::afterFrame(); };
    out.push_back(std::move(c));
  }
  out.push_back(shot("export-map", ShotRegion::Map, "export-map PATH: save the map panel as PNG"));
  out.push_back(
      shot("export-inspector", ShotRegion::Inspector, "export-inspector PATH: save the inspector panel as PNG"));
  {
    CommandSpec c{"state", {arg::outFile()}, 0, "state PATH: write the explorer's state as JSON"};
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      writeStateJson(ctx, cmd.args[0]);
      return true;
    };
    out.push_back(std::move(c));
  }
  {
    // Optional to the parser, so that a bare `expect` hears what it needs from the check below.
    CommandSpec c{
        "expect",
        {arg::text("KEY OP VALUE")},
        1,
        "expect KEY OP VALUE: check a fact of the explorer's state (the `state` JSON; KEY is a dotted path such "
        "as prediction_class or uncertainty.total, OP one of == != < <= > >=); a false one is reported as an "
        "error, so a demo's captions can be checked against what its frames show"};
    c.check = [](ScriptCommand& cmd) -> std::string {
      std::istringstream e(cmd.rest);
      std::string key, op, value;
      e >> key >> op;
      std::getline(e, value);
      value = arg::trimBlanks(value);
      static const char* const ops[] = {"==", "!=", "<", "<=", ">", ">="};
      if (key.empty() || op.empty() || value.empty()) return "expect needs KEY OP VALUE";
      if (std::find(std::begin(ops), std::end(ops), op) == std::end(ops))
        return "'" + clipForMessage(op, 40) + "' is not one of == != < <= > >=";
      if (op != "==" && op != "!=" && !arg::isDecimalNumber(value))
        return "'" + clipForMessage(value, 40) + "' is not a finite number to compare with " + op;
      cmd.args = {key, op, value};
      return "";
    };
    c.run = [](Context& ctx, const ScriptCommand& cmd) {
      const std::string err = checkFact(stateJson(ctx), cmd.args[0], cmd.args[1], cmd.args[2]);
      if (!err.empty()) ctx.log.error("expect " + cmd.args[0] + " " + cmd.args[1] + " " + cmd.args[2] + ": " + err);
      return true;
    };
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"cancel", {}, 0, "cancel: cancel the running and queued jobs (like their Cancel buttons)"};
    c.run = [](Context& ctx, const ScriptCommand&) {
      for (auto& j : ctx.worker->jobs())
        if (!j->finished) j->cancel = true;
      return true;
    };
    c.wait = waitUntilIdle;
    out.push_back(std::move(c));
  }
  {
    CommandSpec c{"quit", {}, 0, "quit: close the window"};
    c.run = [](Context& ctx, const ScriptCommand&) {
      ctx.state.ui.quit = true;
      return true;
    };
    c.wait = [](const ScriptCommand&) {
      ScriptWait w;
      w.quit = true;
      return w;
    };
    out.push_back(std::move(c));
  }
}

}  // namespace latentlab::gui
