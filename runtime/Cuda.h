//===- Cuda.h - the CUDA driver, NVRTC and cuBLAS, loaded at run time -*- C++ -*-===//
//
// Nothing here links against CUDA: libcuda.so.1, libnvrtc and libcublas are
// dlopen'ed on first use, so the build and every CPU-only run work on a
// machine with no driver or toolkit. Every call reports failure as false (or
// null) with a message in `error`; nothing aborts.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_RUNTIME_CUDA_H
#define MLOPT_RUNTIME_CUDA_H

#include "runtime/DType.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlopt::rt::cuda {

/// Whether a CUDA driver loads and reports at least one device.
bool isAvailable();
/// Why isAvailable() is false ("libcuda.so.1 not found", ...); empty if it is true.
std::string unavailableReason();
int deviceCount();
/// Device 0's compute capability as 10*major+minor (90 for an H100), 0 if none.
int computeCapability();
std::string deviceName();
int multiprocessorCount();

/// Makes the primary context of device 0 current on the calling thread
/// (initializing the driver on first use); false with `error` without one.
bool ensureContext(std::string &error);

/// The stream every mlopt launch and copy goes to (created on first use).
void *stream();
/// Waits for all work on the stream.
bool synchronize(std::string &error);

// ---- device memory: a caching allocator -------------------------------------
/// Device memory of at least `bytes` (256-byte aligned), from the cache when
/// a freed block of the same size class is there; null with `error`.
void *deviceAlloc(size_t bytes, std::string &error);
/// Returns a block from deviceAlloc to the cache.
void deviceFree(void *ptr);
/// A shared_ptr owning deviceAlloc'ed memory (freed back to the cache).
std::shared_ptr<void> deviceShared(size_t bytes, std::string &error);
struct DeviceMemoryStats {
  uint64_t liveBytes = 0, peakBytes = 0, cachedBytes = 0;
};
DeviceMemoryStats deviceMemoryStats();
void emptyDeviceCache();
void resetDevicePeak();

// ---- copies (ordered on stream(); device-to-host waits for the stream) -------
bool copyHostToDevice(void *dst, const void *src, size_t bytes, std::string &error);
bool copyDeviceToHost(void *dst, const void *src, size_t bytes, std::string &error);
bool copyDeviceToDevice(void *dst, const void *src, size_t bytes, std::string &error);
bool memsetZero(void *dst, size_t bytes, std::string &error);

// ---- NVRTC --------------------------------------------------------------------
/// Whether libnvrtc loads (no driver or GPU needed).
bool nvrtcAvailable();
/// Loads NVRTC and compiles kWarmUpKernel for `arch` on a background
/// thread, so a program's first compile does not pay NVRTC's start-up
/// (done when the driver finds a GPU). Process exit and fork() wait for it.
void warmUpNvrtc(int arch);
/// A small row kernel (16-byte loads, shuffles, shared memory, exp, tanh),
/// so that the warm-up runs more of NVRTC's code than an empty kernel would.
extern const char *const kWarmUpKernel;
/// Options added to every NVRTC compile: MLOPT_NVRTC_FLAGS, space-separated
/// (e.g. "-Xptxas=-O1"); part of the kernel cache key.
std::string nvrtcExtraFlags();
/// Compiles CUDA C `source` for `arch` (e.g. 90 for sm_90): CUBIN when
/// `cubin`, else PTX for compute_<arch>. False with the compiler log.
bool compileCuda(const std::string &source, const std::string &name, int arch, bool cubin,
                 std::string &image, std::string &error);

// ---- modules and launches -------------------------------------------------------
/// A loaded CUBIN/PTX image; functions are looked up by name.
class Module {
public:
  ~Module();
  static std::unique_ptr<Module> load(const std::string &image, std::string &error);
  /// The kernel `name` (a CUfunction), or null with `error`.
  void *function(const std::string &name, std::string &error) const;

private:
  void *handle = nullptr; // CUmodule
};

/// Launches `function` on stream() with `args` (pointers to each parameter,
/// as cuLaunchKernel takes them).
bool launch(void *function, unsigned gridX, unsigned gridY, unsigned gridZ, unsigned block,
            size_t sharedBytes, void **args, std::string &error);
/// Lets `function` use up to `bytes` of dynamic shared memory (over 48 KiB
/// needs this opt-in).
bool setMaxDynamicShared(void *function, size_t bytes, std::string &error);

// ---- cuBLAS ------------------------------------------------------------------------
/// Row-major batched GEMM on stream(): for each batch b,
/// C_b = alpha * op(A_b) * op(B_b) + beta * C_b, with A_b at a + b*strideA
/// (elements) and row-major leading dims (the distance between rows).
/// op(X) is X transposed when its flag is set. f32, f64, f16 and bf16 (f16
/// and bf16 accumulate in f32).
struct Gemm {
  DType dtype = DType::F32;
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  int64_t batch = 1, strideA = 0, strideB = 0, strideC = 0;
  double alpha = 1, beta = 0;
};
bool gemm(const Gemm &g, const void *a, const void *b, void *c, std::string &error);
/// Creates this thread's cuBLAS handle and workspace now (gemm does on its
/// first call), so that a graph capture that follows allocates nothing.
bool prepareGemm(std::string &error);

// ---- CUDA graphs (whole compiled programs replayed in one launch) -------------------
/// Starts capturing what this thread queues: until endCapture, stream() is
/// a capture stream of the thread's own (other threads' work is not
/// captured). Nothing captured runs; allocations stay legal.
bool beginCapture(std::string &error);
/// Ends the capture started by beginCapture and instantiates it; the graph
/// is owned by the returned pointer (null with `error`).
std::shared_ptr<void> endCapture(std::string &error);
/// Launches the graph on stream(), after the work queued before it.
bool launchGraph(const std::shared_ptr<void> &graph, std::string &error);

} // namespace mlopt::rt::cuda

#endif // MLOPT_RUNTIME_CUDA_H
