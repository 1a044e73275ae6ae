//===- Trace.cpp - record a Python function as one mlopt function ---------===//

#include "frontend/Trace.h"
#include "codegen/CpuBackend.h"
#include "codegen/CudaBackend.h"
#include "frontend/GraphBuilder.h"
#include "frontend/Interpreter.h"
#include "frontend/OpAttributes.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <thread>

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

namespace {


std::string nameOf(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return os.str();
}

// Symbol k's sentinel size: far above real dims and spaced so that a rule
// adding a real size to one (concat) or scaling it (pooling) leaves the
// range; products of two overflow and fail the rule.
constexpr int64_t kSentinelBase = int64_t(1) << 40, kSentinelStride = int64_t(1) << 30;
constexpr int64_t kSentinelOffset = 7777, kMaxSymbols = 1024;
// Traces with more ops than this run op by op, never compiled (see finish).
constexpr int64_t kMaxCompiledOps = 10000;

int64_t sentinel(int64_t symbol) {
  return kSentinelBase + symbol * kSentinelStride + kSentinelOffset;
}

/// The symbol whose sentinel `size` is, or -1.
int64_t symbolOf(int64_t size) {
  int64_t k = (size - kSentinelBase - kSentinelOffset) / kSentinelStride;
  return size >= kSentinelBase && k < kMaxSymbols && sentinel(k) == size ? k : -1;
}

/// Python's -1 for a dynamic dim is MLIR's kDynamic.
SmallVector<int64_t> mlirShape(const std::vector<int64_t> &shape) {
  SmallVector<int64_t> out;
  for (int64_t d : shape)
    out.push_back(d == -1 ? ShapedType::kDynamic : d);
  return out;
}

} // namespace

/// A compile deferred by finish(background): the first run interprets the
/// function, then the compile runs on a thread of its own. This owns what
/// the compile needs (the trace's context and module), so a trace dropped
/// mid-compile does not wait for it; the process-wide registry below keeps
/// it until its thread is joined.
struct Trace::Background {
  std::unique_ptr<MLIRContext> context; // (first: destroyed after the module)
  OwningOpRef<ModuleOp> module;         // dropped once compiled
  std::shared_ptr<const InterpretedFunction> interpreted; // dropped once compiled
  std::mutex mutex;
  std::condition_variable changed;
  bool interpretedOnce = false, started = false, done = false, ok = false, warned = false;
  bool interpretOnly = false; // too large to compile: every run goes op by op
  bool exiting = false; // not compiled: the process is exiting
  std::atomic<bool> interpretedOk{false}; // a run was interpreted to its end
  std::string error;
  std::atomic<bool> ready{false}; // done and ok: the program can run
  std::shared_ptr<CompiledModule> compiled;
  rt::Program program;
  CompileStats stats;
  std::thread thread; // joined by the registry, never by itself

  void finished(bool success, std::string why) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ok = success;
      error = std::move(why);
      done = true;
      if (ok)
        interpreted.reset();
      ready.store(ok, std::memory_order_release);
    }
    changed.notify_all();
  }
};

