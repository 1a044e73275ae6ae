//===- CudaEmitter.h - CUDA C from fused linalg on buffers -----*- C++ -*-===//
//
// Reads a function in the mlopt-lower-to-cuda form (fused linalg on
// buffers, static shapes) and prints one CUDA C kernel per top-level linalg
// op or row-tile loop, plus the host plan that allocates, launches, calls
// cuBLAS and frees (runtime/CudaProgram.h).
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_CODEGEN_CUDAEMITTER_H
#define MLOPT_CODEGEN_CUDAEMITTER_H

#include "runtime/CudaProgram.h"

#include "mlir/IR/BuiltinOps.h"
#include <string>

namespace mlir::mlopt {

/// Emits public function `name` of `module` (already lowered by
/// mlopt-lower-to-cuda). Failure leaves the reason in `error`.
LogicalResult emitCudaProgram(ModuleOp module, StringRef name,
                              ::mlopt::rt::cuda::ProgramSpec &spec, std::string &error);

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_CUDAEMITTER_H
