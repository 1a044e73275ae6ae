//===- Autodiff.cpp - reverse-mode autodiff on mlopt IR -------------------===//
//
// buildVJP walks the ops between `wrt` and `outputs` backwards and applies
// one rule per op (the `rule` switch below, listed in docs/autodiff.md).
// Rules emit mlopt ops that reuse forward values (saved activations are the
// forward SSA values themselves). Broadcasts are explicit in mlopt, so
// unbroadcasting is the rule of broadcast_in_dim (and of matmul's batch dims).
//
//===----------------------------------------------------------------------===//

#include "passes/Autodiff.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/SetVector.h"
#include <numeric>

using namespace mlir;
using namespace mlir::mlopt;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isFloat(Value v) { return isa<FloatType>(typeOf(v).getElementType()); }

/// Emits the gradient ops. Values are static-shaped: traced programs are
/// differentiated after shapes are known.
class VJP {
public:
  VJP(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value splat(Type type, double value) { return splatConstant(b, loc, type, value); }
  Value like(Value v, double value) { return splat(v.getType(), value); }

  Value add(Value x, Value y) { return b.create<AddOp>(loc, x.getType(), x, y); }
  Value sub(Value x, Value y) { return b.create<SubOp>(loc, x.getType(), x, y); }
  Value mul(Value x, Value y) { return b.create<MulOp>(loc, x.getType(), x, y); }
  Value div(Value x, Value y) { return b.create<DivOp>(loc, x.getType(), x, y); }
  Value neg(Value x) { return b.create<NegOp>(loc, x.getType(), x); }
  Value scale(Value x, double k) { return mul(x, like(x, k)); }
  Type maskType(Value x) { return RankedTensorType::get(typeOf(x).getShape(), b.getI1Type()); }
  Value eq(Value x, Value y) { return b.create<EqOp>(loc, maskType(x), x, y); }
  Value gt(Value x, Value y) { return b.create<GtOp>(loc, maskType(x), x, y); }
  Value ge(Value x, Value y) { return b.create<GeOp>(loc, maskType(x), x, y); }
  Value both(Value x, Value y) { return b.create<AndOp>(loc, x.getType(), x, y); }
  Value select(Value c, Value x, Value y) {
    return b.create<SelectOp>(loc, x.getType(), c, x, y);
  }
  Value convert(Value x, Type element) {
    return b.create<ConvertOp>(
        loc, RankedTensorType::get(typeOf(x).getShape(), element), x);
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
    if (type == x.getType())
      return x;
    return b.create<ReshapeOp>(loc, type, x, ValueRange{});
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(typeOf(x).getDimSize(p));
    return b.create<TransposeOp>(
        loc, RankedTensorType::get(shape, typeOf(x).getElementType()), x,
        b.getDenseI64ArrayAttr(perm));
  }
  /// Sums `x` over `dims` (any order), keeping them as size-1 dims or not.
  Value sum(Value x, ArrayRef<int64_t> dims, bool keepdim) {
    return reduce<SumOp>(x, dims, keepdim);
  }
  Value prod(Value x, ArrayRef<int64_t> dims, bool keepdim) {
    return reduce<ProdOp>(x, dims, keepdim);
  }
  template <typename ReduceOp>
  Value reduce(Value x, ArrayRef<int64_t> dims, bool keepdim) {
    if (dims.empty())
      return x;
    SmallVector<int64_t> sorted(dims.begin(), dims.end());
    llvm::sort(sorted);
    SmallVector<int64_t> shape;
    for (auto [d, size] : llvm::enumerate(typeOf(x).getShape())) {
      bool reduced = llvm::is_contained(sorted, static_cast<int64_t>(d));
      if (!reduced)
        shape.push_back(size);
      else if (keepdim)
        shape.push_back(1);
    }
    auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
    return b.create<ReduceOp>(loc, type, x, b.getDenseI64ArrayAttr(sorted),
                              keepdim ? b.getUnitAttr() : UnitAttr());
  }
  /// Broadcasts `x` (same rank as `shape`, size-1 dims stretch) to `shape`.
  Value expand(Value x, ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
    if (type == x.getType())
      return x;
    SmallVector<int64_t> dims(shape.size());
    std::iota(dims.begin(), dims.end(), 0);
    return b.create<BroadcastInDimOp>(loc, type, x, b.getDenseI64ArrayAttr(dims),
                                      ValueRange{});
  }
  /// Sums the gradient of a broadcast back to the operand's `shape`:
  /// operand dim i became result dim dims[i]; the other result dims are new
  /// and size-1 operand dims were stretched, so both are summed away.
  Value sumTo(Value g, ArrayRef<int64_t> shape, ArrayRef<int64_t> dims) {
    ArrayRef<int64_t> from = typeOf(g).getShape();
    SmallVector<int64_t> reduce;
    for (int64_t d = 0; d < static_cast<int64_t>(from.size()); ++d) {
      const int64_t *it = llvm::find(dims, d);
      if (it == dims.end() || (shape[it - dims.begin()] == 1 && from[d] != 1))
        reduce.push_back(d);
    }
    return reshape(sum(g, reduce, false), shape);
  }
  /// sumTo for NumPy broadcasting (dims aligned on the right).
  Value unbroadcast(Value g, ArrayRef<int64_t> shape) {
    SmallVector<int64_t> dims(shape.size());
    std::iota(dims.begin(), dims.end(), typeOf(g).getRank() - shape.size());
    return sumTo(g, shape, dims);
  }
  /// `g` (the shape of a reduction's result) back to the operand's shape.
  Value unreduce(Value g, Value operand, ArrayRef<int64_t> dims, bool keepdim) {
    SmallVector<int64_t> kept(typeOf(operand).getShape());
    for (int64_t d : dims)
      kept[d] = 1;
    return expand(keepdim ? g : reshape(g, kept), typeOf(operand).getShape());
  }
  Value zerosLike(Value v) { return like(v, 0.0); }
  Value scalarZero(Value like) {
    return splat(RankedTensorType::get({}, typeOf(like).getElementType()), 0);
  }
  /// `x[start:limit]` along `dim`.
  Value slice(Value x, int64_t dim, int64_t start, int64_t limit) {
    int64_t rank = typeOf(x).getRank();
    SmallVector<int64_t> starts(rank, 0), limits(typeOf(x).getShape()), ones(rank, 1);
    starts[dim] = start;
    limits[dim] = limit;
    return b.create<SliceOp>(loc, x, starts, limits, ones);
  }
  /// Inserts `step - 1` zeros after every element along `dim` (the scatter
  /// of a strided read): [a, b] with step 3 gives [a, 0, 0, b, 0, 0].
  Value spread(Value x, int64_t dim, int64_t step) {
    SmallVector<int64_t> split(typeOf(x).getShape());
    split.insert(split.begin() + dim + 1, 1);
    SmallVector<int64_t> low(split.size(), 0), high(split.size(), 0);
    high[dim + 1] = step - 1;
    Value padded = b.create<PadOp>(loc, reshape(x, split), scalarZero(x), low, high);
    SmallVector<int64_t> shape(typeOf(x).getShape());
    shape[dim] *= step;
    return reshape(padded, shape);
  }
  /// Pads dim `dim` by `low`/`high` elements; a negative amount crops.
  Value padOrCrop(Value x, int64_t dim, int64_t low, int64_t high) {
    int64_t size = typeOf(x).getDimSize(dim);
    if (low < 0 || high < 0)
      x = slice(x, dim, std::max<int64_t>(-low, 0), size - std::max<int64_t>(-high, 0));
    if (low <= 0 && high <= 0)
      return x;
    SmallVector<int64_t> lows(typeOf(x).getRank(), 0), highs(typeOf(x).getRank(), 0);
    lows[dim] = std::max<int64_t>(low, 0);
    highs[dim] = std::max<int64_t>(high, 0);
    return b.create<PadOp>(loc, x, scalarZero(x), lows, highs);
  }
  /// `x` reversed along `dim` (an index_select with a constant index).
  Value flip(Value x, int64_t dim) {
    int64_t n = typeOf(x).getDimSize(dim);
    SmallVector<int64_t> reversed(n);
    for (int64_t i = 0; i < n; ++i)
      reversed[i] = n - 1 - i;
    auto indexType = RankedTensorType::get({n}, b.getI64Type());
    Value index = b.create<ConstantOp>(loc, indexType,
                                       DenseElementsAttr::get(indexType, ArrayRef(reversed)));
    return b.create<IndexSelectOp>(loc, x.getType(), x, index, dim);
  }

  /// Gradient of conv2d's input: a transposed convolution, written as a
  /// conv2d of the stride-spread cotangent with the flipped weight whose
  /// in/out channels are swapped per group. Being mlopt ops again, it has
  /// gradients itself.
  Value convInputGrad(Conv2DOp conv, Value g) {
    ArrayRef<int64_t> in = typeOf(conv.getInput()).getShape();
    ArrayRef<int64_t> w = typeOf(conv.getWeight()).getShape();
    int64_t groups = conv.getGroups();
    Value spreadG = g;
    for (int64_t d = 0; d < 2; ++d) {
      int64_t stride = conv.getStride()[d], pad = conv.getPadding()[d];
      int64_t span = conv.getDilation()[d] * (w[2 + d] - 1);
      int64_t n = typeOf(g).getDimSize(2 + d);
      if (stride > 1)
        spreadG = slice(spread(spreadG, 2 + d, stride), 2 + d, 0, (n - 1) * stride + 1);
      // Input rows past the last window (the stride remainder) get zeros.
      int64_t rest = in[2 + d] + 2 * pad - span - 1 - (n - 1) * stride;
      spreadG = padOrCrop(spreadG, 2 + d, span - pad, span - pad + rest);
    }
    // [O, C/g, kH, kW] -> [g, O/g, C/g, kH, kW] -> [g, C/g, O/g, kH, kW] -> [C, O/g, kH, kW].
    int64_t outPerGroup = w[0] / groups;
    Value weight = reshape(conv.getWeight(), {groups, outPerGroup, w[1], w[2], w[3]});
    weight = reshape(transpose(weight, {0, 2, 1, 3, 4}), {groups * w[1], outPerGroup, w[2], w[3]});
    weight = flip(flip(weight, 2), 3);
    return b.create<Conv2DOp>(loc, spreadG, weight, ArrayRef<int64_t>{1, 1},
                              ArrayRef<int64_t>{0, 0}, conv.getDilation(), groups);
  }

  /// Gradient of conv2d's weight: a convolution of the input (batch and
  /// channels swapped) with the cotangent as the kernel; stride and
  /// dilation trade places. Rows past the kernel (stride remainders) are cut.
  Value convWeightGrad(Conv2DOp conv, Value g) {
    ArrayRef<int64_t> in = typeOf(conv.getInput()).getShape();
    ArrayRef<int64_t> w = typeOf(conv.getWeight()).getShape();
    int64_t groups = conv.getGroups(), batch = in[0], inPerGroup = w[1];
    // [N, C, H, W] -> [N, g, C/g, H, W] -> [C/g, g, N, H, W] -> [C/g, g*N, H, W].
    Value input = reshape(conv.getInput(), {batch, groups, inPerGroup, in[2], in[3]});
    input = reshape(transpose(input, {2, 1, 0, 3, 4}), {inPerGroup, groups * batch, in[2], in[3]});
    // [N, O, Ho, Wo] -> [O, N, Ho, Wo].
    Value kernel = transpose(g, {1, 0, 2, 3});
    Value grad = b.create<Conv2DOp>(loc, input, kernel, conv.getDilation(), conv.getPadding(),
                                    conv.getStride(), groups);
    // [C/g, O, kH', kW'] -> [O, C/g, kH, kW].
    grad = transpose(grad, {1, 0, 2, 3});
    for (int64_t d = 0; d < 2; ++d)
      if (typeOf(grad).getDimSize(2 + d) != w[2 + d])
        grad = slice(grad, 2 + d, 0, w[2 + d]);
    return grad;
  }

  OpBuilder &b;
  Location loc;
};

/// The gradient contributions of `op`'s operands given its result's
/// gradient `g`; null entries get nothing. False: no rule for this op.
bool rule(VJP &v, Operation *op, Value g, SmallVectorImpl<Value> &grads) {
  grads.assign(op->getNumOperands(), Value());
  Value out = op->getResult(0);
  auto x = [&](unsigned i) { return op->getOperand(i); };
  return llvm::TypeSwitch<Operation *, bool>(op)
      // Linear and sign ops.
      .Case([&](AddOp) { grads[0] = g, grads[1] = g; return true; })
      .Case([&](SubOp) { grads[0] = g, grads[1] = v.neg(g); return true; })
      .Case([&](NegOp) { grads[0] = v.neg(g); return true; })
      .Case([&](MulOp) { grads[0] = v.mul(g, x(1)), grads[1] = v.mul(g, x(0)); return true; })
      .Case([&](DivOp) {
        grads[0] = v.div(g, x(1));
        grads[1] = v.neg(v.div(v.mul(g, out), x(1)));
        return true;
      })
      .Case([&](AbsOp) {
        grads[0] = v.mul(g, v.b.create<SignOp>(v.loc, x(0).getType(), x(0)));
        return true;
      })
      // Transcendentals: written with the forward result where it is cheaper.
      .Case([&](ExpOp) { grads[0] = v.mul(g, out); return true; })
      .Case([&](Expm1Op) { grads[0] = v.mul(g, v.add(out, v.like(out, 1))); return true; })
      .Case([&](LogOp) { grads[0] = v.div(g, x(0)); return true; })
      .Case([&](Log1pOp) { grads[0] = v.div(g, v.add(x(0), v.like(out, 1))); return true; })
      .Case([&](SqrtOp) { grads[0] = v.div(v.scale(g, 0.5), out); return true; })
      .Case([&](RsqrtOp) {
        grads[0] = v.mul(v.scale(g, -0.5), v.div(out, x(0)));
        return true;
      })
      .Case([&](SinOp) {
        grads[0] = v.mul(g, v.b.create<CosOp>(v.loc, out.getType(), x(0)));
        return true;
      })
      .Case([&](CosOp) {
        grads[0] = v.neg(v.mul(g, v.b.create<SinOp>(v.loc, out.getType(), x(0))));
        return true;
      })
      .Case([&](TanhOp) {
        grads[0] = v.mul(g, v.sub(v.like(out, 1), v.mul(out, out)));
        return true;
      })
      .Case([&](ReluOp) {
        // PyTorch's threshold_backward: the gradient where x > 0, else 0.
        Value zero = v.zerosLike(out);
        grads[0] = v.select(v.gt(x(0), zero), g, zero);
        return true;
      })
      .Case([&](SigmoidOp) {
        grads[0] = v.mul(g, v.mul(out, v.sub(v.like(out, 1), out)));
        return true;
      })
      .Case([&](ErfOp) {
        Value sq = v.mul(x(0), x(0));
        Value e = v.b.create<ExpOp>(v.loc, out.getType(), v.neg(sq));
        grads[0] = v.mul(g, v.scale(e, 1.1283791670955126)); // 2 / sqrt(pi)
        return true;
      })
      .Case([&](PowOp) {
        // d/dx = y x^(y-1), 0 where y == 0; d/dy = x^y ln x, 0 where x == 0
        // and y >= 0 (PyTorch's pow_backward: no 0 * inf NaNs there).
        Value zero = v.zerosLike(out);
        Value ym1 = v.sub(x(1), v.like(out, 1));
        Value p = v.b.create<PowOp>(v.loc, out.getType(), x(0), ym1);
        grads[0] = v.select(v.eq(x(1), zero), zero, v.mul(g, v.mul(x(1), p)));
        Value lnx = v.b.create<LogOp>(v.loc, out.getType(), x(0));
        grads[1] = v.select(v.both(v.eq(x(0), zero), v.ge(x(1), zero)), zero,
                            v.mul(g, v.mul(out, lnx)));
        return true;
      })
      .Case([&](Atan2Op) {
        Value r = v.add(v.mul(x(0), x(0)), v.mul(x(1), x(1)));
        grads[0] = v.div(v.mul(g, x(1)), r);
        grads[1] = v.neg(v.div(v.mul(g, x(0)), r));
        return true;
      })
      .Case([&](RemainderOp) {
        // x - floor(x / y) * y.
        grads[0] = g;
        Value q = v.b.create<FloorOp>(v.loc, out.getType(), v.div(x(0), x(1)));
        grads[1] = v.neg(v.mul(g, q));
        return true;
      })
      .Case<MaximumOp, MinimumOp>([&](Operation *) {
        // Ties split the gradient evenly, as PyTorch.
        Value half = v.scale(g, 0.5), zero = v.zerosLike(g);
        Value first = isa<MaximumOp>(op) ? v.gt(x(0), x(1)) : v.gt(x(1), x(0));
        Value tie = v.eq(x(0), x(1));
        grads[0] = v.select(tie, half, v.select(first, g, zero));
        grads[1] = v.select(tie, half, v.select(first, zero, g));
        return true;
      })
      .Case([&](SelectOp) {
        Value zero = v.zerosLike(g);
        grads[1] = v.select(x(0), g, zero);
        grads[2] = v.select(x(0), zero, g);
        return true;
      })
      .Case([&](ConvertOp) {
        if (isFloat(x(0)))
          grads[0] = v.convert(g, typeOf(x(0)).getElementType());
        return true;
      })
      // Shape ops.
      .Case([&](ReshapeOp) { grads[0] = v.reshape(g, typeOf(x(0)).getShape()); return true; })
      .Case([&](TransposeOp t) {
        ArrayRef<int64_t> perm = t.getPermutation();
        SmallVector<int64_t> inverse(perm.size());
        for (auto [i, p] : llvm::enumerate(perm))
          inverse[p] = i;
        grads[0] = v.transpose(g, inverse);
        return true;
      })
      .Case([&](BroadcastInDimOp bcast) {
        grads[0] = v.sumTo(g, typeOf(x(0)).getShape(), bcast.getBroadcastDimensions());
        return true;
      })
      .Case([&](SliceOp s) {
        // Scatter back: spread steps with zeros, then pad to the operand.
        Value r = g;
        ArrayRef<int64_t> in = typeOf(x(0)).getShape();
        SmallVector<int64_t> low, high;
        for (int64_t d = 0; d < static_cast<int64_t>(in.size()); ++d) {
          int64_t n = typeOf(r).getDimSize(d), step = s.getStep()[d];
          if (n == 0) {
            grads[0] = v.zerosLike(x(0));
            return true;
          }
          if (step > 1 && n > 1)
            r = v.slice(v.spread(r, d, step), d, 0, (n - 1) * step + 1);
          low.push_back(s.getStart()[d]);
          high.push_back(in[d] - s.getStart()[d] - typeOf(r).getDimSize(d));
        }
        grads[0] = v.b.create<PadOp>(v.loc, x(0).getType(), r, v.scalarZero(g),
                                     v.b.getDenseI64ArrayAttr(low),
                                     v.b.getDenseI64ArrayAttr(high));
        return true;
      })
      .Case([&](PadOp p) {
        ArrayRef<int64_t> in = typeOf(x(0)).getShape();
        SmallVector<int64_t> start(p.getLow()), limit, ones(in.size(), 1);
        for (auto [d, size] : llvm::enumerate(in))
          limit.push_back(start[d] + size);
        Value inner = v.b.create<SliceOp>(v.loc, x(0).getType(), g,
                                          v.b.getDenseI64ArrayAttr(start),
                                          v.b.getDenseI64ArrayAttr(limit),
                                          v.b.getDenseI64ArrayAttr(ones));
        grads[0] = inner;
        SmallVector<int64_t> all(in.size());
        std::iota(all.begin(), all.end(), 0);
        grads[1] = v.sub(v.sum(g, all, false), v.sum(inner, all, false));
        return true;
      })
      .Case([&](ConcatOp c) {
        int64_t dim = c.getDim(), offset = 0;
        ArrayRef<int64_t> shape = typeOf(g).getShape();
        for (auto [i, input] : llvm::enumerate(c.getInputs())) {
          SmallVector<int64_t> start(shape.size(), 0), limit(shape), ones(shape.size(), 1);
          start[dim] = offset;
          offset += typeOf(input).getDimSize(dim);
          limit[dim] = offset;
          grads[i] = v.b.create<SliceOp>(v.loc, input.getType(), g,
                                         v.b.getDenseI64ArrayAttr(start),
                                         v.b.getDenseI64ArrayAttr(limit),
                                         v.b.getDenseI64ArrayAttr(ones));
        }
        return true;
      })
      .Case([&](IndexSelectOp s) {
        // Rows picked by `index` get their gradients added back (repeats add).
        int64_t dim = s.getDim();
        SmallVector<int64_t> ishape(typeOf(g).getRank(), 1);
        ishape[dim] = typeOf(x(1)).getDimSize(0);
        SmallVector<int64_t> dims{dim};
        Value idx = v.reshape(x(1), ishape);
        auto idxType = RankedTensorType::get(typeOf(g).getShape(), typeOf(x(1)).getElementType());
        SmallVector<int64_t> all(typeOf(g).getRank());
        std::iota(all.begin(), all.end(), 0);
        Value full = v.b.create<BroadcastInDimOp>(v.loc, idxType, idx,
                                                  v.b.getDenseI64ArrayAttr(all), ValueRange{});
        grads[0] = v.b.create<ScatterAddOp>(v.loc, x(0).getType(), v.zerosLike(x(0)), full, g,
                                            dim);
        return true;
      })
      .Case([&](GatherOp gather) {
        grads[0] = v.b.create<ScatterAddOp>(v.loc, x(0).getType(), v.zerosLike(x(0)), x(1), g,
                                            gather.getDim());
        return true;
      })
      .Case([&](ScatterAddOp s) {
        grads[0] = g;
        grads[2] = v.b.create<GatherOp>(v.loc, x(2).getType(), g, x(1), s.getDim());
        return true;
      })
      // Reductions.
      .Case([&](SumOp s) {
        grads[0] = v.unreduce(g, x(0), s.getDims(), s.getKeepdim());
        return true;
      })
      .Case<MaxOp, MinOp>([&](auto reduce) {
        // Ties share the gradient evenly (PyTorch's amax/amin).
        ArrayRef<int64_t> dims = reduce.getDims();
        bool keep = reduce.getKeepdim();
        Value best = v.unreduce(out, x(0), dims, keep);
        Value hit = v.select(v.eq(x(0), best), v.like(x(0), 1), v.zerosLike(x(0)));
        Value count = v.unreduce(v.sum(hit, dims, true), x(0), dims, true);
        grads[0] = v.div(v.mul(hit, v.unreduce(g, x(0), dims, keep)), count);
        return true;
      })
      .Case([&](ProdOp p) {
        // The product of the other factors (PyTorch's prod_backward): with no
        // zero factor prod / x; with one zero, the product of the nonzero
        // factors goes to the zero and nothing to the rest; with more, zeros.
        // Written with ops that have gradients themselves.
        ArrayRef<int64_t> dims = p.getDims();
        Value zero = v.zerosLike(x(0)), one = v.like(x(0), 1);
        Value isZero = v.eq(x(0), zero);
        Value nonzero = v.select(isZero, one, x(0));
        Value zeros = v.unreduce(v.sum(v.select(isZero, one, zero), dims, true), x(0), dims, true);
        Value rest = v.unreduce(v.prod(nonzero, dims, true), x(0), dims, true);
        Value local = v.select(v.eq(zeros, zero), v.div(rest, nonzero),
                               v.select(v.both(isZero, v.eq(zeros, one)), rest, zero));
        grads[0] = v.mul(v.unreduce(g, x(0), dims, p.getKeepdim()), local);
        return true;
      })
      .Case([&](MatmulOp) {
        // [..., m, k] x [..., k, n]: dA = g B^T, dB = A^T g, batch dims summed
        // back where they were broadcast.
        auto swapLast = [&](Value t) {
          int64_t rank = typeOf(t).getRank();
          SmallVector<int64_t> perm(rank);
          std::iota(perm.begin(), perm.end(), 0);
          std::swap(perm[rank - 1], perm[rank - 2]);
          return v.transpose(t, perm);
        };
        auto matmul = [&](Value a, Value c) {
          ArrayRef<int64_t> as = typeOf(a).getShape(), cs = typeOf(c).getShape();
          SmallVector<int64_t> shape(typeOf(g).getShape());
          shape[shape.size() - 2] = as[as.size() - 2];
          shape[shape.size() - 1] = cs[cs.size() - 1];
          return v.b.create<MatmulOp>(
              v.loc, RankedTensorType::get(shape, typeOf(g).getElementType()), a, c);
        };
        grads[0] = v.unbroadcast(matmul(g, swapLast(x(1))), typeOf(x(0)).getShape());
        grads[1] = v.unbroadcast(matmul(swapLast(x(0)), g), typeOf(x(1)).getShape());
        return true;
      })
      .Case([&](Conv2DOp conv) {
        grads[0] = v.convInputGrad(conv, g);
        grads[1] = v.convWeightGrad(conv, g);
        return true;
      })
      // No gradient: piecewise constant, not floating point, or stopped.
      .Case<SignOp, FloorOp, CeilOp, RoundOp, FloorDivOp, ConstantOp, IotaOp, StopGradientOp>(
          [&](Operation *) { return true; })
      .Default([&](Operation *) { return false; });
}

} // namespace

