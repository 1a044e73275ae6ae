//===- FuseRows.cpp - the mlopt-fuse-rows pass ----------------------------===//
//
// Fuses reductions with the elementwise ops around them into one loop over
// row tiles: softmax, layer_norm and RMSNorm read each row once from memory
// and keep it in cache for the reduce-then-broadcast steps.
//
// Upstream elementwise fusion makes one loop nest per reduction and per
// elementwise chain; a reduction whose result is broadcast back (x - max(x))
// ends a nest, so softmax makes four passes over memory. Here the last op of
// a chain (the root) is tiled along its first, parallel dim and the linalg
// producers it depends on are computed per tile inside the same scf.forall:
// one clone per producer, so nothing is computed twice. A producer joins
// only if every user is already in the group (its full result is never
// needed), it is a linalg.generic or linalg.fill (matmul and conv stay
// library calls), and its first dim is the same rows. The group is the
// fusion decision; the loop form is upstream (TilingInterface, scf.forall).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_FUSEROWS
#include "passes/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// A map whose first result is loop 0 and whose other results do not use
/// it: a tile of loop 0 is the same rows of the tensor.
bool isRowMap(AffineMap map) {
  if (map.getNumResults() == 0 || map.getResult(0) != getAffineDimExpr(0, map.getContext()))
    return false;
  return llvm::none_of(map.getResults().drop_front(),
                       [](AffineExpr e) { return e.isFunctionOfDim(0); });
}

/// A linalg op whose loop 0 is a parallel dim that is dim 0 of every result
/// (and appears nowhere else in the result maps), over static shapes.
bool isRowOp(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !isa<linalg::GenericOp, linalg::FillOp>(op) ||
      !linalgOp.hasPureTensorSemantics() || linalg::isaContractionOpInterface(linalgOp))
    return false; // contractions (even as generics) are library calls or their own nests
  if (linalgOp.getNumLoops() == 0 || linalgOp.hasDynamicShape() ||
      llvm::is_contained(linalgOp.getStaticLoopRanges(), 0))
    return false; // empty loops: nothing to fuse (and tiling them trips upstream)
  if (linalgOp.getIteratorTypesArray()[0] != utils::IteratorType::parallel)
    return false;
  return llvm::all_of(linalgOp.getDpsInitsMutable(), [&](OpOperand &init) {
    return isRowMap(linalgOp.getMatchingIndexingMap(&init));
  });
}

int64_t rowsOf(Operation *op) {
  return cast<linalg::LinalgOp>(op).getStaticLoopRanges()[0];
}

/// Elements one row of `op`'s loop nest touches (the loops other than 0).
int64_t rowWork(Operation *op) {
  int64_t work = 1;
  SmallVector<int64_t> ranges = cast<linalg::LinalgOp>(op).getStaticLoopRanges();
  for (int64_t range : ArrayRef(ranges).drop_front())
    work *= range;
  return work;
}

/// Whether `user` reads `value` row by row: through operands whose map
/// starts with d0 and uses d0 nowhere else.
bool readsByRows(Operation *user, Value value) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
  if (!linalgOp)
    return false;
  for (OpOperand &operand : user->getOpOperands()) {
    if (operand.get() != value)
      continue;
    if (!isRowMap(linalgOp.getMatchingIndexingMap(&operand)))
      return false;
  }
  return true;
}

