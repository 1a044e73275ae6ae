// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg --canonicalize --mlopt-fuse-elementwise --mlopt-fuse-rows --canonicalize --cse | FileCheck %s
// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg --canonicalize --mlopt-fuse-elementwise --mlopt-fuse-rows="tile-elements=1 min-tiles=1000000000" --canonicalize --cse | FileCheck %s --check-prefix=GPU
// RUN: mlopt %s --split-input-file --convert-mlopt-to-linalg --canonicalize --mlopt-fuse-elementwise --mlopt-fuse-rows="tile-elements=1024 min-tiles=64" --canonicalize --cse | FileCheck %s --check-prefix=SOME

// Softmax: the max, the row sum (with exp(x - max) recomputed inside it by
// mlopt-fuse-elementwise, being cheap) and the divide in one loop over row
// tiles (32 rows of 32): the row is read from %x per tile, in cache.
// CHECK-LABEL: func @softmax
// CHECK: %[[OUT:.+]] = tensor.empty() : tensor<64x32xf32>
// CHECK: scf.forall (%[[I:.+]]) = (0) to (64) step (32) shared_outs(%[[O:.+]] = %[[OUT]])
// CHECK:   %[[ROWS:.+]] = tensor.extract_slice %arg0[%[[I]], 0] [32, 32] [1, 1]
// CHECK:   %[[MAX:.+]] = linalg.generic {{.+}} ins(%[[ROWS]] : tensor<32x32xf32>) outs(%{{.+}} : tensor<32x1xf32>)
// CHECK:     arith.maximumf
// CHECK:   %[[SUM:.+]] = linalg.generic {{.+}} ins(%[[ROWS]], %[[MAX]] : tensor<32x32xf32>, tensor<32x1xf32>)
// CHECK:     math.exp
// CHECK:     arith.addf
// CHECK:   %[[DST:.+]] = tensor.extract_slice %[[O]][%[[I]], 0] [32, 32] [1, 1]
// CHECK:   %[[DIV:.+]] = linalg.generic {{.+}} ins(%[[ROWS]], %[[MAX]], %[[SUM]] : {{.+}}) outs(%[[DST]] : tensor<32x32xf32>)
// CHECK:     math.exp
// CHECK:     arith.divf
// CHECK:   tensor.parallel_insert_slice %[[DIV]] into %[[O]][%[[I]], 0] [32, 32] [1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @softmax(%x: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %m = mlopt.max %x, dims = [1] keepdim : tensor<64x32xf32> -> tensor<64x1xf32>
  %b = mlopt.broadcast_in_dim %m, dims = [0, 1] : tensor<64x1xf32> -> tensor<64x32xf32>
  %d = mlopt.sub %x, %b : tensor<64x32xf32>
  %e = mlopt.exp %d : tensor<64x32xf32>
  %s = mlopt.sum %e, dims = [1] keepdim : tensor<64x32xf32> -> tensor<64x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1] : tensor<64x1xf32> -> tensor<64x32xf32>
  %r = mlopt.div %e, %sb : tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// A producer with a user outside the group (here a result) is computed once,
// outside the loop; the divide reads it from memory. (The row sum recomputes
// it: a cheap producer fuses into reductions.)
// CHECK-LABEL: func @shared
// CHECK: %[[EXP:.+]] = linalg.generic
// CHECK:   math.exp
// CHECK: scf.forall
// CHECK:   linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:   tensor.extract_slice %[[EXP]]
// CHECK:   linalg.generic
// CHECK-NOT: math.exp
// CHECK:     arith.divf
// CHECK: return %{{.+}}, %[[EXP]]
func.func @shared(%x: tensor<64x32xf32>) -> (tensor<64x32xf32>, tensor<64x32xf32>) {
  %e = mlopt.exp %x : tensor<64x32xf32>
  %s = mlopt.sum %e, dims = [1] keepdim : tensor<64x32xf32> -> tensor<64x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1] : tensor<64x1xf32> -> tensor<64x32xf32>
  %r = mlopt.div %e, %sb : tensor<64x32xf32>
  return %r, %e : tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// matmul stays a whole op (a BLAS call); what follows it is fused.
// CHECK-LABEL: func @matmul_then_center
// CHECK: %[[MM:.+]] = linalg.matmul
// CHECK: scf.forall
// CHECK:   tensor.extract_slice %[[MM]]
// CHECK-NOT: linalg.matmul
func.func @matmul_then_center(%a: tensor<64x16xf32>, %w: tensor<16x32xf32>) -> tensor<64x32xf32> {
  %y = mlopt.matmul %a, %w : tensor<64x16xf32>, tensor<16x32xf32> -> tensor<64x32xf32>
  %s = mlopt.sum %y, dims = [1] keepdim : tensor<64x32xf32> -> tensor<64x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1] : tensor<64x1xf32> -> tensor<64x32xf32>
  %r = mlopt.sub %y, %sb : tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// Dynamic rows are left alone (tiles are static).
