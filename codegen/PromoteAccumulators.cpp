//===- PromoteAccumulators.cpp - the mlopt-promote-accumulators pass ------===//
//
// Linalg reductions lowered to loops load and store their accumulator on
// every iteration (`out[i] = out[i] + x[i, j]`). LLVM cannot keep it in a
// register, since it cannot prove `out` and `x` do not alias, and so it does
// not vectorize the reduction. Bufferized linalg never lets a reduction's
// input alias its output, so here the accumulator becomes an scf.for
// iter_arg: loaded once before the loop, stored once after.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTPROMOTEACCUMULATORS
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// An accumulator of `loop`: one store to `memref` at loop-invariant
/// indices, after every load of it (all at the same indices), in the body
/// itself; no other op in the loop touches `memref`. Every store in the
/// loop must be one, since any other write might alias an accumulator.
struct Accumulator {
  memref::StoreOp store;
  SmallVector<memref::LoadOp> loads;
};

bool sameIndices(ValueRange a, ValueRange b) {
  return a.size() == b.size() && llvm::equal(a, b);
}

SmallVector<Accumulator> findAccumulators(scf::ForOp loop) {
  SmallVector<Accumulator> found;
  Block *body = loop.getBody();
  // Writes in nested regions or calls: anything may change; give up.
  bool unknownWrites = false;
  loop.getBody()->walk([&](Operation *op) {
    if (op->getBlock() != body && isa<memref::StoreOp>(op))
      unknownWrites = true;
    if (!isa<memref::StoreOp>(op) && !isMemoryEffectFree(op) && !isa<memref::LoadOp>(op) &&
        op->getNumRegions() == 0)
      unknownWrites = true;
  });
  if (unknownWrites)
    return found;
  for (Operation &op : *body) {
    auto store = dyn_cast<memref::StoreOp>(op);
    if (!store)
      continue;
    if (!llvm::all_of(store.getIndices(), [&](Value i) { return loop.isDefinedOutsideOfLoop(i); }))
      return {};
    Value memref = store.getMemRef();
    Accumulator acc{store, {}};
    bool ok = loop.isDefinedOutsideOfLoop(memref);
    loop.getBody()->walk([&](Operation *user) {
      if (!ok || user == store)
        return;
      if (auto load = dyn_cast<memref::LoadOp>(user)) {
        if (load.getMemRef() != memref)
          return;
        if (user->getBlock() != body || !user->isBeforeInBlock(store) ||
            !sameIndices(load.getIndices(), store.getIndices()))
          ok = false;
        else
          acc.loads.push_back(load);
        return;
      }
      if (auto other = dyn_cast<memref::StoreOp>(user))
        if (other.getMemRef() == memref)
          ok = false;
      for (Value operand : user->getOperands())
        if (operand == memref && !isa<memref::StoreOp>(user))
          ok = false; // a view or a call that sees the accumulator
    });
    if (!ok)
      return {}; // a write that might alias an accumulator: keep them all in memory
    found.push_back(acc);
  }
  return found;
}

void promote(RewriterBase &rewriter, scf::ForOp loop, MutableArrayRef<Accumulator> accs) {
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits;
  for (Accumulator &acc : accs)
    inits.push_back(rewriter.create<memref::LoadOp>(loop.getLoc(), acc.store.getMemRef(),
                                                    acc.store.getIndices()));
  SmallVector<Value> stored;
  for (Accumulator &acc : accs)
    stored.push_back(acc.store.getValueToStore());
  auto yields = [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
    return SmallVector<Value>(stored);
  };
  FailureOr<LoopLikeOpInterface> grown =
      loop.replaceWithAdditionalYields(rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
                                       yields);
  if (failed(grown))
    return;
  auto newLoop = cast<scf::ForOp>(grown->getOperation());
  unsigned first = newLoop.getNumRegionIterArgs() - accs.size();
  rewriter.setInsertionPointAfter(newLoop);
  for (auto [k, acc] : llvm::enumerate(accs)) {
    Value carried = newLoop.getRegionIterArgs()[first + k];
    for (memref::LoadOp load : acc.loads)
      rewriter.replaceOp(load, carried);
    rewriter.create<memref::StoreOp>(newLoop.getLoc(), newLoop.getResult(first + k),
                                     acc.store.getMemRef(), acc.store.getIndices());
    rewriter.eraseOp(acc.store);
  }
}

struct PromoteAccumulatorsPass
    : mlopt::impl::MloptPromoteAccumulatorsBase<PromoteAccumulatorsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); }); // innermost first
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      SmallVector<Accumulator> accs = findAccumulators(loop);
      if (!accs.empty())
        promote(rewriter, loop, accs);
    }
  }
};

} // namespace
