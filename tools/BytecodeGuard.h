//===- BytecodeGuard.h - run a tool on untrusted bytecode in a child -*- C++ -*-===//
#ifndef MLOPT_TOOLS_BYTECODEGUARD_H
#define MLOPT_TOOLS_BYTECODEGUARD_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>

namespace mlir::mlopt {

/// MLIR's bytecode reader trusts the counts and offsets in its input: a
/// corrupted file can make it fault, abort on a huge allocation, or write
/// past a buffer and crash the process later. So a tool given bytecode does
/// its whole job in a forked child, with the child's standard output and
/// error held in temporary files. If the child ends normally, what it
/// printed is passed on and its exit code returned; if it dies by a signal,
/// `inputName` gets one error line and the result is 1 (files are written
/// only after success, so a crash leaves them as they were). Call before
/// starting threads. The child's address space is capped at
/// kChildMemoryGiB plus 64 bytes per input byte.
int runOnBytecodeInChild(llvm::StringRef toolName, llvm::StringRef inputName,
                         size_t inputBytes, llvm::function_ref<int()> job);

constexpr unsigned kChildMemoryGiB = 8;

} // namespace mlir::mlopt

#endif // MLOPT_TOOLS_BYTECODEGUARD_H
