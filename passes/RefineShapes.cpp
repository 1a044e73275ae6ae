//===- RefineShapes.cpp - narrow result types the operands determine ------===//

#include "ir/MloptOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_REFINESHAPES
#include "passes/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {

/// True if `to` has every static size of `from` and more.
bool isRefinement(Type from, Type to) {
  return from != to && areCompatibleTensorTypes(from, to) &&
         cast<RankedTensorType>(to).getNumDynamicDims() <
             cast<RankedTensorType>(from).getNumDynamicDims();
}

struct RefineShapesPass : mlopt::impl::RefineShapesBase<RefineShapesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    func.walk([&](InferTypeOpInterface op) {
      if (!isa<MloptDialect>(op->getDialect()))
        return;
      SmallVector<Type> inferred;
      if (failed(op.inferReturnTypes(op->getContext(), op->getLoc(),
                                     op->getOperands(),
                                     op->getAttrDictionary(),
                                     op->getPropertiesStorage(),
                                     op->getRegions(), inferred)))
        return;
      for (auto [result, type] : llvm::zip(op->getResults(), inferred))
        if (isRefinement(result.getType(), type))
          refine(result, type);
    });
    // The function returns what its return now yields, unless something
    // calls it: then the return casts back to the declared types.
    if (!func.getBody().hasOneBlock())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    ModuleOp module = func->getParentOfType<ModuleOp>();
    if (module && !SymbolTable::symbolKnownUseEmpty(func, module)) {
      OpBuilder builder(ret);
      for (auto [operand, type] :
           llvm::zip(ret->getOpOperands(), func.getResultTypes()))
        if (operand.get().getType() != type)
          operand.set(builder.create<tensor::CastOp>(ret.getLoc(), type,
                                                     operand.get()));
      return;
    }
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   ret.getOperandTypes()));
  }

  /// Narrows `value` to `type`; users that are not mlopt ops or the return
  /// see the old type through a tensor.cast.
  void refine(Value value, Type type) {
    Type old = value.getType();
    value.setType(type);
    Value cast;
    for (OpOperand &use : llvm::make_early_inc_range(value.getUses())) {
      Operation *user = use.getOwner();
      if (isa<MloptDialect>(user->getDialect()) || isa<func::ReturnOp>(user))
        continue;
      if (!cast) {
        OpBuilder builder(value.getContext());
        builder.setInsertionPointAfterValue(value);
        cast = builder.create<tensor::CastOp>(value.getLoc(), old, value);
      }
      use.set(cast);
    }
  }
};

} // namespace
