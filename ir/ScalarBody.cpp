//===- ScalarBody.cpp - the scalar body of every elementwise op -----------===//
//
// The one definition of how each elementwise op computes an element. The
// numerics follow docs/dialect.md; the constant folder (ElementwiseOps.cpp)
// evaluates the same rules on the host and tests compare the two.
//
//===----------------------------------------------------------------------===//

#include "ir/ScalarBody.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::mlopt;

#include "ir/ScalarBodyInterface.cpp.inc"

namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

/// Helpers that keep the bodies close to their formulas.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value constFloat(Type type, double value) {
    return b.create<arith::ConstantOp>(loc, type, b.getFloatAttr(type, value));
  }
  Value constInt(Type type, int64_t value) {
    return b.create<arith::ConstantOp>(loc, type, b.getIntegerAttr(type, value));
  }
  Value zero(Type type) {
    return isa<FloatType>(type) ? constFloat(type, 0) : constInt(type, 0);
  }
  Value cmpf(arith::CmpFPredicate p, Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, p, x, y);
  }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return b.create<arith::CmpIOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return b.create<arith::SelectOp>(loc, c, x, y);
  }
  Value bitAnd(Value x, Value y) { return b.create<arith::AndIOp>(loc, x, y); }
  Value bitOr(Value x, Value y) { return b.create<arith::OrIOp>(loc, x, y); }
  Value bitXor(Value x, Value y) { return b.create<arith::XOrIOp>(loc, x, y); }

  /// A divisor that never traps: 1 where y == 0 or (x, y) == (MIN, -1).
  /// Integer x / 0 gives 0 (PyTorch raises; compiled code cannot), and
  /// MIN / -1 wraps to MIN, as two's complement arithmetic does.
  Value safeDivisor(Value x, Value y) {
    Type t = y.getType();
    unsigned bits = t.getIntOrFloatBitWidth();
    Value minValue = constInt(t, llvm::APInt::getSignedMinValue(bits).getSExtValue());
    Value overflow = bitAnd(cmpi(arith::CmpIPredicate::eq, x, minValue),
                            cmpi(arith::CmpIPredicate::eq, y, constInt(t, -1)));
    Value bad = bitOr(cmpi(arith::CmpIPredicate::eq, y, zero(t)), overflow);
    return select(bad, constInt(t, 1), y);
  }
  Value isZeroDivisor(Value y) {
    return cmpi(arith::CmpIPredicate::eq, y, zero(y.getType()));
  }
  /// x / y truncated, with the safe-divisor rules.
  Value intDiv(Value x, Value y) {
    Value q = b.create<arith::DivSIOp>(loc, x, safeDivisor(x, y));
    return select(isZeroDivisor(y), zero(x.getType()), q);
  }
  Value intRem(Value x, Value y) {
    Value r = b.create<arith::RemSIOp>(loc, x, safeDivisor(x, y));
    return select(isZeroDivisor(y), zero(x.getType()), r);
  }
  /// (a < 0) != (b < 0) for signed values.
  Value signsDiffer(Value a, Value bv) {
    if (isFloat(a))
      return bitXor(cmpf(arith::CmpFPredicate::OLT, a, zero(a.getType())),
                    cmpf(arith::CmpFPredicate::OLT, bv, zero(bv.getType())));
    return bitXor(cmpi(arith::CmpIPredicate::slt, a, zero(a.getType())),
                  cmpi(arith::CmpIPredicate::slt, bv, zero(bv.getType())));
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

#define FLOAT_MATH_BODY(OP, MATHOP)                                            \
  Value OP::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {     \
    return b.create<MATHOP>(loc, args[0]);                                     \
  }
FLOAT_MATH_BODY(ExpOp, math::ExpOp)
FLOAT_MATH_BODY(LogOp, math::LogOp)
FLOAT_MATH_BODY(Log1pOp, math::Log1pOp)
FLOAT_MATH_BODY(Expm1Op, math::ExpM1Op)
FLOAT_MATH_BODY(SqrtOp, math::SqrtOp)
FLOAT_MATH_BODY(RsqrtOp, math::RsqrtOp)
FLOAT_MATH_BODY(SinOp, math::SinOp)
FLOAT_MATH_BODY(CosOp, math::CosOp)
FLOAT_MATH_BODY(TanhOp, math::TanhOp)
FLOAT_MATH_BODY(ErfOp, math::ErfOp)
FLOAT_MATH_BODY(FloorOp, math::FloorOp)
FLOAT_MATH_BODY(CeilOp, math::CeilOp)
FLOAT_MATH_BODY(RoundOp, math::RoundEvenOp)
#undef FLOAT_MATH_BODY

// x <= 0 ? 0 : x: NaN (unordered, not <= 0) stays NaN, as torch.relu.
Value ReluOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Value x = args[0];
  return e.select(e.cmpf(arith::CmpFPredicate::OLE, x, e.zero(x.getType())),
                  e.zero(x.getType()), x);
}

