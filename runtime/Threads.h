//===- Threads.h - the thread count of compiled code and BLAS --*- C++ -*-===//
#ifndef MLOPT_RUNTIME_THREADS_H
#define MLOPT_RUNTIME_THREADS_H

namespace mlopt::rt {

/// Applies MLOPT_NUM_THREADS (default: all cores) to the OpenMP runtime that
/// compiled loops use and to OpenBLAS. Idempotent; called before each call.
void configureThreads();

/// The number of threads compiled code runs with.
int numThreads();

/// Makes the OpenMP runtime's symbols (__kmpc_*) visible to the JIT's
/// process-wide symbol search. The runtime links libomp, but a Python
/// extension module is loaded with RTLD_LOCAL, which hides them.
void exposeOpenMPSymbols();

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_THREADS_H
