// RUN: mlopt %s --split-input-file --canonicalize | FileCheck %s
// RUN: mlopt %s --split-input-file --canonicalize | mlopt --split-input-file | FileCheck %s

// Constant folding and identity folds of the mlopt ops.

//===----------------------------------------------------------------------===//
// Unary constant folding
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @fold_unary_f32
func.func @fold_unary_f32() -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-DAG: [[NEG:%.+]] = mlopt.constant dense<[-0.000000e+00, -1.000000e+00, -2.500000e+00, 5.000000e-01]> : tensor<4xf32>
  // CHECK-DAG: [[ABS:%.+]] = mlopt.constant dense<[0.000000e+00, 1.000000e+00, 2.500000e+00, 5.000000e-01]> : tensor<4xf32>
  // CHECK-DAG: [[SIGN:%.+]] = mlopt.constant dense<[0.000000e+00, 1.000000e+00, 1.000000e+00, -1.000000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[FLOOR:%.+]] = mlopt.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, -1.000000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[CEIL:%.+]] = mlopt.constant dense<[0.000000e+00, 1.000000e+00, 3.000000e+00, -0.000000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[EXP:%.+]] = mlopt.constant dense<[1.000000e+00, 2.71828175, 12.1824942, 0.606530666]> : tensor<4xf32>
  // CHECK-NOT: mlopt.neg
  // CHECK-NOT: mlopt.abs
  // CHECK-NOT: mlopt.sign
  // CHECK-NOT: mlopt.exp
  // CHECK: return [[NEG]], [[ABS]], [[SIGN]], [[FLOOR]], [[CEIL]], [[EXP]]
  %c = mlopt.constant dense<[0.0, 1.0, 2.5, -0.5]> : tensor<4xf32>
  %0 = mlopt.neg %c : tensor<4xf32>
  %1 = mlopt.abs %c : tensor<4xf32>
  %2 = mlopt.sign %c : tensor<4xf32>
  %3 = mlopt.floor %c : tensor<4xf32>
  %4 = mlopt.ceil %c : tensor<4xf32>
  %5 = mlopt.exp %c : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// round is torch.round: halfway cases go to the even neighbour.
// CHECK-LABEL: func @fold_round_half_even
func.func @fold_round_half_even() -> tensor<7xf32> {
  // CHECK: [[R:%.+]] = mlopt.constant dense<[0.000000e+00, 2.000000e+00, 2.000000e+00, -0.000000e+00, -2.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<7xf32>
  // CHECK-NOT: mlopt.round
  // CHECK: return [[R]]
  %c = mlopt.constant dense<[0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6]> : tensor<7xf32>
  %0 = mlopt.round %c : tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

// Inputs with exact results, so the folded values do not depend on libm.
// CHECK-LABEL: func @fold_unary_f64
func.func @fold_unary_f64() -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>) {
  // CHECK-DAG: [[LOG:%.+]] = mlopt.constant dense<[0xFFF0000000000000, 0.000000e+00, 0x{{[7F]}}FF8000000000000, 0x7FF0000000000000]> : tensor<4xf64>
  // CHECK-DAG: [[SQRT:%.+]] = mlopt.constant dense<[0.000000e+00, 1.000000e+00, 0x{{[7F]}}FF8000000000000, 0x7FF0000000000000]> : tensor<4xf64>
  // CHECK-DAG: [[RSQRT:%.+]] = mlopt.constant dense<[0x7FF0000000000000, 1.000000e+00, 0x{{[7F]}}FF8000000000000, 0.000000e+00]> : tensor<4xf64>
  // CHECK-DAG: [[LOG1P:%.+]] = mlopt.constant dense<[0.000000e+00, 0.69314718055994529, 0xFFF0000000000000, 0x7FF0000000000000]> : tensor<4xf64>
  // CHECK-DAG: [[ZERO:%.+]] = mlopt.constant dense<0.000000e+00> : tensor<2xf64>
  // CHECK-DAG: [[ONE:%.+]] = mlopt.constant dense<1.000000e+00> : tensor<2xf64>
  // CHECK-DAG: [[HALF:%.+]] = mlopt.constant dense<5.000000e-01> : tensor<2xf64>
  // CHECK: return [[LOG]], [[SQRT]], [[RSQRT]], [[LOG1P]], [[ZERO]], [[ZERO]], [[ONE]], [[ZERO]], [[HALF]], [[ZERO]]
  %c = mlopt.constant dense<[0.0, 1.0, -1.0, 0x7FF0000000000000]> : tensor<4xf64>
  %0 = mlopt.log %c : tensor<4xf64>
  %1 = mlopt.sqrt %c : tensor<4xf64>
  %2 = mlopt.rsqrt %c : tensor<4xf64>
  %3 = mlopt.log1p %c : tensor<4xf64>
  %z = mlopt.constant dense<0.0> : tensor<2xf64>
  %4 = mlopt.expm1 %z : tensor<2xf64>
  %5 = mlopt.sin %z : tensor<2xf64>
  %6 = mlopt.cos %z : tensor<2xf64>
  %7 = mlopt.tanh %z : tensor<2xf64>
  %8 = mlopt.sigmoid %z : tensor<2xf64>
  %9 = mlopt.erf %z : tensor<2xf64>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>
}

// -----

// Folding computes in double and rounds once to the element type.
// e^2 = 7.389056 is 7.390625 in f16 and 7.375 in bf16; e^3 = 20.0855 is
// 20.078125 in f16 and 20.125 in bf16.
// CHECK-LABEL: func @fold_unary_half_rounding
func.func @fold_unary_half_rounding() -> (tensor<3xf16>, tensor<3xbf16>) {
  // CHECK-DAG: [[H:%.+]] = mlopt.constant dense<[2.718750e+00, 7.390630e+00, 2.007810e+01]> : tensor<3xf16>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<[2.718750e+00, 7.375000e+00, 2.012500e+01]> : tensor<3xbf16>
  // CHECK-NOT: mlopt.exp
  // CHECK: return [[H]], [[B]]
  %h = mlopt.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf16>
  %0 = mlopt.exp %h : tensor<3xf16>
  %b = mlopt.constant dense<[1.0, 2.0, 3.0]> : tensor<3xbf16>
  %1 = mlopt.exp %b : tensor<3xbf16>
  return %0, %1 : tensor<3xf16>, tensor<3xbf16>
}

// -----

// Integer negation and abs wrap: -INT_MIN and |INT_MIN| are INT_MIN.
// CHECK-LABEL: func @fold_unary_int
func.func @fold_unary_int() -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<3xi64>, tensor<3xi1>) {
  // CHECK-DAG: [[NEG:%.+]] = mlopt.constant dense<[0, -7, 3, -2147483648]> : tensor<4xi32>
  // CHECK-DAG: [[ABS:%.+]] = mlopt.constant dense<[0, 7, 3, -2147483648]> : tensor<4xi32>
  // CHECK-DAG: [[SIGN:%.+]] = mlopt.constant dense<[0, 1, -1, -1]> : tensor<4xi32>
  // CHECK-DAG: [[NEG64:%.+]] = mlopt.constant dense<[-9223372036854775808, -5, 5]> : tensor<3xi64>
  // CHECK-DAG: [[NOT:%.+]] = mlopt.constant dense<[false, true, false]> : tensor<3xi1>
  // CHECK: return [[NEG]], [[ABS]], [[SIGN]], [[NEG64]], [[NOT]]
  %c = mlopt.constant dense<[0, 7, -3, -2147483648]> : tensor<4xi32>
  %0 = mlopt.neg %c : tensor<4xi32>
  %1 = mlopt.abs %c : tensor<4xi32>
  %2 = mlopt.sign %c : tensor<4xi32>
  %l = mlopt.constant dense<[-9223372036854775808, 5, -5]> : tensor<3xi64>
  %3 = mlopt.neg %l : tensor<3xi64>
  %b = mlopt.constant dense<[true, false, true]> : tensor<3xi1>
  %4 = mlopt.not %b : tensor<3xi1>
  return %0, %1, %2, %3, %4 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<3xi64>, tensor<3xi1>
}

// -----

// CHECK-LABEL: func @fold_isnan
func.func @fold_isnan() -> (tensor<4xi1>, tensor<2xi1>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.constant dense<[true, false, false, false]> : tensor<4xi1>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<true> : tensor<2xi1>
  // CHECK-NOT: mlopt.isnan
  // CHECK: return [[A]], [[B]]
  %c = mlopt.constant dense<[0x7FC00000, 1.0, 0x7F800000, -0.0]> : tensor<4xf32>
  %0 = mlopt.isnan %c : tensor<4xf32>
  %h = mlopt.constant dense<0x7E00> : tensor<2xf16>
  %1 = mlopt.isnan %h : tensor<2xf16>
  return %0, %1 : tensor<4xi1>, tensor<2xi1>
}

// -----

//===----------------------------------------------------------------------===//
// Binary constant folding
//===----------------------------------------------------------------------===//

// Integer division truncates (as C); floor_div and remainder follow Python:
// 7 // -2 = -4, -7 % 2 = 1, 7 % -2 = -1.
// CHECK-LABEL: func @fold_binary_int
func.func @fold_binary_int() -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  // CHECK-DAG: [[ADD:%.+]] = mlopt.constant dense<[9, -5, 5, -9]> : tensor<4xi32>
  // CHECK-DAG: [[SUB:%.+]] = mlopt.constant dense<[5, -9, 9, -5]> : tensor<4xi32>
  // CHECK-DAG: [[MUL:%.+]] = mlopt.constant dense<[14, -14, -14, 14]> : tensor<4xi32>
  // CHECK-DAG: [[DIV:%.+]] = mlopt.constant dense<[3, -3, -3, 3]> : tensor<4xi32>
  // CHECK-DAG: [[FDIV:%.+]] = mlopt.constant dense<[3, -4, -4, 3]> : tensor<4xi32>
  // CHECK-DAG: [[REM:%.+]] = mlopt.constant dense<[1, 1, -1, -1]> : tensor<4xi32>
  // CHECK-DAG: [[MAX:%.+]] = mlopt.constant dense<[7, 2, 7, -2]> : tensor<4xi32>
  // CHECK-DAG: [[MIN:%.+]] = mlopt.constant dense<[2, -7, -2, -7]> : tensor<4xi32>
  // CHECK: return [[ADD]], [[SUB]], [[MUL]], [[DIV]], [[FDIV]], [[REM]], [[MAX]], [[MIN]]
  %a = mlopt.constant dense<[7, -7, 7, -7]> : tensor<4xi32>
  %b = mlopt.constant dense<[2, 2, -2, -2]> : tensor<4xi32>
  %0 = mlopt.add %a, %b : tensor<4xi32>
  %1 = mlopt.sub %a, %b : tensor<4xi32>
  %2 = mlopt.mul %a, %b : tensor<4xi32>
  %3 = mlopt.div %a, %b : tensor<4xi32>
  %4 = mlopt.floor_div %a, %b : tensor<4xi32>
  %5 = mlopt.remainder %a, %b : tensor<4xi32>
  %6 = mlopt.maximum %a, %b : tensor<4xi32>
  %7 = mlopt.minimum %a, %b : tensor<4xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// Float floor_div and remainder also follow Python: the remainder has the