namespace {

/// Every started background compile, process-wide: new starts join the
/// finished ones, and exit and fork join them all (LLVM must not be torn
/// down under a compile; a child must not inherit a lock a compile holds,
/// or a thread it cannot join). The lock is held across fork, so none
/// starts in between. Never destroyed.
struct CompileThreads {
  std::mutex mutex;
  std::vector<std::shared_ptr<Trace::Background>> started;
  bool exiting = false; // joined at exit: no more compiles start
};
void joinAll(bool keepLocked);
CompileThreads &compileThreads() {
  static CompileThreads *threads = [] {
    // (After the compile locks' handlers: prepare handlers run in reverse
    // order of registration, so the compiles are joined before those
    // locks are taken.)
    CpuBackend::holdLocksAcrossFork();
    pthread_atfork([] { joinAll(/*keepLocked=*/true); },
                   [] { compileThreads().mutex.unlock(); },
                   [] { compileThreads().mutex.unlock(); });
    return new CompileThreads();
  }();
  return *threads;
}

/// Joins every started compile; `keepLocked` (before fork) leaves the
/// registry locked, so none starts until the fork is done.
void joinAll(bool keepLocked) {
  CompileThreads &threads = compileThreads();
  threads.mutex.lock();
  for (const std::shared_ptr<Trace::Background> &bg : threads.started)
    if (bg->thread.joinable())
      bg->thread.join();
  threads.started.clear();
  if (!keepLocked)
    threads.mutex.unlock();
}

bool logsCompiles() {
  const char *log = std::getenv("MLOPT_LOG");
  return log && ("," + std::string(log) + ",").find(",compile,") != std::string::npos;
}

/// The compile of a background: on its own thread.
void compileInBackground(Trace::Background *bg) {
  std::string error;
  CompileStats stats;
  rt::Program program;
  std::shared_ptr<CompiledModule> compiled;
  bool ok = false;
  try { // (an exception must not leave the thread: it would end the process)
    compiled = CpuBackend::compile(*bg->module, CpuCompileOptions(), error, &stats);
    ok = compiled && compiled->program("traced", program);
    if (compiled && !ok)
      error = "the compiled module has no traced function";
  } catch (const std::exception &e) {
    ok = false;
    error = e.what();
  }
  if (logsCompiles())
    std::fprintf(stderr, "[mlopt] background compile %s: %zu kernels, mlir %.1f, translate "
                 "%.1f, llvm %.1f, load %.1f ms%s%s\n", ok ? "done" : "failed",
                 program.launches.size(), stats.lowerMs, stats.translateMs, stats.llvmMs,
                 stats.loadMs, ok ? "" : ": ", ok ? "" : error.c_str());
  bg->module = nullptr; // (only this thread uses it)
  {
    std::lock_guard<std::mutex> lock(bg->mutex);
    bg->compiled = std::move(compiled);
    bg->program = std::move(program);
    bg->stats = stats;
  }
  bg->finished(ok, error);
}

} // namespace

void Trace::joinBackgroundCompilesAtExit() {
  CompileThreads &threads = compileThreads();
  {
    std::lock_guard<std::mutex> lock(threads.mutex);
    threads.exiting = true; // (first: none starts after the join)
  }
  joinAll(/*keepLocked=*/false);
}

Trace::Trace() : context(std::make_unique<MLIRContext>()) {
  builder = std::make_unique<GraphBuilder>(*context, "traced");
  prober = std::make_unique<GraphBuilder>(*context, "probe");
}

Trace::~Trace() = default;

void Trace::startCompile() const {
  const std::shared_ptr<Background> &bg = background;
  CompileThreads &threads = compileThreads();
  std::lock_guard<std::mutex> registry(threads.mutex); // (before bg->mutex, as fork's)
  // Join the compiles that have ended (their results stay with their traces).
  llvm::erase_if(threads.started, [](const std::shared_ptr<Background> &other) {
    {
      std::lock_guard<std::mutex> lock(other->mutex);
      if (!other->done)
        return false;
    }
    other->thread.join(); // (it has ended, or is about to)
    return true;
  });
  {
    std::lock_guard<std::mutex> lock(bg->mutex);
    if (bg->started)
      return;
    bg->started = true;
  }
  if (threads.exiting) {
    {
      std::lock_guard<std::mutex> lock(bg->mutex);
      bg->exiting = true;
    }
    bg->finished(false, "the process is exiting");
    return;
  }
  try {
    bg->thread = std::thread(compileInBackground, bg.get());
  } catch (const std::system_error &e) {
    bg->finished(false, std::string("no thread for the compile: ") + e.what());
    return;
  }
  threads.started.push_back(bg);
}