Value mlir::mlopt::splatConstant(OpBuilder &b, Location loc, Type type, double value) {
  auto tensorType = cast<RankedTensorType>(type);
  Type element = tensorType.getElementType();
  Attribute scalar = isa<FloatType>(element)
                         ? Attribute(b.getFloatAttr(element, value))
                         : Attribute(b.getIntegerAttr(element, static_cast<int64_t>(value)));
  return b.create<ConstantOp>(loc, type, DenseElementsAttr::get(tensorType, scalar));
}

FailureOr<SmallVector<Value>>
mlir::mlopt::buildVJP(OpBuilder &b, Location loc, ValueRange outputs, ValueRange cotangents,
                      ValueRange wrt, std::string &error) {
  if (outputs.size() != cotangents.size()) {
    error = "one cotangent per output is needed";
    return failure();
  }
  Block *block = b.getInsertionBlock();
  // Values that depend on `wrt` through floating-point ops.
  llvm::SetVector<Value> active(wrt.begin(), wrt.end());
  SmallVector<Operation *> order;
  for (Operation &op : *block) {
    if (&op == &*b.getInsertionPoint())
      break;
    order.push_back(&op);
    if (llvm::any_of(op.getOperands(), [&](Value o) { return active.contains(o); }))
      for (Value r : op.getResults())
        if (isa<RankedTensorType>(r.getType()) && isFloat(r))
          active.insert(r);
  }
  SmallVector<Value> ends(outputs);
  ends.append(wrt.begin(), wrt.end());
  for (Value end : ends)
    if (auto type = dyn_cast<RankedTensorType>(end.getType()); !type || !type.hasStaticShape()) {
      error = "autodiff needs static shapes";
      return failure();
    }

  VJP v(b, loc);
  llvm::DenseMap<Value, Value> grads;
  auto accumulate = [&](Value value, Value g) {
    auto [it, inserted] = grads.try_emplace(value, g);
    if (!inserted)
      it->second = v.add(it->second, g);
  };
  for (auto [out, cot] : llvm::zip(outputs, cotangents))
    if (active.contains(out))
      accumulate(out, cot ? cot : v.like(out, 1.0));

  SmallVector<Value> operandGrads;
  for (Operation *op : llvm::reverse(order)) {
    if (op->getNumResults() != 1)
      continue;
    auto it = grads.find(op->getResult(0));
    if (it == grads.end())
      continue;
    Value g = it->second;
    if (!rule(v, op, g, operandGrads)) {
      error = "no gradient rule for '" + op->getName().getStringRef().str() + "'";
      return failure();
    }
    for (auto [operand, og] : llvm::zip(op->getOperands(), operandGrads))
      if (og && active.contains(operand))
        accumulate(operand, og);
  }
  SmallVector<Value> result;
  for (Value w : wrt) {
    auto it = grads.find(w);
    result.push_back(it != grads.end() ? it->second
                     : isFloat(w)      ? v.zerosLike(w)
                                       : Value());
    if (!result.back()) {
      error = "gradients are only defined for floating-point tensors";
      return failure();
    }
  }
  return result;
}

