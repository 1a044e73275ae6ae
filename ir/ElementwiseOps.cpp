//===- ElementwiseOps.cpp - constant, unary, binary, select, convert ------===//

#include "ir/ConstantFold.h"
#include "ir/MloptOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;

namespace {
using OptInt = std::optional<int64_t>;

// Integer arithmetic wraps (two's complement), as PyTorch's does.
int64_t wrapAdd(int64_t x, int64_t y) { return int64_t(uint64_t(x) + uint64_t(y)); }
int64_t wrapSub(int64_t x, int64_t y) { return int64_t(uint64_t(x) - uint64_t(y)); }
int64_t wrapMul(int64_t x, int64_t y) { return int64_t(uint64_t(x) * uint64_t(y)); }

template <typename T> T signOf(T x) { return T((T(0) < x) - (x < T(0))); }

/// A splat constant of `type` (which must be static), built from `value`.
Attribute splatLike(Type type, int64_t value) {
  auto tensor = cast<RankedTensorType>(type);
  if (!tensor.hasStaticShape())
    return {};
  Type element = tensor.getElementType();
  return DenseElementsAttr::get(
      tensor, llvm::APInt(element.getIntOrFloatBitWidth(), value, true));
}
/// The constant value of `value` for identity checks: its folded attribute,
/// or the splat constant a broadcast_in_dim stretches (traced code broadcasts
/// every Python scalar, with dynamic sizes, so it is no constant itself).
Attribute splatOf(Value value, Attribute folded) {
  if (folded)
    return folded;
  auto broadcast = value.getDefiningOp<BroadcastInDimOp>();
  if (!broadcast)
    return {};
  auto constant = broadcast.getOperand().getDefiningOp<ConstantOp>();
  if (!constant)
    return {};
  auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
  return splat;
}

/// For commutative ops: the operand that is not the identity `isIdentity`.
Value foldCommutativeIdentity(Value lhs, Attribute lhsConst, Value rhs,
                              Attribute rhsConst,
                              llvm::function_ref<bool(Attribute)> isIdentity) {
  if (isIdentity(splatOf(rhs, rhsConst)))
    return lhs;
  if (isIdentity(splatOf(lhs, lhsConst)))
    return rhs;
  return {};
}
} // namespace

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  ElementsAttr value = adaptor.getValueAttr();
  if (!value)
    return emitOptionalError(loc, "'mlopt.constant' needs a 'value' attribute");
  types.push_back(value.getType());
  return success();
}

LogicalResult ConstantOp::verify() {
  auto type = dyn_cast<RankedTensorType>(getValue().getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("value must have a statically shaped tensor type, got ")
           << getValue().getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

#define FLOAT_UNARY_FOLD(OP, EXPR)                                             \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                 \
    return fold::unary(adaptor.getOperand(), [](double x) { return EXPR; },    \
                       nullptr);                                               \
  }
FLOAT_UNARY_FOLD(ExpOp, std::exp(x))
FLOAT_UNARY_FOLD(LogOp, std::log(x))
FLOAT_UNARY_FOLD(Log1pOp, std::log1p(x))
FLOAT_UNARY_FOLD(Expm1Op, std::expm1(x))
FLOAT_UNARY_FOLD(SqrtOp, std::sqrt(x))
FLOAT_UNARY_FOLD(RsqrtOp, 1.0 / std::sqrt(x))
FLOAT_UNARY_FOLD(SinOp, std::sin(x))
FLOAT_UNARY_FOLD(CosOp, std::cos(x))
FLOAT_UNARY_FOLD(TanhOp, std::tanh(x))
FLOAT_UNARY_FOLD(ReluOp, x <= 0 ? 0.0 : x)
FLOAT_UNARY_FOLD(SigmoidOp, 1.0 / (1.0 + std::exp(-x)))
FLOAT_UNARY_FOLD(ErfOp, std::erf(x))
FLOAT_UNARY_FOLD(FloorOp, std::floor(x))
FLOAT_UNARY_FOLD(CeilOp, std::ceil(x))
// nearbyint rounds halfway cases to even in the default rounding mode.
FLOAT_UNARY_FOLD(RoundOp, std::nearbyint(x))
#undef FLOAT_UNARY_FOLD

// Folds only a constant operand (which has no gradient anyway): folding any
// other operand would let a gradient taken later (mlopt-autodiff after
// canonicalization) flow through. Lowering makes it a plain copy, which
// fusion removes.
OpFoldResult StopGradientOp::fold(FoldAdaptor adaptor) {
  return adaptor.getOperand(); // the constant attribute, or null
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getOperand().getDefiningOp<NegOp>())
    return inner.getOperand();
  return fold::unary(
      adaptor.getOperand(), [](double x) { return -x; },
      [](int64_t x) -> OptInt { return wrapSub(0, x); });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getOperand().getDefiningOp<AbsOp>())
    return inner.getResult();
  return fold::unary(
      adaptor.getOperand(), [](double x) { return std::fabs(x); },
      [](int64_t x) -> OptInt { return x < 0 ? wrapSub(0, x) : x; });
}

