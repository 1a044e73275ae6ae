// RUN: mlopt %s --mlopt-lower-to-cuda | FileCheck %s

// Arguments are the caller's tensors: scatter_add (an update of a copy of
// %x) writes a fresh buffer, never %x itself. (Both backends share the
// bufferization stage; this prints its CUDA form.)
// CHECK-LABEL: func.func @scatter_into_a_copy(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<4x10xf32>
// CHECK: %[[COPY:.*]] = memref.alloc()
// CHECK: memref.copy %[[X]], %[[COPY]]
// CHECK-NOT: memref.store {{.*}}, %[[X]][
// CHECK: memref.store {{.*}}, %[[COPY]][
// CHECK-NOT: memref.store {{.*}}, %[[X]][
// CHECK: return %[[COPY]]
func.func @scatter_into_a_copy(%x: tensor<4x10xf32>, %i: tensor<4x3xi64>, %u: tensor<4x3xf32>) -> tensor<4x10xf32> {
  %0 = mlopt.scatter_add %x, %i, %u, dim = 1 : tensor<4x10xf32>, tensor<4x3xi64>, tensor<4x3xf32> -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}
