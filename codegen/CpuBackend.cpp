//===- CpuBackend.cpp - compile mlopt modules to host code ----------------===//
//
// The one file that includes LLVM's code generation and JIT headers: they
// are the most expensive headers to parse.
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuBackend.h"
#include "codegen/RuntimeTypes.h"
#include "codegen/Passes.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"
#include "runtime/Allocator.h"
#include "runtime/ObjectCache.h"
#include "runtime/Threads.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/IPO/AlwaysInliner.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"
#include "llvm/Transforms/IPO/MergeFunctions.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unordered_map>

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

// Changes with every source file of the compiler and runtime (generated at
// build time), so code from another build is never loaded from the cache.
#include "codegen/BuildId.h"
static constexpr const char *kCodegenVersion = MLOPT_BUILD_ID;

namespace mlir::mlopt {

namespace {
/// Several objects in one string, for the caches: magic, count, then each
/// object's size and bytes. A single object is stored as it is.
constexpr llvm::StringLiteral kMultiObjectMagic = "MLOPT-OBJECTS-1\n";

std::string packObjects(const std::vector<std::string> &objects) {
  if (objects.size() == 1)
    return objects.front();
  std::string packed(kMultiObjectMagic);
  auto put = [&](uint64_t v) { packed.append(reinterpret_cast<const char *>(&v), sizeof v); };
  put(objects.size());
  for (const std::string &o : objects) {
    put(o.size());
    packed += o;
  }
  return packed;
}

/// The objects of a string packObjects made; empty if it is malformed.
std::vector<llvm::StringRef> unpackObjects(llvm::StringRef packed) {
  if (!packed.starts_with(kMultiObjectMagic))
    return {packed};
  llvm::StringRef rest = packed.drop_front(kMultiObjectMagic.size());
  auto take = [&](uint64_t &v) {
    if (rest.size() < sizeof v)
      return false;
    std::memcpy(&v, rest.data(), sizeof v);
    rest = rest.drop_front(sizeof v);
    return true;
  };
  uint64_t count = 0;
  std::vector<llvm::StringRef> objects;
  if (!take(count) || count > 1024)
    return {};
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t size = 0;
    if (!take(size) || size > rest.size())
      return {};
    objects.push_back(rest.take_front(size));
    rest = rest.drop_front(size);
  }
  return objects;
}

} // namespace

/// Object code loaded into its own ORC JIT instance.
class JitLibrary {
public:
  static std::unique_ptr<JitLibrary> load(const std::string &object, std::string &error) {
    auto jit = llvm::orc::LLJITBuilder().create();
    if (!jit) {
      error = llvm::toString(jit.takeError());
      return nullptr;
    }
    llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
    // The runtime's allocation and copy hooks, then libm and libc.
    llvm::orc::SymbolMap symbols;
    for (const rt::RuntimeSymbol &s : rt::runtimeSymbols())
      symbols[(*jit)->mangleAndIntern(s.name)] = {
          llvm::orc::ExecutorAddr::fromPtr(s.address), llvm::JITSymbolFlags::Exported};
    if (auto err = main.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
      error = llvm::toString(std::move(err));
      return nullptr;
    }
    rt::exposeOpenMPSymbols();
    auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        (*jit)->getDataLayout().getGlobalPrefix());
    if (!process) {
      error = llvm::toString(process.takeError());
      return nullptr;
    }
    main.addGenerator(std::move(*process));
    std::vector<llvm::StringRef> objects = unpackObjects(object);
    if (objects.empty()) {
      error = "malformed object code";
      return nullptr;
    }
    for (llvm::StringRef part : objects) {
      auto buffer = llvm::MemoryBuffer::getMemBufferCopy(part, "mlopt-kernel.o");
      if (auto err = (*jit)->addObjectFile(std::move(buffer))) {
        error = llvm::toString(std::move(err));
        return nullptr;
      }
    }
    auto library = std::make_unique<JitLibrary>();
    library->jit = std::move(*jit);
    return library;
  }

  void *lookup(const std::string &symbol, std::string &error) {
    auto address = jit->lookup(symbol);
    if (!address) {
      error = llvm::toString(address.takeError());
      return nullptr;
    }
    return address->toPtr<void *>();
  }

private:
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace mlir::mlopt

