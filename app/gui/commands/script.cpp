// The script parser: a line is a command of command.h's list with arguments its entry accepts.
#include "commands/script.h"

#include <sstream>

#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab::gui {

namespace {

// What is wrong with a line's arguments: nothing, their number (the message has the usage), or a
// word or the entry's own check (the message is followed by the line).
struct ArgumentError {
  std::string message;
  bool usage = false;
};

ArgumentError checkArguments(const CommandSpec& spec, ScriptCommand& c) {
  std::istringstream words(c.rest);
  for (std::string w; words >> w;) c.args.push_back(w);
  const ArgSpec::Kind last = spec.args.empty() ? ArgSpec::Kind::One : spec.args.back().kind;
  if (last == ArgSpec::Kind::Rest) {
    c.args.clear();
    if (!c.rest.empty()) c.args.push_back(c.rest);
  }
  const bool settings = last == ArgSpec::Kind::Settings;
  const size_t most = spec.args.size(), need = most - size_t(spec.optional);
  if (c.args.size() < need || (!settings && c.args.size() > most)) {
    const std::string count = settings      ? "at least " + std::to_string(need)
                              : need < most ? std::to_string(need) + " to " + std::to_string(most)
                                            : std::to_string(most);
    return {"'" + c.name + "' takes " + count + " argument(s), got " + std::to_string(c.args.size()) +
                " (usage: " + spec.help + ")",
            true};
  }
  for (size_t i = 0; i < c.args.size(); ++i) {
    const ArgSpec& a = spec.args[std::min(i, spec.args.size() - 1)];
    const std::string& w = c.args[i];
    if (a.kind == ArgSpec::Kind::Settings) {
      const std::string key = w.substr(0, w.find('='));
      for (size_t j = 0; j < i; ++j)
        if (c.args[j].substr(0, c.args[j].find('=')) == key && c.args[j].find('=') != std::string::npos)
          return {clipForMessage(key, 40) + " is given twice"};
    }
    if (a.check) {
      const std::string bad = a.check(w);
      if (!bad.empty()) return {bad};
    }
  }
  return {spec.check ? spec.check(c) : ""};
}

}  // namespace

Script parseScript(const std::string& text, const std::string& source) {
  Script out;
  std::istringstream in(text);
  std::string raw;
  int lineNo = 0;
  while (std::getline(in, raw)) {
    ++lineNo;
    if (lineNo == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) raw.erase(0, 3);  // a UTF-8 byte order mark
    const std::string line = arg::trimBlanks(raw);
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find_first_of(" \t");
    ScriptCommand c;
    c.line = lineNo;
    c.name = line.substr(0, sp);
    c.rest = sp == std::string::npos ? "" : arg::trimBlanks(line.substr(sp));
    std::string bad;
    const CommandSpec* spec = findCommand(c.name);
    if (!spec) {
      bad = "unknown command '" + clipForMessage(c.name, 40) + "'";
    } else {
      try {
        const ArgumentError e = checkArguments(*spec, c);
        bad = e.message;
        if (!bad.empty() && !e.usage) bad += " in '" + clipForMessage(line, 80) + "'";
      } catch (const std::exception& e) {  // a check that throws is a bad line, never a crash
        bad = std::string(e.what()) + " in '" + clipForMessage(line, 80) + "'";
      }
    }
    if (!bad.empty()) {
      out.errors.push_back({lineNo, clipForMessage(source + ":" + std::to_string(lineNo) + ": " + bad, 990)});
      continue;
    }
    out.commands.push_back(std::move(c));
  }
  return out;
}

Script loadScriptFile(const std::string& path) {
  return parseScript(readFileChecked(path, caps::kScript, "script"), path);
}

}  // namespace latentlab::gui
