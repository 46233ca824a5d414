#include "latentlab/explorer/decode_check.h"

#include <cmath>
#include <cstdio>

namespace latentlab {

DecodeCheck checkDecode(int classLatent, float uLatent, int classPicture, float pPicture, float uPicture,
                        const std::vector<std::string>& names) {
  DecodeCheck c;
  const int K = int(names.size());
  if (K < 1 || classLatent < 0 || classLatent >= K || classPicture < 0 || classPicture >= K) return c;
  c.classDiffers = classPicture != classLatent;
  const double uMax = std::log(double(std::max(K, 2)));
  c.muchLessSure =
      !c.classDiffers && double(uPicture) > double(uLatent) + 0.2 * uMax && double(uPicture) > 2.0 * double(uLatent);
  char buf[512];
  if (c.classDiffers)
    std::snprintf(buf, sizeof buf, "the model would read this picture as %s (%.2f), not as %s as at its latent",
                  names[size_t(classPicture)].c_str(), double(pPicture), names[size_t(classLatent)].c_str());
  else if (c.muchLessSure)
    std::snprintf(buf, sizeof buf,
                  "the model is much less sure of this picture (U %.2f nats) than of its latent (U %.2f): the "
                  "picture is not quite what the model sees",
                  double(uPicture), double(uLatent));
  else
    return c;
  c.words = buf;
  return c;
}

}  // namespace latentlab
