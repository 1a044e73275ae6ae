//===- ConvertMloptToLinalg.cpp - the convert-mlopt-to-linalg pass --------===//

#include "codegen/MloptToLinalg/Patterns.h"
#include "codegen/Passes.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_CONVERTMLOPTTOLINALG
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
struct ConvertMloptToLinalgPass
    : mlopt::impl::ConvertMloptToLinalgBase<ConvertMloptToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    populateElementwiseToLinalgPatterns(patterns);
    populateDataMovementToLinalgPatterns(patterns);
    populateStructuredToLinalgPatterns(patterns);
    ConversionTarget target(*context);
    target.addIllegalDialect<MloptDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