Value SigmoidOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Type t = args[0].getType();
  Value negX = b.create<arith::NegFOp>(loc, args[0]);
  Value denominator = b.create<arith::AddFOp>(loc, e.constFloat(t, 1),
                                              b.create<math::ExpOp>(loc, negX));
  return b.create<arith::DivFOp>(loc, e.constFloat(t, 1), denominator);
}

Value StopGradientOp::buildScalarBody(OpBuilder &, Location, ValueRange args) {
  return args[0];
}

Value NegOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return b.create<arith::NegFOp>(loc, args[0]);
  return b.create<arith::SubIOp>(loc, Emitter{b, loc}.zero(args[0].getType()),
                                 args[0]);
}

Value AbsOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return b.create<math::AbsFOp>(loc, args[0]);
  return b.create<math::AbsIOp>(loc, args[0]);
}

// (0 < x) - (x < 0), as torch.sign: NaN and -0.0 give 0.
Value SignOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Value x = args[0];
  Type t = x.getType();
  Value zero = e.zero(t);
  Value positive, negative, one, minusOne;
  if (isFloat(x)) {
    positive = e.cmpf(arith::CmpFPredicate::OGT, x, zero);
    negative = e.cmpf(arith::CmpFPredicate::OLT, x, zero);
    one = e.constFloat(t, 1);
    minusOne = e.constFloat(t, -1);
  } else {
    positive = e.cmpi(arith::CmpIPredicate::sgt, x, zero);
    negative = e.cmpi(arith::CmpIPredicate::slt, x, zero);
    one = e.constInt(t, 1);
    minusOne = e.constInt(t, -1);
  }
  return e.select(positive, one, e.select(negative, minusOne, zero));
}

Value NotOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Type type = args[0].getType();
  return e.bitXor(args[0], e.constInt(type, type.isInteger(1) ? 1 : -1)); // all ones
}

Value IsNanOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  return Emitter{b, loc}.cmpf(arith::CmpFPredicate::UNO, args[0], args[0]);
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

#define ARITH_BODY(OP, FLOATOP, INTOP)                                         \
  Value OP::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {     \
    if (isFloat(args[0]))                                                      \
      return b.create<FLOATOP>(loc, args[0], args[1]);                         \
    return b.create<INTOP>(loc, args[0], args[1]);                             \
  }
ARITH_BODY(AddOp, arith::AddFOp, arith::AddIOp)
ARITH_BODY(SubOp, arith::SubFOp, arith::SubIOp)
ARITH_BODY(MulOp, arith::MulFOp, arith::MulIOp)
ARITH_BODY(PowOp, math::PowFOp, math::IPowIOp)
#undef ARITH_BODY

