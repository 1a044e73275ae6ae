//===- ExpandMath.cpp - the mlopt-expand-math pass ------------------------===//
//
// MLIR's polynomial approximations make f32 math vectorizable, but some are
// wrong outside their comfort zone (measured in test/python/test_cpu_ops.py):
// sin/cos lose all precision for tiny negative and large arguments, atan2 is
// wrong at signed zeros and infinities. Those become libm calls. log handles
// subnormal inputs only after the rescaling below.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTEXPANDMATH
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// log(x) for subnormal f32 x: log(x * 2^24) - 24 ln 2; the approximation
/// reads the exponent field, which subnormals do not fill.
struct RescaleSubnormalLog : OpRewritePattern<math::LogOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::LogOp op, PatternRewriter &rewriter) const override {
    if (!op.getType().isF32() || op->hasAttr("mlopt.rescaled"))
      return failure();
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto constant = [&](double v) {
      return rewriter.create<arith::ConstantOp>(loc, f32, rewriter.getF32FloatAttr(v));
    };
    Value x = op.getOperand();
    Value tiny = rewriter.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x,
                                                constant(0x1p-126));
    Value positive = rewriter.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x,
                                                    constant(0));
    Value subnormal = rewriter.create<arith::AndIOp>(loc, tiny, positive);
    Value scaled = rewriter.create<arith::SelectOp>(
        loc, subnormal, rewriter.create<arith::MulFOp>(loc, x, constant(0x1p24)), x);
    auto log = rewriter.create<math::LogOp>(loc, scaled);
    log->setAttr("mlopt.rescaled", rewriter.getUnitAttr());
    Value shift = rewriter.create<arith::SelectOp>(loc, subnormal,
                                                   constant(24 * 0.69314718055994530942),
                                                   constant(0));
    rewriter.replaceOpWithNewOp<arith::SubFOp>(op, log, shift);
    return success();
  }
};

/// fptosi of NaN or of a value out of the integer's range is poison to LLVM:
/// where it can prove that (exp of a constant NaN, a cast of one), it drops
/// the stores of the result, and the output keeps whatever memory held. Such
/// a value is converted as 0 and the result replaced by the integer type's
/// minimum, what x86's conversions give at run time for every invalid input
/// (so eager and compiled agree).
void defineInvalidFloatToInt(Operation *root) {
  SmallVector<arith::FPToSIOp> casts;
  root->walk([&](arith::FPToSIOp op) { casts.push_back(op); });
  for (arith::FPToSIOp op : casts) {
    Type from = op.getIn().getType(), to = op.getType();
    auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(from));
    unsigned bits = getElementTypeOrSelf(to).getIntOrFloatBitWidth();
    if (!floatType || bits < 2 || bits > 64)
      continue;
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto splat = [&](TypedAttr attr, Type type) -> Value {
      if (auto shaped = dyn_cast<ShapedType>(type))
        attr = DenseElementsAttr::get(shaped, attr);
      return b.create<arith::ConstantOp>(loc, attr);
    };
    auto constant = [&](double v) { return splat(b.getFloatAttr(floatType, v), from); };
    Value x = op.getIn(), invalid;
    // 2^(bits-1) as this float type: exact where it is finite (f16 has no 2^31).
    llvm::APFloat limit(std::ldexp(1.0, static_cast<int>(bits) - 1));
    bool lost = false;
    if (limit.convert(floatType.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
                      &lost) == llvm::APFloat::opOK) {
      double bound = std::ldexp(1.0, static_cast<int>(bits) - 1);
      // ult/uge: true for NaN too.
      Value low = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ULT, x, constant(-bound));
      Value high = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGE, x, constant(bound));
      invalid = b.create<arith::OrIOp>(loc, low, high);
    } else { // every finite value fits: NaN and the infinities do not
      Value magnitude = b.create<math::AbsFOp>(loc, x);
      invalid = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UEQ, magnitude,
                                        constant(INFINITY));
    }
    Value safe = b.create<arith::SelectOp>(loc, invalid, constant(0.0), x);
    op.getInMutable().assign(safe);
    b.setInsertionPointAfter(op);
    auto intType = cast<IntegerType>(getElementTypeOrSelf(to));
    Value lowest = splat(b.getIntegerAttr(intType, llvm::APInt::getSignedMinValue(bits)), to);
    Value result = b.create<arith::SelectOp>(loc, invalid, lowest, op.getResult());
    op.getResult().replaceAllUsesExcept(result, result.getDefiningOp());
  }
}

struct MloptExpandMathPass : mlopt::impl::MloptExpandMathBase<MloptExpandMathPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    {
      RewritePatternSet patterns(context);
      patterns.add<RescaleSubnormalLog>(context);
      if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    // Approximate every math op but the ones kept precise; new ops the
    // approximations create are expanded too.
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) &&
          !isa<math::SinOp, math::CosOp, math::Atan2Op>(op))
        ops.push_back(op);
    });
    RewritePatternSet patterns(context);
    populateExpandRsqrtPattern(patterns);
    populateMathPolynomialApproximationPatterns(patterns);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns), config)))
      signalPassFailure();
    getOperation()->walk([](math::LogOp op) { op->removeAttr("mlopt.rescaled"); });

    // The ops kept precise become libm calls now: sin/cos/atan2, and the f64
    // log1p / expm1 (f32 ones were approximated above), which the LLVM
    // lowering would compute as log(1 + x) and exp(x) - 1, losing the
    // precision they exist for.
    SmallVector<Operation *> precise;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::SinOp, math::CosOp, math::Atan2Op, math::Log1pOp, math::ExpM1Op>(op))
        precise.push_back(op);
    });
    RewritePatternSet libm(context);
    populateMathToLibmConversionPatterns(libm);
    if (failed(applyOpPatternsAndFold(precise, std::move(libm))))
      return signalPassFailure();

    // arith ops LLVM has no instruction for: ceil/floor division, and bf16
    // conversions as integer ops (LLVM's x86 lowering flushes subnormals).
    // maximumf/minimumf stay: they become llvm.maximum/minimum, which the
    // loop vectorizer turns into vector max reductions (arith-expand's
    // compare-and-select form does not vectorize as a reduction).
    RewritePatternSet arith(context);
    arith::populateCeilFloorDivExpandOpsPatterns(arith);
    arith::populateExpandBFloat16Patterns(arith);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(arith))))
      return signalPassFailure();
    defineInvalidFloatToInt(getOperation());
  }
};

} // namespace