bool Trace::waitCompiled(std::string &error) const {
  if (!background)
    return true;
  if (background->interpretOnly)
    return true; // nothing to wait for: it runs op by op (no kernels, no stats)
  startCompile();
  std::unique_lock<std::mutex> lock(background->mutex);
  background->changed.wait(lock, [&] { return background->done; });
  if (!background->ok)
    error = "the background compile failed: " + background->error;
  return background->ok;
}

bool Trace::interpretedARun() const {
  return background && background->interpretedOk.load();
}

std::string Trace::compileState() const {
  if (!background)
    return compiled || cudaProgram ? "compiled" : "none";
  std::lock_guard<std::mutex> lock(background->mutex);
  if (background->interpretOnly)
    return "op by op (too many ops to compile)";
  if (!background->started)
    return "interpreting";
  if (!background->done)
    return "compiling";
  return background->ok ? "compiled" : "failed: " + background->error;
}

TracedValue Trace::describe(int id) const {
  auto type = cast<RankedTensorType>(Value::getFromOpaquePointer(values[id]).getType());
  TracedValue result{id, {}, {}, nameOf(type.getElementType())};
  for (auto [d, probe] : llvm::zip(type.getShape(), probes[id])) {
    bool dynamic = ShapedType::isDynamic(d);
    int64_t symbol = symbolOf(probe);
    result.shape.push_back(dynamic ? -1 : d);
    result.symbols.push_back(!dynamic ? -1 : symbol >= 0 ? symbol : -2);
  }
  return result;
}

TracedValue Trace::addInput(const std::vector<int64_t> &shape, const std::string &dtype,
                            const std::vector<int64_t> &symbols) {
  Value arg = builder->addArgument(
      RankedTensorType::get(mlirShape(shape), elementTypeNamed(*context, dtype)));
  values.push_back(arg.getAsOpaquePointer());
  std::vector<int64_t> probe;
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t symbol = d < symbols.size() ? symbols[d] : -1;
    probe.push_back(size != -1                                   ? size
                    : symbol >= 0 && symbol < kMaxSymbols ? sentinel(symbol)
                                                          : ShapedType::kDynamic);
  }
  probes.push_back(probe);
  return describe(values.size() - 1);
}

bool Trace::recording(std::string &error) const {
  if (builder)
    return true;
  error = "the trace is finished";
  return false;
}

bool Trace::scalar(double value, int64_t integer, const std::string &dtype,
                   TracedValue &result, std::string &error) {
  if (!recording(error))
    return false;
  Type element = elementTypeNamed(*context, dtype);
  if (!element) {
    error = "bad dtype '" + dtype + "'";
    return false;
  }
  auto type = RankedTensorType::get({}, element);
  Builder b(context.get());
  Attribute scalar = isa<FloatType>(element) ? Attribute(b.getFloatAttr(element, value))
                                             : Attribute(b.getIntegerAttr(element, integer));
  FailureOr<Value> constant = builder->constant(DenseElementsAttr::get(type, scalar));
  if (failed(constant)) {
    error = builder->error();
    return false;
  }
  values.push_back(constant->getAsOpaquePointer());
  probes.push_back({});
  result = describe(values.size() - 1);
  return true;
}

std::vector<int64_t> Trace::probeOf(const EagerOp &op, const std::vector<int> &operands,
                                    const std::vector<int64_t> *resultShape,
                                    const std::vector<std::pair<int, int>> &sizeSources,
                                    Value result) {
  auto type = cast<RankedTensorType>(result.getType());
  auto shapeOf = [](Type t) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(t).getShape();
    return std::vector<int64_t>(shape.begin(), shape.end());
  };
  if (type.hasStaticShape())
    return shapeOf(type);
  if (resultShape) { // the caller chose the shape: dynamic dims are their sources'
    std::vector<int64_t> probe;
    auto source = sizeSources.begin();
    for (int64_t d : *resultShape) {
      if (d != -1) {
        probe.push_back(d);
        continue;
      }
      probe.push_back(probes[source->first][source->second]);
      ++source;
    }
    return probe;
  }
  if (!op.resultElementType.empty()) // convert: the operand's shape
    return probes[operands.front()];
  // The op's own shape rule, on the operands' probe shapes.
  SmallVector<Value> args;
  for (int id : operands) {
    auto operandType = cast<RankedTensorType>(Value::getFromOpaquePointer(values[id]).getType());
    args.push_back(prober->addArgument(operandType.clone(probes[id])));
  }
  Builder b(context.get());
  FailureOr<Value> probed = prober->create(op.name, args, attributesOf(b, op));
  if (failed(probed)) // e.g. sentinel arithmetic overflowed: nothing is named
    return shapeOf(type);
  return shapeOf(probed->getType());
}

