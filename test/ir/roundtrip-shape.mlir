// RUN: mlopt %s | mlopt | FileCheck %s
// RUN: mlopt %s --mlir-print-op-generic | mlopt | FileCheck %s

// Round trip of the shape ops: broadcast_in_dim, reshape, transpose, slice,
// concat, pad, gather, index_select, scatter_add and iota.

// CHECK-LABEL: func @broadcast_in_dim
// CHECK-SAME: ([[X:%.+]]: tensor<512xf32>, [[S:%.+]]: tensor<f64>, [[O:%.+]]: tensor<4x1xi1>)
func.func @broadcast_in_dim(%x: tensor<512xf32>, %s: tensor<f64>, %o: tensor<4x1xi1>)
    -> (tensor<8x512xf32>, tensor<2x3xf64>, tensor<4x5x6xi1>, tensor<512xf32>) {
  // CHECK: [[A:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [1] : tensor<512xf32> -> tensor<8x512xf32>
  %0 = mlopt.broadcast_in_dim %x, dims = [1] : tensor<512xf32> -> tensor<8x512xf32>
  // CHECK: [[B:%.+]] = mlopt.broadcast_in_dim [[S]], dims = [] : tensor<f64> -> tensor<2x3xf64>
  %1 = mlopt.broadcast_in_dim %s, dims = [] : tensor<f64> -> tensor<2x3xf64>
  // A size-1 dim is repeated; a new dim is inserted in the middle.
  // CHECK: [[C:%.+]] = mlopt.broadcast_in_dim [[O]], dims = [0, 2] : tensor<4x1xi1> -> tensor<4x5x6xi1>
  %2 = mlopt.broadcast_in_dim %o, dims = [0, 2] : tensor<4x1xi1> -> tensor<4x5x6xi1>
  // CHECK: [[D:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [0] : tensor<512xf32> -> tensor<512xf32>
  %3 = mlopt.broadcast_in_dim %x, dims = [0] : tensor<512xf32> -> tensor<512xf32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<8x512xf32>, tensor<2x3xf64>, tensor<4x5x6xi1>, tensor<512xf32>
}

// CHECK-LABEL: func @broadcast_in_dim_dynamic
// CHECK-SAME: ([[X:%.+]]: tensor<512xbf16>, [[N:%.+]]: index, [[M:%.+]]: index, [[Y:%.+]]: tensor<?x1xi64>, [[Z:%.+]]: tensor<?xf16>)
func.func @broadcast_in_dim_dynamic(%x: tensor<512xbf16>, %n: index, %m: index, %y: tensor<?x1xi64>, %z: tensor<?xf16>)
    -> (tensor<?x512xbf16>, tensor<?x?x512xbf16>, tensor<?x10xi64>, tensor<3x?xf16>) {
  // CHECK: [[A:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [1] sizes([[N]]) : tensor<512xbf16> -> tensor<?x512xbf16>
  %0 = mlopt.broadcast_in_dim %x, dims = [1] sizes(%n) : tensor<512xbf16> -> tensor<?x512xbf16>
  // CHECK: [[B:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [2] sizes([[N]], [[M]]) : tensor<512xbf16> -> tensor<?x?x512xbf16>
  %1 = mlopt.broadcast_in_dim %x, dims = [2] sizes(%n, %m) : tensor<512xbf16> -> tensor<?x?x512xbf16>
  // CHECK: [[C:%.+]] = mlopt.broadcast_in_dim [[Y]], dims = [0, 1] sizes([[N]]) : tensor<?x1xi64> -> tensor<?x10xi64>
  %2 = mlopt.broadcast_in_dim %y, dims = [0, 1] sizes(%n) : tensor<?x1xi64> -> tensor<?x10xi64>
  // A dynamic operand dim may map to a static result dim.
  // CHECK: [[D:%.+]] = mlopt.broadcast_in_dim [[Z]], dims = [1] sizes([[M]]) : tensor<?xf16> -> tensor<3x?xf16>
  %3 = mlopt.broadcast_in_dim %z, dims = [1] sizes(%m) : tensor<?xf16> -> tensor<3x?xf16>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<?x512xbf16>, tensor<?x?x512xbf16>, tensor<?x10xi64>, tensor<3x?xf16>
}

