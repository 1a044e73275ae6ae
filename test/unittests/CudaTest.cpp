//===- CudaTest.cpp - the dlopen'ed CUDA driver, NVRTC and cuBLAS ---------===//
//
// Runs everywhere: without a driver the device tests skip and the failure
// paths are checked instead; NVRTC needs only the toolkit.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaBackend.h"
#include "runtime/Cuda.h"
#include "runtime/CudaProgram.h"

#include "gtest/gtest.h"
#include <algorithm>
#include <chrono>
#include <functional>
#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace mlopt::rt;
using namespace mlopt::rt::cuda;

namespace {

const char *kAdd1 = R"(
extern "C" __global__ void add1(float* x, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.f;
}
)";

/// `host` copied to new device memory (null with `error` on failure).
template <typename T>
std::shared_ptr<void> upload(const std::vector<T> &host, std::string &error) {
  std::shared_ptr<void> device = deviceShared(host.size() * sizeof(T), error);
  if (device && !copyHostToDevice(device.get(), host.data(), host.size() * sizeof(T), error))
    return nullptr;
  return device;
}

#define SKIP_WITHOUT_GPU()                                                                         \
  if (!isAvailable())                                                                              \
  GTEST_SKIP() << "no CUDA driver: " << unavailableReason()

TEST(CudaTest, UnavailableDriverFailsCleanly) {
  if (isAvailable())
    GTEST_SKIP() << "a GPU is available (" << deviceName() << ")";
  EXPECT_FALSE(unavailableReason().empty());
  EXPECT_EQ(computeCapability(), 0);
  EXPECT_EQ(stream(), nullptr);

  std::string error;
  EXPECT_EQ(deviceAlloc(64, error), nullptr);
  EXPECT_NE(error.find("CUDA is not available"), std::string::npos) << error;

  error.clear();
  float host[4] = {};
  EXPECT_FALSE(copyHostToDevice(reinterpret_cast<void *>(0x1000), host, sizeof(host), error));
  EXPECT_NE(error.find("CUDA is not available"), std::string::npos) << error;

  error.clear();
  EXPECT_EQ(Module::load("not an image", error), nullptr);
  EXPECT_NE(error.find("CUDA is not available"), std::string::npos) << error;

  // Nothing was allocated, and emptying an empty cache needs no driver.
  emptyDeviceCache();
  EXPECT_EQ(deviceMemoryStats().liveBytes, 0u);
}

TEST(CudaTest, NvrtcCompilesCubinAndPtx) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "NVRTC not found";
  for (int arch : {80, 90}) {
    std::string image, error;
    ASSERT_TRUE(compileCuda(kAdd1, "add1.cu", arch, /*cubin=*/true, image, error)) << error;
    ASSERT_GE(image.size(), 4u);
    EXPECT_EQ(image.compare(0, 4, "\x7f" "ELF"), 0) << "sm_" << arch;

    image.clear();
    ASSERT_TRUE(compileCuda(kAdd1, "add1.cu", arch, /*cubin=*/false, image, error)) << error;
    EXPECT_NE(image.find(".entry add1"), std::string::npos) << image;
    EXPECT_NE(image.find(".target sm_" + std::to_string(arch)), std::string::npos);
  }
}

TEST(CudaTest, NvrtcCompilesTheWarmUpKernel) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "NVRTC not found";
  std::string image, error;
  EXPECT_TRUE(compileCuda(kWarmUpKernel, "warm_up.cu", 80, true, image, error)) << error;
}

TEST(CudaTest, NvrtcReportsSyntaxErrors) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "NVRTC not found";
  std::string image, error;
  EXPECT_FALSE(compileCuda("extern \"C\" __global__ void broken( {", "broken.cu", 90, true, image,
                           error));
  EXPECT_NE(error.find("NVRTC"), std::string::npos) << error;
  EXPECT_NE(error.find("error"), std::string::npos) << error;
}

/// Runs `body` in a forked child; its exit status (128 + the signal's number
/// if a signal ended it, as a shell says), or -1 if it had not exited after
/// `seconds` (then it is killed).
int exitStatusOfChild(const std::function<int()> &body, int seconds) {
  pid_t child = fork();
  if (child == 0)
    std::exit(body());
  for (int waited = 0; waited < seconds * 10; ++waited) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return -1;
}

