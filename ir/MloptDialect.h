//===- MloptDialect.h - the mlopt dialect ----------------------*- C++ -*-===//
#ifndef MLOPT_IR_MLOPTDIALECT_H
#define MLOPT_IR_MLOPTDIALECT_H

#include "mlir/IR/Dialect.h"

#include "ir/MloptOpsDialect.h.inc"

namespace mlir {
class DialectRegistry;
namespace mlopt {
/// Registers the mlopt dialect and every upstream dialect that mlopt programs
/// and pipelines produce, so any IR the compiler dumps can be parsed again.
void registerMloptDialects(DialectRegistry &registry);
} // namespace mlopt
} // namespace mlir

#endif // MLOPT_IR_MLOPTDIALECT_H