bool Trace::record(const EagerOp &op, const std::vector<int> &operands,
                   const std::vector<int64_t> *resultShape,
                   const std::vector<std::pair<int, int>> &sizeSources, TracedValue &result,
                   std::string &error) {
  if (!recording(error))
    return false;
  Builder b(context.get());
  auto known = [&](int id) { return id >= 0 && id < static_cast<int>(values.size()); };
  SmallVector<Value> args;
  for (int id : operands) {
    if (!known(id)) {
      error = "unknown traced value";
      return false;
    }
    args.push_back(Value::getFromOpaquePointer(values[id]));
  }
  size_t dynamicDims = resultShape ? llvm::count(*resultShape, -1) : 0;
  if (dynamicDims != sizeSources.size()) {
    error = "each dynamic result dim needs one size source";
    return false;
  }
  SmallVector<Value> sizes;
  for (auto [id, dim] : sizeSources) {
    if (!known(id)) {
      error = "unknown traced value";
      return false;
    }
    Value source = Value::getFromOpaquePointer(values[id]);
    if (dim < 0 || dim >= cast<RankedTensorType>(source.getType()).getRank()) {
      error = "size source dim out of range";
      return false;
    }
    sizes.push_back(builder->dimOf(source, dim));
  }
  SmallVector<NamedAttribute> attributes = attributesOf(b, op);
  Type resultType;
  if (resultShape || !op.resultElementType.empty()) {
    auto first = cast<RankedTensorType>(args.front().getType());
    Type element = op.resultElementType.empty() ? first.getElementType()
                                                : elementTypeNamed(*context, op.resultElementType);
    resultType = RankedTensorType::get(resultShape ? ArrayRef<int64_t>(mlirShape(*resultShape))
                                                   : first.getShape(),
                                       element);
  }
  args.append(sizes);
  FailureOr<Value> value = builder->create(op.name, args, attributes, resultType);
  if (failed(value)) {
    error = builder->error();
    return false;
  }
  values.push_back(value->getAsOpaquePointer());
  probes.push_back(probeOf(op, operands, resultShape, sizeSources, *value));
  result = describe(values.size() - 1);
  return true;
}

bool Trace::gradients(const std::vector<int> &outputs, const std::vector<int> &cotangents,
                      const std::vector<int> &wrt, std::vector<TracedValue> &result,
                      std::string &error) {
  if (!recording(error))
    return false;
  auto valueOf = [&](int id, Value &value) {
    if (id < 0 || id >= static_cast<int>(values.size())) {
      error = "unknown traced value";
      return false;
    }
    value = Value::getFromOpaquePointer(values[id]);
    return true;
  };
  if (cotangents.size() != outputs.size()) {
    error = "one cotangent per output is needed";
    return false;
  }
  SmallVector<Value> outs, seeds, args;
  for (auto [out, cot] : llvm::zip(outputs, cotangents)) {
    Value value, seed; // a null seed: ones (buildVJP)
    if (!valueOf(out, value) || (cot != -1 && !valueOf(cot, seed)))
      return false;
    outs.push_back(value);
    seeds.push_back(seed);
  }
  for (int id : wrt) {
    Value value;
    if (!valueOf(id, value))
      return false;
    args.push_back(value);
  }
  FailureOr<SmallVector<Value>> grads = builder->vjp(outs, seeds, args);
  if (failed(grads)) {
    error = builder->error();
    return false;
  }
  result.clear();
  for (Value g : *grads) {
    values.push_back(g.getAsOpaquePointer());
    ArrayRef<int64_t> shape = cast<RankedTensorType>(g.getType()).getShape();
    probes.push_back(std::vector<int64_t>(shape.begin(), shape.end()));
    result.push_back(describe(values.size() - 1));
  }
  return true;
}

