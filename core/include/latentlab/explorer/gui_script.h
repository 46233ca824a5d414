#pragma once
// The GUI's script language (`latentlab gui --script FILE`): one command a line, '#' comments.
// Parsing is separate from running so it can be checked headless. Torch-free.
#include <string>
#include <vector>

namespace latentlab {

struct ScriptCommand {
  int line = 0;                   // 1-based line in the file
  std::string name;               // load, project, color, select, drag, wait, ...
  std::vector<std::string> args;  // validated for count and type by parseScript
  std::string rest;               // the text after the command name (caption, filter)
};

struct ScriptError {
  int line = 0;
  std::string message;  // "FILE:LINE: what is wrong"
};

struct Script {
  std::vector<ScriptCommand> commands;
  std::vector<ScriptError> errors;  // lines that did not parse; they are skipped
};

// The KEY=VALUE settings `train-model` accepts (as `latentlab train`'s options of the same name).
const std::vector<std::string>& trainSettingKeys();

// Help text: one line per command with its arguments.
const std::vector<std::pair<std::string, std::string>>& scriptCommandHelp();

Script parseScript(const std::string& text, const std::string& source);
// Reads the file; throws InputError naming it when it cannot be read.
Script loadScriptFile(const std::string& path);

}  // namespace latentlab
