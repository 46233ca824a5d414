#include "panels/concepts_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "context.h"
#include "latentlab/explorer/decode_check.h"
#include "latentlab/explorer/viewmath.h"
#include "widgets/textures.h"
#include "widgets/widgets.h"

namespace latentlab::gui {

namespace {

constexpr int kPerRow = 8;
// Not a class colour: white marks what the flips did (the outline of a flipped bit, the triangle
// over a strip column whose flip changes the class).
const ImU32 kMark = IM_COL32(255, 255, 255, 255);

// The inspector's evaluation when it carries the concepts of the selection.
const LatentEval* conceptEval(const Context& ctx) {
  const auto& ev = ctx.state.edits.inspect;
  if (!ev || ev->bits.empty() || int(ev->bits.size()) != ctx.state.model.dvaeBits) return nullptr;
  return &*ev;
}

void wrappedDisabled(const char* text) {
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("%s", text);
  ImGui::PopStyleColor();
}

std::string codeString(const std::vector<uint8_t>& bits) {
  std::string s;
  for (size_t i = 0; i < bits.size(); ++i) s += (i > 0 && i % 4 == 0 ? " " : "") + std::string(bits[i] ? "1" : "0");
  return s;
}

}  // namespace

bool ConceptsPanel::wantsFocus(Context& ctx) {
  if (ctx.state.concepts.serial == m_seenSerial) return false;
  m_seenSerial = ctx.state.concepts.serial;
  return true;
}

void ConceptsPanel::draw(Context& ctx) {
  AppState& s = ctx.state;
  if (!s.hasModel()) {
    ImGui::TextDisabled("Load a bundle first.");
    return;
  }
  if (!s.model.pts->hasClassifier) {
    ImGui::TextWrapped(
        "The concepts are read by the classifier (what a flipped bit does to its prediction); this "
        "encoder was trained without labels (%s) and has none.",
        s.model.pts->objective.c_str());
    return;
  }
  if (s.model.dvaeBits <= 0 && !s.model.dvaeProblem.empty()) {
    ImGui::TextColored(kErrorText, "The bundle's DVAE was left out:");
    ImGui::TextWrapped("%s", s.model.dvaeProblem.c_str());
    return;
  }
  if (s.model.dvaeBits <= 0) {
    ImGui::TextWrapped("This bundle has no DVAE, so there are no bits to flip. Add one from a terminal:");
    ImGui::TextDisabled("latentlab train-dvae %s", s.model.dir.c_str());
    ImGui::TextWrapped("(about a minute on two cores; the bundle's other files are not touched)");
    return;
  }
  ImGui::TextWrapped(
      "A discrete VAE codes the latent in %d bits b (concepts) and decodes them to D(b). Flip a bit: "
      "what does the classifier make of that concept turned over?",
      s.model.dvaeBits);
  if (!s.selection.sel.any()) {
    ImGui::TextDisabled("Select a point: its code appears here.");
    return;
  }
  if (!s.concepts.error.empty()) ImGui::TextColored(kErrorText, "%s", s.concepts.error.c_str());
  drawGrid(ctx);
  ImGui::Separator();
  drawStrip(ctx);
}

void ConceptsPanel::drawGrid(Context& ctx) {
  AppState& s = ctx.state;
  const PointTable& t = *s.model.pts;
  const LatentEval* ev = conceptEval(ctx);
  if (const auto& in = s.edits.inspect; in && !in->conceptsError.empty()) {
    ImGui::TextColored(kErrorText, "%s", in->conceptsError.c_str());
    return;
  }
  if (!ev) {
    ImGui::TextDisabled("computing the code...");
    return;
  }
  const bool active = ctx.concepts.active();
  const ConceptState& c = s.concepts;
  if (active) {
    std::string flipped;
    for (size_t i = 0; i < c.base.size() && i < c.bits.size(); ++i)
      if (c.base[i] != c.bits[i]) flipped += (flipped.empty() ? "" : ", ") + std::to_string(i);
    ImGui::Text("Flipped point from #%lld: %s", (long long)c.fromPoint,
                flipped.empty()
                    ? "no bit flipped now (all flipped back)"
                    : ((flipped.find(',') == std::string::npos ? "bit " : "bits ") + flipped + " flipped").c_str());
    tip("The flips are kept in this edited point while it stays selected; click a flipped bit again to undo it");
    ImGui::TextDisabled("code before: %s", codeString(c.base).c_str());
  } else {
    ImGui::Text("Code of the %s", s.selection.sel.edited >= 0 ? "selected edited point" : "selected point");
  }
  ImGui::Text("code b: %s", codeString(ev->bits).c_str());
  const size_t K = size_t(t.K);
  const int codePred = int(std::max_element(ev->codeProbs.begin(), ev->codeProbs.end()) - ev->codeProbs.begin());
  ImGui::Text("the code's own decode D(b) is predicted %s (%.3f)", t.classNames[size_t(codePred)].c_str(),
              ev->codeProbs[size_t(codePred)]);
  tip("D(b) is the latent the 16 bits decode to. The bits do not keep everything in z, so D(b) is near the point but "
      "not the point itself. The flips, and the strip below, start from D(b).");
  if (!active && ev->pred != codePred)
    ImGui::TextColored(kErrorText,
                       "Note: the point itself is predicted %s, but its code decodes to a %s: the bits lose "
                       "that difference. Flips start from the code.",
                       t.classNames[size_t(ev->pred)].c_str(), t.classNames[size_t(codePred)].c_str());
  if (active && c.base == c.bits)
    wrappedDisabled(
        "All flips undone: this point is now D(b), the code's decode, not the original point (Undo "
        "removes it).");
  ImGui::TextDisabled("click a bit to flip it; hover to preview the flip; white outline = flipped");
  int hovered = -1;
  const float cell = ImGui::GetFrameHeight() * 1.3f;
  for (int i = 0; i < int(ev->bits.size()); ++i) {
    if (i % kPerRow != 0) ImGui::SameLine();
    ImGui::PushID(i);
    const bool on = ev->bits[size_t(i)] != 0;
    const bool flipped = active && size_t(i) < c.base.size() && c.base[size_t(i)] != ev->bits[size_t(i)];
    ImGui::PushStyleColor(ImGuiCol_Button, on ? ImVec4(0.95f, 0.85f, 0.3f, 1) : ImVec4(0.18f, 0.2f, 0.26f, 1));
    ImGui::PushStyleColor(ImGuiCol_Text, on ? ImVec4(0.1f, 0.1f, 0.1f, 1) : ImVec4(0.85f, 0.85f, 0.85f, 1));
    char label[16];
    std::snprintf(label, sizeof label, "%d\n%d", i, on ? 1 : 0);
    if (ImGui::Button(label, ImVec2(cell, cell * 1.25f)) && !s.concepts.pending) ctx.concepts.flip(i);
    ImGui::PopStyleColor(2);
    if (flipped) {
      ImDrawList* dl = ImGui::GetWindowDrawList();
      dl->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), kMark, 3.0f, 0, 2.5f);
    }
    if (ImGui::IsItemHovered()) hovered = i;
    ImGui::PopID();
  }
  s.concepts.hover = hovered;
  // The preview: the Hamming neighbour b xor e_i, its image and prediction.
  if (hovered >= 0 && size_t(hovered) < ev->flipPred.size()) {
    ImGui::BeginTooltip();
    const int p = ev->flipPred[size_t(hovered)];
    ImGui::Text("flip bit %d (%d -> %d)", hovered, int(ev->bits[size_t(hovered)]), 1 - int(ev->bits[size_t(hovered)]));
    if (!ev->flipImages.empty()) {
      const size_t px = size_t(t.C * t.H * t.W);
      std::vector<float> img(ev->flipImages.begin() + hovered * px, ev->flipImages.begin() + (hovered + 1) * px);
      ctx.textures.showChw("concept_preview", img, int(t.C), int(t.H), int(t.W), 112);
    }
    ImGui::Text("-> %s (%.3f), total U %.3f nats", t.classNames[size_t(p)].c_str(),
                ev->flipProbs[size_t(hovered) * K + size_t(p)], ev->flipTotal[size_t(hovered)]);
    if (size_t(hovered) < ev->flipPredRound.size()) {
      const DecodeCheck c =
          checkDecode(p, ev->flipTotal[size_t(hovered)], ev->flipPredRound[size_t(hovered)],
                      ev->flipProbRound[size_t(hovered)], ev->flipTotalRound[size_t(hovered)], t.classNames);
      if (!c.faithful()) {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + 320);
        ImGui::TextColored(kWarnText, "%s", c.words.c_str());
        ImGui::PopTextWrapPos();
      }
    }
    ImGui::TextDisabled("click to flip it");
    ImGui::EndTooltip();
  }
}

