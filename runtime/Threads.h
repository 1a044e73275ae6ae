//===- Threads.h - the thread count of compiled code and BLAS --*- C++ -*-===//
#ifndef MLOPT_RUNTIME_THREADS_H
#define MLOPT_RUNTIME_THREADS_H

namespace mlopt::rt {

/// Applies MLOPT_NUM_THREADS (default: all cores) to the OpenMP runtime that
/// compiled loops use and to OpenBLAS. Idempotent; called before each call.
void configureThreads();

/// The number of threads compiled code runs with.
int numThreads();

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_THREADS_H
