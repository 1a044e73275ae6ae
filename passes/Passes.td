//===- Passes.td - mlopt passes ----------------------------------------===//

#ifndef MLOPT_PASSES_TD
#define MLOPT_PASSES_TD

include "mlir/Pass/PassBase.td"

def RefineShapes : Pass<"mlopt-refine-shapes", "ModuleOp"> {
  let summary = "Replaces dynamic result dims that the operands determine";
  let description = [{
    Re-runs the result-type rule of every mlopt op in program order and
    narrows each result to the most static type compatible with both its
    declared type and the rule's. Where an op prints one type for several
    operands (elementwise ops, comparisons, select), a less static operand is
    cast to the refined type first, so refinement flows through. Users outside
    the dialect keep the type they had, through a `tensor.cast`. A function's
    result types follow its returns, unless it is called or its returns
    disagree; then the returns cast back to the declared types. Used after
    inputs are specialized to static shapes, so code generation sees every
    size it can. A module pass: it reads callers across functions.

    Before:
    ```mlir
    func.func @f(%x: tensor<4x8xf32>) -> tensor<?x4xf32> {
      %t = "mlopt.transpose"(%x) {permutation = array<i64: 1, 0>}
          : (tensor<4x8xf32>) -> tensor<?x4xf32>
      return %t : tensor<?x4xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
      %t = mlopt.transpose %x, permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
      return %t : tensor<8x4xf32>
    }
    ```
    Afterwards every mlopt op with a result-type rule has a type at least as
    static as the rule's, and the module verifies and round-trips.
  }];
  let dependentDialects = ["tensor::TensorDialect"];
}

