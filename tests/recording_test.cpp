// Recording demos and exporting them as frames (issue 16), headless: the recorder's lines from
// state changes, the atomic file, and the script runner's animated drag and frame count.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <unistd.h>

#include "app_state.h"
#include "commands/script.h"
#include "fake_script_host.h"
#include "recorder.h"
#include "script_runner.h"

using namespace latentlab;
using namespace latentlab::gui;

namespace {

using DragHost = FakeHost;

// Steps the runner until it is done (at most `limit` frames); counts the frames it counted.
int runAll(ScriptRunner& r, DragHost& h, int frames = 300) {
  int counted = 0;
  for (int f = 0; f < frames; ++f) {
    r.step(h);
    counted += r.countedFrame();
  }
  return counted;
}

AppState modelState() {
  AppState s;
  auto t = std::make_shared<PointTable>();
  t->n = t->numTest = 20;
  t->K = 2;
  t->d = 2;
  s.model.pts = t;
  s.model.dir = "assets/models/x";
  s.model.name = "x";
  s.view.view.scale = 10;
  s.view.fitScale = 10;
  return s;
}

std::string tmpFile(const std::string& name) {
  // One folder per process: cases run in parallel (one ctest entry each) and check their folder.
  const auto dir = std::filesystem::temp_directory_path() / ("latentlab_recording_test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

std::string readAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The script lines of a recording, without its comments.
std::vector<std::string> commands(const Recorder& rec) {
  std::vector<std::string> out;
  for (const auto& l : rec.lines())
    if (l.rfind("#", 0) != 0) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("a drag over FRAMES frames moves a step each frame, ends exactly at DX DY, then is kept") {
  DragHost h;
  ScriptRunner r(parseScript("select 3\ndrag 1 -2 4\nwait 2\n", "t.txt"));
  const int counted = runAll(r, h);
  const std::vector<std::string> want = {"select 3",       "drag 1 -2 4", "move 0.25 -0.5", "move 0.5 -1",
                                         "move 0.75 -1.5", "move 1 -2",   "commit"};
  CHECK(h.calls == want);
  CHECK(counted == 4 + 2);  // the drag's frames and the wait's
}

TEST_CASE("a drag without FRAMES is one move, as before") {
  DragHost h;
  ScriptRunner r(parseScript("drag 0.5 0.25\n", "t.txt"));
  runAll(r, h);
  const std::vector<std::string> want = {"drag 0.5 0.25", "commit"};
  CHECK(h.calls == want);
}

TEST_CASE("export: the frames counted are the script's length at the export's fps") {
  const std::string text = "caption a\nwait 60\nselect 2\ndrag 2 0 6\ncaption b\nwait 10\nscroll inspector 1\n";
  const Script script = parseScript(text, "t.txt");
  for (double fps : {60.0, 30.0, 12.0, 1.0, 2.0}) {
    DragHost h;
    ScriptRunner r(script);
    r.setExport(fps);
    // The evaluations of the drag's moves take a few frames to land: busy on every other step.
    int counted = 0;
    for (int f = 0; f < 10000 && !(r.finished() && !r.wantsFrames()); ++f) {
      h.busy = f % 3 == 1;
      r.step(h);
      counted += r.countedFrame();
    }
    CAPTURE(fps);
    CHECK(counted == ScriptRunner::scriptFrames(script, fps));
  }
  CHECK(ScriptRunner::scriptFrames(script, 30) == 30 + 3 + 5);
  CHECK(ScriptRunner::scriptFrames(script, 1) == 1 + 1 + 0);  // a drag at least one frame; a short wait none
}

TEST_CASE("export: each frame of a drag is counted after its move has been evaluated") {
  DragHost h;
  ScriptRunner r(parseScript("drag 3 0 3\n", "t.txt"));
  r.setExport(60);
  std::vector<std::string> seen;
  for (int f = 0; f < 100 && !(r.finished() && !r.wantsFrames()); ++f) {
    const size_t before = h.calls.size();
    r.step(h);
    if (h.calls.size() > before && h.calls.back().rfind("move", 0) == 0) {
      h.busy = true;  // the move's evaluation is pending
      CHECK_FALSE(r.countedFrame());
    } else if (r.countedFrame()) {
      CHECK_FALSE(h.busy);
      seen.push_back(h.calls.back());
    } else {
      h.busy = false;  // it lands
    }
  }
  const std::vector<std::string> want = {"move 1 0", "move 2 0", "move 3 0"};
  CHECK(seen == want);
}

TEST_CASE("recorder: the start brings a fresh window to what is shown") {
  AppState s = modelState();
  s.style.colorMode = ColorMode::Epistemic;
  s.style.showTrain = true;
  s.view.view.cx = 1.5;
  s.view.view.scale = 20;
  s.selection.sel.point = 7;
  s.style.caption = "hello";
  Recorder rec;
  const std::string path = tmpFile("start.txt");
  REQUIRE(rec.start(path, s, 0.0) == "");
  const std::vector<std::string> want = {"color epistemic", "train on", "fit",          "center 1.5 0",
                                         "zoom 2",          "select 7", "caption hello"};
  CHECK(commands(rec) == want);
  // The file is there at once, and it parses as a script.
  const Script parsed = parseScript(readAll(path), path);
  CHECK(parsed.errors.empty());
  CHECK(parsed.commands.size() == want.size());
}

TEST_CASE("recorder: changes become lines, with the pauses between them as waits") {
  AppState s = modelState();
  Recorder rec;
  const std::string path = tmpFile("changes.txt");
  REQUIRE(rec.start(path, s, 0.0) == "");
  rec.observe(s, 0.1, false);
  s.style.colorMode = ColorMode::Pred;
  rec.observe(s, 1.0, false);  // 1 s after the start: wait 60
  s.selection.sel.point = 4;
  rec.observe(s, 1.5, false);
  // A drag from t = 2 to t = 2.5, kept.
  Drag& d = s.edits.drag;
  d.active = true;
  d.x0 = 1, d.y0 = 2, d.tx = 1, d.ty = 2;
  rec.observe(s, 2.0, true);
  d.tx = 3.25f, d.ty = -1.5f;
  rec.observe(s, 2.25, true);
  d.active = false;
  s.edits.edited.push_back({});
  s.edits.undo.push_back({});
  s.selection.sel = {4, 0};
  rec.observe(s, 2.5, false);
  // An undo.
  s.edits.edited.clear();
  s.edits.undo.clear();
  s.selection.sel = {4, -1};
  rec.observe(s, 3.0, false);
  s.style.caption = "look";
  rec.observe(s, 3.0, false);
  const std::vector<std::string> want = {"fit",      "wait 60",  "color pred",        "wait 30",
                                         "select 4", "wait 30",  "drag 2.25 -3.5 30", "wait 30",
                                         "undo",     "select 4", "caption look"};
  CHECK(commands(rec) == want);
  CHECK(rec.stop(3.5) == "");
  const Script parsed = parseScript(readAll(path), path);
  CHECK(parsed.errors.empty());
}

TEST_CASE("recorder: the view and the filter are written once they settle, not every frame") {
  AppState s = modelState();
  Recorder rec;
  REQUIRE(rec.start(tmpFile("view.txt"), s, 0.0) == "");
  // A wheel zoom in three steps, then still.
  for (int k = 1; k <= 3; ++k) {
    s.view.view.scale = 10 * (1 + k);
    rec.observe(s, 0.05 * k, false);
  }
  rec.observe(s, 0.2, false);
  CHECK(commands(rec).size() == 1);  // not yet
  rec.observe(s, 0.5, false);
  // A pan with the button down is not written until it is released.
  s.view.view.cx = 5;
  rec.observe(s, 1.0, true);
  rec.observe(s, 2.0, true);
  CHECK(commands(rec).back() == "zoom 4");
  rec.observe(s, 2.5, false);
  rec.observe(s, 2.9, false);
  CHECK(commands(rec).back() == "center 5 0");
  // Typing a filter: one line for the final text.
  for (const char* t : {"p", "pr", "pre", "pred=3"}) {
    s.style.filterText = t;
    rec.observe(s, 3.0, false);
  }
  rec.observe(s, 3.5, false);
  CHECK(commands(rec).back() == "filter pred=3");
  size_t filters = 0;
  for (const auto& l : commands(rec)) filters += l.rfind("filter", 0) == 0;
  CHECK(filters == 1);
}

TEST_CASE("recorder: what the script language cannot say is a comment, and the file is replaced atomically") {
  AppState s = modelState();
  Recorder rec;
  const std::string path = tmpFile("comments.txt");
  REQUIRE(rec.start(path, s, 0.0) == "");
  s.edits.edited.push_back({});
  s.edits.edited.push_back({});
  s.selection.sel = {-1, 0};
  rec.observe(s, 1.0, false);  // a click on an edited point (made before)
  bool commented = false;
  for (const auto& l : rec.lines()) commented = commented || l.find("cannot select") != std::string::npos;
  CHECK(commented);
  // No temporary file is left beside it.
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("recorder: an unwritable path is refused at the start, naming it") {
  AppState s = modelState();
  Recorder rec;
  const std::string err = rec.start("/nonexistent-dir-xyz/demo.txt", s, 0.0);
  CHECK(err.find("/nonexistent-dir-xyz/demo.txt") != std::string::npos);
  CHECK_FALSE(rec.active());
}

TEST_CASE("script: drag FRAMES and presenter are checked when parsed") {
  CHECK(parseScript("drag 1 2 30\n", "t").errors.empty());
  CHECK_FALSE(parseScript("drag 1 2 -3\n", "t").errors.empty());
  CHECK_FALSE(parseScript("drag 1 2 1e9\n", "t").errors.empty());
  CHECK(parseScript("presenter on\n", "t").errors.empty());
  CHECK_FALSE(parseScript("presenter maybe\n", "t").errors.empty());
}

TEST_CASE("recorder: a counterfactual or IG run is written with its settings, and the line parses") {
  AppState s = modelState();
  Recorder rec;
  REQUIRE(rec.start(tmpFile("runs.txt"), s, 0.0) == "");
  s.clue.options.method = ClueMethod::ClassChange;
  s.clue.options.target = 3;
  s.clue.options.steps = 50;
  s.clue.options.keepClass = true;
  ++s.clue.runs;
  rec.observe(s, 1.0, false);
  s.attribution.options.target = AttributionTarget{};
  s.attribution.options.adaptive = false;  // a fixed m is written; the adaptive default is not
  s.attribution.options.steps = 16;
  s.attribution.options.baseline = IgBaseline::Blur;
  ++s.attribution.runs;
  rec.observe(s, 2.0, false);
  s.clue.serial += 5;  // a cancel is not a run
  rec.observe(s, 3.0, false);
  const std::vector<std::string> got = commands(rec);
  REQUIRE(got.size() == 5);  // fit, wait 60, clue, wait 60, ig
  CHECK(got[2] == "clue method=class-change steps=50 keep_class=on target=3");
  CHECK(got[4].rfind("ig target=", 0) == 0);
  CHECK(got[4].find("steps=16") != std::string::npos);
  CHECK(got[4].find("baseline=blur") != std::string::npos);
  const Script parsed = parseScript(got[2] + "\n" + got[4] + "\n", "t");
  CHECK(parsed.errors.empty());
  // Every setting survives a round trip through the script's parser.
  ClueOptions back;
  for (const auto& kv : parsed.commands[0].args)
    setClueOption(back, kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1), "t");
  CHECK(back.method == ClueMethod::ClassChange);
  CHECK(back.target == 3);
  CHECK(back.steps == 50);
  CHECK(back.keepClass);
}

TEST_CASE("recorder: the tab in front and live saliency are recorded") {
  AppState s = modelState();
  s.ui.frontTab = "Model";
  Recorder rec;
  REQUIRE(rec.start(tmpFile("tabs.txt"), s, 0.0) == "");
  s.ui.frontTab = "Attribution";
  rec.observe(s, 0.0, false);
  s.attribution.live = true;
  s.attribution.liveSteps = 8;
  rec.observe(s, 0.0, false);
  s.attribution.live = false;
  rec.observe(s, 0.0, false);
  const std::vector<std::string> want = {"fit", "tab Attribution", "saliency on ig", "saliency off"};
  CHECK(commands(rec) == want);
  CHECK(parseScript("tab Attribution\nsaliency on ig\nsaliency off\n", "t").errors.empty());
}

TEST_CASE("recorder: the fit that comes with a new projection is not written (the replay fits too)") {
  AppState s = modelState();
  Recorder rec;
  REQUIRE(rec.start(tmpFile("project.txt"), s, 0.0) == "");
  s.view.view.scale = 20;  // a zoom, still settling
  rec.observe(s, 0.1, false);
  s.projection.current = Projection::Tsne;  // the layout lands and is fitted in the same frame
  s.view.view.scale = 3;
  s.view.view.cx = 7;
  s.view.fitScale = 3;
  rec.observe(s, 0.2, false);
  s.view.view.scale = 6;  // then zoomed by hand
  rec.observe(s, 0.3, false);
  rec.observe(s, 1.0, false);
  const std::vector<std::string> want = {"fit", "wait 12", "zoom 2", "project tsne", "wait 48", "zoom 2"};
  std::string got;
  for (const auto& l : commands(rec)) got += l + " | ";
  CAPTURE(got);
  CHECK(commands(rec) == want);
}

TEST_CASE("recorder: a fit the map makes by itself is not written, what settled before it is") {
  AppState s = modelState();
  Recorder rec;
  REQUIRE(rec.start(tmpFile("autofit.txt"), s, 0.0) == "");
  s.view.view.cx = 2;  // a pan, still settling
  rec.observe(s, 0.1, false);
  s.view.view.cx = 9;  // the map refits itself (presenter caption strip, a resize)
  s.view.view.scale = 4;
  ++s.view.autoFits;
  rec.observe(s, 0.2, false);
  rec.observe(s, 1.0, false);
  const std::vector<std::string> want = {"fit", "wait 12", "center 2 0"};
  CHECK(commands(rec) == want);
}

TEST_CASE("recorder: a caption that starts with # is a caption, an imported CSV layout a comment") {
  AppState s = modelState();
  Recorder rec;
  REQUIRE(rec.start(tmpFile("hash.txt"), s, 0.0) == "");
  s.style.caption = "# Step 1: the map";
  rec.observe(s, 1.0, false);
  s.projection.current = Projection::Csv;
  rec.observe(s, 2.0, false);
  const std::vector<std::string> got = commands(rec);
  CHECK(std::find(got.begin(), got.end(), "caption # Step 1: the map") != got.end());
  bool csvComment = false;
  for (const auto& l : rec.lines())
    csvComment = csvComment || l == "# an imported CSV layout was shown: use layout-csv PATH here";
  CHECK(csvComment);
  // The caption line replays as that caption.
  const Script replay = parseScript("caption # Step 1: the map\n", "r");
  REQUIRE(replay.commands.size() == 1);
  CHECK(replay.commands[0].args == std::vector<std::string>{"# Step 1: the map"});
}

TEST_CASE("recorder: every flip is written, also when a new point's flips start a new series") {
  AppState s = modelState();
  Recorder rec;
  REQUIRE(rec.start(tmpFile("flips.txt"), s, 0.0) == "");
  s.concepts.flips = {3};
  s.concepts.history = {3};
  rec.observe(s, 1.0, false);
  s.concepts.flips = {3, 7};
  s.concepts.history = {3, 7};
  rec.observe(s, 2.0, false);
  s.concepts.flips = {5};  // another point: a new series of one flip
  s.concepts.history = {3, 7, 5};
  rec.observe(s, 3.0, false);
  std::vector<std::string> flips;
  for (const auto& l : commands(rec))
    if (l.rfind("flip", 0) == 0) flips.push_back(l);
  CHECK(flips == std::vector<std::string>{"flip 3", "flip 7", "flip 5"});
}
