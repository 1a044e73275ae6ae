//===- ScalarBodyInterface.td - how one element is computed ---------------===//

#ifndef MLOPT_SCALAR_BODY_INTERFACE_TD
#define MLOPT_SCALAR_BODY_INTERFACE_TD

include "mlir/IR/OpBase.td"

def Mlopt_ScalarBodyInterface : OpInterface<"ScalarBodyInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The scalar body of an elementwise op: how one result element is computed
    from one element of each operand, as upstream `arith`/`math` ops. It is
    the single definition every code generator reads (the CPU lowering puts it
    in a `linalg.generic`; the CUDA printer prints the same ops).

    Callers go through `buildElementwiseBody` (ScalarBody.h), which computes
    f16/bf16 math in f32 and rounds the result once.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the result element from `args`, one scalar per operand, in
        the operands' element types (f32 for f16/bf16 operands of float
        math).
      }], "::mlir::Value", "buildScalarBody",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$args)>,
  ];
}

#endif // MLOPT_SCALAR_BODY_INTERFACE_TD
