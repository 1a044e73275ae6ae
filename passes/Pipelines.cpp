//===- Pipelines.cpp - the named pipelines --------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlopt::buildSimplifyPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createRefineShapes());
  pm.addPass(createCanonicalizerPass());
}

namespace {
/// What a module pipeline becomes when nested under another op: a failure
/// with the reason, on each op it would run on.
struct NestedModulePipelinePass : PassWrapper<NestedModulePipelinePass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(NestedModulePipelinePass)
  NestedModulePipelinePass(std::string pipeline, std::string anchor)
      : pipeline(std::move(pipeline)), anchor(std::move(anchor)) {}
  StringRef getArgument() const final { return "mlopt-nested-module-pipeline"; }
  void runOnOperation() override {
    getOperation()->emitError() << "'" << pipeline << "' is a pipeline on builtin.module "
                                << "(builtin.module(" << pipeline << ")), not on '" << anchor
                                << "'";
    signalPassFailure();
  }
  std::string pipeline, anchor;
};
} // namespace

void mlopt::registerModulePipeline(StringRef argument, StringRef description,
                                   std::function<void(OpPassManager &)> build) {
  PassPipelineRegistration<>(argument, description,
                             [name = argument.str(), build](OpPassManager &pm) {
                               std::optional<StringRef> anchor = pm.getOpName();
                               if (anchor && *anchor == ModuleOp::getOperationName())
                                 return build(pm);
                               pm.addPass(std::make_unique<NestedModulePipelinePass>(
                                   name, anchor ? anchor->str() : "any"));
                             });
}

void mlopt::registerMloptPipelines() {
  registerMloptPasses();
  registerModulePipeline("mlopt-simplify",
                         "Folds constants and identities, removes duplicate ops, refines shapes",
                         buildSimplifyPipeline);
}
