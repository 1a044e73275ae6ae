//===- mlopt.cpp - the mlopt compiler driver ------------------------------===//
//
// An mlir-opt style driver: parses mlopt (and upstream) IR, runs passes or
// named pipelines, prints the result. Bad input never aborts: it gets a
// located diagnostic and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "ir/MloptDialect.h"
#include "passes/Passes.h"

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

namespace {

// The MLIR parser recurses once per level of nested brackets; beyond this
// depth input is refused before parsing, so no input can overflow the stack.
constexpr int kMaxNesting = 1000;
// Parsing runs on a thread with a stack large enough for kMaxNesting levels.
constexpr unsigned kParserStackBytes = 256u << 20;

/// Finds the first bracket nested deeper than kMaxNesting, skipping string
/// literals and comments, which may hold any characters.
const char *findTooDeepNesting(llvm::StringRef text) {
  int depth = 0;
  for (const char *p = text.begin(), *end = text.end(); p < end; ++p) {
    switch (*p) {
    case '"':
      for (++p; p < end && *p != '"' && *p != '\n'; ++p)
        if (*p == '\\')
          ++p;
      break;
    case '/':
      if (p + 1 < end && p[1] == '/')
        while (p < end && *p != '\n')
          ++p;
      break;
    case '(': case '[': case '{': case '<':
      if (++depth > kMaxNesting)
        return p;
      break;
    case ')': case ']': case '}': case '>':
      depth = depth > 0 ? depth - 1 : 0;
      break;
    default:
      break;
    }
  }
  return nullptr;
}

} // namespace

int main(int argc, char **argv) {
  DialectRegistry registry;
  mlopt::registerMloptDialects(registry);
  mlopt::registerMloptPipelines();
  mlopt::registerCodegenPipelines();
  registerTransformsPasses(); // canonicalize, cse, inline, ...

  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv, "mlopt compiler driver\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << "mlopt: " << error << "\n";
    return 1;
  }
  if (const char *deep = findTooDeepNesting(input->getBuffer())) {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    sourceMgr.PrintMessage(llvm::SMLoc::getFromPointer(deep),
                           llvm::SourceMgr::DK_Error,
                           "brackets nested deeper than " +
                               llvm::Twine(kMaxNesting) + " levels");
    return 1;
  }
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << "mlopt: " << error << "\n";
    return 1;
  }

  LogicalResult result = failure();
  llvm::thread parser(std::optional<unsigned>(kParserStackBytes), [&] {
    result = MlirOptMain(output->os(), std::move(input), registry, config);
  });
  parser.join();
  if (failed(result))
    return 1;
  output->keep();
  return 0;
}
