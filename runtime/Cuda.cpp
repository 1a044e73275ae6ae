//===- Cuda.cpp - the CUDA driver, NVRTC and cuBLAS, loaded at run time ---===//
//
// The few C types and entry points used are declared here rather than taken
// from cuda.h, nvrtc.h and cublas_api.h (checked against CUDA 13), so the
// runtime builds without a toolkit. Each library is dlopen'ed once, on first
// use; a missing one turns into an error message, never a link failure.
//
// Everything runs on one stream in device 0's primary context. Device memory
// comes from a size-class cache: blocks freed after an asynchronous launch
// may be handed out again at once, since any reuse is ordered after that
// launch on the same stream.
//
//===----------------------------------------------------------------------===//

#include "runtime/Cuda.h"

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <dlfcn.h>
#include <initializer_list>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <mutex>
#include <pthread.h>
#include <sstream>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mlopt::rt::cuda {
/// compileCuda with `extraFlags` given (defined below).
bool compileCudaWith(const std::string &source, const std::string &name, int arch, bool cubin,
                     const std::string &extraFlags, std::string &image, std::string &error);

namespace {

// ---- the C API, declared by hand --------------------------------------------
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram *;
using cublasHandle_t = struct cublasContext *;
using cublasStatus_t = int;

constexpr CUresult kSuccess = 0, kOutOfMemory = 2;
constexpr int kAttrMultiprocessorCount = 16, kAttrCcMajor = 75, kAttrCcMinor = 76;
constexpr int kFuncAttrMaxDynamicShared = 8;
// Relaxed: a capture may still call cuMemAlloc when the cache has no block
// (the address is baked into the graph); the stricter modes would fail it.
constexpr int kCaptureModeRelaxed = 2;
constexpr unsigned kStreamNonBlocking = 1;
constexpr int kCudaR32F = 0, kCudaR64F = 1, kCudaR16F = 2, kCudaR16BF = 14;
constexpr int kComputeF32 = 68, kComputeF64 = 70, kGemmDefault = -1;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void **, void **);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);

  bool loaded = false; // every symbol resolved
  bool available = false;
  std::string reason;
  CUdevice device = 0;
  CUcontext context = nullptr;
  int count = 0, capability = 0, smCount = 0;
  std::string name;
};

struct Nvrtc {
  nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram *, const char *, const char *, int,
                                    const char *const *, const char *const *);
  nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram, int, const char *const *);
  nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram, size_t *);
  nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram, char *);
  nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram, size_t *);
  nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram, char *);
  nvrtcResult (*nvrtcGetPTXSize)(nvrtcProgram, size_t *);
  nvrtcResult (*nvrtcGetPTX)(nvrtcProgram, char *);
  nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *);
  const char *(*nvrtcGetErrorString)(nvrtcResult);
  bool available = false;
  bool minimal = false; // --minimal is known (NVRTC 12.4 and later)
  std::string reason;
};

struct Cublas {
  cublasStatus_t (*cublasCreate)(cublasHandle_t *);
  cublasStatus_t (*cublasSetStream)(cublasHandle_t, CUstream);
  cublasStatus_t (*cublasSetWorkspace)(cublasHandle_t, void *, size_t);
  cublasStatus_t (*cublasGemmStridedBatchedEx)(cublasHandle_t, int, int, int, int, int,
                                               const void *, const void *, int, int, long long,
                                               const void *, int, int, long long, const void *,
                                               void *, int, int, long long, int, int, int);
  const char *(*cublasGetStatusString)(cublasStatus_t) = nullptr; // optional
  bool available = false;
  std::string reason;
};

/// The first of `names` that dlopen finds on the library path, then in the
/// toolkit's directories (NVRTC and cuBLAS are often only there), or null.
void *openFirst(std::initializer_list<const char *> names) {
  for (const char *dir : {"", "/usr/local/cuda/lib64/", "/usr/local/cuda/targets/x86_64-linux/lib/"})
    for (const char *name : names)
      if (void *lib = dlopen((std::string(dir) + name).c_str(), RTLD_NOW | RTLD_LOCAL))
        return lib;
  return nullptr;
}

/// Resolves `name` into `fn`; on failure records why in `reason`.
template <typename F>
bool resolve(void *lib, const char *library, const char *name, F &fn, std::string &reason) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn && reason.empty())
    reason = std::string(library) + " lacks " + name + " (too old)";
  return fn != nullptr;
}

