// The script commands on a real explorer (a Context on the shipped Fashion-MNIST bundle, without a
// window): what each does to the state, the errors that name their line, and the state keys each
// entry declares.
#include <doctest/doctest.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "commands/command.h"
#include "headless_explorer.h"
#include "state_json.h"

using namespace latentlab;
using namespace latentlab::gui;
using latentlab::gui::testing::HeadlessExplorer;
using latentlab::gui::testing::shippedBundle;

namespace {

bool contains(const std::vector<std::string>& errors, const std::string& part) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(part) != std::string::npos; });
}

std::string tmpPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ll-commands-" + std::to_string(::getpid()) + "-" + name)).string();
}

}  // namespace

TEST_CASE("commands set the view, the style and the selection as a user's clicks do") {
  REQUIRE_MESSAGE(!shippedBundle().empty(), "LATENTLAB_TEST_BUNDLE names the shipped bundle (ctest sets it)");
  HeadlessExplorer e(shippedBundle());
  REQUIRE(e.ctx.state.hasModel());
  const auto errors = e.run(
      "color epistemic\ncaption Look here\nlegend off\npresenter on\nhelp on\ntab clue\nselect 5\nfit\nzoom 2\n"
      "center 0.5 -0.25\nfilter pred=3\nselect-matches\nsnap on\n");
  CHECK(errors.empty());
  const AppState& s = e.ctx.state;
  CHECK(s.style.colorMode == ColorMode::Epistemic);
  CHECK(s.style.caption == "Look here");
  CHECK(s.style.legendCollapsed);
  CHECK(s.ui.presenter);
  CHECK(s.ui.showHelp);
  CHECK(s.ui.focusTab == "CLUE");  // any case; the tab host brings it forward when it draws
  CHECK(s.selection.sel.point == 5);
  CHECK(s.view.view.cx == doctest::Approx(0.5));
  CHECK(s.view.view.cy == doctest::Approx(-0.25));
  CHECK(s.view.view.scale == doctest::Approx(2 * s.view.fitScale));
  CHECK(!s.selection.multi.empty());
  for (int64_t i : s.selection.multi) CHECK(s.model.pts->preds[size_t(i)] == 3);  // the filter's matches
  CHECK(s.edits.snap);
  const nlohmann::json st = stateJson(e.ctx);
  CHECK(st["color"] == "epistemic");
  CHECK(st["caption"] == "Look here");
  CHECK(st["legend_collapsed"] == true);
  CHECK(st["presenter"] == true);
  CHECK(st["help_open"] == true);
  CHECK(st["selected"] == 5);
  CHECK(st.contains("uncertainty"));
}

TEST_CASE("commands edit: a drag keeps an edited point, undo takes it back, a flip makes the flipped point") {
  HeadlessExplorer e(shippedBundle());
  CHECK(e.run("select 7\ndrag 1 0.5\n").empty());
  const AppState& s = e.ctx.state;
  REQUIRE(s.edits.edited.size() == 1);
  CHECK(s.edits.edited[0].origin == 7);
  CHECK(s.selection.sel.edited == 0);
  CHECK(e.run("undo\n").empty());
  CHECK(s.edits.edited.empty());
  CHECK(e.run("select 7\nflip 3\nflip 5\n").empty());
  CHECK(s.concepts.flips == std::vector<int>{3, 5});
  CHECK(s.edits.edited.size() == 1);  // both flips live in one edited point
  // An animated drag moves over its frames and is kept at the end, like the one-step drag.
  CHECK(e.run("select 2\ndrag -0.5 0.25 6\n").empty());
  REQUIRE(s.edits.edited.size() == 2);
  CHECK(s.edits.edited[1].origin == 2);
}

TEST_CASE("commands that cannot run say why, with their line, and the script goes on") {
  HeadlessExplorer e(shippedBundle());
  Script script = parseScript(
      "drag 1 1\ncolor total\nexpect color == label\nclue target=3\ntab Nope\nscroll help 0.5\nselect-matches\n"
      "filter pred=?\nflip 99\nexport-layout /nonexistent/dir/x.csv\nfit\n",
      "t.txt");
  REQUIRE(script.errors.empty());
  // A number the parser refuses, put in by hand: the runner reports it.
  script.commands.insert(script.commands.begin() + 10, ScriptCommand{11, "select", {"99999999999999999999"}, "x"});
  const auto errors = e.run(std::move(script));
  for (const auto& m : errors) MESSAGE(m);
  CHECK(contains(errors, "line 1: drag needs a selected point"));
  CHECK(contains(errors, "line 3: expect color == label: it is total"));
  CHECK(contains(errors, "line 4: clue: target is for method=class-change; latent-clue lowers U"));
  CHECK(contains(errors, "line 5: tab: no tab 'Nope'"));
  CHECK(contains(errors, "line 6: scroll help: the help window is not open"));
  CHECK(contains(errors, "line 7: select-matches: no filter is set"));
  CHECK(contains(errors, "line 8: "));  // the filter's parse error
  CHECK(contains(errors, "line 9: flip: "));
  CHECK(contains(errors, "line 10: "));
  CHECK(contains(errors, "line 11: a number in 'select"));
  CHECK(e.ctx.state.style.colorMode == ColorMode::Total);  // the good lines ran
}

