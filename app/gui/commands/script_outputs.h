#pragma once
// Where a script's writes go. Teachers share demo scripts, so a script from someone else must not
// write over the user's files: its `screenshot`, `export-*`, `state`, `session-save`, `clue-batch`
// and `train-model` paths are resolved here before the command runs.
//
// Unless the user passes --allow-writes, a script writes only inside one output folder: --out-dir
// DIR, or else a fresh folder made at the first write beside the --record file or in the working
// directory, named after the script (demo-out, demo-out-2, ...), and named in the log. A path that
// is absolute, climbs out (..) or passes through a link is refused, and so is a file or folder
// that exists and that this run of the script did not create. GL-, ImGui- and LibTorch-free; UI
// thread only.
#include <set>
#include <string>

namespace latentlab::gui {

class ScriptOutputs {
 public:
  // allowWrites: paths are used as given (the user trusts the script). Otherwise the writes go
  // into `outDir` ("" for a fresh folder under `base` named `<scriptStem>-out`).
  void configure(bool allowWrites, std::string outDir, std::string base, std::string scriptStem);
  bool allowsWrites() const { return m_allow; }
  // The path that a script's write of `path` goes to (a file, or a folder the command creates).
  // Throws InputError saying which rule `path` broke and how to allow it. `madeFolder` is set when
  // this call created the output folder (the caller logs where it is).
  std::string resolve(const std::string& path, bool folder, bool* madeFolder = nullptr);
  const std::string& folder() const { return m_dir; }  // "" until the first write

 private:
  bool m_allow = false;
  std::string m_outDir, m_base = ".", m_stem = "script";
  std::string m_dir;             // the output folder, once made or checked
  std::set<std::string> m_made;  // files and folders this run created (may be written again)
};

}  // namespace latentlab::gui
