// RUN: mlopt %s --emit-bytecode | mlopt | FileCheck %s
// RUN: rm -f %t
// RUN: not mlopt %S/Inputs/corrupt-count.mlirbc -o %t 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: not mlopt %S/Inputs/corrupt-offset.mlirbc 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: not mlopt-run %S/Inputs/corrupt-count.mlirbc 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: not mlopt-run %S/Inputs/corrupt-heap.mlirbc 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: not test -e %t

// Bytecode round-trips; a corrupted bytecode file (a count of 18 billion, a
// bad offset, a write past a buffer that glibc catches later: MLIR's reader
// aborts or faults on these) gets one error line and exit code 1, and the
// output file is not written (tools/BytecodeGuard.h).

// CHECK-LABEL: func @scale
// CHECK: mlopt.mul
func.func @scale(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mlopt.mul %x, %y : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CORRUPT: error: malformed bytecode: mlopt{{(-run)?}} crashed reading it
// CORRUPT-NOT: Stack dump
