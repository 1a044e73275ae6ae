// RUN: mlopt %s --split-input-file --mlopt-refine-shapes | FileCheck %s

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
// index_select, pad, argmax, isnan.
// CHECK-LABEL: func @refine_each_rule
// CHECK-SAME: -> (tensor<2x8xf32>, tensor<1x4x6x6xf32>, tensor<3x2xf32>, tensor<6x8xf32>, tensor<4x5xf32>, tensor<100xi64>, tensor<2x3xi1>)
func.func @refine_each_rule(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                            %y: tensor<?x10xf32>, %t: tensor<100x8xf32>, %i: tensor<6xi64>, %z: tensor<f32>)
    -> (tensor<2x?xf32>, tensor<?x4x?x?xf32>, tensor<?x?xf32>, tensor<?x8xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<?x?xi1>) {
  // CHECK: [[R0:%.+]] = mlopt.concat {{.*}} -> tensor<2x8xf32>
  // CHECK: [[R1:%.+]] = mlopt.conv2d {{.*}} -> tensor<1x4x6x6xf32>
  // CHECK: [[R2:%.+]] = mlopt.slice {{.*}} : tensor<?x10xf32> -> tensor<3x2xf32>
  // CHECK: [[R3:%.+]] = mlopt.index_select {{.*}} -> tensor<6x8xf32>
  // CHECK: [[R4:%.+]] = mlopt.pad {{.*}} -> tensor<4x5xf32>
  // CHECK: [[R5:%.+]] = mlopt.argmax {{.*}} -> tensor<100xi64>
  // CHECK: [[R6:%.+]] = mlopt.isnan {{.*}} : tensor<2x3xf32>
  // CHECK: return [[R0]], [[R1]], [[R2]], [[R3]], [[R4]], [[R5]], [[R6]] : tensor<2x8xf32>, tensor<1x4x6x6xf32>, tensor<3x2xf32>, tensor<6x8xf32>, tensor<4x5xf32>, tensor<100xi64>, tensor<2x3xi1>
  %0 = mlopt.concat %a, %b dim = 1 : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x?xf32>
  %1 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x?x?xf32>
  %2 = mlopt.slice %y, start = [0, 0], limit = [3, 10], step = [1, 5] : tensor<?x10xf32> -> tensor<?x?xf32>
  %3 = mlopt.index_select %t, %i, dim = 0 : tensor<100x8xf32>, tensor<6xi64> -> tensor<?x8xf32>
  %4 = mlopt.pad %a, %z, low = [1, 0], high = [1, 2] : tensor<2x3xf32>, tensor<f32> -> tensor<?x?xf32>
  %5 = mlopt.argmax %t, dim = 1 : tensor<100x8xf32> -> tensor<?xi64>
  %6 = "mlopt.isnan"(%a) : (tensor<2x3xf32>) -> tensor<?x?xi1>
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
