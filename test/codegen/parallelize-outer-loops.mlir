// RUN: mlopt %s --mlopt-parallelize-outer-loops=min-parallel-work=1000 | FileCheck %s

// Threads take the outer dim only, and only when the nest is big enough.
// CHECK-LABEL: func @nest
// CHECK: %[[T0:.+]] = arith.ceildivsi
// CHECK: %[[T1:.+]] = arith.ceildivsi
// CHECK: %[[TOTAL:.+]] = arith.muli %{{.+}}, %[[T1]]
// CHECK: %[[WORK:.+]] = arith.muli %[[TOTAL]], %c1
// CHECK: %[[BIG:.+]] = arith.cmpi sge, %[[WORK]], %c1000
// CHECK: scf.if %[[BIG]] {
// CHECK:   scf.parallel (%[[I:.+]]) =
// CHECK:     scf.for %[[J:.+]] =
// CHECK:       memref.store %{{.+}}, %arg0[%[[I]], %[[J]]]
// CHECK: } else {
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK-NOT: scf.parallel
func.func @nest(%m: memref<?x?xf32>, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %k) step (%c1, %c1) {
    memref.store %v, %m[%i, %j] : memref<?x?xf32>
  }
  return
}

// A loop over row tiles counts the static work nested in its body: 4 tiles
// of 16 x 64 iterations each.
// CHECK-LABEL: func @tiles
// CHECK: %[[WORK:.+]] = arith.muli %{{.+}}, %c1024
// CHECK: arith.cmpi sge, %[[WORK]], %c1000
// CHECK: scf.parallel
func.func @tiles(%m: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
    scf.for %i = %c0 to %c16 step %c1 {
      scf.for %j = %c0 to %c64 step %c1 {
        memref.store %v, %m[%i, %j] : memref<64x64xf32>
      }
    }
  }
  return
}

// A batch of 4 is too few iterations for the threads: they share the next
// dim too, through one index over its 4 * 8 iterations (each dim's index
// from it); the innermost dim, which LLVM vectorizes, stays a loop.
// CHECK-LABEL: func @small_batch
// CHECK: scf.parallel (%[[K:.+]]) = (%{{.+}}) to (%c32{{.*}}) step (%c1
// CHECK:   %[[H:.+]] = arith.remui %[[K]], %c8
// CHECK:   %[[B:.+]] = arith.divui %[[K]], %c8
// CHECK:   scf.for %[[J:.+]] =
// CHECK:     memref.store %{{.+}}, %arg0[%{{.+}}, %{{.+}}, %[[J]]]
func.func @small_batch(%m: memref<4x8x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c512 = arith.constant 512 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%b, %h, %j) = (%c0, %c0, %c0) to (%c4, %c8, %c512) step (%c1, %c1, %c1) {
    memref.store %v, %m[%b, %h, %j] : memref<4x8x512xf32>
  }
  return
}
