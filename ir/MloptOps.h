//===- MloptOps.h - the mlopt ops ------------------------------*- C++ -*-===//
#ifndef MLOPT_IR_MLOPTOPS_H
#define MLOPT_IR_MLOPTOPS_H

#include "ir/MloptDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/ScalarBodyInterface.h.inc"

namespace mlir::mlopt {
/// Same element types and ranks, equal sizes where both are static.
bool areCompatibleTensorTypes(TypeRange inferred, TypeRange declared);
} // namespace mlir::mlopt

#define GET_OP_CLASSES
#include "ir/MloptOps.h.inc"

#endif // MLOPT_IR_MLOPTOPS_H
