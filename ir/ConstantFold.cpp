//===- ConstantFold.cpp - element-wise constant folding helpers -----------===//

#include "ir/ConstantFold.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/SmallVector.h"
#include <cmath>
#include <cstring>

using namespace mlir;
using llvm::APFloat;
using llvm::APInt;

namespace mlir::mlopt::fold {

DenseElementsAttr getFoldable(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseIntOrFPElementsAttr>(attr);
  if (!dense)
    return {};
  if (!dense.isSplat() && dense.getNumElements() > kMaxFoldElements)
    return {};
  return dense;
}

namespace {

double toDouble(const APFloat &value) {
  bool losesInfo = false;
  APFloat copy = value;
  copy.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  return copy.convertToDouble();
}

APFloat fromDouble(double value, Type elementType) {
  APFloat result(value);
  bool losesInfo = false;
  result.convert(cast<FloatType>(elementType).getFloatSemantics(),
                 APFloat::rmNearestTiesToEven, &losesInfo);
  return result;
}

int64_t toInt(const APInt &value) {
  // i1 is a bool (0 or 1), wider integers are signed.
  return value.getBitWidth() == 1 ? value.getZExtValue() : value.getSExtValue();
}

APInt fromInt(int64_t value, Type elementType) {
  unsigned width = elementType.getIntOrFloatBitWidth();
  return APInt(64, static_cast<uint64_t>(value), /*isSigned=*/true).trunc(width);
}

/// Evaluates `count` elements with `eval(i)` and builds the attribute; a
/// splat result is built from one evaluation.
template <typename T, typename Fn>
Attribute build(ShapedType type, bool splat, int64_t count, Fn eval) {
  llvm::SmallVector<T> values;
  for (int64_t i = 0, e = splat ? 1 : count; i < e; ++i) {
    std::optional<T> value = eval(i);
    if (!value)
      return {};
    values.push_back(*value);
  }
  return DenseElementsAttr::get(type, values);
}

} // namespace

Attribute unary(Attribute operand, FloatUnaryFn floatFn, IntUnaryFn intFn) {
  DenseElementsAttr in = getFoldable(operand);
  if (!in)
    return {};
  ShapedType type = in.getType();
  Type elementType = type.getElementType();
  if (isa<FloatType>(elementType)) {
    if (!floatFn)
      return {};
    auto values = in.getValues<APFloat>();
    return build<APFloat>(type, in.isSplat(), in.getNumElements(),
                          [&](int64_t i) -> std::optional<APFloat> {
                            return fromDouble(floatFn(toDouble(values[i])),
                                              elementType);
                          });
  }
  if (!intFn)
    return {};
  auto values = in.getValues<APInt>();
  return build<APInt>(type, in.isSplat(), in.getNumElements(),
                      [&](int64_t i) -> std::optional<APInt> {
                        std::optional<int64_t> r = intFn(toInt(values[i]));
                        if (!r)
                          return std::nullopt;
                        return fromInt(*r, elementType);
                      });
}

namespace {
/// Both operands as foldable constants of one type, or nulls.
std::pair<DenseElementsAttr, DenseElementsAttr> foldablePair(Attribute lhs,
                                                             Attribute rhs) {
  DenseElementsAttr a = getFoldable(lhs), b = getFoldable(rhs);
  if (!a || !b || a.getType() != b.getType())
    return {};
  return {a, b};
}
} // namespace

Attribute binary(Attribute lhs, Attribute rhs, FloatBinaryFn floatFn,
                 IntBinaryFn intFn) {
  auto [a, b] = foldablePair(lhs, rhs);
  if (!a)
    return {};
  ShapedType type = a.getType();
  Type elementType = type.getElementType();
  bool splat = a.isSplat() && b.isSplat();
  if (isa<FloatType>(elementType)) {
    if (!floatFn)
      return {};
    auto x = a.getValues<APFloat>(), y = b.getValues<APFloat>();
    return build<APFloat>(type, splat, a.getNumElements(),
                          [&](int64_t i) -> std::optional<APFloat> {
                            return fromDouble(
                                floatFn(toDouble(x[i]), toDouble(y[i])),
                                elementType);
                          });
  }
  if (!intFn)
    return {};
  auto x = a.getValues<APInt>(), y = b.getValues<APInt>();
  return build<APInt>(type, splat, a.getNumElements(),
                      [&](int64_t i) -> std::optional<APInt> {
                        std::optional<int64_t> r = intFn(toInt(x[i]), toInt(y[i]));
                        if (!r)
                          return std::nullopt;
                        return fromInt(*r, elementType);
                      });
}

Attribute compare(Attribute lhs, Attribute rhs, FloatPredicate floatFn,
                  IntPredicate intFn) {
  auto [a, b] = foldablePair(lhs, rhs);
  if (!a)
    return {};
  auto type = RankedTensorType::get(a.getType().getShape(),
                                    IntegerType::get(lhs.getContext(), 1));
  bool splat = a.isSplat() && b.isSplat();
  if (isa<FloatType>(a.getElementType())) {
    auto x = a.getValues<APFloat>(), y = b.getValues<APFloat>();
    return build<bool>(type, splat, a.getNumElements(), [&](int64_t i) {
      return std::optional<bool>(floatFn(toDouble(x[i]), toDouble(y[i])));
    });
  }
  auto x = a.getValues<APInt>(), y = b.getValues<APInt>();
  return build<bool>(type, splat, a.getNumElements(), [&](int64_t i) {
    return std::optional<bool>(intFn(toInt(x[i]), toInt(y[i])));
  });
}

namespace {
std::optional<APFloat> convertToFloat(Attribute in, int64_t i, Type from,
                                      const llvm::fltSemantics &to) {
  bool losesInfo = false;
  if (isa<FloatType>(from)) {
    APFloat value = cast<DenseElementsAttr>(in).getValues<APFloat>()[i];
    value.convert(to, APFloat::rmNearestTiesToEven, &losesInfo);
    return value;
  }
  APInt value = cast<DenseElementsAttr>(in).getValues<APInt>()[i];
  APFloat result(to);
  result.convertFromAPInt(value, /*IsSigned=*/value.getBitWidth() != 1,
                          APFloat::rmNearestTiesToEven);
  return result;
}

std::optional<APInt> convertToInt(Attribute in, int64_t i, Type from,
                                  unsigned width) {
  if (isa<FloatType>(from)) {
    APFloat value = cast<DenseElementsAttr>(in).getValues<APFloat>()[i];
    if (width == 1)
      return APInt(1, value.isZero() ? 0 : 1);
    // Truncates toward zero; out of range saturates and NaN gives 0, which
    // is what APFloat does on an invalid conversion.
    llvm::APSInt result(width, /*isUnsigned=*/false);
    bool isExact = false;
    (void)value.convertToInteger(result, APFloat::rmTowardZero, &isExact);
    return APInt(result);
  }
  APInt value = cast<DenseElementsAttr>(in).getValues<APInt>()[i];
  if (width == 1)
    return APInt(1, value.isZero() ? 0 : 1);
  return value.getBitWidth() == 1 ? value.zext(width) : value.sextOrTrunc(width);
}
} // namespace

Attribute convert(Attribute operand, RankedTensorType resultType) {
  DenseElementsAttr in = getFoldable(operand);
  if (!in || !resultType.hasStaticShape())
    return {};
  Type from = in.getElementType(), to = resultType.getElementType();
  if (auto floatType = dyn_cast<FloatType>(to))
    return build<APFloat>(resultType, in.isSplat(), in.getNumElements(),
                          [&](int64_t i) {
                            return convertToFloat(in, i, from,
                                                  floatType.getFloatSemantics());
                          });
  return build<APInt>(resultType, in.isSplat(), in.getNumElements(),
                      [&](int64_t i) {
                        return convertToInt(in, i, from,
                                            to.getIntOrFloatBitWidth());
                      });
}

bool isSplatFloat(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  APFloat splat = dense.getSplatValue<APFloat>();
  return toDouble(splat) == value && splat.isNegative() == std::signbit(value);
}

bool isSplatInt(Attribute attr, int64_t value) {
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(attr);
  // Compared at the element width, so -1 is also true for i1.
  return dense && dense.isSplat() &&
         dense.getSplatValue<APInt>() == fromInt(value, dense.getElementType());
}

} // namespace mlir::mlopt::fold
