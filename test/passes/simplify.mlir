// RUN: mlopt %s --split-input-file --mlopt-simplify | FileCheck %s
// RUN: mlopt %s --split-input-file --mlopt-simplify | mlopt --split-input-file | FileCheck %s

// mlopt-simplify = canonicalize, cse, mlopt-refine-shapes, canonicalize.
//
// A small MLP as a tracer records it: a transpose pair, a bias broadcast, a
// relu against a broadcast zero, a scale computed from two constants
// (2.0 * 0.5 = 1.0), a duplicated matmul/exp, a logits type with a `?` the
// matmul rule knows, and a reshape that only becomes a no-op once that `?`
// is refined.
// CHECK-LABEL: func @mlp
// CHECK-SAME: ([[X:%.+]]: tensor<8x256xf32>, [[W1:%.+]]: tensor<256x512xf32>, [[B1:%.+]]: tensor<512xf32>, [[W2:%.+]]: tensor<512x10xf32>)
// CHECK-SAME: -> (tensor<8x10xf32>, tensor<8x1xf32>)
// CHECK-DAG: [[ZERO:%.+]] = mlopt.constant dense<0.000000e+00> : tensor<8x512xf32>
// CHECK-DAG: [[MM1:%.+]] = mlopt.matmul [[X]], [[W1]] : tensor<8x256xf32>, tensor<256x512xf32> -> tensor<8x512xf32>
// CHECK-DAG: [[B1B:%.+]] = mlopt.broadcast_in_dim [[B1]], dims = [1] : tensor<512xf32> -> tensor<8x512xf32>
// CHECK: [[Z:%.+]] = mlopt.add [[MM1]], [[B1B]] : tensor<8x512xf32>
// CHECK: [[H:%.+]] = mlopt.maximum [[Z]], [[ZERO]] : tensor<8x512xf32>
// CHECK: [[LOGITS:%.+]] = mlopt.matmul [[H]], [[W2]] : tensor<8x512xf32>, tensor<512x10xf32> -> tensor<8x10xf32>
// CHECK: [[E:%.+]] = mlopt.exp [[LOGITS]] : tensor<8x10xf32>
// CHECK: [[S:%.+]] = mlopt.sum [[E]], dims = [1] keepdim : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK: return [[E]], [[S]] : tensor<8x10xf32>, tensor<8x1xf32>
// CHECK-NOT: mlopt.
// CHECK: }
func.func @mlp(%x: tensor<8x256xf32>, %w1: tensor<256x512xf32>, %b1: tensor<512xf32>,
               %w2: tensor<512x10xf32>) -> (tensor<8x10xf32>, tensor<?x1xf32>) {
  %w1t = mlopt.transpose %w1, permutation = [1, 0] : tensor<256x512xf32> -> tensor<512x256xf32>
  %w1tt = mlopt.transpose %w1t, permutation = [1, 0] : tensor<512x256xf32> -> tensor<256x512xf32>
  %mm1 = mlopt.matmul %x, %w1tt : tensor<8x256xf32>, tensor<256x512xf32> -> tensor<8x512xf32>
  %b1b = mlopt.broadcast_in_dim %b1, dims = [1] : tensor<512xf32> -> tensor<8x512xf32>
  %z = mlopt.add %mm1, %b1b : tensor<8x512xf32>
  %zero = mlopt.constant dense<0.0> : tensor<f32>
  %zerob = mlopt.broadcast_in_dim %zero, dims = [] : tensor<f32> -> tensor<8x512xf32>
  %h = mlopt.maximum %z, %zerob : tensor<8x512xf32>
  %two = mlopt.constant dense<2.0> : tensor<f32>
  %half = mlopt.constant dense<0.5> : tensor<f32>
  %scale = mlopt.mul %two, %half : tensor<f32>
  %scaleb = mlopt.broadcast_in_dim %scale, dims = [] : tensor<f32> -> tensor<8x512xf32>
  %hs = mlopt.mul %h, %scaleb : tensor<8x512xf32>
  %logits = mlopt.matmul %hs, %w2 : tensor<8x512xf32>, tensor<512x10xf32> -> tensor<?x10xf32>
  %logits2 = mlopt.matmul %hs, %w2 : tensor<8x512xf32>, tensor<512x10xf32> -> tensor<?x10xf32>
  %e = mlopt.exp %logits : tensor<?x10xf32>
  %e2 = mlopt.exp %logits2 : tensor<?x10xf32>
  %s = mlopt.sum %e2, dims = [1] keepdim : tensor<?x10xf32> -> tensor<?x1xf32>
  %r = mlopt.reshape %e : tensor<?x10xf32> -> tensor<8x10xf32>
  return %r, %s : tensor<8x10xf32>, tensor<?x1xf32>
}