// Heap-allocated and never destroyed: graphs and blocks released from static
// destructors at exit must still find the function pointers.
Driver &driver() {
  static Driver *d = new Driver();
  return *d;
}

std::string describe(CUresult result) {
  const char *text = nullptr;
  Driver &d = driver();
  if (d.loaded && d.cuGetErrorString(result, &text) == kSuccess && text)
    return text;
  return "CUDA error " + std::to_string(result);
}

/// False with "<what>: <message>" unless `result` is success.
bool check(CUresult result, const char *what, std::string &error) {
  if (result == kSuccess)
    return true;
  error = std::string(what) + ": " + describe(result);
  return false;
}

/// NVRTC's first compile in a process costs 57-82 ms more than later ones
/// (an H200 host, bench/gpu.py): loading and initializing it. Once a GPU is
/// found, a background thread pays that while the program is still being
/// written and traced. Process exit waits for it, from two atexit handlers:
/// one registered before the thread starts, one the thread registers once
/// NVRTC is loaded (exit runs it before NVRTC's own exit-time destructors,
/// registered while loading). fork() waits for it too.
struct WarmUp {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  pid_t owner = 0;
};

WarmUp &warmUp() {
  static WarmUp *state = new WarmUp(); // (never destroyed: read at exit)
  return *state;
}

void waitForWarmUp() {
  WarmUp &w = warmUp();
  std::unique_lock<std::mutex> lock(w.mutex);
  if (getpid() != w.owner)
    return; // a forked child: the thread is the parent's
  w.finished.wait(lock, [&] { return w.done; });
}

} // namespace

const char *const kWarmUpKernel = R"(
extern "C" __global__ void __launch_bounds__(256) mlopt_warm_up(const float *__restrict__ x, float *y) {
  __shared__ float s[8];
  const float4 q = reinterpret_cast<const float4 *>(x)[blockIdx.x * 256 + threadIdx.x];
  float v[4] = {q.x, q.y, q.z, q.w}, m = v[0], t = 0.0f;
  #pragma unroll
  for (int l = 1; l < 4; ++l) m = m > v[l] ? m : v[l];
  for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
  if ((threadIdx.x & 31) == 0) s[threadIdx.x >> 5] = m;
  __syncthreads();
  #pragma unroll
  for (int w = 1; w < 8; ++w) m = fmaxf(m, s[w]);
  #pragma unroll
  for (int l = 0; l < 4; ++l) t += expf(v[l] - m) + tanhf(v[l]);
  reinterpret_cast<float4 *>(y)[blockIdx.x * 256 + threadIdx.x] = make_float4(t, rsqrtf(t), v[0] / t, logf(t));
}
)";

void warmUpNvrtc(int arch) {
  WarmUp &w = warmUp();
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    // Once per process. A forked child starts its own: `done` is the
    // parent's, and exit would not wait for the child's thread otherwise.
    if (w.owner == getpid())
      return;
    w.owner = getpid();
    w.done = false;
  }
  // Exit waits from here on: before the thread registers its own wait, exit
  // would tear down what it uses (NVRTC's handle, if loaded before). So does
  // fork: a child of a process inside dlopen or NVRTC inherits their locks
  // held by a thread it does not have.
  std::atexit(waitForWarmUp);
  pthread_atfork(waitForWarmUp, nullptr, nullptr);
  try {
    std::thread([arch] {
      if (nvrtcAvailable()) { // loads it
        std::atexit(waitForWarmUp);
        std::string image, error; // (a failure shows again at the real compile)
        compileCudaWith(kWarmUpKernel, "warm_up.cu", arch, /*cubin=*/true, /*extraFlags=*/"",
                        image, error);
      }
      std::lock_guard<std::mutex> lock(warmUp().mutex);
      warmUp().done = true;
      warmUp().finished.notify_all();
    }).detach();
  } catch (const std::system_error &) {
    // No thread to spare: the first compile pays for loading NVRTC.
    std::lock_guard<std::mutex> lock(w.mutex);
    w.done = true;
  }
}

