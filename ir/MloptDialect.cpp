//===- MloptDialect.cpp - dialect registration and op definitions --------===//

#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::mlopt;

#include "ir/MloptOpsDialect.cpp.inc"

void MloptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/MloptOps.cpp.inc"
      >();
}

Operation *MloptDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                             Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

bool mlir::mlopt::areCompatibleTensorTypes(TypeRange inferred,
                                           TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, declared)) {
    auto x = dyn_cast<RankedTensorType>(a), y = dyn_cast<RankedTensorType>(b);
    if (!x || !y || x.getElementType() != y.getElementType() ||
        failed(verifyCompatibleShape(x, y)))
      return false;
  }
  return true;
}

#define GET_OP_CLASSES
#include "ir/MloptOps.cpp.inc"
