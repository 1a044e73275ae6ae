//===- CompileStats.h - where a compile's time went -------------*- C++ -*-===//
//
// Shared by the CPU and CUDA backends and read by the Python module, which
// must not include MLIR headers (it is rebuilt alone on GPU machines).
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_CODEGEN_COMPILESTATS_H
#define MLOPT_CODEGEN_COMPILESTATS_H

namespace mlir::mlopt {

/// What a compile did, for logs, tests and the closing figures.
struct CompileStats {
  bool memoryCacheHit = false;
  bool diskCacheHit = false;
  // MLIR pipeline, translation to LLVM IR (CPU), LLVM optimization and
  // machine code (CPU, parts in parallel) or NVRTC (CUDA), loading.
  double lowerMs = 0, translateMs = 0, llvmMs = 0, loadMs = 0;
};

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_COMPILESTATS_H
