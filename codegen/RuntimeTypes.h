//===- RuntimeTypes.h - MLIR types and constants as runtime values -*- C++ -*-===//
//
// Where compiled IR meets the runtime, shared by the CPU backend, the CUDA
// emitter and the tier-0 interpreter: an element type as an rt::DType, a
// tensor type as an rt::TensorSpec, a dense constant as the bytes a buffer
// of it holds.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_CODEGEN_RUNTIMETYPES_H
#define MLOPT_CODEGEN_RUNTIMETYPES_H

#include "runtime/Invoke.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <string>

namespace mlir::mlopt {

/// The runtime dtype of an element type (f16 ... i64); none for others.
std::optional<::mlopt::rt::DType> runtimeDType(Type element);
/// A ranked tensor type's dtype and shape (dynamic dims: rt::kDynamicSize).
std::optional<::mlopt::rt::TensorSpec> runtimeSpec(Type type);
/// The first `count` elements of `data` as little-endian bytes, one element
/// of the element type's byte width each (bools one byte, 0 or 1); a splat
/// repeats its value.
std::string elementBytes(DenseElementsAttr data, int64_t count);

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_RUNTIMETYPES_H
