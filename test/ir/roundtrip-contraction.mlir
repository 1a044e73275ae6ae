// RUN: mlopt %s | mlopt | FileCheck %s
// RUN: mlopt %s --mlir-print-op-generic | mlopt | FileCheck %s

// Round trip of matmul (batch broadcasting, dynamic dims) and conv2d
// (stride, padding, dilation, groups).

// CHECK-LABEL: func @matmul
// CHECK-SAME: ([[A:%.+]]: tensor<2x8xf32>, [[B:%.+]]: tensor<8x4xf32>)
func.func @matmul(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // CHECK: [[R:%.+]] = mlopt.matmul [[A]], [[B]] : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  %0 = mlopt.matmul %a, %b : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  // CHECK: return [[R]]
  return %0 : tensor<2x4xf32>
}

// CHECK-LABEL: func @matmul_batch_broadcast
// CHECK-SAME: ([[X:%.+]]: tensor<8x?x64xf32>, [[W:%.+]]: tensor<64x32xf32>, [[P:%.+]]: tensor<5x1x2x3xf16>, [[Q:%.+]]: tensor<4x3x6xf16>, [[I:%.+]]: tensor<1x2x3xi64>, [[J:%.+]]: tensor<7x3x2xi64>)
func.func @matmul_batch_broadcast(%x: tensor<8x?x64xf32>, %w: tensor<64x32xf32>,
                                  %p: tensor<5x1x2x3xf16>, %q: tensor<4x3x6xf16>,
                                  %i: tensor<1x2x3xi64>, %j: tensor<7x3x2xi64>)
    -> (tensor<8x?x32xf32>, tensor<5x4x2x6xf16>, tensor<7x2x2xi64>) {
  // A rank-2 rhs broadcasts over the batch dim of lhs.
  // CHECK: [[R0:%.+]] = mlopt.matmul [[X]], [[W]] : tensor<8x?x64xf32>, tensor<64x32xf32> -> tensor<8x?x32xf32>
  %0 = mlopt.matmul %x, %w : tensor<8x?x64xf32>, tensor<64x32xf32> -> tensor<8x?x32xf32>
  // Batch dims [5, 1] and [4] align from the right: [5, 4].
  // CHECK: [[R1:%.+]] = mlopt.matmul [[P]], [[Q]] : tensor<5x1x2x3xf16>, tensor<4x3x6xf16> -> tensor<5x4x2x6xf16>
  %1 = mlopt.matmul %p, %q : tensor<5x1x2x3xf16>, tensor<4x3x6xf16> -> tensor<5x4x2x6xf16>
  // CHECK: [[R2:%.+]] = mlopt.matmul [[I]], [[J]] : tensor<1x2x3xi64>, tensor<7x3x2xi64> -> tensor<7x2x2xi64>
  %2 = mlopt.matmul %i, %j : tensor<1x2x3xi64>, tensor<7x3x2xi64> -> tensor<7x2x2xi64>
  // CHECK: return [[R0]], [[R1]], [[R2]]
  return %0, %1, %2 : tensor<8x?x32xf32>, tensor<5x4x2x6xf16>, tensor<7x2x2xi64>
}

