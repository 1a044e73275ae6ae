//===- StoreRowSummands.cpp - the mlopt-store-row-summands pass -----------===//
//
// Softmax sums exp(x - max) over a row, and a later loop over the same row
// computes exp(x - max) again to scale it: two exps per element, and with
// vector units this wide the exps, not memory, set softmax's time (one
// thread: 10.8 ms for 4096x4096 against 4.1 for an exp alone). This pass
// has the sum's loop store each summand where the later loop writes that
// element's result, and the later loop read it back instead: one exp per
// element, with the rows' block still in L2 when the later loop reads it.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/RowLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTSTOREROWSUMMANDS
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {

/// The most bytes of results the later nest may write: they are stored by
/// the sum, then read and written again by the later loop, so they should
/// still be in L2 (1 MiB per core here) by then.
constexpr int64_t kMaxBlockBytes = 512 * 1024;

/// A row sum `sum_j e(i, j)` and a later loop nest over the same rows that
/// computes e(i, j) again and stores one result per element to a buffer
/// allocated here that nothing else touches meanwhile.
struct SummandReuse {
  RowReduction sum;
  Operation *sumNest; // the outermost loop of the sum's nest
  scf::ForOp use;     // the later nest's inner loop
  Value recomputed;   // e(i, j) in its body
  memref::StoreOp store;
  SmallVector<memref::SubViewOp> views; // the store's, from the allocation on
  IRMapping indices;  // the later nest's loop indices to the sum's
};

/// Whether computing `v` in `body` takes a transcendental function or a
/// division: anything cheaper is not worth a trip through the cache.
bool isExpensive(Value v, Block *body) {
  SmallVector<Value> pending = {v};
  DenseSet<Operation *> seen;
  while (!pending.empty()) {
    Operation *def = pending.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != body || !seen.insert(def).second)
      continue;
    if ((isa<math::MathDialect>(def->getDialect()) &&
         !isa<math::AbsFOp, math::FmaOp, math::CopySignOp>(def)) ||
        isa<arith::DivFOp>(def))
      return true;
    llvm::append_range(pending, def->getOperands());
  }
  return false;
}

/// The buffers that computing `v` in `loop`'s body loads from.
SmallVector<Value> buffersRead(Value v, scf::ForOp loop) {
  SmallVector<Value> read, pending = {v};
  DenseSet<Operation *> seen;
  while (!pending.empty()) {
    Operation *def = pending.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != loop.getBody() || !seen.insert(def).second)
      continue;
    if (auto load = dyn_cast<memref::LoadOp>(def))
      read.push_back(load.getMemRef());
    llvm::append_range(pending, def->getOperands());
  }
  return read;
}

/// The allocation `view` reaches through unit-stride subviews (each element
/// of the view is a distinct element of it), with those subviews in
/// `chain`, the allocation's first; null otherwise.
memref::AllocOp injectiveBase(Value view, SmallVector<memref::SubViewOp> &chain) {
  while (auto subview = view.getDefiningOp<memref::SubViewOp>()) {
    if (!llvm::all_of(subview.getStaticStrides(), [](int64_t s) { return s == 1; }))
      return {};
    chain.insert(chain.begin(), subview);
    view = subview.getSource();
  }
  auto alloc = view.getDefiningOp<memref::AllocOp>();
  return alloc && alloc.getType().getLayout().isIdentity() ? alloc : memref::AllocOp();
}

/// Whether some op but `store` (and views) uses `buffer` where it could see
/// the summands the rewrite stores there: inside the op whose body holds
/// both nests (other iterations of a parallel loop included) or, in a
/// function's body, between the nests.
bool touchedMeanwhile(Value buffer, memref::StoreOp store, Operation *sumNest,
                      Operation *useNest) {
  Block *block = sumNest->getBlock();
  Operation *parent = block->getParentOp();
  bool inFunction = isa<FunctionOpInterface>(parent);
  SmallVector<Value> pending = {buffer};
  while (!pending.empty()) {
    for (Operation *user : pending.pop_back_val().getUsers()) {
      if (isa<ViewLikeOpInterface>(user)) {
        llvm::append_range(pending, user->getResults());
        continue;
      }
      if (user == store.getOperation() || !parent->isProperAncestor(user))
        continue;
      if (!inFunction)
        return true;
      Operation *at = block->findAncestorOpInBlock(*user);
      if (!at || !(at->isBeforeInBlock(sumNest) || useNest->isBeforeInBlock(at)))
        return true;
    }
  }
  return false;
}

