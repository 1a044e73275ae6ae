//===- Eager.cpp - run one mlopt op on runtime buffers --------------------===//

#include "frontend/Eager.h"
#include "codegen/CpuBackend.h"
#include "codegen/CudaBackend.h"
#include "runtime/Blas.h"
#include "runtime/CudaProgram.h"
#include "frontend/GraphBuilder.h"
#include "frontend/OpAttributes.h"
#include "ir/MloptDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <unordered_map>

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

Type mlir::mlopt::elementTypeNamed(MLIRContext &context, const std::string &name) {
  Builder b(&context);
  if (name == "f16") return b.getF16Type();
  if (name == "bf16") return b.getBF16Type();
  if (name == "f32") return b.getF32Type();
  if (name == "f64") return b.getF64Type();
  if (name == "i1") return b.getI1Type();
  if (name == "i32") return b.getI32Type();
  if (name == "i64") return b.getI64Type();
  return {};
}

SmallVector<NamedAttribute> mlir::mlopt::attributesOf(Builder &b, const EagerOp &op) {
  SmallVector<NamedAttribute> attributes;
  for (const EagerAttribute &a : op.attributes) {
    Attribute value;
    if (auto *i = std::get_if<int64_t>(&a.value))
      value = b.getI64IntegerAttr(*i);
    else if (auto *flag = std::get_if<bool>(&a.value)) {
      if (!*flag)
        continue; // unit attributes are present or absent
      value = b.getUnitAttr();
    } else {
      value = b.getDenseI64ArrayAttr(std::get<std::vector<int64_t>>(a.value));
    }
    attributes.push_back(b.getNamedAttr(a.name, value));
  }
  return attributes;
}

bool mlir::mlopt::eagerAttributesOf(ArrayRef<NamedAttribute> attributes,
                                    std::vector<EagerAttribute> &result) {
  for (NamedAttribute a : attributes) {
    EagerAttribute attribute{a.getName().str(), int64_t(0)};
    if (auto i = dyn_cast<IntegerAttr>(a.getValue()))
      attribute.value = i.getInt();
    else if (isa<UnitAttr>(a.getValue()))
      attribute.value = true;
    else if (auto array = dyn_cast<DenseI64ArrayAttr>(a.getValue()))
      attribute.value = std::vector<int64_t>(array.asArrayRef().begin(), array.asArrayRef().end());
    else
      return false;
    result.push_back(std::move(attribute));
  }
  return true;
}