// CHECK-LABEL: func @matmul_dynamic
// CHECK-SAME: ([[A:%.+]]: tensor<?x?xbf16>, [[B:%.+]]: tensor<?x?xbf16>, [[C:%.+]]: tensor<?x3x?xf64>, [[D:%.+]]: tensor<2x?x5xf64>, [[E:%.+]]: tensor<?x4xi32>, [[F:%.+]]: tensor<4x?xi32>)
func.func @matmul_dynamic(%a: tensor<?x?xbf16>, %b: tensor<?x?xbf16>,
                          %c: tensor<?x3x?xf64>, %d: tensor<2x?x5xf64>,
                          %e: tensor<?x4xi32>, %f: tensor<4x?xi32>)
    -> (tensor<?x?xbf16>, tensor<2x3x5xf64>, tensor<?x?xi32>, tensor<?x3x?xf64>) {
  // CHECK: [[R0:%.+]] = mlopt.matmul [[A]], [[B]] : tensor<?x?xbf16>, tensor<?x?xbf16> -> tensor<?x?xbf16>
  %0 = mlopt.matmul %a, %b : tensor<?x?xbf16>, tensor<?x?xbf16> -> tensor<?x?xbf16>
  // A dynamic batch dim against a static one takes the static size.
  // CHECK: [[R1:%.+]] = mlopt.matmul [[C]], [[D]] : tensor<?x3x?xf64>, tensor<2x?x5xf64> -> tensor<2x3x5xf64>
  %1 = mlopt.matmul %c, %d : tensor<?x3x?xf64>, tensor<2x?x5xf64> -> tensor<2x3x5xf64>
  // CHECK: [[R2:%.+]] = mlopt.matmul [[E]], [[F]] : tensor<?x4xi32>, tensor<4x?xi32> -> tensor<?x?xi32>
  %2 = mlopt.matmul %e, %f : tensor<?x4xi32>, tensor<4x?xi32> -> tensor<?x?xi32>
  // The declared type may be less static than the rule's.
  // CHECK: [[R3:%.+]] = mlopt.matmul [[C]], [[D]] : tensor<?x3x?xf64>, tensor<2x?x5xf64> -> tensor<?x3x?xf64>
  %3 = mlopt.matmul %c, %d : tensor<?x3x?xf64>, tensor<2x?x5xf64> -> tensor<?x3x?xf64>
  // CHECK: return [[R0]], [[R1]], [[R2]], [[R3]]
  return %0, %1, %2, %3 : tensor<?x?xbf16>, tensor<2x3x5xf64>, tensor<?x?xi32>, tensor<?x3x?xf64>
}

