//===- Passes.h - code generation passes and pipelines ---------*- C++ -*-===//
#ifndef MLOPT_CODEGEN_PASSES_H
#define MLOPT_CODEGEN_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class OpPassManager;
namespace mlopt {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// `mlopt-lower-to-llvm`: an mlopt module to the LLVM dialect, ready for
/// translation to LLVM IR: mlopt -> linalg on tensors -> bufferization ->
/// loops -> LLVM. Public functions get a C interface (_mlir_ciface_<name>).
void buildLowerToLLVMPipeline(OpPassManager &pm);

/// `mlopt-lower-to-cuda`: an mlopt module to fused linalg on buffers (one
/// row per mlopt-fuse-rows tile), the input of the CUDA C emitter.
void buildLowerToCudaPipeline(OpPassManager &pm);

/// Registers the code generation passes and pipelines.
void registerCodegenPipelines();

} // namespace mlopt
} // namespace mlir

#endif // MLOPT_CODEGEN_PASSES_H
