//===- Passes.td - mlopt passes ----------------------------------------===//

#ifndef MLOPT_PASSES_TD
#define MLOPT_PASSES_TD

include "mlir/Pass/PassBase.td"

def RefineShapes : Pass<"mlopt-refine-shapes", "func::FuncOp"> {
  let summary = "Replaces dynamic result dims that the operands determine";
  let description = [{
    Re-runs the result-type rule of every mlopt op in program order and, where
    it proves a `?` dim static, narrows the result type; the function's result
    types follow its `return`. Users outside the dialect keep the type they
    had, through a `tensor.cast`. Used after inputs are specialized to static
    shapes, so code generation sees every size it can.

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
    Afterwards every mlopt op with a result-type rule has exactly the type the
    rule gives. (A generic-form op may carry a less static type: the verifier
    accepts a declared type only if it equals the inferred one, so such input
    only arises from passes that rewrite operands in place.)
  }];
  let dependentDialects = ["tensor::TensorDialect"];
}

#endif // MLOPT_PASSES_TD
