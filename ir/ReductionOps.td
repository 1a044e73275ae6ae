//===- ReductionOps.td - reductions over a set of dims ---------------------===//

#ifndef MLOPT_REDUCTION_OPS_TD
#define MLOPT_REDUCTION_OPS_TD

include "MloptDialect.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Mlopt_ReduceOp<string mnemonic, Type tensorType, string what,
                     string identity>
    : Mlopt_Op<mnemonic, [Pure, SameOperandsAndResultElementType,
                          Mlopt_InferType]> {
  let summary = "Reduces over a set of dims: " # what # ".";
  let description = [{
    Reduces the dims listed in `dims` (strictly increasing, each in
    `[0, rank)`); with `keepdim` they stay as size-1 dims, as PyTorch's
    `keepdim=True`. An empty `dims` leaves the operand unchanged. Reducing a
    size-0 dim gives }] # identity # [{.

    ```mlir
    %r = mlopt.}] # mnemonic # [{ %x, dims = [1] : tensor<4x?xf32> -> tensor<4xf32>
    %k = mlopt.}] # mnemonic # [{ %x, dims = [0, 1] keepdim : tensor<4x?xf32> -> tensor<1x1xf32>
    ```
  }];
  let arguments = (ins tensorType:$operand, DenseI64ArrayAttr:$dims,
                       UnitAttr:$keepdim);
  let results = (outs tensorType:$result);
  let assemblyFormat = [{
    $operand `,` `dims` `=` $dims (`keepdim` $keepdim^)? attr-dict `:` type($operand) `->` type($result)
  }];
  let hasFolder = 1;
}

def Mlopt_SumOp : Mlopt_ReduceOp<"sum", Mlopt_NumericTensor, "the sum", "0">;
def Mlopt_ProdOp : Mlopt_ReduceOp<"prod", Mlopt_NumericTensor, "the product", "1">;
def Mlopt_MaxOp : Mlopt_ReduceOp<"max", Mlopt_NumericTensor,
    "the largest element, NaN if any is NaN (torch.amax)",
    "-inf for floats and the smallest integer for integers (PyTorch raises; the front end checks)">;
def Mlopt_MinOp : Mlopt_ReduceOp<"min", Mlopt_NumericTensor,
    "the smallest element, NaN if any is NaN (torch.amin)",
    "+inf for floats and the largest integer for integers (PyTorch raises; the front end checks)">;
def Mlopt_AnyOp : Mlopt_ReduceOp<"any", Mlopt_BoolTensor, "logical or", "false">;
def Mlopt_AllOp : Mlopt_ReduceOp<"all", Mlopt_BoolTensor, "logical and", "true">;

class Mlopt_ArgReduceOp<string mnemonic, string what>
    : Mlopt_Op<mnemonic, [Pure, Mlopt_InferType]> {
  let summary = "Index of the " # what # " element along one dim.";
  let description = [{
    Returns, as `i64`, the position along `dim` of the }] # what # [{ element;
    the first one on ties, and the first NaN if there is one (torch.}] # mnemonic # [{).
    With `keepdim` the reduced dim stays with size 1.

    ```mlir
    %i = mlopt.}] # mnemonic # [{ %x, dim = 1 : tensor<4x10xf32> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins Mlopt_NumericTensor:$operand, I64Attr:$dim, UnitAttr:$keepdim);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $operand `,` `dim` `=` $dim (`keepdim` $keepdim^)? attr-dict `:` type($operand) `->` type($result)
  }];
}

def Mlopt_ArgMaxOp : Mlopt_ArgReduceOp<"argmax", "largest">;
def Mlopt_ArgMinOp : Mlopt_ArgReduceOp<"argmin", "smallest">;

#endif // MLOPT_REDUCTION_OPS_TD
