//===- Pipelines.cpp - the mlopt-lower-to-llvm pipeline -------------------===//
//
// Reads top to bottom as the list of stages an mlopt module goes through on
// its way to LLVM IR. Every stage is an upstream or mlopt pass, so any
// intermediate IR (--mlir-print-ir-after-all) replays with `mlopt`.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// Marks public functions for a C interface: the runtime calls
/// `_mlir_ciface_<name>` with pointers to memref descriptors.
struct EmitCInterfacePass
    : PassWrapper<EmitCInterfacePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmitCInterfacePass)
  StringRef getArgument() const final { return "mlopt-emit-c-interface"; }
  StringRef getDescription() const final {
    return "Marks public functions with llvm.emit_c_interface";
  }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
  }
};
/// Marks the arguments of public functions `bufferization.writable = false`:
/// they are the caller's tensors, so an op that updates a copy of one
/// (scatter_add) gets a fresh buffer instead of writing into it.
struct ReadOnlyArgumentsPass
    : PassWrapper<ReadOnlyArgumentsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ReadOnlyArgumentsPass)
  StringRef getArgument() const final { return "mlopt-read-only-arguments"; }
  StringRef getDescription() const final {
    return "Marks public functions' tensor arguments bufferization.writable = false";
  }
  void runOnOperation() override {
    auto no = BoolAttr::get(&getContext(), false);
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        for (unsigned i = 0; i < func.getNumArguments(); ++i)
          if (isa<TensorType>(func.getArgument(i).getType()))
            func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName, no);
  }
};

/// Gives every op that writes into a fill its own fill (and empty tensor).
/// CSE merges identical fills, the zero inits of several matmuls and
/// reductions; bufferized, each writer then copied the one filled buffer
/// (a transformer block's backward: 30 MB of copies), where a fill of its
/// own is folded into the writer (a GEMM's beta = 0, a reduction's start).
struct UnshareFillsPass : PassWrapper<UnshareFillsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(UnshareFillsPass)
  StringRef getArgument() const final { return "mlopt-unshare-fills"; }
  StringRef getDescription() const final {
    return "Gives each op that writes into a shared linalg.fill its own fill";
  }
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> writers;
      for (OpOperand &use : fill->getResult(0).getUses())
        if (auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner()))
          if (dps.isDpsInit(&use))
            writers.push_back(&use);
      for (OpOperand *use : writers) {
        OpBuilder b(use->getOwner());
        IRMapping mapping;
        if (auto empty = fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>())
          mapping.map(empty.getResult(), b.clone(*empty)->getResult(0));
        use->set(b.clone(*fill, mapping)->getResult(0));
      }
      if (fill->use_empty())
        fill->erase();
    }
  }
};
} // namespace

namespace mlir::mlopt {
/// Stages 1 and 2, shared by every backend: mlopt on tensors is specialized,
/// lowered to linalg and fused; then tensors become buffers. `rowTile` is
/// the elements per row tile of mlopt-fuse-rows, `minTiles` the tiles it
/// makes at least where the row dims allow (GPU: a block per row);
/// `columnThreads` the partial results column sums are split into (GPU).
void buildFuseAndBufferize(OpPassManager &pm, int64_t rowTile, int64_t minTiles,
                           int64_t columnThreads) {
  // 1. mlopt on tensors: specialize shapes, fold, lower to linalg.
  pm.addPass(createRefineShapes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass()); // traced code repeats itself (softmax's amax)
  pm.addPass(createConvertMloptToLinalg());
  pm.addPass(createCanonicalizerPass());
  // Producer-consumer fusion of elementwise generics (and elementwise
  // producers into reductions): one loop nest, no intermediate buffers.
  pm.addPass(createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // Long reductions with few results: in blocks, for threads (CPU cores,
  // CUDA blocks) and accuracy.
  SplitReductionsOptions split;
  split.columnThreads = columnThreads;
  pm.addNestedPass<func::FuncOp>(createSplitReductions(split));
  // Horizontal: siblings reading one input become one generic.
  pm.addNestedPass<func::FuncOp>(createFuseSiblings());
  // Reductions with their producers and consumers: one loop over row tiles
  // (softmax, layer_norm read each row once).
  FuseRowsOptions rows;
  rows.tileElements = rowTile;
  rows.minTiles = minTiles;
  pm.addNestedPass<func::FuncOp>(createFuseRows(rows));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass()); // the tiles' repeated slices of one input
  pm.addNestedPass<func::FuncOp>(std::make_unique<UnshareFillsPass>());

  // 2. Tensors to buffers. Function results are fresh, caller-owned buffers;
  // arguments are the caller's and are never written.
  pm.addPass(std::make_unique<ReadOnlyArgumentsPass>());
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createBufferizationToMemRefPass()); // clones of returned views
}
} // namespace mlir::mlopt

void mlopt::buildLowerToCudaPipeline(OpPassManager &pm) {
  // One row per tile: each tile of a fused row group is one CUDA block.
  buildFuseAndBufferize(pm, /*rowTile=*/1, /*minTiles=*/INT64_MAX, /*columnThreads=*/65536);
  pm.addPass(createCanonicalizerPass());
}

void mlopt::buildLowerToLLVMPipeline(OpPassManager &pm) {
  // Row tiles past the batch while there are fewer than 16 (the threads
  // share the tile loop's dims: mlopt-parallelize-outer-loops).
  buildFuseAndBufferize(pm, /*rowTile=*/32768, /*minTiles=*/16, /*columnThreads=*/0);

  // 3. f32/f64 matmul to BLAS; everything else to loops, with
  // transcendental math expanded so loops vectorize.
  pm.addPass(mlopt::createMloptLinalgToBlas());
  pm.addPass(createForallToParallelLoopPass()); // the row-tile loops
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(mlopt::createMloptParallelizeOuterLoops());
  pm.addPass(mlopt::createMloptPromoteAccumulators()); // reductions vectorize
  pm.addPass(mlopt::createMloptStoreRowSummands()); // softmax's exp once per element
  pm.addPass(mlopt::createMloptOnlineSoftmax()); // max and sum of exp in one pass
  pm.addPass(mlopt::createMloptExpandMath()); // also ceil/floor div, bf16 casts
  pm.addPass(createCanonicalizerPass());
  // Threads: one OpenMP work-sharing loop per big loop nest.
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(createCanonicalizerPass()); // inlines alloca scopes without allocas

  // 4. Everything to the LLVM dialect.
  pm.addPass(std::make_unique<EmitCInterfacePass>());
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass()); // what LLVM has no intrinsic for
  pm.addPass(createArithToLLVMConversionPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  // Allocation goes through _mlir_memref_to_llvm_alloc/free, which the
  // runtime provides: results become runtime buffers without a copy.
  memrefOptions.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlopt::registerCodegenPipelines() {
  registerCodegenPasses();
  PassRegistration<EmitCInterfacePass>();
  PassRegistration<ReadOnlyArgumentsPass>();
  PassRegistration<UnshareFillsPass>();
  registerModulePipeline(
      "mlopt-lower-to-llvm",
      "Lowers an mlopt module to the LLVM dialect (linalg, bufferization, loops)",
      buildLowerToLLVMPipeline);
  registerModulePipeline(
      "mlopt-lower-to-cuda",
      "Lowers an mlopt module to fused linalg on buffers, the form the CUDA C "
      "emitter prints (one kernel per top-level linalg op or row-tile loop)",
      buildLowerToCudaPipeline);
}
