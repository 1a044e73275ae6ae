// RUN: mlopt %s --split-input-file --mlopt-expand-math | FileCheck %s

// exp's polynomial converts a float to an integer exponent: a NaN there (or a
// value out of range) would be poison to LLVM, which then drops the stores of
// a result it can prove is NaN. Such inputs convert as 0, and the result is
// the integer type's minimum (what x86 gives at run time).
// CHECK-LABEL: func @exp_scalar
// CHECK: %[[LOW:.+]] = arith.constant -2.14748365E+9 : f32
// CHECK: %[[BELOW:.+]] = arith.cmpf ult, %[[K:.+]], %[[LOW]]
// CHECK: %[[HIGH:.+]] = arith.constant 2.14748365E+9 : f32
// CHECK: %[[ABOVE:.+]] = arith.cmpf uge, %[[K]], %[[HIGH]]
// CHECK: %[[BAD:.+]] = arith.ori %[[BELOW]], %[[ABOVE]]
// CHECK: %[[SAFE:.+]] = arith.select %[[BAD]], %{{.+}}, %[[K]]
// CHECK: %[[INT:.+]] = arith.fptosi %[[SAFE]] : f32 to i32
// CHECK: %[[MIN:.+]] = arith.constant -2147483648 : i32
// CHECK: arith.select %[[BAD]], %[[MIN]], %[[INT]]
func.func @exp_scalar(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}

// -----

// Vectors too: the bounds are splats.
// CHECK-LABEL: func @cast_vector
// CHECK: arith.cmpf ult, %arg0, %{{.+}} : vector<8xf32>
// CHECK: %[[INT:.+]] = arith.fptosi %{{.+}} : vector<8xf32> to vector<8xi64>
// CHECK: %[[R:.+]] = arith.select %{{.+}}, %{{.+}}, %[[INT]] : vector<8xi1>, vector<8xi64>
// CHECK: return %[[R]]
func.func @cast_vector(%x: vector<8xf32>) -> vector<8xi64> {
  %0 = arith.fptosi %x : vector<8xf32> to vector<8xi64>
  return %0 : vector<8xi64>
}

// -----

// f16 has no 2^31: every finite half fits, so only NaN and the infinities
// are invalid (bounds of +-inf would have let -inf through).
// CHECK-LABEL: func @half_to_i32
// CHECK: %[[ABS:.+]] = math.absf %arg0 : f16
// CHECK: %[[BAD:.+]] = arith.cmpf ueq, %[[ABS]], %{{.+}} : f16
// CHECK: arith.select %[[BAD]]
func.func @half_to_i32(%x: f16) -> i32 {
  %0 = arith.fptosi %x : f16 to i32
  return %0 : i32
}
