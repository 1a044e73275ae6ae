// RUN: mlopt %s --split-input-file --mlopt-autodiff="function=f wrt=0,1" --verify-diagnostics | FileCheck %s

// Unbroadcasting: the gradient of a broadcast bias sums over the new dim.
// CHECK-LABEL: func.func @f_vjp
// CHECK-SAME: (%[[X:.+]]: tensor<4x3xf32>, %[[B:.+]]: tensor<3xf32>, %[[G:.+]]: tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>, tensor<3xf32>)
// CHECK: %[[BB:.+]] = mlopt.broadcast_in_dim %[[B]], dims = [1]
// CHECK: %[[T:.+]] = mlopt.tanh
// CHECK: mlopt.mul %[[T]], %[[T]]
// CHECK: mlopt.sub
// CHECK: %[[GT:.+]] = mlopt.mul %{{.+}}, %{{.+}} : tensor<4x3xf32>
// CHECK: %[[GX:.+]] = mlopt.mul %[[GT]], %[[BB]] : tensor<4x3xf32>
// CHECK: %[[GM:.+]] = mlopt.mul %[[GT]], %[[X]] : tensor<4x3xf32>
// CHECK: %[[GB:.+]] = mlopt.sum %[[GM]], dims = [0] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK: return %{{.+}}, %[[GX]], %[[GB]]
func.func @f(%x: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<f32> {
  %0 = mlopt.broadcast_in_dim %b, dims = [1] : tensor<3xf32> -> tensor<4x3xf32>
  %1 = mlopt.mul %x, %0 : tensor<4x3xf32>
  %2 = mlopt.tanh %1 : tensor<4x3xf32>
  %3 = mlopt.sum %2, dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// Matmul: dA = g B^T. Comparisons carry no gradient, and an argument the
// results do not depend on gets zeros.
// CHECK-LABEL: func.func @f_vjp
// CHECK-DAG: %[[ZERO:.+]] = mlopt.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-DAG: %[[BT:.+]] = mlopt.transpose %arg2, permutation = [1, 0] : tensor<3x5xf32> -> tensor<5x3xf32>
// CHECK-DAG: %[[GA:.+]] = mlopt.matmul %arg3, %[[BT]] : tensor<4x5xf32>, tensor<5x3xf32> -> tensor<4x3xf32>
// CHECK-NOT: mlopt.matmul
// CHECK: return %{{.+}}, %{{.+}}, %[[ZERO]], %[[GA]]
func.func @f(%unused: tensor<2xf32>, %a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> (tensor<4x5xf32>, tensor<4x5xi1>) {
  %0 = mlopt.matmul %a, %b : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x5xf32>
  %1 = mlopt.gt %0, %0 : tensor<4x5xf32>
  return %0, %1 : tensor<4x5xf32>, tensor<4x5xi1>
}

// -----

// An op with no rule on the path is an error naming it.
// expected-error @+1 {{mlopt-autodiff: no gradient rule for 'mlopt.conv2d'}}
func.func @f(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
