// RUN: mlopt %s --split-input-file --mlopt-refine-shapes | FileCheck %s
// The output verifies and re-parses: every custom form that prints one type
// for several values still has values of one type.
// RUN: mlopt %s --split-input-file --mlopt-refine-shapes | mlopt --split-input-file | FileCheck %s
// A module pass: it runs on builtin.module directly (it reads every caller).
// RUN: mlopt %s --split-input-file --pass-pipeline='builtin.module(mlopt-refine-shapes)' | FileCheck %s

// A `?` the result-type rule knows becomes static; the function's result
// type follows its return.
// CHECK-LABEL: func @refine_transpose
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> tensor<8x4xf32>
func.func @refine_transpose(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK-NOT: tensor.cast
  // CHECK: return [[T]] : tensor<8x4xf32>
  %t = "mlopt.transpose"(%x) <{permutation = array<i64: 1, 0>}> : (tensor<4x8xf32>) -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
}

// -----

// Refinement runs in program order: a refined result refines its users
// (an elementwise op, a reduction) in turn.
// CHECK-LABEL: func @refine_chain
// CHECK-SAME: ([[A:%.+]]: tensor<2x8xf32>, [[B:%.+]]: tensor<8x4xf32>) -> (tensor<2x4xf32>, tensor<2xf32>, tensor<2x1xf32>)
func.func @refine_chain(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>) -> (tensor<?x?xf32>, tensor<?xf32>, tensor<?x?xf32>) {
  // CHECK: [[M:%.+]] = mlopt.matmul [[A]], [[B]] : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  // CHECK: [[E:%.+]] = mlopt.exp [[M]] : tensor<2x4xf32>
  // CHECK: [[S:%.+]] = mlopt.sum [[E]], dims = [1] : tensor<2x4xf32> -> tensor<2xf32>
  // CHECK: [[K:%.+]] = mlopt.max [[E]], dims = [1] keepdim : tensor<2x4xf32> -> tensor<2x1xf32>
  // CHECK: return [[M]], [[S]], [[K]] : tensor<2x4xf32>, tensor<2xf32>, tensor<2x1xf32>
  %m = mlopt.matmul %a, %b : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<?x?xf32>
  %e = mlopt.exp %m : tensor<?x?xf32>
  %s = mlopt.sum %e, dims = [1] : tensor<?x?xf32> -> tensor<?xf32>
  %k = mlopt.max %e, dims = [1] keepdim : tensor<?x?xf32> -> tensor<?x?xf32>
  return %m, %s, %k : tensor<?x?xf32>, tensor<?xf32>, tensor<?x?xf32>
}

// -----

// Every op with a rule narrows: concat, conv2d, slice of a dynamic operand,
// index_select, pad, argmax, and isnan of the refined pad.
// CHECK-LABEL: func @refine_each_rule
// CHECK-SAME: -> (tensor<2x8xf32>, tensor<1x4x6x6xf32>, tensor<3x2xf32>, tensor<6x8xf32>, tensor<4x5xf32>, tensor<100xi64>, tensor<4x5xi1>)
func.func @refine_each_rule(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                            %y: tensor<?x10xf32>, %t: tensor<100x8xf32>, %i: tensor<6xi64>, %z: tensor<f32>)
    -> (tensor<2x?xf32>, tensor<?x4x?x?xf32>, tensor<?x?xf32>, tensor<?x8xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<?x?xi1>) {
  // CHECK: [[R0:%.+]] = mlopt.concat {{.*}} -> tensor<2x8xf32>
  // CHECK: [[R1:%.+]] = mlopt.conv2d {{.*}} -> tensor<1x4x6x6xf32>
  // CHECK: [[R2:%.+]] = mlopt.slice {{.*}} : tensor<?x10xf32> -> tensor<3x2xf32>
  // CHECK: [[R3:%.+]] = mlopt.index_select {{.*}} -> tensor<6x8xf32>
  // CHECK: [[R4:%.+]] = mlopt.pad {{.*}} -> tensor<4x5xf32>
  // CHECK: [[R5:%.+]] = mlopt.argmax {{.*}} -> tensor<100xi64>
  // CHECK: [[R6:%.+]] = mlopt.isnan [[R4]] : tensor<4x5xf32>
  // CHECK: return [[R0]], [[R1]], [[R2]], [[R3]], [[R4]], [[R5]], [[R6]] : tensor<2x8xf32>, tensor<1x4x6x6xf32>, tensor<3x2xf32>, tensor<6x8xf32>, tensor<4x5xf32>, tensor<100xi64>, tensor<4x5xi1>
  %0 = mlopt.concat %a, %b dim = 1 : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x?xf32>
  %1 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x?x?xf32>
  %2 = mlopt.slice %y, start = [0, 0], limit = [3, 10], step = [1, 5] : tensor<?x10xf32> -> tensor<?x?xf32>
  %3 = mlopt.index_select %t, %i, dim = 0 : tensor<100x8xf32>, tensor<6xi64> -> tensor<?x8xf32>
  %4 = mlopt.pad %a, %z, low = [1, 0], high = [1, 2] : tensor<2x3xf32>, tensor<f32> -> tensor<?x?xf32>
  %5 = mlopt.argmax %t, dim = 1 : tensor<100x8xf32> -> tensor<?xi64>
  %6 = mlopt.isnan %4 : tensor<?x?xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x?xf32>, tensor<?x4x?x?xf32>, tensor<?x?xf32>, tensor<?x8xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<?x?xi1>
}

