// RUN: mlopt %s | mlopt | FileCheck %s
// RUN: mlopt %s --mlir-print-op-generic | mlopt | FileCheck %s

// Round trip of constant, the unary, binary and comparison ops, select and
// convert, in the custom and the generic form.

// CHECK-LABEL: func @constant
func.func @constant() -> (tensor<2xf32>, tensor<4x4xi64>, tensor<i1>, tensor<2x2xbf16>, tensor<3xf16>, tensor<f64>, tensor<2xi32>) {
  // CHECK: [[A:%.+]] = mlopt.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = mlopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: [[B:%.+]] = mlopt.constant dense<0> : tensor<4x4xi64>
  %1 = mlopt.constant dense<0> : tensor<4x4xi64>
  // CHECK: [[C:%.+]] = mlopt.constant dense<true> : tensor<i1>
  %2 = mlopt.constant dense<true> : tensor<i1>
  // CHECK: [[D:%.+]] = mlopt.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xbf16>
  %3 = mlopt.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xbf16>
  // CHECK: [[E:%.+]] = mlopt.constant dense<[5.000000e-01, -2.500000e-01, 0.000000e+00]> : tensor<3xf16>
  %4 = mlopt.constant dense<[0.5, -0.25, 0.0]> : tensor<3xf16>
  // CHECK: [[F:%.+]] = mlopt.constant dense<3.1415926535897931> : tensor<f64>
  %5 = mlopt.constant dense<3.1415926535897931> : tensor<f64>
  // CHECK: [[G:%.+]] = mlopt.constant dense<[-2147483648, 2147483647]> : tensor<2xi32>
  %6 = mlopt.constant dense<[-2147483648, 2147483647]> : tensor<2xi32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]], [[F]], [[G]]
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2xf32>, tensor<4x4xi64>, tensor<i1>, tensor<2x2xbf16>, tensor<3xf16>, tensor<f64>, tensor<2xi32>
}

// CHECK-LABEL: func @neg
// CHECK-SAME: ([[X:%.+]]: tensor<4x?xf32>, [[Y:%.+]]: tensor<3xi32>, [[Z:%.+]]: tensor<i64>)
func.func @neg(%x: tensor<4x?xf32>, %y: tensor<3xi32>, %z: tensor<i64>) -> (tensor<4x?xf32>, tensor<3xi32>, tensor<i64>) {
  // CHECK: [[A:%.+]] = mlopt.neg [[X]] : tensor<4x?xf32>
  %0 = mlopt.neg %x : tensor<4x?xf32>
  // CHECK: [[B:%.+]] = mlopt.neg [[Y]] : tensor<3xi32>
  %1 = mlopt.neg %y : tensor<3xi32>
  // CHECK: [[C:%.+]] = mlopt.neg [[Z]] : tensor<i64>
  %2 = mlopt.neg %z : tensor<i64>
  // CHECK: return [[A]], [[B]], [[C]]
  return %0, %1, %2 : tensor<4x?xf32>, tensor<3xi32>, tensor<i64>
}

// CHECK-LABEL: func @abs
// CHECK-SAME: ([[X:%.+]]: tensor<?xbf16>, [[Y:%.+]]: tensor<2x3xi64>)
func.func @abs(%x: tensor<?xbf16>, %y: tensor<2x3xi64>) -> (tensor<?xbf16>, tensor<2x3xi64>) {
  // CHECK: [[A:%.+]] = mlopt.abs [[X]] : tensor<?xbf16>
  %0 = mlopt.abs %x : tensor<?xbf16>
  // CHECK: [[B:%.+]] = mlopt.abs [[Y]] : tensor<2x3xi64>
  %1 = mlopt.abs %y : tensor<2x3xi64>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<?xbf16>, tensor<2x3xi64>
}

// CHECK-LABEL: func @sign
// CHECK-SAME: ([[X:%.+]]: tensor<8xf16>, [[Y:%.+]]: tensor<?x?xi32>)
func.func @sign(%x: tensor<8xf16>, %y: tensor<?x?xi32>) -> (tensor<8xf16>, tensor<?x?xi32>) {
  // CHECK: [[A:%.+]] = mlopt.sign [[X]] : tensor<8xf16>
  %0 = mlopt.sign %x : tensor<8xf16>
  // CHECK: [[B:%.+]] = mlopt.sign [[Y]] : tensor<?x?xi32>
  %1 = mlopt.sign %y : tensor<?x?xi32>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<8xf16>, tensor<?x?xi32>
}

