//===- CudaBackend.h - compile mlopt modules to CUDA kernels ---*- C++ -*-===//
//
// mlopt module -> (mlopt-lower-to-cuda) -> CUDA C + host plan
// (CudaEmitter) -> NVRTC CUBIN for the device's architecture, cached in
// memory and on disk beside the CPU objects -> a loaded runtime program.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_CODEGEN_CUDABACKEND_H
#define MLOPT_CODEGEN_CUDABACKEND_H

#include "codegen/CompileStats.h"
#include "runtime/CudaProgram.h"

#include "mlir/IR/BuiltinOps.h"
#include <memory>
#include <string>
#include <vector>

namespace mlir::mlopt {

struct CudaCompileOptions {
  /// SM architecture (90 for sm_90); 0: the device's, or 90 without one.
  int arch = 0;
  bool useDiskCache = true;
};

class CudaBackend {
public:
  /// Lowers and emits public function `name` of `module` (not modified):
  /// the CUDA C and the host plan, no driver needed.
  static bool emit(ModuleOp module, StringRef name, ::mlopt::rt::cuda::ProgramSpec &spec,
                   std::string &error, CompileStats *stats = nullptr);
  /// Per kernel of `spec` (its unit): a CUBIN for `options.arch` and the
  /// kernel's name in it, from the memory or disk cache, else NVRTC, the
  /// missing kernels in parallel (several to a CUBIN when there are many).
  static bool compileImages(const ::mlopt::rt::cuda::ProgramSpec &spec,
                            const CudaCompileOptions &options, std::vector<std::string> &images,
                            std::vector<std::string> &functions, std::string &error,
                            CompileStats *stats = nullptr);
  /// emit + compileImages + load: a program ready to run on the device.
  static std::shared_ptr<::mlopt::rt::cuda::Program>
  compile(ModuleOp module, StringRef name, const CudaCompileOptions &options,
          std::string &error, CompileStats *stats = nullptr);
};

/// Registers `mlopt-print-cuda`, which prints each public function's CUDA C
/// and host plan (input: the mlopt-lower-to-cuda form).
void registerCudaPrintPass();

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_CUDABACKEND_H
