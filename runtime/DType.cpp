//===- DType.cpp - element types of runtime buffers -----------------------===//

#include "runtime/DType.h"

namespace mlopt::rt {

namespace {
struct Info {
  DType dtype;
  size_t size;
  const char *mlir;
  const char *npy;
};
constexpr Info kInfo[] = {
    {DType::F16, 2, "f16", "<f2"},  {DType::BF16, 2, "bf16", "<V2"},
    {DType::F32, 4, "f32", "<f4"},  {DType::F64, 8, "f64", "<f8"},
    {DType::Bool, 1, "i1", "|b1"},  {DType::I32, 4, "i32", "<i4"},
    {DType::I64, 8, "i64", "<i8"},
};
const Info &info(DType dtype) { return kInfo[static_cast<int>(dtype)]; }
} // namespace

size_t byteSize(DType dtype) { return info(dtype).size; }
const char *mlirName(DType dtype) { return info(dtype).mlir; }
const char *npyDescr(DType dtype) { return info(dtype).npy; }

std::optional<DType> fromMlirName(const std::string &name) {
  for (const Info &i : kInfo)
    if (name == i.mlir)
      return i.dtype;
  return std::nullopt;
}

std::optional<DType> fromNpyDescr(const std::string &descr) {
  for (const Info &i : kInfo)
    if (descr == i.npy)
      return i.dtype;
  return std::nullopt;
}

} // namespace mlopt::rt
