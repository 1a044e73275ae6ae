//===- StructuredToLinalg.cpp - reductions, matmul, conv2d ----------------===//

#include "codegen/MloptToLinalg/Patterns.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace {

bool isHalf(Type t) { return t.isF16() || t.isBF16(); }

/// f16/bf16 accumulate in f32, as PyTorch's CPU kernels do.
Type accumulatorType(Type element) {
  return isHalf(element) ? Float32Type::get(element.getContext()) : element;
}

/// Converts every element of `value` to `element` (f32 -> f16/bf16).
Value truncateTensor(OpBuilder &b, Location loc, Value value, Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == element)
    return value;
  int64_t rank = type.getRank();
  Value init = emptyLike(b, loc, value, element);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type.clone(element)}, ValueRange{value}, ValueRange{init}, maps,
          parallel(rank),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            nb.create<linalg::YieldOp>(
                nl, nb.create<arith::TruncFOp>(nl, element, args[0]).getResult());
          })
      .getResult(0);
}

/// The reduced shape (reduced dims dropped, or kept as size 1 with
/// `keepdim`: the generic then writes them through a constant 0 in its
/// result map, so no reshape separates it from a broadcasting consumer)
/// and the generic's maps/iterators.
struct ReductionShape {
  RankedTensorType reduced;
  SmallVector<AffineMap> maps;
  SmallVector<utils::IteratorType> iterators;
  SmallVector<int64_t> keptDims; // per result dim, the input dim it is
};

ReductionShape reductionShape(OpBuilder &b, RankedTensorType in,
                              llvm::ArrayRef<int64_t> dims, Type accType, bool keepdim) {
  ReductionShape s;
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (llvm::is_contained(dims, d)) {
      s.iterators.push_back(utils::IteratorType::reduction);
      if (keepdim) {
        shape.push_back(1);
        outExprs.push_back(b.getAffineConstantExpr(0));
        s.keptDims.push_back(d);
      }
      continue;
    }
    s.iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(in.getDimSize(d));
    outExprs.push_back(b.getAffineDimExpr(d));
    s.keptDims.push_back(d);
  }
  s.reduced = RankedTensorType::get(shape, accType);
  s.maps = {b.getMultiDimIdentityMap(in.getRank()),
            AffineMap::get(in.getRank(), 0, outExprs, b.getContext())};
  return s;
}

/// An empty tensor of the reduced shape filled with `init`.
Value filledReduced(OpBuilder &b, Location loc, Value operand, const ReductionShape &s,
                    Value init) {
  Value empty = emptyOf(b, loc, s.reduced, [&](int64_t d) {
    return dimOf(b, loc, operand, s.keptDims[d]);
  });
  return b.create<linalg::FillOp>(loc, init, empty).getResult(0);
}

enum class Combine { Sum, Prod, Max, Min, Any, All };