// The float-only unary ops, over all four float types and static, dynamic
// and 0-d shapes.

// CHECK-LABEL: func @exp_log
// CHECK-SAME: ([[X:%.+]]: tensor<4x?xf32>, [[Y:%.+]]: tensor<f64>)
func.func @exp_log(%x: tensor<4x?xf32>, %y: tensor<f64>) -> (tensor<4x?xf32>, tensor<f64>, tensor<4x?xf32>, tensor<f64>) {
  // CHECK: [[A:%.+]] = mlopt.exp [[X]] : tensor<4x?xf32>
  %0 = mlopt.exp %x : tensor<4x?xf32>
  // CHECK: [[B:%.+]] = mlopt.log [[Y]] : tensor<f64>
  %1 = mlopt.log %y : tensor<f64>
  // CHECK: [[C:%.+]] = mlopt.log1p [[X]] : tensor<4x?xf32>
  %2 = mlopt.log1p %x : tensor<4x?xf32>
  // CHECK: [[D:%.+]] = mlopt.expm1 [[Y]] : tensor<f64>
  %3 = mlopt.expm1 %y : tensor<f64>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<4x?xf32>, tensor<f64>, tensor<4x?xf32>, tensor<f64>
}

// CHECK-LABEL: func @sqrt_rsqrt
// CHECK-SAME: ([[X:%.+]]: tensor<16xf16>, [[Y:%.+]]: tensor<?x2xbf16>)
func.func @sqrt_rsqrt(%x: tensor<16xf16>, %y: tensor<?x2xbf16>) -> (tensor<16xf16>, tensor<?x2xbf16>) {
  // CHECK: [[A:%.+]] = mlopt.sqrt [[X]] : tensor<16xf16>
  %0 = mlopt.sqrt %x : tensor<16xf16>
  // CHECK: [[B:%.+]] = mlopt.rsqrt [[Y]] : tensor<?x2xbf16>
  %1 = mlopt.rsqrt %y : tensor<?x2xbf16>
  // CHECK: return [[A]], [[B]]
  return %0, %1 : tensor<16xf16>, tensor<?x2xbf16>
}

// CHECK-LABEL: func @trig
// CHECK-SAME: ([[X:%.+]]: tensor<3x4xf64>, [[Y:%.+]]: tensor<?xf32>)
func.func @trig(%x: tensor<3x4xf64>, %y: tensor<?xf32>) -> (tensor<3x4xf64>, tensor<?xf32>, tensor<3x4xf64>, tensor<?xf32>, tensor<3x4xf64>) {
  // CHECK: [[A:%.+]] = mlopt.sin [[X]] : tensor<3x4xf64>
  %0 = mlopt.sin %x : tensor<3x4xf64>
  // CHECK: [[B:%.+]] = mlopt.cos [[Y]] : tensor<?xf32>
  %1 = mlopt.cos %y : tensor<?xf32>
  // CHECK: [[C:%.+]] = mlopt.tanh [[X]] : tensor<3x4xf64>
  %2 = mlopt.tanh %x : tensor<3x4xf64>
  // CHECK: [[D:%.+]] = mlopt.sigmoid [[Y]] : tensor<?xf32>
  %3 = mlopt.sigmoid %y : tensor<?xf32>
  // CHECK: [[E:%.+]] = mlopt.erf [[X]] : tensor<3x4xf64>
  %4 = mlopt.erf %x : tensor<3x4xf64>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]]
  return %0, %1, %2, %3, %4 : tensor<3x4xf64>, tensor<?xf32>, tensor<3x4xf64>, tensor<?xf32>, tensor<3x4xf64>
}

