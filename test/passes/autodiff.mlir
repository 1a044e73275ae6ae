// RUN: mlopt %s --split-input-file --allow-unregistered-dialect --mlopt-autodiff="function=f wrt=0,1" --verify-diagnostics | FileCheck %s

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

// Conv2d: dInput is a conv2d of the stride-spread cotangent with the
// flipped, per-group transposed weight; dWeight is a conv2d of the input with
// the cotangent as kernel, stride and dilation swapped.
// CHECK-LABEL: func.func @f_vjp
// CHECK-SAME: %[[X:[^:]+]]: tensor<1x2x7x7xf32>, %[[W:[^:]+]]: tensor<4x1x3x3xf32>, %[[G:[^:]+]]: tensor<1x4x4x4xf32>
// CHECK: mlopt.pad %{{.+}} high = [0, 0, 0, 1, 0] : tensor<1x4x4x1x4xf32>, tensor<f32> -> tensor<1x4x4x2x4xf32>
// CHECK: %[[WT:.+]] = mlopt.transpose %{{.+}}, permutation = [0, 2, 1, 3, 4] : tensor<2x2x1x3x3xf32> -> tensor<2x1x2x3x3xf32>
// CHECK: mlopt.index_select %{{.+}}, dim = 2
// CHECK: %[[FLIP:.+]] = mlopt.index_select %{{.+}}, dim = 3
// CHECK: %[[GX:.+]] = mlopt.conv2d %{{.+}}, %[[FLIP]], stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 2 : tensor<1x4x9x9xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x7x7xf32>
// CHECK: %[[GT:.+]] = mlopt.transpose %[[G]], permutation = [1, 0, 2, 3]
// CHECK: %[[DW:.+]] = mlopt.conv2d %{{.+}}, %[[GT]], stride = [1, 1], padding = [1, 1], dilation = [2, 2], groups = 2 : tensor<1x2x7x7xf32>, tensor<4x1x4x4xf32> -> tensor<1x4x3x3xf32>
// CHECK: %[[GW:.+]] = mlopt.transpose %[[DW]], permutation = [1, 0, 2, 3]
// CHECK: return %{{.+}}, %[[GX]], %[[GW]]
func.func @f(%x: tensor<1x2x7x7xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %0 = mlopt.conv2d %x, %w, stride = [2, 2], padding = [1, 1], dilation = [1, 1], groups = 2
      : tensor<1x2x7x7xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// An op with no rule on the path is an error naming it.
// expected-error @+1 {{mlopt-autodiff: no gradient rule for 'test.opaque'}}
func.func @f(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "test.opaque"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// stop_gradient: d(x * stop_gradient(x))/dx = stop_gradient(x) only, and a
// value behind stop_gradient gets no gradient (zeros for %b).
// CHECK-LABEL: func.func @f_vjp
// CHECK-SAME: (%[[X:.+]]: tensor<3xf32>, %[[B:.+]]: tensor<3xf32>, %[[G:.+]]: tensor<3xf32>)
// CHECK-DAG: %[[ZERO:.+]] = mlopt.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-DAG: %[[S:.+]] = mlopt.stop_gradient %[[X]] : tensor<3xf32>
// CHECK-DAG: %[[GX:.+]] = mlopt.mul %[[G]], %[[S]] : tensor<3xf32>
// CHECK: return %{{.+}}, %[[GX]], %[[ZERO]]
func.func @f(%x: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  %s = mlopt.stop_gradient %x : tensor<3xf32>
  %sb = mlopt.stop_gradient %b : tensor<3xf32>
  %0 = mlopt.mul %x, %s : tensor<3xf32>
  %1 = mlopt.add %0, %sb : tensor<3xf32>
  return %1 : tensor<3xf32>
}
