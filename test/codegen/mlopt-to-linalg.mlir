// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg | FileCheck %s

// The scalar body of each elementwise op lands in one linalg.generic.
// CHECK-LABEL: func @elementwise
// CHECK: %[[N:.+]] = tensor.dim %arg1
// CHECK: %[[E:.+]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?xf32>, tensor<?xf32>) outs(%[[E]]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK-NOT: mlopt.
func.func @elementwise(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %a = mlopt.add %x, %y : tensor<?xf32>
  %e = mlopt.exp %a : tensor<?xf32>
  return %e : tensor<?xf32>
}

// -----

// f16 math runs in f32 and rounds once.
// CHECK-LABEL: func @half_math
// CHECK: ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
// CHECK: %[[W:.+]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[T:.+]] = math.tanh %[[W]] : f32
// CHECK: arith.truncf %[[T]] : f32 to f16
func.func @half_math(%x: tensor<8xf16>) -> tensor<8xf16> {
  %t = mlopt.tanh %x : tensor<8xf16>
  return %t : tensor<8xf16>
}

// -----

// A static size-1 dim is read at index 0; the others follow the result.
// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1, d2) -> (d0, 0)>
// CHECK-LABEL: func @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[BCAST]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]}
func.func @broadcast(%x: tensor<?x1xf32>, %n: index, %m: index) -> tensor<?x4x?xf32> {
  %b = mlopt.broadcast_in_dim %x, dims = [0, 2] sizes(%n, %m) : tensor<?x1xf32> -> tensor<?x4x?xf32>
  return %b : tensor<?x4x?xf32>
}

// -----

// keepdim: the generic writes the kept size-1 dim through a constant 0, so
// no reshape stands between it and a broadcasting consumer.
// CHECK-DAG: #[[KEEP:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func @reduce_keepdim
// CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?x1xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KEEP]]], iterator_types = ["parallel", "reduction"]}
// CHECK: arith.maximumf %{{.+}}, %{{.+}} fastmath<reassoc>
// CHECK-NOT: tensor.reshape
func.func @reduce_keepdim(%x: tensor<?x8xf32>) -> tensor<?x1xf32> {
  %m = mlopt.max %x, dims = [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  return %m : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func @shapes
// CHECK: linalg.transpose ins(%arg0 : tensor<4x6xf32>) outs(%{{.+}} : tensor<6x4xf32>) permutation = [1, 0]
// CHECK: tensor.extract_slice %{{.+}}[1, 0] [3, 2] [1, 2]
func.func @shapes(%x: tensor<4x6xf32>) -> tensor<3x2xf32> {
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x6xf32> -> tensor<6x4xf32>
  %s = mlopt.slice %t, start = [1, 0], limit = [4, 4], step = [1, 2] : tensor<6x4xf32> -> tensor<3x2xf32>
  return %s : tensor<3x2xf32>
}

// -----

// Batch dims of the lhs fold into M when the rhs is a matrix.
// CHECK-LABEL: func @matmul
// CHECK: tensor.reshape %arg0
// CHECK-SAME: -> tensor<?x64xf32>
// CHECK: linalg.matmul ins(%{{.+}}, %arg1 : tensor<?x64xf32>, tensor<64x32xf32>)
// CHECK: tensor.reshape
// CHECK-SAME: -> tensor<8x?x32xf32>
func.func @matmul(%x: tensor<8x?x64xf32>, %w: tensor<64x32xf32>) -> tensor<8x?x32xf32> {
  %y = mlopt.matmul %x, %w : tensor<8x?x64xf32>, tensor<64x32xf32> -> tensor<8x?x32xf32>
  return %y : tensor<8x?x32xf32>
}

// -----

// CHECK-LABEL: func @conv_groups
// CHECK: linalg.fill
// CHECK: tensor.insert_slice
// CHECK-COUNT-2: linalg.conv_2d_nchw_fchw
func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x8x8xf32> {
  %y = mlopt.conv2d %x, %w, stride = [1, 1], padding = [1, 1], dilation = [1, 1], groups = 2
      : tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<1x6x8x8xf32>
  return %y : tensor<1x6x8x8xf32>
}

// -----

// F.linear's x @ w.T reads w transposed inside the matmul (the transpose is
// left dead, for canonicalization): no copy of the weight.
// CHECK-LABEL: func @linear
// CHECK: linalg.matmul_transpose_b ins(%{{.+}}, %arg1 : tensor<32x16xf32>, tensor<32x16xf32>)
func.func @linear(%x: tensor<4x8x16xf32>, %w: tensor<32x16xf32>) -> tensor<4x8x32xf32> {
  %t = mlopt.transpose %w, permutation = [1, 0] : tensor<32x16xf32> -> tensor<16x32xf32>
  %y = mlopt.matmul %x, %t : tensor<4x8x16xf32>, tensor<16x32xf32> -> tensor<4x8x32xf32>
  return %y : tensor<4x8x32xf32>
}

// -----

// A concat of more than 16 inputs is joined in groups of 16 first: one-shot
// bufferization's analysis of a long insert_slice chain grows faster than
// cubically (100 inputs: 2.3 s; grouped: 55 ms).
// CHECK-LABEL: func @concat_in_groups
// CHECK-COUNT-16: tensor.insert_slice %arg{{[0-9]+}} into %{{.+}}[{{.+}}] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<32x3xf32>
// CHECK-COUNT-2: tensor.insert_slice %arg{{[0-9]+}} into %{{.+}}[{{.+}}] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<4x3xf32>
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[%{{.+}}, 0] [32, 3] [1, 1] : tensor<32x3xf32> into tensor<36x3xf32>
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[%{{.+}}, 0] [4, 3] [1, 1] : tensor<4x3xf32> into tensor<36x3xf32>
func.func @concat_in_groups(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>, %a2: tensor<2x3xf32>, %a3: tensor<2x3xf32>, %a4: tensor<2x3xf32>, %a5: tensor<2x3xf32>, %a6: tensor<2x3xf32>, %a7: tensor<2x3xf32>, %a8: tensor<2x3xf32>, %a9: tensor<2x3xf32>, %a10: tensor<2x3xf32>, %a11: tensor<2x3xf32>, %a12: tensor<2x3xf32>, %a13: tensor<2x3xf32>, %a14: tensor<2x3xf32>, %a15: tensor<2x3xf32>, %a16: tensor<2x3xf32>, %a17: tensor<2x3xf32>) -> tensor<36x3xf32> {
  %0 = mlopt.concat %a0, %a1, %a2, %a3, %a4, %a5, %a6, %a7, %a8, %a9, %a10, %a11, %a12, %a13, %a14, %a15, %a16, %a17 dim = 0 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32> -> tensor<36x3xf32>
  return %0 : tensor<36x3xf32>
}