// CHECK-LABEL: func @rounding
// CHECK-SAME: ([[X:%.+]]: tensor<2x?x3xbf16>, [[Y:%.+]]: tensor<5xf16>, [[Z:%.+]]: tensor<f32>)
func.func @rounding(%x: tensor<2x?x3xbf16>, %y: tensor<5xf16>, %z: tensor<f32>) -> (tensor<2x?x3xbf16>, tensor<5xf16>, tensor<f32>) {
  // CHECK: [[A:%.+]] = mlopt.floor [[X]] : tensor<2x?x3xbf16>
  %0 = mlopt.floor %x : tensor<2x?x3xbf16>
  // CHECK: [[B:%.+]] = mlopt.ceil [[Y]] : tensor<5xf16>
  %1 = mlopt.ceil %y : tensor<5xf16>
  // CHECK: [[C:%.+]] = mlopt.round [[Z]] : tensor<f32>
  %2 = mlopt.round %z : tensor<f32>
  // CHECK: return [[A]], [[B]], [[C]]
  return %0, %1, %2 : tensor<2x?x3xbf16>, tensor<5xf16>, tensor<f32>
}

// CHECK-LABEL: func @not
// CHECK-SAME: ([[X:%.+]]: tensor<?x4xi1>)
func.func @not(%x: tensor<?x4xi1>) -> tensor<?x4xi1> {
  // CHECK: [[A:%.+]] = mlopt.not [[X]] : tensor<?x4xi1>
  %0 = mlopt.not %x : tensor<?x4xi1>
  // CHECK: return [[A]]
  return %0 : tensor<?x4xi1>
}

// isnan prints the operand type; the result is i1 of the same shape.
// CHECK-LABEL: func @isnan
// CHECK-SAME: ([[X:%.+]]: tensor<8xf16>, [[Y:%.+]]: tensor<?x3xf64>) -> (tensor<8xi1>, tensor<?x3xi1>)
func.func @isnan(%x: tensor<8xf16>, %y: tensor<?x3xf64>) -> (tensor<8xi1>, tensor<?x3xi1>) {
  // CHECK: [[A:%.+]] = mlopt.isnan [[X]] : tensor<8xf16>
  %0 = mlopt.isnan %x : tensor<8xf16>
  // CHECK: [[B:%.+]] = mlopt.isnan [[Y]] : tensor<?x3xf64>
  %1 = mlopt.isnan %y : tensor<?x3xf64>
  // CHECK: return [[A]], [[B]] : tensor<8xi1>, tensor<?x3xi1>
  return %0, %1 : tensor<8xi1>, tensor<?x3xi1>
}

// CHECK-LABEL: func @arith_float
// CHECK-SAME: ([[X:%.+]]: tensor<2x?xf32>, [[Y:%.+]]: tensor<2x?xf32>)
func.func @arith_float(%x: tensor<2x?xf32>, %y: tensor<2x?xf32>) -> (tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>) {
  // CHECK: [[A:%.+]] = mlopt.add [[X]], [[Y]] : tensor<2x?xf32>
  %0 = mlopt.add %x, %y : tensor<2x?xf32>
  // CHECK: [[B:%.+]] = mlopt.sub [[X]], [[Y]] : tensor<2x?xf32>
  %1 = mlopt.sub %x, %y : tensor<2x?xf32>
  // CHECK: [[C:%.+]] = mlopt.mul [[X]], [[Y]] : tensor<2x?xf32>
  %2 = mlopt.mul %x, %y : tensor<2x?xf32>
  // CHECK: [[D:%.+]] = mlopt.div [[X]], [[Y]] : tensor<2x?xf32>
  %3 = mlopt.div %x, %y : tensor<2x?xf32>
  // CHECK: [[E:%.+]] = mlopt.floor_div [[X]], [[Y]] : tensor<2x?xf32>
  %4 = mlopt.floor_div %x, %y : tensor<2x?xf32>
  // CHECK: [[F:%.+]] = mlopt.remainder [[X]], [[Y]] : tensor<2x?xf32>
  %5 = mlopt.remainder %x, %y : tensor<2x?xf32>
  // CHECK: [[G:%.+]] = mlopt.pow [[X]], [[Y]] : tensor<2x?xf32>
  %6 = mlopt.pow %x, %y : tensor<2x?xf32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]], [[F]], [[G]]
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>
}