template <typename OpTy, Combine kind>
struct ReduceToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType in = op.getOperand().getType();
    Type element = in.getElementType();
    Type acc = accumulatorType(element);
    ReductionShape s = reductionShape(rewriter, in, op.getDims(), acc, op.getKeepdim());
    Value init = filledReduced(rewriter, loc, op.getOperand(), s, identity(rewriter, loc, acc));
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{s.reduced}, ValueRange{op.getOperand()}, ValueRange{init}, s.maps,
        s.iterators, [&](OpBuilder &b, Location nested, ValueRange args) {
          Value x = args[0];
          if (x.getType() != acc)
            x = b.create<arith::ExtFOp>(nested, acc, x);
          b.create<linalg::YieldOp>(nested, combine(b, nested, x, args[1]));
        });
    Value result = truncateTensor(rewriter, loc, generic.getResult(0), element);
    replaceKeepingType(rewriter, op, result);
    return success();
  }

  static Value identity(OpBuilder &b, Location loc, Type t) {
    bool isFloat = isa<FloatType>(t);
    double inf = std::numeric_limits<double>::infinity();
    unsigned bits = t.getIntOrFloatBitWidth();
    switch (kind) {
    case Combine::Sum:
    case Combine::Any:
      return scalarConstant(b, loc, t, 0);
    case Combine::Prod:
    case Combine::All:
      return scalarConstant(b, loc, t, 1);
    case Combine::Max:
      if (isFloat)
        return scalarConstant(b, loc, t, -inf);
      return b.create<arith::ConstantOp>(
          loc, t, b.getIntegerAttr(t, llvm::APInt::getSignedMinValue(bits)));
    case Combine::Min:
      if (isFloat)
        return scalarConstant(b, loc, t, inf);
      return b.create<arith::ConstantOp>(
          loc, t, b.getIntegerAttr(t, llvm::APInt::getSignedMaxValue(bits)));
    }
    return {};
  }

  static Value combine(OpBuilder &b, Location loc, Value x, Value acc) {
    bool isFloat = isa<FloatType>(x.getType());
    // reassoc: the loop vectorizer keeps several partial results (as
    // PyTorch's vectorized reductions do); eager and compiled code share it.
    auto reassoc = arith::FastMathFlags::reassoc;
    switch (kind) {
    case Combine::Sum:
      return isFloat ? b.create<arith::AddFOp>(loc, x, acc, reassoc).getResult()
                     : b.create<arith::AddIOp>(loc, x, acc).getResult();
    case Combine::Prod:
      return isFloat ? b.create<arith::MulFOp>(loc, x, acc, reassoc).getResult()
                     : b.create<arith::MulIOp>(loc, x, acc).getResult();
    case Combine::Max: // NaN-propagating, as torch.amax
      return isFloat ? b.create<arith::MaximumFOp>(loc, x, acc, reassoc).getResult()
                     : b.create<arith::MaxSIOp>(loc, x, acc).getResult();
    case Combine::Min:
      return isFloat ? b.create<arith::MinimumFOp>(loc, x, acc, reassoc).getResult()
                     : b.create<arith::MinSIOp>(loc, x, acc).getResult();
    case Combine::Any:
      return b.create<arith::OrIOp>(loc, x, acc);
    case Combine::All:
      return b.create<arith::AndIOp>(loc, x, acc);
    }
    return {};
  }
};

/// Index of the first largest (smallest) element along dim; the first NaN
/// wins, as in torch.argmax.
template <typename OpTy, bool isMax>
struct ArgReduceToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType in = op.getOperand().getType();
    Type element = in.getElementType();
    int64_t dim = op.getDim();
    ReductionShape s = reductionShape(rewriter, in, {dim}, element, op.getKeepdim());
    bool isFloat = isa<FloatType>(element);
    double inf = std::numeric_limits<double>::infinity();
    unsigned bits = element.getIntOrFloatBitWidth();
    Value start =
        isFloat ? scalarConstant(rewriter, loc, element, isMax ? -inf : inf)
                : rewriter.create<arith::ConstantOp>(
                      loc, element,
                      rewriter.getIntegerAttr(
                          element, isMax ? llvm::APInt::getSignedMinValue(bits)
                                         : llvm::APInt::getSignedMaxValue(bits)));
    Value values = filledReduced(rewriter, loc, op.getOperand(), s, start);
    ReductionShape si =
        reductionShape(rewriter, in, {dim}, rewriter.getI64Type(), op.getKeepdim());
    Value indices = filledReduced(rewriter, loc, op.getOperand(), si,
                                  scalarConstant(rewriter, loc, rewriter.getI64Type(), 0));
    SmallVector<AffineMap> maps = {s.maps[0], s.maps[1], s.maps[1]};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{s.reduced, si.reduced}, ValueRange{op.getOperand()},
        ValueRange{values, indices}, maps, s.iterators,
        [&](OpBuilder &b, Location nested, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value better;
          if (isFloat) {
            auto pred = isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT;
            Value strictly = b.create<arith::CmpFOp>(nested, pred, x, best);
            Value xNan = b.create<arith::CmpFOp>(nested, arith::CmpFPredicate::UNO, x, x);
            Value bestNum =
                b.create<arith::CmpFOp>(nested, arith::CmpFPredicate::ORD, best, best);
            better = b.create<arith::OrIOp>(
                nested, strictly, b.create<arith::AndIOp>(nested, xNan, bestNum));
          } else {
            auto pred = isMax ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt;
            better = b.create<arith::CmpIOp>(nested, pred, x, best);
          }
          Value i = b.create<arith::IndexCastOp>(
              nested, b.getI64Type(), b.create<linalg::IndexOp>(nested, dim));
          // The first element always wins, so an all -inf row gives 0.
          Value first = b.create<arith::CmpIOp>(
              nested, arith::CmpIPredicate::eq, i,
              scalarConstant(b, nested, b.getI64Type(), 0));
          better = b.create<arith::OrIOp>(nested, better, first);
          b.create<linalg::YieldOp>(
              nested, ValueRange{b.create<arith::SelectOp>(nested, better, x, best),
                                 b.create<arith::SelectOp>(nested, better, i, bestIndex)});
        });
    replaceKeepingType(rewriter, op, generic.getResult(1));
    return success();
  }
};

