// RUN: mlopt %s --mlopt-unshare-fills | FileCheck %s

// Two matmuls start from one zero fill (CSE merged theirs): each gets its
// own fill and empty tensor again, right before it, so bufferization gives
// each a buffer of its own (a GEMM with beta = 0) instead of copying the
// shared one. The reduction reading the fill (not writing it) keeps it.
// CHECK-LABEL: func @shared_zero_init
// CHECK: %[[ORIG:.+]] = linalg.fill
// CHECK: %[[E0:.+]] = tensor.empty() : tensor<4x4xf32>
// CHECK-NEXT: %[[F0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E0]] : tensor<4x4xf32>)
// CHECK-NEXT: linalg.matmul ins(%arg0, %arg1 : {{.+}}) outs(%[[F0]] : tensor<4x4xf32>)
// CHECK-NEXT: %[[E1:.+]] = tensor.empty() : tensor<4x4xf32>
// CHECK-NEXT: %[[F1:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E1]] : tensor<4x4xf32>)
// CHECK-NEXT: linalg.matmul ins(%arg1, %arg0 : {{.+}}) outs(%[[F1]] : tensor<4x4xf32>)
// CHECK: return %{{.+}}, %{{.+}}, %[[ORIG]]
func.func @shared_zero_init(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x4xf32>) -> tensor<4x4xf32>
  %ab = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%fill : tensor<4x4xf32>) -> tensor<4x4xf32>
  %ba = linalg.matmul ins(%b, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%fill : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %ab, %ba, %fill : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}
