// The view's commands: colours, the view itself, captions and the overlays, presenter mode, the
// help, the tab in front and scrolling.
#include "commands/view_commands.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "commands/command.h"
#include "context.h"
#include "latentlab/util/errors.h"
#include "recorder.h"

namespace latentlab::gui {

namespace {

const char* const kTabs[] = {"Model", "Jobs", "Edited", "CLUE", "Attribution", "Concepts", "Examples", "Log"};

std::string onOff(bool on) { return on ? "on" : "off"; }

// One function an entry.
CommandSpec colorCommand() {
  std::vector<std::string> modes;
  for (ColorMode m : kColorModes) modes.push_back(colorModeKey(m));
  CommandSpec c{
      "color",
      {arg::oneOf("MODE", modes, "unknown colour mode %s (label, pred, total, aleatoric, epistemic, correct)")},
      0,
      "color label|pred|total|aleatoric|epistemic|correct: colour the points"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    const ColorMode m = *parseColorMode(cmd.args[0]);
    const AppState& s = ctx.state;
    if (m != ColorMode::Label && s.hasModel() && !s.model.pts->hasClassifier) {
      ctx.log.error(std::string("color ") + colorModeKey(m) +
                    ": this bundle's encoder was trained without labels, so there are no predictions or "
                    "uncertainties to colour by (color label works)");
      return false;
    }
    ctx.state.style.setColorMode(m);
    return true;
  };
  c.record = Recording::setting(
      [](const AppState& s) -> std::optional<std::string> { return colorModeKey(s.style.colorMode); }, "label");
  c.stateKeys = {"color"};
  c.state = [](nlohmann::json& j, const AppState& s) { j["color"] = colorModeKey(s.style.colorMode); };
  return c;
}

CommandSpec fitCommand() {
  CommandSpec c{"fit", {}, 0, "fit: fit the view to the data"};
  c.run = [](Context& ctx, const ScriptCommand&) {
    fitView(ctx.state);
    return true;
  };
  c.stateKeys = {"view"};
  return c;
}

CommandSpec zoomCommand() {
  CommandSpec c{
      "zoom", {arg::number("FACTOR", 1e-6, 1e6)}, 0, "zoom FACTOR: zoom around the centre (2 = twice as close)"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.view.view.scale *= std::stod(cmd.args[0]);
    clampView(ctx.state);
    return true;
  };
  c.stateKeys = {"view"};
  return c;
}

CommandSpec centerCommand() {
  CommandSpec c{"center",
                {arg::number("X", -1e12, 1e12), arg::number("Y", -1e12, 1e12)},
                0,
                "center X Y: put projection point X, Y at the centre"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.view.view.cx = std::stod(cmd.args[0]);
    ctx.state.view.view.cy = std::stod(cmd.args[1]);
    clampView(ctx.state);
    return true;
  };
  c.stateKeys = {"view"};
  return c;
}

CommandSpec captionCommand() {
  CommandSpec c{
      "caption", {arg::text("TEXT")}, 1, "caption TEXT: show TEXT as an on-screen caption (no text clears it)"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.style.caption = clipForMessage(cmd.args.empty() ? "" : cmd.args[0], kMaxCaption);
    return true;
  };
  // Demos announce, then act: a caption set in the same frame as an action comes before it.
  c.record = Recording::setting([](const AppState& s) -> std::optional<std::string> { return s.style.caption; }, "",
                                Recording::Phase::Announce);
  c.stateKeys = {"caption"};
  c.state = [](nlohmann::json& j, const AppState& s) { j["caption"] = s.style.caption; };
  return c;
}

CommandSpec legendCommand() {
  CommandSpec c{"legend", {arg::onOff()}, 0, "legend on|off: show the map's legend, or fold it to one button"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.style.legendCollapsed = cmd.args[0] != "on";
    return true;
  };
  c.wait = [](const ScriptCommand&) { return ScriptWait::afterFrame(); };
  c.record = Recording::setting(
      [](const AppState& s) -> std::optional<std::string> { return onOff(!s.style.legendCollapsed); }, "on");
  c.stateKeys = {"legend_collapsed"};
  c.state = [](nlohmann::json& j, const AppState& s) {
    if (s.hasModel()) j["legend_collapsed"] = s.style.legendCollapsed;
  };
  return c;
}

CommandSpec presenterCommand() {
  CommandSpec c{"presenter",
                {arg::onOff()},
                0,
                "presenter on|off: presenter mode (View menu): large fonts, no developer figures, captions at the top "
                "of the map"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.ui.presenter = cmd.args[0] == "on";
    return true;
  };
  c.wait = [](const ScriptCommand&) { return ScriptWait::forFrames(2); };  // the fonts change: two frames
  c.record =
      Recording::setting([](const AppState& s) -> std::optional<std::string> { return onOff(s.ui.presenter); }, "off");
  c.stateKeys = {"presenter"};
  c.state = [](nlohmann::json& j, const AppState& s) { j["presenter"] = s.ui.presenter; };
  return c;
}

CommandSpec helpCommand() {
  CommandSpec c{"help", {arg::onOff()}, 0, "help on|off: open or close the help window (the ? key)"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.state.ui.showHelp = cmd.args[0] == "on";
    return true;
  };
  c.wait = [](const ScriptCommand&) { return ScriptWait::forFrames(2); };  // a window is laid out over two frames
  c.stateKeys = {"help_open"};
  c.state = [](nlohmann::json& j, const AppState& s) { j["help_open"] = s.ui.showHelp; };
  return c;
}

CommandSpec tabCommand() {
  CommandSpec c{"tab",
                {arg::word("NAME")},
                0,
                "tab NAME: bring a tab to the front (Model, Jobs, Edited, CLUE, Attribution, Concepts, Examples, Log)"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    auto lower = [](std::string s) {
      for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      return s;
    };
    for (const char* t : kTabs)
      if (lower(t) == lower(cmd.args[0])) {
        ctx.state.ui.focusTab = t;
        return true;
      }
    ctx.log.error("tab: no tab '" + clipForMessage(cmd.args[0], 40) +
                  "'; the tabs are Model, Jobs, Edited, CLUE, Attribution, Concepts, Examples, Log");
    return false;
  };
  c.wait = [](const ScriptCommand&) { return ScriptWait::afterFrame(); };
  // Late: after an explanation run, which may bring its own tab forward. Unknown until the tabs
  // are first drawn; a fresh window shows Model.
  c.record = Recording::setting(
      [](const AppState& s) -> std::optional<std::string> {
        if (s.ui.frontTab.empty()) return std::nullopt;
        return s.ui.frontTab;
      },
      "Model", Recording::Phase::Late);
  c.stateKeys = {"tab"};
  c.state = [](nlohmann::json& j, const AppState& s) { j["tab"] = s.ui.frontTab; };
  return c;
}

CommandSpec scrollCommand() {
  CommandSpec c{
      "scroll",
      {arg::oneOf("inspector|tabs|help", {"inspector", "tabs", "help"}, "unknown panel %s (inspector, tabs or help)"),
       arg::number("FRACTION", 0, 1)},
      0,
      "scroll inspector|tabs|help FRACTION: scroll a panel (tabs: the tab in front) to FRACTION of its "
      "height, 0 = top, 1 = bottom"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    UiState& ui = ctx.state.ui;
    if (cmd.args[0] == "help" && !ui.showHelp) {
      ctx.log.error("scroll help: the help window is not open (help on first)");
      return false;
    }
    ui.scrollPanel = cmd.args[0];
    ui.scrollTo = float(std::stod(cmd.args[1]));
    ui.scrollFrames = 3;
    return true;
  };
  c.wait = [](const ScriptCommand&) { return ScriptWait::forFrames(3); };  // it scrolls over the next frames
  return c;
}

}  // namespace

std::string fitLine() { return "fit"; }
std::string centerLine(double x, double y) { return "center " + exactDouble(x) + " " + exactDouble(y); }
std::string zoomLine(double factor) { return "zoom " + exactDouble(factor); }

void addViewCommands(CommandList& out) {
  out.push_back(colorCommand());
  out.push_back(fitCommand());
  out.push_back(zoomCommand());
  out.push_back(centerCommand());
  out.push_back(captionCommand());
  out.push_back(legendCommand());
  out.push_back(presenterCommand());
  out.push_back(helpCommand());
  out.push_back(tabCommand());
  out.push_back(scrollCommand());
}

}  // namespace latentlab::gui
