//===- ElementwiseToLinalg.cpp - elementwise mlopt ops -> linalg.generic --===//

#include "codegen/MloptToLinalg/Patterns.h"
#include "ir/MloptOps.h"
#include "ir/ScalarBody.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

Value lowering::dimOf(OpBuilder &b, Location loc, Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return b.create<arith::ConstantIndexOp>(loc, type.getDimSize(dim));
  return b.create<tensor::DimOp>(loc, tensor, dim);
}

Value lowering::emptyOf(OpBuilder &b, Location loc, RankedTensorType type,
                        llvm::function_ref<Value(int64_t)> sizeOf) {
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(sizeOf(d));
  return b.create<tensor::EmptyOp>(loc, type, dynamic);
}

Value lowering::emptyLike(OpBuilder &b, Location loc, Value shapeSource,
                          Type elementType) {
  auto type = cast<RankedTensorType>(shapeSource.getType()).clone(elementType);
  return emptyOf(b, loc, type, [&](int64_t d) { return dimOf(b, loc, shapeSource, d); });
}

Value lowering::scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (isa<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, type, b.getFloatAttr(type, value));
  return b.create<arith::ConstantOp>(loc, type,
                                     b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value lowering::reshapeTo(OpBuilder &b, Location loc, Value value,
                          RankedTensorType type, llvm::ArrayRef<Value> dynamicSizes) {
  if (value.getType() == type)
    return value;
  // Static shapes: expand/collapse_shape, which elementwise fusion sees
  // through (keepdim reductions feeding broadcasts, as in softmax), where
  // tensor.reshape would end every fusion group.
  auto source = cast<RankedTensorType>(value.getType());
  if (source.hasStaticShape() && type.hasStaticShape()) {
    if (source.getRank() != type.getRank())
      if (auto groups = getReassociationIndicesForReshape(source, type)) {
        if (source.getRank() > type.getRank())
          return b.create<tensor::CollapseShapeOp>(loc, type, value, *groups);
        return b.create<tensor::ExpandShapeOp>(loc, type, value, *groups);
      }
    // Any other static reshape: through one dim.
    if (source.getRank() > 0 && type.getRank() > 0) {
      auto flat = RankedTensorType::get({source.getNumElements()}, source.getElementType());
      ReassociationIndices all;
      Value line = value;
      if (source.getRank() != 1) {
        for (int64_t d = 0; d < source.getRank(); ++d)
          all.push_back(d);
        line = b.create<tensor::CollapseShapeOp>(loc, flat, value,
                                                 ArrayRef<ReassociationIndices>{all});
      }
      if (type.getRank() == 1)
        return line;
      ReassociationIndices out;
      for (int64_t d = 0; d < type.getRank(); ++d)
        out.push_back(d);
      return b.create<tensor::ExpandShapeOp>(loc, type, line, ArrayRef<ReassociationIndices>{out});
    }
  }
  SmallVector<Value> sizes;
  size_t next = 0;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d)
                        ? dynamicSizes[next++]
                        : b.create<arith::ConstantIndexOp>(loc, type.getDimSize(d)));
  auto shapeType = RankedTensorType::get({type.getRank()}, b.getIndexType());
  Value shape = b.create<tensor::FromElementsOp>(loc, shapeType, sizes);
  return b.create<tensor::ReshapeOp>(loc, type, value, shape);
}

void lowering::replaceKeepingType(PatternRewriter &rewriter, Operation *op, Value value) {
  Type type = op->getResult(0).getType();
  if (value.getType() != type)
    value = rewriter.create<tensor::CastOp>(op->getLoc(), type, value);
  rewriter.replaceOp(op, value);
}

