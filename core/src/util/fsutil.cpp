#include "latentlab/util/fsutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "latentlab/model/manifest.h"
#include "latentlab/util/errors.h"

namespace fs = std::filesystem;

namespace latentlab {

namespace {
std::string uniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "-" + std::to_string(t % 1000000007) + "-" + std::to_string(counter++);
}
// What is at `p`, in words, when it is not a regular file ("" when it is one or nothing is there).
std::string notAFile(const fs::path& p) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (ec || !fs::exists(st) || fs::is_regular_file(st)) return "";
  if (fs::is_directory(st)) return "a directory";
  if (fs::is_character_file(st) || fs::is_block_file(st)) return "a device";
  if (fs::is_fifo(st)) return "a pipe";
  if (fs::is_socket(st)) return "a socket";
  return "not a regular file";
}

std::string withoutTrailingSlash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string kindOf(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
  if (S_ISFIFO(m)) return "a pipe";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

std::string sizeText(uint64_t n) {
  char buf[48];
  if (n >= caps::kGiB)
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(n) / double(caps::kGiB));
  else if (n >= caps::kMiB)
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / double(caps::kMiB));
  else if (n >= caps::kKiB)
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(n) / double(caps::kKiB));
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", (unsigned long long)n);
  return buf;
}

// stat() the path (following links) and refuse what is not a regular file under the cap, before
// anything opens it: opening some devices has effects of its own.
struct stat statReadable(const std::string& path, uint64_t maxBytes, const std::string& what) {
  struct stat st {};
  if (path.empty()) throw InputError("[read] no " + what + " file named");
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ELOOP) throw InputError("[read] the " + what + " " + path + " is a loop of links (it leads to itself)");
    if (e == ENOENT) {
      struct stat l {};
      if (::lstat(path.c_str(), &l) == 0 && S_ISLNK(l.st_mode))
        throw InputError("[read] the " + what + " " + path + " is a link to nothing (its target does not exist)");
      throw InputError("[read] the " + what + " " + path + " does not exist");
    }
    throw InputError("[read] cannot read the " + what + " " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode))
    throw InputError("[read] the " + what + " " + path + " is " + kindOf(st.st_mode) +
                     ", not a regular file; LatentLab reads only plain files");
  if (uint64_t(st.st_size) > maxBytes)
    throw InputError("[read] the " + what + " " + path + " is " + sizeText(uint64_t(st.st_size)) + "; " +
                     (std::string("aeiou").find(what.empty() ? 'x' : what[0]) != std::string::npos ? "an " : "a ") +
                     what + " is at most " + sizeText(maxBytes));
  return st;
}

// The process's umask without changing it (umask() sets as it reads, which races other threads).
mode_t currentUmask() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    if (key == "Umask:") {
      unsigned m = 022;
      f >> std::oct >> m;
      return mode_t(m);
    }
    f.ignore(1 << 16, '\n');
  }
  return 022;
}

// Writes `bytes` to `target` (a link there is replaced) through an exclusive temporary file.
// `shown` is the path the user gave, for messages.
void writeReplacing(const fs::path& target, const std::string& shown, const std::string& bytes) {
  std::error_code ec;
  const fs::file_status lst = fs::symlink_status(target, ec);
  mode_t mode = 0;
  bool keepMode = false;
  if (!fs::is_symlink(lst) && fs::exists(lst)) {
    struct stat st {};
    if (::lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      throw InputError("[write] " + shown + " is " + kindOf(st.st_mode) + ", not a file: choose a file name");
    mode = st.st_mode & 07777;
    keepMode = true;
  }
  if (!keepMode) mode = 0666 & ~currentUmask();
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());  // O_CREAT | O_EXCL: never a file or link already there
  if (fd < 0)
    throw InputError("[write] cannot create a file in " + dir.string() + ": " + std::strerror(errno) + " (" + shown +
                     ")");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      throw InputError("[write] write failed: " + why + " (" + shown + ")");
    }
    done += size_t(n);
  }
  ::fchmod(fd, mode);  // the user's file keeps its mode
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmpl.c_str());
    throw InputError("[write] write failed: " + why + " (" + shown + ")");
  }
  if (::rename(tmpl.c_str(), target.c_str()) != 0) {  // replaces a link itself, never what it names
    const std::string why = std::strerror(errno);
    ::unlink(tmpl.c_str());
    throw InputError("[write] cannot move the new file into place: " + why + " (" + shown + ")");
  }
}

}  // namespace