def Autodiff : Pass<"mlopt-autodiff", "ModuleOp"> {
  let summary = "Adds the reverse-mode gradient (VJP) of a function";
  let description = [{
    Next to `@<function>` adds `@<function>_vjp`, which takes the original
    arguments followed by one cotangent per result and returns the original
    results followed by the gradients of the arguments listed in `wrt`. One
    rule per op (docs/autodiff.md); broadcasts are summed back to the
    operand's shape; only ops between `wrt` and the results get gradients;
    comparisons, argmax, floor, integer casts carry none. Its output is
    mlopt IR, so running it again differentiates the gradient.

    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = mlopt.mul %x, %x : tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    // --mlopt-autodiff="function=f wrt=0" adds:
    func.func @f_vjp(%x: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
      %0 = mlopt.mul %x, %x : tensor<4xf32>
      %1 = mlopt.mul %g, %x : tensor<4xf32>
      %2 = mlopt.mul %g, %x : tensor<4xf32>
      %3 = mlopt.add %1, %2 : tensor<4xf32>
      return %0, %3 : tensor<4xf32>, tensor<4xf32>
    }
    ```
  }];
  let options = [
    Option<"function", "function", "std::string", "\"forward\"",
           "the function to differentiate">,
    ListOption<"wrt", "wrt", "int64_t", "indices of the arguments to differentiate">,
  ];
}

def FuseElementwise : Pass<"mlopt-fuse-elementwise"> {
  let summary = "Fuses elementwise linalg.generic producers into their consumers";
  let description = [{
    Upstream `linalg-fuse-elementwise-ops` (producer-consumer fusion of
    generics into one loop nest, elementwise producers into reductions,
    reshapes propagated by expansion) with two changes: reshapes are only
    propagated through `linalg.generic` ops that are not contractions, so a
    `linalg.matmul` behind a collapse of batch dims stays a matmul (a BLAS
    call) instead of becoming a 3-D generic contraction run as plain loops;
    and a producer with several users is also fused into a reduction that
    reads it when it is cheap to recompute (at most 16 ops, at most one
    transcendental or division): softmax's `exp(x - max)` is recomputed in
    the row sum rather than written out and read back. Heavier producers
    are computed once.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "affine::AffineDialect"];
}

def FuseSiblings : Pass<"mlopt-fuse-siblings", "func::FuncOp"> {
  let summary = "Horizontal fusion: sibling linalg.generic ops that read a common input";
  let description = [{
    Two `linalg.generic` ops over the same static loops and iterators that
    read a common input, neither depending on the other, become one generic
    with the results of both: the input is read once. Producer-consumer
    fusion never merges them. Contractions are left alone.

    ```mlir
    %s = linalg.generic ... ins(%x) outs(%a) { math.sin }
    %c = linalg.generic ... ins(%x) outs(%b) { math.cos }
    // becomes
    %s, %c = linalg.generic ... ins(%x) outs(%a, %b) { math.sin, math.cos }
    ```
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def SplitReductions : Pass<"mlopt-split-reductions", "func::FuncOp"> {
  let summary = "Sums long reductions in blocks, then the blocks' partial results";
  let description = [{
    On linalg on tensors (after elementwise fusion). A reduction over a long
    dim (at least `min-size` elements) with few results (at most
    `max-results`, such as a full sum or the mean of a few columns) is split
    by upstream `linalg::splitReduction`: each block of about `block`
    elements reduces on its own (a parallel dim, so blocks run on all cores,
    or on all of a GPU's multiprocessors),
    then a second generic combines the blocks. Besides the threads this is
    for accuracy: one loop adds 16M floats into 64 vector lanes with a
    relative error of 2.5e-3, where blocks of 4096 give 1e-6 (NumPy's
    pairwise sum 1.5e-7). Row reductions (softmax, layer_norm: many results)
    are left to mlopt-fuse-rows. Adjacent reduction dims are collapsed into
    one first, and unit dims read through a constant index (keepdim results,
    var's mean) are dropped first (upstream's fold-unit-extent-dims). The block is the divisor of
    the dim closest to `block`; a dim with none in [block/4, 4 block] is not
    split.

    With `column-threads` (CUDA), a column sum (the leading dims reduced, the
    innermost dim kept: a bias gradient) with fewer results than that is
    split as well, so that results times blocks come to about
    `column-threads`: one GPU thread per result had only 16 blocks for 4096
    columns of 8192 rows. Its partial results take the blocks as their
    first dim, so neighbouring threads read neighbouring columns.

    ```mlir
    // sum of tensor<16777216xf32> -> tensor<f32> becomes:
    %e = tensor.expand_shape %x [[0, 1]] ... : tensor<16777216xf32> into tensor<4096x4096xf32>
    %p = linalg.generic {iterator_types = ["parallel", "reduction"]} ins(%e) ... -> tensor<4096xf32>
    %r = linalg.generic {iterator_types = ["reduction"]} ins(%p) ... -> tensor<f32>
    ```
  }];
  let options = [
    Option<"minSize", "min-size", "int64_t", "kSplitMinSize",
           "Reductions over fewer elements stay one loop">,
    Option<"maxResults", "max-results", "int64_t", "kSplitMaxResults",
           "Reductions with more results (rows) stay one loop">,
    Option<"columnThreads", "column-threads", "int64_t", "0",
           "Column sums (leading dims reduced, the innermost kept) with fewer "
           "results than this are split too, blocks first (0: never)">,
    Option<"block", "block", "int64_t", "kSplitBlock", "Elements each block reduces">,
  ];
  let dependentDialects = ["tensor::TensorDialect", "linalg::LinalgDialect"];
}

def FuseRows : Pass<"mlopt-fuse-rows", "func::FuncOp"> {
  let summary = "Fuses reductions with their producers and consumers into one loop over row tiles";
  let description = [{
    On linalg on tensors (after elementwise fusion). The last op of a chain
    that contains a reduction is tiled along its leading row dims (parallel
    dims that lead every result, like the batch, head and query dims of an
    attention softmax); every linalg.generic/fill producer whose users are
    all in the group, and that runs over the same rows, is computed per tile
    inside the same `scf.forall`, one clone each. Softmax, log_softmax,
    layer_norm and RMSNorm become one loop that reads each row from memory
    once. matmul and conv are never fused (library calls), and a producer
    with a user outside the group stays outside, so nothing is computed
    twice. Static shapes only. Tiles hold about `tile-elements` of the
    widest op (whole rows, at least one; the row count divides evenly):
    the tile takes one index of as few leading dims as make a row fit, or
    give at least `min-tiles` tiles, and then adds rows of the last.

    ```mlir
    // softmax: max, exp(x - max), sum, divide: four loop nests before,
    // after: one scf.forall over rows with the four tiled ops inside.
    %r = scf.forall (%i) = (0) to (4096) step (4) shared_outs(%o = %empty) {
      ... linalg.generic (max over tensor<4x4096xf32>) ...
      tensor.parallel_insert_slice ...
    }
    ```
  }];
  let options = [
    Option<"tileElements", "tile-elements", "int64_t", "32768",
           "Elements of the widest op per row tile (rows are added up to this)">,
    Option<"minTiles", "min-tiles", "int64_t", "1",
           "Tiles at least, where the row dims allow (a GPU: a block per row)">,
  ];
  let dependentDialects = ["scf::SCFDialect", "tensor::TensorDialect",
                           "affine::AffineDialect", "arith::ArithDialect"];
}

#endif // MLOPT_PASSES_TD