namespace {
/// NaN-propagating max/min, as torch.maximum / torch.minimum: NaN if either
/// is NaN (x + y carries it), else the larger/smaller. Written with compares
/// rather than arith.maximumf: LLVM narrows maximumf of extended halves to an
/// f16 maximum whose x86 vector lowering drops NaN.
Value buildMinMax(OpBuilder &b, Location loc, ValueRange args, bool isMax) {
  Emitter e{b, loc};
  Value x = args[0], y = args[1];
  if (!isFloat(x))
    return isMax ? b.create<arith::MaxSIOp>(loc, x, y).getResult()
                 : b.create<arith::MinSIOp>(loc, x, y).getResult();
  Value pick = e.cmpf(isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, x, y);
  Value chosen = e.select(pick, x, y);
  Value anyNan = e.cmpf(arith::CmpFPredicate::UNO, x, y);
  return e.select(anyNan, b.create<arith::AddFOp>(loc, x, y), chosen);
}
} // namespace

Value MaximumOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  return buildMinMax(b, loc, args, /*isMax=*/true);
}

Value MinimumOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  return buildMinMax(b, loc, args, /*isMax=*/false);
}

Value Atan2Op::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  return b.create<math::Atan2Op>(loc, args[0], args[1]);
}

Value DivOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return b.create<arith::DivFOp>(loc, args[0], args[1]);
  return Emitter{b, loc}.intDiv(args[0], args[1]);
}

// PyTorch's div_floor_floating / div_floor_integer.
Value FloorDivOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Value x = args[0], y = args[1];
  Type t = x.getType();
  if (!isFloat(x)) {
    Value q = e.intDiv(x, y);
    Value r = e.intRem(x, y);
    Value inexact = e.cmpi(arith::CmpIPredicate::ne, r, e.zero(t));
    Value adjust = e.bitAnd(inexact, e.signsDiffer(x, y));
    return e.select(adjust, b.create<arith::SubIOp>(loc, q, e.constInt(t, 1)), q);
  }
  Value zero = e.zero(t), one = e.constFloat(t, 1);
  Value quotient = b.create<arith::DivFOp>(loc, x, y);
  Value mod = b.create<arith::RemFOp>(loc, x, y);
  Value div = b.create<arith::DivFOp>(loc, b.create<arith::SubFOp>(loc, x, mod), y);
  Value modNonZero = e.cmpf(arith::CmpFPredicate::UNE, mod, zero);
  div = e.select(e.bitAnd(modNonZero, e.signsDiffer(y, mod)),
                 b.create<arith::SubFOp>(loc, div, one), div);
  Value floorDiv = b.create<math::FloorOp>(loc, div);
  Value roundUp = e.cmpf(arith::CmpFPredicate::OGT,
                         b.create<arith::SubFOp>(loc, div, floorDiv),
                         e.constFloat(t, 0.5));
  floorDiv = e.select(roundUp, b.create<arith::AddFOp>(loc, floorDiv, one), floorDiv);
  Value signedZero = b.create<math::CopySignOp>(loc, zero, quotient);
  Value result =
      e.select(e.cmpf(arith::CmpFPredicate::UNE, div, zero), floorDiv, signedZero);
  return e.select(e.cmpf(arith::CmpFPredicate::OEQ, y, zero), quotient, result);
}

// Python's %: the result has the sign of the divisor.
Value RemainderOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Value x = args[0], y = args[1];
  Type t = x.getType();
  Value mod, nonZero;
  if (isFloat(x)) {
    mod = b.create<arith::RemFOp>(loc, x, y);
    nonZero = e.cmpf(arith::CmpFPredicate::UNE, mod, e.zero(t));
    Value adjusted = b.create<arith::AddFOp>(loc, mod, y);
    return e.select(e.bitAnd(nonZero, e.signsDiffer(y, mod)), adjusted, mod);
  }
  mod = e.intRem(x, y);
  nonZero = e.cmpi(arith::CmpIPredicate::ne, mod, e.zero(t));
  Value adjusted = b.create<arith::AddIOp>(loc, mod, y);
  return e.select(e.bitAnd(nonZero, e.signsDiffer(y, mod)), adjusted, mod);
}

