//===- FuseElementwise.cpp - the mlopt-fuse-elementwise pass --------------===//
//
// Upstream's elementwise fusion (linalg-fuse-elementwise-ops) with one
// decision of ours: reshapes are propagated through linalg.generic ops only,
// never through matmul, batch_matmul or conv. Upstream would expand a
// matmul whose operand is a collapsed [batch, rows] view into a 3-D
// linalg.generic contraction, which no longer calls BLAS.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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

struct FuseElementwisePass : mlopt::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // A producer fuses into its only user (no recomputation).
    linalg::ControlFusionFn elementwise = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
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
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
