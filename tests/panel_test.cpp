// The panels drawn without a window: a Dear ImGui context with no backend (its font atlas built,
// nothing rendered on a GPU), a Context on the shipped Fashion-MNIST bundle with placeholder
// images, and what each panel reports read back through ImGui's text log and checked against the
// state the explorer computed.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_IMPLEMENT  // also when doctest.h came first, through the precompiled header
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "headless_explorer.h"
#include "panels/attribution_panel.h"
#include "panels/clue_panel.h"
#include "panels/concepts_panel.h"
#include "panels/inspector_panel.h"

using namespace latentlab;
using namespace latentlab::gui;
using latentlab::gui::testing::HeadlessExplorer;
using latentlab::gui::testing::shippedBundle;

namespace {

// Images as empty items of their size (the layout is the window's), noted by slot.
struct PlaceholderTextures : Textures {
  std::vector<std::string> shown;
  size_t wrongSizes = 0;
  void show(const std::string& slot, const std::vector<uint8_t>& rgba, int h, int w, float size) override {
    if (rgba.size() != size_t(h) * size_t(w) * 4) ++wrongSizes;
    const float aspect = float(w) / float(std::max(1, h));
    ImGui::Dummy(aspect >= 1 ? ImVec2(size, size / aspect) : ImVec2(size * aspect, size));
    shown.push_back(slot);
  }
  void showSigned(const std::string& slot, const std::vector<float>& map, int h, int w, float, float size,
                  bool overlay) override {
    if (map.size() != size_t(h) * size_t(w)) ++wrongSizes;
    if (!overlay) ImGui::Dummy(ImVec2(size, size));
    shown.push_back(slot);
  }
  bool has(const std::string& slot) const { return std::find(shown.begin(), shown.end(), slot) != shown.end(); }
};

// One ImGui context for the test, no backend: the font atlas is built on the CPU and frames end
// without rendering.
struct HeadlessImGui {
  HeadlessImGui() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1600, 4000);  // tall: no panel line is clipped out of the log
    io.Fonts->AddFontDefault();
    io.Fonts->AddFontDefault();
    io.Fonts->AddFontDefault();  // the app's three fonts (UI, captions, fixed width)
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  }
  ~HeadlessImGui() { ImGui::DestroyContext(); }
  // Draws `panel` for one frame in a window of the side panel's width; returns the text it showed.
  std::string draw(Panel& panel, Context& ctx) {
    ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(520, 3900));
    ImGui::Begin(panel.name());
    ImGui::LogToBuffer();
    panel.draw(ctx);
    std::string text = GImGui->LogBuffer.c_str();
    ImGui::LogFinish();
    ImGui::End();
    ImGui::Render();  // the draw lists are built (and checked by ImGui) though nothing draws them
    return text;
  }
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

bool shows(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  MESSAGE("not shown: '" << part << "' in:\n" << text);
  return false;
}

}  // namespace

TEST_CASE("inspector panel: the model's summary, then the selected point's label, probabilities and uncertainties") {
  HeadlessImGui ui;
  PlaceholderTextures tex;
  HeadlessExplorer e(shippedBundle(), &tex);
  REQUIRE(e.ctx.state.hasModel());
  InspectorPanel inspector;
  const AppState& s = e.ctx.state;
  std::string text = ui.draw(inspector, e.ctx);
  const SelectionSummary& m = s.model.testSummary;
  CHECK(shows(text, "test accuracy " + fmt("%.1f", 100.0 * double(m.correct) / double(m.count)) + "%"));
  CHECK(shows(text, "10000 test points, 10 classes"));

  // The most uncertain test point: its probabilities are spread over several classes.
  const PointTable& t = *s.model.pts;
  const int64_t p = std::max_element(t.total.begin(), t.total.begin() + t.numTest) - t.total.begin();
  REQUIRE(e.run("select " + std::to_string(p) + "\n").empty());
  REQUIRE(s.edits.inspect);
  const LatentEval& ev = *s.edits.inspect;
  text = ui.draw(inspector, e.ctx);
  CHECK(shows(text, "point #" + std::to_string(p)));
  CHECK(shows(text, "label: " + t.classNames[size_t(t.labels[size_t(p)])]));
  // One row per class: its name, then its probability.
  for (size_t k = 0; k < size_t(t.K); ++k) {
    const size_t at = text.find("\n" + t.classNames[k] + " ");
    REQUIRE_MESSAGE(at != std::string::npos, t.classNames[k]);
    const std::string line = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    CHECK_MESSAGE(line.find(fmt("%.3f", ev.probs[k])) != std::string::npos, line);
  }
  CHECK(shows(text, fmt("%.3g", ev.total)));
  CHECK(shows(text, fmt("%.3g", ev.aleatoric)));
  CHECK(shows(text, fmt("%.3g", ev.epistemic)));
  CHECK(shows(text, "of test points"));
  CHECK(tex.has("input"));
  CHECK(tex.has("dec"));
  CHECK(tex.wrongSizes == 0);
}