// CHECK-LABEL: func @conv2d
// CHECK-SAME: ([[X:%.+]]: tensor<?x3x32x32xf32>, [[W:%.+]]: tensor<16x3x3x3xf32>)
func.func @conv2d(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> (tensor<?x16x32x32xf32>, tensor<?x16x15x15xf32>, tensor<?x16x28x26xf32>) {
  // CHECK: [[A:%.+]] = mlopt.conv2d [[X]], [[W]], stride = [1, 1], padding = [1, 1], dilation = [1, 1], groups = 1 : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x32x32xf32>
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [1, 1], dilation = [1, 1], groups = 1
      : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x32x32xf32>
  // (32 + 0 - 2 - 1) / 2 + 1 = 15
  // CHECK: [[B:%.+]] = mlopt.conv2d [[X]], [[W]], stride = [2, 2], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x15x15xf32>
  %1 = mlopt.conv2d %x, %w, stride = [2, 2], padding = [0, 0], dilation = [1, 1], groups = 1
      : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x15x15xf32>
  // span 2 * 2 + 1 = 5 in H, 3 * 2 + 1 = 7 in W: 32 - 5 + 1 = 28, 32 - 7 + 1 = 26
  // CHECK: [[C:%.+]] = mlopt.conv2d [[X]], [[W]], stride = [1, 1], padding = [0, 0], dilation = [2, 3], groups = 1 : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x28x26xf32>
  %2 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [2, 3], groups = 1
      : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x28x26xf32>
  // CHECK: return [[A]], [[B]], [[C]]
  return %0, %1, %2 : tensor<?x16x32x32xf32>, tensor<?x16x15x15xf32>, tensor<?x16x28x26xf32>
}

// CHECK-LABEL: func @conv2d_groups
// CHECK-SAME: ([[X:%.+]]: tensor<2x8x16x16xf16>, [[W:%.+]]: tensor<8x1x3x3xf16>, [[Y:%.+]]: tensor<1x4x9x9xbf16>, [[V:%.+]]: tensor<6x2x3x3xbf16>)
func.func @conv2d_groups(%x: tensor<2x8x16x16xf16>, %w: tensor<8x1x3x3xf16>,
                         %y: tensor<1x4x9x9xbf16>, %v: tensor<6x2x3x3xbf16>)
    -> (tensor<2x8x16x16xf16>, tensor<1x6x4x4xbf16>) {
  // Depthwise: groups = channels.
  // CHECK: [[A:%.+]] = mlopt.conv2d [[X]], [[W]], stride = [1, 1], padding = [1, 1], dilation = [1, 1], groups = 8 : tensor<2x8x16x16xf16>, tensor<8x1x3x3xf16> -> tensor<2x8x16x16xf16>
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [1, 1], dilation = [1, 1], groups = 8
      : tensor<2x8x16x16xf16>, tensor<8x1x3x3xf16> -> tensor<2x8x16x16xf16>
  // CHECK: [[B:%.+]] = mlopt.conv2d [[Y]], [[V]], stride = [2, 2], padding = [0, 0], dilation = [1, 1], groups = 2 : tensor<1x4x9x9xbf16>, tensor<6x2x3x3xbf16> -> tensor<1x6x4x4xbf16>
  %1 = mlopt.conv2d %y, %v, stride = [2, 2], padding = [0, 0], dilation = [1, 1], groups = 2
      : tensor<1x4x9x9xbf16>, tensor<6x2x3x3xbf16> -> tensor<1x6x4x4xbf16>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<2x8x16x16xf16>, tensor<1x6x4x4xbf16>
}

// CHECK-LABEL: func @conv2d_dynamic
// CHECK-SAME: ([[X:%.+]]: tensor<?x?x?x?xf64>, [[W:%.+]]: tensor<?x?x?x?xf64>, [[Y:%.+]]: tensor<1x3x?x10xf32>, [[V:%.+]]: tensor<4x3x3x?xf32>)
func.func @conv2d_dynamic(%x: tensor<?x?x?x?xf64>, %w: tensor<?x?x?x?xf64>,
                          %y: tensor<1x3x?x10xf32>, %v: tensor<4x3x3x?xf32>)
    -> (tensor<?x?x?x?xf64>, tensor<1x4x?x?xf32>) {
  // CHECK: [[A:%.+]] = mlopt.conv2d [[X]], [[W]], stride = [1, 2], padding = [3, 0], dilation = [1, 1], groups = 4 : tensor<?x?x?x?xf64>, tensor<?x?x?x?xf64> -> tensor<?x?x?x?xf64>
  %0 = mlopt.conv2d %x, %w, stride = [1, 2], padding = [3, 0], dilation = [1, 1], groups = 4
      : tensor<?x?x?x?xf64>, tensor<?x?x?x?xf64> -> tensor<?x?x?x?xf64>
  // CHECK: [[B:%.+]] = mlopt.conv2d [[Y]], [[V]], stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x?x10xf32>, tensor<4x3x3x?xf32> -> tensor<1x4x?x?xf32>
  %1 = mlopt.conv2d %y, %v, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1
      : tensor<1x3x?x10xf32>, tensor<4x3x3x?xf32> -> tensor<1x4x?x?xf32>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<?x?x?x?xf64>, tensor<1x4x?x?xf32>
}

// conv2d near the int64 limit: 2 * padding + size = 2^63 - 2 fits, and the
// output is (2^63 - 2 - 3) / 1 + 1; a dilation of 2^62 - 1 gives a span of
// 2^63 - 1 over a padded size of 2^63 - 1, one output.
// CHECK-LABEL: func @conv2d_sizes_near_int64_max
// CHECK-SAME: ([[X:%.+]]: tensor<1x3x8x8xf32>, [[W:%.+]]: tensor<4x3x3x3xf32>, [[Y:%.+]]: tensor<1x3x1x1xf32>)
func.func @conv2d_sizes_near_int64_max(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %y: tensor<1x3x1x1xf32>)
    -> (tensor<1x4x9223372036854775804x6xf32>, tensor<1x4x1x?xf32>) {
  // CHECK: [[A:%.+]] = mlopt.conv2d [[X]], [[W]], stride = [1, 1], padding = [4611686018427387899, 0], dilation = [1, 1], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x9223372036854775804x6xf32>
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [4611686018427387899, 0], dilation = [1, 1], groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x9223372036854775804x6xf32>
  // CHECK: [[B:%.+]] = mlopt.conv2d [[Y]], [[W]], stride = [1, 1], padding = [4611686018427387903, 1], dilation = [4611686018427387903, 1], groups = 1 : tensor<1x3x1x1xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x1x?xf32>
  %1 = mlopt.conv2d %y, %w, stride = [1, 1], padding = [4611686018427387903, 1], dilation = [4611686018427387903, 1], groups = 1
      : tensor<1x3x1x1xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x1x?xf32>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<1x4x9223372036854775804x6xf32>, tensor<1x4x1x?xf32>
}
