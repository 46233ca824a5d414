#include "controllers/concept_controller.h"

#include <memory>
#include <string>

#include "commands/command.h"
#include "context.h"
#include "latentlab/util/errors.h"

namespace latentlab::gui {

bool ConceptController::active() const {
  const AppState& s = m_ctx.state;
  const ConceptState& c = s.concepts;
  if (c.edited < 0 || s.selection.sel.edited != c.edited || size_t(c.edited) >= s.edits.edited.size()) return false;
  return s.edits.edited[size_t(c.edited)].latent == c.latent;  // the same point, not moved since
}

std::vector<uint8_t> ConceptController::requestedCode() const {
  return active() ? m_ctx.state.concepts.bits : std::vector<uint8_t>{};
}

void ConceptController::reset() { m_ctx.state.concepts = {}; }

void ConceptController::flip(int bit) {
  Context& ctx = m_ctx;
  AppState& s = ctx.state;
  ConceptState& c = s.concepts;
  auto fail = [&](const std::string& msg) {
    c.error = msg;
    ctx.log.error(msg);
  };
  if (!s.hasModel()) return fail("flip: no model is loaded");
  const int n = s.model.dvaeBits;
  if (n <= 0 && !s.model.dvaeProblem.empty()) return fail("flip: " + s.model.dvaeProblem);
  if (n <= 0) return fail("flip: this bundle has no DVAE; add one with `latentlab train-dvae " + s.model.dir + "`");
  if (bit < 0 || bit >= n)
    return fail("flip: bit " + std::to_string(bit) + " is outside 0.." + std::to_string(n - 1) + " (this DVAE has " +
                std::to_string(n) + " bits)");
  const Selection sel = s.selection.sel;
  if (!sel.any() || sel.point < 0) return fail("flip: select a point first");
  c.error.clear();
  const bool cont = active();
  std::vector<uint8_t> known = cont ? c.bits : std::vector<uint8_t>{};
  std::vector<float> z = ctx.edits.currentLatent();
  auto ex = s.model.ex;
  c.pending = true;
  ++c.serial;
  ctx.worker->interactive(
      [&ctx, ex, z = std::move(z), known, bit, cont, sel] {
        auto base = std::make_shared<std::vector<uint8_t>>(known.empty() ? ex->dvaeCode(z) : known);
        auto code = std::make_shared<std::vector<uint8_t>>(*base);
        (*code)[size_t(bit)] ^= 1;
        auto psi = std::make_shared<std::vector<float>>(ex->dvaeDecode(*code));
        ctx.worker->toUi([&ctx, base, code, psi, bit, cont, sel] {
          AppState& s = ctx.state;
          ConceptState& c = s.concepts;
          c.pending = false;
          if (s.selection.sel.point != sel.point || s.selection.sel.edited != sel.edited) return;  // the user moved on
          if (cont && ctx.concepts.active()) {
            EditedPoint& p = s.edits.edited[size_t(c.edited)];
            p.latent = *psi;
            ctx.projection.place(p.latent, p.x, p.y);
            c.latent = *psi;
            c.bits = *code;
            c.flips.push_back(bit);
            c.history.push_back(bit);
            ctx.edits.requestInspect();
          } else {
            ConceptState fresh;
            fresh.serial = c.serial;
            fresh.fromPoint = sel.point;
            fresh.base = *base;
            fresh.bits = *code;
            fresh.flips = {bit};
            fresh.latent = *psi;
            fresh.history = std::move(c.history);
            fresh.history.push_back(bit);
            c = fresh;
            c.edited = int(s.edits.edited.size());  // addEdited appends it, selects it and asks the inspector
            ctx.edits.addEdited(sel.point, *psi);
          }
          ctx.log.info("flipped bit " + std::to_string(bit) + " of the DVAE code of point " +
                       std::to_string(sel.point));
        });
      },
      [&ctx](const std::string& err) {
        ctx.state.concepts.pending = false;
        ctx.state.concepts.error = err;
        ctx.log.error("flip failed: " + err, true);
      });
}

}  // namespace latentlab::gui

// ------------------------------------------------------------------------------------ script commands

namespace latentlab::gui {

void addConceptCommands(CommandList& out) {
  CommandSpec c{"flip",
                {arg::whole("BIT", 0, 1e6)},
                0,
                "flip BIT: flip bit BIT of the selection's DVAE code (the Concepts tab); the flipped point becomes an "
                "edited point, shown in the inspector"};
  c.run = [](Context& ctx, const ScriptCommand& cmd) {
    ctx.concepts.flip(std::stoi(cmd.args[0]));
    return true;
  };
  c.wait = waitUntilIdle;
  // One line per flip, in order (also when a new point's flips start a new series); a flip selects
  // the edited point that holds it.
  c.record = Recording::event([](const AppState& s) { return uint64_t(s.concepts.history.size()); });
  c.record.perEvent = [](const AppState& s, uint64_t k) { return std::to_string(s.concepts.history[size_t(k)]); };
  c.record.endsSelection = true;
  c.stateKeys = {"concepts", "edited_points", "selected_edited"};
  out.push_back(std::move(c));
}

}  // namespace latentlab::gui