// -----

// Constant folding runs through a whole expression: (3 - 1) * 4 / 2 = 4,
// and an integer x * 0 becomes a constant; duplicate constants are merged.
// CHECK-LABEL: func @fold_expression
// CHECK-SAME: ([[X:%.+]]: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>)
// CHECK-DAG: [[FOUR:%.+]] = mlopt.constant dense<4> : tensor<4xi32>
// CHECK-DAG: [[ZERO:%.+]] = mlopt.constant dense<0> : tensor<4xi32>
// CHECK: [[Y:%.+]] = mlopt.mul [[X]], [[FOUR]] : tensor<4xi32>
// CHECK-NOT: mlopt.sub
// CHECK-NOT: mlopt.div
// CHECK: return [[Y]], [[ZERO]], [[FOUR]]
func.func @fold_expression(%x: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %c3 = mlopt.constant dense<3> : tensor<4xi32>
  %c1 = mlopt.constant dense<1> : tensor<4xi32>
  %c4 = mlopt.constant dense<4> : tensor<4xi32>
  %c2 = mlopt.constant dense<2> : tensor<4xi32>
  %c0 = mlopt.constant dense<0> : tensor<4xi32>
  %a = mlopt.sub %c3, %c1 : tensor<4xi32>
  %b = mlopt.mul %a, %c4 : tensor<4xi32>
  %k = mlopt.div %b, %c2 : tensor<4xi32>
  %y = mlopt.mul %x, %k : tensor<4xi32>
  %z = mlopt.mul %x, %c0 : tensor<4xi32>
  %four = mlopt.constant dense<4> : tensor<4xi32>
  return %y, %z, %four : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// CSE merges the two identical transposes, refinement narrows the merged
// value once (so both results get the static type), and the transpose pair
// composes to the identity.
// CHECK-LABEL: func @cse_then_refine
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>)
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK-NOT: mlopt.transpose
// CHECK: return [[T]], [[T]], [[X]] : tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>
func.func @cse_then_refine(%x: tensor<4x8xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<4x8xf32>) {
  %a = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x?xf32>
  %b = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x?xf32>
  %c = mlopt.transpose %b, permutation = [1, 0] : tensor<?x?xf32> -> tensor<4x8xf32>
  return %a, %b, %c : tensor<?x?xf32>, tensor<?x?xf32>, tensor<4x8xf32>
}

// -----

// An identity with a less static declared result does not fold in the first
// canonicalize (the types differ); once refinement gives it the operand's
// type, the second canonicalize folds it.
// CHECK-LABEL: func @identity_after_refine
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Z:%.+]]: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK-NOT: mlopt.
// CHECK: return [[X]], [[X]], [[X]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
func.func @identity_after_refine(%x: tensor<4x8xf32>, %z: tensor<f32>) -> (tensor<?x8xf32>, tensor<4x?xf32>, tensor<?x?xf32>) {
  %t = mlopt.transpose %x, permutation = [0, 1] : tensor<4x8xf32> -> tensor<?x8xf32>
  %p = mlopt.pad %x, %z, low = [0, 0], high = [0, 0] : tensor<4x8xf32>, tensor<f32> -> tensor<4x?xf32>
  %s = mlopt.sum %x, dims = [] : tensor<4x8xf32> -> tensor<?x?xf32>
  return %t, %p, %s : tensor<?x8xf32>, tensor<4x?xf32>, tensor<?x?xf32>
}

// -----

// Refinement casts a dynamic operand of an elementwise op to the refined
// type; the pipeline's output re-parses (see the RUN line above).
// CHECK-LABEL: func @unify_in_pipeline
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?x4xf32>) -> tensor<8x4xf32>
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: [[C:%.+]] = tensor.cast [[Y]] : tensor<?x4xf32> to tensor<8x4xf32>
// CHECK: [[S:%.+]] = mlopt.add [[T]], [[C]] : tensor<8x4xf32>
// CHECK: return [[S]] : tensor<8x4xf32>
func.func @unify_in_pipeline(%x: tensor<4x8xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %s = mlopt.add %t, %y : tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}
