#pragma once
// File-system helpers that keep what the user owns safe: atomic writes and staged directories.
#include <filesystem>
#include <functional>
#include <string>

namespace latentlab {

// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
// reader sees either the old file or the complete new one. An existing file keeps its permissions;
// a symbolic link is written through (the link stays). Throws InputError on failure, and for a
// path that is a directory or a special file (a device such as /dev/null, a pipe): never replaced.
void writeFileAtomic(const std::string& path, const std::string& bytes);
std::string readTextFile(const std::string& path);  // throws InputError naming the path (a directory too)

// A directory built under a temporary name beside `target` and moved into place by commit().
// Staging directories of the same target left by processes that no longer run are removed.
// Until commit() the target is untouched; if the stage is destroyed uncommitted (error, Ctrl-C),
// the temporary directory is removed. commit() refuses to replace an existing target unless
// `force`, in which case the old target is moved aside first and removed only after the rename.
class StagedDir {
 public:
  StagedDir(const std::string& target, bool force);
  // With `check(target, force)` in place of checkOutputPath: what else may be replaced (an earlier
  // `explain` folder), checked again at commit().
  StagedDir(const std::string& target, bool force, std::function<void(const std::string&, bool)> check);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;
  const std::string& path() const { return m_stage; }
  const std::string& target() const { return m_target; }
  void commit();

 private:
  std::string m_target;
  std::string m_stage;
  bool m_force;
  bool m_committed = false;
  std::function<void(const std::string&, bool)> m_check;
};

// Where a bundle may be written (checked early, before long work starts). Throws BundleError when
// `target` exists and !force, when it exists and is not a LatentLab bundle (a directory with a
// manifest.json: --force replaces bundles only), or when its parent directory does not exist. A
// trailing slash is ignored.
void checkOutputPath(const std::string& target, bool force);
// A LatentLab bundle: a folder whose manifest.json parses as a LatentLab manifest.
bool isBundleDir(const std::filesystem::path& p);

// Where a command may write a file the user named (a CSV, JSON or PNG export): not a directory or a
// special file, in a folder that exists, not inside a bundle (a bundle's own files are never an
// output), and an existing file only with `force`. Throws InputError naming the path.
void checkOutputFile(const std::string& path, bool force);

}  // namespace latentlab
