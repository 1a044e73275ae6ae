//===- CudaProgram.h - a compiled function on the GPU ----------*- C++ -*-===//
//
// What the CUDA emitter makes of a function: the CUDA C of its kernels and
// a host plan, a list of steps over buffer slots (inputs first, then
// allocations). Steps launch kernels, call cuBLAS, copy and free; every
// shape is static, so a run is a walk over the list with no shape logic.
// Needs no MLIR or LLVM, only the driver (runtime/Cuda.h).
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_RUNTIME_CUDAPROGRAM_H
#define MLOPT_RUNTIME_CUDAPROGRAM_H

#include "runtime/Buffer.h"
#include "runtime/Cuda.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mlopt::rt::cuda {

struct Step {
  enum Kind { Alloc, Free, Launch, Gemm, Copy, Upload } kind = Launch;
  // Alloc, Free: the slot; Alloc: its size.
  int slot = -1;
  size_t bytes = 0;
  // Launch: kernel `kernel` with the slots' base pointers as parameters.
  int kernel = -1;
  unsigned grid = 1, block = 1;
  size_t sharedBytes = 0;
  std::vector<int> args;
  // Gemm: C = A * B on slots a, b, c at element offsets.
  cuda::Gemm gemm;
  int a = -1, b = -1, c = -1;
  int64_t offsetA = 0, offsetB = 0, offsetC = 0;
  // Copy: `bytes` from slot a at byte offset offsetA to slot c at offsetC.
  // Upload: a constant: slot `slot` is allocated and filled with `data`.
  std::string data;
};

/// A result: a view of a slot.
struct Output {
  int slot = -1;
  DType dtype = DType::F32;
  std::vector<int64_t> shape, strides;
  int64_t offset = 0;
};

struct ProgramSpec {
  std::string source;               // CUDA C, every kernel extern "C" (to read)
  std::vector<std::string> kernels; // kernel names in `source`, by Step::kernel
  // What is compiled: per kernel, the prelude and the kernel named
  // kUnitKernelName, so one kernel is cached once wherever it occurs, and a
  // program's kernels compile in parallel.
  std::vector<std::string> units;
  std::vector<Step> steps;
  int numSlots = 0;
  std::vector<std::pair<DType, std::vector<int64_t>>> inputs; // slot i
  std::vector<Output> outputs;
  /// Human-readable plan (the CLI prints it after the source).
  std::string describe() const;
};

/// The kernel's name in each of ProgramSpec::units.
inline constexpr const char *kUnitKernelName = "mlopt_kernel";

/// A ProgramSpec with its kernels loaded.
class Program {
public:
  /// Kernel i is function `functions[i]` of CUBIN (or PTX) `images[i]`
  /// (kernels compiled together share an image, loaded once).
  static std::shared_ptr<Program> load(ProgramSpec spec, const std::vector<std::string> &images,
                                       const std::vector<std::string> &functions,
                                       std::string &error);
  /// Runs the plan on `inputs` (CUDA buffers of the spec's dtypes and
  /// shapes, any strides; host inputs are copied over); results are fresh
  /// CUDA buffers.
  bool run(const std::vector<Buffer> &inputs, std::vector<Buffer> &outputs,
           std::string &error) const;
  /// run() through a CUDA graph (`mode="reduce-overhead"`): the first call
  /// is run() (cuBLAS and the caches warm up); the second runs the plan,
  /// then captures it on copies of the inputs kept for the graph, with
  /// every buffer the plan uses kept too, launches it and keeps it only if
  /// its results are the plan's, byte for byte (a graph that cannot be
  /// captured or differs is refused for good: replay() is run() from then
  /// on); each later call copies its inputs in, launches the graph once and
  /// copies the results out, so they are the caller's as run()'s are.
  /// Calls from several threads take turns.
  bool replay(const std::vector<Buffer> &inputs, std::vector<Buffer> &outputs,
              std::string &error) const;
  /// "none" (replay() not called twice yet), "captured", or "refused: why".
  std::string graphState() const;
  size_t launchCount() const;
  const ProgramSpec &spec() const { return plan; }

private:
  ProgramSpec plan;
  std::vector<std::unique_ptr<Module>> modules; // one per distinct image
  std::vector<void *> functions;
  struct Graph; // what replay() keeps
  mutable std::mutex graphMutex;
  mutable std::shared_ptr<Graph> graph;
  mutable bool warmedUp = false;
  mutable std::string graphRefused; // why replay() runs without a graph
  bool checkInputs(const std::vector<Buffer> &inputs, std::string &error) const;
  bool capture(std::shared_ptr<Graph> &out, std::string &error) const;
  bool launchCaptured(const Graph &g, const std::vector<Buffer> &inputs,
                      std::vector<Buffer> &outputs, std::string &error) const;
  /// Walks the plan. `captured`: every slot is allocated already (and
  /// uploaded); allocation and free steps do nothing.
  bool execute(const std::vector<const void *> &inputPointers,
               std::vector<std::shared_ptr<void>> &slots, std::string &error,
               bool captured = false) const;
};

// ---- buffers on the device ------------------------------------------------------
/// A new contiguous CUDA buffer (uninitialized).
bool allocate(DType dtype, const std::vector<int64_t> &shape, Buffer &out, std::string &error);
/// `src` (either device) copied into a new contiguous buffer on `device`.
bool toDevice(const Buffer &src, Device device, Buffer &out, std::string &error);
/// A host buffer on the device: a broadcast of one element (all strides 0)
/// stays a broadcast and only that element travels; anything else becomes
/// a contiguous copy.
bool upload(const Buffer &src, Buffer &out, std::string &error);
/// Copies src into dst (same shape and dtype; any strides, either device).
bool copyInto(const Buffer &src, const Buffer &dst, std::string &error);
/// A contiguous CUDA buffer with the elements of `src`, 16-byte aligned
/// (src itself when it already is).
bool contiguous(const Buffer &src, Buffer &out, std::string &error);

} // namespace mlopt::rt::cuda

#endif // MLOPT_RUNTIME_CUDAPROGRAM_H