#define BITWISE_BODY(OP, ARITHOP)                                              \
  Value OP::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {     \
    return b.create<ARITHOP>(loc, args[0], args[1]);                           \
  }
BITWISE_BODY(AndOp, arith::AndIOp)
BITWISE_BODY(OrOp, arith::OrIOp)
BITWISE_BODY(XorOp, arith::XOrIOp)
#undef BITWISE_BODY

//===----------------------------------------------------------------------===//
// Comparisons: ordered for floats (false with NaN) except ne; bools compare
// as unsigned (false < true).
//===----------------------------------------------------------------------===//

namespace {
Value buildCompare(OpBuilder &b, Location loc, ValueRange args,
                   arith::CmpFPredicate fp, arith::CmpIPredicate sp,
                   arith::CmpIPredicate up) {
  Emitter e{b, loc};
  if (isFloat(args[0]))
    return e.cmpf(fp, args[0], args[1]);
  bool isBool = args[0].getType().isInteger(1);
  return e.cmpi(isBool ? up : sp, args[0], args[1]);
}
} // namespace

#define COMPARE_BODY(OP, FP, SP, UP)                                           \
  Value OP::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {     \
    return buildCompare(b, loc, args, arith::CmpFPredicate::FP,                \
                        arith::CmpIPredicate::SP, arith::CmpIPredicate::UP);   \
  }
COMPARE_BODY(EqOp, OEQ, eq, eq)
COMPARE_BODY(NeOp, UNE, ne, ne)
COMPARE_BODY(LtOp, OLT, slt, ult)
COMPARE_BODY(LeOp, OLE, sle, ule)
COMPARE_BODY(GtOp, OGT, sgt, ugt)
COMPARE_BODY(GeOp, OGE, sge, uge)
#undef COMPARE_BODY

//===----------------------------------------------------------------------===//
// select, convert
//===----------------------------------------------------------------------===//

Value SelectOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
}

namespace {
/// f64 -> f16/bf16 rounded once. LLVM lowers these to compiler-rt calls
/// the JIT lacks; going through f32 would round twice. So: to f32 rounded to
/// odd, after which the rounding to the half type is the only one that
/// counts (f32 keeps more than 2 bits beyond their precision).
Value f64ToHalf(OpBuilder &b, Location loc, Value x, Type half) {
  Emitter e{b, loc};
  Type f64 = x.getType(), f32 = b.getF32Type(), i32 = b.getI32Type();
  Value narrow = b.create<arith::TruncFOp>(loc, f32, x);
  Value back = b.create<arith::ExtFOp>(loc, f64, narrow);
  Value bits = b.create<arith::BitcastOp>(loc, i32, narrow);
  Value absBack = b.create<math::AbsFOp>(loc, back);
  Value absX = b.create<math::AbsFOp>(loc, x);
  Value finite = e.cmpf(arith::CmpFPredicate::ONE, absBack,
                        e.constFloat(f64, std::numeric_limits<double>::infinity()));
  // Rounded away from zero: step back toward zero, then mark inexact.
  Value roundedUp = e.bitAnd(e.cmpf(arith::CmpFPredicate::OGT, absBack, absX), finite);
  bits = e.select(roundedUp, b.create<arith::SubIOp>(loc, bits, e.constInt(i32, 1)), bits);
  Value inexact = e.bitAnd(e.cmpf(arith::CmpFPredicate::ONE, back, x), finite);
  bits = e.select(inexact, e.bitOr(bits, e.constInt(i32, 1)), bits);
  Value odd = b.create<arith::BitcastOp>(loc, f32, bits);
  return b.create<arith::TruncFOp>(loc, half, odd);
}
} // namespace

