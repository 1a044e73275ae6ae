//===- Patterns.h - mlopt -> linalg/tensor rewrite patterns ----*- C++ -*-===//
#ifndef MLOPT_CODEGEN_MLOPTTOLINALG_PATTERNS_H
#define MLOPT_CODEGEN_MLOPTTOLINALG_PATTERNS_H

#include "mlir/IR/Builders.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::mlopt {

/// Elementwise ops (through their scalar bodies), constants, broadcasts,
/// transposes, iota.
void populateElementwiseToLinalgPatterns(RewritePatternSet &patterns);
/// Reshape, slice, concat, pad, gather, index_select, scatter_add.
void populateDataMovementToLinalgPatterns(RewritePatternSet &patterns);
/// Reductions, arg-reductions, matmul, conv2d.
void populateStructuredToLinalgPatterns(RewritePatternSet &patterns);

namespace lowering {
/// tensor.empty with the shape of `shapeSource` and `elementType`.
Value emptyLike(OpBuilder &b, Location loc, Value shapeSource, Type elementType);
/// tensor.empty of `type`, with dynamic sizes read from `sizeOf(dim)`.
Value emptyOf(OpBuilder &b, Location loc, RankedTensorType type,
              llvm::function_ref<Value(int64_t)> sizeOf);
/// An index-typed size of dim `dim` of `tensor`.
Value dimOf(OpBuilder &b, Location loc, Value tensor, int64_t dim);
/// A scalar constant of a float or integer type.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);
/// `value` (a tensor of the shape given by `sizes`) reshaped to `type`.
Value reshapeTo(OpBuilder &b, Location loc, Value value, RankedTensorType type,
                llvm::ArrayRef<Value> dynamicSizes);
/// All-parallel iterator types for a generic of `rank` loops.
SmallVector<utils::IteratorType> parallel(int64_t rank);
/// Copies `operand` into `init` (of a larger or equal shape): operand dim i
/// is read at result dim `dims[i]`, a static size-1 dim at index 0 when the
/// result dim is larger (broadcast_in_dim's rule, also used for matmul batch
/// dims).
Value broadcastInto(OpBuilder &b, Location loc, Value operand, Value init,
                    llvm::ArrayRef<int64_t> dims);
/// `operand` padded with `low`/`high` elements of the scalar `value` per dim.
Value padTensor(OpBuilder &b, Location loc, Value operand, llvm::ArrayRef<int64_t> low,
                llvm::ArrayRef<int64_t> high, Value value);
/// Replaces `op` by `value`, through a tensor.cast where the lowering found a
/// more static type than the op declares.
void replaceKeepingType(PatternRewriter &rewriter, Operation *op, Value value);
} // namespace lowering

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_MLOPTTOLINALG_PATTERNS_H
