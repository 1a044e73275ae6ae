//===- mlopt.cpp - the mlopt compiler driver ------------------------------===//
//
// An mlir-opt style driver: parses mlopt (and upstream) IR, runs passes or
// named pipelines, prints the result. Bad input never aborts: it gets a
// located diagnostic and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaBackend.h"
#include "codegen/Passes.h"
#include "ir/MloptDialect.h"
#include "passes/Passes.h"
#include "tools/BytecodeGuard.h"
#include "tools/InputChecks.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

using namespace mlir;

int main(int argc, char **argv) {
  DialectRegistry registry;
  mlir::mlopt::registerMloptDialects(registry);
  mlir::mlopt::registerMloptPipelines();
  mlir::mlopt::registerCodegenPipelines();
  mlir::mlopt::registerCudaPrintPass();
  registerTransformsPasses(); // canonicalize, cse, inline, ...
  // The upstream passes of the pipelines, so every stage replays alone.
  registerLinalgPasses();
  bufferization::registerBufferizationPasses();
  registerSCFPasses();
  registerConversionPasses();
  memref::registerMemRefPasses();
  arith::registerArithPasses();

  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv, "mlopt compiler driver\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();

  // Read whole, not mapped: `-o` may name the input file itself.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> read =
      inputFilename == "-" ? llvm::MemoryBuffer::getSTDIN()
                           : llvm::MemoryBuffer::getFile(inputFilename, /*IsText=*/false,
                                                         /*RequiresNullTerminator=*/true,
                                                         /*IsVolatile=*/true);
  if (!read) {
    llvm::errs() << "mlopt: cannot open input file '" << inputFilename
                 << "': " << read.getError().message() << "\n";
    return 1;
  }
  std::unique_ptr<llvm::MemoryBuffer> input = std::move(*read);
  if (const char *deep = mlir::mlopt::findTooDeepNesting(input->getBuffer())) {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    sourceMgr.PrintMessage(llvm::SMLoc::getFromPointer(deep),
                           llvm::SourceMgr::DK_Error,
                           "brackets nested deeper than " +
                               llvm::Twine(mlir::mlopt::kMaxNesting) + " levels");
    return 1;
  }
  auto job = [&]() -> int {
    // A file is opened once the run succeeded: a failed run leaves it as it
    // was, the input too where `-o` names it. Standard output streams (the
    // chunks of --split-input-file that passed print before a failed one).
    std::string text;
    llvm::raw_string_ostream buffered(text);
    bool toStdout = outputFilename == "-";
    LogicalResult result = failure();
    llvm::thread parser(std::optional<unsigned>(mlir::mlopt::kParserStackBytes), [&] {
      llvm::raw_ostream &os = toStdout ? static_cast<llvm::raw_ostream &>(llvm::outs()) : buffered;
      result = MlirOptMain(os, std::move(input), registry, config);
    });
    parser.join();
    if (failed(result))
      return 1;
    if (toStdout)
      return 0;
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(outputFilename, &error);
    if (!output) {
      llvm::errs() << "mlopt: " << error << "\n";
      return 1;
    }
    output->os() << text;
    output->keep();
    return 0;
  };
  if (isBytecode(*input))
    return mlir::mlopt::runOnBytecodeInChild("mlopt", inputFilename,
                                             input->getBufferSize(), job);
  return job();
}