void checkReadableFile(const std::string& path, uint64_t maxBytes, const std::string& what) {
  statReadable(path, maxBytes, what);
}

std::string readFileChecked(const std::string& path, uint64_t maxBytes, const std::string& what) {
  statReadable(path, maxBytes, what);
  // O_NONBLOCK: a pipe swapped in since the stat() cannot block the open; fstat() then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw InputError("[read] cannot open the " + what + " " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError("[read] the " + what + " " + path + " is " + kindOf(st.st_mode) + ", not a regular file");
  }
  std::string out;
  out.resize(size_t(std::min<uint64_t>(uint64_t(st.st_size), maxBytes)) + 1);
  size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (got > maxBytes) break;
      out.resize(std::min<size_t>(out.size() * 2, size_t(maxBytes) + 1));
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw InputError("[read] cannot read the " + what + " " + path + ": " + why);
    }
    if (n == 0) break;
    got += size_t(n);
  }
  ::close(fd);
  if (got > maxBytes)
    throw InputError("[read] the " + what + " " + path + " grew past " + sizeText(maxBytes) + " while it was read");
  out.resize(got);
  return out;
}

uint64_t fnv1a64(const void* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

std::string bytesFingerprint(const std::string& bytes) {
  const uint64_t h = fnv1a64(bytes.data(), bytes.size());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
  return std::string(hex) + " " + std::to_string(bytes.size()) + " bytes";
}

// A LatentLab bundle: a folder whose manifest.json is a valid LatentLab manifest (a web app's or
// an extension's manifest.json does not make its folder one).
bool isBundleDir(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec) || !fs::is_regular_file(p / "manifest.json", ec)) return false;
  std::string text;
  try {
    text = readFileChecked((p / "manifest.json").string(), caps::kManifest, "manifest");
    parseManifest(text, (p / "manifest.json").string());
    return true;
  } catch (const Error&) {
    // A damaged LatentLab manifest (truncated, hand-edited) still marks its folder as a bundle, so
    // that nothing is written into it; a web app's manifest.json has neither key.
    return text.find("\"format_version\"") != std::string::npos && text.find("\"components\"") != std::string::npos;
  }
}

namespace {

std::string hostName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// Staging directories of `target` left by a process of this machine that no longer runs (killed
// during a train or import): removed, since nothing can finish them. Each stage names its owner
// (host and process) in a file inside it, so a stage another machine is building on a shared
// folder is left alone.
void removeStaleStages(const fs::path& target) {
  std::error_code ec;
  const std::string prefix = "." + target.filename().string() + ".staging-";
  for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::ifstream owner(it->path() / ".owner");
    std::string host;
    long pid = 0;
    if (!(owner >> host >> pid) || host != hostName()) continue;
    if (pid > 0 && pid != long(::getpid()) && ::kill(pid_t(pid), 0) == -1 && errno == ESRCH) {
      std::error_code rc;
      fs::remove_all(it->path(), rc);
    }
  }
}
}  // namespace

namespace {

bool underStreams(const fs::path& p) {
  const std::string t = fs::absolute(p).lexically_normal().string();
  return t.rfind("/proc/", 0) == 0 || t.rfind("/dev/", 0) == 0 || t == "/proc" || t == "/dev";
}

// Where writing `path` would land: its chain of links followed (a dangling link too). Throws
// InputError for a loop, and for a path in or through /proc or /dev (a stream or a device, such as
// /dev/stdout or /proc/self/fd/1, whose file is never replaced).
fs::path resolveUserPath(const std::string& path, const std::string& tag) {
  std::error_code ec;
  fs::path target = fs::absolute(fs::path(path), ec);
  for (int hops = 0;; ++hops) {
    // The folder with its links resolved (a link to /proc/self is /proc/<pid>), then the name.
    fs::path folder = fs::weakly_canonical(target.parent_path(), ec);
    if (ec) folder = target.parent_path().lexically_normal();
    const fs::path full = folder / target.filename();
    if (underStreams(full) || underStreams(target))
      throw InputError(tag + " " + path + (hops || full != target ? " leads to " + full.string() + ", " : " is ") +
                       "a stream or a device, not a file: choose a file name");
    if (!fs::is_symlink(fs::symlink_status(full, ec))) return full;
    const fs::path to = fs::read_symlink(full, ec);
    if (ec || hops >= 40) throw InputError(tag + " " + path + " is a link that cannot be followed (a loop?)");
    target = to.is_absolute() ? to : folder / to;
  }
}

}  // namespace

