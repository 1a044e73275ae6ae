//===- Pipelines.cpp - the named pipelines --------------------------------===//

#include "passes/Passes.h"

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

void mlopt::registerMloptPipelines() {
  registerMloptPasses();
  PassPipelineRegistration<>(
      "mlopt-simplify",
      "Folds constants and identities, removes duplicate ops, refines shapes",
      buildSimplifyPipeline);
}