namespace {

// The eager caches' locks. fork holds them, so a child never inherits one
// locked by a thread that does not exist there (a DataLoader worker forked
// while another thread runs an op).
std::mutex kernelsMutex, verdictsMutex, cudaProgramsMutex;
struct Kernel {
  std::shared_ptr<CompiledModule> module;
  rt::PackedEntry entry = nullptr;
  const rt::Signature *signature = nullptr;
};

/// A kernel one thread is compiling: other threads that need it wait for
/// that compile instead of starting their own (4 threads of one model
/// compiled every kernel 4 times).
struct CompilingKernel {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  Kernel kernel;
  std::string error;
};

/// By kernel key, under kernelsMutex.
std::unordered_map<std::string, std::shared_ptr<CompilingKernel>> &compilingKernels() {
  static std::unordered_map<std::string, std::shared_ptr<CompilingKernel>> compiling;
  return compiling;
}

void holdAcrossFork() {
  static std::once_flag once;
  std::call_once(once, [] {
    static void (*unlock)() = [] {
      cudaProgramsMutex.unlock();
      verdictsMutex.unlock();
      kernelsMutex.unlock();
    };
    auto lock = [] { kernelsMutex.lock(); verdictsMutex.lock(); cudaProgramsMutex.lock(); };
    // A child has none of the compiling threads: nobody would finish those.
    auto child = [] {
      compilingKernels().clear();
      unlock();
    };
    pthread_atfork(lock, unlock, child);
  });
}

std::string keyOf(const EagerOp &op, const std::vector<rt::Buffer> &inputs) {
  std::string key = op.name + "|" + op.resultElementType;
  for (const rt::Buffer &b : inputs)
    key += std::string("|") + rt::mlirName(b.dtype) + "r" + std::to_string(b.shape.size());
  // Canonical: by name, false bools left out (they are absent unit
  // attributes), so the front end's and a trace's spellings of one op meet.
  llvm::SmallVector<const EagerAttribute *, 4> attributes;
  for (const EagerAttribute &a : op.attributes)
    if (auto *flag = std::get_if<bool>(&a.value); !flag || *flag)
      attributes.push_back(&a);
  llvm::sort(attributes, [](const EagerAttribute *a, const EagerAttribute *b) {
    return a->name < b->name;
  });
  for (const EagerAttribute *attribute : attributes) {
    const EagerAttribute &a = *attribute;
    key += "|" + a.name + "=";
    if (auto *i = std::get_if<int64_t>(&a.value))
      key += std::to_string(*i);
    else if (auto *flag = std::get_if<bool>(&a.value))
      key += *flag ? "true" : "false";
    else
      for (int64_t v : std::get<std::vector<int64_t>>(a.value))
        key += std::to_string(v) + ",";
  }
  return key;
}



/// Builds the one-op function for `op` over inputs of the given dtypes and
/// ranks, all dims dynamic (or the inputs' static shapes, for CUDA).
FailureOr<OwningOpRef<ModuleOp>> buildKernel(MLIRContext &context, const EagerOp &op,
                                             const std::vector<rt::Buffer> &inputs,
                                             bool staticShapes, std::string &error) {
  GraphBuilder g(context, "kernel");
  Builder b(&context);
  SmallVector<Value> args;
  for (const rt::Buffer &in : inputs) {
    SmallVector<int64_t> shape(in.shape.size(), ShapedType::kDynamic);
    if (staticShapes)
      shape.assign(in.shape.begin(), in.shape.end());
    args.push_back(g.addArgument(
        RankedTensorType::get(shape, elementTypeNamed(context, rt::mlirName(in.dtype)))));
  }
  SmallVector<NamedAttribute> attributes = attributesOf(b, op);
  Type resultType;
  if (!op.resultElementType.empty()) {
    Type element = elementTypeNamed(context, op.resultElementType);
    if (!element || args.empty()) {
      error = "bad result element type '" + op.resultElementType + "'";
      return failure();
    }
    resultType = cast<RankedTensorType>(args.front().getType()).clone(element);
  }
  FailureOr<Value> result = g.create(op.name, args, attributes, resultType);
  if (failed(result)) {
    error = g.error();
    return failure();
  }
  SmallVector<Value> results = {*result};
  // Ops with several results (none yet besides this one) would add them here.
  FailureOr<OwningOpRef<ModuleOp>> module = g.finish(results);
  if (failed(module))
    error = g.error();
  return module;
}

/// `key` with the inputs' sizes: what a static-shape decision is cached by.
std::string shapeKey(const std::string &key, const std::vector<rt::Buffer> &inputs) {
  std::string shapes = key;
  for (const rt::Buffer &b : inputs) {
    shapes += "|";
    for (int64_t d : b.shape)
      shapes += std::to_string(d) + "x";
  }
  return shapes;
}

/// "'mlopt.add' on f32[2x3] f32[4]": how shape errors name the call.
std::string describeCall(const EagerOp &op, const std::vector<rt::Buffer> &inputs) {
  std::string text = "'" + op.name + "' on";
  for (const rt::Buffer &in : inputs)
    text += " " + rt::TensorSpec{in.dtype, in.shape}.str();
  return text;
}

/// A reduction that mlopt-split-reductions would split with static shapes
/// (a long reduced extent with a block size dividing it, few results). Eager kernels have
/// dynamic dims; these compile per shape instead, to be summed in blocks on
/// every core (a dynamic full sum of 16M floats is 2.5e-3 off; split, 1e-6).
bool splitsWhenStatic(const EagerOp &op, const std::vector<rt::Buffer> &inputs) {
  if (inputs.size() != 1 || (op.name != "mlopt.sum" && op.name != "mlopt.prod" &&
                             op.name != "mlopt.max" && op.name != "mlopt.min"))
    return false;
  const std::vector<int64_t> &shape = inputs[0].shape;
  int64_t reduced = 1, all = 1;
  for (int64_t d : shape)
    all *= d;
  for (const EagerAttribute &a : op.attributes)
    if (auto *dims = std::get_if<std::vector<int64_t>>(&a.value); dims && a.name == "dims")
      for (int64_t d : *dims)
        if (d >= 0 && d < static_cast<int64_t>(shape.size()))
          reduced *= shape[d];
  return reduced > 0 && splitsReductionByDefault(reduced, all / reduced);
}

std::shared_ptr<CompiledModule> compileKernel(const EagerOp &op,
                                              const std::vector<rt::Buffer> &inputs,
                                              bool staticShapes, bool cachedOnly,
                                              std::string &error) {
  MLIRContext context;
  FailureOr<OwningOpRef<ModuleOp>> module =
      buildKernel(context, op, inputs, staticShapes, error);
  if (failed(module))
    return nullptr;
  CpuCompileOptions options;
  options.cachedOnly = cachedOnly;
  return CpuBackend::compile(**module, options, error);
}

/// Eager ops on CUDA tensors: one program per (op, attributes, dtypes,
/// shapes), since the CUDA emitter wants static shapes. The op's shape rule
/// runs when the function is built, so errors name the shapes.
bool runEagerCuda(const EagerOp &op, const std::string &key, std::vector<rt::Buffer> inputs,
                  std::vector<rt::Buffer> &results, std::string &error) {
  // CPU scalars (0-d, or broadcast from one element) and CPU indices next to
  // CUDA tensors move over, as in PyTorch; other CPU tensors are an error.
  for (rt::Buffer &in : inputs) {
    if (in.device == rt::Device::CUDA)
      continue;
    bool scalar = in.numElements() <= 1 ||
                  std::all_of(in.strides.begin(), in.strides.end(), [](int64_t s) { return s == 0; });
    bool indices = in.dtype == rt::DType::I32 || in.dtype == rt::DType::I64;
    if (!scalar && !indices) {
      error = "Expected all tensors to be on the same device, but found at least two "
              "devices, cuda:0 and cpu! (in '" + op.name + "')";
      return false;
    }
    rt::Buffer moved;
    if (!rt::cuda::upload(in, moved, error))
      return false;
    in = moved;
  }
  std::string shapes = shapeKey(key, inputs);
  static std::unordered_map<std::string, std::shared_ptr<rt::cuda::Program>> programs;
  std::shared_ptr<rt::cuda::Program> program;
  {
    std::lock_guard<std::mutex> lock(cudaProgramsMutex);
    auto hit = programs.find(shapes);
    if (hit != programs.end())
      program = hit->second;
  }
  if (!program) {
    MLIRContext context;
    FailureOr<OwningOpRef<ModuleOp>> module = buildKernel(context, op, inputs, true, error);
    if (failed(module)) {
      error = describeCall(op, inputs) + ": " + error;
      return false;
    }
    program = CudaBackend::compile(**module, "kernel", CudaCompileOptions(), error);
    if (!program)
      return false;
    std::lock_guard<std::mutex> lock(cudaProgramsMutex);
    programs.emplace(shapes, program);
  }
  return program->run(inputs, results, error);
}

/// Eager kernels have dynamic dims, so before a call the op's own shape
/// rules and verifier run on the inputs' static shapes (one definition of
/// each rule: the dialect's). Results are memoized per shape signature, so a
/// training loop pays this once per shape.
bool checkShapes(const EagerOp &op, const std::string &key,
                 const std::vector<rt::Buffer> &inputs, std::string &error) {
  std::string shapes = shapeKey(key, inputs);
  static std::unordered_map<std::string, std::string> verdicts;
  std::lock_guard<std::mutex> lock(verdictsMutex);
  auto hit = verdicts.find(shapes);
  if (hit == verdicts.end()) {
    static MLIRContext context; // types of checked shapes live here
    GraphBuilder g(context, "check");
    Builder b(&context);
    SmallVector<Value> args;
    for (const rt::Buffer &in : inputs)
      args.push_back(g.addArgument(
          RankedTensorType::get(in.shape, elementTypeNamed(context, rt::mlirName(in.dtype)))));
    Type resultType;
    if (!op.resultElementType.empty())
      resultType = cast<RankedTensorType>(args.front().getType())
                       .clone(elementTypeNamed(context, op.resultElementType));
    std::string verdict;
    if (failed(g.create(op.name, args, attributesOf(b, op), resultType))) {
      verdict = describeCall(op, inputs) + ": " +
                (g.error().empty() ? std::string("invalid shapes") : g.error());
    }
    hit = verdicts.emplace(shapes, verdict).first;
  }
  error = hit->second;
  return error.empty();
}

std::unordered_map<std::string, Kernel> &kernels() {
  static std::unordered_map<std::string, Kernel> cache;
  return cache;
}

} // namespace

