#include "latentlab/explorer/session.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>
#include <unordered_set>

#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"

namespace latentlab {

using nlohmann::json;

const std::vector<std::string>& colorModes() {
  static const std::vector<std::string> m = {"label", "pred", "total", "aleatoric", "epistemic", "correct"};
  return m;
}

json sessionToJson(const SessionState& s) {
  json edited = json::array();
  for (const auto& e : s.edited)
    edited.push_back(
        {{"origin", e.origin}, {"latent", e.latent}, {"x", e.x}, {"y", e.y}, {"projection", e.projection}});
  json added = json::array();
  for (const auto& a : s.added)
    added.push_back(a.layer ? json{{"layer", a.path}, {"n", a.n}}
                            : json{{"image", a.path}, {"fingerprint", a.fingerprint}});
  return {{"format", "latentlab-session"},
          {"version", kSessionFormatVersion},
          {"bundle", s.bundle},
          {"projection", s.projection},
          {"color", s.colorMode},
          {"view", {{"x", s.viewX}, {"y", s.viewY}, {"scale", s.viewScale}}},
          {"show_train", s.showTrain},
          {"hidden_classes", s.hiddenClasses},
          {"filter", s.filter},
          {"selection", s.selection},
          {"selected", s.selected},
          {"edited", edited},
          {"added", added}};
}

namespace {

struct Reader {
  const std::string& source;
  [[noreturn]] void fail(const std::string& what) const { throw InputError("[session] " + what + " (" + source + ")"); }
  const json& get(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object() || !obj.contains(key)) fail("missing key '" + where + key + "'");
    return obj.at(key);
  }
  double number(const json& obj, const char* key, const std::string& where = "") const {
    const json& v = get(obj, key, where);
    if (!v.is_number() || !std::isfinite(v.get<double>())) fail("'" + where + key + "' must be a finite number");
    return v.get<double>();
  }
  // A whole number in [lo, hi] (a value beyond int64 or the range, or a fraction, is an error).
  int64_t integer(const json& v, const std::string& name, int64_t lo = -1, int64_t hi = int64_t(1) << 40) const {
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(hi)) ||
        v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      fail("'" + name + "' must be a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
    return v.get<int64_t>();
  }
  // A number that fits a float (the map's positions and latents are floats).
  float floatValue(const json& v, const std::string& name) const {
    // 1e30 as a float is written back as 1.0000000150474662e+30: allow that much, so that a saved
    // session always loads again.
    if (!v.is_number() || !std::isfinite(v.get<double>()) || std::abs(v.get<double>()) > double(float(1e30)))
      fail("'" + name + "' must be a finite number within +-1e30");
    return v.get<float>();
  }
  std::string string(const json& obj, const char* key, const std::string& where = "") const {
    const json& v = get(obj, key, where);
    if (!v.is_string()) fail("'" + where + key + "' must be a string");
    return v.get<std::string>();
  }
  const json& array(const json& obj, const char* key, const std::string& where = "") const {
    const json& v = get(obj, key, where);
    if (!v.is_array()) fail("'" + where + key + "' must be an array");
    return v;
  }
};

}  // namespace

