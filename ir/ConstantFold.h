//===- ConstantFold.h - element-wise constant folding helpers --*- C++ -*-===//
//
// Folders evaluate an op on constant operands only where it is cheap: splats,
// or constants of at most kMaxFoldElements elements. Larger constants stay as
// ops and run in compiled code.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_IR_CONSTANTFOLD_H
#define MLOPT_IR_CONSTANTFOLD_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include <cstdint>
#include <optional>

namespace mlir::mlopt::fold {

constexpr int64_t kMaxFoldElements = 4096;

using FloatUnaryFn = llvm::function_ref<double(double)>;
using IntUnaryFn = llvm::function_ref<std::optional<int64_t>(int64_t)>;
using FloatBinaryFn = llvm::function_ref<double(double, double)>;
/// Returns nullopt where the result is not defined at compile time (x / 0).
using IntBinaryFn = llvm::function_ref<std::optional<int64_t>(int64_t, int64_t)>;
using FloatPredicate = llvm::function_ref<bool(double, double)>;
using IntPredicate = llvm::function_ref<bool(int64_t, int64_t)>;

/// The operand as a dense constant small enough to fold, or null.
DenseElementsAttr getFoldable(Attribute attr);

/// Elementwise evaluation; a null function means "not defined for this
/// element kind" and gives a null attribute (no fold).
Attribute unary(Attribute operand, FloatUnaryFn floatFn, IntUnaryFn intFn);
Attribute binary(Attribute lhs, Attribute rhs, FloatBinaryFn floatFn,
                 IntBinaryFn intFn);
Attribute compare(Attribute lhs, Attribute rhs, FloatPredicate floatFn,
                  IntPredicate intFn);
/// Element-type conversion with the rules documented on mlopt.convert.
Attribute convert(Attribute operand, RankedTensorType resultType);

/// True if attr is a splat constant whose elements all equal value (for
/// floats, bit-exact: -0.0 is not 0.0).
bool isSplatFloat(Attribute attr, double value);
bool isSplatInt(Attribute attr, int64_t value);

} // namespace mlir::mlopt::fold

#endif // MLOPT_IR_CONSTANTFOLD_H