namespace {

/// The kernel of `op` for inputs like these: from memory, else compiled
/// (only taken from the disk cache with `cachedOnly`).
bool kernelFor(const EagerOp &op, const std::string &key, const std::vector<rt::Buffer> &inputs,
               bool cachedOnly, Kernel &kernel, std::string &error) {
  bool staticShapes = splitsWhenStatic(op, inputs);
  std::string kernelKey = staticShapes ? shapeKey(key, inputs) : key;
  std::shared_ptr<CompilingKernel> other, mine;
  {
    std::lock_guard<std::mutex> lock(kernelsMutex);
    auto hit = kernels().find(kernelKey);
    if (hit != kernels().end()) {
      kernel = hit->second;
      return true;
    }
    auto compiling = compilingKernels().find(kernelKey);
    if (compiling != compilingKernels().end())
      other = compiling->second;
    else if (!cachedOnly) // (a cached-only miss is no compile to wait for)
      mine = compilingKernels()[kernelKey] = std::make_shared<CompilingKernel>();
  }
  if (other && !cachedOnly) {
    std::unique_lock<std::mutex> lock(other->mutex);
    other->done.wait(lock, [&] { return other->finished; });
    kernel = other->kernel;
    error = other->error;
    return kernel.module != nullptr;
  }
  std::shared_ptr<CompiledModule> module =
      compileKernel(op, inputs, staticShapes, cachedOnly, error);
  if (module)
    kernel = {module, module->entry("kernel"), module->signature("kernel")};
  {
    std::lock_guard<std::mutex> lock(kernelsMutex);
    if (module)
      kernels().emplace(kernelKey, kernel);
    if (mine)
      compilingKernels().erase(kernelKey);
  }
  if (mine) {
    {
      std::lock_guard<std::mutex> lock(mine->mutex);
      mine->finished = true;
      mine->kernel = kernel;
      mine->error = error;
    }
    mine->done.notify_all();
  }
  return module != nullptr;
}

/// f32/f64 matmul straight to BLAS: the compiled kernel would take
/// row-major inputs only, so `x @ w.T` (nn.Linear) paid a copy of w first
/// (30.5 against 21.3 ms for 512x1024 @ 1024x4096); BLAS reads transposed
/// views as they are.
/// Whether `op` is a matmul rt::matmulInto takes: f32/f64 on the CPU, one
/// rank, the same batch dims (the front end expands broadcast ones).
bool runsOnBlas(const EagerOp &op, const std::vector<rt::Buffer> &inputs) {
  if (op.name != "mlopt.matmul" || inputs.size() != 2)
    return false;
  const rt::Buffer &a = inputs[0], &b = inputs[1];
  size_t rank = a.shape.size();
  return rank >= 2 && b.shape.size() == rank && a.dtype == b.dtype &&
         (a.dtype == rt::DType::F32 || a.dtype == rt::DType::F64) &&
         a.device == rt::Device::CPU && b.device == rt::Device::CPU &&
         std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin());
}

