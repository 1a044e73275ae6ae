//===- Interpreter.h - a traced function run op by op ----------*- C++ -*-===//
//
// Tier 0 of a compiled call: while the fused program compiles in the
// background, the first call runs the traced function's ops one by one on
// the eager kernels (compiled once per op kind and cached on disk), so it
// takes about what eager would and not the compile's time. The plan is
// taken from the IR when the trace finishes; running it touches no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_FRONTEND_INTERPRETER_H
#define MLOPT_FRONTEND_INTERPRETER_H

#include "runtime/Buffer.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
}

namespace mlir::mlopt {

class InterpretedFunction {
public:
  ~InterpretedFunction();
  /// The plan for `func` (static shapes, mlopt ops only), or null with
  /// `why` naming what it cannot run. `cachedKernels`: only where every
  /// eager kernel is at hand (for a first call that should beat a compile);
  /// else the missing ones compile when first run.
  static std::unique_ptr<InterpretedFunction> build(func::FuncOp func, std::string &why,
                                                    bool cachedKernels = true);

  /// Runs the function. False with `error` on failure. With `uncached`,
  /// an op whose eager kernel would need LLVM (in neither compile cache)
  /// stops the run with *uncached set: the caller then waits for the
  /// compiled program instead. Results are fresh contiguous buffers, as the
  /// compiled program's are (one value returned twice is one buffer).
  bool run(const std::vector<::mlopt::rt::Buffer> &inputs,
           std::vector<::mlopt::rt::Buffer> &outputs, std::string &error,
           bool *uncached) const;

  /// Rough costs in ms on this machine, to choose between interpreting the
  /// first call and waiting for the compile: the ops one by one (every
  /// result written to memory and read back), the compile, and the fused
  /// program (each argument and result moved once).
  double interpretMs() const { return interpretCost; }
  double compileMs() const { return compileCost; }
  double compiledRunMs() const { return compiledRunCost; }

private:
  struct Step;
  InterpretedFunction();
  std::vector<std::vector<int64_t>> argShapes;
  std::vector<::mlopt::rt::DType> argTypes;
  std::vector<Step> steps;
  std::vector<int> resultSlots;
  int numSlots = 0;
  double interpretCost = 0, compileCost = 0, compiledRunCost = 0;
};

} // namespace mlir::mlopt

#endif // MLOPT_FRONTEND_INTERPRETER_H