void ConceptsPanel::drawStrip(Context& ctx) {
  const PointTable& t = *ctx.state.model.pts;
  const LatentEval* ev = conceptEval(ctx);
  if (!ev) return;
  const size_t K = size_t(t.K), n = ev->bits.size();
  const int codePred = int(std::max_element(ev->codeProbs.begin(), ev->codeProbs.end()) - ev->codeProbs.begin());
  int changes = 0;
  for (size_t i = 0; i < n; ++i) changes += ev->flipPred[i] != codePred;
  ImGui::TextWrapped("What each single flip would do: %d of %zu change the prediction (from %s, the code's)", changes,
                     n, t.classNames[size_t(codePred)].c_str());
  // The pictures of the flips that the model itself would read as another class, or much less surely.
  std::string otherwise;
  int misread = 0;
  for (size_t i = 0; i < n && i < ev->flipPredRound.size(); ++i)
    if (!checkDecode(ev->flipPred[i], ev->flipTotal[i], ev->flipPredRound[i], ev->flipProbRound[i],
                     ev->flipTotalRound[i], t.classNames)
             .faithful()) {
      otherwise += (misread++ ? ", " : "") + std::to_string(i);
      if (misread == 6) otherwise += ", ...";
      if (misread >= 6) break;
    }
  if (misread > 0)
    ImGui::TextColored(kWarnText, "the model would read the pictures of these flips otherwise: bit %s (hover a bit)",
                       otherwise.c_str());
  wrappedDisabled(
      "columns: class probabilities (0 to 1) in the class colours; b = the code itself; "
      "a white triangle = this flip changes the class");
  const float colW = std::max(14.0f, std::min(28.0f, (ImGui::GetContentRegionAvail().x - 40) / float(n + 1)));
  const float h = 90;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::Dummy(ImVec2(1, 10));  // room for the triangles
  const ImVec2 o = ImGui::GetCursorScreenPos();
  int hovered = -2;
  auto column = [&](int col, const float* probs, const char* label, bool changed) {
    const float x0 = o.x + float(col) * colW + (col > 0 ? 8.0f : 0.0f), x1 = x0 + colW - 3;
    float y = o.y + h;
    for (size_t k = 0; k < K; ++k) {
      const float hk = probs[k] * h;
      if (hk > 0.25f) dl->AddRectFilled(ImVec2(x0, y - hk), ImVec2(x1, y), imColor(classColor(int(k))));
      y -= hk;
    }
    dl->AddRect(ImVec2(x0, o.y), ImVec2(x1, o.y + h), IM_COL32(90, 90, 90, 255));
    if (changed) {
      const float cx = 0.5f * (x0 + x1);
      dl->AddTriangleFilled(ImVec2(cx - 5, o.y - 9), ImVec2(cx + 5, o.y - 9), ImVec2(cx, o.y - 2), kMark);
    }
    dl->AddText(ImVec2(x0 + 1, o.y + h + 2), IM_COL32(200, 200, 200, 255), label);
    const ImVec2 m = ImGui::GetIO().MousePos;
    if (m.x >= x0 && m.x < x1 && m.y >= o.y && m.y < o.y + h + 16) hovered = col - 1;
  };
  column(0, ev->codeProbs.data(), "b", false);
  for (size_t i = 0; i < n; ++i) {
    const bool changed = ev->flipPred[i] != codePred;
    column(int(i) + 1, &ev->flipProbs[i * K], std::to_string(i).c_str(), changed);
  }
  ImGui::Dummy(ImVec2(float(n + 1) * colW + 8, h + 18));
  if (hovered >= -1) {
    ImGui::BeginTooltip();
    const float* p = hovered < 0 ? ev->codeProbs.data() : &ev->flipProbs[size_t(hovered) * K];
    if (hovered < 0)
      ImGui::Text("the code b itself, D(b)");
    else
      ImGui::Text("bit %d flipped", hovered);
    for (size_t k = 0; k < K; ++k)
      if (p[k] >= 0.01f)
        ImGui::TextColored(imColorVec(classColor(int(k))), "%-12s %.3f", t.classNames[k].c_str(), p[k]);
    ImGui::EndTooltip();
  }
}

}  // namespace latentlab::gui
