// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg --canonicalize --mlopt-fuse-elementwise --mlopt-fuse-siblings | FileCheck %s

// Two maps of one input: one loop nest, x read once, both results.
// CHECK-LABEL: func @trig
// CHECK: %[[R:.+]]:2 = linalg.generic {{.+}} ins(%arg0 : tensor<64x32xf32>) outs(%{{.+}}, %{{.+}} : tensor<64x32xf32>, tensor<64x32xf32>)
// CHECK:   math.sin
// CHECK:   math.cos
// CHECK:   linalg.yield %{{.+}}, %{{.+}} : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @trig(%x: tensor<64x32xf32>) -> (tensor<64x32xf32>, tensor<64x32xf32>) {
  %s = mlopt.sin %x : tensor<64x32xf32>
  %c = mlopt.cos %x : tensor<64x32xf32>
  return %s, %c : tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// Sum and sum of squares of each row: one reduction over the row, two
// accumulators (their fills move before it).
// CHECK-LABEL: func @moments
// CHECK: %[[R:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<64x32xf32>)
// CHECK:   arith.addf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
func.func @moments(%x: tensor<64x32xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %s = mlopt.sum %x, dims = [1] : tensor<64x32xf32> -> tensor<64xf32>
  %q = mlopt.mul %x, %x : tensor<64x32xf32>
  %qs = mlopt.sum %q, dims = [1] : tensor<64x32xf32> -> tensor<64xf32>
  return %s, %qs : tensor<64xf32>, tensor<64xf32>
}

// -----

// Different loops (a row reduction and a map) are not siblings.
// CHECK-LABEL: func @different_loops
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
func.func @different_loops(%x: tensor<64x32xf32>) -> (tensor<64xf32>, tensor<64x32xf32>) {
  %s = mlopt.sum %x, dims = [1] : tensor<64x32xf32> -> tensor<64xf32>
  %e = mlopt.exp %x : tensor<64x32xf32>
  return %s, %e : tensor<64xf32>, tensor<64x32xf32>
}

// -----

// The second gather reads the first's result inside its body (a captured
// tensor.extract source), so they are not siblings even though they share
// the index input.
// CHECK-LABEL: func @chained_gathers
// CHECK: %[[A:.+]] = linalg.generic
// CHECK: linalg.generic
// CHECK:   tensor.extract %[[A]]
func.func @chained_gathers(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %i = mlopt.constant dense<[2, 1, 0]> : tensor<3xi64>
  %a = mlopt.index_select %x, %i, dim = 0 : tensor<3x3xf32>, tensor<3xi64> -> tensor<3x3xf32>
  %b = mlopt.index_select %a, %i, dim = 1 : tensor<3x3xf32>, tensor<3xi64> -> tensor<3x3xf32>
  return %b : tensor<3x3xf32>
}
