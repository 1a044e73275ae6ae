//===- Blas.h - matmul through a CPU BLAS ----------------------*- C++ -*-===//
#ifndef MLOPT_RUNTIME_BLAS_H
#define MLOPT_RUNTIME_BLAS_H

#include <utility>
#include <vector>

namespace mlopt::rt {

/// `_mlir_ciface_mlopt_rt_{matmul,batch_matmul}_{f32,f64}`: C += A @ B on
/// memref descriptors, the functions mlopt-linalg-to-blas calls.
std::vector<std::pair<const char *, void *>> blasSymbols();

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_BLAS_H
