// libFuzzer target: readFileChecked on whatever the input makes of a path: a regular file of the
// input's bytes, a link (possibly dangling, possibly in a loop), a FIFO, a folder, or a device;
// with a cap from the first byte. It must return the file's bytes exactly when the path is a plain
// file under the cap, and otherwise throw InputError; never block, never read past the cap.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const fs::path dir = fs::temp_directory_path() / ("ll-fuzz-read-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  const uint64_t cap = uint64_t(data[0]) * 4;
  const int kind = data[1] % 6;
  const std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);
  const fs::path file = dir / "f", path = dir / "p";
  std::ofstream(file, std::ios::binary) << body;
  bool plain = false;
  switch (kind) {
    case 0:
      fs::rename(file, path);
      plain = true;
      break;  // a file
    case 1:
      fs::create_symlink(file, path);
      plain = true;
      break;  // a link to it
    case 2:
      fs::create_symlink(dir / "nothing", path);
      break;  // a dangling link
    case 3:
      fs::create_symlink(path, path);
      break;  // a loop
    case 4:
      ::mkfifo(path.c_str(), 0600);
      break;  // a pipe with no writer
    case 5:
      fs::create_symlink(body.size() % 2 ? "/dev/zero" : "/dev/null", path);
      break;  // a device
  }
  try {
    const std::string got = latentlab::readFileChecked(path.string(), cap, "fuzz file");
    if (!plain || body.size() > cap || got != body) std::abort();
  } catch (const latentlab::InputError&) {
    if (plain && body.size() <= cap) std::abort();
  }
  return 0;
}
