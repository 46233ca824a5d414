#pragma once
// The script language's commands, each declared once: its name, its arguments with what each
// accepts, its help line, what it does to the explorer, what the script then waits for, how the
// demo recorder writes it, and the `state` keys it changes (as ImHex's content registries add a
// command once with its handler, and Polyscope's persistent values give one list of settings).
// The parser (script.h), the runner (script_runner.h), the help window, the recorder and the
// manual's table (docs/manual.md, from `latentlab gui --commands`) all read the one list, commands().
//
// An entry sits beside the controller it drives: controllers/<area>_controller.cpp declares its
// area's commands in add<Area>Commands; the view's and the script's own commands are in
// commands/view_commands.cpp and commands/flow_commands.cpp. Adding a command touches its entry and
// its controller; the manual's table is then written again from the list by a script
// (scripts/docs_commands.sh --update; the test docs_commands fails until it is).
//
// GL-free, ImGui-free and LibTorch-free. UI thread only (the handlers run in the frame loop).
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace latentlab::gui {

struct AppState;
struct Context;

// One parsed line of a script.
struct ScriptCommand {
  int line = 0;                   // 1-based line in the file
  std::string name;               // load, project, color, select, drag, wait, ...
  std::vector<std::string> args;  // each checked by its entry's ArgSpec when parsed
  std::string rest;               // the text after the command name (caption, filter)
};

// What a command leaves the script waiting for before its next line.
struct ScriptWait {
  bool idle = false;        // the worker has nothing left to do (loads, jobs, evaluations)
  bool frame = false;       // the frame is drawn first (screenshots read it)
  bool commitDrag = false;  // once idle: keep the drag as an edited point, then wait idle again
  int frames = 0;           // `wait N`
  bool counted = false;     // the frames are the script's own time (`wait`): an export writes them
  int dragFrames = 0;       // `drag DX DY FRAMES`: the drag moves over this many frames
  float dragDx = 0, dragDy = 0;
  std::string file;  // `wait-for PATH`
  int fileSeconds = 60;
  bool quit = false;

  static ScriptWait none() { return {}; }
  static ScriptWait untilIdle() {
    ScriptWait w;
    w.idle = true;
    return w;
  }
  static ScriptWait afterFrame() {
    ScriptWait w;
    w.frame = true;
    return w;
  }
  static ScriptWait forFrames(int n) {
    ScriptWait w;
    w.frames = n;
    return w;
  }
};

// The wait of a command that starts work on the worker (an evaluation, a job): until it is idle.
inline ScriptWait waitUntilIdle(const ScriptCommand&) { return ScriptWait::untilIdle(); }

// One argument: its name in the usage (BIT, DX, on|off) and what it accepts.
struct ArgSpec {
  enum class Kind {
    One,       // one word
    Rest,      // the rest of the line, spaces and all (a caption)
    Settings,  // any number of trailing KEY=VALUE words
  };
  ArgSpec(std::string n, Kind k, std::function<std::string(const std::string&)> c = {})
      : name(std::move(n)), kind(k), check(std::move(c)) {}
  std::string name;
  Kind kind = Kind::One;
  // "" when the word is acceptable, else what is wrong with it (the parser adds the line).
  std::function<std::string(const std::string& word)> check;  // Settings: one KEY=VALUE (a key twice is refused)
  // A path the command writes: a script's is resolved by ScriptOutputs (script_outputs.h) first.
  enum class Writes { No, File, Folder };
  Writes writes = Writes::No;
};

// The argument kinds. Each error message quotes the word.
namespace arg {
// The words they are made of: a decimal number (no hex, inf or nan), finite; a whole number >= 0
// in base 10; "lo..hi" as messages write a range; a line without its surrounding blanks.
bool isDecimalNumber(const std::string& w);
bool isWholeNumber(const std::string& w);
std::string rangeText(double lo, double hi);
std::string trimBlanks(const std::string& s);

ArgSpec path(std::string name = "PATH");     // a path the command reads (or waits for)
ArgSpec outFile(std::string name = "PATH");  // a file the command writes
ArgSpec outFolder(std::string name);         // a new folder the command writes
ArgSpec text(std::string name);              // the rest of the line
// A whole number >= 0 in lo..hi; a number (finite) in lo..hi. Numbers between 0 and 1e-30 in
// magnitude are refused (they would underflow a float).
ArgSpec whole(std::string name, double lo, double hi);
ArgSpec number(std::string name, double lo, double hi);
ArgSpec onOff();
// One of `words`; `refusal` is the message for another word, with %s for the quoted word.
ArgSpec oneOf(std::string name, std::vector<std::string> words, std::string refusal);
ArgSpec word(std::string name);  // any word (checked when the command runs)
// KEY=VALUE words; `set` throws InputError (with its "[where] " prefix) for a bad key or value.
ArgSpec settings(std::string name, std::string where,
                 std::function<void(const std::string& key, const std::string& value)> set);
}  // namespace arg

// How the demo recorder (recorder.h) writes a command, from what the explorer shows.
struct Recording {
  enum class Kind {
    None,     // not recorded (or written by the recorder's map interaction: select, drag, the view)
    Setting,  // a value the explorer shows: written when it changes
    Event,    // something that happened: counted
  };
  // When in its frame a line is written: an announcement (a caption) before the frame's actions,
  // settings, edits, explanation runs, and late settings (the tab in front, which a run may
  // bring forward).
  enum class Phase { Announce, Setting, Edit, Run, Late };
  Kind kind = Kind::None;
  Phase phase = Phase::Setting;

  // Setting: the arguments that bring a fresh window to what `s` shows ("pred", "on", or "" for a
  // command without arguments); nullopt when it is unknown (not written, and the next known value
  // is taken as written). `fresh`: a fresh window's arguments (not written at the start).
  // `unsaid`: a value the language cannot bring back (an imported CSV layout), written as the
  // comment `unsaidComment` instead of a line.
  std::function<std::optional<std::string>(const AppState& s)> value;
  std::optional<std::string> fresh;
  std::string unsaid, unsaidComment;
  bool settles = false;     // written once unchanged for kSettleSeconds (typing, a slider)
  bool stillInput = false;  // ... and no mouse button down (a slider being dragged)
  bool refits = false;      // the replay's command refits the view too: the fit is not written
  bool resets = false;      // everything else starts afresh after it (a load)
  bool atStart = true;      // written at the start of a recording (when it differs from `fresh`)

  // Event: a count that grows by one per event (it drops only when everything starts afresh, a new
  // model; the drop writes nothing unless `drops`).
  // perEvent: the arguments of event k (0-based), one line each; else one line with `latest`.
  // `drops`: a line per drop of the count instead (an undo pops the undo stack).
  std::function<uint64_t(const AppState& s)> count;
  std::function<std::string(const AppState& s, uint64_t k)> perEvent;
  std::function<std::string(const AppState& s)> latest;
  bool drops = false;
  bool endsSelection = false;  // the event selects a point of its own (a flip's edited point)

  static Recording setting(std::function<std::optional<std::string>(const AppState&)> value,
                           std::optional<std::string> fresh, Phase phase = Phase::Setting) {
    Recording r;
    r.kind = Kind::Setting;
    r.value = std::move(value);
    r.fresh = std::move(fresh);
    r.phase = phase;
    return r;
  }
  static Recording event(std::function<uint64_t(const AppState&)> count, Phase phase = Phase::Edit) {
    Recording r;
    r.kind = Kind::Event;
    r.count = std::move(count);
    r.phase = phase;
    return r;
  }
};

struct CommandSpec {
  CommandSpec(std::string n, std::vector<ArgSpec> a, int opt, std::string h)
      : name(std::move(n)), args(std::move(a)), optional(opt), help(std::move(h)) {}
  std::string name;
  std::vector<ArgSpec> args;
  int optional = 0;  // how many trailing arguments may be left out
  std::string help;  // one line, its usage first: "NAME ARG...: what it does"
  // Checks what the arguments do not check alone (several together, or the words of `rest`); may
  // rewrite args (expect splits KEY OP VALUE). Returns "" or what is wrong.
  std::function<std::string(ScriptCommand& c)> check;
  // Does it. Reports its own failures to ctx.log; returns false when it failed at once, so that
  // the script does not wait for it (the runner goes on with the next line).
  std::function<bool(Context& ctx, const ScriptCommand& c)> run;
  // What the script waits for after a successful run (a function of the arguments alone).
  std::function<ScriptWait(const ScriptCommand& c)> wait;
  // While false the line waits, and runs once it is true (a batch run waits for the one before).
  std::function<bool(const Context& ctx)> ready;
  Recording record;
  // The `state` JSON keys the command changes (the manual's table; a test checks they exist).
  std::vector<std::string> stateKeys;
  // Writes those of its keys that only it sets into the state JSON (state_json.cpp calls it).
  std::function<void(nlohmann::json& j, const AppState& s)> state;

  // "NAME ARG1 ARG2..." with `args`, as a script line.
  std::string line(const std::string& arguments = "") const {
    return arguments.empty() ? name : name + " " + arguments;
  }
};

using CommandList = std::vector<CommandSpec>;

// Every command, in the help's order (the areas below, in turn).
const CommandList& commands();
// The command called `name`, or null.
const CommandSpec* findCommand(const std::string& name);

// Each area adds its commands (one per file; commands.cpp calls them in this order).
void addProjectionCommands(CommandList& out);   // controllers/projection_controller.cpp
void addViewCommands(CommandList& out);         // commands/view_commands.cpp
void addModelCommands(CommandList& out);        // controllers/model_controller.cpp
void addEditCommands(CommandList& out);         // controllers/edit_controller.cpp
void addClueCommands(CommandList& out);         // controllers/clue_controller.cpp
void addAttributionCommands(CommandList& out);  // controllers/attribution_controller.cpp
void addConceptCommands(CommandList& out);      // controllers/concept_controller.cpp
void addExamplesCommands(CommandList& out);     // controllers/examples_controller.cpp
void addExtrasCommands(CommandList& out);       // controllers/extras_controller.cpp
void addSessionCommands(CommandList& out);      // session_io.cpp
void addFlowCommands(CommandList& out);         // commands/flow_commands.cpp

// The manual's table of commands (Markdown): usage, what it does, state keys.
std::string commandTableMarkdown();

}  // namespace latentlab::gui