namespace {

void loadDriver(Driver &d) {
  void *lib = openFirst({"libcuda.so.1", "libcuda.so"});
  if (!lib) {
    d.reason = "libcuda.so.1 not found (no NVIDIA driver)";
    return;
  }
  const char *so = "libcuda.so.1";
  std::string &r = d.reason;
  bool ok = resolve(lib, so, "cuInit", d.cuInit, r) &&
            resolve(lib, so, "cuDeviceGetCount", d.cuDeviceGetCount, r) &&
            resolve(lib, so, "cuDeviceGet", d.cuDeviceGet, r) &&
            resolve(lib, so, "cuDeviceGetAttribute", d.cuDeviceGetAttribute, r) &&
            resolve(lib, so, "cuDeviceGetName", d.cuDeviceGetName, r) &&
            resolve(lib, so, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain, r) &&
            resolve(lib, so, "cuCtxSetCurrent", d.cuCtxSetCurrent, r) &&
            resolve(lib, so, "cuStreamCreate", d.cuStreamCreate, r) &&
            resolve(lib, so, "cuStreamSynchronize", d.cuStreamSynchronize, r) &&
            resolve(lib, so, "cuMemAlloc_v2", d.cuMemAlloc, r) &&
            resolve(lib, so, "cuMemFree_v2", d.cuMemFree, r) &&
            resolve(lib, so, "cuMemcpyHtoDAsync_v2", d.cuMemcpyHtoDAsync, r) &&
            resolve(lib, so, "cuMemcpyDtoHAsync_v2", d.cuMemcpyDtoHAsync, r) &&
            resolve(lib, so, "cuMemcpyDtoDAsync_v2", d.cuMemcpyDtoDAsync, r) &&
            resolve(lib, so, "cuMemsetD8Async", d.cuMemsetD8Async, r) &&
            resolve(lib, so, "cuModuleLoadData", d.cuModuleLoadData, r) &&
            resolve(lib, so, "cuModuleUnload", d.cuModuleUnload, r) &&
            resolve(lib, so, "cuModuleGetFunction", d.cuModuleGetFunction, r) &&
            resolve(lib, so, "cuLaunchKernel", d.cuLaunchKernel, r) &&
            resolve(lib, so, "cuFuncSetAttribute", d.cuFuncSetAttribute, r) &&
            resolve(lib, so, "cuGetErrorString", d.cuGetErrorString, r) &&
            resolve(lib, so, "cuStreamBeginCapture_v2", d.cuStreamBeginCapture, r) &&
            resolve(lib, so, "cuStreamEndCapture", d.cuStreamEndCapture, r) &&
            resolve(lib, so, "cuGraphInstantiateWithFlags", d.cuGraphInstantiateWithFlags, r) &&
            resolve(lib, so, "cuGraphLaunch", d.cuGraphLaunch, r) &&
            resolve(lib, so, "cuGraphExecDestroy", d.cuGraphExecDestroy, r) &&
            resolve(lib, so, "cuGraphDestroy", d.cuGraphDestroy, r);
  if (!ok)
    return;
  d.loaded = true;
  if (CUresult result = d.cuInit(0); result != kSuccess) {
    d.reason = "cuInit failed: " + describe(result);
    return;
  }
  if (d.cuDeviceGetCount(&d.count) != kSuccess || d.count <= 0) {
    d.count = 0;
    d.reason = "no CUDA device";
    return;
  }
  int major = 0, minor = 0;
  char name[256] = {};
  std::string error;
  if (!check(d.cuDeviceGet(&d.device, 0), "cuDeviceGet", error) ||
      !check(d.cuDeviceGetAttribute(&major, kAttrCcMajor, d.device), "cuDeviceGetAttribute",
             error) ||
      !check(d.cuDeviceGetAttribute(&minor, kAttrCcMinor, d.device), "cuDeviceGetAttribute",
             error) ||
      !check(d.cuDeviceGetAttribute(&d.smCount, kAttrMultiprocessorCount, d.device),
             "cuDeviceGetAttribute", error) ||
      !check(d.cuDeviceGetName(name, sizeof(name) - 1, d.device), "cuDeviceGetName", error) ||
      !check(d.cuDevicePrimaryCtxRetain(&d.context, d.device), "cuDevicePrimaryCtxRetain", error)) {
    d.reason = error;
    return;
  }
  d.capability = 10 * major + minor;
  d.name = name;
  d.available = true;
  warmUpNvrtc(d.capability);
}

const Driver &loadedDriver() {
  static std::once_flag once;
  Driver &d = driver();
  std::call_once(once, [&] { loadDriver(d); });
  return d;
}

// ---- the caching device allocator -------------------------------------------
struct DeviceCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free; // by rounded size
  std::unordered_map<void *, size_t> live;
  DeviceMemoryStats stats;
};

