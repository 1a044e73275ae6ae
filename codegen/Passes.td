//===- Passes.td - code generation passes ---------------------------------===//

#ifndef MLOPT_CODEGEN_PASSES_TD
#define MLOPT_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertMloptToLinalg : Pass<"convert-mlopt-to-linalg", "ModuleOp"> {
  let summary = "Lowers mlopt ops to linalg and tensor ops on tensors";
  let description = [{
    Every mlopt op becomes upstream ops on tensors, the backend-neutral loop
    form the CPU and CUDA code generators share:
    - elementwise ops: one `linalg.generic` whose body is the op's scalar
      body (ScalarBodyInterface), f16/bf16 math in f32;
    - broadcast_in_dim, iota, gather, index_select: `linalg.generic` with
      indexing maps or `tensor.extract` in the body;
    - transpose: `linalg.transpose`; reshape: `tensor.reshape`; slice:
      `tensor.extract_slice`; concat: `tensor.insert_slice`s; pad:
      `tensor.pad`; scatter_add: an `scf.for` nest;
    - reductions: `linalg.fill` + `linalg.generic` with reduction iterators
      (f16/bf16 accumulate in f32);
    - matmul: `linalg.matmul` / `linalg.batch_matmul`; conv2d:
      `linalg.conv_2d_nchw_fchw` per group after `tensor.pad`.

    ```mlir
    %y = mlopt.exp %x : tensor<?xf32>
    // becomes
    %e = tensor.empty(%n) : tensor<?xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
      ^bb0(%in: f32, %out: f32):
        %r = math.exp %in : f32
        linalg.yield %r : f32
    } -> tensor<?xf32>
    ```
    Afterwards no mlopt op remains; an op that cannot be lowered is an error
    at its location.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "scf::SCFDialect",
                           "tensor::TensorDialect"];
}

def MloptExpandMath : Pass<"mlopt-expand-math"> {
  let summary = "Expands transcendental math ops into vectorizable polynomials";
  let description = [{
    Rewrites `math.exp`, `log`, `log1p`, `expm1`, `tanh`, `erf`, `rsqrt` on
    f32 into MLIR's polynomial approximations (plain arith ops, which LLVM's
    loop vectorizer turns into AVX2 code; libm calls would stay scalar).
    `log` of subnormal inputs is rescaled first. `sin`, `cos` and `atan2`
    become libm calls: their approximations are wrong for tiny negative or
    large arguments and at signed zeros and infinities; so do `log1p` and
    `expm1` of f64, which the LLVM lowering would compute as `log(1 + x)`
    and `exp(x) - 1`. Other f64 math keeps LLVM's libm-backed intrinsics.
    The error against float64 NumPy is asserted per function in
    test/python/test_cpu_ops.py (bounds in docs/codegen.md). Also expands
    the arith ops LLVM has no instruction for (ceil/floor division, bf16
    conversions as integer ops, since LLVM's x86 lowering flushes bf16
    subnormals); `maximumf`/`minimumf` stay, so max reductions vectorize.
  }];
  let dependentDialects = ["arith::ArithDialect", "func::FuncDialect",
                           "math::MathDialect", "vector::VectorDialect"];
}

