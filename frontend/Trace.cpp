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
  return {id, std::vector<int64_t>(type.getShape().begin(), type.getShape().end()),
          nameOf(type.getElementType())};
}

} // namespace

Trace::Trace() : context(std::make_unique<MLIRContext>()) {
  builder = std::make_unique<GraphBuilder>(*context, "traced");
}

Trace::~Trace() = default;

TracedValue Trace::addInput(const std::vector<int64_t> &shape, const std::string &dtype) {
  Value arg = builder->addArgument(
      RankedTensorType::get(shape, elementTypeNamed(*context, dtype)));
  values.push_back(arg.getAsOpaquePointer());
  return describe(values.size() - 1, arg);
}

bool Trace::record(const EagerOp &op, const std::vector<int> &operands,
                   const std::vector<int64_t> *resultShape, TracedValue &result,
                   std::string &error) {
  Builder b(context.get());
  SmallVector<Value> args;
  for (int id : operands) {
    if (id < 0 || id >= static_cast<int>(values.size())) {
      error = "unknown traced value";
      return false;
    }
    args.push_back(Value::getFromOpaquePointer(values[id]));
  }
  SmallVector<NamedAttribute> attributes = attributesOf(b, op);
  Type resultType;
  if (resultShape || !op.resultElementType.empty()) {
    auto first = cast<RankedTensorType>(args.front().getType());
    Type element = op.resultElementType.empty() ? first.getElementType()
                                                : elementTypeNamed(*context, op.resultElementType);
    resultType = RankedTensorType::get(resultShape ? ArrayRef<int64_t>(*resultShape)
                                                   : first.getShape(),
                                       element);
  }
  FailureOr<Value> value = builder->create(op.name, args, attributes, resultType);
  if (failed(value)) {
    error = builder->error();
    return false;
  }
  values.push_back(value->getAsOpaquePointer());
  result = describe(values.size() - 1, *value);
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
