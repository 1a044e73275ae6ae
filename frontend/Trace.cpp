//===- Trace.cpp - record a Python function as one mlopt function ---------===//

#include "frontend/Trace.h"
#include "codegen/CpuBackend.h"
#include "frontend/GraphBuilder.h"
#include "frontend/OpAttributes.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/MLIRContext.h"

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

namespace {


std::string nameOf(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return os.str();
}

TracedValue describe(int id, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  std::vector<int64_t> shape;
  for (int64_t d : type.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return {id, shape, nameOf(type.getElementType())};
}

/// Python's -1 for a dynamic dim is MLIR's kDynamic.
SmallVector<int64_t> mlirShape(const std::vector<int64_t> &shape) {
  SmallVector<int64_t> out;
  for (int64_t d : shape)
    out.push_back(d == -1 ? ShapedType::kDynamic : d);
  return out;
}

} // namespace

Trace::Trace() : context(std::make_unique<MLIRContext>()) {
  builder = std::make_unique<GraphBuilder>(*context, "traced");
}

Trace::~Trace() = default;

TracedValue Trace::addInput(const std::vector<int64_t> &shape, const std::string &dtype) {
  Value arg = builder->addArgument(
      RankedTensorType::get(mlirShape(shape), elementTypeNamed(*context, dtype)));
  values.push_back(arg.getAsOpaquePointer());
  return describe(values.size() - 1, arg);
}

bool Trace::record(const EagerOp &op, const std::vector<int> &operands,
                   const std::vector<int64_t> *resultShape,
                   const std::vector<std::pair<int, int>> &sizeSources, TracedValue &result,
                   std::string &error) {
  Builder b(context.get());
  auto known = [&](int id) { return id >= 0 && id < static_cast<int>(values.size()); };
  SmallVector<Value> args;
  for (int id : operands) {
    if (!known(id)) {
      error = "unknown traced value";
      return false;
    }
    args.push_back(Value::getFromOpaquePointer(values[id]));
  }
  size_t dynamicDims = resultShape ? llvm::count(*resultShape, -1) : 0;
  if (dynamicDims != sizeSources.size()) {
    error = "each dynamic result dim needs one size source";
    return false;
  }
  SmallVector<Value> sizes;
  for (auto [id, dim] : sizeSources) {
    if (!known(id)) {
      error = "unknown traced value";
      return false;
    }
    Value source = Value::getFromOpaquePointer(values[id]);
    if (dim < 0 || dim >= cast<RankedTensorType>(source.getType()).getRank()) {
      error = "size source dim out of range";
      return false;
    }
    sizes.push_back(builder->dimOf(source, dim));
  }
  SmallVector<NamedAttribute> attributes = attributesOf(b, op);
  Type resultType;
  if (resultShape || !op.resultElementType.empty()) {
    auto first = cast<RankedTensorType>(args.front().getType());
    Type element = op.resultElementType.empty() ? first.getElementType()
                                                : elementTypeNamed(*context, op.resultElementType);
    resultType = RankedTensorType::get(resultShape ? ArrayRef<int64_t>(mlirShape(*resultShape))
                                                   : first.getShape(),
                                       element);
  }
  args.append(sizes);
  FailureOr<Value> value = builder->create(op.name, args, attributes, resultType);
  if (failed(value)) {
    error = builder->error();
    return false;
  }
  values.push_back(value->getAsOpaquePointer());
  result = describe(values.size() - 1, *value);
  return true;
}

bool Trace::gradients(const std::vector<int> &outputs, const std::vector<int> &cotangents,
                      const std::vector<int> &wrt, std::vector<TracedValue> &result,
                      std::string &error) {
  auto valueOf = [&](int id, Value &value) {
    if (id < 0 || id >= static_cast<int>(values.size())) {
      error = "unknown traced value";
      return false;
    }
    value = Value::getFromOpaquePointer(values[id]);
    return true;
  };
  if (cotangents.size() != outputs.size()) {
    error = "one cotangent per output is needed";
    return false;
  }
  SmallVector<Value> outs, seeds, args;
  for (auto [out, cot] : llvm::zip(outputs, cotangents)) {
    Value value, seed;
    if (!valueOf(out, value))
      return false;
    if (cot == -1) {
      auto type = cast<RankedTensorType>(value.getType());
      if (!type.hasStaticShape()) {
        error = "autodiff needs static shapes";
        return false;
      }
      OpBuilder b(context.get());
      FailureOr<Value> ones = builder->constant(DenseElementsAttr::get(
          type, isa<FloatType>(type.getElementType())
                    ? Attribute(b.getFloatAttr(type.getElementType(), 1.0))
                    : Attribute(b.getIntegerAttr(type.getElementType(), 1))));
      if (failed(ones)) {
        error = builder->error();
        return false;
      }
      seed = *ones;
    } else if (!valueOf(cot, seed)) {
      return false;
    }
    outs.push_back(value);
    seeds.push_back(seed);
  }
  for (int id : wrt) {
    Value value;
    if (!valueOf(id, value))
      return false;
    args.push_back(value);
  }
  FailureOr<SmallVector<Value>> grads = builder->vjp(outs, seeds, args);
  if (failed(grads)) {
    error = builder->error();
    return false;
  }
  result.clear();
  for (Value g : *grads) {
    values.push_back(g.getAsOpaquePointer());
    result.push_back(describe(values.size() - 1, g));
  }
  return true;
}

bool Trace::finish(const std::vector<int> &results, std::string &error) {
  SmallVector<Value> outs;
  for (int id : results) {
    if (id < 0 || id >= static_cast<int>(values.size())) {
      error = "unknown traced value";
      return false;
    }
    outs.push_back(Value::getFromOpaquePointer(values[id]));
  }
  FailureOr<OwningOpRef<ModuleOp>> module = builder->finish(outs);
  if (failed(module)) {
    error = builder->error();
    return false;
  }
  llvm::raw_string_ostream os(text);
  (**module)->print(os);
  compiled = CpuBackend::compile(**module, CpuCompileOptions(), error);
  return compiled && compiled->program("traced", program);
}

bool Trace::run(const std::vector<rt::Buffer> &inputs, std::vector<rt::Buffer> &outputs,
                std::string &error) const {
  if (!compiled) {
    error = "the trace was not compiled";
    return false;
  }
  return program.run(inputs, outputs, error);
}
