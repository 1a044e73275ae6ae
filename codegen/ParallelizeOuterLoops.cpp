//===- ParallelizeOuterLoops.cpp - the mlopt-parallelize-outer-loops pass -===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTPARALLELIZEOUTERLOOPS
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// Clones the body of `loop` (all but its terminator) at the builder, with
/// the loop's induction variables mapped to `ivs`.
void cloneBody(OpBuilder &b, scf::ParallelOp loop, ValueRange ivs) {
  IRMapping mapping;
  mapping.map(loop.getInductionVars(), ivs);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
}

/// Sequential loops over dims [first, rank) of `loop`, around its body.
void buildSequentialNest(OpBuilder &b, Location loc, scf::ParallelOp loop, unsigned first,
                         SmallVector<Value> ivs) {
  if (first == loop.getNumLoops()) {
    cloneBody(b, loop, ivs);
    return;
  }
  auto inner = b.create<scf::ForOp>(loc, loop.getLowerBound()[first],
                                    loop.getUpperBound()[first], loop.getStep()[first]);
  OpBuilder nested = OpBuilder::atBlockBegin(inner.getBody());
  ivs.push_back(inner.getInductionVar());
  buildSequentialNest(nested, loc, loop, first + 1, ivs);
}

int64_t staticTrips(Value lb, Value ub, Value step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub), s = getConstantIntValue(step);
  return l && u && s && *s > 0 && *u > *l ? (*u - *l + *s - 1) / *s : 1;
}

/// The iterations of the biggest loop nest inside `op` (static trip counts;
/// unknown ones count 1): the work per iteration of a tile loop.
int64_t nestedWork(Operation *op) {
  int64_t best = 1;
  for (Region &region : op->getRegions())
    for (Operation &inner : region.getOps()) {
      int64_t trips = 1;
      if (auto p = dyn_cast<scf::ParallelOp>(inner))
        for (auto [lb, ub, step] : llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep()))
          trips *= staticTrips(lb, ub, step);
      else if (auto f = dyn_cast<scf::ForOp>(inner))
        trips = staticTrips(f.getLowerBound(), f.getUpperBound(), f.getStep());
      if (inner.getNumRegions())
        best = std::max(best, trips * nestedWork(&inner));
    }
  return best;
}

/// The trip counts of the leading dims of `loop` the threads share: the
/// first, and more while the iterations so far are fewer than 64 and static
/// (a batch of 4 alone would leave cores idle); empty when the first is not
/// static. The innermost dim stays sequential (it is the one LLVM
/// vectorizes) unless each iteration is a whole nest (a loop over row tiles).
SmallVector<int64_t> sharedTrips(scf::ParallelOp loop) {
  constexpr int64_t kEnoughIterations = 64;
  unsigned last = loop.getNumLoops() - (nestedWork(loop) > 1 ? 0 : 1);
  SmallVector<int64_t> trips;
  int64_t count = 1;
  for (unsigned d = 0; d < std::max(last, 1u) && (d == 0 || count < kEnoughIterations); ++d) {
    if (!getConstantIntValue(loop.getLowerBound()[d]) ||
        !getConstantIntValue(loop.getUpperBound()[d]) || !getConstantIntValue(loop.getStep()[d]))
      break;
    trips.push_back(staticTrips(loop.getLowerBound()[d], loop.getUpperBound()[d], loop.getStep()[d]));
    count *= trips.back();
  }
  return trips;
}

struct ParallelizeOuterLoopsPass
    : mlopt::impl::MloptParallelizeOuterLoopsBase<ParallelizeOuterLoopsPass> {
  using MloptParallelizeOuterLoopsBase::MloptParallelizeOuterLoopsBase;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> outermost;
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      outermost.push_back(loop);
      return WalkResult::skip(); // nested ones become sequential with it
    });
    for (scf::ParallelOp loop : outermost)
      if (loop.getNumResults() == 0)
        rewrite(loop);
  }

  void rewrite(scf::ParallelOp loop) {
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    // Total iterations of the nest: the product of the trip counts.
    Value total = b.create<arith::ConstantIndexOp>(loc, 1);
    for (auto [lb, ub, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = b.create<arith::SubIOp>(loc, ub, lb);
      Value trips = b.create<arith::CeilDivSIOp>(loc, span, step);
      total = b.create<arith::MulIOp>(loc, total, trips);
    }
    // A tile loop (mlopt-fuse-rows) does a whole nest per iteration.
    total = b.create<arith::MulIOp>(
        loc, total, b.create<arith::ConstantIndexOp>(loc, nestedWork(loop)));
    Value big = b.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::sge, total,
        b.create<arith::ConstantIndexOp>(loc, minParallelWork));
    auto branch = b.create<scf::IfOp>(loc, big, /*withElseRegion=*/true);

    OpBuilder then = branch.getThenBodyBuilder();
    SmallVector<int64_t> trips = sharedTrips(loop);
    scf::ParallelOp outer;
    if (trips.size() <= 1) {
      outer = then.create<scf::ParallelOp>(loc, loop.getLowerBound().take_front(),
                                           loop.getUpperBound().take_front(),
                                           loop.getStep().take_front());
      OpBuilder inner = OpBuilder::atBlockBegin(outer.getBody());
      buildSequentialNest(inner, loc, loop, 1, {outer.getInductionVars()[0]});
    } else {
      // One index over the shared dims' iterations; each dim's induction
      // variable from it (once per iteration of a whole inner nest).
      int64_t count = 1;
      for (int64_t t : trips)
        count *= t;
      auto index = [&](OpBuilder &b, int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); };
      outer = then.create<scf::ParallelOp>(loc, ValueRange{index(then, 0)},
                                           ValueRange{index(then, count)},
                                           ValueRange{index(then, 1)});
      OpBuilder inner = OpBuilder::atBlockBegin(outer.getBody());
      Value rest = outer.getInductionVars()[0];
      SmallVector<Value> ivs(trips.size());
      for (int d = trips.size() - 1; d >= 0; --d) {
        Value trip = index(inner, trips[d]);
        Value position = d == 0 ? rest : inner.create<arith::RemUIOp>(loc, rest, trip);
        if (d > 0)
          rest = inner.create<arith::DivUIOp>(loc, rest, trip);
        ivs[d] = inner.create<arith::AddIOp>(
            loc, loop.getLowerBound()[d],
            inner.create<arith::MulIOp>(loc, position, loop.getStep()[d]));
      }
      buildSequentialNest(inner, loc, loop, trips.size(), ivs);
    }

    OpBuilder otherwise = branch.getElseBodyBuilder();
    buildSequentialNest(otherwise, loc, loop, 0, {});
    loop.erase();
    // Parallel loops nested in the body were cloned as they are; make them
    // sequential too (they would start nested parallel regions).
    branch.walk([&](scf::ParallelOp nested) {
      if (nested != outer && nested.getNumResults() == 0) {
        OpBuilder nb(nested);
        buildSequentialNest(nb, nested.getLoc(), nested, 0, {});
        nested.erase();
      }
    });
  }
};

} // namespace
