//===- InputChecks.h - checks on IR text before parsing --------*- C++ -*-===//
#ifndef MLOPT_TOOLS_INPUTCHECKS_H
#define MLOPT_TOOLS_INPUTCHECKS_H

#include "mlir/Bytecode/BytecodeReader.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBufferRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::mlopt {

// The MLIR parser recurses once per level of nested brackets; beyond this
// depth input is refused before parsing, so no input can overflow the stack.
constexpr int kMaxNesting = 1000;
// Parsing runs on a thread with a stack large enough for kMaxNesting levels.
constexpr unsigned kParserStackBytes = 256u << 20;

/// The first bracket (or unary minus) nested deeper than kMaxNesting, or
/// null. String literals and comments are skipped: they may hold any
/// characters. A run of unary minus signs (`- - - d0` in an affine map)
/// recurses in the parser once per sign, so the signs before a bracket count
/// as levels until that bracket closes; `->` closes nothing.
inline const char *findTooDeepNesting(llvm::StringRef text) {
  if (isBytecode(llvm::MemoryBufferRef(text, "")))
    return nullptr; // bytecode: its bytes are not brackets (BytecodeGuard.h)
  llvm::SmallVector<int, 64> opened; // the levels each open bracket added
  int depth = 0, signs = 0;
  for (const char *p = text.begin(), *end = text.end(); p < end; ++p) {
    switch (*p) {
    case '"':
      for (++p; p < end && *p != '"' && *p != '\n'; ++p)
        if (*p == '\\')
          ++p;
      signs = 0;
      break;
    case '/':
      if (p + 1 < end && p[1] == '/')
        while (p < end && *p != '\n')
          ++p;
      signs = 0;
      break;
    case '-':
      if (p + 1 < end && p[1] == '>') {
        ++p;
        signs = 0;
      } else if (++signs + depth > kMaxNesting) {
        return p;
      }
      break;
    case ' ': case '\t': case '\n': case '\r':
      break;
    case '(': case '[': case '{': case '<':
      opened.push_back(1 + signs);
      depth += 1 + signs;
      signs = 0;
      if (depth > kMaxNesting)
        return p;
      break;
    case ')': case ']': case '}': case '>':
      if (!opened.empty()) {
        depth -= opened.back();
        opened.pop_back();
      }
      signs = 0;
      break;
    default:
      signs = 0;
      break;
    }
  }
  return nullptr;
}

} // namespace mlir::mlopt

#endif // MLOPT_TOOLS_INPUTCHECKS_H
