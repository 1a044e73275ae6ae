//===- Threads.cpp - the thread count of compiled code and BLAS -----------===//

#include "runtime/Threads.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <omp.h>

extern "C" void openblas_set_num_threads(int);
extern "C" void kmp_set_blocktime(int); // libomp

namespace mlopt::rt {

void configureThreads() {
  static int count = [] {
    const char *text = std::getenv("MLOPT_NUM_THREADS");
    int n = text ? std::atoi(text) : 0;
    n = n > 0 ? n : omp_get_num_procs();
    openblas_set_num_threads(n);
    return n;
  }();
  // omp_set_num_threads sets a per-thread value: apply it on every thread
  // that calls into compiled code.
  thread_local bool applied = false;
  if (!applied) {
    omp_set_num_threads(count);
    // Idle OpenMP workers sleep at once instead of spinning for 200 ms: a
    // spinning worker steals a core from OpenBLAS's threads in the matmul
    // that typically follows (x @ w.T went from 39 to 31 ms). Parallel loops
    // are only made for big nests, so the wake-up latency does not show.
    if (!std::getenv("KMP_BLOCKTIME"))
      kmp_set_blocktime(0);
    applied = true;
  }
}

int numThreads() {
  configureThreads();
  return omp_get_max_threads();
}

void exposeOpenMPSymbols() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Already loaded (a dependency of this library): promote it to global.
    for (const char *name : {"libomp.so.5", "libomp.so"})
      if (dlopen(name, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL))
        break;
    omp_get_max_threads(); // keeps the dependency even with --as-needed
  });
}

} // namespace mlopt::rt