def MloptLinalgToBlas : Pass<"mlopt-linalg-to-blas", "ModuleOp"> {
  let summary = "Calls the runtime's BLAS for f32/f64 matmul and conv2d on buffers";
  let description = [{
    After bufferization, rewrites `linalg.matmul`, `linalg.batch_matmul` and
    `linalg.conv_2d_nchw_fchw` on f32/f64 memrefs into calls of
    `mlopt_rt_matmul_<t>`, `mlopt_rt_batch_matmul_<t>` and
    `mlopt_rt_conv2d_<t>` (C interface, any strides; conv2d also takes its
    strides and dilations). The runtime calls cblas_sgemm/dgemm, for conv2d
    after im2col. Other element types keep their loops.

    ```mlir
    linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>)
                  outs(%c : memref<?x32xf32>)
    // becomes
    %a1 = memref.cast %a : memref<?x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    ...
    call @mlopt_rt_matmul_f32(%a1, %b1, %c1) : (...) -> ()
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "func::FuncDialect",
                           "memref::MemRefDialect"];
}

def MloptParallelizeOuterLoops : Pass<"mlopt-parallelize-outer-loops"> {
  let summary = "Keeps threads on the outermost parallel dim, and only for big loops";
  let description = [{
    Rewrites every outermost `scf.parallel` (without reductions) into

    ```mlir
    scf.if %total_iterations >= min-parallel-work {
      scf.parallel (%i) = ... {      // threads split the outer dim
        scf.for %j ... { body }      // inner dims stay sequential loops
      }
    } else {
      scf.for %i ... { scf.for %j ... { body } }
    }
    ```

    so `convert-scf-to-openmp` puts one OpenMP work-sharing loop over the
    outer dim, the inner loops keep unit-stride indices that LLVM
    vectorizes, and small kernels run without the cost of a parallel region.
    The total counts the static trip counts of the loops nested in the body
    too, so a loop over row tiles (mlopt-fuse-rows) counts its rows' work.
    Where the outer dim has fewer than 64 iterations (a batch of 4), the
    threads share the next dims too, through one index over their
    iterations (static trip counts; never the innermost dim of an
    elementwise loop, which LLVM vectorizes).
  }];
  let options = [
    Option<"minParallelWork", "min-parallel-work", "int64_t", "32768",
           "Iterations below which a loop nest runs on the calling thread">,
  ];
  let dependentDialects = ["arith::ArithDialect", "scf::SCFDialect"];
}

def MloptPromoteAccumulators : Pass<"mlopt-promote-accumulators"> {
  let summary = "Keeps reduction accumulators of scf.for loops in registers";
  let description = [{
    A store to a memref at loop-invariant indices that follows every load of
    it in an `scf.for` body, with nothing else in the loop touching that
    memref and no other writes, becomes an iter_arg: one load before the
    loop, one store after. Linalg reductions lowered to loops take this
    form; LLVM cannot promote it itself (it cannot prove the input does not
    alias the accumulator), and a promoted reduction with `reassoc` vectorizes.

    ```mlir
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.load %out[%i] : memref<8xf32>
      %x = memref.load %in[%i, %j] : memref<8x64xf32>
      %s = arith.addf %x, %a fastmath<reassoc> : f32
      memref.store %s, %out[%i] : memref<8xf32>
    }
    // becomes
    %init = memref.load %out[%i] : memref<8xf32>
    %sum = scf.for %j = %c0 to %n step %c1 iter_args(%a = %init) -> (f32) {
      %x = memref.load %in[%i, %j] : memref<8x64xf32>
      %s = arith.addf %x, %a fastmath<reassoc> : f32
      scf.yield %s : f32
    }
    memref.store %sum, %out[%i] : memref<8xf32>
    ```
  }];
  let dependentDialects = ["memref::MemRefDialect", "scf::SCFDialect"];
}

def MloptStoreRowSummands : Pass<"mlopt-store-row-summands"> {
  let summary = "Stores a row sum's summands where a later loop would compute them again";
  let description = [{
    Softmax sums `exp(x - shift(max))` over a row and a later loop nest over
    the same rows computes `exp(x - shift(max))` again to scale it. The
    exps, not memory, set softmax's time on wide vector units, so this pass
    has the sum's loop store each summand where the later loop writes that
    element's result, and the later loop load it back instead of computing
    it:

    ```mlir
    %s = scf.for %j = %c0 to %c4096 step %c1 iter_args(%a = %zero) -> (f32) {
      %e = math.exp ...(%in[%i, %j], %max[%i, %c0])
      %r = arith.addf %e, %a fastmath<reassoc> : f32
      scf.yield %r : f32
    }
    ...
    scf.for %j = %c0 to %c4096 step %c1 {         // the later loop
      %e2 = math.exp ...(%in[%i, %j], %max[%i, %c0])
      %y = arith.mulf %e2, %inv : f32
      memref.store %y, %out[%i, %j] : memref<8x4096xf32>
    }
    // becomes
    %s = scf.for ... {
      %e = math.exp ...
      memref.store %e, %out[%i, %j] : memref<8x4096xf32>
      ...
    }
    scf.for %j = ... {
      %e2 = memref.load %out[%i, %j] : memref<8x4096xf32>
      %y = arith.mulf %e2, %inv : f32
      memref.store %y, %out[%i, %j] : memref<8x4096xf32>
    }
    ```

    Only when the summand takes a transcendental function or a division;
    the later nest's loops have the sum's nest's bounds, its inner loop
    stores one result per element (every loop index indexes the store
    once) into unit-stride views of a buffer allocated here that no other
    op touches inside the op holding both nests (or, in a function's body,
    between them); its results fit in 512 KiB (static bounds), so they are
    still in cache when the later loop reads them; and nothing in either
    nest or between them writes what the summand reads. The values are the
    same bits as before. Runs before mlopt-online-softmax, which then
    leaves such a sum as it is (its loop now stores).
  }];
  let dependentDialects = ["memref::MemRefDialect"];
}

def MloptOnlineSoftmax : Pass<"mlopt-online-softmax"> {
  let summary = "Computes a row's max and its sum of exp(x - max) in one pass";
  let description = [{
    Softmax, log_softmax and logsumexp reduce a row to its max in one loop
    nest and, in a later one, to the sum of `exp(v - shift(max))` (the same
    `v` the max took). The first pass streams the row from memory with
    little to compute; the second computes an exp per element while memory
    idles. This pass fuses the sum into the max's nest as an online
    normalizer (Milakov and Gimelshein, 2018), over chunks of 2048
    elements: the chunk's max first (the chunk then sits in L1), then the
    sum so far rescaled by `exp(shift(old) - shift(new))` (kept as it is
    when the shift did not change or the sum is 0), plus the chunk's sum of
    exp against the new shift. The max comes out bit for bit the same; the
    sum differs by rounding. The sum's loop becomes a read of the row's sum:

    ```mlir
    scf.for %i = %c0 to %c8 step %c1 {           // the max's nest
      %init = memref.load %max[%i, %c0] : memref<8x1xf32>
      %m = scf.for %j = %c0 to %c4096 step %c1 iter_args(%a = %init) -> (f32) {
        %x = memref.load %in[%i, %j] : memref<8x4096xf32>
        %r = arith.maximumf %x, %a fastmath<reassoc> : f32
        scf.yield %r : f32
      }
      memref.store %m, %max[%i, %c0] : memref<8x1xf32>
    }
    ...
    %s = scf.for %j = ... iter_args(%b = %zero) -> (f32) {   // the sum's
      %x = memref.load %in[%i, %j] : memref<8x4096xf32>
      %mi = memref.load %max[%i, %c0] : memref<8x1xf32>
      %e = math.exp (arith.subf %x, (shift of %mi))
      %r = arith.addf %e, %b fastmath<reassoc> : f32
      scf.yield %r : f32
    }
    // becomes, in the max's nest, with the row's sum stored to %sums:
    %m, %sum = scf.for %c = %c0 to %c4096 step %c2048
        iter_args(%a = %init, %s = %zero) -> (f32, f32) {
      %cm = scf.for %j = %c to %end ... (the max's body, from %a)
      %scale = math.exp (shift(%a) - shift(%cm))
      %cs = scf.for %j = %c to %end ... (the sum's body, %mi = %cm)
      ...  scf.yield %cm, %s * %scale + %cs
    }
    ```

    Only under a shift that is a `select` between the max and a finite
    constant picking the constant for a max of -inf (the condition is
    evaluated there), as PyTorch's `where(m != -inf, m, 0)` and
    `where(isfinite(m), m, 0)` (with the max itself, a chunk of only -inf
    would sum exp(-inf + inf) = NaN where the row's sum has zeros); f32/f64 rows, a sum with `reassoc`;
    a static max buffer allocated beside the nests, an element of it per
    row, read once in the sum; nothing else in either nest or between them
    writing what they read (buffers allocated here and reached only through
    views are told apart; arguments may alias).
  }];
  let dependentDialects = ["arith::ArithDialect", "math::MathDialect",
                           "memref::MemRefDialect", "scf::SCFDialect"];
}

#endif // MLOPT_CODEGEN_PASSES_TD
