//===- DType.h - element types of runtime buffers --------------*- C++ -*-===//
#ifndef MLOPT_RUNTIME_DTYPE_H
#define MLOPT_RUNTIME_DTYPE_H

#include <cstddef>
#include <optional>
#include <string>

namespace mlopt::rt {

enum class DType { F16, BF16, F32, F64, Bool, I32, I64 };

/// Bytes per element.
size_t byteSize(DType dtype);
/// The MLIR spelling: f16, bf16, f32, f64, i1, i32, i64.
const char *mlirName(DType dtype);
std::optional<DType> fromMlirName(const std::string &name);
/// The NumPy descr ("<f4", "|b1", ...); bf16 has none in NumPy and is stored
/// as "<V2" raw 2-byte values.
const char *npyDescr(DType dtype);
std::optional<DType> fromNpyDescr(const std::string &descr);

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_DTYPE_H