Value ConvertOp::buildScalarBody(OpBuilder &b, Location loc, ValueRange args) {
  Emitter e{b, loc};
  Value x = args[0];
  Type from = x.getType(), to = getType().getElementType();
  if (from == to)
    return x;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  bool fromBool = from.isInteger(1);
  if ((to.isBF16() && !fromBool && (from.isF64() || !fromFloat)) ||
      (to.isF16() && from.isF64())) {
    // Integers go through f64 (exact for i32) and then round once.
    if (!fromFloat)
      x = b.create<arith::SIToFPOp>(loc, b.getF64Type(), x);
    return f64ToHalf(b, loc, x, to);
  }
  if (to.isInteger(1))
    return fromFloat ? e.cmpf(arith::CmpFPredicate::UNE, x, e.zero(from))
                     : e.cmpi(arith::CmpIPredicate::ne, x, e.zero(from));
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return b.create<arith::ExtFOp>(loc, to, x);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return b.create<arith::TruncFOp>(loc, to, x);
    // f16 <-> bf16: through f32, exact on the way up.
    Value wide = b.create<arith::ExtFOp>(loc, b.getF32Type(), x);
    return b.create<arith::TruncFOp>(loc, to, wide);
  }
  if (toFloat)
    return fromBool ? b.create<arith::UIToFPOp>(loc, to, x).getResult()
                    : b.create<arith::SIToFPOp>(loc, to, x).getResult();
  if (fromFloat) {
    // Truncate toward zero, saturate, NaN -> 0. 2^(bits-1) is a power of two,
    // exact in every float type that can hold it (inf in f16, which is fine).
    unsigned bits = to.getIntOrFloatBitWidth();
    Value limit = e.constFloat(from, std::ldexp(1.0, bits - 1));
    Value lowest = b.create<arith::NegFOp>(loc, limit);
    Value inRange = e.bitAnd(e.cmpf(arith::CmpFPredicate::OGT, x, lowest),
                             e.cmpf(arith::CmpFPredicate::OLT, x, limit));
    // Only in-range values reach fptosi, whose result is undefined otherwise.
    Value converted =
        b.create<arith::FPToSIOp>(loc, to, e.select(inRange, x, e.zero(from)));
    llvm::APInt minValue = llvm::APInt::getSignedMinValue(bits);
    llvm::APInt maxValue = llvm::APInt::getSignedMaxValue(bits);
    Value saturated = e.select(e.cmpf(arith::CmpFPredicate::OGE, x, limit),
                               e.constInt(to, maxValue.getSExtValue()), converted);
    return e.select(e.cmpf(arith::CmpFPredicate::OLE, x, lowest),
                    e.constInt(to, minValue.getSExtValue()), saturated);
  }
  unsigned fromBits = from.getIntOrFloatBitWidth(), toBits = to.getIntOrFloatBitWidth();
  if (fromBits > toBits)
    return b.create<arith::TruncIOp>(loc, to, x);
  return fromBool ? b.create<arith::ExtUIOp>(loc, to, x).getResult()
                  : b.create<arith::ExtSIOp>(loc, to, x).getResult();
}

//===----------------------------------------------------------------------===//
// The entry point, with f16/bf16 promotion
//===----------------------------------------------------------------------===//

Value mlir::mlopt::buildElementwiseBody(Operation *op, OpBuilder &builder,
                                        Location loc, ValueRange args) {
  auto body = dyn_cast<ScalarBodyInterface>(op);
  if (!body)
    return {};
  // select and convert move values unchanged or convert them exactly once.
  bool promote = !isa<SelectOp, ConvertOp>(op);
  SmallVector<Value> promoted;
  bool anyPromoted = false;
  for (Value arg : args) {
    if (promote && (arg.getType().isF16() || arg.getType().isBF16())) {
      promoted.push_back(builder.create<arith::ExtFOp>(loc, builder.getF32Type(), arg));
      anyPromoted = true;
    } else {
      promoted.push_back(arg);
    }
  }
  Value result = body.buildScalarBody(builder, loc, promoted);
  Type resultType = cast<ShapedType>(op->getResult(0).getType()).getElementType();
  if (anyPromoted && result.getType() != resultType)
    result = builder.create<arith::TruncFOp>(loc, resultType, result);
  return result;
}