DeviceCache &deviceCache() {
  static DeviceCache *cache = new DeviceCache(); // outlives static destructors
  return *cache;
}

size_t sizeClass(size_t bytes) {
  size_t to = bytes < (1u << 20) ? 512 : (2u << 20);
  return (bytes + to - 1) / to * to;
}

// While this thread captures a graph: the stream it captures on, which
// stream() gives this thread only (other threads' work stays out of it).
thread_local CUstream capturing = nullptr;

/// The stream of all mlopt work (created on first use), whoever captures.
CUstream mainStream() {
  std::string error;
  if (!ensureContext(error))
    return nullptr;
  static std::once_flag once;
  static CUstream handle = nullptr;
  std::call_once(once, [] { loadedDriver().cuStreamCreate(&handle, 0); });
  return handle;
}

/// Returns every cached block to the driver; the caller holds the mutex.
void releaseCached(DeviceCache &cache) {
  if (cache.stats.cachedBytes == 0)
    return;
  const Driver &d = loadedDriver();
  // A block freed just after a launch may still be in use by it. (The main
  // stream even while this thread captures: a capture stream cannot wait.)
  d.cuStreamSynchronize(mainStream());
  for (auto &[size, blocks] : cache.free)
    for (void *ptr : blocks)
      d.cuMemFree(reinterpret_cast<CUdeviceptr>(ptr));
  cache.free.clear();
  cache.stats.cachedBytes = 0;
}

} // namespace

// ---- device and context -----------------------------------------------------
bool isAvailable() { return loadedDriver().available; }
std::string unavailableReason() { return loadedDriver().reason; }
int deviceCount() { return loadedDriver().count; }
int computeCapability() { return isAvailable() ? loadedDriver().capability : 0; }
std::string deviceName() { return loadedDriver().name; }
int multiprocessorCount() { return loadedDriver().smCount; }

bool ensureContext(std::string &error) {
  const Driver &d = loadedDriver();
  if (!d.available) {
    error = "CUDA is not available: " + d.reason;
    return false;
  }
  // The current context is per thread: each new thread binds it once.
  thread_local bool current = false;
  if (!current) {
    if (!check(d.cuCtxSetCurrent(d.context), "cuCtxSetCurrent", error))
      return false;
    current = true;
  }
  return true;
}

void *stream() { return capturing ? capturing : mainStream(); }

bool synchronize(std::string &error) {
  if (!ensureContext(error))
    return false;
  return check(loadedDriver().cuStreamSynchronize(static_cast<CUstream>(stream())),
               "cuStreamSynchronize", error);
}

// ---- device memory ----------------------------------------------------------
void *deviceAlloc(size_t bytes, std::string &error) {
  if (!ensureContext(error))
    return nullptr;
  // Zero bytes still gets a distinct block, as malloc would.
  size_t size = sizeClass(bytes ? bytes : 256);
  DeviceCache &cache = deviceCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  void *ptr = nullptr;
  auto it = cache.free.find(size);
  if (it != cache.free.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    cache.stats.cachedBytes -= size;
  } else {
    const Driver &d = loadedDriver();
    CUdeviceptr dptr = 0;
    CUresult result = d.cuMemAlloc(&dptr, size);
    if (result == kOutOfMemory && cache.stats.cachedBytes) {
      releaseCached(cache);
      result = d.cuMemAlloc(&dptr, size);
    }
    if (!check(result, ("cuMemAlloc(" + std::to_string(size) + " bytes)").c_str(), error))
      return nullptr;
    ptr = reinterpret_cast<void *>(dptr);
  }
  cache.live[ptr] = size;
  cache.stats.liveBytes += size;
  cache.stats.peakBytes = std::max(cache.stats.peakBytes, cache.stats.liveBytes);
  return ptr;
}

void deviceFree(void *ptr) {
  if (!ptr)
    return;
  DeviceCache &cache = deviceCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto it = cache.live.find(ptr);
  if (it == cache.live.end())
    return; // not ours (or freed twice): leave it alone
  size_t size = it->second;
  cache.live.erase(it);
  cache.free[size].push_back(ptr);
  cache.stats.liveBytes -= size;
  cache.stats.cachedBytes += size;
}