CompiledModule::~CompiledModule() = default;

rt::PackedEntry CompiledModule::entry(const std::string &name) const {
  for (const auto &[n, e] : entries)
    if (n == name)
      return e;
  return nullptr;
}

const rt::Signature *CompiledModule::signature(const std::string &name) const {
  for (const auto &[n, s] : signatures)
    if (n == name)
      return &s;
  return nullptr;
}

bool CompiledModule::program(const std::string &name, rt::Program &out) const {
  const rt::Signature *sig = signature(name);
  rt::PackedEntry fn = entry(name);
  if (!sig || !fn)
    return false;
  out = rt::Program();
  rt::Launch launch{fn, *sig, {}, {}};
  for (size_t i = 0; i < sig->inputs.size(); ++i)
    launch.inputSlots.push_back(out.addSlot());
  for (size_t i = 0; i < sig->results.size(); ++i)
    launch.outputSlots.push_back(out.addSlot());
  out.inputSlots = launch.inputSlots;
  out.outputSlots = launch.outputSlots;
  out.launches.push_back(std::move(launch));
  return true;
}

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}


/// The public functions the runtime can call, with their signatures.
bool collectSignatures(ModuleOp module,
                       std::vector<std::pair<std::string, rt::Signature>> &out,
                       std::string &error) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    rt::Signature signature;
    for (auto [types, specs] : {std::make_pair(func.getArgumentTypes(), &signature.inputs),
                                std::make_pair(func.getResultTypes(), &signature.results)})
      for (Type type : types) {
        std::optional<rt::TensorSpec> spec = runtimeSpec(type);
        if (!spec) {
          llvm::raw_string_ostream os(error);
          os << "function @" << func.getName() << ": " << type
             << " is not a ranked tensor of an mlopt element type";
          return false;
        }
        specs->push_back(*spec);
      }
    out.emplace_back(func.getName().str(), std::move(signature));
  }
  return true;
}

/// A TargetMachine for this CPU (machine code at -O3). Not thread-safe:
/// threads generating code in parallel each make their own.
std::unique_ptr<llvm::TargetMachine> createHostMachine(std::string &error) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) {
    error = llvm::toString(builder.takeError());
    return nullptr;
  }
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder->createTargetMachine();
  if (!machine) {
    error = llvm::toString(machine.takeError());
    return nullptr;
  }
  return std::move(*machine);
}

std::mutex cacheMutex;
// LLVM's TargetMachine is shared and not thread-safe: one compile at a time.
std::mutex llvmMutex;

/// The shared host machine (used under llvmMutex).
llvm::TargetMachine *hostTargetMachine(std::string &error) {
  static std::once_flag once;
  static std::unique_ptr<llvm::TargetMachine> machine;
  static std::string machineError;
  std::call_once(once, [] {
    CpuBackend::holdLocksAcrossFork();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    machine = createHostMachine(machineError);
  });
  error = machineError;
  return machine.get();
}

/// A PassBuilder with every analysis manager registered and cross-linked,
/// what running any new-PM pipeline needs.
struct LLVMAnalyses {
  explicit LLVMAnalyses(llvm::TargetMachine *machine = nullptr,
                        llvm::PipelineTuningOptions tuning = {})
      : builder(machine, tuning) {
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, sccs, modules);
  }
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder;
};

/// LLVM's default pipeline at `level`, without loop unrolling: fully
/// unrolling the small static loops of fused kernels (8 heads, 4-row tiles)
/// tripled code size and compile time (a transformer block: 0.8 s -> 0.3 s)
/// for no measurable speed; vectorization and interleaving stay.
void optimizeModule(llvm::Module &module, int level, llvm::TargetMachine *machine) {
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  LLVMAnalyses analyses(machine, tuning);
  llvm::PassBuilder &builder = analyses.builder;
  llvm::ModuleAnalysisManager &modules = analyses.modules;
  llvm::OptimizationLevel opt = level <= 0   ? llvm::OptimizationLevel::O0
                                : level == 1 ? llvm::OptimizationLevel::O1
                                : level == 2 ? llvm::OptimizationLevel::O2
                                             : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager pipeline = level <= 0 ? builder.buildO0DefaultPipeline(opt)
                                                : builder.buildPerModuleDefaultPipeline(opt);
  pipeline.run(module, modules);
}

