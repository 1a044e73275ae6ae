// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg --canonicalize --mlopt-fuse-elementwise --mlopt-split-reductions --canonicalize | FileCheck %s

// A full sum of squares: blocks of 4096 (a parallel dim), then the 16 partial
// sums; the square stays fused into the blocks.
// CHECK-LABEL: func @sum_of_squares
// CHECK: %[[X:.+]] = tensor.expand_shape %arg0 {{\[}}[0, 1]] output_shape [16, 4096] : tensor<65536xf32> into tensor<16x4096xf32>
// CHECK: %[[P:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<16x4096xf32>) outs(%{{.+}} : tensor<16xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: linalg.generic {{.+}} iterator_types = ["reduction"]} ins(%[[P]] : tensor<16xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK:   arith.addf
func.func @sum_of_squares(%x: tensor<65536xf32>) -> tensor<f32> {
  %s = mlopt.mul %x, %x : tensor<65536xf32>
  %r = mlopt.sum %s, dims = [0] : tensor<65536xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// The max of 4 long columns: the blocks are the partial results' last dim.
// CHECK-LABEL: func @column_max
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<8x4096x4xf32>) outs(%{{.+}} : tensor<4x8xf32>)
// CHECK:   arith.maximumf
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<4x8xf32>) outs(%{{.+}} : tensor<4xf32>)
func.func @column_max(%x: tensor<32768x4xf32>) -> tensor<4xf32> {
  %r = mlopt.max %x, dims = [0] : tensor<32768x4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Left alone: row reductions (many results; mlopt-fuse-rows' job), short
// reductions, and sizes with no divisor near the block (a prime).
// CHECK-LABEL: func @unsplit
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @unsplit(%rows: tensor<64x32768xf32>, %short: tensor<8192xf32>, %prime: tensor<65537xf32>) -> (tensor<64xf32>, tensor<f32>, tensor<f32>) {
  %a = mlopt.sum %rows, dims = [1] : tensor<64x32768xf32> -> tensor<64xf32>
  %b = mlopt.sum %short, dims = [0] : tensor<8192xf32> -> tensor<f32>
  %c = mlopt.sum %prime, dims = [0] : tensor<65537xf32> -> tensor<f32>
  return %a, %b, %c : tensor<64xf32>, tensor<f32>, tensor<f32>
}

// -----

// The sum of a matrix: its two reduction dims are collapsed into one first.
// CHECK-LABEL: func @matrix_sum
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<256x256xf32> into tensor<65536xf32>
// CHECK: tensor.expand_shape {{.+}} output_shape [16, 4096]
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]}
// CHECK: linalg.generic {{.+}} iterator_types = ["reduction"]}
func.func @matrix_sum(%x: tensor<256x256xf32>) -> tensor<f32> {
  %r = mlopt.sum %x, dims = [0, 1] : tensor<256x256xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// keepdim results (a constant index in the result map) lose their unit dim
// first (upstream's fold-unit-extent-dims on this op), then split.
// CHECK-LABEL: func @keepdim
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [4, 16, 4096]
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<4x16xf32>)
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<4x16xf32>) outs(%{{.+}} : tensor<4xf32>)
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [4, 1]
func.func @keepdim(%x: tensor<4x65536xf32>) -> tensor<4x1xf32> {
  %r = mlopt.sum %x, dims = [1] keepdim : tensor<4x65536xf32> -> tensor<4x1xf32>
  return %r : tensor<4x1xf32>
}

// -----

// An input read through a constant index (var: the mean of a keepdim
// reduction, broadcast back) becomes a 0-d input, then the sum splits.
// CHECK-LABEL: func @centered
// CHECK: %[[M:.+]] = tensor.collapse_shape %arg1 [] : tensor<1xf32> into tensor<f32>
// CHECK: %[[X:.+]] = tensor.expand_shape %arg0 {{\[}}[0, 1]] output_shape [16, 4096]
// CHECK: linalg.generic {{.+}} ins(%[[X]], %[[M]] : tensor<16x4096xf32>, tensor<f32>) outs(%{{.+}} : tensor<16xf32>)
func.func @centered(%x: tensor<65536xf32>, %m: tensor<1xf32>) -> tensor<f32> {
  %b = mlopt.broadcast_in_dim %m, dims = [0] : tensor<1xf32> -> tensor<65536xf32>
  %d = mlopt.sub %x, %b : tensor<65536xf32>
  %s = mlopt.mul %d, %d : tensor<65536xf32>
  %r = mlopt.sum %s, dims = [0] : tensor<65536xf32> -> tensor<f32>
  return %r : tensor<f32>
}
