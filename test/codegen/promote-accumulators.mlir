// RUN: mlopt %s --split-input-file --mlopt-promote-accumulators | FileCheck %s

// A row sum: the accumulator becomes an iter_arg, loaded once and stored once.
// CHECK-LABEL: func @row_sum
// CHECK: scf.for %[[I:.+]] =
// CHECK:   %[[INIT:.+]] = memref.load %arg1[%[[I]]]
// CHECK:   %[[SUM:.+]] = scf.for %{{.+}} iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32)
// CHECK:     %[[X:.+]] = memref.load %arg0
// CHECK:     %[[S:.+]] = arith.addf %[[X]], %[[ACC]] fastmath<reassoc>
// CHECK-NOT: memref.store
// CHECK:     scf.yield %[[S]]
// CHECK:   memref.store %[[SUM]], %arg1[%[[I]]]
func.func @row_sum(%in: memref<8x64xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c64 step %c1 {
      %a = memref.load %out[%i] : memref<8xf32>
      %x = memref.load %in[%i, %j] : memref<8x64xf32>
      %s = arith.addf %x, %a fastmath<reassoc> : f32
      memref.store %s, %out[%i] : memref<8xf32>
    }
  }
  return
}

// -----

// Another write in the loop might alias the accumulator: left alone.
// CHECK-LABEL: func @other_write
// CHECK-NOT: iter_args
func.func @other_write(%in: memref<64xf32>, %out: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c1 {
    %a = memref.load %out[%c0] : memref<1xf32>
    %x = memref.load %in[%j] : memref<64xf32>
    %s = arith.addf %x, %a : f32
    memref.store %s, %in[%j] : memref<64xf32>
    memref.store %s, %out[%c0] : memref<1xf32>
  }
  return
}

// -----

// Indices that change with the loop are not an accumulator.
// CHECK-LABEL: func @moving_index
// CHECK-NOT: iter_args
func.func @moving_index(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c1 {
    %a = memref.load %out[%j] : memref<64xf32>
    %x = memref.load %in[%j] : memref<64xf32>
    %s = arith.addf %x, %a : f32
    memref.store %s, %out[%j] : memref<64xf32>
  }
  return
}
