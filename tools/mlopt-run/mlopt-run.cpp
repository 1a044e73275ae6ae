//===- mlopt-run.cpp - compile and run a function of an .mlir file --------===//
//
// Like iree-run-module: compiles one function of an mlopt module for this
// CPU (through the kernel caches), runs it on inputs from .npy files or
// seeded random data, writes the results as .npy and prints time per call.
//
//   mlopt-run model.mlir --function=mlp --input=x.npy --input=random:4x8 \
//       --output-dir=out --iterations=100
//   mlopt-run model.mlir --emit-object=model.o   # for ahead-of-time use
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuBackend.h"
#include "passes/Passes.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"
#include "ir/OpUtils.h"
#include "runtime/Npy.h"
#include "tools/BytecodeGuard.h"
#include "tools/InputChecks.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/thread.h"


#include <chrono>
#include <cstring>
#include <random>

using namespace mlir;
namespace rt = ::mlopt::rt;
namespace cl = llvm::cl;

// --help lists these, not every LLVM backend option (still accepted).
static cl::OptionCategory runOptions("mlopt-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                                      cl::Required, cl::cat(runOptions));
static cl::opt<std::string> functionName(
    "function", cl::desc("Function to run (default: the only public one)"),
    cl::cat(runOptions));
static cl::list<std::string> inputs("input",
                                    cl::desc("An argument: a .npy path, or random:DxDx... for "
                                             "seeded random data of that shape"),
                                    cl::cat(runOptions));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Write results as result<i>.npy here (created "
                                               "if missing)"),
                                      cl::cat(runOptions));
static cl::opt<int> iterations("iterations", cl::desc("Calls to time"), cl::init(1),
                               cl::cat(runOptions));
static cl::opt<unsigned> seed("seed", cl::desc("Seed of random inputs"), cl::init(0),
                              cl::cat(runOptions));
static cl::opt<bool> emitLLVM("emit-llvm", cl::desc("Print the optimized LLVM IR and exit"),
                              cl::cat(runOptions));
static cl::opt<std::string> emitObject("emit-object",
                                       cl::desc("Write the object file (ELF, host CPU) here and exit; "
                                                "it defines mlopt_invoke_<function> for each public "
                                                "function"),
                                       cl::cat(runOptions));
static cl::opt<bool> noDiskCache("no-disk-cache",
                                 cl::desc("Neither read nor write the disk cache"),
                                 cl::cat(runOptions));
static cl::opt<int> optLevel("O", cl::desc("LLVM optimization level"), cl::init(3),
                             cl::cat(runOptions));

namespace {

int fail(const std::string &message) {
  llvm::errs() << "mlopt-run: " << message << "\n";
  return 1;
}

bool parseShape(llvm::StringRef text, std::vector<int64_t> &shape) {
  shape.clear();
  if (text.empty() || text == "scalar")
    return true;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  int64_t count = 1;
  for (llvm::StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0 || __builtin_mul_overflow(count, dim, &count) ||
        count > (int64_t(1) << 36))
      return false;
    shape.push_back(dim);
  }
  return true;
}

/// Seeded data: normal floats, small integers, random bools.
rt::Buffer randomBuffer(rt::DType dtype, std::vector<int64_t> shape, std::mt19937_64 &rng) {
  rt::Buffer buffer = rt::Buffer::allocate(dtype, std::move(shape));
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> small(-10, 10);
  char *data = static_cast<char *>(buffer.data);
  for (int64_t i = 0, n = buffer.numElements(); i < n; ++i) {
    switch (dtype) {
    case rt::DType::F32: reinterpret_cast<float *>(data)[i] = normal(rng); break;
    case rt::DType::F64: reinterpret_cast<double *>(data)[i] = normal(rng); break;
    case rt::DType::F16:
    case rt::DType::BF16: {
      // Round-to-nearest by truncating a float's bits is close enough for
      // random data; exactness does not matter here.
      float f = normal(rng);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      uint16_t half;
      if (dtype == rt::DType::BF16) {
        half = static_cast<uint16_t>(bits >> 16);
      } else {
        // f32 -> f16 for |f| < 65504, normal range only (random N(0,1)).
        uint32_t sign = (bits >> 16) & 0x8000;
        int32_t exponent = int32_t((bits >> 23) & 0xff) - 127 + 15;
        uint32_t mantissa = (bits >> 13) & 0x3ff;
        half = exponent <= 0 ? uint16_t(sign) : uint16_t(sign | (exponent << 10) | mantissa);
      }
      reinterpret_cast<uint16_t *>(data)[i] = half;
      break;
    }
    case rt::DType::Bool: data[i] = small(rng) > 0; break;
    case rt::DType::I32: reinterpret_cast<int32_t *>(data)[i] = small(rng); break;
    case rt::DType::I64: reinterpret_cast<int64_t *>(data)[i] = small(rng); break;
    }
  }
  return buffer;
}

