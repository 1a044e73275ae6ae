// RUN: mlopt %s --split-input-file --mlopt-expand-math | FileCheck %s

// exp's polynomial converts a float to an integer exponent: a NaN there (or a
// value out of range) would be poison to LLVM, which then drops the stores of
// a result it can prove is NaN. The pass makes such inputs the type's minimum.
// CHECK-LABEL: func @exp_scalar
// CHECK: %[[LOW:.+]] = arith.constant -2.14748365E+9 : f32
// CHECK: %[[BELOW:.+]] = arith.cmpf ult, %[[K:.+]], %[[LOW]]
// CHECK: %[[HIGH:.+]] = arith.constant 2.14748365E+9 : f32
// CHECK: %[[ABOVE:.+]] = arith.cmpf uge, %[[K]], %[[HIGH]]
// CHECK: %[[BAD:.+]] = arith.ori %[[BELOW]], %[[ABOVE]]
// CHECK: %[[SAFE:.+]] = arith.select %[[BAD]], %[[LOW]], %[[K]]
// CHECK: arith.fptosi %[[SAFE]] : f32 to i32
func.func @exp_scalar(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}

// -----

// Vectors too: the bounds are splats.
// CHECK-LABEL: func @cast_vector
// CHECK: arith.cmpf ult, %arg0, %{{.+}} : vector<8xf32>
// CHECK: arith.fptosi %{{.+}} : vector<8xf32> to vector<8xi64>
func.func @cast_vector(%x: vector<8xf32>) -> vector<8xi64> {
  %0 = arith.fptosi %x : vector<8xf32> to vector<8xi64>
  return %0 : vector<8xi64>
}
