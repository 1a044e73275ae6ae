//===- FuseElementwise.cpp - the mlopt-fuse-elementwise pass --------------===//
//
// Upstream's elementwise fusion (linalg-fuse-elementwise-ops) with two
// decisions of ours: reshapes are propagated through linalg.generic ops only,
// never through matmul, batch_matmul or conv (upstream would expand a matmul
// whose operand is a collapsed [batch, rows] view into a 3-D linalg.generic
// contraction, which no longer calls BLAS); and a cheap producer with
// several users is recomputed inside the reductions that read it (the cost
// rule below) instead of being written out and read back.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// Whether `op` may be rewritten by fusion: a linalg.generic that is not a
/// contraction in disguise.
bool isFusible(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && !linalg::isaContractionOpInterface(generic);
}

/// The cost rule for recomputation: an elementwise generic of at most 16
/// ops with at most one transcendental (exp, log, tanh, erf, pow, ...) or
/// division, that reads one full-size input (others are broadcast rows or
/// scalars), or two that no generic computes (rmsnorm(x + r) of inputs or
/// matmul results). Anything else is computed once and read from memory.
/// The input bound keeps chains from growing: a residual stream (x + a,
/// then + b, ...) recomputed into every layer_norm that reads it read every
/// earlier layer's output again, and no two layers' kernels were alike.
bool cheapToRecompute(Operation *producer) {
  auto generic = dyn_cast<linalg::GenericOp>(producer);
  if (!generic || generic.getNumReductionLoops() > 0)
    return false;
  int fullInputs = 0, computed = 0;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    if (!map.isPermutation()) // (every map has the generic's loops as dims)
      continue;
    ++fullInputs;
    computed += isa_and_nonnull<linalg::GenericOp>(input->get().getDefiningOp());
  }
  if (fullInputs > 2 || (fullInputs == 2 && computed > 0))
    return false;
  int ops = 0, heavy = 0;
  for (Operation &op : generic.getRegion().front().without_terminator()) {
    ++ops;
    bool cheapMath = isa<math::AbsFOp, math::AbsIOp, math::CopySignOp, math::FmaOp,
                         math::CeilOp, math::FloorOp, math::RoundOp, math::TruncOp>(op);
    if ((isa<math::MathDialect>(op.getDialect()) && !cheapMath) ||
        isa<arith::DivFOp, arith::RemFOp, arith::DivSIOp, arith::RemSIOp>(op) ||
        isa<tensor::ExtractOp>(op))
      ++heavy;
  }
  return ops <= 16 && heavy <= 1;
}

/// Fusion copies the producer's body into the consumer's, so a chain of n
/// ops fused one by one costs n^2 (a 4800-op chain 1.4 s, 30000 ops about 2
/// minutes). Bodies stop growing here: a longer chain becomes kernels of at
/// most this many ops, a few passes over memory more but compiled in linear
/// time. Models' fused bodies stay far below it (gelu's is ~10 ops).
constexpr int64_t kMaxFusedBody = 256;

int64_t bodySize(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic)
    return 0;
  int64_t n = 0;
  for (Operation &inner : generic.getRegion().front()) {
    (void)inner;
    if (++n > kMaxFusedBody)
      break;
  }
  return n;
}

bool withinBodyLimit(OpOperand *fused) {
  return bodySize(fused->get().getDefiningOp()) + bodySize(fused->getOwner()) <= kMaxFusedBody;
}

struct FuseElementwisePass : mlopt::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    // 1. A producer fuses into its only user (no recomputation), to a fixed
    //    point, so every chain is one generic before the cost rule looks.
    linalg::ControlFusionFn onlyUser = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() && withinBodyLimit(fused);
    };
    // 2. A producer with several users is also recomputed inside a reduction
    //    that reads it when that is cheap: softmax's exp(x - max) inside the
    //    row sum, layer_norm's x - mean inside the variance. Recomputing them
    //    in cache measured faster than writing and re-reading a buffer
    //    (softmax 7.4 -> 6.2 ms, layer_norm 6.2 -> 5.2 ms at 4096^2).
    linalg::ControlFusionFn recompute = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer)
        return false;
      if (!withinBodyLimit(fused))
        return false;
      if (producer->hasOneUse())
        return true;
      auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
      return consumer && consumer.getNumReductionLoops() > 0 && cheapToRecompute(producer);
    };
    if (failed(fuse(onlyUser)) || failed(fuse(recompute)))
      signalPassFailure();
  }

  LogicalResult fuse(const linalg::ControlFusionFn &elementwise) {
    MLIRContext *context = &getContext();
    // A reshape moves across the linalg op on its other side only when that
    // op is a generic (the fused operand's owner, or its producer).
    linalg::ControlFusionFn reshapes = [](OpOperand *fused) {
      Operation *owner = fused->getOwner();
      Operation *linalgOp = isa<linalg::LinalgOp>(owner) ? owner : fused->get().getDefiningOp();
      Operation *producer = fused->get().getDefiningOp();
      return isFusible(linalgOp) && producer && producer->hasOneUse();
    };
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, elementwise);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, reshapes);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    return applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