// The warm-up thread is still compiling when these processes exit or fork:
// exit waits for it (no crash in NVRTC's destructors), and so does fork (a
// child would inherit NVRTC's or the loader's locks held by a thread it does
// not have); the child exits at once.
TEST(CudaTest, NvrtcWarmUpExitsCleanlyAndForks) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "NVRTC not found";
  // This process warms up first, as one with a GPU does when its driver
  // loads: each child below must still wait for its own warm-up (a child
  // that took the parent's finished one for its own crashed at exit).
  warmUpNvrtc(80);
  EXPECT_EQ(exitStatusOfChild([] { warmUpNvrtc(80); return 3; }, 60), 3);
  EXPECT_EQ(exitStatusOfChild(
                [] {
                  warmUpNvrtc(80);
                  // (NVRTC loaded, its compile under way: the fork below
                  // copies the exit handler that waits for the thread)
                  std::this_thread::sleep_for(std::chrono::milliseconds(15));
                  int grandchild = exitStatusOfChild([] { return 4; }, 30);
                  std::string image, error; // NVRTC still works beside it
                  bool compiled = compileCuda(kAdd1, "add1.cu", 80, true, image, error);
                  return grandchild == 4 && compiled ? 5 : 6;
                },
                90),
            5);
}

/// add1 compiled for this device and loaded, plus its function.
struct Add1Kernel {
  std::unique_ptr<Module> module;
  void *function = nullptr;
};

Add1Kernel loadAdd1(bool cubin) {
  Add1Kernel kernel;
  std::string image, error;
  EXPECT_TRUE(compileCuda(kAdd1, "add1.cu", computeCapability(), cubin, image, error)) << error;
  kernel.module = Module::load(image, error);
  EXPECT_NE(kernel.module, nullptr) << error;
  if (kernel.module)
    kernel.function = kernel.module->function("add1", error);
  EXPECT_NE(kernel.function, nullptr) << error;
  return kernel;
}

bool launchAdd1(void *function, void *x, long long n, std::string &error) {
  void *args[] = {&x, &n};
  return launch(function, unsigned((n + 127) / 128), 1, 1, 128, 0, args, error);
}

TEST(CudaTest, DeviceInfo) {
  SKIP_WITHOUT_GPU();
  EXPECT_GE(deviceCount(), 1);
  EXPECT_GE(computeCapability(), 50);
  EXPECT_FALSE(deviceName().empty());
  EXPECT_GT(multiprocessorCount(), 0);
  EXPECT_NE(stream(), nullptr);
}

TEST(CudaTest, AllocatorCachesBlocks) {
  SKIP_WITHOUT_GPU();
  std::string error;
  emptyDeviceCache();
  DeviceMemoryStats before = deviceMemoryStats();
  void *a = deviceAlloc(1000, error);
  ASSERT_NE(a, nullptr) << error;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 256, 0u);
  EXPECT_EQ(deviceMemoryStats().liveBytes, before.liveBytes + 1024);
  deviceFree(a);
  EXPECT_EQ(deviceMemoryStats().cachedBytes, 1024u);
  // Same size class: the cached block comes back.
  void *b = deviceAlloc(1020, error);
  EXPECT_EQ(b, a);
  void *zero1 = deviceAlloc(0, error), *zero2 = deviceAlloc(0, error);
  ASSERT_NE(zero1, nullptr) << error;
  EXPECT_NE(zero1, zero2);
  deviceFree(b);
  deviceFree(zero1);
  deviceFree(zero2);
  {
    std::shared_ptr<void> big = deviceShared(3 << 20, error);
    ASSERT_NE(big, nullptr) << error;
    EXPECT_EQ(deviceMemoryStats().liveBytes, before.liveBytes + (4u << 20));
  }
  EXPECT_EQ(deviceMemoryStats().liveBytes, before.liveBytes);
  emptyDeviceCache();
  EXPECT_EQ(deviceMemoryStats().cachedBytes, 0u);
}

