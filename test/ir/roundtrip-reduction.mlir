// RUN: mlopt %s | mlopt | FileCheck %s
// RUN: mlopt %s --mlir-print-op-generic | mlopt | FileCheck %s

// Round trip of the reductions (sum, prod, max, min, any, all) with and
// without keepdim, and of argmax / argmin.

// CHECK-LABEL: func @sum
// CHECK-SAME: ([[X:%.+]]: tensor<4x?xf32>, [[Y:%.+]]: tensor<2x3x4xi64>)
func.func @sum(%x: tensor<4x?xf32>, %y: tensor<2x3x4xi64>)
    -> (tensor<4xf32>, tensor<1x1xf32>, tensor<3xi64>, tensor<1x3x1xi64>, tensor<i64>, tensor<4x?xf32>) {
  // CHECK: [[A:%.+]] = mlopt.sum [[X]], dims = [1] : tensor<4x?xf32> -> tensor<4xf32>
  %0 = mlopt.sum %x, dims = [1] : tensor<4x?xf32> -> tensor<4xf32>
  // CHECK: [[B:%.+]] = mlopt.sum [[X]], dims = [0, 1] keepdim : tensor<4x?xf32> -> tensor<1x1xf32>
  %1 = mlopt.sum %x, dims = [0, 1] keepdim : tensor<4x?xf32> -> tensor<1x1xf32>
  // CHECK: [[C:%.+]] = mlopt.sum [[Y]], dims = [0, 2] : tensor<2x3x4xi64> -> tensor<3xi64>
  %2 = mlopt.sum %y, dims = [0, 2] : tensor<2x3x4xi64> -> tensor<3xi64>
  // CHECK: [[D:%.+]] = mlopt.sum [[Y]], dims = [0, 2] keepdim : tensor<2x3x4xi64> -> tensor<1x3x1xi64>
  %3 = mlopt.sum %y, dims = [0, 2] keepdim : tensor<2x3x4xi64> -> tensor<1x3x1xi64>
  // CHECK: [[E:%.+]] = mlopt.sum [[Y]], dims = [0, 1, 2] : tensor<2x3x4xi64> -> tensor<i64>
  %4 = mlopt.sum %y, dims = [0, 1, 2] : tensor<2x3x4xi64> -> tensor<i64>
  // Reducing no dims.
  // CHECK: [[F:%.+]] = mlopt.sum [[X]], dims = [] : tensor<4x?xf32> -> tensor<4x?xf32>
  %5 = mlopt.sum %x, dims = [] : tensor<4x?xf32> -> tensor<4x?xf32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]], [[F]]
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<1x1xf32>, tensor<3xi64>, tensor<1x3x1xi64>, tensor<i64>, tensor<4x?xf32>
}

// CHECK-LABEL: func @prod
// CHECK-SAME: ([[X:%.+]]: tensor<?x8xf16>, [[Y:%.+]]: tensor<5xi32>)
func.func @prod(%x: tensor<?x8xf16>, %y: tensor<5xi32>) -> (tensor<?xf16>, tensor<?x1xf16>, tensor<i32>) {
  // CHECK: [[A:%.+]] = mlopt.prod [[X]], dims = [1] : tensor<?x8xf16> -> tensor<?xf16>
  %0 = mlopt.prod %x, dims = [1] : tensor<?x8xf16> -> tensor<?xf16>
  // CHECK: [[B:%.+]] = mlopt.prod [[X]], dims = [1] keepdim : tensor<?x8xf16> -> tensor<?x1xf16>
  %1 = mlopt.prod %x, dims = [1] keepdim : tensor<?x8xf16> -> tensor<?x1xf16>
  // CHECK: [[C:%.+]] = mlopt.prod [[Y]], dims = [0] : tensor<5xi32> -> tensor<i32>
  %2 = mlopt.prod %y, dims = [0] : tensor<5xi32> -> tensor<i32>
  // CHECK: return [[A]], [[B]], [[C]]
  return %0, %1, %2 : tensor<?xf16>, tensor<?x1xf16>, tensor<i32>
}

// CHECK-LABEL: func @max_min
// CHECK-SAME: ([[X:%.+]]: tensor<3x?x5xbf16>, [[Y:%.+]]: tensor<6x2xf64>, [[Z:%.+]]: tensor<?xi64>)
func.func @max_min(%x: tensor<3x?x5xbf16>, %y: tensor<6x2xf64>, %z: tensor<?xi64>)
    -> (tensor<3x5xbf16>, tensor<1x2xf64>, tensor<3x?x1xbf16>, tensor<i64>) {
  // CHECK: [[A:%.+]] = mlopt.max [[X]], dims = [1] : tensor<3x?x5xbf16> -> tensor<3x5xbf16>
  %0 = mlopt.max %x, dims = [1] : tensor<3x?x5xbf16> -> tensor<3x5xbf16>
  // CHECK: [[B:%.+]] = mlopt.max [[Y]], dims = [0] keepdim : tensor<6x2xf64> -> tensor<1x2xf64>
  %1 = mlopt.max %y, dims = [0] keepdim : tensor<6x2xf64> -> tensor<1x2xf64>
  // CHECK: [[C:%.+]] = mlopt.min [[X]], dims = [2] keepdim : tensor<3x?x5xbf16> -> tensor<3x?x1xbf16>
  %2 = mlopt.min %x, dims = [2] keepdim : tensor<3x?x5xbf16> -> tensor<3x?x1xbf16>
  // CHECK: [[D:%.+]] = mlopt.min [[Z]], dims = [0] : tensor<?xi64> -> tensor<i64>
  %3 = mlopt.min %z, dims = [0] : tensor<?xi64> -> tensor<i64>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<3x5xbf16>, tensor<1x2xf64>, tensor<3x?x1xbf16>, tensor<i64>
}