// (0 < x) - (x < 0), as torch.sign: NaN gives 0.
OpFoldResult SignOp::fold(FoldAdaptor adaptor) {
  return fold::unary(
      adaptor.getOperand(), [](double x) { return signOf(x); },
      [](int64_t x) -> OptInt { return signOf(x); });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getOperand().getDefiningOp<NotOp>())
    return inner.getOperand();
  // ~x: on i1 the truncation makes it logical not.
  return fold::unary(adaptor.getOperand(), nullptr,
                     [](int64_t x) -> OptInt { return ~x; });
}

LogicalResult IsNanOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getOperand().getType());
  if (!type)
    return emitOptionalError(loc, "'mlopt.isnan' expects a ranked tensor, got ",
                             adaptor.getOperand().getType());
  types.push_back(type.clone(IntegerType::get(context, 1)));
  return success();
}

OpFoldResult IsNanOp::fold(FoldAdaptor adaptor) {
  return fold::compare(
      adaptor.getOperand(), adaptor.getOperand(),
      [](double x, double) { return std::isnan(x); },
      [](int64_t, int64_t) { return false; });
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0.0 is not x for x = -0.0; x + -0.0 is x for every float.
  if (Value x = foldCommutativeIdentity(
          getLhs(), adaptor.getLhs(), getRhs(), adaptor.getRhs(), [](Attribute c) {
            return fold::isSplatInt(c, 0) || fold::isSplatFloat(c, -0.0);
          }))
    return x;
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(), [](double x, double y) { return x + y; },
      [](int64_t x, int64_t y) -> OptInt { return wrapAdd(x, y); });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  Attribute rhs = splatOf(getRhs(), adaptor.getRhs());
  if (fold::isSplatInt(rhs, 0) || fold::isSplatFloat(rhs, 0.0))
    return getLhs();
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(), [](double x, double y) { return x - y; },
      [](int64_t x, int64_t y) -> OptInt { return wrapSub(x, y); });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (Value x = foldCommutativeIdentity(
          getLhs(), adaptor.getLhs(), getRhs(), adaptor.getRhs(), [](Attribute c) {
            return fold::isSplatInt(c, 1) || fold::isSplatFloat(c, 1.0);
          }))
    return x;
  // x * 0 is 0 for integers only: for floats, inf * 0 and NaN * 0 are NaN.
  if (fold::isSplatInt(adaptor.getRhs(), 0))
    if (Attribute zero = splatLike(getType(), 0))
      return zero;
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(), [](double x, double y) { return x * y; },
      [](int64_t x, int64_t y) -> OptInt { return wrapMul(x, y); });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  Attribute rhs = splatOf(getRhs(), adaptor.getRhs());
  if (fold::isSplatInt(rhs, 1) || fold::isSplatFloat(rhs, 1.0))
    return getLhs();
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(), [](double x, double y) { return x / y; },
      [](int64_t x, int64_t y) -> OptInt {
        if (y == 0)
          return std::nullopt; // a run-time error, not a constant
        return y == -1 ? wrapSub(0, x) : x / y;
      });
}

namespace {
/// Python's float divmod: the remainder has the sign of the divisor.
double pyMod(double x, double y) {
  double mod = std::fmod(x, y);
  if (mod != 0 && ((y < 0) != (mod < 0)))
    mod += y;
  return mod;
}

double pyFloorDiv(double x, double y) {
  if (y == 0)
    return x / y;
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0 && ((y < 0) != (mod < 0)))
    div -= 1;
  if (div == 0)
    return std::copysign(0.0, x / y);
  double floorDiv = std::floor(div);
  return div - floorDiv > 0.5 ? floorDiv + 1 : floorDiv;
}

OptInt intFloorDiv(int64_t x, int64_t y) {
  if (y == 0)
    return std::nullopt;
  if (y == -1)
    return wrapSub(0, x);
  int64_t q = x / y;
  if (x % y != 0 && ((x < 0) != (y < 0)))
    --q;
  return q;
}

OptInt intRemainder(int64_t x, int64_t y) {
  if (y == 0)
    return std::nullopt;
  if (y == -1)
    return 0;
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0)))
    r += y;
  return r;
}

OptInt intPow(int64_t base, int64_t exponent) {
  if (exponent < 0)
    return std::nullopt; // PyTorch raises for integers to negative powers
  int64_t result = 1;
  for (; exponent; exponent >>= 1, base = wrapMul(base, base))
    if (exponent & 1)
      result = wrapMul(result, base);
  return result;
}

double nanMax(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? NAN : (x > y ? x : y);
}
double nanMin(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? NAN : (x < y ? x : y);
}
} // namespace

OpFoldResult FloorDivOp::fold(FoldAdaptor adaptor) {
  return fold::binary(adaptor.getLhs(), adaptor.getRhs(), pyFloorDiv,
                      intFloorDiv);
}

OpFoldResult RemainderOp::fold(FoldAdaptor adaptor) {
  return fold::binary(adaptor.getLhs(), adaptor.getRhs(), pyMod, intRemainder);
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  Attribute rhs = splatOf(getRhs(), adaptor.getRhs());
  if (fold::isSplatInt(rhs, 1) || fold::isSplatFloat(rhs, 1.0))
    return getLhs();
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(),
      [](double x, double y) { return std::pow(x, y); }, intPow);
}

