// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg --canonicalize --mlopt-fuse-elementwise | FileCheck %s

// A matmul behind a collapse of batch dims stays linalg.matmul (a BLAS
// call); the reshape is not propagated through it.
// CHECK-LABEL: func @batched_linear
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]]
// CHECK: linalg.matmul ins(%{{.+}} : tensor<32x16xf32>, tensor<16x32xf32>)
// CHECK: tensor.expand_shape
// CHECK: linalg.generic
// CHECK:   math.tanh
func.func @batched_linear(%x: tensor<4x8x16xf32>, %w: tensor<16x32xf32>) -> tensor<4x8x32xf32> {
  %y = mlopt.matmul %x, %w : tensor<4x8x16xf32>, tensor<16x32xf32> -> tensor<4x8x32xf32>
  %r = mlopt.tanh %y : tensor<4x8x32xf32>
  return %r : tensor<4x8x32xf32>
}

// -----

// Elementwise chains and their broadcasts become one generic; an
// elementwise producer fuses into the reduction that reads it.
// CHECK-LABEL: func @chain
// CHECK: %[[E:.+]] = linalg.generic
// CHECK:   arith.mulf
// CHECK:   math.exp
// CHECK-NOT: linalg.generic
// CHECK: return %[[E]]
func.func @chain(%x: tensor<8x16xf32>, %a: tensor<16xf32>) -> tensor<8x16xf32> {
  %b = mlopt.broadcast_in_dim %a, dims = [1] : tensor<16xf32> -> tensor<8x16xf32>
  %m = mlopt.mul %x, %b : tensor<8x16xf32>
  %e = mlopt.exp %m : tensor<8x16xf32>
  return %e : tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func @into_reduction
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
func.func @into_reduction(%x: tensor<8x16xf32>) -> tensor<8xf32> {
  %e = mlopt.exp %x : tensor<8x16xf32>
  %s = mlopt.sum %e, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// Cost rule: a cheap producer with two users is recomputed inside the
// reduction (and fused into the other user); a heavy one (three
// transcendentals) is computed once and read back by both.
// CHECK-LABEL: func @recompute_cheap
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:   math.exp
// CHECK-NOT: linalg.generic
func.func @recompute_cheap(%x: tensor<8x16xf32>) -> (tensor<8xf32>, tensor<8x16xf32>) {
  %e = mlopt.exp %x : tensor<8x16xf32>
  %s = mlopt.sum %e, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  %t = mlopt.mul %e, %e : tensor<8x16xf32>
  return %s, %t : tensor<8xf32>, tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func @keep_heavy
// CHECK: %[[H:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:   math.exp
// CHECK:   math.log
// CHECK:   math.tanh
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[H]] : tensor<8x16xf32>)
// CHECK-NOT: math.exp
// CHECK: linalg.generic {{.+}} ins(%[[H]] : tensor<8x16xf32>)
// CHECK-NOT: math.exp
func.func @keep_heavy(%x: tensor<8x16xf32>) -> (tensor<8xf32>, tensor<8x16xf32>) {
  %a = mlopt.exp %x : tensor<8x16xf32>
  %b = mlopt.log %a : tensor<8x16xf32>
  %h = mlopt.tanh %b : tensor<8x16xf32>
  %s = mlopt.sum %h, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  %t = mlopt.mul %h, %h : tensor<8x16xf32>
  return %s, %t : tensor<8xf32>, tensor<8x16xf32>
}

// -----

// A residual stream: x + a (two inputs no generic computes, as in
// rmsnorm(x + r)) is recomputed in its reduction and fused into the next
// add; that sum of three is computed once and read back by the next
// reduction and add, so no kernel reads every earlier layer's output.
// CHECK-LABEL: func @residual_stream
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%arg0, %arg1 :
// CHECK: %[[R2:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1, %arg2 :
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[R2]] : tensor<8x16xf32>)
// CHECK: linalg.generic {{.+}} ins(%[[R2]], %arg3 : tensor<8x16xf32>, tensor<8x16xf32>)
func.func @residual_stream(%x: tensor<8x16xf32>, %a: tensor<8x16xf32>, %b: tensor<8x16xf32>, %c: tensor<8x16xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8x16xf32>) {
  %r1 = mlopt.add %x, %a : tensor<8x16xf32>
  %s1 = mlopt.sum %r1, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  %r2 = mlopt.add %r1, %b : tensor<8x16xf32>
  %s2 = mlopt.sum %r2, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  %t = mlopt.add %r2, %c : tensor<8x16xf32>
  return %s1, %s2, %t : tensor<8xf32>, tensor<8xf32>, tensor<8x16xf32>
}