/// Adds `void mlopt_invoke_<f>(ptr args)` for each C-interface function: it
/// loads one pointer per parameter from `args` and calls
/// `_mlir_ciface_<f>`, so the runtime calls any signature the same way.
void addInvokers(llvm::Module &module,
                 const std::vector<std::pair<std::string, rt::Signature>> &signatures) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(context);
  for (const auto &[name, signature] : signatures) {
    llvm::Function *target = module.getFunction("_mlir_ciface_" + name);
    if (!target)
      continue;
    auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr}, false);
    auto *invoker = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                           "mlopt_invoke_" + name, module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", invoker));
    llvm::SmallVector<llvm::Value *> args;
    for (unsigned i = 0; i < target->arg_size(); ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, invoker->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    b.CreateCall(target, args);
    b.CreateRetVoid();
  }
}

/// Collects the diagnostics emitted while it lives, with their locations.
class DiagnosticText {
public:
  explicit DiagnosticText(MLIRContext *context)
      : handler(context, [this](Diagnostic &diag) {
          llvm::raw_string_ostream os(text);
          os << where(diag.getLocation()) << "error: " << diag << "\n";
          for (Diagnostic &note : diag.getNotes())
            os << "  " << where(note.getLocation()) << "note: " << note << "\n";
          return success();
        }) {}
  std::string text;

private:
  /// "file:line:col: " as compilers print it, or the location as MLIR does.
  static std::string where(Location loc) {
    std::string out;
    llvm::raw_string_ostream os(out);
    if (auto file = dyn_cast<FileLineColLoc>(loc))
      os << file.getFilename().getValue() << ":" << file.getLine() << ":" << file.getColumn();
    else
      os << loc;
    os << ": ";
    return out;
  }
  ScopedDiagnosticHandler handler;
};

/// This machine's physical memory, in bytes (1 TiB when unknown).
uint64_t machineMemory() {
  uint64_t bytes = ::mlopt::rt::physicalMemory();
  return bytes ? bytes : 1ull << 40;
}

/// The bytes of a static tensor of int/float elements; 0 when unknown until
/// run time (dynamic dims, other types) or empty; nullopt when the count
/// overflows.
std::optional<uint64_t> staticBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isIntOrFloat() || !tensor.hasStaticShape() ||
      llvm::is_contained(tensor.getShape(), 0))
    return 0;
  uint64_t bytes = std::max<uint64_t>(1, tensor.getElementTypeBitWidth() / 8);
  for (int64_t dim : tensor.getShape())
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes))
      return std::nullopt;
  return bytes;
}

