//===- OnlineSoftmax.cpp - the mlopt-online-softmax pass ------------------===//
//
// Softmax, log_softmax and logsumexp take a row's max in one pass and the
// sum of exp(x - max) in the next. The first pass streams the row from
// memory with little to compute; the second computes an exp per element
// while memory idles. This pass computes both in one pass over chunks of
// the row (Milakov and Gimelshein's "online normalizer"): each chunk's max
// first (the chunk then sits in L1), then the chunk's sum of exp relative
// to the running max, with the sum so far rescaled by exp(old - new shift).
// Memory streams while the core computes, and an exp per element stays an
// exp per element (plus one per chunk).
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/RowLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTONLINESOFTMAX
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {

/// Elements per chunk: a chunk stays in L1 between its two loops, and the
/// per-chunk work (two horizontal reductions, one exp) stays small.
constexpr int64_t kChunk = 2048;

/// A row max `%m = max_j v(j)` stored to a buffer M, then, in a later loop
/// nest over the same rows, `%s = sum_j exp(v(j) - shift(M[i]))`.
struct MaxThenExpSum {
  RowReduction max, sum;
  memref::StoreOp maxStore; // M[i] = %m
  memref::LoadOp maxLoad;   // M[i] in the sum's body
  Value shift;              // shift(M[i]), computed in the sum's body
  Operation *sumNest;       // the outermost loop of the sum's nest
  IRMapping rows;           // the sum's row indices to the max's
};

/// The value of `v` when `max` is `at`, for a condition built of float
/// compares, absf and i1 logic over `max` and constants; nullopt otherwise.
std::optional<APFloat> evaluateFloat(Value v, Value max, const APFloat &at) {
  if (v == max)
    return at;
  FloatAttr constant;
  if (matchPattern(v, m_Constant(&constant)))
    return constant.getValue();
  if (auto abs = v.getDefiningOp<math::AbsFOp>())
    if (std::optional<APFloat> x = evaluateFloat(abs.getOperand(), max, at))
      return llvm::abs(*x);
  return std::nullopt;
}

std::optional<bool> evaluateCondition(Value v, Value max, const APFloat &at) {
  if (auto cmp = v.getDefiningOp<arith::CmpFOp>()) {
    std::optional<APFloat> lhs = evaluateFloat(cmp.getLhs(), max, at);
    std::optional<APFloat> rhs = evaluateFloat(cmp.getRhs(), max, at);
    if (!lhs || !rhs)
      return std::nullopt;
    return arith::applyCmpPredicate(cmp.getPredicate(), *lhs, *rhs);
  }
  Operation *op = v.getDefiningOp();
  if (!op || !isa<arith::OrIOp, arith::AndIOp, arith::XOrIOp>(op))
    return std::nullopt;
  std::optional<bool> a = evaluateCondition(op->getOperand(0), max, at);
  std::optional<bool> b = evaluateCondition(op->getOperand(1), max, at);
  if (!a || !b) {
    IntegerAttr constant; // xori %c, true
    if (a && matchPattern(op->getOperand(1), m_Constant(&constant)))
      b = constant.getValue().getBoolValue();
    if (!a || !b)
      return std::nullopt;
  }
  if (isa<arith::OrIOp>(op))
    return *a || *b;
  if (isa<arith::AndIOp>(op))
    return *a && *b;
  return *a != *b;
}

/// `shift` is `select(cond, c, max)` or `select(cond, max, c)`, `c` a finite
/// constant and `cond` a test of the max that picks `c` for a max of -inf:
/// PyTorch's shifts (`where(isfinite(m), m, 0)`, `where(m != -inf, m, 0)`).
/// A chunk of only -inf then sums exp(-inf - c) = 0, as the whole row's sum
/// has; with the max itself as the shift it would sum exp(-inf + inf) = NaN.
/// (A max of +inf or NaN makes the row's sum NaN either way.)
bool isSafeShiftOf(Value shift, Value max) {
  auto select = shift.getDefiningOp<arith::SelectOp>();
  if (!select)
    return false;
  bool constantIfTrue = select.getFalseValue() == max;
  if (!constantIfTrue && select.getTrueValue() != max)
    return false;
  FloatAttr replacement;
  if (!matchPattern(constantIfTrue ? select.getTrueValue() : select.getFalseValue(),
                    m_Constant(&replacement)) ||
      !replacement.getValue().isFinite())
    return false;
  APFloat minusInf = APFloat::getInf(replacement.getValue().getSemantics(), /*Negative=*/true);
  std::optional<bool> cond = evaluateCondition(select.getCondition(), max, minusInf);
  return cond && *cond == constantIfTrue;
}

std::optional<MaxThenExpSum> match(scf::ForOp maxLoop, DominanceInfo &dominance) {
  std::optional<RowReduction> max = asRowReduction(maxLoop);
  if (!max || !isa<arith::MaximumFOp>(max->combine) || !maxLoop.getResult(0).hasOneUse())
    return std::nullopt;
  auto maxStore = dyn_cast<memref::StoreOp>(*maxLoop.getResult(0).getUsers().begin());
  if (!maxStore || maxStore->getBlock() != maxLoop->getBlock())
    return std::nullopt;
  // M allocated beside the nests (the sums' buffer goes beside it, freed
  // after the sum's nest), and rows of at least one element.
  Value buffer = maxStore.getMemRef();
  Operation *allocation = buffer.getDefiningOp();
  std::optional<int64_t> lower = getConstantIntValue(maxLoop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(maxLoop.getUpperBound());
  if (!allocation || !isa<memref::AllocOp, memref::AllocaOp>(allocation) ||
      !cast<MemRefType>(buffer.getType()).hasStaticShape() || !lower ||
      (upper && *upper <= *lower) || *getConstantIntValue(maxLoop.getStep()) <= 0)
    return std::nullopt;
  SmallVector<scf::ForOp> maxRows = rowLoops(maxLoop, allocation->getBlock());
  Type type = maxLoop.getResult(0).getType();
  if (maxRows.empty() || (!type.isF32() && !type.isF64()))
    return std::nullopt;
  for (Operation *user : buffer.getUsers()) {
    auto load = dyn_cast<memref::LoadOp>(user);
    auto sumLoop = load ? dyn_cast<scf::ForOp>(load->getParentOp()) : scf::ForOp();
    if (!sumLoop || !sameBounds(sumLoop, maxLoop))
      continue;
    SmallVector<scf::ForOp> sumRows = rowLoops(sumLoop, allocation->getBlock());
    if (sumRows.size() != maxRows.size() || sumRows.back() == maxRows.back() ||
        !maxRows.back()->isBeforeInBlock(sumRows.back()) ||
        !llvm::all_of(llvm::zip(maxRows, sumRows),
                      [](auto p) { return sameBounds(std::get<0>(p), std::get<1>(p)); }))
      continue;
    std::optional<RowReduction> sum = asRowReduction(sumLoop);
    // (reassoc: the chunks add in another order than the loop did)
    auto add = sum ? dyn_cast<arith::AddFOp>(sum->combine) : arith::AddFOp();
    if (!add || !bitEnumContainsAll(add.getFastmath(), arith::FastMathFlags::reassoc) ||
        sumLoop.getResult(0).getType() != type)
      continue;
    // sum_j exp(v'(j) - shift(M[i])), v' computing what the max's v does,
    // M[i] read at the index the max wrote.
    auto exp = sum->value.getDefiningOp<math::ExpOp>();
    auto sub = exp ? exp.getOperand().getDefiningOp<arith::SubFOp>() : arith::SubFOp();
    if (!sub || !isSafeShiftOf(sub.getRhs(), load.getResult()))
      continue;
    IRMapping rows;
    for (auto [maxRow, sumRow] : llvm::zip(maxRows, sumRows))
      rows.map(sumRow.getInductionVar(), maxRow.getInductionVar());
    DenseMap<Value, Value> indices = rows.getValueMap();
    indices[sumLoop.getInductionVar()] = maxLoop.getInductionVar();
    // Each row has an M element of its own (every row index is an index of
    // the store), and the sum's read of it needs nothing from its loop.
    if (!sameValue(sub.getLhs(), max->value, indices) ||
        !llvm::all_of(llvm::zip(load.getIndices(), maxStore.getIndices()), [&](auto pair) {
          return sameValue(std::get<0>(pair), std::get<1>(pair), rows.getValueMap());
        }) ||
        !llvm::all_of(maxRows, [&](scf::ForOp row) {
          return llvm::is_contained(maxStore.getIndices(), row.getInductionVar());
        }) ||
        llvm::any_of(load.getIndices(), [&](Value index) {
          return sumLoop.getBodyRegion().isAncestor(index.getParentRegion());
        }))
      continue;
    // What the two read must not change in between; M[i] is read once in
    // the sum (the read the rewrite replaces); the sum's body must be
    // computable where the max is.
    SmallVector<Value> read = {buffer};
    int maxReads = 0;
    for (scf::ForOp loop : {maxLoop, sumLoop})
      loop.getBody()->walk([&](memref::LoadOp l) {
        read.push_back(l.getMemRef());
        maxReads += baseOf(l.getMemRef()) == buffer;
      });
    if (maxReads != 1 || clobbered(maxLoop, maxStore, maxRows.back(), sumLoop,
                                   sumRows.back(), read))
      continue;
    WalkResult outside = sumLoop.getBody()->walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (!sumLoop.getBodyRegion().isAncestor(operand.getParentRegion()) &&
            operand != load.getResult() && !rows.contains(operand) &&
            !dominance.properlyDominates(operand, maxLoop))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (outside.wasInterrupted())
      continue;
    return MaxThenExpSum{*max, *sum, maxStore, load, sub.getRhs(), sumRows.back(), rows};
  }
  return std::nullopt;
}

/// Clones the body of `loop` (but its terminator and `skip`) with `map`;
/// returns what its yield yields.
Value cloneBody(OpBuilder &b, scf::ForOp loop, IRMapping &map, Operation *skip = nullptr) {
  for (Operation &op : loop.getBody()->without_terminator())
    if (&op != skip)
      b.clone(op, map);
  return map.lookupOrDefault(loop.getBody()->getTerminator()->getOperand(0));
}

/// `shift(max)`: the shift's computation in the sum's body, cloned with
/// `max` for the M[i] read.
Value cloneShift(OpBuilder &b, MaxThenExpSum m, Value max) {
  IRMapping map;
  map.map(m.maxLoad.getResult(), max);
  SetVector<Operation *> slice;
  SmallVector<Value> pending = {m.shift};
  while (!pending.empty()) {
    Value v = pending.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || def == m.maxLoad || def->getBlock() != m.sum.loop.getBody() ||
        !slice.insert(def))
      continue;
    llvm::append_range(pending, def->getOperands());
  }
  for (Operation &op : m.sum.loop.getBody()->without_terminator())
    if (slice.contains(&op))
      b.clone(op, map);
  return map.lookupOrDefault(m.shift);
}

void rewrite(MaxThenExpSum m) {
  scf::ForOp maxLoop = m.max.loop, sumLoop = m.sum.loop;
  Location loc = maxLoop.getLoc();
  auto type = cast<FloatType>(maxLoop.getResult(0).getType());
  OpBuilder b(maxLoop);
  // The row's sums go from the max's nest to the sum's through a buffer of
  // the max buffer's shape.
  Value maxBuffer = m.maxStore.getMemRef();
  OpBuilder atBuffer(maxBuffer.getDefiningOp());
  atBuffer.setInsertionPointAfter(maxBuffer.getDefiningOp());
  auto sumsType = cast<MemRefType>(maxBuffer.getType());
  Value sums = atBuffer.create<memref::AllocOp>(loc, sumsType);

  int64_t lower = *getConstantIntValue(maxLoop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(maxLoop.getUpperBound());
  int64_t step = *getConstantIntValue(maxLoop.getStep());
  int64_t chunk = kChunk * step;
  bool whole = upper && (*upper - lower) % chunk == 0; // else the last chunk is short
  if (upper && *upper - lower < chunk)
    chunk = *upper - lower, whole = true;
  Value chunkStep = b.create<arith::ConstantIndexOp>(loc, chunk);
  Value zero = b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, 0.0));
  Value one = b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, 1.0));
  auto chunks = b.create<scf::ForOp>(
      loc, maxLoop.getLowerBound(), maxLoop.getUpperBound(), chunkStep,
      ValueRange{maxLoop.getInitArgs()[0], zero},
      [&](OpBuilder &b, Location loc, Value start, ValueRange carried) {
        Value end = b.create<arith::AddIOp>(loc, start, chunkStep);
        if (!whole)
          end = b.create<arith::MinSIOp>(loc, end, maxLoop.getUpperBound());
        // The chunk's max, from where the row's max has got to.
        auto chunkMax = b.create<scf::ForOp>(
            loc, start, end, maxLoop.getStep(), ValueRange{carried[0]},
            [&](OpBuilder &b, Location loc, Value j, ValueRange acc) {
              IRMapping map;
              map.map(maxLoop.getInductionVar(), j);
              map.map(maxLoop.getRegionIterArgs()[0], acc[0]);
              b.create<scf::YieldOp>(loc, cloneBody(b, maxLoop, map));
            });
        Value newMax = chunkMax.getResult(0);
        // The sum so far, moved to the new shift. Unchanged shifts and
        // empty sums stay as they are (no exp(-inf + inf), no 0 * inf).
        Value oldShift = cloneShift(b, m, carried[0]);
        Value newShift = cloneShift(b, m, newMax);
        Value scale = b.create<math::ExpOp>(
            loc, b.create<arith::SubFOp>(loc, oldShift, newShift).getResult());
        Value same = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, oldShift, newShift);
        scale = b.create<arith::SelectOp>(loc, same, one, scale);
        Value empty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, carried[1], zero);
        Value moved = b.create<arith::SelectOp>(
            loc, empty, carried[1], b.create<arith::MulFOp>(loc, carried[1], scale).getResult());
        // The chunk's sum of exp, against the new shift.
        auto chunkSum = b.create<scf::ForOp>(
            loc, start, end, sumLoop.getStep(), ValueRange{zero},
            [&](OpBuilder &b, Location loc, Value j, ValueRange acc) {
              IRMapping map;
              map.map(sumLoop.getInductionVar(), j);
              map.map(sumLoop.getRegionIterArgs()[0], acc[0]);
              for (auto [sumRow, maxRow] : m.rows.getValueMap())
                map.map(sumRow, maxRow);
              map.map(m.maxLoad.getResult(), newMax);
              b.create<scf::YieldOp>(loc, cloneBody(b, sumLoop, map, m.maxLoad));
            });
        Value sum = b.create<arith::AddFOp>(loc, moved, chunkSum.getResult(0));
        b.create<scf::YieldOp>(loc, ValueRange{newMax, sum});
      });
  maxLoop.getResult(0).replaceAllUsesWith(chunks.getResult(0));
  OpBuilder afterStore(m.maxStore);
  afterStore.setInsertionPointAfter(m.maxStore);
  afterStore.create<memref::StoreOp>(loc, chunks.getResult(1), sums, m.maxStore.getIndices());
  maxLoop.erase();

  // The sum's loop becomes its start plus the row's sum.
  OpBuilder atSum(sumLoop);
  Value rowSum = atSum.create<memref::LoadOp>(loc, sums, m.maxLoad.getIndices());
  Value total = atSum.create<arith::AddFOp>(loc, sumLoop.getInitArgs()[0], rowSum);
  sumLoop.getResult(0).replaceAllUsesWith(total);
  // (the M[i] read in the sum's body goes with it)
  OpBuilder afterRows(m.sumNest);
  afterRows.setInsertionPointAfter(m.sumNest);
  afterRows.create<memref::DeallocOp>(loc, sums);
  sumLoop.erase();
}

struct OnlineSoftmaxPass : mlopt::impl::MloptOnlineSoftmaxBase<OnlineSoftmaxPass> {
  void runOnOperation() override {
    SmallVector<MaxThenExpSum> found;
    DominanceInfo dominance(getOperation());
    getOperation()->walk([&](scf::ForOp loop) {
      if (std::optional<MaxThenExpSum> m = match(loop, dominance))
        found.push_back(*m);
    });
    // Each max and each sum in at most one match.
    llvm::SmallPtrSet<Operation *, 8> used;
    for (MaxThenExpSum m : found)
      if (used.insert(m.max.loop).second && used.insert(m.sum.loop).second)
        rewrite(m);
  }
};

} // namespace
