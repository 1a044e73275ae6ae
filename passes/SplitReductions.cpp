//===- SplitReductions.cpp - the mlopt-split-reductions pass --------------===//
//
// Long reductions with few results are reduced in blocks, then the blocks'
// partial results are combined (upstream linalg::splitReduction): the blocks
// run on every core, and the sum is accurate (a 16M-element float sum in one
// loop loses 2.5e-3 relative; in blocks of 4096, 1e-6). The decision (which
// reductions, what block) is ours; the rewrite is upstream's.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::mlopt {
#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// The divisor of `size` closest to `block` within [block/4, 4 block]
/// (closest by ratio, the smaller on a tie), or 0. Eager dispatch asks this
/// on every large reduction: the nearest divisor on each side is enough.
int64_t blockFor(int64_t size, int64_t block) {
  int64_t low = std::max<int64_t>(1, block / 4), high = std::min(4 * block, size - 1);
  int64_t below = 0, above = 0;
  for (int64_t b = std::min(block, high); b >= low && !below; --b)
    if (size % b == 0)
      below = b;
  for (int64_t b = std::max(block, low); b <= high && !above; ++b)
    if (size % b == 0)
      above = b;
  if (!below || !above)
    return below ? below : above;
  return std::log(static_cast<double>(block) / below) <= std::log(static_cast<double>(above) / block)
             ? below
             : above;
}

/// `op` with its reduction dims `dims` collapsed into one (upstream
/// collapseOpIterationDims), or null when they are not one run of adjacent
/// dims that every operand reads in order.
linalg::GenericOp collapseReductionDims(RewriterBase &rewriter, linalg::GenericOp op,
                                        ArrayRef<unsigned> dims) {
  for (auto [a, b] : llvm::zip(dims.drop_back(), dims.drop_front()))
    if (b != a + 1)
      return nullptr;
  ReassociationIndices run(dims.begin(), dims.end());
  if (!linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), {run}))
    return nullptr;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, {run}, rewriter);
  if (failed(collapsed))
    return nullptr;
  rewriter.replaceOp(op, collapsed->results);
  return dyn_cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
}

} // namespace

/// The pass's rule at its default options, for eager dispatch, which
/// compiles such reductions for their static shape.
bool mlir::mlopt::splitsReductionByDefault(int64_t reduced, int64_t results) {
  return reduced >= kSplitMinSize && results <= kSplitMaxResults &&
         blockFor(reduced, kSplitBlock) != 0;
}

namespace {

struct SplitReductionsPass : mlopt::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;

  /// A long reduction with few results, over static shapes.
  bool worthSplitting(linalg::GenericOp op) {
    if (op.getNumReductionLoops() < 1 || op.getNumDpsInits() != 1 ||
        !op.hasPureTensorSemantics() || op.hasDynamicShape() ||
        linalg::isaContractionOpInterface(op))
      return false;
    int64_t results = 1, size = 1;
    for (auto [range, iterator] :
         llvm::zip(op.getStaticLoopRanges(), op.getIteratorTypesArray())) {
      if (iterator == utils::IteratorType::reduction)
        size *= range;
      else
        results *= range;
    }
    return size >= minSize && results <= maxResults;
  }

  /// A column sum worth splitting for a GPU: its innermost loop is kept and
  /// read contiguously by every input, the reduced loops all come before
  /// the kept ones, and it has fewer than `columnThreads` results.
  bool columnSum(linalg::GenericOp op) {
    if (columnThreads <= 0 || op.getNumReductionLoops() < 1 || op.getNumDpsInits() != 1 ||
        !op.hasPureTensorSemantics() || op.hasDynamicShape() ||
        linalg::isaContractionOpInterface(op))
      return false;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    unsigned loops = iterators.size(), firstKept = 0;
    while (firstKept < loops && iterators[firstKept] == utils::IteratorType::reduction)
      ++firstKept;
    if (firstKept == 0 || firstKept == loops ||
        llvm::any_of(ArrayRef(iterators).drop_front(firstKept),
                     [](utils::IteratorType t) { return t == utils::IteratorType::reduction; }))
      return false;
    AffineExpr innermost = getAffineDimExpr(loops - 1, op.getContext());
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (map.getNumResults() > 0 && map.getResults().back() != innermost)
        return false;
    }
    int64_t results = 1, reduced = 1;
    for (unsigned d = 0; d < loops; ++d)
      (d < firstKept ? reduced : results) *= ranges[d];
    return results < columnThreads && reduced >= 64;
  }

  /// Splits `op`'s reduction: blocks of about `block` elements with the
  /// partial results' blocks last, or for a column sum, blocks for about
  /// `columnThreads` partial results (each of at least 8 rows) with the
  /// blocks first, so neighbouring threads read neighbouring columns.
  void split(RewriterBase &rewriter, linalg::GenericOp op, bool column) {
    SmallVector<unsigned> dims;
    op.getReductionDims(dims);
    if (dims.size() > 1) {
      // Several reduction dims (the sum of a matrix, a column sum over batch
      // and rows): one dim first, where they are adjacent in the loops and
      // in every operand.
      op = collapseReductionDims(rewriter, op, dims);
      if (!op)
        return;
      dims.clear();
      op.getReductionDims(dims);
    }
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t size = ranges[dims.front()], inner = blockFor(size, block);
    // The outer dim (size / inner blocks) is parallel, the inner reduces.
    unsigned index = cast<RankedTensorType>(op.getDpsInits()[0].getType()).getRank();
    if (column) {
      int64_t results = 1;
      for (auto [d, range] : llvm::enumerate(ranges))
        if (d != dims.front())
          results *= range;
      int64_t blocks = std::clamp<int64_t>(columnThreads / results, 2, size / 8);
      inner = blockFor(size, size / blocks);
      index = 0;
    }
    if (!inner || inner == size)
      return;
    rewriter.setInsertionPoint(op);
    (void)linalg::splitReduction(rewriter, op, [&](linalg::LinalgOp) {
      return linalg::SplitReductionOptions{size / inner, index, /*innerParallel=*/false};
    });
  }

  static bool plainMaps(linalg::GenericOp op) {
    return llvm::all_of(op.getIndexingMapsArray(),
                        [](AffineMap map) { return map.isProjectedPermutation(); });
  }

  void runOnOperation() override {
    // keepdim results, and inputs read through one (var's mean), index a
    // size-1 dim with a constant, which upstream's split does not handle (it
    // made invalid IR): those ops lose their unit dims first (upstream's
    // fold-unit-extent-dims, on these ops only; reshapes around them).
    SmallVector<Operation *> unitDims;
    getOperation().walk([&](linalg::GenericOp op) {
      if (worthSplitting(op) && !plainMaps(op))
        unitDims.push_back(op);
    });
    if (!unitDims.empty()) {
      RewritePatternSet patterns(&getContext());
      linalg::ControlDropUnitDims options;
      linalg::populateFoldUnitExtentDimsPatterns(patterns, options);
      GreedyRewriteConfig config;
      config.strictMode = GreedyRewriteStrictness::ExistingOps;
      (void)applyOpPatternsAndFold(unitDims, std::move(patterns), config);
    }
    SmallVector<linalg::GenericOp> candidates, columns;
    getOperation().walk([&](linalg::GenericOp op) {
      if (worthSplitting(op) && plainMaps(op))
        candidates.push_back(op);
      else if (columnSum(op) && plainMaps(op))
        columns.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates)
      split(rewriter, op, /*column=*/false);
    for (linalg::GenericOp op : columns)
      split(rewriter, op, /*column=*/true);
  }
};

} // namespace