std::shared_ptr<void> deviceShared(size_t bytes, std::string &error) {
  void *ptr = deviceAlloc(bytes, error);
  if (!ptr)
    return nullptr;
  return std::shared_ptr<void>(ptr, deviceFree);
}

DeviceMemoryStats deviceMemoryStats() {
  DeviceCache &cache = deviceCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  return cache.stats;
}

void emptyDeviceCache() {
  DeviceCache &cache = deviceCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  releaseCached(cache);
}

void resetDevicePeak() {
  DeviceCache &cache = deviceCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.stats.peakBytes = cache.stats.liveBytes;
}

// ---- copies -----------------------------------------------------------------
static CUdeviceptr dev(const void *ptr) { return reinterpret_cast<CUdeviceptr>(ptr); }

bool copyHostToDevice(void *dst, const void *src, size_t bytes, std::string &error) {
  if (bytes == 0)
    return true;
  if (!ensureContext(error))
    return false;
  return check(
      loadedDriver().cuMemcpyHtoDAsync(dev(dst), src, bytes, static_cast<CUstream>(stream())),
      "cuMemcpyHtoDAsync", error);
}

bool copyDeviceToHost(void *dst, const void *src, size_t bytes, std::string &error) {
  if (bytes == 0)
    return true;
  if (!ensureContext(error))
    return false;
  auto s = static_cast<CUstream>(stream());
  return check(loadedDriver().cuMemcpyDtoHAsync(dst, dev(src), bytes, s), "cuMemcpyDtoHAsync",
               error) &&
         check(loadedDriver().cuStreamSynchronize(s), "cuStreamSynchronize", error);
}

bool copyDeviceToDevice(void *dst, const void *src, size_t bytes, std::string &error) {
  if (bytes == 0)
    return true;
  if (!ensureContext(error))
    return false;
  return check(
      loadedDriver().cuMemcpyDtoDAsync(dev(dst), dev(src), bytes, static_cast<CUstream>(stream())),
      "cuMemcpyDtoDAsync", error);
}

bool memsetZero(void *dst, size_t bytes, std::string &error) {
  if (bytes == 0)
    return true;
  if (!ensureContext(error))
    return false;
  return check(loadedDriver().cuMemsetD8Async(dev(dst), 0, bytes, static_cast<CUstream>(stream())),
               "cuMemsetD8Async", error);
}

// ---- NVRTC ------------------------------------------------------------------
// Whether the user set glibc's malloc thresholds (read when the library
// loads: threads started later must not read an environment Python writes).
static const bool userTunesMalloc = [] {
  const char *tunables = std::getenv("GLIBC_TUNABLES");
  return std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
         (tunables && std::string(tunables).find("malloc.") != std::string::npos);
}();

/// NVRTC allocates and frees some 10 MiB per compile in blocks above glibc's
/// initial mmap threshold, so each compile faults ~2400 fresh pages in: 10-15%
/// of its time on the build machine, and page faults are what slowed cold
/// compiles on GPU VMs after memory was freed (docs/gpu.md). These are the
/// thresholds glibc's own dynamic tuning stops at (DEFAULT_MMAP_THRESHOLD_MAX
/// and twice it), fixed from NVRTC's first use so its memory stays mapped.
static void keepNvrtcMemoryMapped() {
#ifdef __GLIBC__
  if (userTunesMalloc)
    return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

static const Nvrtc &nvrtc() {
  static Nvrtc *n = new Nvrtc();
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = openFirst({"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"});
    if (!lib) {
      n->reason = "libnvrtc.so not found (no CUDA toolkit)";
      return;
    }
    keepNvrtcMemoryMapped();
    const char *so = "libnvrtc";
    std::string &r = n->reason;
    n->available = resolve(lib, so, "nvrtcCreateProgram", n->nvrtcCreateProgram, r) &&
                   resolve(lib, so, "nvrtcCompileProgram", n->nvrtcCompileProgram, r) &&
                   resolve(lib, so, "nvrtcGetProgramLogSize", n->nvrtcGetProgramLogSize, r) &&
                   resolve(lib, so, "nvrtcGetProgramLog", n->nvrtcGetProgramLog, r) &&
                   resolve(lib, so, "nvrtcGetCUBINSize", n->nvrtcGetCUBINSize, r) &&
                   resolve(lib, so, "nvrtcGetCUBIN", n->nvrtcGetCUBIN, r) &&
                   resolve(lib, so, "nvrtcGetPTXSize", n->nvrtcGetPTXSize, r) &&
                   resolve(lib, so, "nvrtcGetPTX", n->nvrtcGetPTX, r) &&
                   resolve(lib, so, "nvrtcDestroyProgram", n->nvrtcDestroyProgram, r) &&
                   resolve(lib, so, "nvrtcGetErrorString", n->nvrtcGetErrorString, r);
    auto version = reinterpret_cast<nvrtcResult (*)(int *, int *)>(dlsym(lib, "nvrtcVersion"));
    int major = 0, minor = 0;
    if (version && version(&major, &minor) == 0)
      n->minimal = major > 12 || (major == 12 && minor >= 4);
  });
  return *n;
}