// CHECK-LABEL: func @reshape
// CHECK-SAME: ([[X:%.+]]: tensor<2x3x4xf32>, [[Y:%.+]]: tensor<?x4xi32>, [[N:%.+]]: index, [[S:%.+]]: tensor<1xi1>)
func.func @reshape(%x: tensor<2x3x4xf32>, %y: tensor<?x4xi32>, %n: index, %s: tensor<1xi1>)
    -> (tensor<6x4xf32>, tensor<?xi32>, tensor<i1>, tensor<24xf32>, tensor<2x?xi32>, tensor<?x4xi32>) {
  // CHECK: [[A:%.+]] = mlopt.reshape [[X]] : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = mlopt.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: [[B:%.+]] = mlopt.reshape [[Y]] sizes([[N]]) : tensor<?x4xi32> -> tensor<?xi32>
  %1 = mlopt.reshape %y sizes(%n) : tensor<?x4xi32> -> tensor<?xi32>
  // CHECK: [[C:%.+]] = mlopt.reshape [[S]] : tensor<1xi1> -> tensor<i1>
  %2 = mlopt.reshape %s : tensor<1xi1> -> tensor<i1>
  // CHECK: [[D:%.+]] = mlopt.reshape [[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
  %3 = mlopt.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  // CHECK: [[E:%.+]] = mlopt.reshape [[Y]] sizes([[N]]) : tensor<?x4xi32> -> tensor<2x?xi32>
  %4 = mlopt.reshape %y sizes(%n) : tensor<?x4xi32> -> tensor<2x?xi32>
  // A dynamic operand to a dynamic result of the same shape.
  // CHECK: [[F:%.+]] = mlopt.reshape [[Y]] sizes([[N]]) : tensor<?x4xi32> -> tensor<?x4xi32>
  %5 = mlopt.reshape %y sizes(%n) : tensor<?x4xi32> -> tensor<?x4xi32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]], [[F]]
  return %0, %1, %2, %3, %4, %5 : tensor<6x4xf32>, tensor<?xi32>, tensor<i1>, tensor<24xf32>, tensor<2x?xi32>, tensor<?x4xi32>
}

// CHECK-LABEL: func @transpose
// CHECK-SAME: ([[X:%.+]]: tensor<8x3x4xf32>, [[Y:%.+]]: tensor<?x5xf16>, [[Z:%.+]]: tensor<2x3xi64>)
func.func @transpose(%x: tensor<8x3x4xf32>, %y: tensor<?x5xf16>, %z: tensor<2x3xi64>)
    -> (tensor<8x4x3xf32>, tensor<5x?xf16>, tensor<3x2xi64>, tensor<4x8x3xf32>, tensor<?x2xi64>) {
  // CHECK: [[A:%.+]] = mlopt.transpose [[X]], permutation = [0, 2, 1] : tensor<8x3x4xf32> -> tensor<8x4x3xf32>
  %0 = mlopt.transpose %x, permutation = [0, 2, 1] : tensor<8x3x4xf32> -> tensor<8x4x3xf32>
  // CHECK: [[B:%.+]] = mlopt.transpose [[Y]], permutation = [1, 0] : tensor<?x5xf16> -> tensor<5x?xf16>
  %1 = mlopt.transpose %y, permutation = [1, 0] : tensor<?x5xf16> -> tensor<5x?xf16>
  // CHECK: [[C:%.+]] = mlopt.transpose [[Z]], permutation = [1, 0] : tensor<2x3xi64> -> tensor<3x2xi64>
  %2 = mlopt.transpose %z, permutation = [1, 0] : tensor<2x3xi64> -> tensor<3x2xi64>
  // CHECK: [[D:%.+]] = mlopt.transpose [[X]], permutation = [2, 0, 1] : tensor<8x3x4xf32> -> tensor<4x8x3xf32>
  %3 = mlopt.transpose %x, permutation = [2, 0, 1] : tensor<8x3x4xf32> -> tensor<4x8x3xf32>
  // The declared result type may be less static than the rule's.
  // CHECK: [[E:%.+]] = mlopt.transpose [[Z]], permutation = [1, 0] : tensor<2x3xi64> -> tensor<?x2xi64>
  %4 = mlopt.transpose %z, permutation = [1, 0] : tensor<2x3xi64> -> tensor<?x2xi64>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]]
  return %0, %1, %2, %3, %4 : tensor<8x4x3xf32>, tensor<5x?xf16>, tensor<3x2xi64>, tensor<4x8x3xf32>, tensor<?x2xi64>
}

