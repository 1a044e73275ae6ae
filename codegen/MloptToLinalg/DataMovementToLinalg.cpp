//===- DataMovementToLinalg.cpp - reshape, slice, concat, pad, gathers ----===//

#include "codegen/MloptToLinalg/Patterns.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace {

/// An index loaded from an integer index tensor, clamped into [0, size): an
/// out-of-range index reads a valid element instead of crashing (the front
/// end reports out-of-range indices before they get here).
Value clampedIndex(OpBuilder &b, Location loc, Value raw, Value size) {
  Value index = b.create<arith::IndexCastOp>(loc, b.getIndexType(), raw);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value last = b.create<arith::SubIOp>(loc, size, b.create<arith::ConstantIndexOp>(loc, 1));
  Value low = b.create<arith::MaxSIOp>(loc, index, zero);
  return b.create<arith::MinSIOp>(loc, low, b.create<arith::MaxSIOp>(loc, last, zero));
}

/// The body shared by gather and index_select: yields
/// input[i0, ..., clamp(rawIndex), ..., in-1] at the generic's loop indices,
/// with the clamped index in dim `dim`.
void yieldGathered(OpBuilder &b, Location loc, Value input, int64_t dim, int64_t rank,
                   Value rawIndex, Value size) {
  SmallVector<Value> coords;
  for (int64_t d = 0; d < rank; ++d)
    coords.push_back(d == dim ? clampedIndex(b, loc, rawIndex, size)
                              : b.create<linalg::IndexOp>(loc, d).getResult());
  b.create<linalg::YieldOp>(loc, b.create<tensor::ExtractOp>(loc, input, coords).getResult());
}

struct ReshapeToTensor : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    SmallVector<Value> sizes(op.getDynamicSizes());
    replaceKeepingType(rewriter, op, reshapeTo(rewriter, op.getLoc(), op.getOperand(),
                                               op.getType(), sizes));
    return success();
  }
};

struct SliceToExtractSlice : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), op.getOperand(), ValueRange{}, ValueRange{}, ValueRange{},
        op.getStart(), op.getType().getShape(), op.getStep());
    return success();
  }
};

// One-shot bufferization's conflict analysis grows faster than cubically
// with the length of an insert_slice chain: 100 inputs took 2.3 s. So a
// concat of more inputs is first joined in groups of this many (one more
// copy per level, 55 ms for those 100).
constexpr size_t kConcatGroup = 16;

/// A concat of many inputs as a concat of concats of kConcatGroup inputs.
LogicalResult groupConcat(ConcatOp op, PatternRewriter &rewriter) {
  int64_t dim = op.getDim();
  SmallVector<Value> groups;
  ValueRange inputs = op.getInputs();
  for (size_t start = 0; start < inputs.size(); start += kConcatGroup) {
    ValueRange group = inputs.slice(start, std::min(kConcatGroup, inputs.size() - start));
    groups.push_back(group.size() == 1 ? group.front()
                                       : rewriter.create<ConcatOp>(op.getLoc(), group, dim));
  }
  rewriter.replaceOpWithNewOp<ConcatOp>(op, op.getType(), groups, dim);
  return success();
}

struct ConcatToInsertSlices : OpRewritePattern<ConcatOp> {
  explicit ConcatToInsertSlices(MLIRContext *context) : OpRewritePattern(context) {
    setHasBoundedRewriteRecursion(); // groups of groups: log16(inputs) levels
  }
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rewriter) const override {
    if (op.getInputs().size() > kConcatGroup)
      return groupConcat(op, rewriter);
    Location loc = op.getLoc();
    int64_t dim = op.getDim();
    RankedTensorType type = op.getType();
    Value total = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    for (Value input : op.getInputs())
      total = rewriter.create<arith::AddIOp>(loc, total, dimOf(rewriter, loc, input, dim));
    Value first = op.getInputs().front();
    Value result = emptyOf(rewriter, loc, type, [&](int64_t d) {
      return d == dim ? total : dimOf(rewriter, loc, first, d);
    });
    Value offset = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    for (Value input : op.getInputs()) {
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[dim] = offset;
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, input);
      SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
      result = rewriter.create<tensor::InsertSliceOp>(loc, input, result, offsets,
                                                      sizes, strides);
      offset = rewriter.create<arith::AddIOp>(loc, offset, dimOf(rewriter, loc, input, dim));
    }
    replaceKeepingType(rewriter, op, result);
    return success();
  }
};

/// Padding as a filled tensor with the operand inserted at `low`.
/// (tensor.pad with dynamic sizes does not bufferize correctly in MLIR 19.)
struct PadToFillAndInsert : OpRewritePattern<PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PadOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value value = rewriter.create<tensor::ExtractOp>(loc, op.getPaddingValue(),
                                                     ValueRange{});
    SmallVector<int64_t> low(op.getLow()), high(op.getHigh());
    replaceKeepingType(rewriter, op, padTensor(rewriter, loc, op.getOperand(), low, high, value));
    return success();
  }
};