SessionState sessionFromJson(const json& j, const std::string& source) {
  Reader r{source};
  if (!j.is_object()) r.fail("not a JSON object");
  if (!j.contains("format") || j["format"] != "latentlab-session")
    r.fail("not a LatentLab session (no \"format\": \"latentlab-session\")");
  const int64_t version = r.integer(r.get(j, "version", ""), "version", 0, 1000000);
  if (version > kSessionFormatVersion || version < 1)
    r.fail("session version " + std::to_string(version) + " is not one this build reads (it reads 1.." +
           std::to_string(kSessionFormatVersion) + ")");
  SessionState s;
  s.bundle = r.string(j, "bundle");
  s.projection = r.string(j, "projection");
  s.colorMode = r.string(j, "color");
  bool known = false;
  for (const auto& m : colorModes()) known |= m == s.colorMode;
  if (!known) r.fail("unknown colour mode '" + s.colorMode + "'");
  const json& view = r.get(j, "view", "");
  s.viewX = r.number(view, "x", "view.");
  s.viewY = r.number(view, "y", "view.");
  s.viewScale = r.number(view, "scale", "view.");
  if (!(s.viewScale > 0) || s.viewScale > 1e30 || std::abs(s.viewX) > 1e30 || std::abs(s.viewY) > 1e30)
    r.fail("'view' must have a scale > 0 and x, y, scale within +-1e30");
  if (j.contains("show_train")) {
    if (!j["show_train"].is_boolean()) r.fail("'show_train' must be true or false");
    s.showTrain = j["show_train"].get<bool>();
  }
  if (j.contains("hidden_classes"))
    for (const auto& v : r.array(j, "hidden_classes"))
      s.hiddenClasses.push_back(int(r.integer(v, "hidden_classes[]", 0, 100000)));
  if (j.contains("filter")) s.filter = r.string(j, "filter");
  std::unordered_set<int64_t> seen;
  for (const auto& v : r.array(j, "selection")) {
    const int64_t i = r.integer(v, "selection[]", 0);
    if (seen.insert(i).second) s.selection.push_back(i);  // once each
  }
  s.selected = r.integer(r.get(j, "selected", ""), "selected");
  if (s.selected < -1) r.fail("'selected' must be -1 or a point index");
  const json& edited = r.array(j, "edited");
  for (size_t k = 0; k < edited.size(); ++k) {
    const std::string where = "edited[" + std::to_string(k) + "].";
    const json& e = edited[k];
    EditedPoint p;
    p.origin = r.integer(r.get(e, "origin", where), where + "origin", 0);
    for (const auto& v : r.array(e, "latent", where)) p.latent.push_back(r.floatValue(v, where + "latent[]"));
    if (p.latent.empty()) r.fail("'" + where + "latent' is empty");
    p.x = r.floatValue(r.get(e, "x", where), where + "x");
    p.y = r.floatValue(r.get(e, "y", where), where + "y");
    if (e.contains("projection") && e["projection"].is_string()) p.projection = e["projection"].get<std::string>();
    s.edited.push_back(std::move(p));
  }
  if (j.contains("added")) {  // sessions before added points have none
    const json& added = r.array(j, "added");
    for (size_t k = 0; k < added.size(); ++k) {
      const std::string where = "added[" + std::to_string(k) + "].";
      const json& e = added[k];
      SessionState::Added a;
      if (e.is_object() && e.contains("image")) {
        a.path = r.string(e, "image", where);
        a.fingerprint = r.string(e, "fingerprint", where);
      } else if (e.is_object() && e.contains("layer")) {
        a.layer = true;
        a.path = r.string(e, "layer", where);
        a.n = r.integer(r.get(e, "n", where), where + "n", 1, 100000);
      } else {
        r.fail("'" + where.substr(0, where.size() - 1) +
               "' must be {\"image\": PATH, \"fingerprint\": F} or {\"layer\": DATASET, \"n\": N}");
      }
      if (a.path.empty()) r.fail("'" + where + "' names no file or dataset");
      s.added.push_back(std::move(a));
    }
  }
  return s;
}

void saveSession(const SessionState& s, const std::string& path) { writeUserFile(path, jsonText(sessionToJson(s))); }

SessionState loadSession(const std::string& path) {
  return parseSession(readFileChecked(path, caps::kSession, "session"), path);
}

SessionState parseSession(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError("[session] not valid JSON: " + clipForMessage(e.what(), 200) + " (" + path + ")");
  } catch (const std::bad_alloc&) {
    throw InputError("[session] too large to read in this machine's memory (" + path + ")");
  }
  return sessionFromJson(j, path);
}

std::string selectionCsv(const std::vector<CsvRow>& rows, int64_t latentDim) {
  std::string out = "index,label,prediction,total,aleatoric,epistemic,x,y";
  for (int64_t j = 0; j < latentDim; ++j) out += ",z" + std::to_string(j);
  out += "\n";
  char buf[64];
  auto num = [&](float v) {
    std::snprintf(buf, sizeof buf, ",%.9g", double(v));
    out += buf;
  };
  for (const CsvRow& r : rows) {
    if (int64_t(r.latent.size()) != latentDim)
      throw InputError("[csv] row for point " + std::to_string(r.index) + " has " + std::to_string(r.latent.size()) +
                       " latent values, expected " + std::to_string(latentDim));
    out += std::to_string(r.index) + "," + std::to_string(r.label) + "," + std::to_string(r.pred);
    num(r.total);
    num(r.aleatoric);
    num(r.epistemic);
    num(r.x);
    num(r.y);
    for (float v : r.latent) num(v);
    out += "\n";
  }
  return out;
}

}  // namespace latentlab
