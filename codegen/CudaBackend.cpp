//===- CudaBackend.cpp - compile mlopt modules to CUDA kernels ------------===//

#include "codegen/CudaBackend.h"
#include "codegen/CudaEmitter.h"
#include "codegen/Passes.h"
#include "runtime/Cuda.h"
#include "runtime/ObjectCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include "codegen/BuildId.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <mutex>
#include <unordered_map>

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

int targetArch(const CudaCompileOptions &options) {
  if (options.arch)
    return options.arch;
  int device = rt::cuda::isAvailable() ? rt::cuda::computeCapability() : 0;
  return device ? device : 90;
}

std::string hexDigest(const std::string &text) {
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  return llvm::toHex(digest, /*LowerCase=*/true);
}

std::mutex cacheMutex;
std::unordered_map<std::string, std::string> &imageCache() {
  static std::unordered_map<std::string, std::string> cache;
  return cache;
}

} // namespace

bool CudaBackend::emit(ModuleOp module, StringRef name, rt::cuda::ProgramSpec &spec,
                       std::string &error, CompileStats *stats) {
  auto start = std::chrono::steady_clock::now();
  MLIRContext *context = module.getContext();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d.getLocation() << ": " << d << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(context);
  buildLowerToCudaPipeline(pm);
  pm.enableVerifier(false); // once at the end, as on the CPU
  if (failed(pm.run(*clone)) || failed(verify(*clone))) {
    error = diagnostics.empty() ? "lowering for CUDA failed" : diagnostics;
    return false;
  }
  if (failed(emitCudaProgram(*clone, name, spec, error)))
    return false;
  if (stats)
    stats->lowerMs = msSince(start);
  return true;
}

bool CudaBackend::compileImages(const rt::cuda::ProgramSpec &spec,
                                const CudaCompileOptions &options,
                                std::vector<std::string> &images, std::string &error,
                                CompileStats *stats) {
  int arch = targetArch(options);
  std::string keyPrefix = std::string(MLOPT_BUILD_ID) + "|cuda|sm_" + std::to_string(arch) + "|" +
                          rt::cuda::nvrtcExtraFlags() + "|";
  size_t n = spec.units.size();
  images.assign(n, std::string());
  std::vector<std::string> keys(n);
  std::vector<size_t> misses;
  rt::ObjectCache disk(rt::ObjectCache::defaultDirectory());
  bool fromDisk = false;
  for (size_t i = 0; i < n; ++i) {
    keys[i] = hexDigest(keyPrefix + spec.units[i]);
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      auto hit = imageCache().find(keys[i]);
      if (hit != imageCache().end()) {
        images[i] = hit->second;
        continue;
      }
    }
    if (options.useDiskCache)
      if (std::optional<std::string> cached = disk.load(keys[i])) {
        images[i] = std::move(*cached);
        fromDisk = true;
        std::lock_guard<std::mutex> lock(cacheMutex);
        imageCache().emplace(keys[i], images[i]);
        continue;
      }
    misses.push_back(i);
  }
  if (stats && misses.empty() && n) {
    stats->diskCacheHit = fromDisk;
    stats->memoryCacheHit = !fromDisk;
  }
  // The kernels not cached compile at once, each NVRTC program on a thread.
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> errors(n);
  std::vector<char> ok(n, 1);
  auto compileOne = [&](size_t i) {
    try {
      ok[i] = rt::cuda::compileCuda(spec.units[i], "mlopt.cu", arch, /*cubin=*/true, images[i],
                                    errors[i]);
    } catch (const std::exception &e) { // (bad_alloc): not out of a worker thread
      ok[i] = 0;
      errors[i] = std::string("NVRTC: ") + e.what();
    }
  };
  size_t workers = std::min<size_t>(misses.size(), std::max(1u, std::thread::hardware_concurrency()));
  workers = std::min<size_t>(workers, 16);
  if (workers <= 1) {
    for (size_t i : misses)
      compileOne(i);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (size_t w = 0; w < workers; ++w)
      threads.emplace_back([&] {
        for (size_t m; (m = next++) < misses.size();)
          compileOne(misses[m]);
      });
    for (std::thread &t : threads)
      t.join();
  }
  for (size_t i : misses)
    if (!ok[i]) {
      error = errors[i];
      return false;
    }
  if (stats && !misses.empty())
    stats->llvmMs = msSince(start);
  for (size_t i : misses) {
    if (options.useDiskCache)
      disk.store(keys[i], images[i]);
    std::lock_guard<std::mutex> lock(cacheMutex);
    imageCache().emplace(keys[i], images[i]);
  }
  return true;
}

std::shared_ptr<rt::cuda::Program> CudaBackend::compile(ModuleOp module, StringRef name,
                                                        const CudaCompileOptions &options,
                                                        std::string &error,
                                                        CompileStats *stats) {
  rt::cuda::ProgramSpec spec;
  std::vector<std::string> images;
  if (!emit(module, name, spec, error, stats) ||
      !compileImages(spec, options, images, error, stats))
    return nullptr;
  auto start = std::chrono::steady_clock::now();
  if (!rt::cuda::ensureContext(error))
    return nullptr;
  std::shared_ptr<rt::cuda::Program> program = rt::cuda::Program::load(std::move(spec), images, error);
  if (stats)
    stats->loadMs = msSince(start);
  return program;
}

namespace {
/// Prints the CUDA C and host plan of every public function.
struct PrintCudaPass : PassWrapper<PrintCudaPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PrintCudaPass)
  StringRef getArgument() const final { return "mlopt-print-cuda"; }
  StringRef getDescription() const final {
    return "Prints the CUDA C and host plan of each public function (input: the "
           "mlopt-lower-to-cuda form)";
  }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      rt::cuda::ProgramSpec spec;
      std::string error;
      if (failed(emitCudaProgram(getOperation(), func.getName(), spec, error))) {
        func.emitError(error);
        return signalPassFailure();
      }
      llvm::outs() << "// ---- " << func.getName() << "\n" << spec.source << spec.describe();
    }
  }
};
} // namespace

void mlir::mlopt::registerCudaPrintPass() { PassRegistration<PrintCudaPass>(); }