// -----

// Only the dims the rule knows become static.
// CHECK-LABEL: func @refine_partial
// CHECK-SAME: ([[A:%.+]]: tensor<?x8xf32>, [[B:%.+]]: tensor<8x4xf32>) -> tensor<?x4xf32>
func.func @refine_partial(%a: tensor<?x8xf32>, %b: tensor<8x4xf32>) -> tensor<?x?xf32> {
  // CHECK: [[M:%.+]] = mlopt.matmul [[A]], [[B]] : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  // CHECK: return [[M]] : tensor<?x4xf32>
  %m = mlopt.matmul %a, %b : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// Nothing to refine: the rule knows no more than the declared type, and ops
// without a rule (reshape) keep theirs.
// CHECK-LABEL: func @refine_nothing
// CHECK-SAME: ([[A:%.+]]: tensor<?x8xf32>, [[B:%.+]]: tensor<8x?xf32>, [[N:%.+]]: index) -> (tensor<?x?xf32>, tensor<?x?xf32>)
func.func @refine_nothing(%a: tensor<?x8xf32>, %b: tensor<8x?xf32>, %n: index) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  // CHECK: [[M:%.+]] = mlopt.matmul [[A]], [[B]] : tensor<?x8xf32>, tensor<8x?xf32> -> tensor<?x?xf32>
  // CHECK: [[R:%.+]] = mlopt.reshape [[M]] sizes([[N]], [[N]]) : tensor<?x?xf32> -> tensor<?x?xf32>
  // CHECK-NOT: tensor.cast
  // CHECK: return [[M]], [[R]] : tensor<?x?xf32>, tensor<?x?xf32>
  %m = mlopt.matmul %a, %b : tensor<?x8xf32>, tensor<8x?xf32> -> tensor<?x?xf32>
  %r = mlopt.reshape %m sizes(%n, %n) : tensor<?x?xf32> -> tensor<?x?xf32>
  return %m, %r : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// mlopt users take the refined value directly, even ops without a rule;
// their own result types stay.
// CHECK-LABEL: func @refine_feeds_ops_without_rule
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[N:%.+]]: index) -> (tensor<?x4xf32>, tensor<?x8xf32>)
func.func @refine_feeds_ops_without_rule(%x: tensor<4x8xf32>, %n: index) -> (tensor<?x4xf32>, tensor<?x8xf32>) {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK-NOT: tensor.cast
  // CHECK: [[B:%.+]] = mlopt.broadcast_in_dim [[T]], dims = [0, 1] sizes([[N]]) : tensor<8x4xf32> -> tensor<?x4xf32>
  // CHECK: [[R:%.+]] = mlopt.reshape [[T]] sizes([[N]]) : tensor<8x4xf32> -> tensor<?x8xf32>
  // CHECK: return [[B]], [[R]] : tensor<?x4xf32>, tensor<?x8xf32>
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %b = mlopt.broadcast_in_dim %t, dims = [0, 1] sizes(%n) : tensor<?x4xf32> -> tensor<?x4xf32>
  %r = mlopt.reshape %t sizes(%n) : tensor<?x4xf32> -> tensor<?x8xf32>
  return %b, %r : tensor<?x4xf32>, tensor<?x8xf32>
}

