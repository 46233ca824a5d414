#include "latentlab/util/fsutil.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace

// A LatentLab bundle: a folder whose manifest.json is a valid LatentLab manifest (a web app's or
// an extension's manifest.json does not make its folder one).
bool isBundleDir(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec) || !fs::is_regular_file(p / "manifest.json", ec)) return false;
  try {
    parseManifest(readTextFile((p / "manifest.json").string()), (p / "manifest.json").string());
    return true;
  } catch (const Error&) {
    return false;
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

void writeFileAtomic(const std::string& path, const std::string& bytes) {
  // A link is written through (the file it names is replaced, the link stays); anything but a
  // regular file (a directory, /dev/null, a pipe) is refused rather than replaced.
  std::error_code ec;
  fs::path target(path);
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {  // also a dangling link
    const fs::path to = fs::read_symlink(target, ec);
    if (ec) break;
    target = to.is_absolute() ? to : target.parent_path() / to;
  }
  if (const std::string what = notAFile(target); !what.empty())
    throw InputError("[write] " + path + " is " + what + ", not a file: choose a file name");
  const bool existed = fs::exists(target, ec);
  const fs::perms mode = existed ? fs::status(target, ec).permissions() : fs::perms::unknown;
  fs::path tmp = target;
  tmp += ".tmp-" + uniqueSuffix();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("[write] cannot create file: " + std::string(std::strerror(errno)) + " (" + path + ")");
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      throw InputError("[write] write failed (" + path + ")");
    }
  }
  if (existed && mode != fs::perms::unknown) fs::permissions(tmp, mode, ec);  // the user's file keeps its mode
  fs::rename(tmp, target, ec);
  if (ec) {
    const std::string why = ec.message();  // before the cleanup overwrites ec
    fs::remove(tmp, ec);
    throw InputError("[write] cannot move the new file into place: " + why + " (" + path + ")");
  }
}

std::string readTextFile(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError("[read] " + path + " is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("[read] cannot open file: " + std::string(std::strerror(errno)) + " (" + path + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void checkOutputPath(const std::string& targetIn, bool force) {
  const std::string target = withoutTrailingSlash(targetIn);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) {
    if (!force) throw BundleError("[output] " + target + " already exists; pass --force to replace it");
    if (!isBundleDir(target))
      throw BundleError("[output] " + target +
                        " is not a LatentLab bundle (it has no manifest.json): --force replaces a "
                        "bundle, never other files or folders");
  }
  fs::path parent = fs::absolute(fs::path(target)).parent_path();
  if (!fs::is_directory(parent, ec))
    throw BundleError("[output] parent directory does not exist (" + parent.string() + ")");
}

void checkOutputFile(const std::string& path, bool force) {
  std::error_code ec;
  if (path.empty()) throw InputError("[output] no file name given");
  const fs::path p(path);
  if (const std::string what = notAFile(p); !what.empty())
    throw InputError("[output] " + path + " is " + what + ", not a file: choose a file name");
  const fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
  fs::path dir = (ec ? fs::absolute(p) : abs).parent_path();
  if (!fs::is_directory(dir, ec))
    throw InputError("[output] cannot write " + path + ": the folder " + dir.string() + " does not exist");
  // The file's own folder, or the bundle above its cache/ folder.
  for (const fs::path& owner : {dir, dir.filename() == "cache" ? dir.parent_path() : fs::path()})
    if (!owner.empty() && isBundleDir(owner))
      throw InputError("[output] " + path + " is inside the bundle " + owner.string() +
                       ": a bundle's files are never an output; choose a file elsewhere");
  if (fs::exists(p, ec) && !force) throw InputError("[output] " + path + " already exists; pass --force to replace it");
}

StagedDir::StagedDir(const std::string& target, bool force) : StagedDir(target, force, checkOutputPath) {}

StagedDir::StagedDir(const std::string& target, bool force, std::function<void(const std::string&, bool)> check)
    : m_target(withoutTrailingSlash(target)), m_force(force), m_check(std::move(check)) {
  m_check(m_target, force);
  fs::path t = fs::absolute(fs::path(m_target));
  removeStaleStages(t);
  m_stage = (t.parent_path() / ("." + t.filename().string() + ".staging-" + uniqueSuffix())).string();
  std::error_code ec;
  fs::create_directories(m_stage, ec);
  if (ec) throw BundleError("[output] cannot create staging directory: " + ec.message() + " (" + m_stage + ")");
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
    if (ec) throw BundleError("[output] cannot move the old bundle aside: " + ec.message() + " (" + m_target + ")");
  }
  fs::rename(m_stage, m_target, ec);
  if (ec) {
    std::error_code ec2;
    if (!aside.empty()) fs::rename(aside, m_target, ec2);  // put the user's bundle back
    throw BundleError("[output] cannot move the new bundle into place: " + ec.message() + " (" + m_target + ")");
  }
  m_committed = true;
  if (!aside.empty()) fs::remove_all(aside, ec);
}

}  // namespace latentlab
