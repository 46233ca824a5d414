#pragma once
// Whether a decoded picture is what the model sees at its latent. Every decode LatentLab shows (the
// inspector's, a drag's, CLUE's g(z*), a concept flip's) is a picture g(z) of a latent z; the model
// reads that picture through phi(g(z)), which need not agree with z. This says so in plain words,
// where the picture is shown and in the exports. Torch-free.
#include <string>
#include <vector>

namespace latentlab {

struct DecodeCheck {
  bool classDiffers = false;  // the picture, encoded again, is another class than the latent
  bool muchLessSure = false;  // its total U is far above the latent's (see checkDecode)
  std::string words;          // for people; empty when the picture is faithful
  bool faithful() const { return !classDiffers && !muchLessSure; }
};

// classLatent and uLatent: the class and total U (nats) at z; classPicture, pPicture and
// uPicture: at phi(g(z)), through the same head. "Far above": uPicture exceeds uLatent by more than
// a fifth of the largest possible U (log K nats) and is more than twice it. Class indices outside
// `names` give no words (a label-free bundle, a missing prediction).
DecodeCheck checkDecode(int classLatent, float uLatent, int classPicture, float pPicture, float uPicture,
                        const std::vector<std::string>& names);

}  // namespace latentlab
