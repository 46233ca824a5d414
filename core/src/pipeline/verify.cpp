// `latentlab verify BUNDLE`: every file the manifest records against its fingerprint, every cache
// against its key, then the load-time dry runs; `--record` writes the fingerprints of the files as
// they are now (a bundle from before fingerprints, or a component replaced on purpose).
#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <sstream>

#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "pipeline/pipeline_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

namespace {

struct Row {
  std::string file, kind, status, detail;
  bool problem = false;
};

std::string fingerprintOf(const std::string& path, std::string& why) {
  try {
    return bytesFingerprint(readFileChecked(path, caps::kModel, "file"));
  } catch (const Error& e) {
    why = e.what();
    return "";
  }
}

// A recorded file (component or checkpoint) against the manifest's fingerprint.
Row checkRecorded(const Manifest& mf, const std::string& dir, const std::string& rel, const std::string& key,
                  const std::string& kind) {
  Row r{rel, kind, "ok", "", false};
  std::string why;
  const std::string found = fingerprintOf((fs::path(dir) / rel).string(), why);
  auto it = mf.fingerprints.find(key);
  if (found.empty()) {
    r.status = "unreadable";
    r.detail = why;
    r.problem = true;
  } else if (mf.fingerprints.empty()) {
    r.status = "not recorded";
    r.detail = "found " + found + "; the manifest is from before fingerprints (--record writes them)";
  } else if (it == mf.fingerprints.end()) {
    r.status = "not recorded";
    r.detail = "found " + found + "; the manifest records none for it";
    r.problem = true;
  } else if (it->second != found) {
    r.status = "DIFFERS";
    r.detail = "recorded " + it->second + ", found " + found;
    r.problem = true;
  } else {
    r.detail = found;
  }
  return r;
}

// A cache against its key: the key's second line is the cache's own fingerprint, and its
// classifier part names the classifier it was made by. A stale cache is not a fault: it is
// computed again when it is next needed.
Row checkCache(const fs::path& keyPath, const std::string& classifierFp) {
  const fs::path cache = fs::path(keyPath).replace_extension("");
  Row r{"cache/" + cache.filename().string(), "cache", "ok", "", false};
  try {
    const std::string key = readFileChecked(keyPath.string(), caps::kCacheKey, "cache key");
    const std::string bytes = readFileChecked(cache.string(), caps::kModel, "cache");
    const size_t nl = key.find('\n');
    const std::string first = key.substr(0, nl), second = nl == std::string::npos ? "" : key.substr(nl + 1);
    if (second != "file " + bytesFingerprint(bytes) + "\n") {
      r.status = "stale";
      r.detail = "its bytes are not those its key records: computed again when next needed";
    } else if (first.rfind("classifier " + classifierFp + ";", 0) != 0) {
      r.status = "stale";
      r.detail = "made by another classifier: computed again when next needed";
    } else {
      r.detail = bytesFingerprint(bytes);
    }
  } catch (const Error& e) {
    r.status = "stale";
    r.detail = std::string(e.what()) + ": computed again when next needed";
  }
  return r;
}

}  // namespace

json runVerify(const VerifyOptions& opt, std::ostream& log) {
  std::string dir = opt.bundle;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string manifestPath = (fs::path(dir) / "manifest.json").string();
  Manifest mf = parseManifest(readFileChecked(manifestPath, caps::kManifest, "manifest"), manifestPath);
  if (opt.record) {
    checkNotInBundle(dir, "[verify]", true);
    recordFingerprints(mf, dir);
    writeFileAtomic(manifestPath, serializeManifest(mf));
    log << "recorded the fingerprints of " << mf.fingerprints.size() << " files in " << manifestPath << "\n";
  }
  std::vector<Row> rows;
  for (const auto& [name, file] : mf.components) rows.push_back(checkRecorded(mf, dir, file, name, name));
  if (mf.training.is_object() && mf.training.contains("checkpoints") && mf.training["checkpoints"].is_array())
    for (const auto& c : mf.training["checkpoints"])
      if (c.is_object() && c.contains("file") && c["file"].is_string())
        rows.push_back(checkRecorded(mf, dir, c["file"].get<std::string>(),
                                     fs::path(c["file"].get<std::string>()).lexically_normal().string(), "checkpoint"));
  const std::string encoder = mf.has("classifier") ? "classifier" : "encoder";
  const std::string classifierFp =
      mf.has(encoder) ? fileFingerprint((fs::path(dir) / mf.components.at(encoder)).string()) : "";
  std::error_code ec;
  std::vector<fs::path> keys;
  for (fs::directory_iterator it(fs::path(dir) / "cache", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".key") keys.push_back(it->path());
  std::sort(keys.begin(), keys.end());
  for (const fs::path& k : keys) rows.push_back(checkCache(k, classifierFp));

  // The dry runs loading does (shapes, finite values), on every component.
  Row dry{"(all components)", "dry runs", "ok", "", false};
  try {
    Bundle b = loadBundle(dir, parseDevice(opt.device));
    std::string left;
    for (const std::string* p : {&b.dvaeProblem, &b.vaeProblem, &b.ensembleProblem})
      if (!p->empty()) left += (left.empty() ? "" : "; ") + *p;
    if (!left.empty()) {
      dry.status = "left out";
      dry.detail = left;
      dry.problem = true;
    }
  } catch (const Error& e) {
    dry.status = "REFUSED";
    dry.detail = e.what();
    dry.problem = true;
  }
  rows.push_back(dry);

  bool ok = true;
  json out = json::array();
  size_t wf = 4, wk = 4, ws = 6;
  for (const Row& r : rows) {
    wf = std::max(wf, r.file.size()), wk = std::max(wk, r.kind.size()), ws = std::max(ws, r.status.size());
    ok = ok && !r.problem;
    out.push_back({{"file", r.file}, {"kind", r.kind}, {"status", r.status}, {"detail", r.detail}});
  }
  log << std::left << std::setw(int(wf)) << "file"
      << "  " << std::setw(int(wk)) << "kind"
      << "  " << std::setw(int(ws)) << "status"
      << "  detail\n";
  for (const Row& r : rows)
    log << std::setw(int(wf)) << r.file << "  " << std::setw(int(wk)) << r.kind << "  " << std::setw(int(ws))
        << r.status << "  " << r.detail << "\n";
  log << (ok ? "verify: every file is the bundle's own and every component passes its dry run\n"
             : "verify: the bundle has problems (above)\n");
  return {{"bundle", dir}, {"ok", ok}, {"files", out}};
}

}  // namespace latentlab
