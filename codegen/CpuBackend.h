//===- CpuBackend.h - compile mlopt modules to host code -------*- C++ -*-===//
//
// mlopt module -> (mlopt-lower-to-llvm) -> LLVM IR -> optimized object code
// for this CPU, cached in memory and on disk; the object is loaded into an
// ORC JIT, or written out for ahead-of-time use. Keeps every LLVM header out
// of its interface.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_CODEGEN_CPUBACKEND_H
#define MLOPT_CODEGEN_CPUBACKEND_H

#include "codegen/CompileStats.h"
#include "runtime/Invoke.h"
#include "runtime/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include <memory>
#include <string>

namespace mlir::mlopt {

struct CpuCompileOptions {
  int optLevel = 3;
  /// Read and write the disk cache (MLOPT_CACHE_DIR, default ~/.cache/mlopt).
  bool useDiskCache = true;
  /// Generate machine code for parts of the module on several threads (the
  /// result is then several objects; --emit-object wants one).
  bool parallelCodegen = true;
  /// Only take the module from the caches: no LLVM (the error is then
  /// CpuBackend::kNotCached).
  bool cachedOnly = false;
};

class JitLibrary;

/// A compiled module: the entry point and signature of each public function.
class CompiledModule {
public:
  ~CompiledModule();
  /// The entry of public function `name`, or null.
  ::mlopt::rt::PackedEntry entry(const std::string &name) const;
  const ::mlopt::rt::Signature *signature(const std::string &name) const;
  /// Public function `name` as a runtime program (one launch); false if
  /// there is no such function.
  bool program(const std::string &name, ::mlopt::rt::Program &out) const;
  /// The object file the module was loaded from.
  const std::string &object() const { return objectCode; }

private:
  friend class CpuBackend;
  std::unique_ptr<JitLibrary> library;
  std::string objectCode;
  std::vector<std::pair<std::string, ::mlopt::rt::Signature>> signatures;
  std::vector<std::pair<std::string, ::mlopt::rt::PackedEntry>> entries;
};

class CpuBackend {
public:
  /// The error of a cachedOnly compile that missed both caches.
  static constexpr const char *kNotCached = "not in the compile caches";
  /// Holds the compile locks across fork (once per process; before any
  /// handler that joins compiles is registered: see Trace.cpp).
  static void holdLocksAcrossFork();
  /// Whether a static tensor of `type` fits in this machine's memory (its
  /// byte count neither overflows nor exceeds physical memory); dynamic
  /// and non-tensor types do.
  static bool fitsInMemory(Type type);
  /// Compiles `module` (mlopt dialect; it is not modified). A failure
  /// returns null with `error` holding the located diagnostics.
  static std::shared_ptr<CompiledModule> compile(ModuleOp module,
                                                 const CpuCompileOptions &options,
                                                 std::string &error,
                                                 CompileStats *stats = nullptr);
  /// Lowers and translates `module` to LLVM IR text (for inspection).
  static bool emitLLVMIR(ModuleOp module, const CpuCompileOptions &options,
                         std::string &llvmIR, std::string &error);
  /// Drops the in-memory cache (tests use it to measure disk hits).
  static void clearMemoryCache();
};

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_CPUBACKEND_H
