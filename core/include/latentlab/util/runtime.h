#pragma once
// Process-wide LibTorch set-up, done once, on purpose, at start-up (app, tests, bench).
namespace latentlab {

// - Sets LibTorch's intra-op threads (0: one per online core).
// - Pins OpenBLAS (the system BLAS behind Debian's LibTorch) to one thread per caller, so that its
//   threads do not oversubscribe LibTorch's own pool: on 2 cores this took a training epoch from
//   72 s to 41 s.
// - Raises glibc's mmap threshold, so the large activation buffers of every batch are reused from
//   the heap instead of being mapped, page-faulted and unmapped each time (sys time dominated).
void configureRuntime(int threads = 0);

}  // namespace latentlab
