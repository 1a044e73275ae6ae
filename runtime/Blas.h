//===- Blas.h - matmul through a CPU BLAS ----------------------*- C++ -*-===//
#ifndef MLOPT_RUNTIME_BLAS_H
#define MLOPT_RUNTIME_BLAS_H

#include <utility>
#include <vector>

namespace mlopt::rt {

/// `_mlir_ciface_mlopt_rt_{matmul,batch_matmul}_{f32,f64}`: C += A @ B on
/// memref descriptors, the functions mlopt-linalg-to-blas calls.
std::vector<std::pair<const char *, void *>> blasSymbols();

struct Buffer;

/// C = A @ B over the last two dims of f32/f64 CPU buffers of equal rank
/// and equal batch dims (broadcast ones expanded: stride 0), any strides
/// (transposed views go to BLAS as a transpose flag). False (nothing done)
/// for other dtypes, devices or shapes.
bool matmulInto(const Buffer &a, const Buffer &b, Buffer &c);

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_BLAS_H