// CHECK-LABEL: func @slice
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?x10xbf16>, [[Z:%.+]]: tensor<7xi1>)
func.func @slice(%x: tensor<4x8xf32>, %y: tensor<?x10xbf16>, %z: tensor<7xi1>)
    -> (tensor<4x4xf32>, tensor<3x3xbf16>, tensor<0xi1>, tensor<3xi1>) {
  // CHECK: [[A:%.+]] = mlopt.slice [[X]], start = [0, 1], limit = [4, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  %0 = mlopt.slice %x, start = [0, 1], limit = [4, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  // A dynamic dim: the result size comes from start, limit and step.
  // CHECK: [[B:%.+]] = mlopt.slice [[Y]], start = [2, 0], limit = [5, 10], step = [1, 4] : tensor<?x10xbf16> -> tensor<3x3xbf16>
  %1 = mlopt.slice %y, start = [2, 0], limit = [5, 10], step = [1, 4] : tensor<?x10xbf16> -> tensor<3x3xbf16>
  // CHECK: [[C:%.+]] = mlopt.slice [[Z]], start = [3], limit = [3], step = [1] : tensor<7xi1> -> tensor<0xi1>
  %2 = mlopt.slice %z, start = [3], limit = [3], step = [1] : tensor<7xi1> -> tensor<0xi1>
  // CHECK: [[D:%.+]] = mlopt.slice [[Z]], start = [0], limit = [7], step = [3] : tensor<7xi1> -> tensor<3xi1>
  %3 = mlopt.slice %z, start = [0], limit = [7], step = [3] : tensor<7xi1> -> tensor<3xi1>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<4x4xf32>, tensor<3x3xbf16>, tensor<0xi1>, tensor<3xi1>
}

// CHECK-LABEL: func @concat
// CHECK-SAME: ([[A:%.+]]: tensor<2x3xf32>, [[B:%.+]]: tensor<2x5xf32>, [[C:%.+]]: tensor<?x4xi64>, [[D:%.+]]: tensor<3x?xi64>, [[E:%.+]]: tensor<2xi1>)
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<?x4xi64>, %d: tensor<3x?xi64>, %e: tensor<2xi1>)
    -> (tensor<2x8xf32>, tensor<?x4xi64>, tensor<6xi1>, tensor<2x3xf32>) {
  // CHECK: [[R0:%.+]] = mlopt.concat [[A]], [[B]] dim = 1 : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
  %0 = mlopt.concat %a, %b dim = 1 : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
  // CHECK: [[R1:%.+]] = mlopt.concat [[C]], [[D]] dim = 0 : tensor<?x4xi64>, tensor<3x?xi64> -> tensor<?x4xi64>
  %1 = mlopt.concat %c, %d dim = 0 : tensor<?x4xi64>, tensor<3x?xi64> -> tensor<?x4xi64>
  // CHECK: [[R2:%.+]] = mlopt.concat [[E]], [[E]], [[E]] dim = 0 : tensor<2xi1>, tensor<2xi1>, tensor<2xi1> -> tensor<6xi1>
  %2 = mlopt.concat %e, %e, %e dim = 0 : tensor<2xi1>, tensor<2xi1>, tensor<2xi1> -> tensor<6xi1>
  // CHECK: [[R3:%.+]] = mlopt.concat [[A]] dim = 0 : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = mlopt.concat %a dim = 0 : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: return [[R0]], [[R1]], [[R2]], [[R3]]
  return %0, %1, %2, %3 : tensor<2x8xf32>, tensor<?x4xi64>, tensor<6xi1>, tensor<2x3xf32>
}

// CHECK-LABEL: func @pad
// CHECK-SAME: ([[X:%.+]]: tensor<4x5xf32>, [[Z:%.+]]: tensor<f32>, [[Y:%.+]]: tensor<?x3xi32>, [[W:%.+]]: tensor<i32>)
func.func @pad(%x: tensor<4x5xf32>, %z: tensor<f32>, %y: tensor<?x3xi32>, %w: tensor<i32>)
    -> (tensor<4x8xf32>, tensor<?x3xi32>, tensor<4x5xf32>) {
  // CHECK: [[A:%.+]] = mlopt.pad [[X]], [[Z]], low = [0, 1], high = [0, 2] : tensor<4x5xf32>, tensor<f32> -> tensor<4x8xf32>
  %0 = mlopt.pad %x, %z, low = [0, 1], high = [0, 2] : tensor<4x5xf32>, tensor<f32> -> tensor<4x8xf32>
  // CHECK: [[B:%.+]] = mlopt.pad [[Y]], [[W]], low = [1, 0], high = [2, 0] : tensor<?x3xi32>, tensor<i32> -> tensor<?x3xi32>
  %1 = mlopt.pad %y, %w, low = [1, 0], high = [2, 0] : tensor<?x3xi32>, tensor<i32> -> tensor<?x3xi32>
  // CHECK: [[C:%.+]] = mlopt.pad [[X]], [[Z]], low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<4x5xf32>
  %2 = mlopt.pad %x, %z, low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<4x5xf32>
  // CHECK: return [[A]], [[B]], [[C]]
  return %0, %1, %2 : tensor<4x8xf32>, tensor<?x3xi32>, tensor<4x5xf32>
}

