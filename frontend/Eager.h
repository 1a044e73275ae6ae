//===- Eager.h - run one mlopt op on runtime buffers -----------*- C++ -*-===//
//
// Eager dispatch: an op call becomes a one-op mlopt function over inputs
// with dynamic dims (so one kernel serves every size), compiled by the CPU
// backend once per (op, element types, ranks, attributes) and cached; later
// calls with the same key go straight to the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_FRONTEND_EAGER_H
#define MLOPT_FRONTEND_EAGER_H

#include "runtime/Buffer.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace mlir::mlopt {

/// An op attribute as the front end passes it.
using EagerAttr = std::variant<int64_t, bool, std::vector<int64_t>>;
struct EagerAttribute {
  std::string name;
  EagerAttr value;
};

struct EagerOp {
  std::string name;                     // "mlopt.add"
  std::vector<EagerAttribute> attributes;
  /// The result element type for ops that choose it (convert): "f32", ...
  std::string resultElementType;
};

/// Runs `op` on `inputs` and returns its results. Shape and dtype errors
/// come back as false with `error` naming the shapes; never an abort. With
/// `uncached`, a kernel that is neither in memory nor in the disk cache is
/// not compiled: false, with *uncached set.
bool runEager(const EagerOp &op, const std::vector<::mlopt::rt::Buffer> &inputs,
              std::vector<::mlopt::rt::Buffer> &results, std::string &error,
              bool *uncached = nullptr);

/// Whether runEager has `op`'s kernel for CPU inputs of these dtypes and
/// shapes (their data is not read) without LLVM: in memory, or loaded now
/// from the disk cache. False also for a shape error.
bool eagerKernelCached(const EagerOp &op, const std::vector<::mlopt::rt::Buffer> &inputs);

/// Copies `src` into the (possibly strided) view `dst` of the same shape and
/// element type: in-place updates through views.
bool copyInto(const ::mlopt::rt::Buffer &src, ::mlopt::rt::Buffer &dst, std::string &error);

/// Number of distinct kernels compiled by eager dispatch in this process.
size_t eagerKernelCount();

} // namespace mlir::mlopt

#endif // MLOPT_FRONTEND_EAGER_H
