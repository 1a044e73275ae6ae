// RUN: mlopt %s --split-input-file --mlopt-online-softmax | FileCheck %s

// A max and sum of exp (with logsumexp's shift: 0 for an infinite or NaN
// max) become one pass over chunks of 2048 in the max's nest; the
// sum's loop becomes a read of the row's sum.
// CHECK-LABEL: func @max_then_sum
// CHECK:      %[[MAX:.+]] = memref.alloc() : memref<8x1xf32>
// CHECK-NEXT: %[[SUMS:.+]] = memref.alloc() : memref<8x1xf32>
// CHECK:      scf.for %[[I:.+]] = %c0 to %c8
// CHECK:        %[[INIT:.+]] = memref.load %[[MAX]][%[[I]], %c0]
// CHECK:        %[[ROW:.+]]:2 = scf.for %[[C:.+]] = %c0 to %c4096 step %{{.+}} iter_args(%[[M:.+]] = %[[INIT]], %[[S:.+]] = %{{.+}}) -> (f32, f32)
// CHECK:          %[[END:.+]] = arith.addi %[[C]]
// CHECK:          %[[CM:.+]] = scf.for %{{.+}} = %[[C]] to %[[END]] step %c1 iter_args(%{{.+}} = %[[M]])
// CHECK:            arith.maximumf
// CHECK:          %[[OLD:.+]] = arith.select %{{.+}}, %{{.+}}, %[[M]]
// CHECK:          %[[NEW:.+]] = arith.select %{{.+}}, %{{.+}}, %[[CM]]
// CHECK:          %[[D:.+]] = arith.subf %[[OLD]], %[[NEW]]
// CHECK:          %[[SCALE:.+]] = math.exp %[[D]]
// CHECK:          arith.cmpf oeq, %[[OLD]], %[[NEW]]
// CHECK:          arith.cmpf oeq, %[[S]]
// CHECK:          %[[MOVED:.+]] = arith.select
// CHECK:          %[[CS:.+]] = scf.for %{{.+}} = %[[C]] to %[[END]] step %c1
// CHECK-NOT:        memref.load %[[MAX]]
// CHECK:            math.absf %[[CM]]
// CHECK:            math.exp
// CHECK:          %[[TOTAL:.+]] = arith.addf %[[MOVED]], %[[CS]]
// CHECK:          scf.yield %[[CM]], %[[TOTAL]]
// CHECK:        memref.store %[[ROW]]#0, %[[MAX]][%[[I]], %c0]
// CHECK:        memref.store %[[ROW]]#1, %[[SUMS]][%[[I]], %c0]
// CHECK:      scf.for
// CHECK-NEXT:   memref.store %{{.+}}, %[[SUM:.+]][
// CHECK:      scf.for %[[I2:.+]] = %c0 to %c8
// CHECK-NEXT:   %[[START:.+]] = memref.load %[[SUM]][%[[I2]], %c0]
// CHECK-NEXT:   %[[PART:.+]] = memref.load %[[SUMS]][%[[I2]], %c0]
// CHECK-NEXT:   %[[ALL:.+]] = arith.addf %[[START]], %[[PART]]
// CHECK-NEXT:   memref.store %[[ALL]], %[[SUM]][%[[I2]], %c0]
// CHECK:      memref.dealloc %[[SUMS]]
func.func @max_then_sum(%in: memref<8x4096xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c4096 = arith.constant 4096 : index
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<8x1xf32>
  %sum = memref.alloc() : memref<8x1xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %ninf, %max[%i, %c0] : memref<8x1xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %init = memref.load %max[%i, %c0] : memref<8x1xf32>
    %m = scf.for %j = %c0 to %c4096 step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<8x4096xf32>
      %r = arith.maximumf %x, %a fastmath<reassoc> : f32
      scf.yield %r : f32
    }
    memref.store %m, %max[%i, %c0] : memref<8x1xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %zero, %sum[%i, %c0] : memref<8x1xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %init = memref.load %sum[%i, %c0] : memref<8x1xf32>
    %s = scf.for %j = %c0 to %c4096 step %c1 iter_args(%b = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<8x4096xf32>
      %mi = memref.load %max[%i, %c0] : memref<8x1xf32>
      %abs = math.absf %mi : f32
      %isinf = arith.cmpf oeq, %abs, %inf : f32
      %isnan = arith.cmpf uno, %mi, %mi : f32
      %bad = arith.ori %isnan, %isinf : i1
      %shift = arith.select %bad, %zero, %mi : f32
      %d = arith.subf %x, %shift : f32
      %e = math.exp %d : f32
      %r = arith.addf %e, %b fastmath<reassoc> : f32
      scf.yield %r : f32
    }
    memref.store %s, %sum[%i, %c0] : memref<8x1xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %s = memref.load %sum[%i, %c0] : memref<8x1xf32>
    memref.store %s, %out[%i] : memref<8xf32>
  }
  memref.dealloc %max : memref<8x1xf32>
  memref.dealloc %sum : memref<8x1xf32>
  return
}

