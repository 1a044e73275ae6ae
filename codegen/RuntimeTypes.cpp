//===- RuntimeTypes.cpp - MLIR types and constants as runtime values ------===//

#include "codegen/RuntimeTypes.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
namespace rt = ::mlopt::rt;

std::optional<rt::DType> mlir::mlopt::runtimeDType(Type element) {
  std::string name;
  llvm::raw_string_ostream(name) << element;
  return rt::fromMlirName(name);
}

std::optional<rt::TensorSpec> mlir::mlopt::runtimeSpec(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return std::nullopt;
  std::optional<rt::DType> dtype = runtimeDType(tensor.getElementType());
  if (!dtype)
    return std::nullopt;
  rt::TensorSpec spec{*dtype, {}};
  for (int64_t d : tensor.getShape())
    spec.shape.push_back(ShapedType::isDynamic(d) ? rt::kDynamicSize : d);
  return spec;
}

std::string mlir::mlopt::elementBytes(DenseElementsAttr data, int64_t count) {
  unsigned width = data.getElementType().getIntOrFloatBitWidth();
  size_t itemBytes = (width + 7) / 8;
  std::string bytes;
  bytes.reserve(count * itemBytes);
  if (width % 8 == 0) { // stored packed, little-endian: the bytes as they are
    ArrayRef<char> raw = data.getRawData();
    if (!data.isSplat())
      return bytes.assign(raw.data(), std::min(raw.size(), size_t(count) * itemBytes));
    for (int64_t i = 0; i < count; ++i)
      bytes.append(raw.data(), itemBytes);
    return bytes;
  }
  // i1, stored a bit each: a byte per element.
  auto values = data.getValues<APInt>();
  for (int64_t i = 0; i < count; ++i)
    bytes.push_back(char(values[data.isSplat() ? 0 : i].getZExtValue()));
  return bytes;
}
