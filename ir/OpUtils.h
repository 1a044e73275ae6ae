//===- OpUtils.h - checks shared by op verifiers and shape rules *- C++ -*-===//
#ifndef MLOPT_IR_OPUTILS_H
#define MLOPT_IR_OPUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/ArrayRef.h"
#include <optional>

namespace mlir::mlopt {

/// a + b, or nullopt if it overflows int64 (sizes in parsed IR may be huge).
inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum))
    return std::nullopt;
  return sum;
}

/// a * b, or nullopt if it overflows int64.
inline std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t product;
  if (__builtin_mul_overflow(a, b, &product))
    return std::nullopt;
  return product;
}

/// The element count of a shape: nullopt if a dim is dynamic; failure (with
/// `overflow` set) if the count does not fit in int64.
inline std::optional<int64_t> elementCount(llvm::ArrayRef<int64_t> shape,
                                           bool &overflow) {
  overflow = false;
  int64_t count = 1;
  bool dynamic = false;
  if (llvm::is_contained(shape, 0))
    return std::optional<int64_t>(0); // empty, whatever the other dims are
  for (int64_t dim : shape) {
    if (ShapedType::isDynamic(dim)) {
      dynamic = true;
      continue;
    }
    if (__builtin_mul_overflow(count, dim, &count)) {
      overflow = true;
      return std::nullopt;
    }
  }
  return dynamic ? std::nullopt : std::optional<int64_t>(count);
}

/// Checks that `dims` is strictly increasing within [0, rank).
inline LogicalResult verifyDimList(std::optional<Location> loc,
                                   llvm::ArrayRef<int64_t> dims, int64_t rank,
                                   llvm::StringRef what) {
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0 || dims[i] >= rank)
      return emitOptionalError(loc, what, " entry ", dims[i],
                               " is out of range for rank ", rank);
    if (i > 0 && dims[i] <= dims[i - 1])
      return emitOptionalError(loc, what, " must be strictly increasing");
  }
  return success();
}

/// Checks that a dim index is within [0, rank).
inline LogicalResult verifyDim(std::optional<Location> loc, int64_t dim,
                               int64_t rank) {
  if (dim < 0 || dim >= rank)
    return emitOptionalError(loc, "dim ", dim, " is out of range for rank ",
                             rank);
  return success();
}

/// A ranked tensor type or a diagnostic naming what was found instead.
inline RankedTensorType rankedOrError(std::optional<Location> loc, Type type,
                                      llvm::StringRef what) {
  auto tensor = dyn_cast_or_null<RankedTensorType>(type);
  if (!tensor)
    (void)emitOptionalError(loc, what, " must be a ranked tensor, got ", type);
  return tensor;
}

/// The result shape of an op with `sizes` for its dynamic dims, with each
/// dynamic dim whose size operand is a constant filled in: after inputs are
/// specialized (mlopt-run, tensor.dim folded), shape rules then catch what
/// would fail at run time. A negative constant size is an error.
inline FailureOr<SmallVector<int64_t>> knownShape(Operation *op, ValueRange sizes,
                                           RankedTensorType result) {
  SmallVector<int64_t> shape(result.getShape());
  if (static_cast<int64_t>(sizes.size()) != result.getNumDynamicDims())
    return shape; // reported by verifyDynamicSizes
  auto size = sizes.begin();
  for (int64_t &dim : shape) {
    if (!ShapedType::isDynamic(dim))
      continue;
    APInt value;
    if (matchPattern(*size++, m_ConstantInt(&value))) {
      if (value.isNegative())
        return op->emitOpError("has a negative size ") << value.getSExtValue()
                                                       << " for " << result;
      dim = value.getSExtValue();
    }
  }
  return shape;
}

} // namespace mlir::mlopt

#endif // MLOPT_IR_OPUTILS_H