// -----

// Rows of 5000: chunks of 2048, the last one short (min with the row's end).
// Nests of two row loops (attention's [batch, rows]) pair up level by level.
// The shift here is softmax's: the max, or 0 where it is -inf.
// (The sums go to a buffer of this function's: a store to %out, an argument
// that may alias %in, in the sum's nest would leave the pair alone.)
// CHECK-LABEL: func @short_last_chunk
// CHECK:      scf.for %[[B:.+]] = %c0 to %c2
// CHECK-NEXT:   scf.for %[[I:.+]] = %c0 to %c3
// CHECK:          scf.for %[[C:.+]] = %c0 to %c5000 step %c2048
// CHECK:            %[[E:.+]] = arith.addi %[[C]], %c2048
// CHECK:            arith.minsi %[[E]], %c5000
// CHECK:              memref.load %arg0[%[[B]], %[[I]], %{{.+}}]
// CHECK:              memref.load %arg0[%[[B]], %[[I]], %{{.+}}]
// CHECK-NOT:  scf.for %{{.+}} = %c0 to %c5000 step %c1
func.func @short_last_chunk(%in: memref<2x3x5000xf64>, %out: memref<2x3x1xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5000 = arith.constant 5000 : index
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %max = memref.alloc() : memref<2x3x1xf64>
  %sum = memref.alloc() : memref<2x3x1xf64>
  scf.for %b = %c0 to %c2 step %c1 {
    scf.for %i = %c0 to %c3 step %c1 {
      %init = memref.load %max[%b, %i, %c0] : memref<2x3x1xf64>
      %m = scf.for %j = %c0 to %c5000 step %c1 iter_args(%a = %init) -> (f64) {
        %x = memref.load %in[%b, %i, %j] : memref<2x3x5000xf64>
        %r = arith.maximumf %x, %a : f64
        scf.yield %r : f64
      }
      memref.store %m, %max[%b, %i, %c0] : memref<2x3x1xf64>
    }
  }
  scf.for %b = %c0 to %c2 step %c1 {
    scf.for %i = %c0 to %c3 step %c1 {
      %s = scf.for %j = %c0 to %c5000 step %c1 iter_args(%acc = %zero) -> (f64) {
        %x = memref.load %in[%b, %i, %j] : memref<2x3x5000xf64>
        %mi = memref.load %max[%b, %i, %c0] : memref<2x3x1xf64>
        %ok = arith.cmpf une, %mi, %ninf : f64
        %shift = arith.select %ok, %mi, %zero : f64
        %d = arith.subf %x, %shift : f64
        %e = math.exp %d : f64
        %r = arith.addf %e, %acc fastmath<reassoc> : f64
        scf.yield %r : f64
      }
      memref.store %s, %sum[%b, %i, %c0] : memref<2x3x1xf64>
    }
  }
  memref.copy %sum, %out : memref<2x3x1xf64> to memref<2x3x1xf64>
  memref.dealloc %max : memref<2x3x1xf64>
  memref.dealloc %sum : memref<2x3x1xf64>
  return
}

// -----

// Left alone: the max itself as the shift. A chunk of only -inf would sum
// exp(-inf + inf) = NaN, where the row's sum against its finite max has 0s.
// CHECK-LABEL: func @shift_not_finite
// CHECK-NOT: -> (f32, f32)
func.func @shift_not_finite(%in: memref<4x5000xf32>, %out: memref<4x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5000 = arith.constant 5000 : index
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<4x1xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %init = memref.load %max[%i, %c0] : memref<4x1xf32>
    %m = scf.for %j = %c0 to %c5000 step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x5000xf32>
      %r = arith.maximumf %x, %a : f32
      scf.yield %r : f32
    }
    memref.store %m, %max[%i, %c0] : memref<4x1xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %s = scf.for %j = %c0 to %c5000 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x5000xf32>
      %mi = memref.load %max[%i, %c0] : memref<4x1xf32>
      %d = arith.subf %x, %mi : f32
      %e = math.exp %d : f32
      %r = arith.addf %e, %acc : f32
      scf.yield %r : f32
    }
    memref.store %s, %out[%i, %c0] : memref<4x1xf32>
  }
  memref.dealloc %max : memref<4x1xf32>
  return
}

// -----

// Left alone: the sum's exp is not of what the max took (2x against x),
// so the running max would not keep exp from overflowing.
// CHECK-LABEL: func @different_values
// CHECK-NOT: -> (f32, f32)
// CHECK: math.exp
// CHECK-NOT: -> (f32, f32)
func.func @different_values(%in: memref<4x64xf32>, %out: memref<4x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<4x1xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %init = memref.load %max[%i, %c0] : memref<4x1xf32>
    %m = scf.for %j = %c0 to %c64 step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      %r = arith.maximumf %x, %a : f32
      scf.yield %r : f32
    }
    memref.store %m, %max[%i, %c0] : memref<4x1xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %s = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      %x2 = arith.addf %x, %x : f32
      %mi = memref.load %max[%i, %c0] : memref<4x1xf32>
      %d = arith.subf %x2, %mi : f32
      %e = math.exp %d : f32
      %r = arith.addf %e, %acc : f32
      scf.yield %r : f32
    }
    memref.store %s, %out[%i, %c0] : memref<4x1xf32>
  }
  memref.dealloc %max : memref<4x1xf32>
  return
}