/// The group of `root`: producers (transitively) all of whose users are in
/// the group and read them by rows. In block order.
SmallVector<Operation *> groupOf(Operation *root, const DenseSet<Operation *> &taken) {
  llvm::SetVector<Operation *> group;
  group.insert(root);
  auto rootInits = cast<DestinationStyleOpInterface>(root).getDpsInits();
  bool grew = true;
  while (grew) {
    grew = false;
    for (size_t i = 0; i < group.size(); ++i) {
      for (Value operand : group[i]->getOperands()) {
        Operation *producer = operand.getDefiningOp();
        if (!producer || producer->getBlock() != root->getBlock() ||
            group.contains(producer) || taken.contains(producer) || !isRowOp(producer) ||
            rowsOf(producer) != rowsOf(root))
          continue;
        // The root's destinations stay outside: they are the loop's outputs.
        if (llvm::is_contained(rootInits, operand))
          continue;
        bool allInGroup = llvm::all_of(producer->getUsers(), [&](Operation *user) {
          return group.contains(user) &&
                 llvm::all_of(producer->getResults(),
                              [&](Value r) { return readsByRows(user, r); });
        });
        if (allInGroup) {
          group.insert(producer);
          grew = true;
        }
      }
    }
  }
  SmallVector<Operation *> ordered(group.begin(), group.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

/// Rows per tile: a tile of the widest op in the group holds about
/// `tileElements` (128 KiB of f32 by default: it stays in L2 between the
/// steps, and fewer tiles mean fewer per-tile buffers), and the tile count
/// divides the rows.
int64_t tileRows(ArrayRef<Operation *> group, int64_t rows, int64_t tileElements) {
  int64_t work = 1;
  for (Operation *op : group)
    work = std::max(work, rowWork(op));
  int64_t target = std::max<int64_t>(1, tileElements / work);
  if (rows >= 2)
    target = std::min(target, rows / 2); // at least two tiles for the threads
  for (int64_t t = std::min(target, rows); t > 1; --t)
    if (rows % t == 0)
      return t;
  return 1;
}

/// Tiles `group` (root last) into one scf.forall over row tiles.
void fuse(OpBuilder &b, ArrayRef<Operation *> group, int64_t tileElements) {
  Operation *root = group.back();
  auto rootDps = cast<DestinationStyleOpInterface>(root);
  Location loc = root->getLoc();
  int64_t rows = rowsOf(root), tile = tileRows(group, rows, tileElements);

  b.setInsertionPoint(root);
  SmallVector<OpFoldResult> lbs{b.getIndexAttr(0)}, ubs{b.getIndexAttr(rows)},
      steps{b.getIndexAttr(tile)};
  auto forall = b.create<scf::ForallOp>(loc, lbs, ubs, steps, rootDps.getDpsInits(),
                                        std::nullopt);
  Value row = forall.getInductionVars()[0];
  b.setInsertionPoint(forall.getTerminator());

  DenseMap<Value, Value> tiled; // original result -> its tile
  for (Operation *op : group) {
    auto tiling = cast<TilingInterface>(op);
    SmallVector<OpFoldResult> offsets, sizes;
    for (auto [d, range] : llvm::enumerate(tiling.getIterationDomain(b))) {
      offsets.push_back(d == 0 ? OpFoldResult(row) : range.offset);
      sizes.push_back(d == 0 ? OpFoldResult(b.getIndexAttr(tile)) : range.size);
    }
    FailureOr<TilingResult> result = tiling.getTiledImplementation(b, offsets, sizes);
    if (failed(result) || result->tiledOps.size() != 1) {
      // Leave the group as it was: drop the loop and what was tiled into it.
      forall.emitWarning("mlopt-fuse-rows: cannot tile ") << op->getName();
      forall.erase();
      return;
    }
    Operation *tiledOp = result->tiledOps.front();
    // Slices of group results read the tiles computed above instead.
    for (OpOperand &operand : tiledOp->getOpOperands())
      if (auto slice = operand.get().getDefiningOp<tensor::ExtractSliceOp>())
        if (Value tile = tiled.lookup(slice.getSource()))
          if (tile.getType() == slice.getType())
            operand.set(tile);
    // The root writes into slices of the loop's shared outputs.
    if (op == root) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(tiledOp);
      for (auto [init, arg] : llvm::zip(cast<DestinationStyleOpInterface>(tiledOp)
                                            .getDpsInitsMutable(),
                                        forall.getRegionIterArgs()))
        if (auto slice = init.get().getDefiningOp<tensor::ExtractSliceOp>())
          init.set(b.create<tensor::ExtractSliceOp>(loc, slice.getType(), arg,
                                                    slice.getMixedOffsets(),
                                                    slice.getMixedSizes(),
                                                    slice.getMixedStrides()));
    }
    for (auto [original, value] : llvm::zip(op->getResults(), result->tiledValues))
      tiled[original] = value;
  }

  // Write the root's tiles into the shared outputs.
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [original, arg] : llvm::zip(root->getResults(), forall.getRegionIterArgs())) {
    auto type = cast<RankedTensorType>(original.getType());
    SmallVector<OpFoldResult> offsets{row}, sizes{b.getIndexAttr(tile)}, strides;
    for (int64_t d = 1; d < type.getRank(); ++d) {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    }
    strides.assign(type.getRank(), b.getIndexAttr(1));
    b.create<tensor::ParallelInsertSliceOp>(loc, tiled.lookup(original), arg, offsets, sizes,
                                            strides);
  }
  root->replaceAllUsesWith(forall.getResults());
  for (Operation *op : llvm::reverse(group))
    if (op->use_empty())
      op->erase();
}

struct FuseRowsPass : mlopt::impl::FuseRowsBase<FuseRowsPass> {
  using FuseRowsBase::FuseRowsBase;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    for (Block &block : func.getBody()) {
      DenseSet<Operation *> taken;
      SmallVector<SmallVector<Operation *>> groups;
      // Roots from the end, so a root's producers are claimed by the chain
      // that ends latest.
      for (Operation &op : llvm::reverse(block)) {
        if (taken.contains(&op) || !isRowOp(&op) || !isa<linalg::GenericOp>(op))
          continue;
        SmallVector<Operation *> group = groupOf(&op, taken);
        bool reduces = llvm::any_of(group, [](Operation *g) {
          return cast<linalg::LinalgOp>(g).getNumReductionLoops() > 0;
        });
        if (group.size() < 2 || !reduces)
          continue;
        taken.insert(group.begin(), group.end());
        groups.push_back(std::move(group));
      }
      OpBuilder b(func.getContext());
      for (auto &group : groups)
        fuse(b, group, tileElements);
    }
    // Slices of tensor.empty become tile-sized empties: a tile's
    // intermediates are allocated per tile, never for the whole tensor.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
