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

/// The most static type compatible with both: static where either is.
/// Both must be compatible ranked tensors.
RankedTensorType join(RankedTensorType a, RankedTensorType b) {
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(a.getShape(), b.getShape()))
    shape.push_back(ShapedType::isDynamic(x) ? y : x);
  return a.clone(shape);
}

/// Ops whose custom form prints one type for several operands: after a
/// refinement their operands must again share one type.
bool needsEqualOperandTypes(Operation *op) {
  return op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
         op->hasTrait<OpTrait::SameTypeOperands>() || isa<SelectOp>(op);
}

class Refiner {
public:
  explicit Refiner(OpBuilder &builder) : builder(builder) {}

  /// Casts the less static operands of `op` to the join of their types, so
  /// one refined operand refines the whole op.
  /// Returns true if an operand was cast.
  bool unifyOperands(Operation *op) {
    unsigned first = isa<SelectOp>(op) ? 1 : 0;
    auto operands = op->getOpOperands().drop_front(first);
    if (operands.empty())
      return false;
    auto joined = dyn_cast<RankedTensorType>(operands.front().get().getType());
    if (!joined)
      return false;
    for (OpOperand &operand : operands) {
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!type || !areCompatibleTensorTypes(joined, type))
        return false;
      joined = join(joined, type);
    }
    bool changed = false;
    for (OpOperand &operand : operands)
      if (operand.get().getType() != joined) {
        builder.setInsertionPoint(op);
        operand.set(builder.create<tensor::CastOp>(op->getLoc(), joined,
                                                   operand.get()));
        changed = true;
      }
    return changed;
  }

  /// Narrows each result of `op` to what its shape rule proves.
  /// Returns true if a result type changed.
  bool refineResults(InferTypeOpInterface op) {
    SmallVector<Type> inferred;
    // No location: a rule that fails here (a program that would fail at run
    // time) is reported once, by the verifier after the pass.
    if (failed(op.inferReturnTypes(op->getContext(), std::nullopt,
                                   op->getOperands(), op->getAttrDictionary(),
                                   op->getPropertiesStorage(), op->getRegions(),
                                   inferred)))
      return false;
    bool changed = false;
    for (auto [result, type] : llvm::zip(op->getResults(), inferred)) {
      auto old = dyn_cast<RankedTensorType>(result.getType());
      auto rule = dyn_cast<RankedTensorType>(type);
      if (!old || !rule || !areCompatibleTensorTypes(old, rule))
        continue;
      RankedTensorType narrowed = join(old, rule);
      if (narrowed != old) {
        narrow(result, narrowed);
        changed = true;
      }
    }
    return changed;
  }

private:
  /// Narrows `value`; users outside the dialect and the return see the old
  /// type through a tensor.cast.
  void narrow(Value value, Type type) {
    Type old = value.getType();
    value.setType(type);
    Value cast;
    for (OpOperand &use : llvm::make_early_inc_range(value.getUses())) {
      Operation *user = use.getOwner();
      if (isa<MloptDialect>(user->getDialect()) || isa<func::ReturnOp>(user))
        continue;
      if (!cast) {
        builder.setInsertionPointAfterValue(value);
        cast = builder.create<tensor::CastOp>(value.getLoc(), old, value);
      }
      use.set(cast);
    }
  }

  OpBuilder &builder;
};

struct RefineShapesPass : mlopt::impl::RefineShapesBase<RefineShapesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder builder(module.getContext());
    Refiner refiner(builder);
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // Text order is dominance order within a block but not across blocks:
      // repeat until nothing changes (types only narrow, so this ends).
      for (bool changed = true; changed;) {
        changed = false;
        func.walk([&](Operation *op) {
          if (!isa<MloptDialect>(op->getDialect()))
            return;
          if (needsEqualOperandTypes(op))
            changed |= refiner.unifyOperands(op);
          if (auto infer = dyn_cast<InferTypeOpInterface>(op))
            changed |= refiner.refineResults(infer);
        });
      }
      updateSignature(func, module, builder);
    }
  }

  /// The function returns what its returns now yield, when they agree and
  /// nothing calls it; otherwise each return casts back to the declared types.
  void updateSignature(func::FuncOp func, ModuleOp module, OpBuilder &builder) {
    SmallVector<func::ReturnOp> returns;
    func.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
    bool agree = llvm::all_of(returns, [&](func::ReturnOp ret) {
      return ret.getOperandTypes() == returns.front().getOperandTypes();
    });
    if (!returns.empty() && agree &&
        SymbolTable::symbolKnownUseEmpty(func, module)) {
      func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                     returns.front().getOperandTypes()));
      return;
    }
    for (func::ReturnOp ret : returns) {
      builder.setInsertionPoint(ret);
      for (auto [operand, type] :
           llvm::zip(ret->getOpOperands(), func.getResultTypes()))
        if (operand.get().getType() != type)
          operand.set(builder.create<tensor::CastOp>(ret.getLoc(), type,
                                                     operand.get()));
    }
  }
};

} // namespace