bool nvrtcAvailable() { return nvrtc().available; }

std::string nvrtcExtraFlags() {
  const char *flags = std::getenv("MLOPT_NVRTC_FLAGS");
  return flags ? flags : "";
}

bool compileCuda(const std::string &source, const std::string &name, int arch, bool cubin,
                 std::string &image, std::string &error) {
  return compileCudaWith(source, name, arch, cubin, nvrtcExtraFlags(), image, error);
}

/// compileCuda with `extraFlags` given (the warm-up thread reads no
/// environment: Python may be writing it).
bool compileCudaWith(const std::string &source, const std::string &name, int arch, bool cubin,
                     const std::string &extraFlags, std::string &image, std::string &error) {
  const Nvrtc &n = nvrtc();
  if (!n.available) {
    error = "NVRTC is not available: " + n.reason;
    return false;
  }
  nvrtcProgram program = nullptr;
  nvrtcResult result =
      n.nvrtcCreateProgram(&program, source.c_str(), name.c_str(), 0, nullptr, nullptr);
  if (result != 0) {
    error = std::string("NVRTC: ") + n.nvrtcGetErrorString(result);
    return false;
  }
  // No --use_fast_math: results must match the eager kernels bit for bit
  // where the math allows.
  std::string gpuArch =
      std::string("--gpu-architecture=") + (cubin ? "sm_" : "compute_") + std::to_string(arch);
  std::vector<std::string> flags = {gpuArch, "-std=c++17", "-default-device",
                                    "--extra-device-vectorization"};
  // --minimal: no texture, cooperative-groups or device-runtime declarations
  // (none used), half the front end's time.
  if (n.minimal)
    flags.push_back("--minimal");
  std::istringstream extra(extraFlags);
  for (std::string flag; extra >> flag;)
    flags.push_back(flag);
  std::vector<const char *> options;
  for (const std::string &flag : flags)
    options.push_back(flag.c_str());
  result = n.nvrtcCompileProgram(program, static_cast<int>(options.size()), options.data());
  std::string log;
  size_t logSize = 0;
  if (n.nvrtcGetProgramLogSize(program, &logSize) == 0 && logSize > 1) {
    log.resize(logSize);
    n.nvrtcGetProgramLog(program, log.data());
    log.resize(logSize - 1); // drop the terminating NUL
  }
  if (result == 0) {
    size_t size = 0;
    result = cubin ? n.nvrtcGetCUBINSize(program, &size) : n.nvrtcGetPTXSize(program, &size);
    if (result == 0) {
      image.assign(size, '\0');
      result =
          cubin ? n.nvrtcGetCUBIN(program, image.data()) : n.nvrtcGetPTX(program, image.data());
      // The PTX size counts its NUL; std::string keeps its own.
      if (!cubin && !image.empty() && image.back() == '\0')
        image.pop_back();
    }
  }
  if (result != 0)
    error = std::string("NVRTC: ") + n.nvrtcGetErrorString(result) + "\n" + log;
  n.nvrtcDestroyProgram(&program);
  return result == 0;
}

// ---- modules and launches ---------------------------------------------------
Module::~Module() {
  const Driver &d = loadedDriver();
  if (handle && d.loaded)
    d.cuModuleUnload(static_cast<CUmodule>(handle));
}

std::unique_ptr<Module> Module::load(const std::string &image, std::string &error) {
  if (!ensureContext(error))
    return nullptr;
  if (image.empty()) {
    error = "cuModuleLoadData: empty image";
    return nullptr;
  }
  CUmodule module = nullptr;
  // c_str(): PTX must be NUL-terminated; a CUBIN is recognized by its header.
  if (!check(loadedDriver().cuModuleLoadData(&module, image.c_str()), "cuModuleLoadData", error))
    return nullptr;
  auto result = std::make_unique<Module>();
  result->handle = module;
  return result;
}

