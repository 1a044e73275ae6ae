//===- RowLoops.h - matching loop nests over rows of buffers ----*- C++ -*-===//
//
// What the passes that restructure fused row loops (mlopt-online-softmax,
// mlopt-store-row-summands) ask of scf loops on memrefs: a row's reduction,
// the row loops around it, whether two loop bodies compute the same value,
// and whether something in between may write what they read.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_CODEGEN_ROWLOOPS_H
#define MLOPT_CODEGEN_ROWLOOPS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>

namespace mlir::mlopt {

/// A reduction loop `scf.for %j iter_args(%acc)` whose body is pure
/// computation and loads, yielding `combine(value, %acc)`.
struct RowReduction {
  scf::ForOp loop;
  Operation *combine; // arith.maximumf or arith.addf
  Value value;        // the other operand of `combine`
};
std::optional<RowReduction> asRowReduction(scf::ForOp loop);

/// `a` (in the body of one loop) computes what `b` (in another) does, given
/// the values of a's loops known to correspond to b's (`pairs`: the loops'
/// indices). Loads compare by buffer and indices: the caller checks that
/// nothing writes the buffer in between (clobbered).
bool sameValue(Value a, Value b, const DenseMap<Value, Value> &pairs);

/// The buffer `view` is a view of.
Value baseOf(Value view);

/// `buffer` is allocated here and only loaded, stored, copied, freed and
/// viewed (through ops that say they are views): no other name can reach it.
bool isLocal(Value buffer);

/// Two buffers are distinct if either is local (isLocal) and they differ;
/// anything else may alias.
bool mayAlias(Value a, Value b);

/// Whether `op` (or an op nested in it) may write one of `buffers`, or
/// writes in a way these passes do not follow.
bool mayWrite(Operation *op, ArrayRef<Value> buffers);

/// The row loops around `loop` (a row's inner loop): the scf.for ops that
/// enclose it up to `stop`'s block, innermost first; empty if another op
/// is in the way.
SmallVector<scf::ForOp> rowLoops(scf::ForOp loop, Block *stop);

bool sameBounds(scf::ForOp a, scf::ForOp b);

/// Whether an op of either nest but the two inner loops and `skip`, or an
/// op between the nests, may write `read`. (An op before `first` in its
/// nest runs again for later rows; one after `second` ran for earlier rows:
/// both are between some row's first loop and its second.)
bool clobbered(scf::ForOp first, Operation *skip, Operation *firstNest, scf::ForOp second,
               Operation *secondNest, ArrayRef<Value> read);

} // namespace mlir::mlopt

#endif // MLOPT_CODEGEN_ROWLOOPS_H
