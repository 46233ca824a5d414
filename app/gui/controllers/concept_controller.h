#pragma once
// The DVAE's bit flips for the Concepts panel and the `flip BIT` script command (Gat et al. 2022). A
// flip decodes b xor e_bit on the interactive worker; the first flip from a selection makes an
// edited point holding D(b'), placed like any edited point, and later flips update that point
// while it stays selected. The inspector then evaluates it with its code. UI thread only.
#include <cstdint>
#include <vector>

namespace latentlab::gui {

struct Context;

class ConceptController {
 public:
  explicit ConceptController(Context& ctx) : m_ctx(ctx) {}
  // Flips bit `bit` of the selection's code. An error (logged, and in ConceptState::error) names
  // a bit out of range, a bundle without a DVAE, or a missing selection; nothing changes then.
  void flip(int bit);
  // Whether the selection is the edited point the flips are kept in (false when that point was
  // deleted or dragged since, which ends the flips).
  bool active() const;
  // The code the inspector's evaluation is asked for: the flipped code while active(), else empty
  // (the selection's own bits).
  std::vector<uint8_t> requestedCode() const;
  void reset();  // another bundle was loaded

 private:
  Context& m_ctx;
};

}  // namespace latentlab::gui