TEST_CASE("every command's declared state keys are in the state JSON once it has run") {
  HeadlessExplorer e(shippedBundle());
  const std::string state = tmpPath("state.json"), session = tmpPath("session.json"), csv = tmpPath("sel.csv");
  const std::string script =
      "project pca\ncolor pred\nfit\nzoom 2\ncenter 0 0\ncaption c\nlegend on\npresenter off\nhelp off\ntab Model\n"
      "train on\nselect 3\ndrag 0.5 0.5\nundo\nsnap on\nfilter label=1\nselect-matches\nselect 3\n"
      "clue steps=20\nclue-zoom\nig steps=8\nscrub 0.5\nsaliency on\nflip 1\nselect 3\nexamples dknn\nexample top 0\n"
      "session-save " +
      session + "\nsession-load " + session + "\nexport-csv " + csv + "\nstate " + state + "\n";
  const auto errors = e.run(script);
  for (const auto& m : errors) MESSAGE(m);
  CHECK(errors.empty());
  const nlohmann::json st = stateJson(e.ctx);
  std::set<std::string> ran;
  for (const auto& c : parseScript(script, "s").commands) ran.insert(c.name);
  int checked = 0;
  for (const CommandSpec& c : commands()) {
    if (!ran.count(c.name)) continue;
    for (const auto& key : c.stateKeys) {
      CAPTURE(c.name);
      CAPTURE(key);
      CHECK(st.contains(key));
      ++checked;
    }
  }
  CHECK(checked >= 30);
  CHECK(std::filesystem::exists(state));
  CHECK(std::filesystem::exists(csv));
  for (const auto& p : {state, session, csv}) std::filesystem::remove(p);
}

TEST_CASE(
    "a shared script writes only inside its output folder: climbing out, absolute paths, links and "
    "the user's files are refused with their line") {
  namespace fs = std::filesystem;
  const fs::path home = tmpPath("sandbox");
  fs::create_directories(home / "given");
  std::ofstream(home / "keep.txt") << "the user's";
  std::ofstream(home / "given" / "existing.json") << "the user's too";
  fs::create_symlink(home, home / "given" / "link");
  HeadlessExplorer e(shippedBundle());
  e.ctx.scriptOutputs.configure(false, (home / "given").string(), "", "demo");
  const auto errors = e.run("state ok.json\nscreenshot ../keep.txt\nstate " + (home / "keep.txt").string() +
                            "\nexport-csv existing.json\nsession-save link/keep.txt\nstate ok.json\nstate sub/s.json\n"
                            "export-layout ~/x.csv\n");
  for (const auto& m : errors) MESSAGE(m);
  CHECK(contains(errors, "line 2: screenshot: [script] ../keep.txt climbs out of the output folder"));
  CHECK(contains(errors, "line 3: state: [script] " + (home / "keep.txt").string() + " is an absolute path"));
  CHECK(contains(errors, "line 4: export-csv: [script] " + (home / "given" / "existing.json").string() +
                             " is already there, and this run of the script did not write it"));
  CHECK(contains(errors, "line 5: session-save: [script] link/keep.txt passes through the link"));
  CHECK(contains(errors, "line 8: export-layout: [script] ~/x.csv is an absolute path"));
  CHECK(errors.size() == 5);  // lines 1, 6 (its own file again) and 7 (a new subfolder) wrote
  auto read = [](const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  CHECK(read(home / "keep.txt") == "the user's");
  CHECK(read(home / "given" / "existing.json") == "the user's too");
  CHECK(nlohmann::json::parse(read(home / "given" / "ok.json")).contains("view"));
  CHECK(fs::exists(home / "given" / "sub" / "s.json"));
  // Without --out-dir: a fresh folder named after the script, made at the first write.
  fs::create_directories(home / "base" / "demo-out");  // taken: the next name is used
  e.ctx.scriptOutputs.configure(false, "", (home / "base").string(), "demo");
  CHECK(e.run("state s.json\n").empty());
  CHECK(fs::exists(home / "base" / "demo-out-2" / "s.json"));
  fs::remove_all(home);
}