/// result[i...] = input[i... with dim replaced by index[i...]]
struct GatherToGeneric : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank(), dim = op.getDim();
    Value input = op.getInput();
    Value size = dimOf(rewriter, loc, input, dim);
    Value init = emptyLike(rewriter, loc, op.getIndex(), type.getElementType());
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{init.getType()}, ValueRange{op.getIndex()}, ValueRange{init}, maps,
        parallel(rank), [&](OpBuilder &b, Location nested, ValueRange args) {
          yieldGathered(b, nested, input, dim, rank, args[0], size);
        });
    replaceKeepingType(rewriter, op, generic.getResult(0));
    return success();
  }
};

/// result[..., i, ...] = input[..., index[i], ...] along dim.
struct IndexSelectToGeneric : OpRewritePattern<IndexSelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IndexSelectOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank(), dim = op.getDim();
    Value input = op.getInput(), index = op.getIndex();
    Value size = dimOf(rewriter, loc, input, dim);
    Value init = emptyOf(rewriter, loc, type, [&](int64_t d) {
      return d == dim ? dimOf(rewriter, loc, index, 0) : dimOf(rewriter, loc, input, d);
    });
    auto indexMap = AffineMap::get(rank, 0, rewriter.getAffineDimExpr(dim));
    SmallVector<AffineMap> maps = {indexMap, rewriter.getMultiDimIdentityMap(rank)};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type}, ValueRange{index}, ValueRange{init}, maps,
        parallel(rank), [&](OpBuilder &b, Location nested, ValueRange args) {
          yieldGathered(b, nested, input, dim, rank, args[0], size);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// A loop nest over `index` that adds src into a copy of input; sequential,
/// since indices may repeat.
struct ScatterAddToLoops : OpRewritePattern<ScatterAddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScatterAddOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value index = op.getIndex(), src = op.getSrc();
    int64_t rank = op.getType().getRank(), dim = op.getDim();
    Value size = dimOf(rewriter, loc, op.getInput(), dim);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    SmallVector<Value> lbs(rank, zero), steps(rank, one), ubs;
    for (int64_t d = 0; d < rank; ++d)
      ubs.push_back(dimOf(rewriter, loc, index, d));
    bool isFloatType = isa<FloatType>(op.getType().getElementType());
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{op.getInput()},
        [&](OpBuilder &b, Location nested, ValueRange ivs, ValueRange acc) {
          Value rawIndex = b.create<tensor::ExtractOp>(nested, index, ivs);
          SmallVector<Value> coords(ivs);
          coords[dim] = clampedIndex(b, nested, rawIndex, size);
          Value addend = b.create<tensor::ExtractOp>(nested, src, ivs);
          Value current = b.create<tensor::ExtractOp>(nested, acc[0], coords);
          Value sum = isFloatType
                          ? b.create<arith::AddFOp>(nested, current, addend).getResult()
                          : b.create<arith::AddIOp>(nested, current, addend).getResult();
          return scf::ValueVector{
              b.create<tensor::InsertOp>(nested, sum, acc[0], coords).getResult()};
        });
    replaceKeepingType(rewriter, op, nest.results.front());
    return success();
  }
};

} // namespace

Value lowering::padTensor(OpBuilder &b, Location loc, Value operand,
                          llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                          Value value) {
  auto in = cast<RankedTensorType>(operand.getType());
  SmallVector<int64_t> shape(in.getShape());
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!in.isDynamicDim(d))
      shape[d] += low[d] + high[d];
  auto type = in.clone(shape);
  Value empty = emptyOf(b, loc, type, [&](int64_t d) -> Value {
    Value size = dimOf(b, loc, operand, d);
    return b.create<arith::AddIOp>(
        loc, size, b.create<arith::ConstantIndexOp>(loc, low[d] + high[d]));
  });
  Value filled = b.create<linalg::FillOp>(loc, value, empty).getResult(0);
  SmallVector<OpFoldResult> offsets, strides(in.getRank(), b.getIndexAttr(1));
  for (int64_t l : low)
    offsets.push_back(b.getIndexAttr(l));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, operand);
  return b.create<tensor::InsertSliceOp>(loc, operand, filled, offsets, sizes, strides);
}

void mlir::mlopt::populateDataMovementToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeToTensor, SliceToExtractSlice, ConcatToInsertSlices,
               PadToFillAndInsert, GatherToGeneric, IndexSelectToGeneric,
               ScatterAddToLoops>(patterns.getContext());
}
