//===- RowLoops.cpp - matching loop nests over rows of buffers ------------===//

#include "codegen/RowLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

std::optional<mlopt::RowReduction> mlopt::asRowReduction(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 1 || !getConstantIntValue(loop.getStep()))
    return std::nullopt;
  for (Operation &op : loop.getBody()->without_terminator())
    if (!isMemoryEffectFree(&op) && !isa<memref::LoadOp>(op))
      return std::nullopt;
  Value yielded = loop.getBody()->getTerminator()->getOperand(0);
  Operation *combine = yielded.getDefiningOp();
  if (!combine || !isa<arith::MaximumFOp, arith::AddFOp>(combine) ||
      combine->getBlock() != loop.getBody())
    return std::nullopt;
  Value acc = loop.getRegionIterArgs()[0];
  Value lhs = combine->getOperand(0), rhs = combine->getOperand(1);
  if (rhs == acc && lhs != acc)
    return RowReduction{loop, combine, lhs};
  if (lhs == acc && rhs != acc)
    return RowReduction{loop, combine, rhs};
  return std::nullopt;
}

namespace {
/// sameValue, with the pairs already compared (shared subexpressions).
bool sameValueMemo(Value a, Value b, const DenseMap<Value, Value> &pairs,
                   DenseMap<std::pair<Value, Value>, bool> &seen) {
  if (auto it = pairs.find(a); it != pairs.end())
    return it->second == b;
  if (a == b) // defined outside both (values inside are never shared)
    return true;
  if (auto it = seen.find({a, b}); it != seen.end())
    return it->second;
  Operation *opA = a.getDefiningOp(), *opB = b.getDefiningOp();
  bool same = opA && opB && opA->getName() == opB->getName() &&
              opA->getAttrDictionary() == opB->getAttrDictionary() &&
              opA->getResultTypes() == opB->getResultTypes() &&
              opA->getNumOperands() == opB->getNumOperands() && !opA->getNumRegions() &&
              cast<OpResult>(a).getResultNumber() == cast<OpResult>(b).getResultNumber() &&
              (isMemoryEffectFree(opA) || isa<memref::LoadOp>(opA));
  for (unsigned i = 0; same && i < opA->getNumOperands(); ++i)
    same = sameValueMemo(opA->getOperand(i), opB->getOperand(i), pairs, seen);
  seen[{a, b}] = same;
  return same;
}
} // namespace

bool mlopt::sameValue(Value a, Value b, const DenseMap<Value, Value> &pairs) {
  DenseMap<std::pair<Value, Value>, bool> seen;
  return sameValueMemo(a, b, pairs, seen);
}

Value mlopt::baseOf(Value view) {
  while (auto op = view.getDefiningOp<ViewLikeOpInterface>())
    view = op.getViewSource();
  return view;
}

bool mlopt::isLocal(Value buffer) {
  if (!buffer.getDefiningOp<memref::AllocOp>() && !buffer.getDefiningOp<memref::AllocaOp>())
    return false;
  SmallVector<Value> pending = {buffer};
  while (!pending.empty()) {
    Value v = pending.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::LoadOp, memref::DeallocOp, memref::CopyOp>(user) ||
          (isa<memref::StoreOp>(user) && use.getOperandNumber() == 1))
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (!view || view.getViewSource() != v)
        return false;
      llvm::append_range(pending, user->getResults());
    }
  }
  return true;
}

bool mlopt::mayAlias(Value a, Value b) {
  a = baseOf(a), b = baseOf(b);
  return a == b || (!isLocal(a) && !isLocal(b));
}

bool mlopt::mayWrite(Operation *op, ArrayRef<Value> buffers) {
  WalkResult result = op->walk([&](Operation *inner) {
    if (auto store = dyn_cast<memref::StoreOp>(inner))
      return llvm::any_of(buffers, [&](Value b) { return mayAlias(b, store.getMemRef()); })
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    if (isMemoryEffectFree(inner) || inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        isa<memref::LoadOp, memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(inner))
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return result.wasInterrupted();
}

SmallVector<scf::ForOp> mlopt::rowLoops(scf::ForOp loop, Block *stop) {
  SmallVector<scf::ForOp> loops;
  for (Operation *op = loop->getParentOp(); op; op = op->getParentOp()) {
    auto row = dyn_cast<scf::ForOp>(op);
    if (!row)
      return {};
    loops.push_back(row);
    if (row->getBlock() == stop)
      return loops;
  }
  return {};
}

bool mlopt::sameBounds(scf::ForOp a, scf::ForOp b) {
  return a.getLowerBound() == b.getLowerBound() && a.getUpperBound() == b.getUpperBound() &&
         a.getStep() == b.getStep();
}

bool mlopt::clobbered(scf::ForOp first, Operation *skip, Operation *firstNest, scf::ForOp second,
               Operation *secondNest, ArrayRef<Value> read) {
  for (auto [loop, nest] : {std::pair<Operation *, Operation *>{first, firstNest},
                            std::pair<Operation *, Operation *>{second, secondNest}})
    for (Operation *op = loop; op != nest; op = op->getParentOp())
      for (Operation &sibling : *op->getBlock())
        if (&sibling != op && &sibling != skip && mayWrite(&sibling, read))
          return true;
  for (Operation *op = firstNest->getNextNode(); op != secondNest; op = op->getNextNode())
    if (mayWrite(op, read))
      return true;
  return false;
}
