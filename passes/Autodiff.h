//===- Autodiff.h - reverse-mode autodiff on mlopt IR ----------*- C++ -*-===//
//
// The one reverse-mode implementation: the `mlopt-autodiff` pass, grad and
// vjp in Python, eager backward() (a replayed tape) and backward() inside
// @mlopt.compile all call buildVJP. Its output is mlopt ops again, so it
// applies to its own output (second derivatives).
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_PASSES_AUTODIFF_H
#define MLOPT_PASSES_AUTODIFF_H

#include "mlir/IR/Builders.h"
#include <string>

namespace mlir::mlopt {

/// Builds, at `b`'s insertion point, the vector-Jacobian product of
/// `outputs` with `cotangents` (one per output, same type; a null one means
/// ones, as for a scalar loss) with respect to
/// `wrt`: one gradient per `wrt` value, of its type. A `wrt` value the outputs
/// do not depend on (or only through non-differentiable ops: comparisons,
/// argmax, integer casts, floor) gets zeros. Only ops on the paths from `wrt`
/// to `outputs` get gradients (the rest is pruned). Every value involved must
/// be defined in `b`'s block before the insertion point. Fails with `error`
/// naming the op when an op on such a path has no rule.
FailureOr<SmallVector<Value>> buildVJP(OpBuilder &b, Location loc, ValueRange outputs,
                                       ValueRange cotangents, ValueRange wrt,
                                       std::string &error);

/// A splat constant of `type` (static shape) holding `value`.
Value splatConstant(OpBuilder &b, Location loc, Type type, double value);

} // namespace mlir::mlopt

#endif // MLOPT_PASSES_AUTODIFF_H
