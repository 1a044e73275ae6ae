//===- GraphBuilder.h - build an mlopt function op by op -------*- C++ -*-===//
//
// The API the tracer records eager ops with. Every op is checked before it is
// built: a shape or dtype error returns failure and a message naming the
// shapes, never invalid IR and never an abort (ODS builders with inferred
// result types abort when the shape rule fails).
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_FRONTEND_GRAPHBUILDER_H
#define MLOPT_FRONTEND_GRAPHBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"
#include <string>

namespace mlir::mlopt {

class GraphBuilder {
public:
  /// Starts a module holding one function `name`; the context gets every
  /// dialect an mlopt program uses.
  explicit GraphBuilder(MLIRContext &context, llvm::StringRef name = "forward");

  /// Adds a function argument (a traced input tensor).
  Value addArgument(RankedTensorType type);

  /// Builds the op `opName` ("mlopt.add") from operands and attributes. The
  /// result type comes from the op's shape rule unless `resultType` is given
  /// (ops such as reshape and convert whose result is their own choice).
  FailureOr<Value> create(llvm::StringRef opName, ValueRange operands,
                          llvm::ArrayRef<NamedAttribute> attributes = {},
                          Type resultType = {});

  /// The run-time size of dim `dim` of `value` (a tensor.dim).
  Value dimOf(Value value, int64_t dim);

  /// Appends the vector-Jacobian product of `outputs` with `cotangents`
  /// with respect to `wrt` (passes/Autodiff.h): one gradient per `wrt`.
  FailureOr<SmallVector<Value>> vjp(ValueRange outputs, ValueRange cotangents, ValueRange wrt);

  /// A dense constant.
  FailureOr<Value> constant(DenseElementsAttr value);

  /// Broadcasts `value` to `shape` with NumPy/PyTorch rules (align right,
  /// size-1 dims stretch). Dynamic target sizes come from `sizeSources`: the
  /// tensors whose shapes produced `shape`.
  FailureOr<Value> broadcastTo(Value value, llvm::ArrayRef<int64_t> shape,
                               ValueRange sizeSources);

  /// A binary elementwise op with PyTorch broadcasting of the two operands.
  FailureOr<Value> binary(llvm::StringRef opName, Value lhs, Value rhs);

  /// Ends the function with `results` and verifies the module; the builder
  /// is done afterwards.
  FailureOr<OwningOpRef<ModuleOp>> finish(ValueRange results);

  /// The diagnostic of the last failure.
  const std::string &error() const { return lastError; }

  /// A NumPy-style broadcast of two shapes, or failure if incompatible.
  static FailureOr<SmallVector<int64_t>>
  broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

private:
  FailureOr<Value> fail(const llvm::Twine &message);
  /// Runtime size of dim `dim` of the broadcast result, read from the first
  /// source whose aligned dim is not 1.
  Value dynamicSize(int64_t dim, int64_t rank, ValueRange sizeSources);

  MLIRContext &context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  Operation *func = nullptr; // the func.func, owned by `module`
  std::string lastError;
};

} // namespace mlir::mlopt

#endif // MLOPT_FRONTEND_GRAPHBUILDER_H
