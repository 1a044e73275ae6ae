//===- GraphBuilder.cpp - build an mlopt function op by op ----------------===//

#include "frontend/GraphBuilder.h"
#include "passes/Autodiff.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

using namespace mlir;
using namespace mlir::mlopt;

namespace {
/// Collects the diagnostics emitted while it lives into one message.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          if (!message.empty())
            message += "; ";
          message += diag.str();
          return success();
        }) {}
  std::string message;

private:
  ScopedDiagnosticHandler handler;
};
} // namespace

GraphBuilder::GraphBuilder(MLIRContext &context, llvm::StringRef name)
    : context(context), builder(&context) {
  DialectRegistry registry;
  registerMloptDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadDialect<MloptDialect, func::FuncDialect, tensor::TensorDialect>();
  Location loc = builder.getUnknownLoc();
  module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  auto funcOp = builder.create<func::FuncOp>(loc, name,
                                             builder.getFunctionType({}, {}));
  builder.setInsertionPointToStart(funcOp.addEntryBlock());
  func = funcOp;
}

Value GraphBuilder::addArgument(RankedTensorType type) {
  auto funcOp = cast<func::FuncOp>(func);
  BlockArgument arg = funcOp.getBody().addArgument(type, builder.getUnknownLoc());
  funcOp.setType(builder.getFunctionType(
      funcOp.getBody().getArgumentTypes(), funcOp.getResultTypes()));
  return arg;
}

FailureOr<Value> GraphBuilder::fail(const llvm::Twine &message) {
  lastError = message.str();
  return failure();
}

FailureOr<Value> GraphBuilder::create(llvm::StringRef opName, ValueRange operands,
                                      llvm::ArrayRef<NamedAttribute> attributes,
                                      Type resultType) {
  std::optional<RegisteredOperationName> name =
      RegisteredOperationName::lookup(opName, &context);
  if (!name)
    return fail("unknown op '" + opName + "'");
  DiagnosticCollector diagnostics(context);
  Location loc = builder.getUnknownLoc();
  OperationState state(loc, *name);
  state.addOperands(operands);
  state.addAttributes(attributes);

  if (!resultType) {
    if (!name->hasInterface<InferTypeOpInterface>())
      return fail("'" + opName + "' needs an explicit result type");
    // The shape rule reads attributes from the op's properties, which exist
    // once an op is created: ask a result-less probe op.
    Operation *probe = Operation::create(state);
    SmallVector<Type> inferred;
    LogicalResult inferredOk = cast<InferTypeOpInterface>(probe).inferReturnTypes(
        &context, loc, probe->getOperands(), probe->getAttrDictionary(),
        probe->getPropertiesStorage(), probe->getRegions(), inferred);
    probe->destroy();
    if (failed(inferredOk) || inferred.size() != 1)
      return fail(diagnostics.message.empty()
                      ? "cannot infer the result type of '" + opName + "'"
                      : diagnostics.message);
    resultType = inferred.front();
  }
  state.addTypes(resultType);
  Operation *op = builder.create(state);
  if (failed(verify(op))) {
    op->erase();
    return fail(diagnostics.message);
  }
  return op->getResult(0);
}

FailureOr<SmallVector<Value>> GraphBuilder::vjp(ValueRange outputs, ValueRange cotangents,
                                                ValueRange wrt) {
  return buildVJP(builder, builder.getUnknownLoc(), outputs, cotangents, wrt, lastError);
}

Value GraphBuilder::dimOf(Value value, int64_t dim) {
  return builder.create<tensor::DimOp>(builder.getUnknownLoc(), value, dim);
}

FailureOr<Value> GraphBuilder::constant(DenseElementsAttr value) {
  return create("mlopt.constant", {}, builder.getNamedAttr("value", value));
}

FailureOr<SmallVector<int64_t>>
GraphBuilder::broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1 || x == y)
      shape[i] = y;
    else if (y == 1)
      shape[i] = x;
    else if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y))
      // One side is a known size > 1; the other must equal it at run time.
      shape[i] = ShapedType::isDynamic(x) ? y : x;
    else
      return failure();
  }
  return shape;
}

Value GraphBuilder::dynamicSize(int64_t dim, int64_t rank, ValueRange sizeSources) {
  for (Value source : sizeSources) {
    auto type = cast<RankedTensorType>(source.getType());
    int64_t sourceDim = dim - (rank - type.getRank());
    if (sourceDim < 0 || type.getDimSize(sourceDim) == 1)
      continue;
    return dimOf(source, sourceDim);
  }
  return {};
}

FailureOr<Value> GraphBuilder::broadcastTo(Value value, llvm::ArrayRef<int64_t> shape,
                                           ValueRange sizeSources) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return fail("broadcastTo needs a ranked tensor");
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (type == target)
    return value;
  int64_t rank = shape.size(), offset = rank - type.getRank();
  if (offset < 0)
    return fail("cannot broadcast a tensor of rank " + llvm::Twine(type.getRank()) +
                " to rank " + llvm::Twine(rank));
  SmallVector<int64_t> dims;
  for (int64_t i = 0; i < type.getRank(); ++i)
    dims.push_back(offset + i);
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!ShapedType::isDynamic(shape[d]))
      continue;
    Value size = dynamicSize(d, rank, sizeSources);
    if (!size)
      return fail("no source tensor gives the size of dynamic dim " + llvm::Twine(d));
    sizes.push_back(size);
  }
  SmallVector<Value> operands = {value};
  operands.append(sizes);
  return create(BroadcastInDimOp::getOperationName(), operands,
                builder.getNamedAttr("broadcast_dimensions",
                                     builder.getDenseI64ArrayAttr(dims)),
                target);
}

namespace {
std::string shapeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(cast<RankedTensorType>(type).getShape(), os,
                        [&](int64_t d) {
                          if (ShapedType::isDynamic(d))
                            os << "?";
                          else
                            os << d;
                        });
  os << "]";
  return text;
}
} // namespace

FailureOr<Value> GraphBuilder::binary(llvm::StringRef opName, Value lhs, Value rhs) {
  auto a = dyn_cast<RankedTensorType>(lhs.getType());
  auto b = dyn_cast<RankedTensorType>(rhs.getType());
  if (!a || !b)
    return fail("'" + opName + "' needs ranked tensor operands");
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(a.getShape(), b.getShape());
  if (failed(shape))
    return fail("shapes " + shapeString(a) + " and " + shapeString(b) +
                " cannot be broadcast together");
  FailureOr<Value> x = broadcastTo(lhs, *shape, {lhs, rhs});
  if (failed(x))
    return failure();
  FailureOr<Value> y = broadcastTo(rhs, *shape, {lhs, rhs});
  if (failed(y))
    return failure();
  return create(opName, {*x, *y});
}

FailureOr<OwningOpRef<ModuleOp>> GraphBuilder::finish(ValueRange results) {
  if (!module) {
    lastError = "finish() was already called";
    return failure();
  }
  auto funcOp = cast<func::FuncOp>(func);
  builder.create<func::ReturnOp>(builder.getUnknownLoc(), results);
  funcOp.setType(builder.getFunctionType(funcOp.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  DiagnosticCollector diagnostics(context);
  if (failed(verify(*module))) {
    lastError = diagnostics.message;
    return failure();
  }
  return std::move(module);
}
