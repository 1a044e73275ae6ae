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

#include <algorithm>
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
                                std::vector<std::string> &images,
                                std::vector<std::string> &functions, std::string &error,
                                CompileStats *stats) {
  int arch = targetArch(options);
  std::string keyPrefix = std::string(MLOPT_BUILD_ID) + "|cuda|sm_" + std::to_string(arch) + "|" +
                          rt::cuda::nvrtcExtraFlags() + "|";
  size_t n = spec.units.size();
  images.assign(n, std::string());
  functions.assign(n, rt::cuda::kUnitKernelName);
  // Two kinds of cache entries: a kernel's (under its unit's key) is the
  // function's name in its image and the image's key; an image (under the
  // hash of its bytes) is stored once however many kernels it holds.
  rt::ObjectCache disk(rt::ObjectCache::defaultDirectory());
  bool fromDisk = false;
  auto lookup = [&](const std::string &key) -> std::optional<std::string> {
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      auto hit = imageCache().find(key);
      if (hit != imageCache().end())
        return hit->second;
    }
    if (!options.useDiskCache)
      return std::nullopt;
    std::optional<std::string> cached = disk.load(key);
    if (cached) {
      fromDisk = true;
      std::lock_guard<std::mutex> lock(cacheMutex);
      imageCache().emplace(key, *cached);
    }
    return cached;
  };
  auto store = [&](const std::string &key, const std::string &payload) {
    if (options.useDiskCache)
      disk.store(key, payload);
    std::lock_guard<std::mutex> lock(cacheMutex);
    imageCache().emplace(key, payload);
  };
  std::vector<std::string> keys(n);
  std::vector<size_t> misses;
  for (size_t i = 0; i < n; ++i) {
    keys[i] = hexDigest(keyPrefix + spec.units[i]);
    std::optional<std::string> entry = lookup(keys[i]);
    size_t newline = entry ? entry->find('\n') : std::string::npos;
    std::optional<std::string> image =
        newline != std::string::npos ? lookup(entry->substr(newline + 1)) : std::nullopt;
    if (!image) {
      misses.push_back(i);
      continue;
    }
    functions[i] = entry->substr(0, newline);
    images[i] = std::move(*image);
  }
  if (stats && misses.empty() && n) {
    stats->diskCacheHit = fromDisk;
    stats->memoryCacheHit = !fromDisk;
  }
  if (misses.empty())
    return true;

  // The kernels not cached compile at once, one NVRTC program per thread.
  // Few kernels: one program each. Many (more than 2 per thread): as many
  // programs as threads, several kernels each, largest first to the least
  // loaded, since every NVRTC program costs a fixed ~10-20 ms of its own.
  auto start = std::chrono::steady_clock::now();
  size_t workers = std::min<size_t>(
      {misses.size(), std::max(1u, std::thread::hardware_concurrency()), size_t(16)});
  std::vector<std::vector<size_t>> groups;
  if (misses.size() <= 2 * workers) {
    for (size_t i : misses)
      groups.push_back({i});
  } else {
    std::vector<size_t> order = misses;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return spec.units[a].size() > spec.units[b].size();
    });
    groups.resize(workers);
    std::vector<size_t> load(workers, 0);
    for (size_t i : order) {
      size_t least = std::min_element(load.begin(), load.end()) - load.begin();
      groups[least].push_back(i);
      load[least] += spec.units[i].size();
    }
  }
  // A group's source: the prelude once, then each kernel as mlopt_kernel_<j>.
  auto kernelStart = [&](size_t i) { return spec.units[i].find("\nextern \"C\""); };
  std::vector<std::string> groupImages(groups.size()), errors(groups.size());
  std::vector<char> ok(groups.size(), 1);
  auto compileGroup = [&](size_t g) {
    try {
      std::string source;
      if (groups[g].size() == 1) {
        source = spec.units[groups[g][0]];
      } else {
        source = spec.units[groups[g][0]].substr(0, kernelStart(groups[g][0]));
        for (auto [j, i] : llvm::enumerate(groups[g])) {
          std::string kernel = spec.units[i].substr(kernelStart(i));
          std::string name = std::string(rt::cuda::kUnitKernelName) + "(";
          kernel.replace(kernel.find(name), name.size(),
                         std::string(rt::cuda::kUnitKernelName) + "_" + std::to_string(j) + "(");
          source += kernel;
        }
      }
      ok[g] = rt::cuda::compileCuda(source, "mlopt.cu", arch, /*cubin=*/true, groupImages[g],
                                    errors[g]);
    } catch (const std::exception &e) { // (bad_alloc): not out of a worker thread
      ok[g] = 0;
      errors[g] = std::string("NVRTC: ") + e.what();
    }
  };
  if (groups.size() == 1) {
    compileGroup(0);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (size_t w = 0; w < std::min(workers, groups.size()); ++w)
      threads.emplace_back([&] {
        for (size_t g; (g = next++) < groups.size();)
          compileGroup(g);
      });
    for (std::thread &t : threads)
      t.join();
  }
  for (size_t g = 0; g < groups.size(); ++g)
    if (!ok[g]) {
      error = errors[g];
      return false;
    }
  if (stats)
    stats->llvmMs = msSince(start);
  // Each group's image once, each kernel under its own unit's key.
  for (size_t g = 0; g < groups.size(); ++g) {
    std::string imageKey = hexDigest("image|" + groupImages[g]);
    store(imageKey, groupImages[g]);
    for (auto [j, i] : llvm::enumerate(groups[g])) {
      images[i] = groupImages[g];
      if (groups[g].size() > 1)
        functions[i] = std::string(rt::cuda::kUnitKernelName) + "_" + std::to_string(j);
      store(keys[i], functions[i] + "\n" + imageKey);
    }
  }
  return true;
}

std::shared_ptr<rt::cuda::Program> CudaBackend::compile(ModuleOp module, StringRef name,
                                                        const CudaCompileOptions &options,
                                                        std::string &error,
                                                        CompileStats *stats) {
  rt::cuda::ProgramSpec spec;
  std::vector<std::string> images, functions;
  if (!emit(module, name, spec, error, stats) ||
      !compileImages(spec, options, images, functions, error, stats))
    return nullptr;
  auto start = std::chrono::steady_clock::now();
  if (!rt::cuda::ensureContext(error))
    return nullptr;
  std::shared_ptr<rt::cuda::Program> program = rt::cuda::Program::load(std::move(spec), images, functions, error);
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
