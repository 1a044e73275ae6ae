//===- ScalarBody.h - build the scalar body of an elementwise op -*- C++ -*-===//
#ifndef MLOPT_IR_SCALARBODY_H
#define MLOPT_IR_SCALARBODY_H

#include "mlir/IR/Builders.h"

namespace mlir::mlopt {

/// Builds one result element of the elementwise op `op` from `args` (one
/// scalar per operand, in the operands' element types). Float math on
/// f16/bf16 runs in f32 and rounds once at the end, as PyTorch's CPU kernels
/// do. Returns null if `op` has no scalar body.
Value buildElementwiseBody(Operation *op, OpBuilder &builder, Location loc,
                           ValueRange args);

} // namespace mlir::mlopt

#endif // MLOPT_IR_SCALARBODY_H
