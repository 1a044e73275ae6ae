// RUN: mlopt %s --split-input-file --mlopt-print-cuda -o /dev/null | FileCheck %s

// The emitter on bufferized IR (the mlopt-lower-to-cuda form): a fill is
// folded into the reduction after it only when nothing reads the buffer in
// between, through any view, and the constant has the element type.

// A view made before the fill reads it: the fill stays a kernel.
// CHECK-LABEL: // ---- fill_read_through_a_view
// CHECK: launch mlopt_k0 grid 1 block 256 (%1)
// CHECK: launch mlopt_k1 grid 1 block 256 (%1, %2)
// CHECK-NEXT: launch mlopt_k2 grid 1 block 256 (%0, %1)
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0, 0)>
func.func @fill_read_through_a_view(%x: memref<8x256xf32>) -> (memref<8xf32>, memref<8x1xf32>) {
  %cst = arith.constant 1.000000e+00 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<8x1xf32>
  %v = memref.collapse_shape %a [[0, 1]] : memref<8x1xf32> into memref<8xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<8x1xf32>)
  %c = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%v : memref<8xf32>) outs(%c : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%x : memref<8x256xf32>) outs(%a : memref<8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return %c, %a : memref<8xf32>, memref<8x1xf32>
}

// -----

// An f32 constant into an i32 buffer: the fill converts it (2.7 -> 2), so
// it stays a kernel.
// CHECK-LABEL: // ---- fill_converts
// CHECK: (int)2.70000005f
// CHECK: launch mlopt_k0 grid 1 block 256 (%1)
// CHECK-NEXT: launch mlopt_k1
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0, 0)>
func.func @fill_converts(%x: memref<8x256xi32>) -> memref<8x1xi32> {
  %cst = arith.constant 2.7 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<8x1xi32>
  linalg.fill ins(%cst : f32) outs(%a : memref<8x1xi32>)
  linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%x : memref<8x256xi32>) outs(%a : memref<8x1xi32>) {
  ^bb0(%in: i32, %out: i32):
    %0 = arith.addi %in, %out : i32
    linalg.yield %0 : i32
  }
  return %a : memref<8x1xi32>
}

// -----

// The same fill with nothing in between and an f32 buffer: folded, one
// kernel, the reduction stores 1 + its sum.
// CHECK-LABEL: // ---- fill_folded
// CHECK: buf1[{{.*}}] = (1.0f + acc
// CHECK: launch mlopt_k0 grid {{[0-9]+}} block 256 (%0, %1)
// CHECK-NOT: launch
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0, 0)>
func.func @fill_folded(%x: memref<8x256xf32>) -> memref<8x1xf32> {
  %cst = arith.constant 1.000000e+00 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<8x1xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<8x1xf32>)
  linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%x : memref<8x256xf32>) outs(%a : memref<8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return %a : memref<8x1xf32>
}
