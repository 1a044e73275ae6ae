//===- ContractionOps.td - matmul and convolution -------------------------===//

#ifndef MLOPT_CONTRACTION_OPS_TD
#define MLOPT_CONTRACTION_OPS_TD

include "MloptDialect.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Mlopt_MatmulOp : Mlopt_Op<"matmul", [Pure, SameOperandsAndResultElementType,
    Mlopt_InferType]> {
  let summary = "Batched matrix product with broadcast batch dims (torch.matmul).";
  let description = [{
    `lhs` is `[..., M, K]` and `rhs` is `[..., K, N]`, both of rank >= 2; the
    result is `[..., M, N]`. Batch dims broadcast as NumPy does: aligned from
    the right, each pair equal or one of them 1. 1-D operands are reshaped by
    the front end, as torch.matmul does.

    ```mlir
    %y = mlopt.matmul %x, %w : tensor<8x?x64xf32>, tensor<64x32xf32> -> tensor<8x?x32xf32>
    ```
  }];
  let arguments = (ins Mlopt_NumericTensor:$lhs, Mlopt_NumericTensor:$rhs);
  let results = (outs Mlopt_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Mlopt_Conv2DOp : Mlopt_Op<"conv2d", [Pure, SameOperandsAndResultElementType,
    Mlopt_InferType]> {
  let summary = "2-D convolution, NCHW (F.conv2d without bias).";
  let description = [{
    `input` is `[N, C, H, W]`, `weight` is `[O, C / groups, kH, kW]`, and the
    result is `[N, O, Ho, Wo]` with
    `Ho = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1`
    (likewise `Wo`). `groups` divides both `C` and `O`. Bias is a separate
    broadcast add, so it fuses as an epilogue.

    ```mlir
    %y = mlopt.conv2d %x, %w, stride = [1, 1], padding = [1, 1], dilation = [1, 1], groups = 1
        : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x32x32xf32>
    ```
  }];
  let arguments = (ins Mlopt_FloatTensor:$input, Mlopt_FloatTensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Mlopt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` `stride` `=` $stride `,` `padding` `=` $padding `,`
    `dilation` `=` $dilation `,` `groups` `=` $groups attr-dict `:`
    type($input) `,` type($weight) `->` type($result)
  }];
}

#endif // MLOPT_CONTRACTION_OPS_TD