// CHECK-LABEL: func @arith_int
// CHECK-SAME: ([[X:%.+]]: tensor<4xi64>, [[Y:%.+]]: tensor<4xi64>, [[Z:%.+]]: tensor<?xi32>)
func.func @arith_int(%x: tensor<4xi64>, %y: tensor<4xi64>, %z: tensor<?xi32>) -> (tensor<4xi64>, tensor<?xi32>, tensor<4xi64>, tensor<?xi32>, tensor<4xi64>, tensor<?xi32>, tensor<4xi64>) {
  // CHECK: [[A:%.+]] = mlopt.add [[X]], [[Y]] : tensor<4xi64>
  %0 = mlopt.add %x, %y : tensor<4xi64>
  // CHECK: [[B:%.+]] = mlopt.sub [[Z]], [[Z]] : tensor<?xi32>
  %1 = mlopt.sub %z, %z : tensor<?xi32>
  // CHECK: [[C:%.+]] = mlopt.mul [[X]], [[Y]] : tensor<4xi64>
  %2 = mlopt.mul %x, %y : tensor<4xi64>
  // CHECK: [[D:%.+]] = mlopt.div [[Z]], [[Z]] : tensor<?xi32>
  %3 = mlopt.div %z, %z : tensor<?xi32>
  // CHECK: [[E:%.+]] = mlopt.floor_div [[X]], [[Y]] : tensor<4xi64>
  %4 = mlopt.floor_div %x, %y : tensor<4xi64>
  // CHECK: [[F:%.+]] = mlopt.remainder [[Z]], [[Z]] : tensor<?xi32>
  %5 = mlopt.remainder %z, %z : tensor<?xi32>
  // CHECK: [[G:%.+]] = mlopt.pow [[X]], [[Y]] : tensor<4xi64>
  %6 = mlopt.pow %x, %y : tensor<4xi64>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]], [[F]], [[G]]
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xi64>, tensor<?xi32>, tensor<4xi64>, tensor<?xi32>, tensor<4xi64>, tensor<?xi32>, tensor<4xi64>
}

// CHECK-LABEL: func @min_max_atan2
// CHECK-SAME: ([[X:%.+]]: tensor<?x8xf16>, [[Y:%.+]]: tensor<?x8xf16>, [[Z:%.+]]: tensor<3xi32>, [[W:%.+]]: tensor<3xbf16>)
func.func @min_max_atan2(%x: tensor<?x8xf16>, %y: tensor<?x8xf16>, %z: tensor<3xi32>, %w: tensor<3xbf16>) -> (tensor<?x8xf16>, tensor<3xi32>, tensor<3xbf16>, tensor<?x8xf16>) {
  // CHECK: [[A:%.+]] = mlopt.maximum [[X]], [[Y]] : tensor<?x8xf16>
  %0 = mlopt.maximum %x, %y : tensor<?x8xf16>
  // CHECK: [[B:%.+]] = mlopt.minimum [[Z]], [[Z]] : tensor<3xi32>
  %1 = mlopt.minimum %z, %z : tensor<3xi32>
  // CHECK: [[C:%.+]] = mlopt.atan2 [[W]], [[W]] : tensor<3xbf16>
  %2 = mlopt.atan2 %w, %w : tensor<3xbf16>
  // CHECK: [[D:%.+]] = mlopt.atan2 [[Y]], [[X]] : tensor<?x8xf16>
  %3 = mlopt.atan2 %y, %x : tensor<?x8xf16>
  // CHECK: return [[A]], [[B]], [[C]], [[D]]
  return %0, %1, %2, %3 : tensor<?x8xf16>, tensor<3xi32>, tensor<3xbf16>, tensor<?x8xf16>
}

// CHECK-LABEL: func @logical
// CHECK-SAME: ([[X:%.+]]: tensor<4x?xi1>, [[Y:%.+]]: tensor<4x?xi1>)
func.func @logical(%x: tensor<4x?xi1>, %y: tensor<4x?xi1>) -> (tensor<4x?xi1>, tensor<4x?xi1>, tensor<4x?xi1>) {
  // CHECK: [[A:%.+]] = mlopt.and [[X]], [[Y]] : tensor<4x?xi1>
  %0 = mlopt.and %x, %y : tensor<4x?xi1>
  // CHECK: [[B:%.+]] = mlopt.or [[X]], [[Y]] : tensor<4x?xi1>
  %1 = mlopt.or %x, %y : tensor<4x?xi1>
  // CHECK: [[C:%.+]] = mlopt.xor [[Y]], [[X]] : tensor<4x?xi1>
  %2 = mlopt.xor %y, %x : tensor<4x?xi1>
  // CHECK: return [[A]], [[B]], [[C]]
  return %0, %1, %2 : tensor<4x?xi1>, tensor<4x?xi1>, tensor<4x?xi1>
}