/// Matmul: rank-2 rhs folds lhs batch dims into M; otherwise both operands
/// are broadcast to the full batch shape and multiplied as a batch.
struct MatmulToLinalg : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    RankedTensorType out = op.getType();
    Type element = out.getElementType(), acc = accumulatorType(element);
    int64_t rank = out.getRank();
    // A batch size of the result: from whichever operand has it (batch dims
    // broadcast), else 1.
    auto batchSize = [&](int64_t d) -> Value {
      for (Value source : {lhs, rhs}) {
        auto st = cast<RankedTensorType>(source.getType());
        int64_t sd = d - (rank - st.getRank());
        if (sd >= 0 && st.getDimSize(sd) != 1)
          return dimOf(rewriter, loc, source, sd);
      }
      return rewriter.create<arith::ConstantIndexOp>(loc, 1);
    };
    auto zeroFilled = [&](RankedTensorType type, llvm::function_ref<Value(int64_t)> size) {
      Value empty = emptyOf(rewriter, loc, type, size);
      return rewriter.create<linalg::FillOp>(loc, scalarConstant(rewriter, loc, acc, 0), empty)
          .getResult(0);
    };
    // Collapses all leading dims of `v` into one, keeping the last `keep`.
    auto flatten = [&](Value v, int64_t keep) {
      auto t = cast<RankedTensorType>(v.getType());
      Value count = rewriter.create<arith::ConstantIndexOp>(loc, 1);
      int64_t staticCount = 1;
      for (int64_t d = 0; d + keep < t.getRank(); ++d) {
        count = rewriter.create<arith::MulIOp>(loc, count, dimOf(rewriter, loc, v, d));
        staticCount = t.isDynamicDim(d) || staticCount == ShapedType::kDynamic
                          ? ShapedType::kDynamic
                          : staticCount * t.getDimSize(d);
      }
      SmallVector<int64_t> shape = {staticCount};
      SmallVector<Value> dynamic;
      if (staticCount == ShapedType::kDynamic)
        dynamic.push_back(count);
      for (int64_t d = t.getRank() - keep; d < t.getRank(); ++d) {
        shape.push_back(t.getDimSize(d));
        if (t.isDynamicDim(d))
          dynamic.push_back(rewriter.create<tensor::DimOp>(loc, v, d));
      }
      return reshapeTo(rewriter, loc, v, RankedTensorType::get(shape, t.getElementType()),
                       dynamic);
    };
    Value result;
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    if (rhsType.getRank() == 2) {
      Value a = flatten(lhs, 1); // [B*M, K]
      auto aType = cast<RankedTensorType>(a.getType());
      auto type = RankedTensorType::get({aType.getDimSize(0), rhsType.getDimSize(1)}, acc);
      Value init = zeroFilled(type, [&](int64_t d) {
        return d == 0 ? dimOf(rewriter, loc, a, 0) : dimOf(rewriter, loc, rhs, 1);
      });
      // x @ w.T (F.linear): BLAS reads w transposed; no copy of the weight.
      auto transpose = rhs.getDefiningOp<TransposeOp>();
      if (transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0})
        result = rewriter
                     .create<linalg::MatmulTransposeBOp>(
                         loc, TypeRange{type}, ValueRange{a, transpose.getOperand()},
                         ValueRange{init})
                     .getResult(0);
      else
        result = rewriter.create<linalg::MatmulOp>(loc, TypeRange{type}, ValueRange{a, rhs},
                                                   ValueRange{init})
                     .getResult(0);
    } else {
      // Broadcast both to [batch..., M, K] / [batch..., K, N] with the
      // result's batch dims, then flatten the batch.
      auto broadcastBatch = [&](Value v) {
        auto t = cast<RankedTensorType>(v.getType());
        SmallVector<int64_t> shape(out.getShape().drop_back(2));
        shape.push_back(t.getDimSize(t.getRank() - 2));
        shape.push_back(t.getDimSize(t.getRank() - 1));
        auto type = RankedTensorType::get(shape, t.getElementType());
        int64_t offset = rank - t.getRank();
        Value init = emptyOf(rewriter, loc, type, [&](int64_t d) {
          return d >= rank - 2 ? dimOf(rewriter, loc, v, d - offset) : batchSize(d);
        });
        return broadcastInto(rewriter, loc, v, init,
                             llvm::to_vector(llvm::seq<int64_t>(offset, rank)));
      };
      Value a = flatten(broadcastBatch(lhs), 2);
      Value bb = flatten(broadcastBatch(rhs), 2);
      auto aType = cast<RankedTensorType>(a.getType());
      auto bType = cast<RankedTensorType>(bb.getType());
      auto type = RankedTensorType::get(
          {aType.getDimSize(0), aType.getDimSize(1), bType.getDimSize(2)}, acc);
      Value init = zeroFilled(type, [&](int64_t d) {
        return d < 2 ? dimOf(rewriter, loc, a, d) : dimOf(rewriter, loc, bb, 2);
      });
      result = rewriter.create<linalg::BatchMatmulOp>(loc, TypeRange{type}, ValueRange{a, bb},
                                                      ValueRange{init})
                   .getResult(0);
    }
    result = truncateTensor(rewriter, loc, result, element);
    // Back to [batch..., M, N]: sizes from the operands.
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < rank; ++d) {
      if (!out.isDynamicDim(d))
        continue;
      if (d == rank - 1) {
        dynamic.push_back(dimOf(rewriter, loc, rhs, rhsType.getRank() - 1));
        continue;
      }
      auto lhsType = cast<RankedTensorType>(lhs.getType());
      if (d == rank - 2) {
        dynamic.push_back(dimOf(rewriter, loc, lhs, lhsType.getRank() - 2));
        continue;
      }
      dynamic.push_back(batchSize(d));
    }
    replaceKeepingType(rewriter, op, reshapeTo(rewriter, loc, result, out, dynamic));
    return success();
  }
};