TEST(CudaTest, CompileLoadLaunch) {
  SKIP_WITHOUT_GPU();
  for (bool cubin : {true, false}) {
    Add1Kernel kernel = loadAdd1(cubin);
    ASSERT_NE(kernel.function, nullptr);
    const long long n = 1000;
    std::vector<float> host(n);
    for (long long i = 0; i < n; ++i)
      host[i] = float(i);
    std::string error;
    std::shared_ptr<void> x = deviceShared(n * sizeof(float), error);
    ASSERT_NE(x, nullptr) << error;
    ASSERT_TRUE(copyHostToDevice(x.get(), host.data(), n * sizeof(float), error)) << error;
    ASSERT_TRUE(launchAdd1(kernel.function, x.get(), n, error)) << error;
    std::vector<float> out(n, -1);
    ASSERT_TRUE(copyDeviceToHost(out.data(), x.get(), n * sizeof(float), error)) << error;
    for (long long i = 0; i < n; ++i)
      ASSERT_EQ(out[i], float(i) + 1) << "at " << i << (cubin ? " (cubin)" : " (ptx)");

    // Device-to-device copy and zeroing.
    std::shared_ptr<void> y = deviceShared(n * sizeof(float), error);
    ASSERT_TRUE(copyDeviceToDevice(y.get(), x.get(), n * sizeof(float), error)) << error;
    ASSERT_TRUE(memsetZero(x.get(), n * sizeof(float), error)) << error;
    ASSERT_TRUE(copyDeviceToHost(out.data(), y.get(), n * sizeof(float), error)) << error;
    EXPECT_EQ(out[7], 8.f);
    ASSERT_TRUE(copyDeviceToHost(out.data(), x.get(), n * sizeof(float), error)) << error;
    EXPECT_EQ(out[7], 0.f);
  }
  std::string error;
  Add1Kernel kernel = loadAdd1(true);
  EXPECT_EQ(kernel.module->function("missing", error), nullptr);
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

void gemmCase(bool transA, bool transB) {
  const int64_t m = 2, n = 4, k = 3;
  // Stored as given: A is [m,k] (or [k,m] when transposed), B [k,n] (or [n,k]).
  std::vector<float> a(m * k), b(k * n), c(m * n, 0.5f);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = float(i) - 2;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = float(i % 5) * 0.5f + 1;
  auto at = [&](int64_t i, int64_t p) { return transA ? a[p * m + i] : a[i * k + p]; };
  auto bt = [&](int64_t p, int64_t j) { return transB ? b[j * k + p] : b[p * n + j]; };

  std::string error;
  auto da = upload(a, error), db = upload(b, error), dc = upload(c, error);
  ASSERT_TRUE(da && db && dc) << error;
  Gemm g;
  g.transA = transA;
  g.transB = transB;
  g.m = m, g.n = n, g.k = k;
  g.lda = transA ? m : k;
  g.ldb = transB ? k : n;
  g.ldc = n;
  g.alpha = 2;
  g.beta = 1;
  ASSERT_TRUE(gemm(g, da.get(), db.get(), dc.get(), error)) << error;
  std::vector<float> out(m * n);
  ASSERT_TRUE(copyDeviceToHost(out.data(), dc.get(), out.size() * 4, error)) << error;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float expected = 0;
      for (int64_t p = 0; p < k; ++p)
        expected += at(i, p) * bt(p, j);
      EXPECT_FLOAT_EQ(out[i * n + j], 2 * expected + 0.5f)
          << i << "," << j << " transA=" << transA << " transB=" << transB;
    }
}

TEST(CudaTest, GemmRowMajor) {
  SKIP_WITHOUT_GPU();
  gemmCase(false, false);
  gemmCase(false, true);
  gemmCase(true, false);
  gemmCase(true, true);
}

TEST(CudaTest, GemmBatchedF64) {
  SKIP_WITHOUT_GPU();
  // Two batches of [2,3] @ [3,2], packed back to back.
  const int64_t batch = 2, m = 2, n = 2, k = 3;
  std::vector<double> a(batch * m * k), b(batch * k * n), c(batch * m * n, 0);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = 0.1 * double(i) + 1;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 1.0 / double(i + 1);
  std::string error;
  auto da = upload(a, error), db = upload(b, error), dc = upload(c, error);
  ASSERT_TRUE(da && db && dc) << error;
  Gemm g;
  g.dtype = DType::F64;
  g.m = m, g.n = n, g.k = k;
  g.lda = k, g.ldb = n, g.ldc = n;
  g.batch = batch, g.strideA = m * k, g.strideB = k * n, g.strideC = m * n;
  ASSERT_TRUE(gemm(g, da.get(), db.get(), dc.get(), error)) << error;
  ASSERT_TRUE(copyDeviceToHost(c.data(), dc.get(), c.size() * 8, error)) << error;
  for (int64_t q = 0; q < batch; ++q)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double expected = 0;
        for (int64_t p = 0; p < k; ++p)
          expected += a[q * m * k + i * k + p] * b[q * k * n + p * n + j];
        EXPECT_NEAR(c[q * m * n + i * n + j], expected, 1e-12) << q << "," << i << "," << j;
      }
}

