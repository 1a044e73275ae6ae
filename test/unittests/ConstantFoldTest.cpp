//===- ConstantFoldTest.cpp - the element-wise constant folder ------------===//

#include "ir/ConstantFold.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"
#include <cmath>
#include <limits>

using namespace mlir;
namespace fold = mlir::mlopt::fold;

namespace {

class ConstantFoldTest : public ::testing::Test {
protected:
  RankedTensorType tensor(Type element, int64_t n) {
    return RankedTensorType::get({n}, element);
  }
  DenseElementsAttr floats(llvm::ArrayRef<float> values) {
    return DenseElementsAttr::get(tensor(b.getF32Type(), values.size()), values);
  }
  DenseElementsAttr ints(llvm::ArrayRef<int32_t> values) {
    return DenseElementsAttr::get(tensor(b.getI32Type(), values.size()), values);
  }
  std::vector<int64_t> intValues(Attribute attr) {
    std::vector<int64_t> out;
    for (const llvm::APInt &v : cast<DenseElementsAttr>(attr).getValues<llvm::APInt>())
      out.push_back(v.getBitWidth() == 1 ? v.getZExtValue() : v.getSExtValue());
    return out;
  }
  std::vector<double> floatValues(Attribute attr) {
    std::vector<double> out;
    for (const llvm::APFloat &v : cast<DenseElementsAttr>(attr).getValues<llvm::APFloat>()) {
      bool lost;
      llvm::APFloat d = v;
      d.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
      out.push_back(d.convertToDouble());
    }
    return out;
  }
  MLIRContext context;
  Builder b{&context};
};

TEST_F(ConstantFoldTest, FloatToIntTruncatesSaturatesAndMapsNanToZero) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  Attribute out = fold::convert(floats({2.9f, -2.9f, 1e20f, -1e20f, nan, inf}),
                                tensor(b.getI32Type(), 6));
  ASSERT_TRUE(out);
  EXPECT_EQ(intValues(out), (std::vector<int64_t>{2, -2, INT32_MAX, INT32_MIN, 0,
                                                  INT32_MAX}));
}

TEST_F(ConstantFoldTest, ConversionsToBoolAndBetweenIntegers) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Attribute toBool = fold::convert(floats({0.0f, -0.0f, 0.5f, nan}),
                                   tensor(b.getI1Type(), 4));
  EXPECT_EQ(intValues(toBool), (std::vector<int64_t>{0, 0, 1, 1}));
  // i64 -> i32 wraps; i32 -> i64 sign-extends; bool -> int is 0/1.
  auto i64 = DenseElementsAttr::get(tensor(b.getI64Type(), 2),
                                    llvm::ArrayRef<int64_t>{(1ll << 32) + 5, -1});
  EXPECT_EQ(intValues(fold::convert(i64, tensor(b.getI32Type(), 2))),
            (std::vector<int64_t>{5, -1}));
  EXPECT_EQ(intValues(fold::convert(ints({-7}), tensor(b.getI64Type(), 1))),
            (std::vector<int64_t>{-7}));
  auto bools = DenseElementsAttr::get(tensor(b.getI1Type(), 2),
                                      llvm::ArrayRef<bool>{true, false});
  EXPECT_EQ(intValues(fold::convert(bools, tensor(b.getI32Type(), 2))),
            (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(floatValues(fold::convert(bools, tensor(b.getF32Type(), 2))),
            (std::vector<double>{1.0, 0.0}));
}

TEST_F(ConstantFoldTest, FloatToHalfRoundsToNearestEvenAndOverflowsToInf) {
  Attribute out = fold::convert(floats({1.0f + 1.0f / 2048, 70000.0f}),
                                tensor(b.getF16Type(), 2));
  std::vector<double> values = floatValues(out);
  EXPECT_EQ(values[0], 1.0); // halfway between 1 and 1 + 2^-10: even is 1
  EXPECT_TRUE(std::isinf(values[1]));
}

TEST_F(ConstantFoldTest, BinaryEvaluatesPerElementAndRefusesUndefined) {
  Attribute sum = fold::binary(
      ints({INT32_MAX, 1}), ints({1, 2}), nullptr,
      [](int64_t x, int64_t y) -> std::optional<int64_t> { return x + y; });
  EXPECT_EQ(intValues(sum), (std::vector<int64_t>{INT32_MIN, 3}));
  Attribute undefined = fold::binary(
      ints({1}), ints({0}), nullptr,
      [](int64_t, int64_t y) -> std::optional<int64_t> {
        if (y == 0)
          return std::nullopt;
        return 0;
      });
  EXPECT_FALSE(undefined);
  // No float rule: no fold.
  EXPECT_FALSE(fold::binary(floats({1}), floats({2}), nullptr, nullptr));
}

TEST_F(ConstantFoldTest, CompareGivesBools) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Attribute lt = fold::compare(
      floats({1, 2, nan}), floats({2, 2, 1}),
      [](double x, double y) { return x < y; }, nullptr);
  EXPECT_EQ(cast<DenseElementsAttr>(lt).getElementType(), b.getI1Type());
  EXPECT_EQ(intValues(lt), (std::vector<int64_t>{1, 0, 0}));
}

TEST_F(ConstantFoldTest, LargeNonSplatConstantsAreNotFolded) {
  std::vector<float> big(fold::kMaxFoldElements + 1, 1.0f);
  big[0] = 2.0f;
  EXPECT_FALSE(fold::getFoldable(floats(big)));
  auto splat = DenseElementsAttr::get(
      RankedTensorType::get({1 << 20, 1 << 10}, b.getF32Type()), 3.0f);
  Attribute doubled = fold::unary(splat, [](double x) { return 2 * x; }, nullptr);
  ASSERT_TRUE(doubled);
  EXPECT_TRUE(cast<DenseElementsAttr>(doubled).isSplat());
}

TEST_F(ConstantFoldTest, SplatPredicatesAreBitExact) {
  EXPECT_TRUE(fold::isSplatFloat(floats({-0.0f}), -0.0));
  EXPECT_FALSE(fold::isSplatFloat(floats({-0.0f}), 0.0));
  EXPECT_FALSE(fold::isSplatFloat(floats({0.0f}), -0.0));
  EXPECT_TRUE(fold::isSplatInt(ints({5, 5}), 5));
  EXPECT_FALSE(fold::isSplatInt(ints({5, 6}), 5));
}

} // namespace
