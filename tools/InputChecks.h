//===- InputChecks.h - checks on IR text before parsing --------*- C++ -*-===//
#ifndef MLOPT_TOOLS_INPUTCHECKS_H
#define MLOPT_TOOLS_INPUTCHECKS_H

#include "llvm/ADT/StringRef.h"

namespace mlir::mlopt {

// The MLIR parser recurses once per level of nested brackets; beyond this
// depth input is refused before parsing, so no input can overflow the stack.
constexpr int kMaxNesting = 1000;
// Parsing runs on a thread with a stack large enough for kMaxNesting levels.
constexpr unsigned kParserStackBytes = 256u << 20;

/// The first bracket nested deeper than kMaxNesting, or null. String
/// literals and comments are skipped: they may hold any characters.
inline const char *findTooDeepNesting(llvm::StringRef text) {
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
    case '-': {
      // `->` closes nothing; a run of unary minus signs (`- - - d0` in an
      // affine map) recurses in the parser once per sign.
      if (p + 1 < end && p[1] == '>') {
        ++p;
        break;
      }
      int signs = 0;
      const char *q = p;
      for (; q < end; ++q) {
        if (*q == '-') {
          if (q + 1 < end && q[1] == '>')
            break; // an arrow: the next round skips it
          if (++signs + depth > kMaxNesting)
            return q;
        } else if (*q != ' ' && *q != '\t' && *q != '\n') {
          break;
        }
      }
      p = q - 1;
      break;
    }
    case ')': case ']': case '}': case '>':
      depth = depth > 0 ? depth - 1 : 0;
      break;
    default:
      break;
    }
  }
  return nullptr;
}

} // namespace mlir::mlopt

#endif // MLOPT_TOOLS_INPUTCHECKS_H