void writeFileAtomic(const std::string& path, const std::string& bytes) {
  if (path.empty()) throw InputError("[write] no file name given");
  writeReplacing(fs::path(path), path, bytes);
}

void writeUserFile(const std::string& path, const std::string& bytes) {
  if (path.empty()) throw InputError("[write] no file name given");
  checkNotInBundle(path, "[write]");  // also here, not only in checkOutputFile: every user-named write
  writeReplacing(resolveUserPath(path, "[write]"), path, bytes);
}

void checkNotInBundle(const std::string& path, const std::string& tag, bool selfMayBeBundle) {
  std::error_code ec;
  // A link (also a dangling one) is judged by where it leads: a link beside a bundle that points
  // into it is inside it.
  fs::path resolved(withoutTrailingSlash(path));
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(resolved, ec)); ++hops) {
    const fs::path to = fs::read_symlink(resolved, ec);
    if (ec) break;
    resolved = to.is_absolute() ? to : resolved.parent_path() / to;
  }
  fs::path abs = fs::weakly_canonical(fs::absolute(resolved, ec), ec);
  if (ec) abs = fs::absolute(resolved).lexically_normal();
  if (!selfMayBeBundle && isBundleDir(abs))
    throw InputError(tag + " " + path + " is a LatentLab bundle: a bundle is never an output; choose another name");
  for (fs::path p = abs.parent_path(); !p.empty(); p = p.parent_path()) {
    if (isBundleDir(p))
      throw InputError(tag + " " + path + " is inside the bundle " + p.string() +
                       ": nothing is written into a bundle but its own files; choose a place outside it");
    if (p == p.root_path()) break;
  }
}

std::string firstForeignBundleFile(const std::string& dirIn) {
  const fs::path dir(withoutTrailingSlash(dirIn));
  Manifest mf;
  try {
    mf = parseManifest(readFileChecked((dir / "manifest.json").string(), caps::kManifest, "manifest"),
                       (dir / "manifest.json").string());
  } catch (const Error&) {
    return "manifest.json";  // not a readable manifest: nothing in the folder is known to be ours
  }
  std::set<std::string> ours{"manifest.json", "cache", "checkpoints"};
  for (const auto& [name, file] : mf.components) ours.insert(fs::path(file).lexically_normal().string());
  if (mf.training.is_object() && mf.training.contains("checkpoints") && mf.training["checkpoints"].is_array())
    for (const auto& c : mf.training["checkpoints"])
      if (c.is_object() && c.contains("file") && c["file"].is_string())
        ours.insert(fs::path(c["file"].get<std::string>()).lexically_normal().string());
  // A cache file is ours when it says so: a .pt beside a key in LatentLab's form, the key itself,
  // or a layout cache with its magic. A user's cache/latents_mine.pt or layout_fig.png is not.
  auto startsWith = [](const fs::path& f, const std::string& head) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(f, ec)) || !fs::is_regular_file(f, ec)) return false;
    std::ifstream in(f, std::ios::binary);
    std::string got(head.size(), '\0');
    return bool(in.read(got.data(), std::streamsize(got.size()))) && got == head;
  };
  auto cacheFile = [&](const fs::path& f) {
    const std::string name = f.filename().string();
    const bool keyed = name.rfind("latents_", 0) == 0 || name.rfind("prototypes_k", 0) == 0;
    if (keyed && f.extension() == ".key") return startsWith(f, "classifier ");
    if (keyed && f.extension() == ".pt") return startsWith(fs::path(f.string() + ".key"), "classifier ");
    if (name.rfind("layout_", 0) == 0 && f.extension() == ".bin") return startsWith(f, "LLLAYOU1");
    return false;
  };
  std::error_code ec;
  std::vector<std::string> found;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path rel = it->path().lexically_relative(dir);
    const std::string r = rel.string(), first = rel.begin()->string();
    bool mine = ours.count(r) != 0;
    if (!mine && first == "cache" && std::distance(rel.begin(), rel.end()) == 2)
      mine = !it->is_symlink(ec) && it->is_regular_file(ec) && cacheFile(it->path());
    if (!mine) found.push_back(r);
    if (it->is_symlink(ec)) it.disable_recursion_pending();
  }
  if (found.empty()) return "";
  return *std::min_element(found.begin(), found.end());
}