bool Trace::finish(const std::vector<int> &results, std::string &error, bool cuda,
                   bool wantBackground) {
  if (!recording(error))
    return false;
  SmallVector<Value> outs;
  for (int id : results) {
    if (id < 0 || id >= static_cast<int>(values.size())) {
      error = "unknown traced value";
      return false;
    }
    outs.push_back(Value::getFromOpaquePointer(values[id]));
  }
  FailureOr<OwningOpRef<ModuleOp>> module = builder->finish(outs);
  if (failed(module)) {
    error = builder->error();
    return false;
  }
  llvm::raw_string_ostream os(text);
  (**module)->print(os);
  if (cuda) {
    cudaProgram = CudaBackend::compile(**module, "traced", CudaCompileOptions(), error, &stats);
    return cudaProgram != nullptr;
  }
  // The first run (or, too large to compile, every run) goes op by op on
  // `plan`; the trace hands its context and module to the deferred compile.
  auto runOpByOp = [&](std::unique_ptr<InterpretedFunction> plan, bool only) {
    background = std::make_shared<Background>();
    builder.reset(); // (the trace is finished: nothing records any more)
    prober.reset();
    background->context = std::move(context);
    background->module = std::move(*module);
    background->interpreted = std::move(plan);
    background->interpretOnly = only;
    return true;
  };
  // A program this large compiles for minutes in gigabytes (a 20000-op
  // eager chain's gradient grew past 24 GB): it runs op by op instead.
  auto func = (**module).lookupSymbol<func::FuncOp>("traced");
  int64_t ops = 0;
  if (func)
    func.walk([&](Operation *) { ++ops; });
  if (ops > kMaxCompiledOps) {
    std::string why;
    if (auto plan = InterpretedFunction::build(func, why, /*cachedKernels=*/false)) {
      if (logsCompiles())
        std::fprintf(stderr, "[mlopt] %lld ops: too many to compile, runs op by op\n",
                     static_cast<long long>(ops));
      return runOpByOp(std::move(plan), /*only=*/true);
    }
    if (logsCompiles())
      std::fprintf(stderr, "[mlopt] %lld ops, but op by op is not possible (%s): compiling\n",
                   static_cast<long long>(ops), why.c_str());
  }
  if (wantBackground) {
    // A cached program only needs loading; else interpret the first call
    // when that should be quicker than compiling cold and running.
    CpuCompileOptions fromCaches;
    fromCaches.cachedOnly = true;
    compiled = CpuBackend::compile(**module, fromCaches, error, &stats);
    if (compiled)
      return compiled->program("traced", program);
    if (error != CpuBackend::kNotCached)
      return false; // (a tensor too big for memory: said now, as always)
    error.clear();
    std::string why;
    std::unique_ptr<InterpretedFunction> plan =
        func ? InterpretedFunction::build(func, why) : nullptr;
    if (plan && plan->interpretMs() >= plan->compileMs() + plan->compiledRunMs()) {
      char costs[160];
      std::snprintf(costs, sizeof(costs), "op by op would take ~%.0f ms, compiling ~%.0f ms "
                    "and running ~%.0f ms", plan->interpretMs(), plan->compileMs(),
                    plan->compiledRunMs());
      why = costs;
      plan.reset();
    }
    if (!plan && !why.empty() && logsCompiles())
      std::fprintf(stderr, "[mlopt] compiling before the first call: %s\n", why.c_str());
    if (plan)
      return runOpByOp(std::move(plan), /*only=*/false);
  }
  compiled = CpuBackend::compile(**module, CpuCompileOptions(), error, &stats);
  return compiled && compiled->program("traced", program);
}

