#include "commands/script_outputs.h"

#include <filesystem>

#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

namespace latentlab::gui {

void ScriptOutputs::configure(bool allowWrites, std::string outDir, std::string base, std::string scriptStem) {
  m_allow = allowWrites;
  m_outDir = std::move(outDir);
  m_base = base.empty() ? "." : std::move(base);
  m_stem = scriptStem.empty() ? "script" : std::move(scriptStem);
  m_dir.clear();
  m_made.clear();
}

std::string ScriptOutputs::resolve(const std::string& path, bool folder, bool* madeFolder) {
  if (madeFolder) *madeFolder = false;
  if (m_allow) return path;
  const std::string how =
      "; a script writes only inside its output folder (--out-dir DIR), unless you run it with "
      "--allow-writes";
  if (path.empty()) throw InputError("[script] no path given" + how);
  const fs::path rel(path);
  if (rel.is_absolute() || path[0] == '~')
    throw InputError("[script] " + path + " is an absolute path" + how + "; name a file inside the folder instead");
  for (const auto& part : rel)
    if (part == "..") throw InputError("[script] " + path + " climbs out of the output folder (..)" + how);
  std::error_code ec;
  if (m_dir.empty()) {  // the output folder: made (or checked) at the first write
    if (!m_outDir.empty()) {
      checkNotInBundle(m_outDir, "[script] --out-dir");
      if (fs::is_symlink(fs::symlink_status(m_outDir, ec)))
        throw InputError("[script] --out-dir " + m_outDir + " is a link; give the folder itself");
      if (!fs::exists(m_outDir, ec)) {
        if (!fs::create_directory(m_outDir, ec) || ec)
          throw InputError("[script] cannot create --out-dir " + m_outDir + ": " + ec.message());
        if (madeFolder) *madeFolder = true;
      } else if (!fs::is_directory(m_outDir, ec)) {
        throw InputError("[script] --out-dir " + m_outDir + " is not a folder");
      }
      m_dir = m_outDir;
    } else {
      checkNotInBundle((fs::path(m_base) / m_stem).string(), "[script] the output folder");
      for (int k = 1; k < 10000 && m_dir.empty(); ++k) {
        const fs::path d = fs::path(m_base) / (m_stem + "-out" + (k == 1 ? "" : "-" + std::to_string(k)));
        if (fs::exists(fs::symlink_status(d, ec))) continue;  // fresh: never one that is there
        if (fs::create_directory(d, ec) && !ec) m_dir = d.string();
      }
      if (m_dir.empty()) throw InputError("[script] cannot create an output folder in " + m_base + ": " + ec.message());
      if (madeFolder) *madeFolder = true;
    }
  }
  // Every folder on the way is a real folder inside the output folder (made if missing), never a link.
  fs::path at(m_dir);
  const fs::path parent = rel.parent_path();
  for (const auto& part : parent) {
    if (part.empty() || part == ".") continue;
    at /= part;
    const fs::file_status st = fs::symlink_status(at, ec);
    if (fs::is_symlink(st)) throw InputError("[script] " + path + " passes through the link " + at.string() + how);
    if (!fs::exists(st)) {
      if (!fs::create_directory(at, ec) || ec)
        throw InputError("[script] cannot create the folder " + at.string() + ": " + ec.message());
      m_made.insert(at.lexically_normal().string());
    } else if (!fs::is_directory(st)) {
      throw InputError("[script] " + path + ": " + at.string() + " is not a folder");
    }
  }
  const fs::path target = (at / rel.filename()).lexically_normal();
  const std::string key = target.string();
  if (fs::exists(fs::symlink_status(target, ec)) && !m_made.count(key))
    throw InputError("[script] " + target.string() + " is already there, and this run of the script did not " +
                     (folder ? "create it" : "write it") +
                     "; a script never replaces what it did not create (run it with --allow-writes to let it)");
  m_made.insert(key);
  return key;
}

}  // namespace latentlab::gui
