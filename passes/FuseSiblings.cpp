//===- FuseSiblings.cpp - the mlopt-fuse-siblings pass --------------------===//
//
// Horizontal fusion: two linalg.generic ops over the same loops that read a
// common input become one generic with both results, so the input is read
// once (x.sin() and x.cos(); the sum and the sum of squares of a row).
// Producer-consumer fusion never merges them: neither uses the other.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

#include <numeric>

namespace mlir::mlopt {
#define GEN_PASS_DEF_FUSESIBLINGS
#include "passes/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// Whether `v` is defined before `at`, or is made by a side-effect-free op
/// (a destination's tensor.empty or fill) that can move there.
bool availableAt(Value v, Operation *at, int depth) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != at->getBlock() || def->isBeforeInBlock(at))
    return true;
  if (depth == 0 || !isa<tensor::EmptyOp, linalg::FillOp, arith::ConstantOp>(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) { return availableAt(o, at, depth - 1); });
}

/// Moves what availableAt allowed to just before `at`.
void hoistBefore(Value v, Operation *at) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != at->getBlock() || def->isBeforeInBlock(at))
    return;
  for (Value o : def->getOperands())
    hoistBefore(o, at);
  def->moveBefore(at);
}

/// Whether `later` can join `first` at `first`'s position: the same static
/// loops and iterators, a shared input, and every operand of `later` already
/// defined before `first` (so neither depends on the other).
/// Whether `op` reads `v` through a map that uses every loop (the whole
/// input, not a broadcast vector such as a bias).
bool readsWhole(linalg::GenericOp op, Value v) {
  return llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    AffineMap map = op.getMatchingIndexingMap(in);
    return in->get() == v && map.isPermutation();
  });
}

bool canMerge(linalg::GenericOp first, linalg::GenericOp later) {
  // The shared input must be read whole by both: sharing a broadcast bias
  // saves nothing and could tie together ops of two different row chains.
  bool shared = llvm::any_of(later.getDpsInputs(), [&](Value v) {
    return readsWhole(first, v) && readsWhole(later, v);
  });
  if (!shared || !first.hasPureTensorSemantics() || !later.hasPureTensorSemantics())
    return false;
  if (first.hasDynamicShape() || later.hasDynamicShape() ||
      first.getStaticLoopRanges() != later.getStaticLoopRanges() ||
      first.getIteratorTypesArray() != later.getIteratorTypesArray())
    return false;
  if (linalg::isaContractionOpInterface(first) || linalg::isaContractionOpInterface(later))
    return false;
  // Operands, and values the body reads from outside (a gather's source
  // through tensor.extract), must not come from `first` or after it.
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(later.getRegion(), captured);
  auto available = [&](Value v) { return availableAt(v, first, /*depth=*/2); };
  return llvm::all_of(later->getOperands(), available) && llvm::all_of(captured, available);
}

/// One generic computing both: inputs of `first` then those of `later` not
/// already there, outputs of both, the bodies one after the other.
linalg::GenericOp merge(OpBuilder &b, linalg::GenericOp first, linalg::GenericOp later) {
  SmallVector<Value> inputs(first.getDpsInputs());
  SmallVector<AffineMap> inputMaps;
  for (OpOperand *in : first.getDpsInputOperands())
    inputMaps.push_back(first.getMatchingIndexingMap(in));
  // Where each input of `later` sits among the merged inputs.
  SmallVector<unsigned> laterInput;
  for (OpOperand *in : later.getDpsInputOperands()) {
    AffineMap map = later.getMatchingIndexingMap(in);
    unsigned at = inputs.size();
    for (unsigned i = 0; i < inputs.size(); ++i)
      if (inputs[i] == in->get() && inputMaps[i] == map)
        at = i;
    if (at == inputs.size()) {
      inputs.push_back(in->get());
      inputMaps.push_back(map);
    }
    laterInput.push_back(at);
  }
  SmallVector<Value> outputs(first.getDpsInits());
  llvm::append_range(outputs, later.getDpsInits());
  SmallVector<AffineMap> maps(inputMaps);
  for (OpOperand &out : first.getDpsInitsMutable())
    maps.push_back(first.getMatchingIndexingMap(&out));
  for (OpOperand &out : later.getDpsInitsMutable())
    maps.push_back(later.getMatchingIndexingMap(&out));
  SmallVector<Type> types(first->getResultTypes());
  llvm::append_range(types, later->getResultTypes());

  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(later.getRegion(), captured);
  for (Value v : later->getOperands())
    hoistBefore(v, first);
  for (Value v : captured)
    hoistBefore(v, first);
  b.setInsertionPoint(first);
  auto fused = b.create<linalg::GenericOp>(first.getLoc(), types, inputs, outputs, maps,
                                           first.getIteratorTypesArray());
  Block *body = b.createBlock(&fused.getRegion());
  for (Value v : inputs)
    body->addArgument(getElementTypeOrSelf(v.getType()), first.getLoc());
  for (Value v : outputs)
    body->addArgument(getElementTypeOrSelf(v.getType()), first.getLoc());
  unsigned numInputs = inputs.size(), firstOutputs = first.getNumDpsInits();

  b.setInsertionPointToStart(body);
  SmallVector<Value> yielded;
  auto cloneBody = [&](linalg::GenericOp op, ArrayRef<unsigned> inputAt, unsigned outputBase) {
    IRMapping mapping;
    Block &old = op.getRegion().front();
    unsigned nIn = op.getNumDpsInputs();
    for (unsigned i = 0; i < nIn; ++i)
      mapping.map(old.getArgument(i), body->getArgument(inputAt[i]));
    for (unsigned i = 0; i < op.getNumDpsInits(); ++i)
      mapping.map(old.getArgument(nIn + i), body->getArgument(numInputs + outputBase + i));
    for (Operation &inner : old.without_terminator())
      b.clone(inner, mapping);
    for (Value v : old.getTerminator()->getOperands())
      yielded.push_back(mapping.lookupOrDefault(v));
  };
  SmallVector<unsigned> firstInput(first.getNumDpsInputs());
  std::iota(firstInput.begin(), firstInput.end(), 0);
  cloneBody(first, firstInput, 0);
  cloneBody(later, laterInput, firstOutputs);
  b.create<linalg::YieldOp>(first.getLoc(), yielded);

  first->replaceAllUsesWith(fused->getResults().take_front(first->getNumResults()));
  later->replaceAllUsesWith(fused->getResults().drop_front(first->getNumResults()));
  later->erase();
  first->erase();
  return fused;
}

struct FuseSiblingsPass : mlopt::impl::FuseSiblingsBase<FuseSiblingsPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    for (Block &block : getOperation().getBody()) {
      // One sweep: each generic absorbs the later siblings it can; the
      // merged op stays at the first one's place.
      SmallVector<linalg::GenericOp> generics(block.getOps<linalg::GenericOp>());
      for (size_t i = 0; i < generics.size(); ++i) {
        if (!generics[i])
          continue;
        for (size_t j = i + 1; j < generics.size(); ++j)
          if (generics[j] && canMerge(generics[i], generics[j])) {
            generics[i] = merge(b, generics[i], generics[j]);
            generics[j] = nullptr;
          }
      }
    }
  }
};

} // namespace
