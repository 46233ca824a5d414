#include "cli_util.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"

namespace latentlab::cli {

void printProgress(const Progress& p) {
  static auto last = std::chrono::steady_clock::now();
  auto now = std::chrono::steady_clock::now();
  const bool end = p.batch == p.batches;
  if (!end && now - last < std::chrono::milliseconds(200)) return;
  last = now;
  const int width = 24;
  const double frac = p.batches ? double(p.batch) / double(p.batches) : 0.0;
  std::string bar(size_t(frac * width), '#');
  bar.resize(width, '.');
  const bool tty = isatty(2);
  if (p.epochs <= 0 && p.samplesPerSec <= 0)  // a stage without epochs or a loss (explain, checks): what is done
    std::fprintf(stderr, "%s%-14s [%s] %lld/%lld%s", tty ? "\r" : "", p.stage.c_str(), bar.c_str(), (long long)p.batch,
                 (long long)p.batches, tty ? "\033[K" : "\n");
  else
    std::fprintf(stderr, "%s%-14s epoch %d/%d [%s] %lld/%lld loss %.4f  %.0f samples/s  ETA %.0fs%s", tty ? "\r" : "",
                 p.stage.c_str(), p.epoch, p.epochs, bar.c_str(), (long long)p.batch, (long long)p.batches, p.loss,
                 p.samplesPerSec, p.etaSeconds, tty ? "\033[K" : "\n");
  if (tty && end) std::fputc('\n', stderr);
  std::fflush(stderr);
}

void writeJson(const std::string& path, const nlohmann::json& j) { writeUserFile(path, jsonText(j)); }

std::string exeDir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.parent_path().string();
}

}  // namespace latentlab::cli
