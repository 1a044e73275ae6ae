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

/// The leading loops (at most `limit`) that `map`'s leading results are, in
/// order, and that its other results do not use: a tile of those loops is
/// the same rows of the tensor.
unsigned rowDims(AffineMap map, unsigned limit) {
  unsigned k = 0;
  while (k < limit && k < map.getNumResults() &&
         map.getResult(k) == getAffineDimExpr(k, map.getContext()))
    ++k;
  for (AffineExpr e : map.getResults().drop_front(k))
    while (k > 0 && llvm::any_of(llvm::seq(0u, k), [&](unsigned d) { return e.isFunctionOfDim(d); }))
      --k;
  return k;
}

/// A map whose first result is loop 0 and whose other results do not use
/// it: a tile of loop 0 is the same rows of the tensor.
bool isRowMap(AffineMap map) { return rowDims(map, 1) == 1; }

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

/// The row dims of `group`: leading loops that are parallel in every op,
/// of the same sizes, and that every result and every read inside the group
/// takes as its own leading dims. At least loop 0 (the group is made so).
unsigned groupRowDims(ArrayRef<Operation *> group) {
  auto root = cast<linalg::LinalgOp>(group.back());
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  unsigned k = ranges.size();
  for (Operation *op : group) {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    SmallVector<int64_t> own = linalgOp.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = linalgOp.getIteratorTypesArray();
    unsigned j = 0;
    while (j < k && j < own.size() && own[j] == ranges[j] &&
           iterators[j] == utils::IteratorType::parallel)
      ++j;
    k = j;
    for (OpOperand &init : linalgOp.getDpsInitsMutable())
      k = rowDims(linalgOp.getMatchingIndexingMap(&init), k);
    for (OpOperand &input : op->getOpOperands())
      if (llvm::is_contained(group, input.get().getDefiningOp()))
        k = rowDims(linalgOp.getMatchingIndexingMap(&input), k);
  }
  return std::max(k, 1u);
}

/// The tile: `tiled` leading loops, one index each but the last, which
/// takes `rows` (a divisor of its range). Its widest op holds about
/// `tileElements` (128 KiB of f32 on the CPU: it stays in L2 between the
/// steps; 1 for CUDA: a row per block): the fewest loops that keep a row
/// within that or give `minTiles` tiles (CUDA: a block per row of every
/// row dim), then rows added up to it. At least two tiles, for threads.
struct TileShape {
  unsigned tiled = 1;
  int64_t rows = 1;
};

TileShape tileShape(ArrayRef<Operation *> group, unsigned rowDimCount, int64_t tileElements,
                    int64_t minTiles) {
  SmallVector<int64_t> ranges = cast<linalg::LinalgOp>(group.back()).getStaticLoopRanges();
  // Elements of the widest op per index of its first `j` loops.
  auto work = [&](unsigned j) {
    int64_t widest = 1;
    for (Operation *op : group) {
      int64_t n = 1;
      for (int64_t r : ArrayRef(cast<linalg::LinalgOp>(op).getStaticLoopRanges()).drop_front(j))
        n *= r;
      widest = std::max(widest, n);
    }
    return widest;
  };
  auto tiles = [&](unsigned j) { // one index of each of the first j loops
    int64_t n = 1;
    for (unsigned d = 0; d < j; ++d)
      n *= ranges[d];
    return n;
  };
  TileShape shape;
  while (shape.tiled < rowDimCount && work(shape.tiled) > tileElements &&
         tiles(shape.tiled) < minTiles)
    ++shape.tiled;
  int64_t rows = ranges[shape.tiled - 1], outer = tiles(shape.tiled - 1);
  int64_t target = std::max<int64_t>(1, tileElements / work(shape.tiled));
  if (outer < 2 && rows >= 2)
    target = std::min(target, rows / 2);
  for (int64_t t = std::min(target, rows); t > 1; --t)
    if (rows % t == 0) {
      shape.rows = t;
      break;
    }
  return shape;
}

/// Tiles `group` (root last) into one scf.forall over row tiles.
void fuse(OpBuilder &b, ArrayRef<Operation *> group, int64_t tileElements, int64_t minTiles) {
  Operation *root = group.back();
  auto rootDps = cast<DestinationStyleOpInterface>(root);
  Location loc = root->getLoc();
  TileShape shape = tileShape(group, groupRowDims(group), tileElements, minTiles);
  SmallVector<int64_t> ranges = cast<linalg::LinalgOp>(root).getStaticLoopRanges();
  // Per tiled loop: its size in a tile.
  auto tileSize = [&](unsigned d) { return d + 1 == shape.tiled ? shape.rows : 1; };

  b.setInsertionPoint(root);
  SmallVector<OpFoldResult> lbs, ubs, steps;
  for (unsigned d = 0; d < shape.tiled; ++d) {
    lbs.push_back(b.getIndexAttr(0));
    ubs.push_back(b.getIndexAttr(ranges[d]));
    steps.push_back(b.getIndexAttr(tileSize(d)));
  }
  auto forall = b.create<scf::ForallOp>(loc, lbs, ubs, steps, rootDps.getDpsInits(),
                                        std::nullopt);
  b.setInsertionPoint(forall.getTerminator());

  DenseMap<Value, Value> tiled; // original result -> its tile
  for (Operation *op : group) {
    auto tiling = cast<TilingInterface>(op);
    SmallVector<OpFoldResult> offsets, sizes;
    for (auto [d, range] : llvm::enumerate(tiling.getIterationDomain(b))) {
      bool isTiled = d < shape.tiled;
      offsets.push_back(isTiled ? OpFoldResult(forall.getInductionVars()[d]) : range.offset);
      sizes.push_back(isTiled ? OpFoldResult(b.getIndexAttr(tileSize(d))) : range.size);
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
    // (The root's results start with the tiled loops: row maps.)
    auto type = cast<RankedTensorType>(original.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      bool isTiled = d < shape.tiled;
      offsets.push_back(isTiled ? OpFoldResult(forall.getInductionVars()[d]) : b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(isTiled ? tileSize(d) : type.getDimSize(d)));
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
        fuse(b, group, tileElements, minTiles);
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