TEST(CudaTest, GraphCaptureReplays) {
  SKIP_WITHOUT_GPU();
  Add1Kernel kernel = loadAdd1(true);
  ASSERT_NE(kernel.function, nullptr);
  const long long n = 300;
  std::vector<float> host(n, 1.f);
  std::string error;
  std::shared_ptr<void> x = deviceShared(n * sizeof(float), error);
  ASSERT_TRUE(copyHostToDevice(x.get(), host.data(), n * sizeof(float), error)) << error;
  ASSERT_TRUE(beginCapture(error)) << error;
  ASSERT_TRUE(launchAdd1(kernel.function, x.get(), n, error)) << error;
  std::shared_ptr<void> graph = endCapture(error);
  ASSERT_NE(graph, nullptr) << error;
  ASSERT_TRUE(synchronize(error)) << error;
  // Capturing ran nothing: the values only change on replay.
  ASSERT_TRUE(copyDeviceToHost(host.data(), x.get(), n * sizeof(float), error)) << error;
  EXPECT_EQ(host[0], 1.f);
  ASSERT_TRUE(launchGraph(graph, error)) << error;
  ASSERT_TRUE(launchGraph(graph, error)) << error;
  ASSERT_TRUE(copyDeviceToHost(host.data(), x.get(), n * sizeof(float), error)) << error;
  for (long long i = 0; i < n; ++i)
    ASSERT_EQ(host[i], 3.f) << "at " << i;
}

} // namespace

// Many kernels compile several to an NVRTC program (one per thread); each
// kernel is found by its name in its image, cached on its own, and (with a
// GPU) the program loads each image once and runs every kernel.
TEST(CudaTest, ManyKernelsCompileInGroups) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "NVRTC not found";
  const int n = 40; // more than 2 per thread on up to 16 threads
  ProgramSpec spec;
  spec.numSlots = 1;
  Step alloc;
  alloc.kind = Step::Alloc;
  alloc.slot = 0;
  alloc.bytes = n * sizeof(float);
  spec.steps.push_back(alloc);
  for (int k = 0; k < n; ++k) {
    spec.kernels.push_back("k" + std::to_string(k));
    spec.units.push_back("// prelude\n\nextern \"C\" __global__ void " +
                         std::string(kUnitKernelName) + "(float *x) { x[" + std::to_string(k) +
                         "] = " + std::to_string(k) + ".5f; }\n");
    Step launch;
    launch.kernel = k;
    launch.args = {0};
    spec.steps.push_back(launch);
  }
  Output out;
  out.slot = 0;
  out.shape = {n};
  out.strides = {1};
  spec.outputs.push_back(out);

  mlir::mlopt::CudaCompileOptions options;
  options.useDiskCache = false;
  std::vector<std::string> images, functions;
  std::string error;
  mlir::mlopt::CompileStats stats;
  ASSERT_TRUE(mlir::mlopt::CudaBackend::compileImages(spec, options, images, functions, error,
                                                      &stats))
      << error;
  ASSERT_EQ(images.size(), size_t(n));
  ASSERT_EQ(functions.size(), size_t(n));
  std::vector<std::string> distinct(images.begin(), images.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_LT(distinct.size(), size_t(n)) << "kernels were not grouped";
  for (int k = 0; k < n; ++k) {
    ASSERT_EQ(images[k].compare(0, 4, "\x7f" "ELF"), 0) << k;
    EXPECT_NE(images[k].find(functions[k] + '\0'), std::string::npos)
        << functions[k] << " is not in its image";
  }
  // Cached, kernel by kernel, with the same names.
  std::vector<std::string> again, againFunctions;
  mlir::mlopt::CompileStats cached;
  ASSERT_TRUE(mlir::mlopt::CudaBackend::compileImages(spec, options, again, againFunctions, error,
                                                      &cached))
      << error;
  EXPECT_TRUE(cached.memoryCacheHit);
  EXPECT_EQ(againFunctions, functions);

  if (!isAvailable())
    return;
  std::shared_ptr<Program> program = Program::load(spec, images, functions, error);
  ASSERT_NE(program, nullptr) << error;
  std::vector<Buffer> outputs;
  ASSERT_TRUE(program->run({}, outputs, error)) << error;
  std::vector<float> host(n, -1);
  ASSERT_TRUE(copyDeviceToHost(host.data(), outputs[0].data, n * sizeof(float), error)) << error;
  for (int k = 0; k < n; ++k)
    EXPECT_EQ(host[k], k + 0.5f) << "kernel " << k << " did not run";
}