// CHECK-LABEL: func @gather
// CHECK-SAME: ([[X:%.+]]: tensor<4x10xf32>, [[I:%.+]]: tensor<4x1xi64>, [[Y:%.+]]: tensor<?x7xbf16>, [[J:%.+]]: tensor<3x?xi32>)
func.func @gather(%x: tensor<4x10xf32>, %i: tensor<4x1xi64>, %y: tensor<?x7xbf16>, %j: tensor<3x?xi32>)
    -> (tensor<4x1xf32>, tensor<3x?xbf16>) {
  // CHECK: [[A:%.+]] = mlopt.gather [[X]], [[I]], dim = 1 : tensor<4x10xf32>, tensor<4x1xi64> -> tensor<4x1xf32>
  %0 = mlopt.gather %x, %i, dim = 1 : tensor<4x10xf32>, tensor<4x1xi64> -> tensor<4x1xf32>
  // CHECK: [[B:%.+]] = mlopt.gather [[Y]], [[J]], dim = 0 : tensor<?x7xbf16>, tensor<3x?xi32> -> tensor<3x?xbf16>
  %1 = mlopt.gather %y, %j, dim = 0 : tensor<?x7xbf16>, tensor<3x?xi32> -> tensor<3x?xbf16>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<4x1xf32>, tensor<3x?xbf16>
}

// CHECK-LABEL: func @index_select
// CHECK-SAME: ([[T:%.+]]: tensor<1000x64xf32>, [[IDS:%.+]]: tensor<?xi64>, [[X:%.+]]: tensor<2x5x3xi1>, [[I:%.+]]: tensor<4xi32>)
func.func @index_select(%t: tensor<1000x64xf32>, %ids: tensor<?xi64>, %x: tensor<2x5x3xi1>, %i: tensor<4xi32>)
    -> (tensor<?x64xf32>, tensor<2x4x3xi1>) {
  // CHECK: [[A:%.+]] = mlopt.index_select [[T]], [[IDS]], dim = 0 : tensor<1000x64xf32>, tensor<?xi64> -> tensor<?x64xf32>
  %0 = mlopt.index_select %t, %ids, dim = 0 : tensor<1000x64xf32>, tensor<?xi64> -> tensor<?x64xf32>
  // CHECK: [[B:%.+]] = mlopt.index_select [[X]], [[I]], dim = 1 : tensor<2x5x3xi1>, tensor<4xi32> -> tensor<2x4x3xi1>
  %1 = mlopt.index_select %x, %i, dim = 1 : tensor<2x5x3xi1>, tensor<4xi32> -> tensor<2x4x3xi1>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<?x64xf32>, tensor<2x4x3xi1>
}

// CHECK-LABEL: func @scatter_add
// CHECK-SAME: ([[ACC:%.+]]: tensor<10x4xf32>, [[I:%.+]]: tensor<3x4xi64>, [[S:%.+]]: tensor<3x4xf32>, [[B:%.+]]: tensor<?x8xi32>, [[J:%.+]]: tensor<?x2xi32>, [[T:%.+]]: tensor<5x?xi32>)
func.func @scatter_add(%acc: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<3x4xf32>,
                       %b: tensor<?x8xi32>, %j: tensor<?x2xi32>, %t: tensor<5x?xi32>)
    -> (tensor<10x4xf32>, tensor<?x8xi32>) {
  // CHECK: [[R0:%.+]] = mlopt.scatter_add [[ACC]], [[I]], [[S]], dim = 0 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
  %0 = mlopt.scatter_add %acc, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
  // CHECK: [[R1:%.+]] = mlopt.scatter_add [[B]], [[J]], [[T]], dim = 1 : tensor<?x8xi32>, tensor<?x2xi32>, tensor<5x?xi32> -> tensor<?x8xi32>
  %1 = mlopt.scatter_add %b, %j, %t, dim = 1 : tensor<?x8xi32>, tensor<?x2xi32>, tensor<5x?xi32> -> tensor<?x8xi32>
  // CHECK: return [[R0]], [[R1]]
  return %0, %1 : tensor<10x4xf32>, tensor<?x8xi32>
}