namespace mlir::mlopt {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::mlopt

namespace {

struct AutodiffPass : mlopt::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(function);
    if (!fn || fn.isExternal() || !fn.getBody().hasOneBlock()) {
      module.emitError() << "mlopt-autodiff: no function @" << function
                         << " with a one-block body";
      return signalPassFailure();
    }
    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(fn);
    // @f_vjp(args..., cotangents...) -> (results..., gradients of `wrt`...).
    auto vjp = cast<func::FuncOp>(b.clone(*fn));
    vjp.setSymName(function + "_vjp");
    Block &body = vjp.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    SmallVector<Value> cotangents, args;
    for (Value r : ret.getOperands())
      cotangents.push_back(body.addArgument(r.getType(), r.getLoc()));
    for (int64_t index : wrt) {
      if (index < 0 || index >= static_cast<int64_t>(fn.getNumArguments())) {
        fn.emitError() << "mlopt-autodiff: wrt index " << index << " out of range";
        return signalPassFailure();
      }
      args.push_back(body.getArgument(index));
    }
    b.setInsertionPoint(ret);
    std::string error;
    FailureOr<SmallVector<Value>> grads =
        buildVJP(b, ret.getLoc(), ret.getOperands(), cotangents, args, error);
    if (failed(grads)) {
      fn.emitError() << "mlopt-autodiff: " << error;
      return signalPassFailure();
    }
    SmallVector<Value> results(ret.getOperands());
    results.append(grads->begin(), grads->end());
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();
    vjp.setType(b.getFunctionType(body.getArgumentTypes(), ValueRange(results).getTypes()));
  }
};

} // namespace
