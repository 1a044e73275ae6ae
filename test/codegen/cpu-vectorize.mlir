// REQUIRES: avx2
// RUN: mlopt-run %s --emit-llvm | FileCheck %s

// An elementwise kernel becomes AVX2 vector code: 8 floats per instruction,
// with tanh expanded to polynomials (no scalar libm calls) and FMAs.
// CHECK: fmul {{.*}}<8 x float>
// CHECK: @llvm.fma.v8f32
// CHECK-NOT: call float @tanhf
func.func @scale_tanh(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %m = mlopt.mul %x, %y : tensor<?xf32>
  %t = mlopt.tanh %m : tensor<?xf32>
  return %t : tensor<?xf32>
}