SmallVector<utils::IteratorType> lowering::parallel(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

Value lowering::broadcastInto(OpBuilder &b, Location loc, Value operand, Value init,
                              llvm::ArrayRef<int64_t> dims) {
  auto in = cast<RankedTensorType>(operand.getType());
  auto out = cast<RankedTensorType>(init.getType());
  SmallVector<AffineExpr> reads;
  for (auto [i, dim] : llvm::enumerate(dims)) {
    bool stretched = in.getDimSize(i) == 1 && out.getDimSize(dim) != 1;
    reads.push_back(stretched ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(dim));
  }
  int64_t rank = out.getRank();
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, reads, b.getContext()),
                                 b.getMultiDimIdentityMap(rank)};
  return b
      .create<linalg::GenericOp>(loc, TypeRange{out}, ValueRange{operand}, ValueRange{init},
                                 maps, parallel(rank),
                                 [](OpBuilder &nb, Location nested, ValueRange args) {
                                   nb.create<linalg::YieldOp>(nested, args[0]);
                                 })
      .getResult(0);
}

namespace {

/// Any op with a scalar body becomes a linalg.generic over its result.
struct ElementwiseToGeneric : OpInterfaceRewritePattern<ScalarBodyInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(ScalarBodyInterface body,
                                PatternRewriter &rewriter) const override {
    Operation *op = body;
    Location loc = op->getLoc();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    // Every operand has the result's shape; sizes come from the last operand
    // (for select, the first value operand rather than the condition).
    Value init = emptyLike(rewriter, loc, op->getOperands().back(),
                           resultType.getElementType());
    int64_t rank = resultType.getRank();
    SmallVector<AffineMap> maps(op->getNumOperands() + 1,
                                rewriter.getMultiDimIdentityMap(rank));
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{init.getType()}, op->getOperands(), ValueRange{init}, maps,
        parallel(rank), [&](OpBuilder &b, Location nested, ValueRange args) {
          Value result =
              buildElementwiseBody(op, b, nested, args.drop_back());
          b.create<linalg::YieldOp>(nested, result);
        });
    replaceKeepingType(rewriter, op, generic.getResult(0));
    return success();
  }
};

struct ConstantToArith : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op, PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getType(),
                                                   cast<TypedAttr>(op.getValue()));
    return success();
  }
};

/// Operand dim i is read at result dim dims[i], or at 0 where a static size-1
/// dim is stretched. A `?` operand dim is not stretched: it equals its result
/// dim at run time (docs/dialect.md).
struct BroadcastToGeneric : OpRewritePattern<BroadcastInDimOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastInDimOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType out = op.getType();
    auto sizes = op.getDynamicSizes();
    size_t next = 0;
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (out.isDynamicDim(d))
        dynamic.push_back(sizes[next++]);
    Value init = rewriter.create<tensor::EmptyOp>(loc, out, dynamic);
    rewriter.replaceOp(op, broadcastInto(rewriter, loc, op.getOperand(), init,
                                         op.getBroadcastDimensions()));
    return success();
  }
};

struct TransposeToLinalg : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> perm = op.getPermutation();
    Value init = emptyOf(rewriter, loc, op.getType(), [&](int64_t d) {
      return dimOf(rewriter, loc, op.getOperand(), perm[d]);
    });
    auto transpose = rewriter.create<linalg::TransposeOp>(loc, op.getOperand(), init, perm);
    replaceKeepingType(rewriter, op, transpose->getResult(0));
    return success();
  }
};

struct IotaToGeneric : OpRewritePattern<IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IotaOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value init = rewriter.create<tensor::EmptyOp>(loc, type, op.getDynamicSizes());
    int64_t rank = type.getRank(), dim = op.getDim();
    Type element = type.getElementType();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type}, ValueRange{}, ValueRange{init},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        parallel(rank), [&](OpBuilder &b, Location nested, ValueRange) {
          Value index = b.create<linalg::IndexOp>(nested, dim);
          Value i64 = b.create<arith::IndexCastOp>(nested, b.getI64Type(), index);
          Value value;
          if (isa<FloatType>(element))
            value = b.create<arith::SIToFPOp>(nested, element, i64);
          else if (element.getIntOrFloatBitWidth() < 64)
            value = b.create<arith::TruncIOp>(nested, element, i64);
          else
            value = i64;
          b.create<linalg::YieldOp>(nested, value);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::mlopt::populateElementwiseToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ElementwiseToGeneric>(patterns.getContext());
  patterns.add<ConstantToArith, BroadcastToGeneric, TransposeToLinalg, IotaToGeneric>(
      patterns.getContext());
}
