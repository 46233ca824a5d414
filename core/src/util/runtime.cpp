#include "latentlab/util/runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/torch.h>
#include <unistd.h>

namespace latentlab {

void configureRuntime(int threads) {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(1);
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  torch::set_num_threads(threads > 0 ? threads : int(cores > 0 ? cores : 1));
}

}  // namespace latentlab
