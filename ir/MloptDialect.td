//===- MloptDialect.td - the mlopt dialect and its type constraints -------===//
//
// The dialect holds the primitive tensor ops every mlopt program is made of.
// Composite functions (softmax, layer_norm, gelu, ...) are not ops: the front
// end decomposes them into these primitives, so codegen and autodiff see one
// small op set.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_TD
#define MLOPT_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Mlopt_Dialect : Dialect {
  let name = "mlopt";
  let cppNamespace = "::mlir::mlopt";
  let summary = "Primitive tensor ops of the mlopt compiler.";
  let description = [{
    Ops work on builtin ranked tensors (static or dynamic `?` dims) with element
    types `f16`, `bf16`, `f32`, `f64`, `i1` (bool), `i32` and `i64`. Elementwise
    ops require operands of one type: broadcasting is explicit, through
    `mlopt.broadcast_in_dim`. Ops are value-semantic and side-effect free.
  }];
  let hasConstantMaterializer = 1;
}

class Mlopt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Mlopt_Dialect, mnemonic, traits>;

// Result-type rule of an op, written as `inferReturnTypes(..., Adaptor, ...)`.
// A declared result type needs only be compatible with the rule's (same
// element type and rank, equal sizes where both are static), so a `?` may
// stand where the rule knows the size; mlopt-refine-shapes narrows it. Ops
// whose custom form does not print the result type (constant, isnan,
// comparisons, elementwise) use exact types instead, so every op round-trips.
def Mlopt_InferType : InferTypeOpAdaptorBase<[{
  static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                      ::mlir::TypeRange declared) {
    return ::mlir::mlopt::areCompatibleTensorTypes(inferred, declared);
  }
}]>;

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Mlopt_Float : AnyTypeOf<[F16, BF16, F32, F64], "floating-point">;
def Mlopt_Int : AnyTypeOf<[I32, I64], "integer">;
def Mlopt_Numeric : AnyTypeOf<[F16, BF16, F32, F64, I32, I64], "numeric">;
def Mlopt_Element : AnyTypeOf<[F16, BF16, F32, F64, I1, I32, I64], "mlopt element">;

def Mlopt_Tensor : RankedTensorOf<[Mlopt_Element]>;
def Mlopt_FloatTensor : RankedTensorOf<[Mlopt_Float]>;
def Mlopt_NumericTensor : RankedTensorOf<[Mlopt_Numeric]>;
def Mlopt_IntTensor : RankedTensorOf<[Mlopt_Int]>;
def Mlopt_BoolTensor : RankedTensorOf<[I1]>;
def Mlopt_BitwiseTensor : RankedTensorOf<[I1, I32, I64]>;
def Mlopt_IndexTensor : RankedTensorOf<[I32, I64]>;

#endif // MLOPT_DIALECT_TD