// Comparisons print the operand type; the result is i1.
// CHECK-LABEL: func @compare
// CHECK-SAME: ([[X:%.+]]: tensor<4xf32>, [[Y:%.+]]: tensor<4xf32>, [[I:%.+]]: tensor<?x2xi64>, [[B:%.+]]: tensor<3xi1>, [[H:%.+]]: tensor<f16>)
func.func @compare(%x: tensor<4xf32>, %y: tensor<4xf32>, %i: tensor<?x2xi64>, %b: tensor<3xi1>, %h: tensor<f16>)
    -> (tensor<4xi1>, tensor<?x2xi1>, tensor<3xi1>, tensor<4xi1>, tensor<?x2xi1>, tensor<i1>) {
  // CHECK: [[R0:%.+]] = mlopt.eq [[X]], [[Y]] : tensor<4xf32>
  %0 = mlopt.eq %x, %y : tensor<4xf32>
  // CHECK: [[R1:%.+]] = mlopt.ne [[I]], [[I]] : tensor<?x2xi64>
  %1 = mlopt.ne %i, %i : tensor<?x2xi64>
  // CHECK: [[R2:%.+]] = mlopt.lt [[B]], [[B]] : tensor<3xi1>
  %2 = mlopt.lt %b, %b : tensor<3xi1>
  // CHECK: [[R3:%.+]] = mlopt.le [[Y]], [[X]] : tensor<4xf32>
  %3 = mlopt.le %y, %x : tensor<4xf32>
  // CHECK: [[R4:%.+]] = mlopt.gt [[I]], [[I]] : tensor<?x2xi64>
  %4 = mlopt.gt %i, %i : tensor<?x2xi64>
  // CHECK: [[R5:%.+]] = mlopt.ge [[H]], [[H]] : tensor<f16>
  %5 = mlopt.ge %h, %h : tensor<f16>
  // CHECK: return [[R0]], [[R1]], [[R2]], [[R3]], [[R4]], [[R5]] : tensor<4xi1>, tensor<?x2xi1>, tensor<3xi1>, tensor<4xi1>, tensor<?x2xi1>, tensor<i1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<?x2xi1>, tensor<3xi1>, tensor<4xi1>, tensor<?x2xi1>, tensor<i1>
}

// CHECK-LABEL: func @select
// CHECK-SAME: ([[C:%.+]]: tensor<4xi1>, [[A:%.+]]: tensor<4xf32>, [[B:%.+]]: tensor<4xf32>, [[D:%.+]]: tensor<?x3xi1>, [[E:%.+]]: tensor<?x3xi64>, [[F:%.+]]: tensor<?x3xi64>, [[G:%.+]]: tensor<i1>)
func.func @select(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>, %d: tensor<?x3xi1>, %e: tensor<?x3xi64>, %f: tensor<?x3xi64>, %g: tensor<i1>)
    -> (tensor<4xf32>, tensor<?x3xi64>, tensor<i1>) {
  // CHECK: [[R0:%.+]] = mlopt.select [[C]], [[A]], [[B]] : tensor<4xi1>, tensor<4xf32>
  %0 = mlopt.select %c, %a, %b : tensor<4xi1>, tensor<4xf32>
  // CHECK: [[R1:%.+]] = mlopt.select [[D]], [[E]], [[F]] : tensor<?x3xi1>, tensor<?x3xi64>
  %1 = mlopt.select %d, %e, %f : tensor<?x3xi1>, tensor<?x3xi64>
  // Bool values: the condition and the alternatives have one type.
  // CHECK: [[R2:%.+]] = mlopt.select [[G]], [[G]], [[G]] : tensor<i1>, tensor<i1>
  %2 = mlopt.select %g, %g, %g : tensor<i1>, tensor<i1>
  // CHECK: return [[R0]], [[R1]], [[R2]]
  return %0, %1, %2 : tensor<4xf32>, tensor<?x3xi64>, tensor<i1>
}