void *Module::function(const std::string &name, std::string &error) const {
  if (!ensureContext(error))
    return nullptr;
  CUfunction function = nullptr;
  if (!check(loadedDriver().cuModuleGetFunction(&function, static_cast<CUmodule>(handle),
                                                name.c_str()),
             ("cuModuleGetFunction(" + name + ")").c_str(), error))
    return nullptr;
  return function;
}

bool launch(void *function, unsigned gridX, unsigned gridY, unsigned gridZ, unsigned block,
            size_t sharedBytes, void **args, std::string &error) {
  if (!ensureContext(error))
    return false;
  if (!function) {
    error = "cuLaunchKernel: null function";
    return false;
  }
  return check(loadedDriver().cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY, gridZ,
                                             block, 1, 1, unsigned(sharedBytes),
                                             static_cast<CUstream>(stream()), args, nullptr),
               "cuLaunchKernel", error);
}

bool setMaxDynamicShared(void *function, size_t bytes, std::string &error) {
  if (!ensureContext(error))
    return false;
  return check(loadedDriver().cuFuncSetAttribute(static_cast<CUfunction>(function),
                                                 kFuncAttrMaxDynamicShared, int(bytes)),
               "cuFuncSetAttribute", error);
}

// ---- cuBLAS -----------------------------------------------------------------
static const Cublas &cublas() {
  static Cublas *c = new Cublas();
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = openFirst({"libcublas.so.13", "libcublas.so.12", "libcublas.so"});
    if (!lib) {
      c->reason = "libcublas.so not found";
      return;
    }
    const char *so = "libcublas";
    std::string &r = c->reason;
    c->available = resolve(lib, so, "cublasCreate_v2", c->cublasCreate, r) &&
                   resolve(lib, so, "cublasSetStream_v2", c->cublasSetStream, r) &&
                   resolve(lib, so, "cublasSetWorkspace_v2", c->cublasSetWorkspace, r) &&
                   resolve(lib, so, "cublasGemmStridedBatchedEx", c->cublasGemmStridedBatchedEx, r);
    c->cublasGetStatusString =
        reinterpret_cast<decltype(c->cublasGetStatusString)>(dlsym(lib, "cublasGetStatusString"));
  });
  return *c;
}

static bool checkBlas(const Cublas &c, cublasStatus_t status, const char *what,
                      std::string &error) {
  if (status == 0)
    return true;
  const char *text = c.cublasGetStatusString ? c.cublasGetStatusString(status) : nullptr;
  error = std::string(what) + ": " + (text ? text : "cuBLAS status " + std::to_string(status));
  return false;
}

/// This thread's cuBLAS handle (handles are not thread-safe), queueing on
/// stream() (so GEMMs order with launches and are captured into graphs),
/// with a workspace of the thread's own set again with each stream (setting
/// a stream resets it): cuBLAS then allocates nothing itself, which a
/// capture could not keep (PyTorch does the same). The workspace is never
/// freed: graphs captured on the thread keep using it after the thread
/// ends. Its size is PyTorch's: 32 MiB from Hopper on, 4 MiB + 128 KiB before.
static cublasHandle_t boundBlasHandle(std::string &error) {
  const Cublas &blas = cublas();
  thread_local cublasHandle_t handle = nullptr;
  thread_local void *workspace = nullptr;
  thread_local size_t bytes = 0;
  thread_local void *bound = nullptr; // the stream the handle queues on
  if (!handle) {
    cublasHandle_t created = nullptr;
    if (!checkBlas(blas, blas.cublasCreate(&created), "cublasCreate", error))
      return nullptr;
    handle = created;
  }
  if (!workspace) {
    size_t size = computeCapability() >= 90 ? size_t(32) << 20 : (size_t(4) << 20) + (128 << 10);
    if (!(workspace = deviceAlloc(size, error)))
      return nullptr;
    bytes = size;
  }
  if (bound != stream()) {
    if (!checkBlas(blas, blas.cublasSetStream(handle, static_cast<CUstream>(stream())),
                   "cublasSetStream", error) ||
        !checkBlas(blas, blas.cublasSetWorkspace(handle, workspace, bytes), "cublasSetWorkspace",
                   error))
      return nullptr;
    bound = stream();
  }
  return handle;
}