/// The tensors a program must hold whole fit in this machine's memory: its
/// arguments, results and constants (an intermediate may never exist:
/// fusion computes a broadcast product's sum without it). A byte count of
/// any tensor that overflows is an error too: the lowered size arithmetic
/// would wrap. Reports the first one at its location.
bool checkTensorSizes(ModuleOp module, std::string &error) {
  auto overflows = [](Type type) {
    std::optional<uint64_t> bytes = staticBytes(type);
    return !bytes || *bytes > (uint64_t(1) << 62);
  };
  DiagnosticText diagnostics(module.getContext());
  auto report = [&](Location loc, Type type) {
    emitError(loc) << type << " does not fit in this machine's memory ("
                   << (machineMemory() >> 20) << " MiB)";
    return WalkResult::interrupt();
  };
  WalkResult walk = module.walk([&](Operation *op) {
    bool whole = isa<mlir::mlopt::ConstantOp, func::ReturnOp>(op);
    for (Value v : isa<func::ReturnOp>(op) ? ValueRange(op->getOperands())
                                           : ValueRange(op->getResults()))
      if (overflows(v.getType()) || (whole && !CpuBackend::fitsInMemory(v.getType())))
        return report(op->getLoc(), v.getType());
    if (auto func = dyn_cast<func::FuncOp>(op))
      for (BlockArgument arg : func.getArguments())
        if (!CpuBackend::fitsInMemory(arg.getType()))
          return report(arg.getLoc(), arg.getType());
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    error = diagnostics.text;
  return !walk.wasInterrupted();
}

/// mlopt module -> llvm::Module, not yet optimized (null on failure).
std::unique_ptr<llvm::Module> lowerToLLVM(ModuleOp module, llvm::LLVMContext &llvmContext,
                                          const CpuCompileOptions &options,
                                          llvm::TargetMachine *machine,
                                          const std::vector<std::pair<std::string, rt::Signature>> &signatures,
                                          const std::string &dumpName, std::string &error,
                                          CompileStats *stats = nullptr) {
  auto start = std::chrono::steady_clock::now();
  MLIRContext *context = module.getContext();
  DiagnosticText diagnostics(context);
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(context);
  buildLowerToLLVMPipeline(pm);
  // Our passes produce valid IR (lit tests run each with the verifier); one
  // check at the end instead of after each of ~45 passes halves this stage.
  pm.enableVerifier(false);
  // MLOPT_DUMP_IR=dir: the IR after every stage, one file per pass, each
  // replayable with `mlopt` (directory per module, by its cache key).
  if (const char *dump = std::getenv("MLOPT_DUMP_IR"); dump && *dump) {
    std::string tree = std::string(dump) + "/" + dumpName;
    (void)llvm::sys::fs::create_directories(tree);
    pm.enableIRPrintingToFileTree([](Pass *, Operation *) { return false; },
                                  [](Pass *, Operation *) { return true; },
                                  /*printModuleScope=*/false,
                                  /*printAfterOnlyOnChange=*/true,
                                  /*printAfterOnlyOnFailure=*/false, tree);
  }
  if (failed(pm.run(*clone)) || failed(verify(*clone))) {
    error = diagnostics.text.empty() ? "lowering to LLVM failed" : diagnostics.text;
    return nullptr;
  }
  if (stats)
    stats->lowerMs = msSince(start);
  start = std::chrono::steady_clock::now();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(*clone, llvmContext);
  if (!llvmModule) {
    error = "translation to LLVM IR failed: " + diagnostics.text;
    return nullptr;
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple().getTriple());
  addInvokers(*llvmModule, signatures);
  if (stats)
    stats->translateMs = msSince(start);
  return llvmModule;
}

/// Machine code for `module`.
bool emitObject(llvm::Module &module, llvm::TargetMachine &machine, std::string &object,
                std::string &error) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the host target cannot emit object files";
    return false;
  }
  codegen.run(module);
  object.assign(buffer.begin(), buffer.end());
  return true;
}

/// Before the module is split: the small helpers that lowering creates (the
/// BLAS call wrappers, math-to-funcs' ipowi) are inlined into their callers,
/// so no part calls one across parts; and identical functions are merged
/// (the same kernel of every layer of a model becomes one body and a
/// thunk), so each unique kernel is optimized and compiled once.
void prepareForSplit(llvm::Module &module) {
  for (llvm::Function &f : module) {
    if (f.isDeclaration() || !(f.hasLocalLinkage() || f.hasLinkOnceLinkage()) ||
        f.hasFnAttribute(llvm::Attribute::NoInline) || f.use_empty())
      continue;
    // Functions whose address is taken (the outlined OpenMP bodies) stay.
    if (llvm::all_of(f.uses(), [](const llvm::Use &use) {
          auto *call = llvm::dyn_cast<llvm::CallBase>(use.getUser());
          return call && call->isCallee(&use);
        }))
      f.addFnAttr(llvm::Attribute::AlwaysInline);
  }
  LLVMAnalyses analyses;
  llvm::ModulePassManager pipeline;
  pipeline.addPass(llvm::AlwaysInlinerPass());
  pipeline.addPass(llvm::GlobalDCEPass());
  pipeline.addPass(llvm::MergeFunctionsPass());
  pipeline.run(module, analyses.modules);
}