// CHECK-LABEL: func @iota
// CHECK-SAME: ([[N:%.+]]: index, [[M:%.+]]: index)
func.func @iota(%n: index, %m: index) -> (tensor<16xi64>, tensor<4x?xf32>, tensor<?x?xbf16>, tensor<2x3xi32>) {
  // CHECK: [[A:%.+]] = mlopt.iota dim = 0 : tensor<16xi64>
  %0 = mlopt.iota dim = 0 : tensor<16xi64>
  // CHECK: [[B:%.+]] = mlopt.iota dim = 1 sizes([[N]]) : tensor<4x?xf32>
  %1 = mlopt.iota dim = 1 sizes(%n) : tensor<4x?xf32>
  // CHECK: [[C:%.+]] = mlopt.iota dim = 0 sizes([[N]], [[M]]) : tensor<?x?xbf16>
  %2 = mlopt.iota dim = 0 sizes(%n, %m) : tensor<?x?xbf16>
  // CHECK: [[D:%.+]] = mlopt.iota dim = 1 : tensor<2x3xi32>
  %3 = mlopt.iota dim = 1 : tensor<2x3xi32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<16xi64>, tensor<4x?xf32>, tensor<?x?xbf16>, tensor<2x3xi32>
}

// Shape rules near the int64 limit: sizes that fit are computed exactly (the
// overflowing neighbours are in invalid-shape.mlir).
// CHECK-LABEL: func @sizes_near_int64_max
// CHECK-SAME: ([[X:%.+]]: tensor<8xf32>, [[Y:%.+]]: tensor<?xf32>, [[P:%.+]]: tensor<4x5xf32>, [[Z:%.+]]: tensor<f32>, [[A:%.+]]: tensor<9223372036854775806xi1>, [[B:%.+]]: tensor<1xi1>)
func.func @sizes_near_int64_max(%x: tensor<8xf32>, %y: tensor<?xf32>, %p: tensor<4x5xf32>, %z: tensor<f32>,
                                %a: tensor<9223372036854775806xi1>, %b: tensor<1xi1>)
    -> (tensor<1xf32>, tensor<4611686018427387904xf32>, tensor<9223372036854775807x5xf32>, tensor<9223372036854775807xi1>) {
  // A step of 2^63 - 1 takes one element.
  // CHECK: [[R0:%.+]] = mlopt.slice [[X]], start = [0], limit = [5], step = [9223372036854775807] : tensor<8xf32> -> tensor<1xf32>
  %0 = mlopt.slice %x, start = [0], limit = [5], step = [9223372036854775807] : tensor<8xf32> -> tensor<1xf32>
  // (2^63 - 1) / 2 rounded up.
  // CHECK: [[R1:%.+]] = mlopt.slice [[Y]], start = [0], limit = [9223372036854775807], step = [2] : tensor<?xf32> -> tensor<4611686018427387904xf32>
  %1 = mlopt.slice %y, start = [0], limit = [9223372036854775807], step = [2] : tensor<?xf32> -> tensor<4611686018427387904xf32>
  // 4 + (2^63 - 6) + 1 is exactly 2^63 - 1.
  // CHECK: [[R2:%.+]] = mlopt.pad [[P]], [[Z]], low = [9223372036854775802, 0], high = [1, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<9223372036854775807x5xf32>
  %2 = mlopt.pad %p, %z, low = [9223372036854775802, 0], high = [1, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<9223372036854775807x5xf32>
  // CHECK: [[R3:%.+]] = mlopt.concat [[A]], [[B]] dim = 0 : tensor<9223372036854775806xi1>, tensor<1xi1> -> tensor<9223372036854775807xi1>
  %3 = mlopt.concat %a, %b dim = 0 : tensor<9223372036854775806xi1>, tensor<1xi1> -> tensor<9223372036854775807xi1>
  // CHECK: return [[R0]], [[R1]], [[R2]], [[R3]]
  return %0, %1, %2, %3 : tensor<1xf32>, tensor<4611686018427387904xf32>, tensor<9223372036854775807x5xf32>, tensor<9223372036854775807xi1>
}
