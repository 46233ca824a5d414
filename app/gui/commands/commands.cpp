// The one list of script commands (command.h): the argument kinds, the list assembled from the
// areas, and the manual's table of it (docs/manual.md).
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "commands/command.h"
#include "latentlab/util/errors.h"

namespace latentlab::gui {

namespace {

std::string quote(const std::string& w) { return "'" + clipForMessage(w, 40) + "'"; }

}  // namespace

namespace arg {

bool isWholeNumber(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  return end == s.c_str() + s.size() && v >= 0 && errno != ERANGE;
}

// strtod alone would also take hex, "inf" and "nan".
bool isDecimalNumber(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

std::string trimBlanks(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::string rangeText(double lo, double hi) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g..%g", lo, hi);
  return buf;
}

}  // namespace arg

namespace {

using arg::rangeText;

// The range of a number that has the right form: "" or what is wrong.
std::string inRange(const std::string& w, double lo, double hi) {
  const double v = std::strtod(w.c_str(), nullptr);
  if (!(v >= lo && v <= hi)) return quote(w) + " is out of range (" + rangeText(lo, hi) + ")";
  if (v != 0 && std::abs(v) < 1e-30) return quote(w) + " is too small (use 0, or a magnitude of at least 1e-30)";
  return "";
}

// Text for a Markdown table cell: a '|' would end the cell.
std::string cell(const std::string& text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

}  // namespace

namespace arg {

ArgSpec path(std::string name) { return {std::move(name), ArgSpec::Kind::One, {}}; }
ArgSpec outFile(std::string name) {
  ArgSpec a{std::move(name), ArgSpec::Kind::One, {}};
  a.writes = ArgSpec::Writes::File;
  return a;
}
ArgSpec outFolder(std::string name) {
  ArgSpec a{std::move(name), ArgSpec::Kind::One, {}};
  a.writes = ArgSpec::Writes::Folder;
  return a;
}
ArgSpec text(std::string name) { return {std::move(name), ArgSpec::Kind::Rest, {}}; }
ArgSpec word(std::string name) { return {std::move(name), ArgSpec::Kind::One, {}}; }

ArgSpec whole(std::string name, double lo, double hi) {
  return {std::move(name), ArgSpec::Kind::One, [lo, hi](const std::string& w) {
            if (!isWholeNumber(w)) return quote(w) + " is not a whole number (" + rangeText(lo, hi) + ")";
            return inRange(w, lo, hi);
          }};
}

ArgSpec number(std::string name, double lo, double hi) {
  return {std::move(name), ArgSpec::Kind::One, [lo, hi](const std::string& w) {
            if (!isDecimalNumber(w)) return quote(w) + " is not a number";
            return inRange(w, lo, hi);
          }};
}

ArgSpec onOff() {
  return {"on|off", ArgSpec::Kind::One, [](const std::string& w) {
            return w == "on" || w == "off" ? std::string() : quote(w) + " must be on or off";
          }};
}

ArgSpec oneOf(std::string name, std::vector<std::string> words, std::string refusal) {
  return {std::move(name), ArgSpec::Kind::One,
          [words = std::move(words), refusal = std::move(refusal)](const std::string& w) {
            for (const auto& ok : words)
              if (w == ok) return std::string();
            const std::string q = quote(w);
            std::string msg = refusal;
            const size_t at = msg.find("%s");
            return at == std::string::npos ? msg : msg.replace(at, 2, q);
          }};
}

ArgSpec settings(std::string name, std::string where,
                 std::function<void(const std::string& key, const std::string& value)> set) {
  ArgSpec a{std::move(name), ArgSpec::Kind::Settings,
            [where = std::move(where), set = std::move(set)](const std::string& w) -> std::string {
              const size_t eq = w.find('=');
              if (eq == std::string::npos) return quote(w) + " is not KEY=VALUE";
              try {
                set(w.substr(0, eq), w.substr(eq + 1));
              } catch (const InputError& e) {
                const std::string m = e.what();
                const std::string prefix = "[" + where + "] ";
                return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
              }
              return "";
            }};
  return a;
}

}  // namespace arg

const CommandList& commands() {
  static const CommandList all = [] {
    CommandList c;
    addProjectionCommands(c);
    addViewCommands(c);
    addModelCommands(c);
    addEditCommands(c);
    addClueCommands(c);
    addAttributionCommands(c);
    addConceptCommands(c);
    addExamplesCommands(c);
    addExtrasCommands(c);
    addSessionCommands(c);
    addFlowCommands(c);
    return c;
  }();
  return all;
}

const CommandSpec* findCommand(const std::string& name) {
  for (const CommandSpec& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

std::string commandTableMarkdown() {
  std::string t = "| command | what it does | `state` keys it changes |\n| --- | --- | --- |\n";
  for (const CommandSpec& c : commands()) {
    std::string help = c.help;
    const size_t colon = help.find(": ");
    const std::string usage = colon == std::string::npos ? c.name : help.substr(0, colon);
    if (colon != std::string::npos) help = help.substr(colon + 2);
    std::string keys;
    for (const auto& k : c.stateKeys) keys += (keys.empty() ? "`" : ", `") + k + "`";
    t += "| `" + cell(usage) + "` | " + cell(help) + " | " + keys + " |\n";
  }
  return t;
}

}  // namespace latentlab::gui
