//===- ShapeOps.cpp - broadcast, reshape, transpose, slice, ... -----------===//

#include "ir/ConstantFold.h"
#include "ir/MloptOps.h"
#include "ir/OpUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;

namespace {
/// Ops with `dynamic_sizes` take exactly one per dynamic result dim.
LogicalResult verifyDynamicSizes(Operation *op, ValueRange sizes,
                                 RankedTensorType result) {
  if (static_cast<int64_t>(sizes.size()) != result.getNumDynamicDims())
    return op->emitOpError("needs one size operand per dynamic result dim: ")
           << result.getNumDynamicDims() << " for " << result << ", got "
           << sizes.size();
  return success();
}

/// A splat constant folded through a shape op is the same splat of the new
/// type, when that type is static.
Attribute reshapeSplat(Attribute operand, Type resultType) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(operand);
  auto type = cast<RankedTensorType>(resultType);
  if (!splat || !type.hasStaticShape())
    return {};
  return splat.resizeSplat(type);
}
} // namespace

//===----------------------------------------------------------------------===//
// broadcast_in_dim
//===----------------------------------------------------------------------===//

LogicalResult BroadcastInDimOp::verify() {
  RankedTensorType in = getOperand().getType(), out = getType();
  ArrayRef<int64_t> dims = getBroadcastDimensions();
  if (in.getElementType() != out.getElementType())
    return emitOpError("changes the element type: ") << in << " -> " << out;
  if (static_cast<int64_t>(dims.size()) != in.getRank())
    return emitOpError("has ") << dims.size() << " broadcast dims for an operand "
                               << "of rank " << in.getRank();
  if (failed(verifyDimList(getLoc(), dims, out.getRank(), "broadcast dims")))
    return failure();
  FailureOr<SmallVector<int64_t>> outShape = knownShape(*this, getDynamicSizes(), out);
  if (failed(outShape))
    return failure();
  for (auto [i, dim] : llvm::enumerate(dims)) {
    int64_t from = in.getDimSize(i), to = (*outShape)[dim];
    if (!ShapedType::isDynamic(from) && from != 1 && !ShapedType::isDynamic(to) &&
        from != to)
      return emitOpError("cannot broadcast ")
             << in << " to " << out.clone(*outShape) << ": operand dim " << i << " has size "
             << from << " but result dim " << dim << " has size " << to;
  }
  return verifyDynamicSizes(*this, getDynamicSizes(), out);
}