bool prepareGemm(std::string &error) {
  if (!ensureContext(error))
    return false;
  if (!cublas().available) {
    error = "cuBLAS is not available: " + cublas().reason;
    return false;
  }
  return boundBlasHandle(error) != nullptr;
}

bool gemm(const Gemm &g, const void *a, const void *b, void *c, std::string &error) {
  if (!ensureContext(error))
    return false;
  const Cublas &blas = cublas();
  if (!blas.available) {
    error = "cuBLAS is not available: " + blas.reason;
    return false;
  }
  int type;
  switch (g.dtype) {
  case DType::F32:
    type = kCudaR32F;
    break;
  case DType::F64:
    type = kCudaR64F;
    break;
  case DType::F16:
    type = kCudaR16F;
    break;
  case DType::BF16:
    type = kCudaR16BF;
    break;
  default:
    error = "cuBLAS gemm: unsupported element type";
    return false;
  }
  for (int64_t v : {g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.batch})
    if (v < 0 || v > INT_MAX) {
      error = "cuBLAS gemm: a size or leading dimension is out of int range";
      return false;
    }
  if (g.m == 0 || g.n == 0 || g.batch == 0)
    return true;
  cublasHandle_t handle = boundBlasHandle(error);
  if (!handle)
    return false;
  // f16 and bf16 accumulate in f32, whose alpha and beta are floats.
  bool f64 = g.dtype == DType::F64;
  float alpha32 = float(g.alpha), beta32 = float(g.beta);
  const void *alpha = f64 ? static_cast<const void *>(&g.alpha) : &alpha32;
  const void *beta = f64 ? static_cast<const void *>(&g.beta) : &beta32;
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the
  // same call with A and B swapped and m and n exchanged.
  return checkBlas(blas,
                   blas.cublasGemmStridedBatchedEx(
                       handle, g.transB ? 1 : 0, g.transA ? 1 : 0, int(g.n), int(g.m), int(g.k),
                       alpha, b, type, int(g.ldb), g.strideB, a, type, int(g.lda), g.strideA, beta,
                       c, type, int(g.ldc), g.strideC, int(g.batch),
                       f64 ? kComputeF64 : kComputeF32, kGemmDefault),
                   "cublasGemmStridedBatchedEx", error);
}

// ---- CUDA graphs ------------------------------------------------------------
bool beginCapture(std::string &error) {
  if (!ensureContext(error))
    return false;
  if (capturing) {
    error = "cuStreamBeginCapture: this thread is capturing already";
    return false;
  }
  // A stream of this thread's own (kept for its next capture), so that work
  // other threads queue meanwhile is neither captured nor broken. Relaxed
  // mode: their allocations stay legal too.
  thread_local CUstream side = nullptr;
  if (!side && !check(loadedDriver().cuStreamCreate(&side, kStreamNonBlocking), "cuStreamCreate",
                      error))
    return false;
  if (!check(loadedDriver().cuStreamBeginCapture(side, kCaptureModeRelaxed),
             "cuStreamBeginCapture", error))
    return false;
  capturing = side;
  return true;
}

std::shared_ptr<void> endCapture(std::string &error) {
  if (!ensureContext(error))
    return nullptr;
  if (!capturing) {
    error = "cuStreamEndCapture: this thread is not capturing";
    return nullptr;
  }
  const Driver &d = loadedDriver();
  CUgraph graph = nullptr;
  CUstream side = std::exchange(capturing, nullptr);
  if (!check(d.cuStreamEndCapture(side, &graph), "cuStreamEndCapture", error))
    return nullptr;
  CUgraphExec exec = nullptr;
  bool ok = check(d.cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiate", error);
  d.cuGraphDestroy(graph); // the executable graph is independent of it
  if (!ok)
    return nullptr;
  return std::shared_ptr<void>(
      exec, [](void *e) { driver().cuGraphExecDestroy(static_cast<CUgraphExec>(e)); });
}

bool launchGraph(const std::shared_ptr<void> &graph, std::string &error) {
  if (!ensureContext(error))
    return false;
  if (!graph) {
    error = "cuGraphLaunch: null graph";
    return false;
  }
  return check(loadedDriver().cuGraphLaunch(static_cast<CUgraphExec>(graph.get()),
                                            static_cast<CUstream>(stream())),
               "cuGraphLaunch", error);
}

} // namespace mlopt::rt::cuda