// CHECK-LABEL: func @convert
// CHECK-SAME: ([[X:%.+]]: tensor<8xf32>, [[Y:%.+]]: tensor<?x2xi1>, [[Z:%.+]]: tensor<3xbf16>, [[W:%.+]]: tensor<i64>)
func.func @convert(%x: tensor<8xf32>, %y: tensor<?x2xi1>, %z: tensor<3xbf16>, %w: tensor<i64>)
    -> (tensor<8xi64>, tensor<8xf16>, tensor<?x2xf64>, tensor<3xf32>, tensor<i32>, tensor<i1>, tensor<8xf32>) {
  // CHECK: [[A:%.+]] = mlopt.convert [[X]] : tensor<8xf32> -> tensor<8xi64>
  %0 = mlopt.convert %x : tensor<8xf32> -> tensor<8xi64>
  // CHECK: [[B:%.+]] = mlopt.convert [[X]] : tensor<8xf32> -> tensor<8xf16>
  %1 = mlopt.convert %x : tensor<8xf32> -> tensor<8xf16>
  // CHECK: [[C:%.+]] = mlopt.convert [[Y]] : tensor<?x2xi1> -> tensor<?x2xf64>
  %2 = mlopt.convert %y : tensor<?x2xi1> -> tensor<?x2xf64>
  // CHECK: [[D:%.+]] = mlopt.convert [[Z]] : tensor<3xbf16> -> tensor<3xf32>
  %3 = mlopt.convert %z : tensor<3xbf16> -> tensor<3xf32>
  // CHECK: [[E:%.+]] = mlopt.convert [[W]] : tensor<i64> -> tensor<i32>
  %4 = mlopt.convert %w : tensor<i64> -> tensor<i32>
  // CHECK: [[F:%.+]] = mlopt.convert [[W]] : tensor<i64> -> tensor<i1>
  %5 = mlopt.convert %w : tensor<i64> -> tensor<i1>
  // Converting to the same type is allowed (and folds away only under
  // canonicalization).
  // CHECK: [[G:%.+]] = mlopt.convert [[X]] : tensor<8xf32> -> tensor<8xf32>
  %6 = mlopt.convert %x : tensor<8xf32> -> tensor<8xf32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]], [[F]], [[G]]
  return %0, %1, %2, %3, %4, %5, %6 : tensor<8xi64>, tensor<8xf16>, tensor<?x2xf64>, tensor<3xf32>, tensor<i32>, tensor<i1>, tensor<8xf32>
}

// convert keeps the shape, but like the ops with a shape rule it accepts a
// compatible one: a `?` on either side of a static size.
// CHECK-LABEL: func @convert_compatible_shapes
// CHECK-SAME: ([[X:%.+]]: tensor<8x4xf32>, [[Y:%.+]]: tensor<?x3xbf16>, [[Z:%.+]]: tensor<?x5xi64>)
func.func @convert_compatible_shapes(%x: tensor<8x4xf32>, %y: tensor<?x3xbf16>, %z: tensor<?x5xi64>)
    -> (tensor<?x4xf16>, tensor<2x?xf32>, tensor<?x?xf32>, tensor<3x5xi32>, tensor<?x4xf32>) {
  // CHECK: [[A:%.+]] = mlopt.convert [[X]] : tensor<8x4xf32> -> tensor<?x4xf16>
  %0 = mlopt.convert %x : tensor<8x4xf32> -> tensor<?x4xf16>
  // CHECK: [[B:%.+]] = mlopt.convert [[Y]] : tensor<?x3xbf16> -> tensor<2x?xf32>
  %1 = mlopt.convert %y : tensor<?x3xbf16> -> tensor<2x?xf32>
  // CHECK: [[C:%.+]] = mlopt.convert [[X]] : tensor<8x4xf32> -> tensor<?x?xf32>
  %2 = mlopt.convert %x : tensor<8x4xf32> -> tensor<?x?xf32>
  // CHECK: [[D:%.+]] = mlopt.convert [[Z]] : tensor<?x5xi64> -> tensor<3x5xi32>
  %3 = mlopt.convert %z : tensor<?x5xi64> -> tensor<3x5xi32>
  // Only the shape changes: no element conversion at all.
  // CHECK: [[E:%.+]] = mlopt.convert [[X]] : tensor<8x4xf32> -> tensor<?x4xf32>
  %4 = mlopt.convert %x : tensor<8x4xf32> -> tensor<?x4xf32>
  // CHECK: return [[A]], [[B]], [[C]], [[D]], [[E]]
  return %0, %1, %2, %3, %4 : tensor<?x4xf16>, tensor<2x?xf32>, tensor<?x?xf32>, tensor<3x5xi32>, tensor<?x4xf32>
}
