// RUN: mlopt %s --split-input-file --mlopt-linalg-to-blas | FileCheck %s

// CHECK: func.func private @mlopt_rt_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func @f32
// CHECK: %[[A:.+]] = memref.cast %arg0 : memref<?x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @mlopt_rt_matmul_f32(%[[A]],
// CHECK-NOT: linalg.matmul
func.func @f32(%a: memref<?x64xf32>, %b: memref<64x32xf32>, %c: memref<?x32xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  return
}

// -----

// x @ w.T: B goes as a transposed view (BLAS gets a transpose flag), no copy.
// CHECK-LABEL: func @transpose_b
// CHECK: %[[BT:.+]] = memref.transpose %arg1 (d0, d1) -> (d1, d0) : memref<32x64xf32> to memref<64x32xf32, strided<[1, 64]>>
// CHECK: %[[B:.+]] = memref.cast %[[BT]]
// CHECK: call @mlopt_rt_matmul_f32(%{{.+}}, %[[B]], %{{.+}})
func.func @transpose_b(%a: memref<8x64xf32>, %b: memref<32x64xf32>, %c: memref<8x32xf32>) {
  linalg.matmul_transpose_b ins(%a, %b : memref<8x64xf32>, memref<32x64xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// CHECK-LABEL: func @f64_batch
// CHECK: call @mlopt_rt_batch_matmul_f64
func.func @f64_batch(%a: memref<2x3x4xf64>, %b: memref<2x4x5xf64>, %c: memref<2x3x5xf64>) {
  linalg.batch_matmul ins(%a, %b : memref<2x3x4xf64>, memref<2x4x5xf64>) outs(%c : memref<2x3x5xf64>)
  return
}

// -----

// Integer and half matmuls keep their loops; tensors are not touched.
// CHECK-LABEL: func @others
// CHECK: linalg.matmul ins(%arg0, %arg1 : memref<4x4xi32>
// CHECK: linalg.matmul ins(%arg3, %arg4 : tensor<4x4xf32>
// CHECK-NOT: call
func.func @others(%a: memref<4x4xi32>, %b: memref<4x4xi32>, %c: memref<4x4xi32>,
                  %x: tensor<4x4xf32>, %y: tensor<4x4xf32>, %z: tensor<4x4xf32>) -> tensor<4x4xf32> {
  linalg.matmul ins(%a, %b : memref<4x4xi32>, memref<4x4xi32>) outs(%c : memref<4x4xi32>)
  %r = linalg.matmul ins(%x, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// conv2d passes its strides and dilations (H, W) after the three buffers.
// CHECK-LABEL: func @conv
// CHECK-DAG: %[[S0:.+]] = arith.constant 2 : i64
// CHECK-DAG: %[[D1:.+]] = arith.constant 3 : i64
// CHECK: call @mlopt_rt_conv2d_f32(%{{.+}}, %{{.+}}, %{{.+}}, %[[S0]], %{{.+}}, %{{.+}}, %[[D1]])
// CHECK-NOT: linalg.conv
func.func @conv(%x: memref<1x3x16x16xf32>, %w: memref<4x3x3x3xf32>, %y: memref<1x4x7x5xf32>) {
  linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 3]> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x16x16xf32>, memref<4x3x3x3xf32>) outs(%y : memref<1x4x7x5xf32>)
  return
}