bool Trace::cudaSource(std::string &source, std::string &error) const {
  ::mlopt::rt::cuda::ProgramSpec spec;
  if (!cudaSpec(spec, error))
    return false;
  source = spec.source + spec.describe();
  return true;
}

bool Trace::cudaSpec(::mlopt::rt::cuda::ProgramSpec &spec, std::string &error) const {
  if (text.empty()) {
    error = "the trace is not finished";
    return false;
  }
  DialectRegistry registry;
  registerMloptDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || !CudaBackend::emit(*module, "traced", spec, error))
    return error.empty() ? (error = "cannot parse the traced IR", false) : false;
  return true;
}

size_t Trace::kernelCount() const {
  std::string error;
  if (background)
    return waitCompiled(error) ? background->program.launches.size() : 0;
  return cudaProgram ? cudaProgram->launchCount() : program.launches.size();
}

const CompileStats &Trace::compileStats() const {
  std::string error;
  if (background && waitCompiled(error))
    return background->stats;
  return stats;
}

std::string Trace::cudaGraphState() const {
  return cudaProgram ? cudaProgram->graphState() : "none";
}

bool Trace::run(const std::vector<rt::Buffer> &inputs, std::vector<rt::Buffer> &outputs,
                std::string &error, bool graph) const {
  if (cudaProgram)
    return graph ? cudaProgram->replay(inputs, outputs, error)
                 : cudaProgram->run(inputs, outputs, error);
  for (const rt::Buffer &b : inputs)
    if (b.device != rt::Device::CPU) {
      error = "a CPU-compiled function got a CUDA tensor";
      return false;
    }
  if (background) {
    Background &bg = *background;
    if (bg.ready.load(std::memory_order_acquire))
      return bg.program.run(inputs, outputs, error);
    if (bg.interpretOnly)
      return bg.interpreted->run(inputs, outputs, error, /*uncached=*/nullptr);
    std::shared_ptr<const InterpretedFunction> plan;
    {
      std::lock_guard<std::mutex> lock(bg.mutex);
      if (!bg.interpretedOnce && !bg.started)
        plan = bg.interpreted;
      bg.interpretedOnce = true;
    }
    if (plan) {
      // Interpreting fails only where the program would (it then says
      // why) or where an eager kernel is not cached yet.
      bool uncached = false;
      std::string why;
      bool ok = plan->run(inputs, outputs, why, &uncached);
      startCompile();
      if (ok) {
        bg.interpretedOk.store(true);
        return true;
      }
      if (logsCompiles())
        std::fprintf(stderr, "[mlopt] the first call waits for the compile: %s\n", why.c_str());
    }
    if (waitCompiled(error))
      return bg.program.run(inputs, outputs, error);
    // The compile failed (an mlopt bug): the traced function is still
    // right, so it keeps running op by op, compiling eager kernels as needed
    // (not while the process exits: then only cached ones, and no warning).
    bool exiting;
    {
      std::lock_guard<std::mutex> lock(bg.mutex);
      plan = bg.interpreted;
      exiting = bg.exiting;
      if (plan && !bg.warned && !exiting)
        std::fprintf(stderr, "[mlopt] warning: %s; the function runs op by op\n",
                     error.c_str());
      bg.warned = true;
    }
    std::string why;
    bool uncached = false;
    if (plan && plan->run(inputs, outputs, why, exiting ? &uncached : nullptr))
      return true;
    if (plan)
      error += "; running it op by op failed too: " + why;
    return false;
  }
  if (!compiled) {
    error = "the trace was not compiled";
    return false;
  }
  return program.run(inputs, outputs, error);
}
