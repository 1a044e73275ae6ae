//===- ShapeOps.td - broadcast, reshape, transpose, slice, ... -------------===//

#ifndef MLOPT_SHAPE_OPS_TD
#define MLOPT_SHAPE_OPS_TD

include "MloptDialect.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Ops whose result shape is their own choice rather than a function of the
// operands take one `index` operand per dynamic result dim, in order, as
// `tensor.empty` does.

def Mlopt_BroadcastInDimOp : Mlopt_Op<"broadcast_in_dim", [Pure]> {
  let summary = "Broadcasts a tensor to a larger shape (torch.expand).";
  let description = [{
    Operand dim `i` becomes result dim `dims[i]`; `dims` is strictly
    increasing, so broadcasting never permutes. Each mapped operand dim has
    size 1 (it is repeated) or the size of its result dim; a dynamic `?`
    operand dim is never repeated: it must equal its result dim at run time
    (traced IR keeps sizes 0 and 1 static, as torch.compile does). Result dims
    not in `dims` are new. One `index` operand gives the size of each dynamic
    result dim.

    ```mlir
    // bias[512] -> [?, 512]: PyTorch's x + bias for x of shape [n, 512]
    %b = mlopt.broadcast_in_dim %bias, dims = [1] sizes(%n)
        : tensor<512xf32> -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$operand,
                       DenseI64ArrayAttr:$broadcast_dimensions,
                       Variadic<Index>:$dynamic_sizes);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` `dims` `=` $broadcast_dimensions (`sizes` `(` $dynamic_sizes^ `)`)?
    attr-dict `:` type($operand) `->` type($result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Mlopt_ReshapeOp : Mlopt_Op<"reshape", [Pure]> {
  let summary = "Reinterprets the elements in row-major order with a new shape.";
  let description = [{
    The number of elements is unchanged; element type is unchanged. One
    `index` operand gives the size of each dynamic result dim.

    ```mlir
    %r = mlopt.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
    %d = mlopt.reshape %y sizes(%n) : tensor<?x4xf32> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$operand, Variadic<Index>:$dynamic_sizes);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $operand (`sizes` `(` $dynamic_sizes^ `)`)? attr-dict `:` type($operand) `->` type($result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Mlopt_TransposeOp : Mlopt_Op<"transpose", [Pure, Mlopt_InferType]> {
  let summary = "Permutes dims (torch.permute).";
  let description = [{
    Result dim `i` is operand dim `permutation[i]`.

    ```mlir
    %t = mlopt.transpose %x, permutation = [0, 2, 1]
        : tensor<8x3x4xf32> -> tensor<8x4x3xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$operand, DenseI64ArrayAttr:$permutation);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` `permutation` `=` $permutation attr-dict `:` type($operand) `->` type($result)
  }];
  let hasFolder = 1;
}

def Mlopt_SliceOp : Mlopt_Op<"slice", [Pure, Mlopt_InferType]> {
  let summary = "Strided slice: `x[start:limit:step]` in every dim.";
  let description = [{
    For every dim, `0 <= start <= limit <= size` and `step >= 1`; the result
    has `ceil((limit - start) / step)` elements in that dim. Negative and
    out-of-range Python indices are normalized by the front end.

    ```mlir
    %s = mlopt.slice %x, start = [0, 1], limit = [4, 8], step = [1, 2]
        : tensor<4x8xf32> -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$operand, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$limit, DenseI64ArrayAttr:$step);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` `start` `=` $start `,` `limit` `=` $limit `,` `step` `=` $step
    attr-dict `:` type($operand) `->` type($result)
  }];
  let hasFolder = 1;
}

def Mlopt_ConcatOp : Mlopt_Op<"concat", [Pure, SameOperandsAndResultElementType,
    Mlopt_InferType]> {
  let summary = "Joins tensors along one dim (torch.cat).";
  let description = [{
    All inputs have the same rank and element type, and equal sizes in every
    dim but `dim`.

    ```mlir
    %c = mlopt.concat %a, %b dim = 1 : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Mlopt_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $inputs `dim` `=` $dim attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasFolder = 1;
}

def Mlopt_PadOp : Mlopt_Op<"pad", [Pure, Mlopt_InferType]> {
  let summary = "Pads with a constant value (F.pad, mode='constant').";
  let description = [{
    Adds `low[i]` elements before and `high[i]` after dim `i`, all equal to
    the 0-d tensor `padding_value`. Amounts are non-negative: the front end
    turns negative padding into a slice, and reflect/replicate modes into
    slices and concatenation.

    ```mlir
    %p = mlopt.pad %x, %zero, low = [0, 1], high = [0, 2]
        : tensor<4x5xf32>, tensor<f32> -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$operand, Mlopt_Tensor:$padding_value,
                       DenseI64ArrayAttr:$low, DenseI64ArrayAttr:$high);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` $padding_value `,` `low` `=` $low `,` `high` `=` $high
    attr-dict `:` type($operand) `,` type($padding_value) `->` type($result)
  }];
  let hasFolder = 1;
}

def Mlopt_GatherOp : Mlopt_Op<"gather", [Pure, Mlopt_InferType]> {
  let summary = "Gathers along one dim with an index tensor (torch.gather).";
  let description = [{
    `result[i][j][k] = input[index[i][j][k]][j][k]` for `dim = 0`, and so on.
    `index` has the rank of `input`, and `index.size(d) <= input.size(d)` for
    every `d != dim`. The result has the shape of `index`.

    ```mlir
    %g = mlopt.gather %x, %idx, dim = 1
        : tensor<4x10xf32>, tensor<4x1xi64> -> tensor<4x1xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$input, Mlopt_IndexTensor:$index, I64Attr:$dim);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $index `,` `dim` `=` $dim attr-dict `:` type($input) `,` type($index) `->` type($result)
  }];
}

def Mlopt_IndexSelectOp : Mlopt_Op<"index_select", [Pure, Mlopt_InferType]> {
  let summary = "Selects slices along one dim by a 1-D index (torch.index_select).";
  let description = [{
    The result is `input` with dim `dim` replaced by the entries of the 1-D
    `index`; this is also how embedding lookups are expressed.

    ```mlir
    %e = mlopt.index_select %table, %ids, dim = 0
        : tensor<1000x64xf32>, tensor<?xi64> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$input, Mlopt_IndexTensor:$index, I64Attr:$dim);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $index `,` `dim` `=` $dim attr-dict `:` type($input) `,` type($index) `->` type($result)
  }];
}

def Mlopt_ScatterAddOp : Mlopt_Op<"scatter_add", [Pure, Mlopt_InferType]> {
  let summary = "Adds `src` into a copy of `input` at indexed positions (torch.scatter_add).";
  let description = [{
    `result = input` then `result[index[i][j]][j] += src[i][j]` for `dim = 0`.
    `input`, `index` and `src` have one rank; `index.size(d) <= src.size(d)`
    for every `d` and `index.size(d) <= input.size(d)` for `d != dim`. This
    is the gradient of `gather` and `index_select`.

    ```mlir
    %s = mlopt.scatter_add %acc, %idx, %src, dim = 0
        : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
    ```
  }];
  let arguments = (ins Mlopt_NumericTensor:$input, Mlopt_IndexTensor:$index,
                       Mlopt_NumericTensor:$src, I64Attr:$dim);
  let results = (outs Mlopt_NumericTensor:$result);
  let assemblyFormat = [{
    $input `,` $index `,` $src `,` `dim` `=` $dim attr-dict `:`
    type($input) `,` type($index) `,` type($src) `->` type($result)
  }];
}

def Mlopt_IotaOp : Mlopt_Op<"iota", [Pure]> {
  let summary = "The index along one dim, as a tensor (torch.arange).";
  let description = [{
    `result[i0, ..., in] = i_dim`, converted to the result's numeric element
    type. One `index` operand gives the size of each dynamic result dim.

    ```mlir
    %i = mlopt.iota dim = 0 : tensor<16xi64>
    %j = mlopt.iota dim = 1 sizes(%n) : tensor<4x?xf32>
    ```
  }];
  let arguments = (ins I64Attr:$dim, Variadic<Index>:$dynamic_sizes);
  let results = (outs Mlopt_NumericTensor:$result);
  let assemblyFormat = [{
    `dim` `=` $dim (`sizes` `(` $dynamic_sizes^ `)`)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

#endif // MLOPT_SHAPE_OPS_TD
