#pragma once
// The GUI's script language (`latentlab gui --script FILE`): one command a line, '#' comments.
// The commands and what each accepts are the entries of command.h; parsing is separate from
// running so that it is checked headless (and fuzzed). GL-free, ImGui-free, LibTorch-free.
#include <string>
#include <vector>

#include "commands/command.h"

namespace latentlab::gui {

struct ScriptError {
  int line = 0;
  std::string message;  // "FILE:LINE: what is wrong", under 1,000 characters
};

struct Script {
  std::vector<ScriptCommand> commands;
  std::vector<ScriptError> errors;  // lines that did not parse; they are skipped
};

// Never throws. Each command kept has its arguments checked by its entry.
Script parseScript(const std::string& text, const std::string& source);
// Reads the file; throws InputError naming it when it cannot be read.
Script loadScriptFile(const std::string& path);

}  // namespace latentlab::gui
