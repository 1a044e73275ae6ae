//===- OpAttributes.h - front-end op descriptions as MLIR ------*- C++ -*-===//
//
// Shared by eager dispatch and the tracer: how an EagerOp's element type
// names and attributes become MLIR types and attributes.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_FRONTEND_OPATTRIBUTES_H
#define MLOPT_FRONTEND_OPATTRIBUTES_H

#include "frontend/Eager.h"

#include "mlir/IR/Builders.h"

namespace mlir::mlopt {

/// "f32", "bf16", "i1", ... as an MLIR type; null for an unknown name.
Type elementTypeNamed(MLIRContext &context, const std::string &name);

/// The op's attributes (false bools are absent unit attributes).
SmallVector<NamedAttribute> attributesOf(Builder &b, const EagerOp &op);

/// The other way: an op's MLIR attributes as EagerOp attributes; false for
/// a kind eager ops do not take.
bool eagerAttributesOf(ArrayRef<NamedAttribute> attributes,
                       std::vector<EagerAttribute> &result);

} // namespace mlir::mlopt

#endif // MLOPT_FRONTEND_OPATTRIBUTES_H