// -----

// A user outside the dialect keeps the type it had, through a tensor.cast;
// mlopt users and the return see the refined value.
// CHECK-LABEL: func @refine_dim_user
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> (index, tensor<8x4xf32>)
func.func @refine_dim_user(%x: tensor<4x8xf32>) -> (index, tensor<?x4xf32>) {
  // CHECK: [[C0:%.+]] = arith.constant 0 : index
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[CAST:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
  // CHECK: [[D:%.+]] = tensor.dim [[CAST]], [[C0]] : tensor<?x4xf32>
  // CHECK: [[N:%.+]] = mlopt.neg [[T]] : tensor<8x4xf32>
  // CHECK: return [[D]], [[N]] : index, tensor<8x4xf32>
  %c0 = arith.constant 0 : index
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %d = tensor.dim %t, %c0 : tensor<?x4xf32>
  %n = mlopt.neg %t : tensor<?x4xf32>
  return %d, %n : index, tensor<?x4xf32>
}

// -----

// One cast serves all the non-mlopt users of a value.
// CHECK-LABEL: func @refine_shared_cast
func.func @refine_shared_cast(%x: tensor<4x8xf32>) -> (index, index) {
  // CHECK: [[T:%.+]] = mlopt.transpose {{.*}} -> tensor<8x4xf32>
  // CHECK: [[CAST:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x?xf32>
  // CHECK-NOT: tensor.cast
  // CHECK: tensor.dim [[CAST]]
  // CHECK: tensor.dim [[CAST]]
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x?xf32>
  %d0 = tensor.dim %t, %c0 : tensor<?x?xf32>
  %d1 = tensor.dim %t, %c1 : tensor<?x?xf32>
  return %d0, %d1 : index, index
}

// -----

// A func.call argument is a non-mlopt user too.
// CHECK-LABEL: func @refine_call_argument
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>)
func.func private @sink(tensor<?x4xf32>)
func.func @refine_call_argument(%x: tensor<4x8xf32>) {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[CAST:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
  // CHECK: call @sink([[CAST]]) : (tensor<?x4xf32>) -> ()
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  call @sink(%t) : (tensor<?x4xf32>) -> ()
  return
}

// -----

// A function with a caller in the module keeps its signature: the return
// casts back to the declared type. The caller itself is not called, and
// nothing in it is refined.
// CHECK-LABEL: func @refine_called_function
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: [[CAST:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
// CHECK: return [[CAST]] : tensor<?x4xf32>
// CHECK-LABEL: func @caller
// CHECK-SAME: ([[Y:%.+]]: tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: [[R:%.+]] = call @refine_called_function([[Y]]) : (tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: return [[R]] : tensor<?x4xf32>
func.func @refine_called_function(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
}
func.func @caller(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %r = call @refine_called_function(%x) : (tensor<4x8xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// A called function whose returns need no cast is left as it is.
// CHECK-LABEL: func @called_unchanged
// CHECK-SAME: ([[X:%.+]]: tensor<?x8xf32>) -> tensor<8x?xf32>
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<?x8xf32> -> tensor<8x?xf32>
// CHECK-NOT: tensor.cast
// CHECK: return [[T]] : tensor<8x?xf32>
func.func @called_unchanged(%x: tensor<?x8xf32>) -> tensor<8x?xf32> {
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<?x8xf32> -> tensor<8x?xf32>
  return %t : tensor<8x?xf32>
}
func.func @caller2(%x: tensor<?x8xf32>) -> tensor<8x?xf32> {
  %r = call @called_unchanged(%x) : (tensor<?x8xf32>) -> tensor<8x?xf32>
  return %r : tensor<8x?xf32>
}

// -----

// Values yielded out of a region are cast back (scf.yield is no mlopt op).
// CHECK-LABEL: func @refine_in_region
// CHECK-SAME: -> tensor<?x4xf32>
func.func @refine_in_region(%x: tensor<4x8xf32>, %c: i1) -> tensor<?x4xf32> {
  // CHECK: scf.if
  // CHECK: [[T:%.+]] = mlopt.transpose {{.*}} -> tensor<8x4xf32>
  // CHECK: [[CAST:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
  // CHECK: scf.yield [[CAST]] : tensor<?x4xf32>
  // CHECK: else
  // CHECK: [[T2:%.+]] = mlopt.transpose {{.*}} -> tensor<8x4xf32>
  // CHECK: [[N:%.+]] = mlopt.neg [[T2]] : tensor<8x4xf32>
  // CHECK: [[CAST2:%.+]] = tensor.cast [[N]] : tensor<8x4xf32> to tensor<?x4xf32>
  // CHECK: scf.yield [[CAST2]] : tensor<?x4xf32>
  %r = scf.if %c -> tensor<?x4xf32> {
    %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  } else {
    %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
    %n = mlopt.neg %t : tensor<?x4xf32>
    scf.yield %n : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// -----

// The result becomes the join of the declared type and the rule's: static
// wherever either is, even where neither alone is fully static.
// CHECK-LABEL: func @refine_join_declared
// CHECK-SAME: ([[A:%.+]]: tensor<?x8xf32>, [[B:%.+]]: tensor<8x4xf32>, [[X:%.+]]: tensor<4x?xf32>) -> (tensor<3x4xf32>, tensor<5x4xf32>)
func.func @refine_join_declared(%a: tensor<?x8xf32>, %b: tensor<8x4xf32>, %x: tensor<4x?xf32>) -> (tensor<3x?xf32>, tensor<5x?xf32>) {
  // CHECK: [[M:%.+]] = mlopt.matmul [[A]], [[B]] : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<3x4xf32>
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x?xf32> -> tensor<5x4xf32>
  // CHECK: return [[M]], [[T]] : tensor<3x4xf32>, tensor<5x4xf32>
  %m = mlopt.matmul %a, %b : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<3x?xf32>
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x?xf32> -> tensor<5x?xf32>
  return %m, %t : tensor<3x?xf32>, tensor<5x?xf32>
}

// -----

// A binary op prints one type for both operands: when one operand is
// refined, the other is cast to the refined type (whichever side it is on),
// and the result follows.
// CHECK-LABEL: func @unify_binary_operands
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>)
func.func @unify_binary_operands(%x: tensor<4x8xf32>, %y: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[C1:%.+]] = tensor.cast [[Y]] : tensor<?x4xf32> to tensor<8x4xf32>
  // CHECK: [[S:%.+]] = mlopt.add [[T]], [[C1]] : tensor<8x4xf32>
  // CHECK: [[C2:%.+]] = tensor.cast [[Y]] : tensor<?x4xf32> to tensor<8x4xf32>
  // CHECK: [[D:%.+]] = mlopt.sub [[C2]], [[T]] : tensor<8x4xf32>
  // CHECK: return [[S]], [[D]] : tensor<8x4xf32>, tensor<8x4xf32>
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %s = mlopt.add %t, %y : tensor<?x4xf32>
  %d = mlopt.sub %y, %t : tensor<?x4xf32>
  return %s, %d : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Operands refined in different dims are both cast to the join of their
// types.
// CHECK-LABEL: func @unify_binary_join
// CHECK-SAME: ([[P:%.+]]: tensor<?x8xf32>, [[Q:%.+]]: tensor<4x?xf32>) -> tensor<8x4xf32>
func.func @unify_binary_join(%p: tensor<?x8xf32>, %q: tensor<4x?xf32>) -> tensor<?x?xf32> {
  // CHECK: [[A:%.+]] = mlopt.transpose [[P]], permutation = [1, 0] : tensor<?x8xf32> -> tensor<8x?xf32>
  // CHECK: [[B:%.+]] = mlopt.transpose [[Q]], permutation = [1, 0] : tensor<4x?xf32> -> tensor<?x4xf32>
  // CHECK: [[CA:%.+]] = tensor.cast [[A]] : tensor<8x?xf32> to tensor<8x4xf32>
  // CHECK: [[CB:%.+]] = tensor.cast [[B]] : tensor<?x4xf32> to tensor<8x4xf32>
  // CHECK: [[M:%.+]] = mlopt.mul [[CA]], [[CB]] : tensor<8x4xf32>
  // CHECK: return [[M]] : tensor<8x4xf32>
  %a = mlopt.transpose %p, permutation = [1, 0] : tensor<?x8xf32> -> tensor<?x?xf32>
  %b = mlopt.transpose %q, permutation = [1, 0] : tensor<4x?xf32> -> tensor<?x?xf32>
  %m = mlopt.mul %a, %b : tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// Comparisons print the operand type once: both operands are unified and
// the i1 result follows. select prints one type for its two values and the
// result; its condition has its own type and is not cast.
// CHECK-LABEL: func @unify_compare_select
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?x4xf32>, [[C:%.+]]: tensor<?x4xi1>) -> (tensor<8x4xi1>, tensor<8x4xf32>)
func.func @unify_compare_select(%x: tensor<4x8xf32>, %y: tensor<?x4xf32>, %c: tensor<?x4xi1>) -> (tensor<?x4xi1>, tensor<?x4xf32>) {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[C1:%.+]] = tensor.cast [[Y]] : tensor<?x4xf32> to tensor<8x4xf32>
  // CHECK: [[M:%.+]] = mlopt.lt [[C1]], [[T]] : tensor<8x4xf32>
  // CHECK: [[C2:%.+]] = tensor.cast [[Y]] : tensor<?x4xf32> to tensor<8x4xf32>
  // CHECK: [[S:%.+]] = mlopt.select [[C]], [[C2]], [[T]] : tensor<?x4xi1>, tensor<8x4xf32>
  // CHECK: return [[M]], [[S]] : tensor<8x4xi1>, tensor<8x4xf32>
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %m = mlopt.lt %y, %t : tensor<?x4xf32>
  %s = mlopt.select %c, %y, %t : tensor<?x4xi1>, tensor<?x4xf32>
  return %m, %s : tensor<?x4xi1>, tensor<?x4xf32>
}

// -----

// A unified op's refined result flows on: neg, then eq, then not; a
// non-mlopt user of the refined comparison sees its old type.
// CHECK-LABEL: func @unify_chain
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?x?xf32>) -> (tensor<8x4xi1>, index)
func.func @unify_chain(%x: tensor<4x8xf32>, %y: tensor<?x?xf32>) -> (tensor<?x?xi1>, index) {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[N:%.+]] = mlopt.neg [[T]] : tensor<8x4xf32>
  // CHECK: [[CY:%.+]] = tensor.cast [[Y]] : tensor<?x?xf32> to tensor<8x4xf32>
  // CHECK: [[E:%.+]] = mlopt.eq [[N]], [[CY]] : tensor<8x4xf32>
  // CHECK: [[CE:%.+]] = tensor.cast [[E]] : tensor<8x4xi1> to tensor<?x?xi1>
  // CHECK: [[R:%.+]] = mlopt.not [[E]] : tensor<8x4xi1>
  // CHECK: [[D:%.+]] = tensor.dim [[CE]], {{%.+}} : tensor<?x?xi1>
  // CHECK: return [[R]], [[D]] : tensor<8x4xi1>, index
  %c1 = arith.constant 1 : index
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x?xf32>
  %n = mlopt.neg %t : tensor<?x?xf32>
  %e = mlopt.eq %n, %y : tensor<?x?xf32>
  %r = mlopt.not %e : tensor<?x?xi1>
  %d = tensor.dim %e, %c1 : tensor<?x?xi1>
  return %r, %d : tensor<?x?xi1>, index
}

// -----

// Operands that already share a type are left alone, even if neither is
// static.
// CHECK-LABEL: func @unify_nothing
// CHECK-SAME: ([[Y:%.+]]: tensor<?x4xf32>, [[Z:%.+]]: tensor<?x4xf32>) -> tensor<?x4xf32>
func.func @unify_nothing(%y: tensor<?x4xf32>, %z: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // CHECK-NOT: tensor.cast
  // CHECK: [[S:%.+]] = mlopt.add [[Y]], [[Z]] : tensor<?x4xf32>
  // CHECK: return [[S]] : tensor<?x4xf32>
  %s = mlopt.add %y, %z : tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// -----

// convert accepts compatible shapes, so a refined operand feeds it directly
// and its result type stays (convert has no shape rule).
// CHECK-LABEL: func @refine_into_convert
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> tensor<?x4xf16>
func.func @refine_into_convert(%x: tensor<4x8xf32>) -> tensor<?x4xf16> {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK-NOT: tensor.cast
  // CHECK: [[C:%.+]] = mlopt.convert [[T]] : tensor<8x4xf32> -> tensor<?x4xf16>
  // CHECK: return [[C]] : tensor<?x4xf16>
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %c = mlopt.convert %t : tensor<?x4xf32> -> tensor<?x4xf16>
  return %c : tensor<?x4xf16>
}

// -----

// Several returns that agree on the refined types, and no caller: the
// function type follows them.
// CHECK-LABEL: func @multi_return_agree
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[C:%.+]]: i1) -> tensor<8x4xf32>
func.func @multi_return_agree(%x: tensor<4x8xf32>, %c: i1) -> tensor<?x4xf32> {
  // CHECK-NOT: tensor.cast
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: return [[T]] : tensor<8x4xf32>
  // CHECK: [[U:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[N:%.+]] = mlopt.neg [[U]] : tensor<8x4xf32>
  // CHECK: return [[N]] : tensor<8x4xf32>
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
^bb2:
  %u = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  %n = mlopt.neg %u : tensor<?x4xf32>
  return %n : tensor<?x4xf32>
}

// -----

// Returns that disagree (the first results differ; the second ones agree)
// keep the declared function type: every return casts each refined value
// back.
// CHECK-LABEL: func @multi_return_disagree
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?x4xf32>, [[C:%.+]]: i1) -> (tensor<?x4xf32>, tensor<?x8xf32>)
func.func @multi_return_disagree(%x: tensor<4x8xf32>, %y: tensor<?x4xf32>, %c: i1) -> (tensor<?x4xf32>, tensor<?x8xf32>) {
  // CHECK: [[S:%.+]] = mlopt.transpose [[X]], permutation = [0, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  // CHECK: cf.cond_br
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: [[CT:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
  // CHECK: [[CS:%.+]] = tensor.cast [[S]] : tensor<4x8xf32> to tensor<?x8xf32>
  // CHECK: return [[CT]], [[CS]] : tensor<?x4xf32>, tensor<?x8xf32>
  // CHECK: [[CS2:%.+]] = tensor.cast [[S]] : tensor<4x8xf32> to tensor<?x8xf32>
  // CHECK: return [[Y]], [[CS2]] : tensor<?x4xf32>, tensor<?x8xf32>
  %s = mlopt.transpose %x, permutation = [0, 1] : tensor<4x8xf32> -> tensor<?x8xf32>
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %t, %s : tensor<?x4xf32>, tensor<?x8xf32>
^bb2:
  return %y, %s : tensor<?x4xf32>, tensor<?x8xf32>
}

// -----

// Several returns in a called function: each casts back to the declared
// type, which the call keeps.
// CHECK-LABEL: func @multi_return_called
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[C:%.+]]: i1) -> tensor<?x4xf32>
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: [[CT:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
// CHECK: return [[CT]] : tensor<?x4xf32>
// CHECK: [[U:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: [[CU:%.+]] = tensor.cast [[U]] : tensor<8x4xf32> to tensor<?x4xf32>
// CHECK: return [[CU]] : tensor<?x4xf32>
// CHECK-LABEL: func @multi_return_caller
// CHECK: call @multi_return_called({{.*}}) : (tensor<4x8xf32>, i1) -> tensor<?x4xf32>
func.func @multi_return_called(%x: tensor<4x8xf32>, %c: i1) -> tensor<?x4xf32> {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
^bb2:
  %u = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %u : tensor<?x4xf32>
}
func.func @multi_return_caller(%x: tensor<4x8xf32>, %c: i1) -> tensor<?x4xf32> {
  %r = call @multi_return_called(%x, %c) : (tensor<4x8xf32>, i1) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// A caller that comes before its callee in the module still pins the
// callee's signature: the pass sees the whole module.
// CHECK-LABEL: func @caller_first
// CHECK-SAME: -> tensor<?x4xf32>
// CHECK: call @callee_after({{.*}}) : (tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK-LABEL: func @callee_after
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: [[CT:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
// CHECK: return [[CT]] : tensor<?x4xf32>
func.func @caller_first(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %r = call @callee_after(%x) : (tensor<4x8xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
func.func @callee_after(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
}

// -----

// A recursive function is its own caller: it keeps its signature, and its
// one return casts back.
// CHECK-LABEL: func @recursive
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: call @recursive([[X]]) : (tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: [[CT:%.+]] = tensor.cast [[T]] : tensor<8x4xf32> to tensor<?x4xf32>
// CHECK: return [[CT]] : tensor<?x4xf32>
func.func @recursive(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %r = call @recursive(%x) : (tensor<4x8xf32>) -> tensor<?x4xf32>
  %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
}
