//===- ElementwiseOps.td - constants, unary, binary, select, convert ------===//

#ifndef MLOPT_ELEMENTWISE_OPS_TD
#define MLOPT_ELEMENTWISE_OPS_TD

include "MloptDialect.td"
include "ScalarBodyInterface.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

def Mlopt_ConstantOp : Mlopt_Op<"constant",
    [ConstantLike, Pure, InferTypeOpAdaptor]> {
  let summary = "A tensor constant.";
  let description = [{
    Produces the dense elements attribute `value`. The result type is the type
    of `value`: a statically shaped tensor of an mlopt element type.

    ```mlir
    %0 = mlopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %1 = mlopt.constant dense<0> : tensor<4x4xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Unary elementwise
//===----------------------------------------------------------------------===//

class Mlopt_UnaryOp<string mnemonic, Type tensorType, string formula,
                    list<Trait> traits = []>
    : Mlopt_Op<mnemonic, !listconcat(traits,
        [Pure, Elementwise, SameOperandsAndResultType,
         AllTypesMatch<["operand", "result"]>, InferTypeOpInterface,
         DeclareOpInterfaceMethods<Mlopt_ScalarBodyInterface>])> {
  let summary = "Elementwise `" # formula # "`.";
  let description = [{
    Computes `}] # formula # [{` for every element. Operand and result have
    the same type.

    ```mlir
    %y = mlopt.}] # mnemonic # [{ %x : tensor<4x?xf32>
    ```
  }];
  let arguments = (ins tensorType:$operand);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$operand attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Mlopt_NegOp : Mlopt_UnaryOp<"neg", Mlopt_NumericTensor, "-x">;
def Mlopt_AbsOp : Mlopt_UnaryOp<"abs", Mlopt_NumericTensor, "|x|">;
def Mlopt_SignOp : Mlopt_UnaryOp<"sign", Mlopt_NumericTensor,
    "sign(x): -1, 0 or 1 (NaN gives 0, as torch.sign)">;
def Mlopt_StopGradientOp : Mlopt_UnaryOp<"stop_gradient", Mlopt_Tensor,
    "x, with no gradient through it (detach and no_grad in traces)">;
def Mlopt_ExpOp : Mlopt_UnaryOp<"exp", Mlopt_FloatTensor, "e^x">;
def Mlopt_LogOp : Mlopt_UnaryOp<"log", Mlopt_FloatTensor, "ln(x)">;
def Mlopt_Log1pOp : Mlopt_UnaryOp<"log1p", Mlopt_FloatTensor, "ln(1 + x)">;
def Mlopt_Expm1Op : Mlopt_UnaryOp<"expm1", Mlopt_FloatTensor, "e^x - 1">;
def Mlopt_SqrtOp : Mlopt_UnaryOp<"sqrt", Mlopt_FloatTensor, "sqrt(x)">;
def Mlopt_RsqrtOp : Mlopt_UnaryOp<"rsqrt", Mlopt_FloatTensor, "1 / sqrt(x)">;
def Mlopt_SinOp : Mlopt_UnaryOp<"sin", Mlopt_FloatTensor, "sin(x)">;
def Mlopt_CosOp : Mlopt_UnaryOp<"cos", Mlopt_FloatTensor, "cos(x)">;
def Mlopt_TanhOp : Mlopt_UnaryOp<"tanh", Mlopt_FloatTensor, "tanh(x)">;
def Mlopt_ReluOp : Mlopt_UnaryOp<"relu", Mlopt_FloatTensor,
    "x > 0 ? x : 0, NaN kept (torch.relu; its gradient is 0 at 0)">;
def Mlopt_SigmoidOp : Mlopt_UnaryOp<"sigmoid", Mlopt_FloatTensor,
    "1 / (1 + e^-x)">;