// -----

// Left alone: the input is written between the max and the sum.
// CHECK-LABEL: func @input_written_between
// CHECK-NOT: -> (f32, f32)
func.func @input_written_between(%in: memref<4x64xf32>, %out: memref<4x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<4x1xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %init = memref.load %max[%i, %c0] : memref<4x1xf32>
    %m = scf.for %j = %c0 to %c64 step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      %r = arith.maximumf %x, %a : f32
      scf.yield %r : f32
    }
    memref.store %m, %max[%i, %c0] : memref<4x1xf32>
  }
  memref.store %zero, %in[%c0, %c0] : memref<4x64xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %s = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      %mi = memref.load %max[%i, %c0] : memref<4x1xf32>
      %d = arith.subf %x, %mi : f32
      %e = math.exp %d : f32
      %r = arith.addf %e, %acc : f32
      scf.yield %r : f32
    }
    memref.store %s, %out[%i, %c0] : memref<4x1xf32>
  }
  memref.dealloc %max : memref<4x1xf32>
  return
}

// -----

// Left alone: the max's nest writes what the sum reads before the max (the
// sum reads the last row's %t; one pass would read each row's own).
// CHECK-LABEL: func @written_before_the_max
// CHECK-NOT: -> (f32, f32)
func.func @written_before_the_max(%in: memref<4x64xf32>) -> memref<4x1xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %inf = arith.constant 0x7F800000 : f32
  %t = memref.alloc() : memref<64xf32>
  %max = memref.alloc() : memref<4x1xf32>
  %sum = memref.alloc() : memref<4x1xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c64 step %c1 {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      memref.store %x, %t[%j] : memref<64xf32>
    }
    %init = memref.load %max[%i, %c0] : memref<4x1xf32>
    %m = scf.for %j = %c0 to %c64 step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %t[%j] : memref<64xf32>
      %r = arith.maximumf %x, %a : f32
      scf.yield %r : f32
    }
    memref.store %m, %max[%i, %c0] : memref<4x1xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %s = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %t[%j] : memref<64xf32>
      %mi = memref.load %max[%i, %c0] : memref<4x1xf32>
      %isnan = arith.cmpf uno, %mi, %mi : f32
      %abs = math.absf %mi : f32
      %isinf = arith.cmpf oeq, %abs, %inf : f32
      %bad = arith.ori %isnan, %isinf : i1
      %shift = arith.select %bad, %zero, %mi : f32
      %d = arith.subf %x, %shift : f32
      %e = math.exp %d : f32
      %r = arith.addf %e, %acc fastmath<reassoc> : f32
      scf.yield %r : f32
    }
    memref.store %s, %sum[%i, %c0] : memref<4x1xf32>
  }
  memref.dealloc %t : memref<64xf32>
  memref.dealloc %max : memref<4x1xf32>
  return %sum : memref<4x1xf32>
}

// -----

// Left alone: every row stores its max to one element (the sum reads the
// last row's max; one pass would use each row's own).
// CHECK-LABEL: func @one_max_for_all_rows
// CHECK-NOT: -> (f32, f32)
func.func @one_max_for_all_rows(%in: memref<4x64xf32>) -> memref<4x1xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %inf = arith.constant 0x7F800000 : f32
  %max = memref.alloc() : memref<1x1xf32>
  %sum = memref.alloc() : memref<4x1xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %init = memref.load %max[%c0, %c0] : memref<1x1xf32>
    %m = scf.for %j = %c0 to %c64 step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      %r = arith.maximumf %x, %a : f32
      scf.yield %r : f32
    }
    memref.store %m, %max[%c0, %c0] : memref<1x1xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %s = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<4x64xf32>
      %mi = memref.load %max[%c0, %c0] : memref<1x1xf32>
      %isnan = arith.cmpf uno, %mi, %mi : f32
      %abs = math.absf %mi : f32
      %isinf = arith.cmpf oeq, %abs, %inf : f32
      %bad = arith.ori %isnan, %isinf : i1
      %shift = arith.select %bad, %zero, %mi : f32
      %d = arith.subf %x, %shift : f32
      %e = math.exp %d : f32
      %r = arith.addf %e, %acc fastmath<reassoc> : f32
      scf.yield %r : f32
    }
    memref.store %s, %sum[%i, %c0] : memref<4x1xf32>
  }
  memref.dealloc %max : memref<1x1xf32>
  return %sum : memref<4x1xf32>
}
