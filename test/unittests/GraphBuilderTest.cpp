//===- GraphBuilderTest.cpp - the IR-building API the tracer uses ---------===//

#include "frontend/GraphBuilder.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::mlopt;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class GraphBuilderTest : public ::testing::Test {
protected:
  RankedTensorType f32(llvm::ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }
  std::string print(Operation *op) {
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os);
    return text;
  }
  MLIRContext context;
};

TEST_F(GraphBuilderTest, BuildsAnMlpThatVerifiesAndReparses) {
  GraphBuilder g(context, "mlp");
  Value x = g.addArgument(f32({kDyn, 784}));
  Value w = g.addArgument(f32({784, 128}));
  Value b = g.addArgument(f32({128}));
  FailureOr<Value> h = g.create("mlopt.matmul", {x, w});
  ASSERT_TRUE(succeeded(h)) << g.error();
  EXPECT_EQ(h->getType(), f32({kDyn, 128}));
  FailureOr<Value> y = g.binary("mlopt.add", *h, b);
  ASSERT_TRUE(succeeded(y)) << g.error();
  EXPECT_EQ(y->getType(), f32({kDyn, 128}));
  // The bias broadcast reads the batch size from the matmul at run time.
  auto bcast = y->getDefiningOp()->getOperand(1).getDefiningOp<BroadcastInDimOp>();
  ASSERT_TRUE(bcast);
  EXPECT_EQ(bcast.getDynamicSizes().size(), 1u);
  EXPECT_EQ(bcast.getBroadcastDimensions(), llvm::ArrayRef<int64_t>({1}));

  FailureOr<OwningOpRef<ModuleOp>> module = g.finish({*y});
  ASSERT_TRUE(succeeded(module)) << g.error();
  auto func = cast<func::FuncOp>((**module).getBody()->front());
  EXPECT_EQ(func.getName(), "mlp");
  EXPECT_EQ(func.getResultTypes()[0], f32({kDyn, 128}));

  std::string text = print(**module);
  OwningOpRef<ModuleOp> reparsed = parseSourceString<ModuleOp>(text, &context);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(print(*reparsed), text);
}

TEST_F(GraphBuilderTest, BroadcastsLikePyTorch) {
  using Shape = SmallVector<int64_t>;
  EXPECT_EQ(*GraphBuilder::broadcastShapes({3, 1}, {4}), Shape({3, 4}));
  EXPECT_EQ(*GraphBuilder::broadcastShapes({}, {2, 3}), Shape({2, 3}));
  EXPECT_EQ(*GraphBuilder::broadcastShapes({kDyn, 1}, {1, 5}), Shape({kDyn, 5}));
  EXPECT_EQ(*GraphBuilder::broadcastShapes({kDyn}, {7}), Shape({7}));
  EXPECT_EQ(*GraphBuilder::broadcastShapes({0}, {1}), Shape({0}));
  EXPECT_TRUE(failed(GraphBuilder::broadcastShapes({3}, {4})));
  EXPECT_TRUE(failed(GraphBuilder::broadcastShapes({2, 3}, {0})));
}

TEST_F(GraphBuilderTest, ShapeErrorsNameTheShapesAndBuildNothing) {
  GraphBuilder g(context);
  Value a = g.addArgument(f32({2, 3}));
  Value b = g.addArgument(f32({4, 5}));
  FailureOr<Value> mm = g.create("mlopt.matmul", {a, b});
  ASSERT_TRUE(failed(mm));
  EXPECT_NE(g.error().find("tensor<2x3xf32>"), std::string::npos) << g.error();
  EXPECT_NE(g.error().find("tensor<4x5xf32>"), std::string::npos) << g.error();

  FailureOr<Value> sum = g.binary("mlopt.add", a, b);
  ASSERT_TRUE(failed(sum));
  EXPECT_NE(g.error().find("[2, 3] and [4, 5]"), std::string::npos) << g.error();

  // Attributes the shape rule rejects, and ops that do not exist.
  Builder attrs(&context);
  FailureOr<Value> t = g.create(
      "mlopt.transpose", {a},
      attrs.getNamedAttr("permutation", attrs.getDenseI64ArrayAttr({0, 0})));
  ASSERT_TRUE(failed(t));
  EXPECT_NE(g.error().find("not a permutation"), std::string::npos) << g.error();
  EXPECT_TRUE(failed(g.create("mlopt.transpose", {a})));
  EXPECT_TRUE(failed(g.create("mlopt.no_such_op", {a})));
  EXPECT_TRUE(failed(g.create("mlopt.exp", {a, b})));

  // Nothing invalid was left behind: the function still verifies.
  FailureOr<OwningOpRef<ModuleOp>> module = g.finish({a});
  ASSERT_TRUE(succeeded(module)) << g.error();
  EXPECT_EQ(print(**module).find("mlopt."), std::string::npos);
}

TEST_F(GraphBuilderTest, ExplicitResultTypesAreVerified) {
  GraphBuilder g(context);
  Value a = g.addArgument(f32({2, 3}));
  FailureOr<Value> r = g.create("mlopt.reshape", {a}, {}, f32({3, 2}));
  ASSERT_TRUE(succeeded(r)) << g.error();
  FailureOr<Value> bad = g.create("mlopt.reshape", {a}, {}, f32({4, 2}));
  ASSERT_TRUE(failed(bad));
  EXPECT_NE(g.error().find("6 elements"), std::string::npos) << g.error();
  EXPECT_NE(g.error().find("8 elements"), std::string::npos) << g.error();
  EXPECT_TRUE(failed(g.create("mlopt.reshape", {a})));
}

TEST_F(GraphBuilderTest, ConstantsAndReductions) {
  GraphBuilder g(context);
  Value x = g.addArgument(f32({4, kDyn}));
  auto type = f32({});
  FailureOr<Value> two = g.constant(DenseElementsAttr::get(type, 2.0f));
  ASSERT_TRUE(succeeded(two)) << g.error();
  FailureOr<Value> scaled = g.binary("mlopt.mul", x, *two);
  ASSERT_TRUE(succeeded(scaled)) << g.error();
  EXPECT_EQ(scaled->getType(), f32({4, kDyn}));
  Builder attrs(&context);
  FailureOr<Value> sum = g.create(
      "mlopt.sum", {*scaled},
      {attrs.getNamedAttr("dims", attrs.getDenseI64ArrayAttr({1})),
       attrs.getNamedAttr("keepdim", attrs.getUnitAttr())});
  ASSERT_TRUE(succeeded(sum)) << g.error();
  EXPECT_EQ(sum->getType(), f32({4, 1}));
  FailureOr<Value> argmax = g.create(
      "mlopt.argmax", {*scaled}, attrs.getNamedAttr("dim", attrs.getI64IntegerAttr(0)));
  ASSERT_TRUE(succeeded(argmax)) << g.error();
  EXPECT_EQ(argmax->getType(),
            RankedTensorType::get({kDyn}, IntegerType::get(&context, 64)));
  EXPECT_TRUE(succeeded(g.finish({*sum, *argmax})));
}

TEST_F(GraphBuilderTest, FinishTwiceFails) {
  GraphBuilder g(context);
  Value a = g.addArgument(f32({1}));
  EXPECT_TRUE(succeeded(g.finish({a})));
  EXPECT_TRUE(failed(g.finish({a})));
}

} // namespace