OpFoldResult BroadcastInDimOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> dims = getBroadcastDimensions();
  // Only a static identity folds: a `?` operand dim of size 1 is stretched
  // to the size operand at run time.
  if (getOperand().getType() == getType() && getType().hasStaticShape() &&
      llvm::equal(dims, llvm::seq<int64_t>(0, dims.size())))
    return getOperand();
  if (Attribute splat = reshapeSplat(adaptor.getOperand(), getType()))
    return splat;
  // broadcast(broadcast(x, inner), outer) == broadcast(x, outer o inner).
  if (auto inner = getOperand().getDefiningOp<BroadcastInDimOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t dim : inner.getBroadcastDimensions())
      composed.push_back(dims[dim]);
    setBroadcastDimensions(composed);
    getOperandMutable().assign(inner.getOperand());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = getOperand().getType(), out = getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("changes the element type: ") << in << " -> " << out;
  FailureOr<SmallVector<int64_t>> outShape = knownShape(*this, getDynamicSizes(), out);
  if (failed(outShape))
    return failure();
  out = out.clone(*outShape);
  bool inOverflow, outOverflow;
  std::optional<int64_t> inCount = elementCount(in.getShape(), inOverflow);
  std::optional<int64_t> outCount = elementCount(out.getShape(), outOverflow);
  if ((inOverflow && !outOverflow && outCount) || (outOverflow && !inOverflow && inCount))
    return emitOpError("has more than 2^63 elements: ") << in << " -> " << out;
  if (inCount && outCount && *inCount != *outCount)
    return emitOpError("cannot reshape ")
           << in << " (" << *inCount << " elements) to " << out << " ("
           << *outCount << " elements)";
  return verifyDynamicSizes(*this, getDynamicSizes(), getType());
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getOperand().getType() == getType() && getType().hasStaticShape())
    return getOperand();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getOperand()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  // reshape(reshape(x)) == reshape(x): only the last shape matters.
  if (auto inner = getOperand().getDefiningOp<ReshapeOp>()) {
    getOperandMutable().assign(inner.getOperand());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, adaptor.getOperand().getType(), "operand");
  DenseI64ArrayAttr permAttr = adaptor.getPermutationAttr();
  if (!in || !permAttr)
    return failure();
  ArrayRef<int64_t> perm = permAttr.asArrayRef();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOptionalError(loc, "permutation has ", perm.size(),
                             " entries for an operand of rank ", in.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOptionalError(loc, "permutation [", perm,
                               "] is not a permutation of 0..", in.getRank() - 1);
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  types.push_back(in.clone(shape));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    return llvm::equal(p, llvm::seq<int64_t>(0, p.size()));
  };
  if (isIdentity(perm) && getOperand().getType() == getType())
    return getOperand();
  if (Attribute splat = reshapeSplat(adaptor.getOperand(), getType()))
    return splat;
  // transpose(transpose(x, inner), outer): result dim i is x dim inner[outer[i]].
  if (auto inner = getOperand().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner.getPermutation()[p]);
    setPermutation(composed);
    getOperandMutable().assign(inner.getOperand());
    if (isIdentity(composed) && getOperand().getType() == getType())
      return getOperand();
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, adaptor.getOperand().getType(), "operand");
  if (!in || !adaptor.getStartAttr() || !adaptor.getLimitAttr() ||
      !adaptor.getStepAttr())
    return failure();
  ArrayRef<int64_t> start = adaptor.getStart(), limit = adaptor.getLimit(),
                    step = adaptor.getStep();
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(start.size()) != rank ||
      static_cast<int64_t>(limit.size()) != rank ||
      static_cast<int64_t>(step.size()) != rank)
    return emitOptionalError(loc, "start, limit and step need ", rank,
                             " entries each for operand ", in);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = in.getDimSize(d);
    if (step[d] < 1)
      return emitOptionalError(loc, "step ", step[d], " in dim ", d,
                               " must be at least 1");
    if (start[d] < 0 || start[d] > limit[d] ||
        (!ShapedType::isDynamic(size) && limit[d] > size))
      return emitOptionalError(loc, "slice [", start[d], ":", limit[d],
                               "] in dim ", d, " is out of bounds for ", in);
    int64_t span = limit[d] - start[d]; // cannot overflow: 0 <= start <= limit
    shape.push_back(span / step[d] + (span % step[d] != 0));
  }
  types.push_back(in.clone(shape));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  // With a static type, start 0 and step 1, equal types mean limit == size.
  if (getOperand().getType() == getType() && getType().hasStaticShape() &&
      llvm::all_of(getStart(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getStep(), [](int64_t s) { return s == 1; }))
    return getOperand();
  return reshapeSplat(adaptor.getOperand(), getType());
}

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "'mlopt.concat' needs at least one input");
  RankedTensorType first = rankedOrError(loc, inputs.front().getType(), "input");
  if (!first || !adaptor.getDimAttr())
    return failure();
  int64_t rank = first.getRank(), dim = adaptor.getDim();
  if (failed(verifyDim(loc, dim, rank)))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (Value input : inputs.drop_front()) {
    RankedTensorType type = rankedOrError(loc, input.getType(), "input");
    if (!type)
      return failure();
    if (type.getRank() != rank || type.getElementType() != first.getElementType())
      return emitOptionalError(loc, "cannot concatenate ", first, " and ", type);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = type.getDimSize(d);
      if (d == dim) {
        if (ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(size)) {
          shape[d] = ShapedType::kDynamic;
        } else if (std::optional<int64_t> sum = checkedAdd(shape[d], size)) {
          shape[d] = *sum;
        } else {
          return emitOptionalError(loc, "concatenated size overflows int64");
        }
      } else if (ShapedType::isDynamic(shape[d])) {
        shape[d] = size;
      } else if (!ShapedType::isDynamic(size) && size != shape[d]) {
        return emitOptionalError(loc, "cannot concatenate ", first, " and ", type,
                                 " along dim ", dim, ": dim ", d, " differs");
      }
    }
  }
  types.push_back(first.clone(shape));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  return {};
}

