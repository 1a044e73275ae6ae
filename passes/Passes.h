//===- Passes.h - mlopt passes and pipelines -------------------*- C++ -*-===//
#ifndef MLOPT_PASSES_PASSES_H
#define MLOPT_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

#include <functional>

namespace mlir {
class OpPassManager;

namespace mlopt {

/// mlopt-split-reductions' defaults (its options start here; eager dispatch
/// applies the same rule, splitsReductionByDefault).
constexpr int64_t kSplitMinSize = 16384, kSplitMaxResults = 16, kSplitBlock = 4096;

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The named pipelines, in C++ so the CLI, Python and tests run the same thing.
/// `mlopt-simplify`: fold, deduplicate and refine shapes of an mlopt module.
void buildSimplifyPipeline(OpPassManager &pm);

/// Registers every mlopt pass (registerMloptPasses, generated) and every
/// named pipeline with the global registry.
void registerMloptPipelines();

/// Registers a pipeline of module passes: nested under another op (where
/// MLIR would stop with a fatal error) it fails with a diagnostic instead.
void registerModulePipeline(StringRef argument, StringRef description,
                            std::function<void(OpPassManager &)> build);

/// Whether mlopt-split-reductions, at its default options, splits a
/// reduction over `reduced` elements into `results` results.
bool splitsReductionByDefault(int64_t reduced, int64_t results);

} // namespace mlopt
} // namespace mlir

#endif // MLOPT_PASSES_PASSES_H