// sign of the divisor.
// CHECK-LABEL: func @fold_binary_float
func.func @fold_binary_float() -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-DAG: [[ADD:%.+]] = mlopt.constant dense<[9.500000e+00, -5.500000e+00, 5.500000e+00, -9.500000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[SUB:%.+]] = mlopt.constant dense<[5.500000e+00, -9.500000e+00, 9.500000e+00, -5.500000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[MUL:%.+]] = mlopt.constant dense<[1.500000e+01, -1.500000e+01, -1.500000e+01, 1.500000e+01]> : tensor<4xf32>
  // CHECK-DAG: [[DIV:%.+]] = mlopt.constant dense<[3.750000e+00, -3.750000e+00, -3.750000e+00, 3.750000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[FDIV:%.+]] = mlopt.constant dense<[3.000000e+00, -4.000000e+00, -4.000000e+00, 3.000000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[REM:%.+]] = mlopt.constant dense<[1.500000e+00, 5.000000e-01, -5.000000e-01, -1.500000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[POW:%.+]] = mlopt.constant dense<[5.625000e+01, 5.625000e+01, 0.0177777782, 0.0177777782]> : tensor<4xf32>
  // CHECK-DAG: [[MAX:%.+]] = mlopt.constant dense<[7.500000e+00, 2.000000e+00, 7.500000e+00, -2.000000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[MIN:%.+]] = mlopt.constant dense<[2.000000e+00, -7.500000e+00, -2.000000e+00, -7.500000e+00]> : tensor<4xf32>
  // CHECK: return [[ADD]], [[SUB]], [[MUL]], [[DIV]], [[FDIV]], [[REM]], [[POW]], [[MAX]], [[MIN]]
  %a = mlopt.constant dense<[7.5, -7.5, 7.5, -7.5]> : tensor<4xf32>
  %b = mlopt.constant dense<[2.0, 2.0, -2.0, -2.0]> : tensor<4xf32>
  %0 = mlopt.add %a, %b : tensor<4xf32>
  %1 = mlopt.sub %a, %b : tensor<4xf32>
  %2 = mlopt.mul %a, %b : tensor<4xf32>
  %3 = mlopt.div %a, %b : tensor<4xf32>
  %4 = mlopt.floor_div %a, %b : tensor<4xf32>
  %5 = mlopt.remainder %a, %b : tensor<4xf32>
  %6 = mlopt.pow %a, %b : tensor<4xf32>
  %7 = mlopt.maximum %a, %b : tensor<4xf32>
  %8 = mlopt.minimum %a, %b : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func @fold_atan2