//===----------------------------------------------------------------------===//
// pad
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, adaptor.getOperand().getType(), "operand");
  RankedTensorType value =
      rankedOrError(loc, adaptor.getPaddingValue().getType(), "padding value");
  if (!in || !value || !adaptor.getLowAttr() || !adaptor.getHighAttr())
    return failure();
  if (value.getRank() != 0 || value.getElementType() != in.getElementType())
    return emitOptionalError(loc, "padding value must be a 0-d tensor of ",
                             in.getElementType(), ", got ", value);
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh();
  if (static_cast<int64_t>(low.size()) != in.getRank() ||
      static_cast<int64_t>(high.size()) != in.getRank())
    return emitOptionalError(loc, "low and high need ", in.getRank(),
                             " entries each for operand ", in);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (low[d] < 0 || high[d] < 0)
      return emitOptionalError(loc, "padding amounts must be non-negative, got ",
                               low[d], " and ", high[d], " in dim ", d);
    int64_t size = in.getDimSize(d);
    if (ShapedType::isDynamic(size)) {
      shape.push_back(size);
      continue;
    }
    std::optional<int64_t> padded = checkedAdd(size, low[d]);
    if (padded)
      padded = checkedAdd(*padded, high[d]);
    if (!padded)
      return emitOptionalError(loc, "padded size of dim ", d, " overflows int64");
    shape.push_back(*padded);
  }
  types.push_back(in.clone(shape));
  return success();
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  auto isZero = [](int64_t x) { return x == 0; };
  if (getOperand().getType() == getType() && llvm::all_of(getLow(), isZero) &&
      llvm::all_of(getHigh(), isZero))
    return getOperand();
  return {};
}

namespace {
/// A sum of zero-pads whose pieces follow one another along one dim is
/// their concat, padded by zeros before and after: what autodiff makes of
/// the gradient of several slices of one tensor (q, k and v of a fused
/// projection). The sum bufferized as a copy of the whole tensor per piece;
/// the concat writes each piece once. A -0.0 in a piece stays -0.0, as in
/// eager backward (the sum made it +0.0).
struct ConcatDisjointPads : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  struct Piece {
    int64_t start;
    Value value;
  };

  /// The pieces of `v` along `dim` (-1: not chosen yet): a zero-pad along
  /// one dim, or a sum of them used only by the sum. False otherwise.
  static bool collect(Value v, int64_t &dim, SmallVectorImpl<Piece> &pieces, Value &zero,
                      bool root) {
    if (auto add = v.getDefiningOp<AddOp>()) {
      if (!root && !add->hasOneUse())
        return false;
      return collect(add.getLhs(), dim, pieces, zero, false) &&
             collect(add.getRhs(), dim, pieces, zero, false);
    }
    auto pad = v.getDefiningOp<PadOp>();
    if (!pad || !pad->hasOneUse())
      return false;
    if (!matchPattern(pad.getPaddingValue(), m_AnyZeroFloat()) &&
        !matchPattern(pad.getPaddingValue(), m_Zero()))
      return false;
    auto type = dyn_cast<RankedTensorType>(pad.getOperand().getType());
    if (!type || !type.hasStaticShape())
      return false;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (pad.getLow()[d] == 0 && pad.getHigh()[d] == 0)
        continue;
      if (dim != -1 && dim != d)
        return false;
      dim = d;
    }
    pieces.push_back({dim == -1 ? 0 : pad.getLow()[dim], pad.getOperand()});
    zero = pad.getPaddingValue();
    return true;
  }

  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    // The whole sum at once, from its last add.
    if (llvm::any_of(add->getUsers(), [](Operation *user) { return isa<AddOp>(user); }))
      return failure();
    auto type = dyn_cast<RankedTensorType>(add.getType());
    if (!type || !type.hasStaticShape())
      return failure();
    int64_t dim = -1;
    SmallVector<Piece> pieces;
    Value zero;
    if (!collect(add.getResult(), dim, pieces, zero, /*root=*/true) || pieces.size() < 2 ||
        dim < 0)
      return failure();
    llvm::sort(pieces, [](const Piece &a, const Piece &b) { return a.start < b.start; });
    // One run of pieces, each starting where the last ended (a gap inside
    // would need a zero constant, which CUDA uploads on every call).
    SmallVector<Value> parts;
    int64_t at = pieces.front().start;
    for (const Piece &piece : pieces) {
      if (piece.start != at)
        return failure(); // overlapping pieces add up; a gap is not a concat
      parts.push_back(piece.value);
      at += cast<RankedTensorType>(piece.value.getType()).getDimSize(dim);
    }
    int64_t before = pieces.front().start, after = type.getDimSize(dim) - at;
    if (after < 0)
      return failure();
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = at - before;
    Location loc = add.getLoc();
    Value joined = rewriter.create<ConcatOp>(
        loc, RankedTensorType::get(shape, type.getElementType()), parts, dim);
    if (before == 0 && after == 0) {
      rewriter.replaceOp(add, joined);
      return success();
    }
    // Zeros before and after: one pad of the run (by the pads' own zero).
    SmallVector<int64_t> low(type.getRank(), 0), high(type.getRank(), 0);
    low[dim] = before;
    high[dim] = after;
    rewriter.replaceOpWithNewOp<PadOp>(add, type, joined, zero, rewriter.getDenseI64ArrayAttr(low),
                                       rewriter.getDenseI64ArrayAttr(high));
    return success();
  }
};
} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<ConcatDisjointPads>(context);
}