// CHECK-LABEL: func @dynamic
// CHECK-NOT: scf.forall
func.func @dynamic(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %s = mlopt.sum %x, dims = [1] keepdim : tensor<?x32xf32> -> tensor<?x1xf32>
  %c = arith.constant 0 : index
  %n = tensor.dim %x, %c : tensor<?x32xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1] sizes(%n) : tensor<?x1xf32> -> tensor<?x32xf32>
  %r = mlopt.sub %x, %sb : tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// Purely elementwise code has no reduction to keep in cache: no loop.
// CHECK-LABEL: func @elementwise
// CHECK-NOT: scf.forall
func.func @elementwise(%x: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %e = mlopt.exp %x : tensor<64x32xf32>
  %r = mlopt.mul %e, %x : tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// Empty loops are left alone (nothing to fuse; tiling them is not defined).
// CHECK-LABEL: func @empty_rows
// CHECK-NOT: scf.forall
func.func @empty_rows(%x: tensor<5x0xf32>) -> tensor<5x0xf32> {
  %s = mlopt.sum %x, dims = [1] keepdim : tensor<5x0xf32> -> tensor<5x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1] : tensor<5x1xf32> -> tensor<5x0xf32>
  %r = mlopt.sub %x, %sb : tensor<5x0xf32>
  return %r : tensor<5x0xf32>
}

// -----

// An attention softmax over [batch, heads, queries, keys]. The row dims are
// the leading dims every result starts with (batch, heads, queries). On the
// CPU (defaults) tiles are rows of dim 0, the dim that runs on the threads.
// With one row per tile (CUDA: a block per row), all three; with options
// between, as few as give min-tiles tiles, then rows of the last up to
// tile-elements.
// CHECK-LABEL: func @attention_softmax
// CHECK: scf.forall (%[[B:.+]]) in (4) shared_outs(%[[O:.+]] =
// CHECK:   tensor.extract_slice %arg0[%[[B]], 0, 0, 0] [1, 8, 256, 256] [1, 1, 1, 1]
// CHECK:   tensor.parallel_insert_slice %{{.+}} into %[[O]][%[[B]], 0, 0, 0] [1, 8, 256, 256] [1, 1, 1, 1]
// GPU-LABEL: func @attention_softmax
// GPU: scf.forall (%[[B:.+]], %[[H:.+]], %[[Q:.+]]) in (4, 8, 256) shared_outs(%[[O:.+]] =
// GPU:   tensor.extract_slice %arg0[%[[B]], %[[H]], %[[Q]], 0] [1, 1, 1, 256] [1, 1, 1, 1]
// GPU:   tensor.parallel_insert_slice %{{.+}} into %[[O]][%[[B]], %[[H]], %[[Q]], 0] [1, 1, 1, 256] [1, 1, 1, 1]
// SOME-LABEL: func @attention_softmax
// SOME: scf.forall (%[[B:.+]], %[[H:.+]], %[[Q:.+]]) = (0, 0, 0) to (4, 8, 256) step (1, 1, 4)
// SOME:   tensor.extract_slice %arg0[%[[B]], %[[H]], %[[Q]], 0] [1, 1, 4, 256] [1, 1, 1, 1]
func.func @attention_softmax(%x: tensor<4x8x256x256xf32>) -> tensor<4x8x256x256xf32> {
  %m = mlopt.max %x, dims = [3] keepdim : tensor<4x8x256x256xf32> -> tensor<4x8x256x1xf32>
  %b = mlopt.broadcast_in_dim %m, dims = [0, 1, 2, 3] : tensor<4x8x256x1xf32> -> tensor<4x8x256x256xf32>
  %d = mlopt.sub %x, %b : tensor<4x8x256x256xf32>
  %e = mlopt.exp %d : tensor<4x8x256x256xf32>
  %s = mlopt.sum %e, dims = [3] keepdim : tensor<4x8x256x256xf32> -> tensor<4x8x256x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1, 2, 3] : tensor<4x8x256x1xf32> -> tensor<4x8x256x256xf32>
  %r = mlopt.div %e, %sb : tensor<4x8x256x256xf32>
  return %r : tensor<4x8x256x256xf32>
}

// -----

// A reduction over dims 1 and 2 (not the trailing one alone): only dim 0
// leads every result, so tiles are rows of dim 0 (2 tiles of 8 rows; one
// row each with one row per tile).
// CHECK-LABEL: func @middle_reduction
// CHECK: scf.forall (%{{.+}}) = (0) to (16) step (8)
// GPU-LABEL: func @middle_reduction
// GPU: scf.forall (%{{.+}}) in (16)
func.func @middle_reduction(%x: tensor<16x4x8xf32>) -> tensor<16x4x8xf32> {
  %s = mlopt.sum %x, dims = [1, 2] keepdim : tensor<16x4x8xf32> -> tensor<16x1x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1, 2] : tensor<16x1x1xf32> -> tensor<16x4x8xf32>
  %r = mlopt.sub %x, %sb : tensor<16x4x8xf32>
  return %r : tensor<16x4x8xf32>
}