void checkOutputPath(const std::string& targetIn, bool force) {
  const std::string target = withoutTrailingSlash(targetIn);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) {
    if (!force) throw BundleError("[output] " + target + " already exists; pass --force to replace it");
    if (fs::is_symlink(fs::symlink_status(target, ec)) || !isBundleDir(target))
      throw BundleError("[output] " + target +
                        " is not a LatentLab bundle (it has no LatentLab manifest.json): --force replaces a "
                        "bundle, never other files or folders");
    if (const std::string foreign = firstForeignBundleFile(target); !foreign.empty())
      throw BundleError("[output] " + target + " holds " + foreign +
                        ", which LatentLab did not write; --force would delete it, so it is refused: move your "
                        "files out of the bundle or choose another --out");
  }
  fs::path parent = fs::absolute(fs::path(target)).parent_path();
  if (!fs::is_directory(parent, ec))
    throw BundleError("[output] parent directory does not exist (" + parent.string() + ")");
  try {
    checkNotInBundle(target, "[output]", true);
  } catch (const InputError& e) {
    throw BundleError(e.what());
  }
}

void checkOutputFile(const std::string& path, bool force) {
  std::error_code ec;
  if (path.empty()) throw InputError("[output] no file name given");
  resolveUserPath(path, "[output]");  // not a stream (/dev/stdout, /proc/self/fd/1), not a loop
  const fs::path p(path);
  if (const std::string what = notAFile(p); !what.empty())
    throw InputError("[output] " + path + " is " + what + ", not a file: choose a file name");
  const fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
  fs::path dir = (ec ? fs::absolute(p) : abs).parent_path();
  if (!fs::is_directory(dir, ec))
    throw InputError("[output] cannot write " + path + ": the folder " + dir.string() + " does not exist");
  checkNotInBundle(path, "[output]");
  if (fs::exists(p, ec) && !force) throw InputError("[output] " + path + " already exists; pass --force to replace it");
}

StagedDir::StagedDir(const std::string& target, bool force) : StagedDir(target, force, checkOutputPath) {}

StagedDir::StagedDir(const std::string& target, bool force, std::function<void(const std::string&, bool)> check)
    : m_target(withoutTrailingSlash(target)), m_force(force), m_check(std::move(check)) {
  m_check(m_target, force);
  fs::path t = fs::absolute(fs::path(m_target));
  removeStaleStages(t);
  std::string tmpl = (t.parent_path() / ("." + t.filename().string() + ".staging-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))  // a new folder, never one (or a link) already there
    throw BundleError("[output] cannot create a staging folder in " + t.parent_path().string() + ": " +
                      std::strerror(errno));
  m_stage = tmpl;
  ::chmod(m_stage.c_str(), 0777 & ~currentUmask());  // mkdtemp makes it 0700; a bundle is as any new folder
  std::ofstream(fs::path(m_stage) / ".owner") << hostName() << " " << ::getpid() << "\n";
}

StagedDir::~StagedDir() {
  if (!m_committed) {
    std::error_code ec;
    fs::remove_all(m_stage, ec);
  }
}

void StagedDir::commit() {
  std::error_code ec;
  fs::remove(fs::path(m_stage) / ".owner", ec);
  fs::path aside;
  if (fs::exists(m_target, ec)) {
    m_check(m_target, m_force);  // still only what may be replaced
    aside = fs::path(m_target + ".old-" + uniqueSuffix());
    fs::rename(m_target, aside, ec);
    if (ec) throw BundleError("[output] cannot move the old folder aside: " + ec.message() + " (" + m_target + ")");
  }
  fs::rename(m_stage, m_target, ec);
  if (ec) {
    std::error_code ec2;
    if (!aside.empty()) fs::rename(aside, m_target, ec2);  // put the user's bundle back
    throw BundleError("[output] cannot move the new folder into place: " + ec.message() + " (" + m_target + ")");
  }
  m_committed = true;
  if (!aside.empty()) fs::remove_all(aside, ec);
}

}  // namespace latentlab
