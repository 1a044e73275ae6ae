//===- Trace.h - record a Python function as one mlopt function -*- C++ -*-===//
//
// What @mlopt.compile records ops into: values are small integer handles,
// shapes are static (guards key the compiled function on them), and finish()
// compiles the function with the CPU backend into a runtime program.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_FRONTEND_TRACE_H
#define MLOPT_FRONTEND_TRACE_H

#include "codegen/CompileStats.h"
#include "frontend/Eager.h"
#include "runtime/Program.h"


#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class Value;
namespace mlopt {
class GraphBuilder;
class CompiledModule;
}
}
namespace mlopt::rt::cuda {
class Program;
struct ProgramSpec;
}
namespace mlir {
namespace mlopt {

struct TracedValue {
  int id;
  std::vector<int64_t> shape;   // -1: a dynamic dim
  std::vector<int64_t> symbols; // per dim: -1 static, k >= 0 symbol k, -2 unnamed
  std::string dtype;            // "f32", ...
};

class Trace {
public:
  Trace();
  ~Trace();
  /// An input; -1 in `shape` is a dynamic dim, whose size is symbol
  /// `symbols[d]` (dims of one symbol are equal at run time).
  TracedValue addInput(const std::vector<int64_t> &shape, const std::string &dtype,
                       const std::vector<int64_t> &symbols = {});
  /// A 0-d constant (a Python number the function used): folds and fuses,
  /// where a captured tensor would be an input read on every call.
  bool scalar(double value, int64_t integer, const std::string &dtype, TracedValue &result,
              std::string &error);
  /// Records `op` (attributes as for eager ops); for ops that choose their
  /// result type (reshape, broadcast_in_dim, convert) `resultShape` and
  /// `resultDtype` give it. Each -1 in `resultShape` takes its run-time size
  /// from dim `second` of value `first` in `sizeSources`, in order. False
  /// with `error` on a shape or dtype error.
  bool record(const EagerOp &op, const std::vector<int> &operands,
              const std::vector<int64_t> *resultShape,
              const std::vector<std::pair<int, int>> &sizeSources, TracedValue &result,
              std::string &error);
  /// Records the gradients of `outputs` (seeded with `cotangents`, or ones
  /// where a cotangent id is -1) with respect to `wrt`; false with `error`.
  bool gradients(const std::vector<int> &outputs, const std::vector<int> &cotangents,
                 const std::vector<int> &wrt, std::vector<TracedValue> &result,
                 std::string &error);
  /// Ends the function with `results` and compiles it for the CPU, or with
  /// `cuda` for the GPU (static shapes only). With `background` (CPU), a
  /// function that is not in the compile caches and should run faster op
  /// by op than compiled cold is not compiled yet: the first run()
  /// interprets it (InterpretedFunction), then starts the compile on a
  /// thread; later runs wait for the program.
  bool finish(const std::vector<int> &results, std::string &error, bool cuda = false,
              bool background = false);
  /// "compiled", "interpreting" (the first run interprets), "compiling"
  /// (in the background) or "failed: <why>".
  std::string compileState() const;
  /// Whether a run was interpreted (tier 0) instead of compiled.
  bool interpretedARun() const;
  /// Waits for a background compile (starting it if no run did); false
  /// with its error if it failed.
  bool waitCompiled(std::string &error) const;
  /// The CUDA C and host plan the function compiles to (no driver needed).
  bool cudaSource(std::string &source, std::string &error) const;
  /// The same as a program spec: kernels, compile units and host plan.
  bool cudaSpec(::mlopt::rt::cuda::ProgramSpec &spec, std::string &error) const;
  /// Runs the compiled function; a CUDA one through a CUDA graph when
  /// `graph` is set (Program::replay).
  bool run(const std::vector<::mlopt::rt::Buffer> &inputs,
           std::vector<::mlopt::rt::Buffer> &outputs, std::string &error,
           bool graph = false) const;
  /// A CUDA program's graph (Program::graphState); "none" for the CPU.
  std::string cudaGraphState() const;
  /// The mlopt IR of the traced function (for MLOPT_DUMP_IR and explain).
  std::string ir() const { return text; }
  /// The launches of the compiled program (fused kernels and library calls).
  size_t kernelCount() const;
  /// Where compile time went (zeros for a cache hit; waits for a
  /// background compile).
  const CompileStats &compileStats() const;
  /// Joins every background compile of the process, and starts no more
  /// (later first calls then wait as for a failed compile: run op by op).
  /// Python's atexit calls it; fork joins them too, by itself.
  static void joinBackgroundCompilesAtExit();
  struct Background; // (public for the process-wide registry of compiles)

private:
  /// False, with the reason, once `finish` handed the IR on.
  bool recording(std::string &error) const;

  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<GraphBuilder> builder;
  std::vector<void *> values; // mlir::Value opaque pointers, by id
  /// Per value, its shape with each symbol's dims as that symbol's sentinel
  /// size: running an op's own shape rule on these (in `prober`) tells which
  /// symbol each dynamic result dim is, with no second copy of the rules.
  std::vector<std::vector<int64_t>> probes;
  std::unique_ptr<GraphBuilder> prober;
  std::vector<int64_t> probeOf(const EagerOp &op, const std::vector<int> &operands,
                               const std::vector<int64_t> *resultShape,
                               const std::vector<std::pair<int, int>> &sizeSources,
                               Value result);
  TracedValue describe(int id) const;
  void startCompile() const;
  std::shared_ptr<Background> background; // set when the compile was deferred
  std::shared_ptr<CompiledModule> compiled;
  CompileStats stats;
  ::mlopt::rt::Program program;
  std::shared_ptr<::mlopt::rt::cuda::Program> cudaProgram;
  std::string text;
};

} // namespace mlopt
} // namespace mlir

#endif // MLOPT_FRONTEND_TRACE_H