/// `use` as the later loop of one of `sums` (expensive sums of addf).
std::optional<SummandReuse> match(scf::ForOp use, ArrayRef<RowReduction> sums,
                                  DominanceInfo &dominance) {
  if (use.getNumRegionIterArgs() != 0)
    return std::nullopt;
  memref::StoreOp store;
  for (Operation &op : use.getBody()->without_terminator()) {
    if (auto s = dyn_cast<memref::StoreOp>(op)) {
      if (store)
        return std::nullopt;
      store = s;
    } else if (!isMemoryEffectFree(&op) && !isa<memref::LoadOp>(op)) {
      return std::nullopt;
    }
  }
  SmallVector<memref::SubViewOp> views;
  memref::AllocOp base = store ? injectiveBase(store.getMemRef(), views) : memref::AllocOp();
  if (!base)
    return std::nullopt;
  for (RowReduction sum : sums) {
    if (!sameBounds(sum.loop, use))
      continue;
    // The block holding both nests: the sum's nest comes first in it.
    Operation *sumNest = nullptr, *useNest = nullptr;
    for (Operation *op = use->getParentOp(); op && !sumNest; op = op->getParentOp()) {
      Operation *ancestor = op->getBlock() ? op->getBlock()->findAncestorOpInBlock(*sum.loop)
                                           : nullptr;
      if (ancestor && ancestor != op && ancestor->isBeforeInBlock(op))
        sumNest = ancestor, useNest = op;
    }
    if (!sumNest)
      continue;
    SmallVector<scf::ForOp> sumRows = rowLoops(sum.loop, sumNest->getBlock());
    SmallVector<scf::ForOp> useRows = rowLoops(use, useNest->getBlock());
    if (sumRows.empty() || sumRows.size() != useRows.size() ||
        !llvm::all_of(llvm::zip(sumRows, useRows),
                      [](auto p) { return sameBounds(std::get<0>(p), std::get<1>(p)); }))
      continue;
    // Small enough to stay in cache between the two nests.
    SmallVector<scf::ForOp> nest = useRows;
    nest.push_back(use);
    int64_t elements = 1;
    for (scf::ForOp loop : nest) {
      std::optional<int64_t> trips = constantTripCount(
          loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
      elements = trips ? elements * *trips : kMaxBlockBytes + 1;
    }
    // Stored as it is (a summand in f32 for f16 results would be rounded).
    Type type = sum.value.getType();
    if (type != store.getMemRefType().getElementType() ||
        elements * type.getIntOrFloatBitWidth() / 8 > kMaxBlockBytes)
      continue;
    IRMapping indices;
    for (auto [useRow, sumRow] : llvm::zip(useRows, sumRows))
      indices.map(useRow.getInductionVar(), sumRow.getInductionVar());
    indices.map(use.getInductionVar(), sum.loop.getInductionVar());
    // One result per element: every loop index of the later nest indexes
    // the store once; its other indices are fixed before the sum's nest.
    DenseSet<Value> seen;
    bool injective = llvm::all_of(store.getIndices(), [&](Value index) {
      if (indices.contains(index))
        return seen.insert(index).second;
      return dominance.properlyDominates(index, sumNest);
    });
    if (!injective || seen.size() != useRows.size() + 1)
      continue;
    // Nor may the views of the result buffer need anything from the nests.
    bool viewsHoist = llvm::all_of(views, [&](memref::SubViewOp subview) {
      return llvm::all_of(subview->getOperands().drop_front(), [&](Value operand) {
        return dominance.properlyDominates(operand, sumNest);
      });
    });
    if (!viewsHoist || touchedMeanwhile(base.getResult(), store, sumNest, useNest))
      continue;
    // The summand again, in the later loop.
    Value recomputed;
    for (Operation &op : use.getBody()->without_terminator())
      for (Value result : op.getResults())
        if (!recomputed && result.getType() == type &&
            sameValue(result, sum.value, indices.getValueMap()))
          recomputed = result;
    if (!recomputed)
      continue;
    // What the summand reads must not change in between.
    if (clobbered(sum.loop, nullptr, sumNest, use, useNest, buffersRead(sum.value, sum.loop)))
      continue;
    return SummandReuse{sum, sumNest, use, recomputed, store, views, indices};
  }
  return std::nullopt;
}

void rewrite(SummandReuse r) {
  Location loc = r.store.getLoc();
  // The store's views again, before the sum's nest.
  OpBuilder b(r.sumNest);
  IRMapping views;
  for (memref::SubViewOp subview : r.views)
    b.clone(*subview, views);
  Value target = views.lookupOrDefault(r.store.getMemRef());
  SmallVector<Value> indices;
  for (Value index : r.store.getIndices())
    indices.push_back(r.indices.lookupOrDefault(index));
  b.setInsertionPointAfterValue(r.sum.value);
  b.create<memref::StoreOp>(loc, r.sum.value, target, indices);
  b.setInsertionPointToStart(r.use.getBody());
  Value stored = b.create<memref::LoadOp>(loc, r.store.getMemRef(), r.store.getIndices());
  r.recomputed.replaceAllUsesWith(stored);
}

struct StoreRowSummandsPass
    : mlopt::impl::MloptStoreRowSummandsBase<StoreRowSummandsPass> {
  void runOnOperation() override {
    SmallVector<RowReduction> sums;
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      std::optional<RowReduction> sum = asRowReduction(loop);
      if (!sum)
        loops.push_back(loop);
      else if (isa<arith::AddFOp>(sum->combine) && isExpensive(sum->value, loop.getBody()))
        sums.push_back(*sum);
    });
    DominanceInfo dominance(getOperation());
    SmallVector<SummandReuse> found;
    for (scf::ForOp loop : loops)
      if (std::optional<SummandReuse> r = match(loop, sums, dominance))
        found.push_back(*r);
    // Each sum feeds at most one later loop.
    llvm::SmallPtrSet<Operation *, 8> used;
    for (SummandReuse &r : found)
      if (used.insert(r.sum.loop).second)
        rewrite(r);
  }
};

} // namespace
