#pragma once
// File-system helpers that keep what the user owns safe: atomic writes and staged directories.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace latentlab {

// Size caps for the readers: each fits its format with room to spare, so that a device that never
// ends (/dev/zero) or a huge file in the wrong place is refused before it is read.
namespace caps {
constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;
constexpr uint64_t kManifest = 4 * kMiB;    // a manifest is kilobytes
constexpr uint64_t kScript = 8 * kMiB;      // a script or recording: a few kilobytes a minute
constexpr uint64_t kSession = 32 * kMiB;    // views, colours, a selection and edited points (JSON takes ~40x in memory)
constexpr uint64_t kSummary = 16 * kMiB;    // an explain or checks folder's summary.json
constexpr uint64_t kIndexList = 64 * kMiB;  // --indices
constexpr uint64_t kCacheKey = 64 * kKiB;   // cache/*.key
constexpr uint64_t kModel = 4 * kGiB;       // a TorchScript component or checkpoint
constexpr uint64_t kImage = 256 * kMiB;     // one image file of a class folder
constexpr uint64_t kDataset = 4 * kGiB;     // an IDX or JSON dataset file
// A layout CSV of `points` rows: at most 160 bytes a row ("index,x,y" with long decimals) and 1 MiB.
constexpr uint64_t layoutCsv(int64_t points) { return kMiB + uint64_t(points > 0 ? points : 0) * 160; }
}  // namespace caps

// Opens `path` for reading as a regular file only: links are followed, and what they lead to must
// be a plain file (not a directory, a device such as /dev/zero, a pipe or a socket). The open never
// blocks (a FIFO with no writer would hang a plain open), and a file over `maxBytes` is refused
// before it is read. Throws InputError naming the path and the rule it broke ("is a pipe, not a
// regular file", "is 5.2 GB; a manifest is at most 4 MiB", "does not exist").
// `what` names the kind of file in messages ("manifest", "script").
std::string readFileChecked(const std::string& path, uint64_t maxBytes, const std::string& what);
// The same checks without reading, for files a library opens itself (stb_image): throws as above.
void checkReadableFile(const std::string& path, uint64_t maxBytes, const std::string& what);
// A text file under `maxBytes`; throws as readFileChecked.
inline std::string readTextFile(const std::string& path, uint64_t maxBytes) {
  return readFileChecked(path, maxBytes, "file");
}

// Writes `bytes` to `path` through a temporary file created exclusively with a unique name
// (mkstemp) in the same folder, and a rename, so a reader sees either the old file or the complete
// new one, and nothing planted at a temporary name is ever written through. An existing file keeps
// its permissions; a new one gets 0666 less the umask. A symbolic link at `path` is replaced, not
// followed (for files in folders LatentLab owns: bundles, explain, checks and frame folders).
// Throws InputError for a path that is a directory or a special file, and when it cannot write.
void writeFileAtomic(const std::string& path, const std::string& bytes);
// For a file the user named (--json, a session, a screenshot): a link is followed (the file it
// names is replaced, the link stays), unless it leads into /proc or /dev (/dev/stdout, a terminal),
// which is refused: those are streams, and replacing what they point at would replace a log. A path
// inside a bundle (checkNotInBundle) is refused too.
void writeUserFile(const std::string& path, const std::string& bytes);

// FNV-1a 64 over `size` bytes: the one hash of bytes (fingerprints, layout caches, latent checksums).
uint64_t fnv1a64(const void* data, size_t size);
// A fingerprint of bytes: "HEX16 N bytes", FNV-1a 64 and the size (what the manifest records).
std::string bytesFingerprint(const std::string& bytes);

// Throws InputError when `path`, or any folder above it (after links are resolved), is a LatentLab
// bundle: no user-named output may be a bundle's file or lie anywhere inside one. `tag` prefixes
// the message ("[output]"). When `selfMayBeBundle`, `path` itself may be a bundle (a bundle that
// --force replaces); only the folders above it are checked.
void checkNotInBundle(const std::string& path, const std::string& tag, bool selfMayBeBundle = false);

// What LatentLab writes into a bundle (manifest.json, its components, cache/, checkpoints/): the
// first entry of `dir` that is not one of those, as a path relative to it, or "" when there is none.
// --force replaces a bundle only when this is "".
std::string firstForeignBundleFile(const std::string& dir);

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
// manifest.json: --force replaces bundles only), when it holds a file LatentLab did not write
// (firstForeignBundleFile), when a folder above it is a bundle (no bundle inside a bundle), or when
// its parent directory does not exist. A trailing slash is ignored.
void checkOutputPath(const std::string& target, bool force);
// A LatentLab bundle: a folder whose manifest.json parses as a LatentLab manifest.
bool isBundleDir(const std::filesystem::path& p);

// Where a command may write a file the user named (a CSV, JSON or PNG export): not a directory or a
// special file, in a folder that exists, not inside a bundle at any depth (checkNotInBundle), and
// an existing file only with `force`. Throws InputError naming the path.
void checkOutputFile(const std::string& path, bool force);

}  // namespace latentlab