// CHECK-LABEL: func @any_all
// CHECK-SAME: ([[X:%.+]]: tensor<4x?xi1>)
func.func @any_all(%x: tensor<4x?xi1>) -> (tensor<4xi1>, tensor<1x?xi1>, tensor<i1>, tensor<4x1xi1>) {
  // CHECK: [[A:%.+]] = mlopt.any [[X]], dims = [1] : tensor<4x?xi1> -> tensor<4xi1>
  %0 = mlopt.any %x, dims = [1] : tensor<4x?xi1> -> tensor<4xi1>
  // CHECK: [[B:%.+]] = mlopt.any [[X]], dims = [0] keepdim : tensor<4x?xi1> -> tensor<1x?xi1>
  %1 = mlopt.any %x, dims = [0] keepdim : tensor<4x?xi1> -> tensor<1x?xi1>
  // CHECK: [[C:%.+]] = mlopt.all [[X]], dims = [0, 1] : tensor<4x?xi1> -> tensor<i1>
  %2 = mlopt.all %x, dims = [0, 1] : tensor<4x?xi1> -> tensor<i1>
  // CHECK: [[D:%.+]] = mlopt.all [[X]], dims = [1] keepdim : tensor<4x?xi1> -> tensor<4x1xi1>
  %3 = mlopt.all %x, dims = [1] keepdim : tensor<4x?xi1> -> tensor<4x1xi1>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<1x?xi1>, tensor<i1>, tensor<4x1xi1>
}

// The declared result may be less static than the rule's.
// CHECK-LABEL: func @reduce_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>)
func.func @reduce_less_static(%x: tensor<4x8xf32>) -> (tensor<?xf32>, tensor<?x1xf32>) {
  // CHECK: [[A:%.+]] = mlopt.sum [[X]], dims = [1] : tensor<4x8xf32> -> tensor<?xf32>
  %0 = mlopt.sum %x, dims = [1] : tensor<4x8xf32> -> tensor<?xf32>
  // CHECK: [[B:%.+]] = mlopt.max [[X]], dims = [1] keepdim : tensor<4x8xf32> -> tensor<?x1xf32>
  %1 = mlopt.max %x, dims = [1] keepdim : tensor<4x8xf32> -> tensor<?x1xf32>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<?xf32>, tensor<?x1xf32>
}

// CHECK-LABEL: func @argmax_argmin
// CHECK-SAME: ([[X:%.+]]: tensor<4x10xf32>, [[Y:%.+]]: tensor<?x3x?xi32>, [[Z:%.+]]: tensor<7xf16>)
func.func @argmax_argmin(%x: tensor<4x10xf32>, %y: tensor<?x3x?xi32>, %z: tensor<7xf16>)
    -> (tensor<4xi64>, tensor<4x1xi64>, tensor<?x?xi64>, tensor<?x1x?xi64>, tensor<i64>) {
  // CHECK: [[A:%.+]] = mlopt.argmax [[X]], dim = 1 : tensor<4x10xf32> -> tensor<4xi64>
  %0 = mlopt.argmax %x, dim = 1 : tensor<4x10xf32> -> tensor<4xi64>
  // CHECK: [[B:%.+]] = mlopt.argmax [[X]], dim = 1 keepdim : tensor<4x10xf32> -> tensor<4x1xi64>
  %1 = mlopt.argmax %x, dim = 1 keepdim : tensor<4x10xf32> -> tensor<4x1xi64>
  // CHECK: [[C:%.+]] = mlopt.argmin [[Y]], dim = 1 : tensor<?x3x?xi32> -> tensor<?x?xi64>
  %2 = mlopt.argmin %y, dim = 1 : tensor<?x3x?xi32> -> tensor<?x?xi64>
  // CHECK: [[D:%.+]] = mlopt.argmin [[Y]], dim = 1 keepdim : tensor<?x3x?xi32> -> tensor<?x1x?xi64>
  %3 = mlopt.argmin %y, dim = 1 keepdim : tensor<?x3x?xi32> -> tensor<?x1x?xi64>
  // CHECK: [[E:%.+]] = mlopt.argmax [[Z]], dim = 0 : tensor<7xf16> -> tensor<i64>
  %4 = mlopt.argmax %z, dim = 0 : tensor<7xf16> -> tensor<i64>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]]
  return %0, %1, %2, %3, %4 : tensor<4xi64>, tensor<4x1xi64>, tensor<?x?xi64>, tensor<?x1x?xi64>, tensor<i64>
}
