#pragma once
// File-system helpers that keep what the user owns safe: atomic writes and staged directories.
#include <string>

namespace latentlab {

// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
// reader sees either the old file or the complete new one. Throws InputError on failure.
void writeFileAtomic(const std::string& path, const std::string& bytes);
std::string readTextFile(const std::string& path);  // throws InputError naming the path

// A directory built under a temporary name beside `target` and moved into place by commit().
// Until commit() the target is untouched; if the stage is destroyed uncommitted (error, Ctrl-C),
// the temporary directory is removed. commit() refuses to replace an existing target unless
// `force`, in which case the old target is moved aside first and removed only after the rename.
class StagedDir {
 public:
  StagedDir(const std::string& target, bool force);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;
  const std::string& path() const { return m_stage; }
  void commit();

 private:
  std::string m_target;
  std::string m_stage;
  bool m_force;
  bool m_committed = false;
};

// Throws BundleError if `target` exists and !force (checked early, before long work starts).
void checkOutputPath(const std::string& target, bool force);

}  // namespace latentlab
