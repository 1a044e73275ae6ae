// RUN: mlopt %s | mlopt | FileCheck %s
// CHECK-LABEL: func @f
// CHECK: mlopt.add
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = mlopt.add %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
