// libFuzzer target: parseScript never throws and never crashes; every command it keeps is one of
// the entries (commands/command.h) with an argument count its entry accepts, and every error names
// its line and stays under 1,000 characters.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "commands/command.h"
#include "commands/script.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latentlab::gui;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Script s = parseScript(text, "fuzz");
  for (const auto& e : s.errors)
    if (e.line < 1 || e.message.rfind("fuzz:" + std::to_string(e.line) + ": ", 0) != 0 || e.message.size() > 1000)
      std::abort();
  for (const auto& c : s.commands) {
    const CommandSpec* spec = findCommand(c.name);
    if (c.line < 1 || !spec) std::abort();
    const bool more = !spec->args.empty() && spec->args.back().kind != ArgSpec::Kind::One;
    if (c.args.size() + size_t(spec->optional) < spec->args.size()) std::abort();
    if (!more && c.args.size() > spec->args.size()) std::abort();
  }
  return 0;
}
