// The npm package emoji-datasource-google as a colour dataset (64x64 images, labelled by category).
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "data/image_decode.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab {

std::string emojiDir() {
  if (const char* e = std::getenv("LATENTLAB_EMOJI_DIR"); e && *e) return e;  // empty: the default
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/latentlab/emoji-datasource-google-16.0.0/package";
}

Dataset loadEmojiDataset(const std::string& packageDir, int channels) {
  const std::string jsonPath = (fs::path(packageDir) / "emoji.json").string();
  std::error_code ec;
  if (!fs::exists(jsonPath, ec))
    throw InputError(
        "[emoji] no emoji.json: run scripts/setup.sh to fetch emoji-datasource-google@16.0.0, or set "
        "LATENTLAB_EMOJI_DIR (" +
        jsonPath + ")");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(readFileChecked(jsonPath, caps::kDataset, "emoji.json"));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("[emoji] not valid JSON: " + clipForMessage(e.what(), 200) + " (" + jsonPath + ")");
  }
  if (!j.is_array()) throw InputError("[emoji] expected an array of emoji entries (" + jsonPath + ")");
  // (category, file) of the base entries with a Google image.
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("category") || !e["category"].is_string() || !e.contains("image") ||
        !e["image"].is_string())
      throw InputError("[emoji] an entry lacks its category or image (" + jsonPath + ")");
    if (!e.value("has_img_google", false) || e.contains("obsoleted_by")) continue;
    const std::string cat = e["category"];
    const std::string img = e["image"];
    if (cat == "Component") continue;  // skin-tone and hair swatches, 5 images
    if (img.find('/') != std::string::npos || img.find("..") != std::string::npos)
      throw InputError("[emoji] image name '" + clipForMessage(img, 40) + "' is not a plain file name (" + jsonPath +
                       ")");
    entries.emplace_back(cat, img);
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  std::set<std::string> cats;
  for (const auto& e : entries) cats.insert(e.first);
  std::vector<std::string> classes(cats.begin(), cats.end());
  if (classes.size() < 2) throw InputError("[emoji] fewer than 2 categories with images (" + jsonPath + ")");
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < classes.size(); ++i) index[classes[i]] = int64_t(i);
  std::set<std::string> seen;  // a few flags and families share one picture: each picture once
  std::vector<torch::Tensor> imgs;
  std::vector<int64_t> labels;
  for (const auto& [cat, img] : entries) {
    const std::string path = (fs::path(packageDir) / "img/google/64" / img).string();
    DecodedImage d = decodeImageFile(path, "[emoji]");
    if (d.w != 64 || d.h != 64)
      throw InputError("[emoji] image is " + std::to_string(d.w) + "x" + std::to_string(d.h) + ", expected 64x64 (" +
                       path + ")");
    const std::string key(d.rgb.begin(), d.rgb.end());
    if (!seen.insert(key).second) continue;
    imgs.push_back(torch::from_blob(d.rgb.data(), {1, 64, 64, 3}, torch::kUInt8).clone());
    labels.push_back(index[cat]);
  }
  Dataset out;
  out.name = "emoji";
  out.classNames = classes;
  out.images = withChannels(torch::cat(imgs).permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f).contiguous(),
                            channels ? channels : 3);
  out.labels = torch::tensor(labels, torch::kInt64);
  return out;
}

}  // namespace latentlab