/// Compiled code trusts the sizes of `?` dims; an inconsistent call would
/// read or write out of bounds. So before running, the function is
/// specialized to the inputs' shapes and its shape rules are checked, with
/// located diagnostics (the compiled code itself stays shape-generic).
LogicalResult checkInputShapes(ModuleOp module, const std::string &name,
                               const std::vector<rt::Buffer> &arguments) {
  OwningOpRef<ModuleOp> clone(module.clone());
  auto func = clone->lookupSymbol<func::FuncOp>(name);
  if (!func || func.getNumArguments() != arguments.size())
    return failure();
  SmallVector<Type> types;
  for (auto [arg, buffer] : llvm::zip(func.getArguments(), arguments)) {
    auto type = cast<RankedTensorType>(arg.getType());
    arg.setType(type.clone(buffer.shape));
    types.push_back(arg.getType());
  }
  func.setType(FunctionType::get(module.getContext(), types, func.getResultTypes()));
  // Sizes read from the inputs (tensor.dim) fold to constants, so the
  // shape rules of ops that take dynamic sizes are checked as well.
  PassManager pm(module.getContext());
  pm.addPass(mlir::mlopt::createRefineShapes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(mlir::mlopt::createRefineShapes());
  if (failed(pm.run(*clone)))
    return failure();
  // Sizes computed from the inputs: each result must fit in memory, and a
  // dim index must be in range.
  WalkResult walk = clone->walk([&](Operation *op) {
    // A cast to sizes the value does not have (seen through casts).
    if (auto cast = dyn_cast<tensor::CastOp>(op)) {
      Value source = cast.getSource();
      while (auto inner = source.getDefiningOp<tensor::CastOp>())
        source = inner.getSource();
      auto from = dyn_cast<RankedTensorType>(source.getType());
      auto to = dyn_cast<RankedTensorType>(cast.getType());
      if (from && to && from.getRank() == to.getRank() &&
          failed(verifyCompatibleShape(from.getShape(), to.getShape()))) {
        op->emitError() << "casts a value of type " << from << " to " << to;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    // Sizes divided by zero.
    if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
            arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(op) &&
        matchPattern(op->getOperand(1), m_Zero())) {
      op->emitError("divides by zero");
      return WalkResult::interrupt();
    }
    if (auto dim = dyn_cast<tensor::DimOp>(op)) {
      std::optional<int64_t> index = dim.getConstantIndex();
      int64_t rank = cast<RankedTensorType>(dim.getSource().getType()).getRank();
      if (index && (*index < 0 || *index >= rank)) {
        op->emitError() << "dim " << *index << " is out of range for rank " << rank;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    FailureOr<SmallVector<int64_t>> shape = failure();
    if (auto b = dyn_cast<mlir::mlopt::BroadcastInDimOp>(op))
      shape = mlir::mlopt::knownShape(op, b.getDynamicSizes(), b.getType());
    else if (auto r = dyn_cast<mlir::mlopt::ReshapeOp>(op))
      shape = mlir::mlopt::knownShape(op, r.getDynamicSizes(), r.getType());
    else if (auto i = dyn_cast<mlir::mlopt::IotaOp>(op))
      shape = mlir::mlopt::knownShape(op, i.getDynamicSizes(), i.getType());
    else
      return WalkResult::advance();
    if (failed(shape))
      return WalkResult::interrupt();
    auto type = cast<RankedTensorType>(op->getResult(0).getType()).clone(*shape);
    if (!mlir::mlopt::CpuBackend::fitsInMemory(type)) {
      op->emitError() << "result " << type << " does not fit in this machine's memory";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

} // namespace

int run(int argc, char **argv);
int runFile(std::unique_ptr<llvm::MemoryBuffer> file);

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  try {
    return run(argc, argv);
  } catch (const std::exception &e) { // allocation of huge inputs
    llvm::errs() << "mlopt-run: " << e.what() << "\n";
    return 1;
  }
}

int run(int argc, char **argv) {
  cl::HideUnrelatedOptions(runOptions);
  cl::ParseCommandLineOptions(argc, argv, "mlopt-run: compile and run an mlopt function\n");
  if (iterations < 1)
    return fail("--iterations must be at least 1 (got " + std::to_string(iterations) + ")");
  if (optLevel < 0 || optLevel > 3)
    return fail("-O must be 0, 1, 2 or 3 (got " + std::to_string(optLevel) + ")");

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = [&] {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
    if (!buffer) {
      error = inputFile + ": " + buffer.getError().message();
      return std::unique_ptr<llvm::MemoryBuffer>();
    }
    return std::move(*buffer);
  }();
  if (!file)
    return fail(error);

  if (isBytecode(*file)) {
    return mlir::mlopt::runOnBytecodeInChild("mlopt-run", inputFile, file->getBufferSize(),
                                             [&] { return runFile(std::move(file)); });
  }
  return runFile(std::move(file));
}

int runFile(std::unique_ptr<llvm::MemoryBuffer> file) {
  std::string error;
  DialectRegistry registry;
  mlir::mlopt::registerMloptDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  llvm::StringRef text = sourceMgr.getMemoryBuffer(1)->getBuffer();
  if (const char *deep = mlir::mlopt::findTooDeepNesting(text)) {
    sourceMgr.PrintMessage(llvm::SMLoc::getFromPointer(deep), llvm::SourceMgr::DK_Error,
                           "brackets nested too deeply");
    return 1;
  }
  OwningOpRef<ModuleOp> module;
  llvm::thread parser(std::optional<unsigned>(mlir::mlopt::kParserStackBytes), [&] {
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  });
  parser.join();
  if (!module)
    return 1;

  mlir::mlopt::CpuCompileOptions options;
  options.optLevel = optLevel;
  options.useDiskCache = !noDiskCache;
  options.parallelCodegen = emitObject.empty(); // an object file is one object
  if (emitLLVM) {
    std::string ir;
    if (!mlir::mlopt::CpuBackend::emitLLVMIR(*module, options, ir, error))
      return fail(error);
    llvm::outs() << ir;
    return 0;
  }

  mlir::mlopt::CompileStats stats;
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<mlir::mlopt::CompiledModule> compiled =
      mlir::mlopt::CpuBackend::compile(*module, options, error, &stats);
  double compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!compiled) {
    llvm::errs() << error;
    return 1;
  }
  if (!emitObject.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream out(emitObject, ec);
    if (ec)
      return fail(emitObject + ": " + ec.message());
    out << compiled->object();
    return 0;
  }

  std::string name = functionName;
  if (name.empty()) {
    std::vector<std::string> names;
    for (auto func : module->getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        names.push_back(func.getName().str());
    if (names.size() != 1)
      return fail("the module has " + std::to_string(names.size()) +
                  " public functions: name one with --function");
    name = names.front();
  }
  const rt::Signature *signature = compiled->signature(name);
  rt::Program program;
  if (!signature || !compiled->program(name, program))
    return fail("no public function @" + name);
  if (inputs.size() != signature->inputs.size())
    return fail("@" + name + " takes " + std::to_string(signature->inputs.size()) +
                " inputs, " + std::to_string(inputs.size()) + " given with --input");

  std::mt19937_64 rng(seed);
  std::vector<rt::Buffer> arguments;
  for (size_t i = 0; i < inputs.size(); ++i) {
    llvm::StringRef spec = inputs[i];
    rt::Buffer buffer;
    if (spec.consume_front("random:")) {
      std::vector<int64_t> shape;
      if (!parseShape(spec, shape))
        return fail("input " + std::to_string(i) + ": bad shape '" + spec.str() +
                    "' (expected like 4x8, or scalar)");
      buffer = randomBuffer(signature->inputs[i].dtype, shape, rng);
    } else if (!rt::readNpy(spec.str(), buffer, error)) {
      return fail(error);
    }
    arguments.push_back(std::move(buffer));
  }

  for (size_t i = 0; i < arguments.size(); ++i)
    if (arguments[i].dtype != signature->inputs[i].dtype ||
        arguments[i].shape.size() != signature->inputs[i].shape.size())
      return fail("input " + std::to_string(i) + " is " +
                  rt::TensorSpec{arguments[i].dtype, arguments[i].shape}.str() +
                  " but @" + name + " takes " + signature->inputs[i].str());
  if (failed(checkInputShapes(*module, name, arguments)))
    return fail("@" + name + ": the inputs' shapes do not satisfy the function's shape "
                "rules (see the errors above)");

  std::vector<rt::Buffer> results;
  if (!program.run(arguments, results, error))
    return fail("@" + name + ": " + error);
  int runs = std::max(1, static_cast<int>(iterations));
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) {
    std::vector<rt::Buffer> scratch;
    program.run(arguments, scratch, error);
  }
  double callUs = std::chrono::duration<double, std::micro>(
                      std::chrono::steady_clock::now() - start).count() / runs;

  const char *cache = stats.memoryCacheHit ? "memory" : stats.diskCacheHit ? "disk" : "miss";
  llvm::outs() << "compile: " << llvm::format("%.1f", compileMs) << " ms (cache " << cache
               << ")";
  if (!stats.memoryCacheHit && !stats.diskCacheHit)
    llvm::outs() << ": mlir " << llvm::format("%.1f", stats.lowerMs) << " ms, translate "
                 << llvm::format("%.1f", stats.translateMs) << " ms, llvm "
                 << llvm::format("%.1f", stats.llvmMs) << " ms, load "
                 << llvm::format("%.1f", stats.loadMs) << " ms";
  llvm::outs() << "\n";
  for (size_t i = 0; i < results.size(); ++i) {
    rt::TensorSpec spec{results[i].dtype, results[i].shape};
    llvm::outs() << "result " << i << ": " << spec.str();
    if (!outputDir.empty()) {
      if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
        return fail(outputDir + ": " + ec.message());
      std::string path = outputDir + "/result" + std::to_string(i) + ".npy";
      if (!rt::writeNpy(path, results[i], error))
        return fail(error);
      llvm::outs() << " -> " << path;
    }
    llvm::outs() << "\n";
  }
  llvm::outs() << "time per call: " << llvm::format("%.2f", callUs) << " us (" << runs
               << " calls)\n";
  return 0;
}