def Mlopt_ErfOp : Mlopt_UnaryOp<"erf", Mlopt_FloatTensor, "erf(x)">;
def Mlopt_FloorOp : Mlopt_UnaryOp<"floor", Mlopt_FloatTensor, "floor(x)">;
def Mlopt_CeilOp : Mlopt_UnaryOp<"ceil", Mlopt_FloatTensor, "ceil(x)">;
def Mlopt_RoundOp : Mlopt_UnaryOp<"round", Mlopt_FloatTensor,
    "round(x), halfway cases to even as torch.round">;
def Mlopt_NotOp : Mlopt_UnaryOp<"not", Mlopt_BitwiseTensor,
    "logical not of a bool, bitwise not (~x) of an integer">;

def Mlopt_IsNanOp : Mlopt_Op<"isnan", [Pure, Elementwise, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Mlopt_ScalarBodyInterface>]> {
  let summary = "Elementwise `x != x`, as a bool tensor.";
  let description = [{
    True where the element is NaN. The result has the operand's shape and
    element type `i1`.

    ```mlir
    %m = mlopt.isnan %x : tensor<8xf16>
    ```
  }];
  let arguments = (ins Mlopt_FloatTensor:$operand);
  let results = (outs Mlopt_BoolTensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Binary elementwise
//===----------------------------------------------------------------------===//

class Mlopt_BinaryOp<string mnemonic, Type tensorType, string formula,
                     list<Trait> traits = []>
    : Mlopt_Op<mnemonic, !listconcat(traits,
        [Pure, Elementwise, SameOperandsAndResultType,
         AllTypesMatch<["lhs", "rhs", "result"]>, InferTypeOpInterface,
         DeclareOpInterfaceMethods<Mlopt_ScalarBodyInterface>])> {
  let summary = "Elementwise `" # formula # "`.";
  let description = [{
    Computes `}] # formula # [{` for every pair of elements. Both operands and
    the result have one type: broadcast first with `mlopt.broadcast_in_dim`.

    ```mlir
    %z = mlopt.}] # mnemonic # [{ %x, %y : tensor<2x?xf32>
    ```
  }];
  let arguments = (ins tensorType:$lhs, tensorType:$rhs);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Mlopt_AddOp : Mlopt_BinaryOp<"add", Mlopt_NumericTensor, "x + y", [Commutative]> {
  // A sum of zero-pads with disjoint pieces along one dim is their concat
  // (the gradient of several slices of one tensor): ir/ShapeOps.cpp.
  let hasCanonicalizer = 1;
}
def Mlopt_SubOp : Mlopt_BinaryOp<"sub", Mlopt_NumericTensor, "x - y">;
def Mlopt_MulOp : Mlopt_BinaryOp<"mul", Mlopt_NumericTensor, "x * y", [Commutative]>;
def Mlopt_DivOp : Mlopt_BinaryOp<"div", Mlopt_NumericTensor,
    "x / y (integers truncate toward zero, as C)">;
def Mlopt_FloorDivOp : Mlopt_BinaryOp<"floor_div", Mlopt_NumericTensor,
    "floor(x / y), as Python's //">;
def Mlopt_RemainderOp : Mlopt_BinaryOp<"remainder", Mlopt_NumericTensor,
    "x - floor(x / y) * y, with the sign of y as Python's %">;
def Mlopt_PowOp : Mlopt_BinaryOp<"pow", Mlopt_NumericTensor, "x ** y">;
def Mlopt_MaximumOp : Mlopt_BinaryOp<"maximum", Mlopt_NumericTensor,
    "max(x, y), NaN if either is NaN", [Commutative]>;
def Mlopt_MinimumOp : Mlopt_BinaryOp<"minimum", Mlopt_NumericTensor,
    "min(x, y), NaN if either is NaN", [Commutative]>;
def Mlopt_Atan2Op : Mlopt_BinaryOp<"atan2", Mlopt_FloatTensor, "atan2(x, y)">;
def Mlopt_AndOp : Mlopt_BinaryOp<"and", Mlopt_BitwiseTensor,
    "x and y: logical on bools, bitwise on integers", [Commutative]>;
def Mlopt_OrOp : Mlopt_BinaryOp<"or", Mlopt_BitwiseTensor,
    "x or y: logical on bools, bitwise on integers", [Commutative]>;
def Mlopt_XorOp : Mlopt_BinaryOp<"xor", Mlopt_BitwiseTensor,
    "x xor y: logical on bools, bitwise on integers", [Commutative]>;

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

class Mlopt_CompareOp<string mnemonic, string formula, list<Trait> traits = []>
    : Mlopt_Op<mnemonic, !listconcat(traits,
        [Pure, Elementwise, SameTypeOperands, AllTypesMatch<["lhs", "rhs"]>,
         InferTypeOpAdaptor, DeclareOpInterfaceMethods<Mlopt_ScalarBodyInterface>])> {
  let summary = "Elementwise `" # formula # "`, as a bool tensor.";
  let description = [{
    Compares every pair of elements; the result has the operands' shape and
    element type `i1`. Comparisons with NaN are false, except `ne`.

    ```mlir
    %m = mlopt.}] # mnemonic # [{ %x, %y : tensor<4xf32>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$lhs, Mlopt_Tensor:$rhs);
  let results = (outs Mlopt_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs)";
  let hasFolder = 1;
}

def Mlopt_EqOp : Mlopt_CompareOp<"eq", "x == y", [Commutative]>;
def Mlopt_NeOp : Mlopt_CompareOp<"ne", "x != y", [Commutative]>;
def Mlopt_LtOp : Mlopt_CompareOp<"lt", "x < y">;
def Mlopt_LeOp : Mlopt_CompareOp<"le", "x <= y">;
def Mlopt_GtOp : Mlopt_CompareOp<"gt", "x > y">;
def Mlopt_GeOp : Mlopt_CompareOp<"ge", "x >= y">;

//===----------------------------------------------------------------------===//
// select, convert
//===----------------------------------------------------------------------===//

def Mlopt_SelectOp : Mlopt_Op<"select", [Pure, Elementwise,
    AllTypesMatch<["on_true", "on_false", "result"]>,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Mlopt_ScalarBodyInterface>]> {
  let summary = "Elementwise choice: `cond ? on_true : on_false` (torch.where).";
  let description = [{
    `cond` is a bool tensor of the same shape as the two alternatives, which
    share one type with the result.

    ```mlir
    %r = mlopt.select %c, %a, %b : tensor<4xi1>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Mlopt_BoolTensor:$cond, Mlopt_Tensor:$on_true,
                       Mlopt_Tensor:$on_false);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $on_true `,` $on_false attr-dict `:` type($cond) `,` type($result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Mlopt_ConvertOp : Mlopt_Op<"convert", [Pure, Elementwise,
    DeclareOpInterfaceMethods<Mlopt_ScalarBodyInterface>]> {
  let summary = "Element-type conversion with PyTorch's rules (Tensor.to).";
  let description = [{
    Converts every element to the result's element type; shapes match.
    - float to float rounds to nearest even; values beyond the target's range
      become +-inf; NaN stays NaN.
    - float to integer truncates toward zero. Values out of range and NaN have
      no defined result in PyTorch; mlopt saturates to the integer's range and
      maps NaN to 0, so every backend gives the same answer.
    - integer to float rounds to nearest even; integer to integer wraps
      (two's complement), as in PyTorch.
    - anything to `i1` is `x != 0` (NaN is true); `i1` to a number is 0 or 1.

    ```mlir
    %i = mlopt.convert %x : tensor<8xf32> -> tensor<8xi64>
    ```
  }];
  let arguments = (ins Mlopt_Tensor:$operand);
  let results = (outs Mlopt_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

#endif // MLOPT_ELEMENTWISE_OPS_TD
