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
  std::string bytes;
  size_t itemBytes = (data.getElementType().getIntOrFloatBitWidth() + 7) / 8;
  bool isFloat = isa<FloatType>(data.getElementType());
  for (int64_t i = 0; i < count; ++i) {
    int64_t at = data.isSplat() ? 0 : i;
    APInt bits = isFloat ? data.getValues<APFloat>()[at].bitcastToAPInt()
                         : data.getValues<APInt>()[at];
    uint64_t word = bits.getZExtValue(); // little-endian: the low bytes
    bytes.append(reinterpret_cast<const char *>(&word), itemBytes);
  }
  return bytes;
}
