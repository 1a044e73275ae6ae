//===- Invoke.h - call compiled functions with runtime buffers -*- C++ -*-===//
//
// Compiled functions use MLIR's C interface for memrefs: the entry point
// takes an array of pointers: first to the result descriptors (if any), then
// one memref descriptor per input {allocated, aligned, offset, sizes[R],
// strides[R]}.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_RUNTIME_INVOKE_H
#define MLOPT_RUNTIME_INVOKE_H

#include "runtime/Buffer.h"

#include <string>
#include <vector>

namespace mlopt::rt {

constexpr int64_t kDynamicSize = -1;

/// Element type and shape of one argument or result; kDynamicSize for `?`.
struct TensorSpec {
  DType dtype;
  std::vector<int64_t> shape;
  std::string str() const; // "tensor<?x4xf32>"
};

struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> results;
};

using PackedEntry = void (*)(void **);

/// Checks `inputs` against the signature (count, dtype, rank, static sizes)
/// and calls `entry`; strided inputs are packed to row-major first. Results own their memory, or share an input's when the
/// function returned it. Returns false with `error` naming the shapes.
bool invoke(PackedEntry entry, const Signature &signature,
            const std::vector<Buffer> &inputs, std::vector<Buffer> &results,
            std::string &error);

/// The symbols compiled code calls into, for the JIT to resolve:
/// _mlir_memref_to_llvm_alloc / _aligned_alloc / _free, memrefCopy and the
/// BLAS entry points.
struct RuntimeSymbol {
  const char *name;
  void *address;
};
std::vector<RuntimeSymbol> runtimeSymbols();

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_INVOKE_H
