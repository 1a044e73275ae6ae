//===- Threads.cpp - the thread count of compiled code and BLAS -----------===//

#include "runtime/Threads.h"

#include <cstdlib>
#include <mutex>
#include <omp.h>

extern "C" void openblas_set_num_threads(int);

namespace mlopt::rt {

void configureThreads() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char *text = std::getenv("MLOPT_NUM_THREADS");
    int n = text ? std::atoi(text) : 0;
    if (n <= 0)
      n = omp_get_num_procs();
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
  });
}

int numThreads() {
  configureThreads();
  return omp_get_max_threads();
}

} // namespace mlopt::rt