OpFoldResult MaximumOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs())
    return getLhs();
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(), nanMax,
      [](int64_t x, int64_t y) -> OptInt { return std::max(x, y); });
}

OpFoldResult MinimumOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs())
    return getLhs();
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(), nanMin,
      [](int64_t x, int64_t y) -> OptInt { return std::min(x, y); });
}

OpFoldResult Atan2Op::fold(FoldAdaptor adaptor) {
  return fold::binary(
      adaptor.getLhs(), adaptor.getRhs(),
      [](double y, double x) { return std::atan2(y, x); }, nullptr);
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  // All ones (-1; true for i1) is the identity of and, zero absorbs.
  if (getLhs() == getRhs() || fold::isSplatInt(adaptor.getRhs(), -1))
    return getLhs();
  if (fold::isSplatInt(adaptor.getRhs(), 0))
    return adaptor.getRhs();
  return fold::binary(adaptor.getLhs(), adaptor.getRhs(), nullptr,
                      [](int64_t x, int64_t y) -> OptInt { return x & y; });
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs() || fold::isSplatInt(adaptor.getRhs(), 0))
    return getLhs();
  if (fold::isSplatInt(adaptor.getRhs(), -1))
    return adaptor.getRhs();
  return fold::binary(adaptor.getLhs(), adaptor.getRhs(), nullptr,
                      [](int64_t x, int64_t y) -> OptInt { return x | y; });
}

OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  if (fold::isSplatInt(adaptor.getRhs(), 0))
    return getLhs();
  if (getLhs() == getRhs())
    if (Attribute zero = splatLike(getType(), 0))
      return zero;
  return fold::binary(adaptor.getLhs(), adaptor.getRhs(), nullptr,
                      [](int64_t x, int64_t y) -> OptInt { return x ^ y; });
}

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

namespace {
LogicalResult inferCompare(MLIRContext *context, std::optional<Location> loc,
                           Value lhs, Value rhs, SmallVectorImpl<Type> &types) {
  auto type = dyn_cast<RankedTensorType>(lhs.getType());
  if (!type || lhs.getType() != rhs.getType())
    return emitOptionalError(loc, "comparison operands must be ranked tensors "
                                  "of one type, got ",
                             lhs.getType(), " and ", rhs.getType());
  types.push_back(type.clone(IntegerType::get(context, 1)));
  return success();
}

/// x OP x is known for integers (not for floats: NaN != NaN).
OpFoldResult foldCompare(Operation *op, Attribute lhs, Attribute rhs,
                         bool selfResult, fold::FloatPredicate floatFn,
                         fold::IntPredicate intFn) {
  Value x = op->getOperand(0);
  if (x == op->getOperand(1) &&
      !isa<FloatType>(cast<RankedTensorType>(x.getType()).getElementType()))
    return splatLike(op->getResult(0).getType(), selfResult);
  return fold::compare(lhs, rhs, floatFn, intFn);
}
} // namespace

#define COMPARE_OP(OP, CMP, SELF)                                              \
  LogicalResult OP::inferReturnTypes(MLIRContext *context,                     \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferCompare(context, loc, adaptor.getLhs(), adaptor.getRhs(),      \
                        types);                                                \
  }                                                                            \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                 \
    return foldCompare(                                                        \
        *this, adaptor.getLhs(), adaptor.getRhs(), SELF,                       \
        [](double x, double y) { return x CMP y; },                            \
        [](int64_t x, int64_t y) { return x CMP y; });                         \
  }
COMPARE_OP(EqOp, ==, true)
COMPARE_OP(NeOp, !=, false)
COMPARE_OP(LtOp, <, false)
COMPARE_OP(LeOp, <=, true)
COMPARE_OP(GtOp, >, false)
COMPARE_OP(GeOp, >=, true)
#undef COMPARE_OP

//===----------------------------------------------------------------------===//
// select, convert
//===----------------------------------------------------------------------===//

LogicalResult SelectOp::verify() {
  if (failed(verifyCompatibleShape(getCond().getType(), getOnTrue().getType())))
    return emitOpError("condition shape ")
           << getCond().getType() << " differs from value shape "
           << getOnTrue().getType();
  return success();
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  if (getOnTrue() == getOnFalse())
    return getOnTrue();
  if (fold::isSplatInt(adaptor.getCond(), 1))
    return getOnTrue();
  if (fold::isSplatInt(adaptor.getCond(), 0))
    return getOnFalse();
  return {};
}

LogicalResult ConvertOp::verify() {
  if (failed(verifyCompatibleShape(getOperand().getType(), getType())))
    return emitOpError("changes the shape: ")
           << getOperand().getType() << " -> " << getType();
  return success();
}

OpFoldResult ConvertOp::fold(FoldAdaptor adaptor) {
  if (getOperand().getType() == getType())
    return getOperand();
  return fold::convert(adaptor.getOperand(), getType());
}