TEST_CASE("CLUE panel: both heads' U before, at z* and after the round trip, and the path's images") {
  HeadlessImGui ui;
  PlaceholderTextures tex;
  HeadlessExplorer e(shippedBundle(), &tex);
  REQUIRE(e.run("select 12\nclue steps=60\n").empty());
  const ClueState& c = e.ctx.state.clue;
  REQUIRE(c.laplace);
  REQUIRE(c.det);
  CluePanel panel;
  const std::string text = ui.draw(panel, e.ctx);
  for (const ClueRun* run : {&*c.laplace, &*c.det}) {
    CHECK(shows(text, fmt("%.4f", run->result.uBefore)));
    CHECK(shows(text, fmt("%.4f", run->result.uLatent)));
    CHECK(shows(text, fmt("%.4f", run->result.uRoundtrip)));
  }
  CHECK(shows(text, "Laplace head"));
  CHECK(c.laplace->result.uLatent < c.laplace->result.uBefore);  // what the table shows: U went down
  CHECK(tex.has("clue0_x0"));
  CHECK(tex.has("clue0_xs"));
  CHECK(tex.wrongSizes == 0);
}

TEST_CASE("Attribution panel: F at the image and the baseline, and the map's sum (completeness)") {
  HeadlessImGui ui;
  PlaceholderTextures tex;
  HeadlessExplorer e(shippedBundle(), &tex);
  REQUIRE(e.run("select 3\nig steps=16\n").empty());
  const AttributionState& a = e.ctx.state.attribution;
  REQUIRE(a.run);
  const AttributionResult& r = a.run->ig;
  AttributionPanel panel;
  const std::string text = ui.draw(panel, e.ctx);
  CHECK(shows(text, "F(x) = " + fmt("%.4f", r.fInput)));
  CHECK(shows(text, "F(x') = " + fmt("%.4f", r.fBaseline)));
  CHECK(shows(text, "sum of the map = " + fmt("%.4f", r.sumAttribution)));
  CHECK(shows(text, "16 steps"));
  CHECK(std::abs(r.sumAttribution - (r.fInput - r.fBaseline)) <= 0.05 * std::abs(r.fInput - r.fBaseline) + 1e-6);
  CHECK(tex.has("ig_xa"));
  CHECK(tex.wrongSizes == 0);
}

TEST_CASE("Concepts panel: the selection's code, and after a flip the flipped point's code with that bit changed") {
  HeadlessImGui ui;
  PlaceholderTextures tex;
  HeadlessExplorer e(shippedBundle(), &tex);
  REQUIRE(e.ctx.state.model.dvaeBits > 0);
  REQUIRE(e.run("select 9\n").empty());
  ConceptsPanel panel;
  std::string text = ui.draw(panel, e.ctx);
  REQUIRE(e.ctx.state.edits.inspect);
  const std::vector<uint8_t> before = e.ctx.state.edits.inspect->bits;
  REQUIRE(int(before.size()) == e.ctx.state.model.dvaeBits);
  auto code = [](const std::vector<uint8_t>& bits) {
    std::string s;
    for (size_t i = 0; i < bits.size(); ++i) s += (i > 0 && i % 4 == 0 ? " " : "") + std::string(bits[i] ? "1" : "0");
    return s;
  };
  CHECK(shows(text, "code b: " + code(before)));
  REQUIRE(e.run("flip 2\n").empty());
  text = ui.draw(panel, e.ctx);
  std::vector<uint8_t> flipped = before;
  flipped[2] ^= 1;
  CHECK(shows(text, "Flipped point from #9"));
  CHECK(shows(text, "code before: " + code(before)));
  REQUIRE(e.ctx.state.edits.inspect);
  CHECK(e.ctx.state.edits.inspect->bits == flipped);  // the flipped point's own code is b with bit 2 changed
  CHECK(shows(text, "code b: " + code(flipped)));
}