/// conv2d: zero padding, then linalg.conv_2d_nchw_fchw per group.
struct Conv2DToLinalg : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput(), weight = op.getWeight();
    RankedTensorType out = op.getType();
    Type element = out.getElementType(), acc = accumulatorType(element);
    int64_t groups = op.getGroups();
    auto wType = cast<RankedTensorType>(weight.getType());
    ArrayRef<int64_t> padding = op.getPadding();
    if (padding[0] || padding[1]) {
      SmallVector<int64_t> amounts = {0, 0, padding[0], padding[1]};
      input = padTensor(rewriter, loc, input, amounts, amounts,
                        scalarConstant(rewriter, loc, element, 0));
    }
    auto stride = rewriter.getI64TensorAttr(op.getStride());
    auto dilation = rewriter.getI64TensorAttr(op.getDilation());
    auto accType = out.clone(acc);
    Value outInit = emptyOf(rewriter, loc, accType, [&](int64_t d) -> Value {
      if (d == 0)
        return dimOf(rewriter, loc, input, 0);
      if (d == 1)
        return dimOf(rewriter, loc, weight, 0);
      // (padded - dilation * (k - 1) - 1) / stride + 1
      int64_t i = d - 2;
      Value size = dimOf(rewriter, loc, input, d);
      Value k = dimOf(rewriter, loc, weight, d);
      Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
      Value span = rewriter.create<arith::AddIOp>(
          loc, rewriter.create<arith::MulIOp>(
                   loc, rewriter.create<arith::ConstantIndexOp>(loc, op.getDilation()[i]),
                   rewriter.create<arith::SubIOp>(loc, k, one)),
          one);
      Value q = rewriter.create<arith::DivUIOp>(
          loc, rewriter.create<arith::SubIOp>(loc, size, span),
          rewriter.create<arith::ConstantIndexOp>(loc, op.getStride()[i]));
      return rewriter.create<arith::AddIOp>(loc, q, one);
    });
    Value result = rewriter.create<linalg::FillOp>(loc, scalarConstant(rewriter, loc, acc, 0),
                                                   outInit)
                       .getResult(0);
    // Per-group channel counts, static or read at run time.
    OpFoldResult cPerGroup = tensor::getMixedSize(rewriter, loc, weight, 1);
    OpFoldResult oPerGroup = rewriter.getIndexAttr(0);
    if (groups > 1) {
      if (!wType.isDynamicDim(0))
        oPerGroup = rewriter.getIndexAttr(wType.getDimSize(0) / groups);
      else
        oPerGroup = rewriter
                        .create<arith::DivUIOp>(
                            loc, dimOf(rewriter, loc, weight, 0),
                            rewriter.create<arith::ConstantIndexOp>(loc, groups))
                        .getResult();
    }
    // g * perGroup, folded when static.
    auto times = [&](int64_t g, OpFoldResult perGroup) -> OpFoldResult {
      if (auto attr = dyn_cast<Attribute>(perGroup))
        return rewriter.getIndexAttr(g * cast<IntegerAttr>(attr).getInt());
      return rewriter
          .create<arith::MulIOp>(loc, rewriter.create<arith::ConstantIndexOp>(loc, g),
                                 cast<Value>(perGroup))
          .getResult();
    };
    auto slice = [&](Value v, int64_t dim, OpFoldResult offset, OpFoldResult size) {
      SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0));
      offsets[dim] = offset;
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, v);
      sizes[dim] = size;
      SmallVector<OpFoldResult> strides(4, rewriter.getIndexAttr(1));
      return rewriter.create<tensor::ExtractSliceOp>(loc, v, offsets, sizes, strides)
          .getResult();
    };
    for (int64_t g = 0; g < groups; ++g) {
      Value in = input, w = weight, o = result;
      if (groups > 1) {
        in = slice(input, 1, times(g, cPerGroup), cPerGroup);
        w = slice(weight, 0, times(g, oPerGroup), oPerGroup);
        o = slice(result, 1, times(g, oPerGroup), oPerGroup);
      }
      Value conv = rewriter
                       .create<linalg::Conv2DNchwFchwOp>(loc, TypeRange{o.getType()},
                                                         ValueRange{in, w}, ValueRange{o},
                                                         stride, dilation)
                       .getResult(0);
      if (groups == 1) {
        result = conv;
        continue;
      }
      SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0));
      offsets[1] = times(g, oPerGroup);
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, conv);
      SmallVector<OpFoldResult> strides(4, rewriter.getIndexAttr(1));
      result = rewriter.create<tensor::InsertSliceOp>(loc, conv, result, offsets, sizes, strides);
    }
    replaceKeepingType(rewriter, op, truncateTensor(rewriter, loc, result, element));
    return success();
  }
};

} // namespace

void mlir::mlopt::populateStructuredToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ReduceToGeneric<SumOp, Combine::Sum>, ReduceToGeneric<ProdOp, Combine::Prod>,
               ReduceToGeneric<MaxOp, Combine::Max>, ReduceToGeneric<MinOp, Combine::Min>,
               ReduceToGeneric<AnyOp, Combine::Any>, ReduceToGeneric<AllOp, Combine::All>,
               ArgReduceToGeneric<ArgMaxOp, true>, ArgReduceToGeneric<ArgMinOp, false>,
               MatmulToLinalg, Conv2DToLinalg>(context);
}