bool runMatmulOnBlas(const std::vector<rt::Buffer> &inputs, std::vector<rt::Buffer> &results,
                     std::string &error) {
  const rt::Buffer &a = inputs[0], &b = inputs[1];
  std::vector<int64_t> shape(a.shape.begin(), a.shape.end() - 1);
  shape.push_back(b.shape.back());
  rt::Buffer c = rt::Buffer::allocate(a.dtype, shape);
  if (!rt::matmulInto(a, b, c)) {
    error = "matmul: these operands do not go to BLAS"; // (runsOnBlas said they would)
    return false;
  }
  results = {c};
  return true;
}

} // namespace

bool mlir::mlopt::runEager(const EagerOp &op, const std::vector<rt::Buffer> &inputs,
                           std::vector<rt::Buffer> &results, std::string &error,
                           bool *uncached) {
  holdAcrossFork();
  std::string key = keyOf(op, inputs);
  for (const rt::Buffer &in : inputs)
    if (in.device == rt::Device::CUDA)
      return runEagerCuda(op, key, inputs, results, error);
  // Shape errors first: a kernel of static shapes would not build.
  if (!checkShapes(op, key, inputs, error))
    return false;
  if (runsOnBlas(op, inputs))
    return runMatmulOnBlas(inputs, results, error);
  Kernel kernel;
  if (!kernelFor(op, key, inputs, uncached != nullptr, kernel, error)) {
    if (uncached && error == CpuBackend::kNotCached)
      *uncached = true;
    return false;
  }
  return rt::invoke(kernel.entry, *kernel.signature, inputs, results, error);
}

bool mlir::mlopt::eagerKernelCached(const EagerOp &op, const std::vector<rt::Buffer> &inputs) {
  holdAcrossFork();
  std::string key = keyOf(op, inputs), error;
  Kernel kernel;
  return checkShapes(op, key, inputs, error) &&
         (runsOnBlas(op, inputs) ||
          kernelFor(op, key, inputs, /*cachedOnly=*/true, kernel, error));
}

size_t mlir::mlopt::eagerKernelCount() {
  std::lock_guard<std::mutex> lock(kernelsMutex);
  return kernels().size();
}

bool mlir::mlopt::copyInto(const rt::Buffer &src, rt::Buffer &dst, std::string &error) {
  if (src.shape != dst.shape || src.dtype != dst.dtype) {
    rt::TensorSpec from{src.dtype, src.shape}, to{dst.dtype, dst.shape};
    error = "cannot copy " + from.str() + " into " + to.str();
    return false;
  }
  if (src.device != rt::Device::CPU || dst.device != rt::Device::CPU)
    return rt::cuda::copyInto(src, dst, error);
  // src may overlap dst (x[1:] = x[:-1]), even through two wrappers of one
  // array: then read everything into fresh memory first.
  if (rt::mayOverlap(src, dst)) {
    rt::Buffer source = rt::Buffer::allocate(src.dtype, src.shape);
    rt::copyElements(src, source);
    rt::copyElements(source, dst);
  } else {
    rt::copyElements(src, dst);
  }
  return true;
}