//===----------------------------------------------------------------------===//
// gather, index_select, scatter_add
//===----------------------------------------------------------------------===//

namespace {
/// size(a) <= size(b) when both are known.
bool fitsIn(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a <= b;
}
} // namespace

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, adaptor.getInput().getType(), "input");
  RankedTensorType index = rankedOrError(loc, adaptor.getIndex().getType(), "index");
  if (!in || !index || !adaptor.getDimAttr())
    return failure();
  int64_t dim = adaptor.getDim();
  if (index.getRank() != in.getRank())
    return emitOptionalError(loc, "index ", index, " must have the rank of input ", in);
  if (failed(verifyDim(loc, dim, in.getRank())))
    return failure();
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != dim && !fitsIn(index.getDimSize(d), in.getDimSize(d)))
      return emitOptionalError(loc, "index ", index, " is larger than input ", in,
                               " in dim ", d);
  types.push_back(index.clone(in.getElementType()));
  return success();
}

LogicalResult IndexSelectOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, adaptor.getInput().getType(), "input");
  RankedTensorType index = rankedOrError(loc, adaptor.getIndex().getType(), "index");
  if (!in || !index || !adaptor.getDimAttr())
    return failure();
  if (index.getRank() != 1)
    return emitOptionalError(loc, "index must be 1-D, got ", index);
  int64_t dim = adaptor.getDim();
  if (failed(verifyDim(loc, dim, in.getRank())))
    return failure();
  SmallVector<int64_t> shape(in.getShape());
  shape[dim] = index.getDimSize(0);
  types.push_back(in.clone(shape));
  return success();
}

LogicalResult ScatterAddOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, adaptor.getInput().getType(), "input");
  RankedTensorType index = rankedOrError(loc, adaptor.getIndex().getType(), "index");
  RankedTensorType src = rankedOrError(loc, adaptor.getSrc().getType(), "src");
  if (!in || !index || !src || !adaptor.getDimAttr())
    return failure();
  if (index.getRank() != in.getRank() || src.getRank() != in.getRank())
    return emitOptionalError(loc, "input ", in, ", index ", index, " and src ", src,
                             " must have one rank");
  if (src.getElementType() != in.getElementType())
    return emitOptionalError(loc, "src ", src, " must have the element type of input ", in);
  int64_t dim = adaptor.getDim();
  if (failed(verifyDim(loc, dim, in.getRank())))
    return failure();
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!fitsIn(index.getDimSize(d), src.getDimSize(d)))
      return emitOptionalError(loc, "index ", index, " is larger than src ", src,
                               " in dim ", d);
    if (d != dim && !fitsIn(index.getDimSize(d), in.getDimSize(d)))
      return emitOptionalError(loc, "index ", index, " is larger than input ", in,
                               " in dim ", d);
  }
  types.push_back(in);
  return success();
}

//===----------------------------------------------------------------------===//
// iota
//===----------------------------------------------------------------------===//

LogicalResult IotaOp::verify() {
  if (failed(verifyDim(getLoc(), getDim(), getType().getRank())) ||
      failed(knownShape(*this, getDynamicSizes(), getType())))
    return failure();
  return verifyDynamicSizes(*this, getDynamicSizes(), getType());
}