/// `module` cut into `count` parts of about equal work: functions by
/// instruction count plus a fixed cost, largest first, each to the part
/// with the least so far
/// (llvm::SplitModule hashes names: on a transformer block one of two parts
/// got 80 ms of the work and the other 50). A part defines its functions and
/// declares the rest; global variables are defined in part 0. Definitions
/// must already be external (the parts link in the JIT).
std::vector<std::unique_ptr<llvm::Module>> balancedParts(llvm::Module &module,
                                                         unsigned count) {
  // A function's fixed cost in instructions' worth: O3 plus machine code of
  // one function alone took 4-5 ms at 30 lines and about 0.05 ms a line
  // more. (At 16, a transformer block's parts took 51 and 78 ms of work;
  // at 100, 54-59 and 65-71: its LLVM time 85-97 -> 70-88 ms.)
  constexpr uint64_t kFunctionCost = 100;
  std::vector<std::pair<uint64_t, llvm::Function *>> functions; // (size, f)
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      functions.emplace_back(f.getInstructionCount() + kFunctionCost, &f);
  llvm::stable_sort(functions, [](const auto &a, const auto &b) { return a.first > b.first; });
  std::vector<uint64_t> load(count, 0);
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> partOf;
  for (auto [size, f] : functions) {
    unsigned least = std::min_element(load.begin(), load.end()) - load.begin();
    partOf[f] = least;
    load[least] += size;
  }
  std::vector<std::unique_ptr<llvm::Module>> parts;
  for (unsigned i = 0; i < count; ++i) {
    llvm::ValueToValueMapTy map;
    parts.push_back(llvm::CloneModule(module, map, [&](const llvm::GlobalValue *global) {
      auto it = partOf.find(global);
      return it == partOf.end() ? i == 0 : it->second == i;
    }));
  }
  return parts;
}

/// Optimized object code for a module fresh from translation. With
/// `parallel` and more than one core, the module is split by functions
/// (balancedParts) and each part is optimized and compiled on its own
/// thread, in its own LLVMContext (parts travel as bitcode). The kernels,
/// the outlined OpenMP bodies, come out the same as from optimizing the
/// whole module (compared function by function on a transformer block),
/// and the optimization, a third of a cold compile, now runs on every core.
std::optional<std::string> emitObjects(std::unique_ptr<llvm::Module> module,
                                       llvm::TargetMachine &machine, bool parallel,
                                       int optLevel, std::string &error) {
  unsigned definitions = 0;
  for (llvm::Function &f : *module)
    definitions += !f.isDeclaration();
  // One part per core: more parts measured slower (each has fixed costs).
  unsigned parts = std::min<unsigned>({std::max(1u, std::thread::hardware_concurrency()),
                                       definitions, 8u});
  if (!parallel || parts < 2) {
    optimizeModule(*module, optLevel, &machine);
    std::string object;
    if (!emitObject(*module, machine, object, error))
      return std::nullopt;
    return object;
  }
  prepareForSplit(*module);
  // Parts refer to each other's functions and globals by name: unnamed
  // globals (constant tables) get one, and every definition becomes
  // external (names are unique within the module), so a part that only
  // declares it links to the part that defines it.
  for (llvm::GlobalValue &global : module->global_values()) {
    if (!global.hasName())
      global.setName("mlopt.global");
    if (!global.isDeclaration() && (global.hasLocalLinkage() || global.isDiscardableIfUnused())) {
      global.setLinkage(llvm::GlobalValue::ExternalLinkage);
      global.setVisibility(llvm::GlobalValue::DefaultVisibility);
    }
  }
  std::vector<llvm::SmallString<0>> bitcode;
  for (const std::unique_ptr<llvm::Module> &part : balancedParts(*module, parts)) {
    llvm::raw_svector_ostream os(bitcode.emplace_back());
    llvm::WriteBitcodeToFile(*part, os);
  }
  std::vector<std::string> objects(bitcode.size()), errors(bitcode.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bitcode.size(); ++i)
    threads.emplace_back([&, i] {
      llvm::LLVMContext context;
      auto part = llvm::parseBitcodeFile(
          llvm::MemoryBufferRef(llvm::StringRef(bitcode[i].data(), bitcode[i].size()), "part"),
          context);
      if (!part) {
        errors[i] = llvm::toString(part.takeError());
        return;
      }
      if (auto partMachine = createHostMachine(errors[i])) {
        optimizeModule(**part, optLevel, partMachine.get());
        emitObject(**part, *partMachine, objects[i], errors[i]);
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty()) {
      error = e;
      return std::nullopt;
    }
  return packObjects(objects);
}

std::string cacheKey(ModuleOp module, const CpuCompileOptions &options,
                     llvm::TargetMachine *machine) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().enableDebugInfo(false));
  os << "\n" << kCodegenVersion << "\n" << machine->getTargetTriple().str() << "\n"
     << machine->getTargetCPU() << "\n" << machine->getTargetFeatureString() << "\nO"
     << options.optLevel << (options.parallelCodegen ? " parallel" : "");
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  return llvm::toHex(digest, /*LowerCase=*/true);
}