func.func @fold_atan2() -> tensor<4xf64> {
  // atan2(0, 1) = 0, atan2(0, -1) = pi, atan2(-0, -1) = -pi, atan2(0, 0) = 0
  // CHECK: [[R:%.+]] = mlopt.constant dense<[0.000000e+00, 3.1415926535897931, -3.1415926535897931, 0.000000e+00]> : tensor<4xf64>
  // CHECK-NOT: mlopt.atan2
  // CHECK: return [[R]]
  %y = mlopt.constant dense<[0.0, 0.0, -0.0, 0.0]> : tensor<4xf64>
  %x = mlopt.constant dense<[1.0, -1.0, -1.0, 0.0]> : tensor<4xf64>
  %0 = mlopt.atan2 %y, %x : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

// maximum and minimum propagate NaN from either side.
// CHECK-LABEL: func @fold_max_min_nan
func.func @fold_max_min_nan() -> (tensor<3xf32>, tensor<3xf32>) {
  // CHECK-DAG: [[MAX:%.+]] = mlopt.constant dense<[0x7FC00000, 0x7FC00000, 2.000000e+00]> : tensor<3xf32>
  // CHECK-DAG: [[MIN:%.+]] = mlopt.constant dense<[0x7FC00000, 0x7FC00000, 1.000000e+00]> : tensor<3xf32>
  // CHECK: return [[MAX]], [[MIN]]
  %a = mlopt.constant dense<[0x7FC00000, 1.0, 1.0]> : tensor<3xf32>
  %b = mlopt.constant dense<[1.0, 0x7FC00000, 2.0]> : tensor<3xf32>
  %0 = mlopt.maximum %a, %b : tensor<3xf32>
  %1 = mlopt.minimum %a, %b : tensor<3xf32>
  return %0, %1 : tensor<3xf32>, tensor<3xf32>
}

// -----

// f16 and bf16 results round to nearest even: 2048 + 1 is 2048 in f16,
// 65504 + 32 overflows to inf, 256 + 1 is 256 in bf16, 1 + 2^-8 is 1.
// CHECK-LABEL: func @fold_binary_half_rounding
func.func @fold_binary_half_rounding() -> (tensor<2xf16>, tensor<2xbf16>) {
  // CHECK-DAG: [[H:%.+]] = mlopt.constant dense<[2.048000e+03, 0x7C00]> : tensor<2xf16>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<[2.560000e+02, 1.000000e+00]> : tensor<2xbf16>
  // CHECK-NOT: mlopt.add
  // CHECK: return [[H]], [[B]]
  %a = mlopt.constant dense<[2048.0, 65504.0]> : tensor<2xf16>
  %b = mlopt.constant dense<[1.0, 32.0]> : tensor<2xf16>
  %0 = mlopt.add %a, %b : tensor<2xf16>
  %c = mlopt.constant dense<[256.0, 1.0]> : tensor<2xbf16>
  %d = mlopt.constant dense<[1.0, 0.00390625]> : tensor<2xbf16>
  %1 = mlopt.add %c, %d : tensor<2xbf16>
  return %0, %1 : tensor<2xf16>, tensor<2xbf16>
}

// -----

// Integer arithmetic wraps (two's complement), in i32 and in i64.
// CHECK-LABEL: func @fold_int_wrap
func.func @fold_int_wrap() -> (tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) {
  // CHECK-DAG: [[ADD:%.+]] = mlopt.constant dense<[-2147483648, 2147483647]> : tensor<2xi32>
  // CHECK-DAG: [[SUB:%.+]] = mlopt.constant dense<[-2147483646, 2147483647]> : tensor<2xi32>
  // CHECK-DAG: [[MUL:%.+]] = mlopt.constant dense<[1, 0]> : tensor<2xi32>
  // CHECK-DAG: [[ADD64:%.+]] = mlopt.constant dense<[-9223372036854775808, 9223372036854775807]> : tensor<2xi64>
  // CHECK-DAG: [[MUL64:%.+]] = mlopt.constant dense<[-2, 0]> : tensor<2xi64>
  // INT_MIN / -1 wraps to INT_MIN, and INT_MIN % -1 is 0.
  // CHECK-DAG: [[DIV:%.+]] = mlopt.constant dense<[2147483647, -2147483648]> : tensor<2xi32>
  // CHECK-DAG: [[REM:%.+]] = mlopt.constant dense<0> : tensor<2xi32>
  // CHECK: return [[ADD]], [[SUB]], [[MUL]], [[ADD64]], [[MUL64]], [[DIV]], [[DIV]], [[REM]]
  %a = mlopt.constant dense<[2147483647, -2147483648]> : tensor<2xi32>
  %b = mlopt.constant dense<[1, -1]> : tensor<2xi32>
  %0 = mlopt.add %a, %b : tensor<2xi32>
  %1 = mlopt.sub %b, %a : tensor<2xi32>
  %2 = mlopt.mul %a, %a : tensor<2xi32>
  %l = mlopt.constant dense<[9223372036854775807, -9223372036854775808]> : tensor<2xi64>
  %m = mlopt.constant dense<[1, -1]> : tensor<2xi64>
  %3 = mlopt.add %l, %m : tensor<2xi64>
  %two = mlopt.constant dense<2> : tensor<2xi64>
  %4 = mlopt.mul %l, %two : tensor<2xi64>
  %5 = mlopt.div %a, %b : tensor<2xi32>
  %6 = mlopt.floor_div %a, %b : tensor<2xi32>
  %7 = mlopt.remainder %a, %b : tensor<2xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>
}

// -----

// Integer division by zero is a run-time error, not a constant: nothing is
// folded, not even the elements with a non-zero divisor.
// CHECK-LABEL: func @no_fold_int_div_by_zero
func.func @no_fold_int_div_by_zero() -> (tensor<2xi32>, tensor<2xi32>, tensor<2xi64>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.constant dense<[6, 2]> : tensor<2xi32>
  // CHECK-DAG: [[Z:%.+]] = mlopt.constant dense<[3, 0]> : tensor<2xi32>
  // CHECK-DAG: [[L:%.+]] = mlopt.constant dense<5> : tensor<2xi64>
  // CHECK-DAG: [[LZ:%.+]] = mlopt.constant dense<0> : tensor<2xi64>
  // CHECK-DAG: [[DIV:%.+]] = mlopt.div [[A]], [[Z]] : tensor<2xi32>
  // CHECK-DAG: [[FDIV:%.+]] = mlopt.floor_div [[A]], [[Z]] : tensor<2xi32>
  // CHECK-DAG: [[REM:%.+]] = mlopt.remainder [[L]], [[LZ]] : tensor<2xi64>
  // CHECK: return [[DIV]], [[FDIV]], [[REM]]
  %a = mlopt.constant dense<[6, 2]> : tensor<2xi32>
  %z = mlopt.constant dense<[3, 0]> : tensor<2xi32>
  %0 = mlopt.div %a, %z : tensor<2xi32>
  %1 = mlopt.floor_div %a, %z : tensor<2xi32>
  %l = mlopt.constant dense<5> : tensor<2xi64>
  %lz = mlopt.constant dense<0> : tensor<2xi64>
  %2 = mlopt.remainder %l, %lz : tensor<2xi64>
  return %0, %1, %2 : tensor<2xi32>, tensor<2xi32>, tensor<2xi64>
}

// -----

// Float division by zero has a value: +-inf, and NaN for the remainder.
// CHECK-LABEL: func @fold_float_div_by_zero
func.func @fold_float_div_by_zero() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  // CHECK-DAG: [[INF:%.+]] = mlopt.constant dense<[0x7F800000, 0xFF800000]> : tensor<2xf32>
  // CHECK-DAG: [[NAN:%.+]] = mlopt.constant dense<0x{{[7F]}}FC00000> : tensor<2xf32>
  // CHECK-NOT: mlopt.div
  // CHECK-NOT: mlopt.floor_div
  // CHECK-NOT: mlopt.remainder
  // CHECK: return [[INF]], [[INF]], [[NAN]]
  %f = mlopt.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %z = mlopt.constant dense<0.0> : tensor<2xf32>
  %0 = mlopt.div %f, %z : tensor<2xf32>
  %1 = mlopt.floor_div %f, %z : tensor<2xf32>
  %2 = mlopt.remainder %f, %z : tensor<2xf32>
  return %0, %1, %2 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// Integer pow folds (wrapping); a negative exponent is an error in PyTorch
// and is not folded.
// CHECK-LABEL: func @fold_int_pow
func.func @fold_int_pow() -> (tensor<4xi32>, tensor<2xi64>) {
  // CHECK-DAG: [[P:%.+]] = mlopt.constant dense<[81, -8, 1, -2147483648]> : tensor<4xi32>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<2> : tensor<2xi64>
  // CHECK-DAG: [[E:%.+]] = mlopt.constant dense<[3, -1]> : tensor<2xi64>
  // CHECK: [[NEG:%.+]] = mlopt.pow [[B]], [[E]] : tensor<2xi64>
  // CHECK: return [[P]], [[NEG]]
  %a = mlopt.constant dense<[3, -2, 0, 2]> : tensor<4xi32>
  %b = mlopt.constant dense<[4, 3, 0, 31]> : tensor<4xi32>
  %0 = mlopt.pow %a, %b : tensor<4xi32>
  %c = mlopt.constant dense<2> : tensor<2xi64>
  %d = mlopt.constant dense<[3, -1]> : tensor<2xi64>
  %1 = mlopt.pow %c, %d : tensor<2xi64>
  return %0, %1 : tensor<4xi32>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func @fold_logical
func.func @fold_logical() -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  // CHECK-DAG: [[AND:%.+]] = mlopt.constant dense<[true, false, false, false]> : tensor<4xi1>
  // CHECK-DAG: [[OR:%.+]] = mlopt.constant dense<[true, true, true, false]> : tensor<4xi1>
  // CHECK-DAG: [[XOR:%.+]] = mlopt.constant dense<[false, true, true, false]> : tensor<4xi1>
  // CHECK: return [[AND]], [[OR]], [[XOR]]
  %a = mlopt.constant dense<[true, true, false, false]> : tensor<4xi1>
  %b = mlopt.constant dense<[true, false, true, false]> : tensor<4xi1>
  %0 = mlopt.and %a, %b : tensor<4xi1>
  %1 = mlopt.or %a, %b : tensor<4xi1>
  %2 = mlopt.xor %a, %b : tensor<4xi1>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

// NaN compares false except with ne; -0.0 == 0.0.
// CHECK-LABEL: func @fold_compare_float
func.func @fold_compare_float() -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  // CHECK-DAG: [[EQ:%.+]] = mlopt.constant dense<[false, true, false, true]> : tensor<4xi1>
  // CHECK-DAG: [[NE:%.+]] = mlopt.constant dense<[true, false, true, false]> : tensor<4xi1>
  // CHECK-DAG: [[LT:%.+]] = mlopt.constant dense<[true, false, false, false]> : tensor<4xi1>
  // CHECK-DAG: [[LE:%.+]] = mlopt.constant dense<[true, true, false, true]> : tensor<4xi1>
  // CHECK-DAG: [[GT:%.+]] = mlopt.constant dense<false> : tensor<4xi1>
  // ge gives the same values as eq here: one constant serves both.
  // CHECK: return [[EQ]], [[NE]], [[LT]], [[LE]], [[GT]], [[EQ]]
  %a = mlopt.constant dense<[1.0, 2.0, 0x7FC00000, -0.0]> : tensor<4xf32>
  %b = mlopt.constant dense<[2.0, 2.0, 0x7FC00000, 0.0]> : tensor<4xf32>
  %0 = mlopt.eq %a, %b : tensor<4xf32>
  %1 = mlopt.ne %a, %b : tensor<4xf32>
  %2 = mlopt.lt %a, %b : tensor<4xf32>
  %3 = mlopt.le %a, %b : tensor<4xf32>
  %4 = mlopt.gt %a, %b : tensor<4xf32>
  %5 = mlopt.ge %a, %b : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// Integers compare signed; bools compare as 0 and 1.
// CHECK-LABEL: func @fold_compare_int
func.func @fold_compare_int() -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) {
  // CHECK-DAG: [[LT:%.+]] = mlopt.constant dense<[true, false, false]> : tensor<3xi1>
  // CHECK-DAG: [[GE:%.+]] = mlopt.constant dense<[false, true, true]> : tensor<3xi1>
  // CHECK-DAG: [[GT:%.+]] = mlopt.constant dense<[true, false, true]> : tensor<3xi1>
  // CHECK: return [[LT]], [[GE]], [[GT]]
  %i = mlopt.constant dense<[-1, 0, 5]> : tensor<3xi64>
  %j = mlopt.constant dense<[0, 0, 4]> : tensor<3xi64>
  %0 = mlopt.lt %i, %j : tensor<3xi64>
  %1 = mlopt.ge %i, %j : tensor<3xi64>
  %t = mlopt.constant dense<[true, false, true]> : tensor<3xi1>
  %f = mlopt.constant dense<[false, true, false]> : tensor<3xi1>
  %2 = mlopt.gt %t, %f : tensor<3xi1>
  return %0, %1, %2 : tensor<3xi1>, tensor<3xi1>, tensor<3xi1>
}

// -----

// x OP x is known for integers...
// CHECK-LABEL: func @fold_compare_self_int
// CHECK-SAME: ([[I:%.+]]: tensor<4xi32>, [[B:%.+]]: tensor<4xi1>)
func.func @fold_compare_self_int(%i: tensor<4xi32>, %b: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  // CHECK-DAG: [[T:%.+]] = mlopt.constant dense<true> : tensor<4xi1>
  // CHECK-DAG: [[F:%.+]] = mlopt.constant dense<false> : tensor<4xi1>
  // CHECK-NOT: mlopt.eq
  // CHECK-NOT: mlopt.ne
  // CHECK-NOT: mlopt.lt
  // CHECK-NOT: mlopt.le
  // CHECK-NOT: mlopt.gt
  // CHECK-NOT: mlopt.ge
  // CHECK: return [[T]], [[F]], [[F]], [[T]], [[F]], [[T]], [[T]]
  %0 = mlopt.eq %i, %i : tensor<4xi32>
  %1 = mlopt.ne %i, %i : tensor<4xi32>
  %2 = mlopt.lt %i, %i : tensor<4xi32>
  %3 = mlopt.le %i, %i : tensor<4xi32>
  %4 = mlopt.gt %i, %i : tensor<4xi32>
  %5 = mlopt.ge %i, %i : tensor<4xi32>
  %6 = mlopt.eq %b, %b : tensor<4xi1>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// ... but not for floats (NaN != NaN), and not for a dynamic shape (there
// is no constant of that type).
// CHECK-LABEL: func @no_fold_compare_self
// CHECK-SAME: ([[F:%.+]]: tensor<4xf32>, [[D:%.+]]: tensor<?xi64>)
func.func @no_fold_compare_self(%f: tensor<4xf32>, %d: tensor<?xi64>) -> (tensor<4xi1>, tensor<4xi1>, tensor<?xi1>) {
  // CHECK-NOT: mlopt.constant
  // CHECK-DAG: [[EQ:%.+]] = mlopt.eq [[F]], [[F]] : tensor<4xf32>
  // CHECK-DAG: [[NE:%.+]] = mlopt.ne [[F]], [[F]] : tensor<4xf32>
  // CHECK-DAG: [[DEQ:%.+]] = mlopt.eq [[D]], [[D]] : tensor<?xi64>
  // CHECK: return [[EQ]], [[NE]], [[DEQ]]
  %0 = mlopt.eq %f, %f : tensor<4xf32>
  %1 = mlopt.ne %f, %f : tensor<4xf32>
  %2 = mlopt.eq %d, %d : tensor<?xi64>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<?xi1>
}

// -----

//===----------------------------------------------------------------------===//
// convert
//===----------------------------------------------------------------------===//

// float -> int truncates toward zero, saturates out-of-range values and maps
// NaN to 0; float -> i1 is x != 0 (NaN is true).
// CHECK-LABEL: func @fold_convert_float_to_int
func.func @fold_convert_float_to_int() -> (tensor<7xi32>, tensor<7xi64>, tensor<7xi1>) {
  // CHECK-DAG: [[I32:%.+]] = mlopt.constant dense<[2, -2, 0, 2147483647, -2147483648, 2147483647, 0]> : tensor<7xi32>
  // CHECK-DAG: [[I64:%.+]] = mlopt.constant dense<[2, -2, 0, 10000000000, -10000000000, 9223372036854775807, 0]> : tensor<7xi64>
  // CHECK-DAG: [[I1:%.+]] = mlopt.constant dense<[true, true, true, true, true, true, false]> : tensor<7xi1>
  // CHECK-NOT: mlopt.convert
  // CHECK: return [[I32]], [[I64]], [[I1]]
  %c = mlopt.constant dense<[2.9, -2.9, 0x7FC00000, 1.0e10, -1.0e10, 0x7F800000, -0.0]> : tensor<7xf32>
  %0 = mlopt.convert %c : tensor<7xf32> -> tensor<7xi32>
  %1 = mlopt.convert %c : tensor<7xf32> -> tensor<7xi64>
  %2 = mlopt.convert %c : tensor<7xf32> -> tensor<7xi1>
  return %0, %1, %2 : tensor<7xi32>, tensor<7xi64>, tensor<7xi1>
}

// -----

// float -> float rounds to nearest even, overflow gives +-inf, NaN stays NaN.
// CHECK-LABEL: func @fold_convert_float_to_float
func.func @fold_convert_float_to_float() -> (tensor<5xf16>, tensor<5xbf16>, tensor<5xf64>) {
  // CHECK-DAG: [[H:%.+]] = mlopt.constant dense<[0x7C00, 9.997550e-02, 2.048000e+03, 0xFC00, 0x7E00]> : tensor<5xf16>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<[9.984000e+04, 1.000980e-01, 2.048000e+03, -7.014400e+04, 0x7FC0]> : tensor<5xbf16>
  // CHECK-DAG: [[D:%.+]] = mlopt.constant dense<[1.000000e+05, 0.10000000149011612, 2.049000e+03, -7.000000e+04, 0x7FF8000000000000]> : tensor<5xf64>
  // CHECK: return [[H]], [[B]], [[D]]
  %c = mlopt.constant dense<[1.0e5, 0.1, 2049.0, -7.0e4, 0x7FC00000]> : tensor<5xf32>
  %0 = mlopt.convert %c : tensor<5xf32> -> tensor<5xf16>
  %1 = mlopt.convert %c : tensor<5xf32> -> tensor<5xbf16>
  %2 = mlopt.convert %c : tensor<5xf32> -> tensor<5xf64>
  return %0, %1, %2 : tensor<5xf16>, tensor<5xbf16>, tensor<5xf64>
}

// -----

// int -> int wraps, int -> float rounds to nearest even (2^24 + 1 is 2^24 in
// f32), int -> i1 is x != 0.
// CHECK-LABEL: func @fold_convert_int
func.func @fold_convert_int() -> (tensor<4xi32>, tensor<4xf32>, tensor<4xi1>, tensor<4xf16>) {
  // CHECK-DAG: [[I32:%.+]] = mlopt.constant dense<[1, -1, 0, 16777217]> : tensor<4xi32>
  // CHECK-DAG: [[F32:%.+]] = mlopt.constant dense<[4.2949673E+9, -1.000000e+00, 0.000000e+00, 0x4B800000]> : tensor<4xf32>
  // CHECK-DAG: [[I1:%.+]] = mlopt.constant dense<[true, true, false, true]> : tensor<4xi1>
  // CHECK-DAG: [[F16:%.+]] = mlopt.constant dense<[0x7C00, -1.000000e+00, 0.000000e+00, 0x7C00]> : tensor<4xf16>
  // CHECK: return [[I32]], [[F32]], [[I1]], [[F16]]
  %c = mlopt.constant dense<[4294967297, -1, 0, 16777217]> : tensor<4xi64>
  %0 = mlopt.convert %c : tensor<4xi64> -> tensor<4xi32>
  %1 = mlopt.convert %c : tensor<4xi64> -> tensor<4xf32>
  %2 = mlopt.convert %c : tensor<4xi64> -> tensor<4xi1>
  %3 = mlopt.convert %c : tensor<4xi64> -> tensor<4xf16>
  return %0, %1, %2, %3 : tensor<4xi32>, tensor<4xf32>, tensor<4xi1>, tensor<4xf16>
}

// -----

// i1 -> number is 0 or 1 (not -1).
// CHECK-LABEL: func @fold_convert_bool
func.func @fold_convert_bool() -> (tensor<2xi32>, tensor<2xi64>, tensor<2xf32>) {
  // CHECK-DAG: [[I32:%.+]] = mlopt.constant dense<[1, 0]> : tensor<2xi32>
  // CHECK-DAG: [[I64:%.+]] = mlopt.constant dense<[1, 0]> : tensor<2xi64>
  // CHECK-DAG: [[F32:%.+]] = mlopt.constant dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>
  // CHECK: return [[I32]], [[I64]], [[F32]]
  %c = mlopt.constant dense<[true, false]> : tensor<2xi1>
  %0 = mlopt.convert %c : tensor<2xi1> -> tensor<2xi32>
  %1 = mlopt.convert %c : tensor<2xi1> -> tensor<2xi64>
  %2 = mlopt.convert %c : tensor<2xi1> -> tensor<2xf32>
  return %0, %1, %2 : tensor<2xi32>, tensor<2xi64>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func @fold_convert_splat
func.func @fold_convert_splat() -> tensor<4x4xi32> {
  // CHECK: [[R:%.+]] = mlopt.constant dense<-3> : tensor<4x4xi32>
  // CHECK-NOT: mlopt.convert
  // CHECK: return [[R]]
  %c = mlopt.constant dense<-3.7> : tensor<4x4xf32>
  %0 = mlopt.convert %c : tensor<4x4xf32> -> tensor<4x4xi32>
  return %0 : tensor<4x4xi32>
}

// -----

// CHECK-LABEL: func @fold_convert_same_type
// CHECK-SAME: ([[X:%.+]]: tensor<?x3xf32>)
func.func @fold_convert_same_type(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // CHECK-NOT: mlopt.convert
  // CHECK: return [[X]]
  %0 = mlopt.convert %x : tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func @no_fold_convert_other_type
// CHECK-SAME: ([[X:%.+]]: tensor<?x3xf32>)
func.func @no_fold_convert_other_type(%x: tensor<?x3xf32>) -> tensor<?x3xf16> {
  // CHECK: [[R:%.+]] = mlopt.convert [[X]] : tensor<?x3xf32> -> tensor<?x3xf16>
  // CHECK: return [[R]]
  %0 = mlopt.convert %x : tensor<?x3xf32> -> tensor<?x3xf16>
  return %0 : tensor<?x3xf16>
}

// -----

//===----------------------------------------------------------------------===//
// Identities
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @fold_int_identities
// CHECK-SAME: ([[X:%.+]]: tensor<4xi32>)
func.func @fold_int_identities(%x: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  // x * 0 is 0 for integers.
  // CHECK: [[ZERO:%.+]] = mlopt.constant dense<0> : tensor<4xi32>
  // CHECK-NOT: mlopt.mul
  // CHECK-NOT: mlopt.add
  // CHECK-NOT: mlopt.sub
  // CHECK-NOT: mlopt.div
  // CHECK-NOT: mlopt.pow
  // CHECK: return [[X]], [[X]], [[X]], [[X]], [[X]], [[X]], [[X]], [[ZERO]]
  %one = mlopt.constant dense<1> : tensor<4xi32>
  %zero = mlopt.constant dense<0> : tensor<4xi32>
  %0 = mlopt.mul %x, %one : tensor<4xi32>
  %1 = mlopt.mul %one, %x : tensor<4xi32>
  %2 = mlopt.add %x, %zero : tensor<4xi32>
  %3 = mlopt.add %zero, %x : tensor<4xi32>
  %4 = mlopt.sub %x, %zero : tensor<4xi32>
  %5 = mlopt.div %x, %one : tensor<4xi32>
  %6 = mlopt.pow %x, %one : tensor<4xi32>
  %7 = mlopt.mul %x, %zero : tensor<4xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// For floats, x + -0.0, x - 0.0, x * 1.0, x / 1.0 and x ** 1.0 are x.
// CHECK-LABEL: func @fold_float_identities
// CHECK-SAME: ([[X:%.+]]: tensor<4xf32>)
func.func @fold_float_identities(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NOT: mlopt.add
  // CHECK-NOT: mlopt.sub
  // CHECK-NOT: mlopt.mul
  // CHECK-NOT: mlopt.div
  // CHECK-NOT: mlopt.pow
  // CHECK: return [[X]], [[X]], [[X]], [[X]], [[X]], [[X]], [[X]]
  %one = mlopt.constant dense<1.0> : tensor<4xf32>
  %zero = mlopt.constant dense<0.0> : tensor<4xf32>
  %nzero = mlopt.constant dense<-0.0> : tensor<4xf32>
  %0 = mlopt.add %x, %nzero : tensor<4xf32>
  %1 = mlopt.add %nzero, %x : tensor<4xf32>
  %2 = mlopt.sub %x, %zero : tensor<4xf32>
  %3 = mlopt.mul %x, %one : tensor<4xf32>
  %4 = mlopt.mul %one, %x : tensor<4xf32>
  %5 = mlopt.div %x, %one : tensor<4xf32>
  %6 = mlopt.pow %x, %one : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// ... but x + 0.0 is not x for x = -0.0, x - -0.0 is x + 0.0, and x * 0.0 is
// NaN for x = inf or NaN.
// CHECK-LABEL: func @no_fold_float_non_identities
// CHECK-SAME: ([[X:%.+]]: tensor<4xf32>)
func.func @no_fold_float_non_identities(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-DAG: [[ZERO:%.+]] = mlopt.constant dense<0.000000e+00> : tensor<4xf32>
  // CHECK-DAG: [[NZERO:%.+]] = mlopt.constant dense<-0.000000e+00> : tensor<4xf32>
  // CHECK-DAG: [[ADD:%.+]] = mlopt.add [[X]], [[ZERO]] : tensor<4xf32>
  // The constant moves to the right of the commutative add.
  // CHECK-DAG: [[ADD2:%.+]] = mlopt.add [[X]], [[ZERO]] : tensor<4xf32>
  // CHECK-DAG: [[SUB:%.+]] = mlopt.sub [[X]], [[NZERO]] : tensor<4xf32>
  // CHECK-DAG: [[MUL:%.+]] = mlopt.mul [[X]], [[ZERO]] : tensor<4xf32>
  // CHECK: return [[ADD]], [[ADD2]], [[SUB]], [[MUL]]
  %zero = mlopt.constant dense<0.0> : tensor<4xf32>
  %nzero = mlopt.constant dense<-0.0> : tensor<4xf32>
  %0 = mlopt.add %x, %zero : tensor<4xf32>
  %1 = mlopt.add %zero, %x : tensor<4xf32>
  %2 = mlopt.sub %x, %nzero : tensor<4xf32>
  %3 = mlopt.mul %x, %zero : tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A non-splat constant of ones is not an identity.
// CHECK-LABEL: func @no_fold_mul_non_splat
// CHECK-SAME: ([[X:%.+]]: tensor<2xf32>)
func.func @no_fold_mul_non_splat(%x: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: [[C:%.+]] = mlopt.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  // CHECK: [[R:%.+]] = mlopt.mul [[X]], [[C]] : tensor<2xf32>
  // CHECK: return [[R]]
  %c = mlopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = mlopt.mul %x, %c : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Identities see through a broadcast of a splat constant, as traced code
// broadcasts every Python scalar to a dynamic shape.
// CHECK-LABEL: func @fold_identities_through_broadcast
// CHECK-SAME: ([[X:%.+]]: tensor<?x4xf32>, [[N:%.+]]: index, [[I:%.+]]: tensor<?xi64>)
func.func @fold_identities_through_broadcast(%x: tensor<?x4xf32>, %n: index, %i: tensor<?xi64>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>, tensor<?xi64>) {
  // CHECK-NOT: mlopt.mul
  // CHECK-NOT: mlopt.add
  // CHECK-NOT: mlopt.sub
  // CHECK-NOT: mlopt.div
  // CHECK-NOT: mlopt.pow
  // CHECK: return [[X]], [[X]], [[X]], [[X]], [[X]], [[I]], [[I]]
  %one = mlopt.constant dense<1.0> : tensor<f32>
  %nzero = mlopt.constant dense<-0.0> : tensor<f32>
  %zero = mlopt.constant dense<0.0> : tensor<f32>
  %oneb = mlopt.broadcast_in_dim %one, dims = [] sizes(%n) : tensor<f32> -> tensor<?x4xf32>
  %nzerob = mlopt.broadcast_in_dim %nzero, dims = [] sizes(%n) : tensor<f32> -> tensor<?x4xf32>
  %zerob = mlopt.broadcast_in_dim %zero, dims = [] sizes(%n) : tensor<f32> -> tensor<?x4xf32>
  %0 = mlopt.mul %oneb, %x : tensor<?x4xf32>
  %1 = mlopt.add %x, %nzerob : tensor<?x4xf32>
  %2 = mlopt.sub %x, %zerob : tensor<?x4xf32>
  %3 = mlopt.div %x, %oneb : tensor<?x4xf32>
  %4 = mlopt.pow %x, %oneb : tensor<?x4xf32>
  %izero = mlopt.constant dense<0> : tensor<1xi64>
  %izerob = mlopt.broadcast_in_dim %izero, dims = [0] sizes(%n) : tensor<1xi64> -> tensor<?xi64>
  %5 = mlopt.add %izerob, %i : tensor<?xi64>
  %6 = mlopt.sub %i, %izerob : tensor<?xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>, tensor<?xi64>
}

// -----

// Through a broadcast, x + 0.0 still does not fold, and x * 0 cannot become
// a constant of a dynamic shape.
// CHECK-LABEL: func @no_fold_through_broadcast
// CHECK-SAME: ([[X:%.+]]: tensor<?x4xf32>, [[N:%.+]]: index, [[I:%.+]]: tensor<?xi64>)
func.func @no_fold_through_broadcast(%x: tensor<?x4xf32>, %n: index, %i: tensor<?xi64>) -> (tensor<?x4xf32>, tensor<?xi64>) {
  // CHECK-DAG: [[Z:%.+]] = mlopt.broadcast_in_dim {{%.+}}, dims = [] sizes([[N]]) : tensor<f32> -> tensor<?x4xf32>
  // CHECK-DAG: [[IZ:%.+]] = mlopt.broadcast_in_dim {{%.+}}, dims = [] sizes([[N]]) : tensor<i64> -> tensor<?xi64>
  // CHECK-DAG: [[ADD:%.+]] = mlopt.add [[X]], [[Z]] : tensor<?x4xf32>
  // CHECK-DAG: [[MUL:%.+]] = mlopt.mul [[I]], [[IZ]] : tensor<?xi64>
  // CHECK: return [[ADD]], [[MUL]]
  %zero = mlopt.constant dense<0.0> : tensor<f32>
  %zerob = mlopt.broadcast_in_dim %zero, dims = [] sizes(%n) : tensor<f32> -> tensor<?x4xf32>
  %0 = mlopt.add %x, %zerob : tensor<?x4xf32>
  %izero = mlopt.constant dense<0> : tensor<i64>
  %izerob = mlopt.broadcast_in_dim %izero, dims = [] sizes(%n) : tensor<i64> -> tensor<?xi64>
  %1 = mlopt.mul %i, %izerob : tensor<?xi64>
  return %0, %1 : tensor<?x4xf32>, tensor<?xi64>
}

// -----

// neg(neg(x)) and not(not(x)) are x; abs(abs(x)) is abs(x).
// CHECK-LABEL: func @fold_involutions
// CHECK-SAME: ([[X:%.+]]: tensor<?xf32>, [[B:%.+]]: tensor<4xi1>, [[I:%.+]]: tensor<3xi64>)
func.func @fold_involutions(%x: tensor<?xf32>, %b: tensor<4xi1>, %i: tensor<3xi64>) -> (tensor<?xf32>, tensor<4xi1>, tensor<?xf32>, tensor<3xi64>) {
  // CHECK-NOT: mlopt.neg
  // CHECK-NOT: mlopt.not
  // CHECK: [[ABS:%.+]] = mlopt.abs [[X]] : tensor<?xf32>
  // CHECK-NOT: mlopt.abs
  // CHECK: return [[X]], [[B]], [[ABS]], [[I]]
  %0 = mlopt.neg %x : tensor<?xf32>
  %1 = mlopt.neg %0 : tensor<?xf32>
  %2 = mlopt.not %b : tensor<4xi1>
  %3 = mlopt.not %2 : tensor<4xi1>
  %4 = mlopt.abs %x : tensor<?xf32>
  %5 = mlopt.abs %4 : tensor<?xf32>
  %6 = mlopt.neg %i : tensor<3xi64>
  %7 = mlopt.neg %6 : tensor<3xi64>
  return %1, %3, %5, %7 : tensor<?xf32>, tensor<4xi1>, tensor<?xf32>, tensor<3xi64>
}

// -----

// A single neg or abs stays.
// CHECK-LABEL: func @no_fold_single_neg
// CHECK-SAME: ([[X:%.+]]: tensor<?xf32>)
func.func @no_fold_single_neg(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  // CHECK-DAG: [[NEG:%.+]] = mlopt.neg [[X]] : tensor<?xf32>
  // CHECK-DAG: [[ABS:%.+]] = mlopt.abs [[NEG]] : tensor<?xf32>
  // CHECK: return [[NEG]], [[ABS]]
  %0 = mlopt.neg %x : tensor<?xf32>
  %1 = mlopt.abs %0 : tensor<?xf32>
  return %0, %1 : tensor<?xf32>, tensor<?xf32>
}

// -----

// max(x, x) and min(x, x) are x, NaN included.
// CHECK-LABEL: func @fold_max_min_self
// CHECK-SAME: ([[X:%.+]]: tensor<4xf32>, [[I:%.+]]: tensor<?xi32>)
func.func @fold_max_min_self(%x: tensor<4xf32>, %i: tensor<?xi32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<?xi32>) {
  // CHECK-NOT: mlopt.maximum
  // CHECK-NOT: mlopt.minimum
  // CHECK: return [[X]], [[X]], [[I]]
  %0 = mlopt.maximum %x, %x : tensor<4xf32>
  %1 = mlopt.minimum %x, %x : tensor<4xf32>
  %2 = mlopt.maximum %i, %i : tensor<?xi32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<?xi32>
}

// -----

// CHECK-LABEL: func @fold_logical_identities
// CHECK-SAME: ([[X:%.+]]: tensor<4xi1>)
func.func @fold_logical_identities(%x: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  // CHECK-DAG: [[T:%.+]] = mlopt.constant dense<true> : tensor<4xi1>
  // CHECK-DAG: [[F:%.+]] = mlopt.constant dense<false> : tensor<4xi1>
  // x xor true is not x: it stays.
  // CHECK-DAG: [[NOTX:%.+]] = mlopt.xor [[X]], [[T]] : tensor<4xi1>
  // CHECK-NOT: mlopt.and
  // CHECK-NOT: mlopt.or
  // CHECK: return [[X]], [[F]], [[X]], [[X]], [[T]], [[X]], [[X]], [[F]], [[NOTX]]
  %t = mlopt.constant dense<true> : tensor<4xi1>
  %f = mlopt.constant dense<false> : tensor<4xi1>
  %0 = mlopt.and %x, %t : tensor<4xi1>
  %1 = mlopt.and %x, %f : tensor<4xi1>
  %2 = mlopt.and %x, %x : tensor<4xi1>
  %3 = mlopt.or %x, %f : tensor<4xi1>
  %4 = mlopt.or %x, %t : tensor<4xi1>
  %5 = mlopt.or %x, %x : tensor<4xi1>
  %6 = mlopt.xor %x, %f : tensor<4xi1>
  %7 = mlopt.xor %x, %x : tensor<4xi1>
  %8 = mlopt.xor %x, %t : tensor<4xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// On integers and/or/xor/not are bitwise: -1 (all ones) is the identity of
// and, 1 is not; constants fold bit by bit.
// CHECK-LABEL: func @fold_bitwise_integers
// CHECK-SAME: ([[X:%.+]]: tensor<4xi32>)
func.func @fold_bitwise_integers(%x: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  // CHECK-DAG: [[ONE:%.+]] = mlopt.constant dense<1> : tensor<4xi32>
  // CHECK-DAG: [[ALL:%.+]] = mlopt.constant dense<-1> : tensor<4xi32>
  // CHECK-DAG: [[AND1:%.+]] = mlopt.and [[X]], [[ONE]] : tensor<4xi32>
  // CHECK-DAG: [[C:%.+]] = mlopt.constant dense<[-6, 1, 2, -1]> : tensor<4xi32>
  // CHECK: return [[X]], [[AND1]], [[ALL]], [[C]], [[C]]
  %one = mlopt.constant dense<1> : tensor<4xi32>
  %all = mlopt.constant dense<-1> : tensor<4xi32>
  %c = mlopt.constant dense<[5, -2, -3, 0]> : tensor<4xi32>
  %0 = mlopt.and %x, %all : tensor<4xi32>
  %1 = mlopt.and %x, %one : tensor<4xi32>
  %2 = mlopt.or %x, %all : tensor<4xi32>
  %3 = mlopt.not %c : tensor<4xi32>
  %4 = mlopt.xor %c, %all : tensor<4xi32>
  return %0, %1, %2, %3, %4 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// Constants move to the right of commutative ops, so a constant on the left
// folds too.
// CHECK-LABEL: func @fold_logical_identities_lhs
// CHECK-SAME: ([[X:%.+]]: tensor<4xi1>)
func.func @fold_logical_identities_lhs(%x: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  // CHECK-DAG: [[T:%.+]] = mlopt.constant dense<true> : tensor<4xi1>
  // CHECK-NOT: mlopt.and
  // CHECK-NOT: mlopt.or
  // CHECK-NOT: mlopt.xor
  // CHECK: return [[X]], [[X]], [[X]], [[T]]
  %t = mlopt.constant dense<true> : tensor<4xi1>
  %f = mlopt.constant dense<false> : tensor<4xi1>
  %0 = mlopt.and %t, %x : tensor<4xi1>
  %1 = mlopt.or %f, %x : tensor<4xi1>
  %2 = mlopt.xor %f, %x : tensor<4xi1>
  %3 = mlopt.or %t, %x : tensor<4xi1>
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func @fold_select
// CHECK-SAME: ([[C:%.+]]: tensor<4xi1>, [[A:%.+]]: tensor<4xf32>, [[B:%.+]]: tensor<4xf32>)
func.func @fold_select(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NOT: mlopt.select
  // CHECK: return [[A]], [[B]], [[A]]
  %t = mlopt.constant dense<true> : tensor<4xi1>
  %f = mlopt.constant dense<false> : tensor<4xi1>
  %0 = mlopt.select %t, %a, %b : tensor<4xi1>, tensor<4xf32>
  %1 = mlopt.select %f, %a, %b : tensor<4xi1>, tensor<4xf32>
  %2 = mlopt.select %c, %a, %a : tensor<4xi1>, tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A mixed constant condition is not folded.
// CHECK-LABEL: func @no_fold_select_mixed_cond
// CHECK-SAME: ([[A:%.+]]: tensor<2xf32>, [[B:%.+]]: tensor<2xf32>)
func.func @no_fold_select_mixed_cond(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: [[M:%.+]] = mlopt.constant dense<[true, false]> : tensor<2xi1>
  // CHECK: [[R:%.+]] = mlopt.select [[M]], [[A]], [[B]] : tensor<2xi1>, tensor<2xf32>
  // CHECK: return [[R]]
  %m = mlopt.constant dense<[true, false]> : tensor<2xi1>
  %0 = mlopt.select %m, %a, %b : tensor<2xi1>, tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

// reshape(reshape(x)) keeps only the last shape.
// CHECK-LABEL: func @fold_reshape_reshape
// CHECK-SAME: ([[X:%.+]]: tensor<2x3x4xf32>)
func.func @fold_reshape_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  // CHECK: [[R:%.+]] = mlopt.reshape [[X]] : tensor<2x3x4xf32> -> tensor<4x6xf32>
  // CHECK-NOT: mlopt.reshape
  // CHECK: return [[R]]
  %0 = mlopt.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = mlopt.reshape %0 : tensor<6x4xf32> -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func @fold_reshape_reshape_dynamic
// CHECK-SAME: ([[X:%.+]]: tensor<?x4xf32>, [[N:%.+]]: index, [[M:%.+]]: index)
func.func @fold_reshape_reshape_dynamic(%x: tensor<?x4xf32>, %n: index, %m: index) -> tensor<?x2xf32> {
  // CHECK: [[R:%.+]] = mlopt.reshape [[X]] sizes([[M]]) : tensor<?x4xf32> -> tensor<?x2xf32>
  // CHECK-NOT: mlopt.reshape
  // CHECK: return [[R]]
  %0 = mlopt.reshape %x sizes(%n) : tensor<?x4xf32> -> tensor<?xf32>
  %1 = mlopt.reshape %0 sizes(%m) : tensor<?xf32> -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}

// -----

// A round trip through reshapes is the identity.
// CHECK-LABEL: func @fold_reshape_round_trip
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>)
func.func @fold_reshape_round_trip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK-NOT: mlopt.reshape
  // CHECK: return [[X]]
  %0 = mlopt.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = mlopt.reshape %0 : tensor<6xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A dynamic reshape to the same type is not an identity: the sizes may differ.
// CHECK-LABEL: func @no_fold_reshape_dynamic_same_type
// CHECK-SAME: ([[X:%.+]]: tensor<?x4xf32>, [[N:%.+]]: index)
func.func @no_fold_reshape_dynamic_same_type(%x: tensor<?x4xf32>, %n: index) -> tensor<?x4xf32> {
  // CHECK: [[R:%.+]] = mlopt.reshape [[X]] sizes([[N]]) : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: return [[R]]
  %0 = mlopt.reshape %x sizes(%n) : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func @fold_reshape_constant
func.func @fold_reshape_constant() -> (tensor<3x2xi32>, tensor<2x2xf16>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.constant dense<{{\[}}[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<1.500000e+00> : tensor<2x2xf16>
  // CHECK-NOT: mlopt.reshape
  // CHECK: return [[A]], [[B]]
  %c = mlopt.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %0 = mlopt.reshape %c : tensor<2x3xi32> -> tensor<3x2xi32>
  %s = mlopt.constant dense<1.5> : tensor<4xf16>
  %1 = mlopt.reshape %s : tensor<4xf16> -> tensor<2x2xf16>
  return %0, %1 : tensor<3x2xi32>, tensor<2x2xf16>
}

// -----

// transpose(transpose(x)) composes: result dim i is x dim inner[outer[i]].
// CHECK-LABEL: func @fold_transpose_transpose
// CHECK-SAME: ([[X:%.+]]: tensor<2x3x4xf32>)
func.func @fold_transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<3x4x2xf32> {
  // CHECK: [[R:%.+]] = mlopt.transpose [[X]], permutation = [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  // CHECK-NOT: mlopt.transpose
  // CHECK: return [[R]]
  %0 = mlopt.transpose %x, permutation = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = mlopt.transpose %0, permutation = [0, 2, 1] : tensor<3x2x4xf32> -> tensor<3x4x2xf32>
  return %1 : tensor<3x4x2xf32>
}

// -----

// CHECK-LABEL: func @fold_transpose_transpose_identity
// CHECK-SAME: ([[X:%.+]]: tensor<2x?x4xf32>)
func.func @fold_transpose_transpose_identity(%x: tensor<2x?x4xf32>) -> tensor<2x?x4xf32> {
  // CHECK-NOT: mlopt.transpose
  // CHECK: return [[X]]
  %0 = mlopt.transpose %x, permutation = [2, 0, 1] : tensor<2x?x4xf32> -> tensor<4x2x?xf32>
  %1 = mlopt.transpose %0, permutation = [1, 2, 0] : tensor<4x2x?xf32> -> tensor<2x?x4xf32>
  return %1 : tensor<2x?x4xf32>
}

// -----

// CHECK-LABEL: func @fold_transpose_identity
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>, [[Y:%.+]]: tensor<?xi1>)
func.func @fold_transpose_identity(%x: tensor<2x3xf32>, %y: tensor<?xi1>) -> (tensor<2x3xf32>, tensor<?xi1>) {
  // CHECK-NOT: mlopt.transpose
  // CHECK: return [[X]], [[Y]]
  %0 = mlopt.transpose %x, permutation = [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = mlopt.transpose %y, permutation = [0] : tensor<?xi1> -> tensor<?xi1>
  return %0, %1 : tensor<2x3xf32>, tensor<?xi1>
}

// -----

// A splat constant transposes to the same splat; a non-splat one stays.
// CHECK-LABEL: func @fold_transpose_constant
func.func @fold_transpose_constant() -> (tensor<3x2xf32>, tensor<2x2xf32>) {
  // CHECK-DAG: [[S:%.+]] = mlopt.constant dense<1.500000e+00> : tensor<3x2xf32>
  // CHECK-DAG: [[C:%.+]] = mlopt.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  // CHECK-DAG: [[T:%.+]] = mlopt.transpose [[C]], permutation = [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  // CHECK: return [[S]], [[T]]
  %s = mlopt.constant dense<1.5> : tensor<2x3xf32>
  %0 = mlopt.transpose %s, permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %c = mlopt.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %1 = mlopt.transpose %c, permutation = [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func @fold_broadcast_same_shape
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>)
func.func @fold_broadcast_same_shape(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK-NOT: mlopt.broadcast_in_dim
  // CHECK: return [[X]]
  %0 = mlopt.broadcast_in_dim %x, dims = [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// broadcast(broadcast(x)) composes the dim maps.
// CHECK-LABEL: func @fold_broadcast_broadcast
// CHECK-SAME: ([[X:%.+]]: tensor<3xf32>, [[Y:%.+]]: tensor<1xi64>)
func.func @fold_broadcast_broadcast(%x: tensor<3xf32>, %y: tensor<1xi64>) -> (tensor<5x4x3xf32>, tensor<4x2x3xi64>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [2] : tensor<3xf32> -> tensor<5x4x3xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.broadcast_in_dim [[Y]], dims = [1] : tensor<1xi64> -> tensor<4x2x3xi64>
  // CHECK: return [[A]], [[B]]
  %0 = mlopt.broadcast_in_dim %x, dims = [1] : tensor<3xf32> -> tensor<4x3xf32>
  %1 = mlopt.broadcast_in_dim %0, dims = [1, 2] : tensor<4x3xf32> -> tensor<5x4x3xf32>
  %2 = mlopt.broadcast_in_dim %y, dims = [0] : tensor<1xi64> -> tensor<2x3xi64>
  %3 = mlopt.broadcast_in_dim %2, dims = [1, 2] : tensor<2x3xi64> -> tensor<4x2x3xi64>
  return %1, %3 : tensor<5x4x3xf32>, tensor<4x2x3xi64>
}

// -----

// The outer broadcast keeps its own dynamic sizes.
// CHECK-LABEL: func @fold_broadcast_broadcast_dynamic
// CHECK-SAME: ([[X:%.+]]: tensor<8xf32>, [[N:%.+]]: index, [[M:%.+]]: index)
func.func @fold_broadcast_broadcast_dynamic(%x: tensor<8xf32>, %n: index, %m: index) -> tensor<?x?x8xf32> {
  // CHECK: [[R:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [2] sizes([[M]], [[N]]) : tensor<8xf32> -> tensor<?x?x8xf32>
  // CHECK-NOT: mlopt.broadcast_in_dim
  // CHECK: return [[R]]
  %0 = mlopt.broadcast_in_dim %x, dims = [1] sizes(%n) : tensor<8xf32> -> tensor<?x8xf32>
  %1 = mlopt.broadcast_in_dim %0, dims = [1, 2] sizes(%m, %n) : tensor<?x8xf32> -> tensor<?x?x8xf32>
  return %1 : tensor<?x?x8xf32>
}

// -----

// A splat constant broadcasts to a splat of the static result type.
// CHECK-LABEL: func @fold_broadcast_splat
// CHECK-SAME: ([[N:%.+]]: index)
func.func @fold_broadcast_splat(%n: index) -> (tensor<4x3xi64>, tensor<?x3xi64>) {
  // CHECK-DAG: [[S:%.+]] = mlopt.constant dense<7> : tensor<4x3xi64>
  // CHECK-DAG: [[C:%.+]] = mlopt.constant dense<7> : tensor<i64>
  // CHECK-DAG: [[D:%.+]] = mlopt.broadcast_in_dim [[C]], dims = [] sizes([[N]]) : tensor<i64> -> tensor<?x3xi64>
  // CHECK: return [[S]], [[D]]
  %c = mlopt.constant dense<7> : tensor<i64>
  %0 = mlopt.broadcast_in_dim %c, dims = [] : tensor<i64> -> tensor<4x3xi64>
  %1 = mlopt.broadcast_in_dim %c, dims = [] sizes(%n) : tensor<i64> -> tensor<?x3xi64>
  return %0, %1 : tensor<4x3xi64>, tensor<?x3xi64>
}

// -----

// CHECK-LABEL: func @fold_slice_full
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>)
func.func @fold_slice_full(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT: mlopt.slice
  // CHECK: return [[X]]
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 8], step = [1, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A strided slice, or a slice of a dynamic operand, is not the identity.
// CHECK-LABEL: func @no_fold_slice_partial
// CHECK-SAME: ([[X:%.+]]: tensor<4x8xf32>, [[Y:%.+]]: tensor<?xf32>)
func.func @no_fold_slice_partial(%x: tensor<4x8xf32>, %y: tensor<?xf32>) -> (tensor<4x4xf32>, tensor<4xf32>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.slice [[X]], start = [0, 0], limit = [4, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.slice [[Y]], start = [0], limit = [4], step = [1] : tensor<?xf32> -> tensor<4xf32>
  // CHECK: return [[A]], [[B]]
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  %1 = mlopt.slice %y, start = [0], limit = [4], step = [1] : tensor<?xf32> -> tensor<4xf32>
  return %0, %1 : tensor<4x4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func @fold_slice_splat
func.func @fold_slice_splat() -> tensor<2xf32> {
  // CHECK: [[R:%.+]] = mlopt.constant dense<2.000000e+00> : tensor<2xf32>
  // CHECK-NOT: mlopt.slice
  // CHECK: return [[R]]
  %c = mlopt.constant dense<2.0> : tensor<8xf32>
  %0 = mlopt.slice %c, start = [1], limit = [5], step = [2] : tensor<8xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func @fold_concat_one
// CHECK-SAME: ([[X:%.+]]: tensor<2x?xf32>)
func.func @fold_concat_one(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  // CHECK-NOT: mlopt.concat
  // CHECK: return [[X]]
  %0 = mlopt.concat %x dim = 1 : tensor<2x?xf32> -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

// CHECK-LABEL: func @no_fold_concat_two
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>)
func.func @no_fold_concat_two(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // CHECK: [[R:%.+]] = mlopt.concat [[X]], [[X]] dim = 0 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  // CHECK: return [[R]]
  %0 = mlopt.concat %x, %x dim = 0 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func @fold_pad_zero
// CHECK-SAME: ([[X:%.+]]: tensor<4x5xf32>, [[Z:%.+]]: tensor<f32>)
func.func @fold_pad_zero(%x: tensor<4x5xf32>, %z: tensor<f32>) -> (tensor<4x5xf32>, tensor<4x6xf32>) {
  // CHECK: [[P:%.+]] = mlopt.pad [[X]], [[Z]], low = [0, 0], high = [0, 1] : tensor<4x5xf32>, tensor<f32> -> tensor<4x6xf32>
  // CHECK: return [[X]], [[P]]
  %0 = mlopt.pad %x, %z, low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<4x5xf32>
  %1 = mlopt.pad %x, %z, low = [0, 0], high = [0, 1] : tensor<4x5xf32>, tensor<f32> -> tensor<4x6xf32>
  return %0, %1 : tensor<4x5xf32>, tensor<4x6xf32>
}

// -----

// Reducing no dims is the identity; reducing some dims is not folded.
// CHECK-LABEL: func @fold_reduce_no_dims
// CHECK-SAME: ([[X:%.+]]: tensor<4x5xf32>, [[B:%.+]]: tensor<3xi1>, [[I:%.+]]: tensor<?xi64>)
func.func @fold_reduce_no_dims(%x: tensor<4x5xf32>, %b: tensor<3xi1>, %i: tensor<?xi64>)
    -> (tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>, tensor<3xi1>, tensor<3xi1>, tensor<?xi64>, tensor<4xf32>) {
  // CHECK: [[S:%.+]] = mlopt.sum [[X]], dims = [1] : tensor<4x5xf32> -> tensor<4xf32>
  // CHECK-NOT: mlopt.prod
  // CHECK-NOT: mlopt.max
  // CHECK-NOT: mlopt.min
  // CHECK-NOT: mlopt.any
  // CHECK-NOT: mlopt.all
  // CHECK: return [[X]], [[X]], [[X]], [[B]], [[B]], [[I]], [[S]]
  %0 = mlopt.prod %x, dims = [] : tensor<4x5xf32> -> tensor<4x5xf32>
  %1 = mlopt.max %x, dims = [] keepdim : tensor<4x5xf32> -> tensor<4x5xf32>
  %2 = mlopt.min %x, dims = [] : tensor<4x5xf32> -> tensor<4x5xf32>
  %3 = mlopt.any %b, dims = [] : tensor<3xi1> -> tensor<3xi1>
  %4 = mlopt.all %b, dims = [] : tensor<3xi1> -> tensor<3xi1>
  %5 = mlopt.sum %i, dims = [] : tensor<?xi64> -> tensor<?xi64>
  %6 = mlopt.sum %x, dims = [1] : tensor<4x5xf32> -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>, tensor<3xi1>, tensor<3xi1>, tensor<?xi64>, tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Identities need equal types
//===----------------------------------------------------------------------===//

// An identity transpose whose declared result is less static than its
// operand is no fold: the operand has another type than the result, and
// users (here the return) expect the declared one.
// CHECK-LABEL: func @no_fold_transpose_identity_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>, [[Y:%.+]]: tensor<4xi64>)
// CHECK-SAME: -> (tensor<2x?xf32>, tensor<?xi64>)
func.func @no_fold_transpose_identity_less_static(%x: tensor<2x3xf32>, %y: tensor<4xi64>) -> (tensor<2x?xf32>, tensor<?xi64>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.transpose [[X]], permutation = [0, 1] : tensor<2x3xf32> -> tensor<2x?xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.transpose [[Y]], permutation = [0] : tensor<4xi64> -> tensor<?xi64>
  // CHECK: return [[A]], [[B]] : tensor<2x?xf32>, tensor<?xi64>
  %0 = mlopt.transpose %x, permutation = [0, 1] : tensor<2x3xf32> -> tensor<2x?xf32>
  %1 = mlopt.transpose %y, permutation = [0] : tensor<4xi64> -> tensor<?xi64>
  return %0, %1 : tensor<2x?xf32>, tensor<?xi64>
}

// -----

// A transpose pair that composes to the identity still composes, but with a
// less static declared result it stays as one identity transpose.
// CHECK-LABEL: func @no_fold_transpose_transpose_identity_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<2x3x4xf32>) -> tensor<?x3x?xf32>
func.func @no_fold_transpose_transpose_identity_less_static(%x: tensor<2x3x4xf32>) -> tensor<?x3x?xf32> {
  // CHECK: [[R:%.+]] = mlopt.transpose [[X]], permutation = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<?x3x?xf32>
  // CHECK-NOT: mlopt.transpose
  // CHECK: return [[R]] : tensor<?x3x?xf32>
  %0 = mlopt.transpose %x, permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %1 = mlopt.transpose %0, permutation = [1, 2, 0] : tensor<4x2x3xf32> -> tensor<?x3x?xf32>
  return %1 : tensor<?x3x?xf32>
}

// -----

// The same when the less static type is on the inner transpose only: the
// composed pair reads the static operand and has the static type, so it
// folds.
// CHECK-LABEL: func @fold_transpose_transpose_identity_inner_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @fold_transpose_transpose_identity_inner_less_static(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK-NOT: mlopt.transpose
  // CHECK: return [[X]] : tensor<2x3xf32>
  %0 = mlopt.transpose %x, permutation = [1, 0] : tensor<2x3xf32> -> tensor<?x?xf32>
  %1 = mlopt.transpose %0, permutation = [1, 0] : tensor<?x?xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// Padding by zeros with a less static declared result is no fold either.
// CHECK-LABEL: func @no_fold_pad_zero_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<4x5xf32>, [[Z:%.+]]: tensor<f32>, [[Y:%.+]]: tensor<?x3xi32>, [[W:%.+]]: tensor<i32>)
// CHECK-SAME: -> (tensor<?x5xf32>, tensor<?x?xf32>, tensor<?x3xi32>)
func.func @no_fold_pad_zero_less_static(%x: tensor<4x5xf32>, %z: tensor<f32>, %y: tensor<?x3xi32>, %w: tensor<i32>)
    -> (tensor<?x5xf32>, tensor<?x?xf32>, tensor<?x3xi32>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.pad [[X]], [[Z]], low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<?x5xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.pad [[X]], [[Z]], low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<?x?xf32>
  // A dynamic operand with an equal type still folds.
  // CHECK-NOT: mlopt.pad [[Y]]
  // CHECK: return [[A]], [[B]], [[Y]] : tensor<?x5xf32>, tensor<?x?xf32>, tensor<?x3xi32>
  %0 = mlopt.pad %x, %z, low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<?x5xf32>
  %1 = mlopt.pad %x, %z, low = [0, 0], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<?x?xf32>
  %2 = mlopt.pad %y, %w, low = [0, 0], high = [0, 0] : tensor<?x3xi32>, tensor<i32> -> tensor<?x3xi32>
  return %0, %1, %2 : tensor<?x5xf32>, tensor<?x?xf32>, tensor<?x3xi32>
}

// -----

// Reducing no dims with a less static declared result is no fold, for every
// reduction.
// CHECK-LABEL: func @no_fold_reduce_no_dims_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<4x5xf32>, [[B:%.+]]: tensor<3xi1>)
func.func @no_fold_reduce_no_dims_less_static(%x: tensor<4x5xf32>, %b: tensor<3xi1>)
    -> (tensor<?x5xf32>, tensor<4x?xf32>, tensor<?x?xf32>, tensor<?x5xf32>, tensor<?xi1>, tensor<?xi1>) {
  // CHECK-DAG: [[S:%.+]] = mlopt.sum [[X]], dims = [] : tensor<4x5xf32> -> tensor<?x5xf32>
  // CHECK-DAG: [[P:%.+]] = mlopt.prod [[X]], dims = [] : tensor<4x5xf32> -> tensor<4x?xf32>
  // CHECK-DAG: [[MX:%.+]] = mlopt.max [[X]], dims = [] keepdim : tensor<4x5xf32> -> tensor<?x?xf32>
  // CHECK-DAG: [[MN:%.+]] = mlopt.min [[X]], dims = [] : tensor<4x5xf32> -> tensor<?x5xf32>
  // CHECK-DAG: [[AN:%.+]] = mlopt.any [[B]], dims = [] : tensor<3xi1> -> tensor<?xi1>
  // CHECK-DAG: [[AL:%.+]] = mlopt.all [[B]], dims = [] : tensor<3xi1> -> tensor<?xi1>
  // CHECK: return [[S]], [[P]], [[MX]], [[MN]], [[AN]], [[AL]]
  %0 = mlopt.sum %x, dims = [] : tensor<4x5xf32> -> tensor<?x5xf32>
  %1 = mlopt.prod %x, dims = [] : tensor<4x5xf32> -> tensor<4x?xf32>
  %2 = mlopt.max %x, dims = [] keepdim : tensor<4x5xf32> -> tensor<?x?xf32>
  %3 = mlopt.min %x, dims = [] : tensor<4x5xf32> -> tensor<?x5xf32>
  %4 = mlopt.any %b, dims = [] : tensor<3xi1> -> tensor<?xi1>
  %5 = mlopt.all %b, dims = [] : tensor<3xi1> -> tensor<?xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<?x5xf32>, tensor<4x?xf32>, tensor<?x?xf32>, tensor<?x5xf32>, tensor<?xi1>, tensor<?xi1>
}

// -----

// concat of one input with a less static declared result is no fold.
// CHECK-LABEL: func @no_fold_concat_one_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>)
func.func @no_fold_concat_one_less_static(%x: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // CHECK: [[R:%.+]] = mlopt.concat [[X]] dim = 0 : tensor<2x3xf32> -> tensor<?x3xf32>
  // CHECK: return [[R]] : tensor<?x3xf32>
  %0 = mlopt.concat %x dim = 0 : tensor<2x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A less static identity is still used directly by mlopt ops and folds with
// them where their own types allow: here nothing may change type.
// CHECK-LABEL: func @no_fold_identity_chain_less_static
// CHECK-SAME: ([[X:%.+]]: tensor<2x3xf32>) -> tensor<?x3xf32>
func.func @no_fold_identity_chain_less_static(%x: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // CHECK: [[T:%.+]] = mlopt.transpose [[X]], permutation = [0, 1] : tensor<2x3xf32> -> tensor<?x3xf32>
  // CHECK: [[N:%.+]] = mlopt.neg [[T]] : tensor<?x3xf32>
  // CHECK: return [[N]] : tensor<?x3xf32>
  %0 = mlopt.transpose %x, permutation = [0, 1] : tensor<2x3xf32> -> tensor<?x3xf32>
  %1 = mlopt.neg %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Identities that only hold for static shapes
//===----------------------------------------------------------------------===//

// broadcast_in_dim of a `?` dim to a `?` dim stretches a run-time size 1 to
// the size operand: no identity, even with equal types and the identity map.
// CHECK-LABEL: func @no_fold_broadcast_dynamic_same_type
// CHECK-SAME: ([[X:%.+]]: tensor<?xf32>, [[N:%.+]]: index, [[Y:%.+]]: tensor<4x?xi64>)
func.func @no_fold_broadcast_dynamic_same_type(%x: tensor<?xf32>, %n: index, %y: tensor<4x?xi64>) -> (tensor<?xf32>, tensor<4x?xi64>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.broadcast_in_dim [[X]], dims = [0] sizes([[N]]) : tensor<?xf32> -> tensor<?xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.broadcast_in_dim [[Y]], dims = [0, 1] sizes([[N]]) : tensor<4x?xi64> -> tensor<4x?xi64>
  // CHECK: return [[A]], [[B]]
  %0 = mlopt.broadcast_in_dim %x, dims = [0] sizes(%n) : tensor<?xf32> -> tensor<?xf32>
  %1 = mlopt.broadcast_in_dim %y, dims = [0, 1] sizes(%n) : tensor<4x?xi64> -> tensor<4x?xi64>
  return %0, %1 : tensor<?xf32>, tensor<4x?xi64>
}

// -----

// A static size-1 broadcast to itself is the identity.
// CHECK-LABEL: func @fold_broadcast_static_ones
// CHECK-SAME: ([[X:%.+]]: tensor<1x1xf32>)
func.func @fold_broadcast_static_ones(%x: tensor<1x1xf32>) -> tensor<1x1xf32> {
  // CHECK-NOT: mlopt.broadcast_in_dim
  // CHECK: return [[X]]
  %0 = mlopt.broadcast_in_dim %x, dims = [0, 1] : tensor<1x1xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// A slice from 0 with step 1 of a `?` dim may end before the run-time size:
// no identity, even with equal types.
// CHECK-LABEL: func @no_fold_slice_dynamic_same_type
// CHECK-SAME: ([[X:%.+]]: tensor<?xf32>, [[Y:%.+]]: tensor<4x?xi32>)
func.func @no_fold_slice_dynamic_same_type(%x: tensor<?xf32>, %y: tensor<4x?xi32>) -> (tensor<?xf32>, tensor<4x?xi32>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.slice [[X]], start = [0], limit = [4], step = [1] : tensor<?xf32> -> tensor<?xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.slice [[Y]], start = [0, 0], limit = [4, 2], step = [1, 1] : tensor<4x?xi32> -> tensor<4x?xi32>
  // CHECK: return [[A]], [[B]]
  %0 = mlopt.slice %x, start = [0], limit = [4], step = [1] : tensor<?xf32> -> tensor<?xf32>
  %1 = mlopt.slice %y, start = [0, 0], limit = [4, 2], step = [1, 1] : tensor<4x?xi32> -> tensor<4x?xi32>
  return %0, %1 : tensor<?xf32>, tensor<4x?xi32>
}

// -----

//===----------------------------------------------------------------------===//
// sign
//===----------------------------------------------------------------------===//

// sign is torch.sign: NaN gives 0, infinities give -1 and 1.
// CHECK-LABEL: func @fold_sign_nan
func.func @fold_sign_nan() -> (tensor<4xf32>, tensor<2xf64>) {
  // CHECK-DAG: [[A:%.+]] = mlopt.constant dense<[0.000000e+00, -1.000000e+00, 1.000000e+00, 0.000000e+00]> : tensor<4xf32>
  // CHECK-DAG: [[B:%.+]] = mlopt.constant dense<0.000000e+00> : tensor<2xf64>
  // CHECK-NOT: mlopt.sign
  // CHECK: return [[A]], [[B]]
  %c = mlopt.constant dense<[0x7FC00000, 0xFF800000, 0x7F800000, 0.0]> : tensor<4xf32>
  %0 = mlopt.sign %c : tensor<4xf32>
  %n = mlopt.constant dense<0xFFF8000000000000> : tensor<2xf64>
  %1 = mlopt.sign %n : tensor<2xf64>
  return %0, %1 : tensor<4xf32>, tensor<2xf64>
}

// -----

// A sum of zero-pads whose pieces follow one another along one dim (the
// gradient of slices of a stacked tensor) is their concat; zeros before and
// after are one pad of it. (A gap inside stays a sum: below.)
// CHECK-LABEL: func @pads_sum_to_concat
// CHECK: [[ALL:%.+]] = mlopt.concat %arg2, %arg1, %arg0 dim = 0 : {{.+}} -> tensor<3x4xf32>
// CHECK: [[MID:%.+]] = mlopt.concat %arg1, %arg0 dim = 0 : {{.+}} -> tensor<2x4xf32>
// CHECK: [[PADDED:%.+]] = mlopt.pad [[MID]], %{{.+}}, low = [1, 0], high = [1, 0] : tensor<2x4xf32>, tensor<f32> -> tensor<4x4xf32>
// CHECK-NOT: mlopt.add
// CHECK: return [[ALL]], [[PADDED]]
func.func @pads_sum_to_concat(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>, %c: tensor<1x4xf32>)
    -> (tensor<3x4xf32>, tensor<4x4xf32>) {
  %z = mlopt.constant dense<0.0> : tensor<f32>
  %pa = mlopt.pad %a, %z, low = [2, 0], high = [0, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %pb = mlopt.pad %b, %z, low = [1, 0], high = [1, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %pc = mlopt.pad %c, %z, low = [0, 0], high = [2, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %s = mlopt.add %pa, %pb : tensor<3x4xf32>
  %all = mlopt.add %s, %pc : tensor<3x4xf32>
  %qa = mlopt.pad %a, %z, low = [2, 0], high = [1, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<4x4xf32>
  %qb = mlopt.pad %b, %z, low = [1, 0], high = [2, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<4x4xf32>
  %mid = mlopt.add %qa, %qb : tensor<4x4xf32>
  return %all, %mid : tensor<3x4xf32>, tensor<4x4xf32>
}

// -----

// Overlapping pieces add up: the sum stays. So does a pad by a non-zero
// value, pads along two different dims, and pieces with a gap between them
// (a zero constant there is a buffer CUDA would upload on every call).
// CHECK-LABEL: func @pads_that_stay_sums
// CHECK-COUNT-4: mlopt.add
// CHECK-NOT: mlopt.concat
func.func @pads_that_stay_sums(%a: tensor<2x4xf32>, %b: tensor<1x4xf32>, %c: tensor<3x3xf32>)
    -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %z = mlopt.constant dense<0.0> : tensor<f32>
  %one = mlopt.constant dense<1.0> : tensor<f32>
  %pa = mlopt.pad %a, %z, low = [1, 0], high = [0, 0] : tensor<2x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %pb = mlopt.pad %b, %z, low = [1, 0], high = [1, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %overlap = mlopt.add %pa, %pb : tensor<3x4xf32>
  %qa = mlopt.pad %a, %one, low = [1, 0], high = [0, 0] : tensor<2x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %qb = mlopt.pad %b, %z, low = [0, 0], high = [2, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %ones = mlopt.add %qa, %qb : tensor<3x4xf32>
  %rc = mlopt.pad %c, %z, low = [0, 1], high = [0, 0] : tensor<3x3xf32>, tensor<f32> -> tensor<3x4xf32>
  %rb = mlopt.pad %b, %z, low = [0, 0], high = [2, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %dims = mlopt.add %rc, %rb : tensor<3x4xf32>
  %ga = mlopt.pad %b, %z, low = [2, 0], high = [0, 0] : tensor<1x4xf32>, tensor<f32> -> tensor<3x4xf32>
  %gap = mlopt.add %ga, %rb : tensor<3x4xf32>
  return %overlap, %ones, %dims, %gap : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}
