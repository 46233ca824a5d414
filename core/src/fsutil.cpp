#include "latentlab/fsutil.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "latentlab/errors.h"

namespace fs = std::filesystem;

namespace latentlab {

namespace {
std::string uniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "-" + std::to_string(t % 1000000007) + "-" + std::to_string(counter++);
}
}  // namespace

void writeFileAtomic(const std::string& path, const std::string& bytes) {
  fs::path target(path);
  fs::path tmp = target;
  tmp += ".tmp-" + uniqueSuffix();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("[write] cannot create file: " + std::string(std::strerror(errno)) + " (" + path + ")");
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw InputError("[write] write failed (" + path + ")");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError("[write] cannot move the new file into place: " + ec.message() + " (" + path + ")");
  }
}

std::string readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("[read] cannot open file: " + std::string(std::strerror(errno)) + " (" + path + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void checkOutputPath(const std::string& target, bool force) {
  std::error_code ec;
  if (fs::exists(target, ec) && !force)
    throw BundleError("[output] " + target + " already exists; pass --force to replace it");
  fs::path parent = fs::absolute(fs::path(target)).parent_path();
  if (!fs::is_directory(parent, ec))
    throw BundleError("[output] parent directory does not exist (" + parent.string() + ")");
}

StagedDir::StagedDir(const std::string& target, bool force) : m_target(target), m_force(force) {
  checkOutputPath(target, force);
  fs::path t = fs::absolute(fs::path(target));
  m_stage = (t.parent_path() / ("." + t.filename().string() + ".staging-" + uniqueSuffix())).string();
  std::error_code ec;
  fs::create_directories(m_stage, ec);
  if (ec) throw BundleError("[output] cannot create staging directory: " + ec.message() + " (" + m_stage + ")");
}

StagedDir::~StagedDir() {
  if (!m_committed) {
    std::error_code ec;
    fs::remove_all(m_stage, ec);
  }
}

void StagedDir::commit() {
  std::error_code ec;
  fs::path aside;
  if (fs::exists(m_target, ec)) {
    if (!m_force) throw BundleError("[output] " + m_target + " already exists; pass --force to replace it");
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