std::unordered_map<std::string, std::shared_ptr<CompiledModule>> &memoryCache() {
  static std::unordered_map<std::string, std::shared_ptr<CompiledModule>> cache;
  return cache;
}

} // namespace

bool CpuBackend::emitLLVMIR(ModuleOp module, const CpuCompileOptions &options,
                            std::string &llvmIR, std::string &error) {
  llvm::TargetMachine *machine = hostTargetMachine(error);
  std::vector<std::pair<std::string, rt::Signature>> signatures;
  if (!machine || !collectSignatures(module, signatures, error))
    return false;
  std::lock_guard<std::mutex> lock(llvmMutex);
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      lowerToLLVM(module, llvmContext, options, machine, signatures, "emit-llvm", error);
  if (!llvmModule)
    return false;
  optimizeModule(*llvmModule, options.optLevel, machine);
  llvm::raw_string_ostream os(llvmIR);
  llvmModule->print(os, nullptr);
  return true;
}

bool CpuBackend::fitsInMemory(Type type) {
  std::optional<uint64_t> bytes = staticBytes(type);
  return bytes && *bytes <= machineMemory();
}

void CpuBackend::holdLocksAcrossFork() {
  // A child would inherit the locks held by a compile in another thread,
  // and deadlock at its first compile.
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork([] { llvmMutex.lock(); cacheMutex.lock(); },
                   [] { cacheMutex.unlock(); llvmMutex.unlock(); },
                   [] { cacheMutex.unlock(); llvmMutex.unlock(); });
  });
}

void CpuBackend::clearMemoryCache() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  memoryCache().clear();
}

std::shared_ptr<CompiledModule> CpuBackend::compile(ModuleOp module,
                                                    const CpuCompileOptions &options,
                                                    std::string &error,
                                                    CompileStats *stats) {
  CompileStats local;
  CompileStats &s = stats ? *stats : local;
  llvm::TargetMachine *machine = hostTargetMachine(error);
  if (!machine)
    return nullptr;
  auto compiled = std::make_shared<CompiledModule>();
  if (!checkTensorSizes(module, error) ||
      !collectSignatures(module, compiled->signatures, error))
    return nullptr;

  std::string key = cacheKey(module, options, machine);
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto hit = memoryCache().find(key);
    if (hit != memoryCache().end()) {
      s.memoryCacheHit = true;
      return hit->second;
    }
  }

  rt::ObjectCache disk(rt::ObjectCache::defaultDirectory());
  std::optional<std::string> object;
  if (options.useDiskCache)
    object = disk.load(key);
  s.diskCacheHit = object.has_value();
  if (!object && options.cachedOnly) {
    error = kNotCached;
    return nullptr;
  }
  if (!object) {
    std::lock_guard<std::mutex> lock(llvmMutex);
    llvm::LLVMContext llvmContext;
    auto llvmModule = lowerToLLVM(module, llvmContext, options, machine, compiled->signatures,
                                  key.substr(0, 16), error, &s);
    if (!llvmModule)
      return nullptr;
    auto start = std::chrono::steady_clock::now();
    object = emitObjects(std::move(llvmModule), *machine, options.parallelCodegen,
                         options.optLevel, error);
    if (!object)
      return nullptr;
    s.llvmMs = msSince(start);
    if (options.useDiskCache)
      disk.store(key, *object);
  }

  auto start = std::chrono::steady_clock::now();
  compiled->library = JitLibrary::load(*object, error);
  if (!compiled->library)
    return nullptr;
  for (const auto &[name, signature] : compiled->signatures) {
    void *address = compiled->library->lookup("mlopt_invoke_" + name, error);
    if (!address)
      return nullptr;
    compiled->entries.emplace_back(name, reinterpret_cast<rt::PackedEntry>(address));
  }
  compiled->objectCode = std::move(*object);
  s.loadMs = msSince(start);

  std::lock_guard<std::mutex> lock(cacheMutex);
  memoryCache().emplace(key, compiled);
  return compiled;
}
