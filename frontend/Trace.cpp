//===- Trace.cpp - record a Python function as one mlopt function ---------===//

#include "frontend/Trace.h"
#include "codegen/CpuBackend.h"
#include "codegen/CudaBackend.h"
#include "frontend/GraphBuilder.h"
#include "frontend/OpAttributes.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

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

// Symbol k's sentinel size: far above real dims and spaced so that a rule
// adding a real size to one (concat) or scaling it (pooling) leaves the
// range; products of two overflow and fail the rule.
constexpr int64_t kSentinelBase = int64_t(1) << 40, kSentinelStride = int64_t(1) << 30;
constexpr int64_t kSentinelOffset = 7777, kMaxSymbols = 1024;

int64_t sentinel(int64_t symbol) {
  return kSentinelBase + symbol * kSentinelStride + kSentinelOffset;
}

/// The symbol whose sentinel `size` is, or -1.
int64_t symbolOf(int64_t size) {
  int64_t k = (size - kSentinelBase - kSentinelOffset) / kSentinelStride;
  return size >= kSentinelBase && k < kMaxSymbols && sentinel(k) == size ? k : -1;
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
  prober = std::make_unique<GraphBuilder>(*context, "probe");
}

Trace::~Trace() = default;

TracedValue Trace::describe(int id) const {
  auto type = cast<RankedTensorType>(Value::getFromOpaquePointer(values[id]).getType());
  TracedValue result{id, {}, {}, nameOf(type.getElementType())};
  for (auto [d, probe] : llvm::zip(type.getShape(), probes[id])) {
    bool dynamic = ShapedType::isDynamic(d);
    int64_t symbol = symbolOf(probe);
    result.shape.push_back(dynamic ? -1 : d);
    result.symbols.push_back(!dynamic ? -1 : symbol >= 0 ? symbol : -2);
  }
  return result;
}

TracedValue Trace::addInput(const std::vector<int64_t> &shape, const std::string &dtype,
                            const std::vector<int64_t> &symbols) {
  Value arg = builder->addArgument(
      RankedTensorType::get(mlirShape(shape), elementTypeNamed(*context, dtype)));
  values.push_back(arg.getAsOpaquePointer());
  std::vector<int64_t> probe;
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t symbol = d < symbols.size() ? symbols[d] : -1;
    probe.push_back(size != -1                                   ? size
                    : symbol >= 0 && symbol < kMaxSymbols ? sentinel(symbol)
                                                          : ShapedType::kDynamic);
  }
  probes.push_back(probe);
  return describe(values.size() - 1);
}

bool Trace::scalar(double value, int64_t integer, const std::string &dtype,
                   TracedValue &result, std::string &error) {
  Type element = elementTypeNamed(*context, dtype);
  if (!element) {
    error = "bad dtype '" + dtype + "'";
    return false;
  }
  auto type = RankedTensorType::get({}, element);
  Builder b(context.get());
  Attribute scalar = isa<FloatType>(element) ? Attribute(b.getFloatAttr(element, value))
                                             : Attribute(b.getIntegerAttr(element, integer));
  FailureOr<Value> constant = builder->constant(DenseElementsAttr::get(type, scalar));
  if (failed(constant)) {
    error = builder->error();
    return false;
  }
  values.push_back(constant->getAsOpaquePointer());
  probes.push_back({});
  result = describe(values.size() - 1);
  return true;
}

std::vector<int64_t> Trace::probeOf(const EagerOp &op, const std::vector<int> &operands,
                                    const std::vector<int64_t> *resultShape,
                                    const std::vector<std::pair<int, int>> &sizeSources,
                                    Value result) {
  auto type = cast<RankedTensorType>(result.getType());
  auto shapeOf = [](Type t) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(t).getShape();
    return std::vector<int64_t>(shape.begin(), shape.end());
  };
  if (type.hasStaticShape())
    return shapeOf(type);
  if (resultShape) { // the caller chose the shape: dynamic dims are their sources'
    std::vector<int64_t> probe;
    auto source = sizeSources.begin();
    for (int64_t d : *resultShape) {
      if (d != -1) {
        probe.push_back(d);
        continue;
      }
      probe.push_back(probes[source->first][source->second]);
      ++source;
    }
    return probe;
  }
  if (!op.resultElementType.empty()) // convert: the operand's shape
    return probes[operands.front()];
  // The op's own shape rule, on the operands' probe shapes.
  SmallVector<Value> args;
  for (int id : operands) {
    auto operandType = cast<RankedTensorType>(Value::getFromOpaquePointer(values[id]).getType());
    args.push_back(prober->addArgument(operandType.clone(probes[id])));
  }
  Builder b(context.get());
  FailureOr<Value> probed = prober->create(op.name, args, attributesOf(b, op));
  if (failed(probed)) // e.g. sentinel arithmetic overflowed: nothing is named
    return shapeOf(type);
  return shapeOf(probed->getType());
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
  probes.push_back(probeOf(op, operands, resultShape, sizeSources, *value));
  result = describe(values.size() - 1);
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
    Value value, seed; // a null seed: ones (buildVJP)
    if (!valueOf(out, value) || (cot != -1 && !valueOf(cot, seed)))
      return false;
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
    ArrayRef<int64_t> shape = cast<RankedTensorType>(g.getType()).getShape();
    probes.push_back(std::vector<int64_t>(shape.begin(), shape.end()));
    result.push_back(describe(values.size() - 1));
  }
  return true;
}

bool Trace::finish(const std::vector<int> &results, std::string &error, bool cuda) {
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
  if (cuda) {
    cudaProgram = CudaBackend::compile(**module, "traced", CudaCompileOptions(), error, &stats);
    return cudaProgram != nullptr;
  }
  compiled = CpuBackend::compile(**module, CpuCompileOptions(), error, &stats);
  return compiled && compiled->program("traced", program);
}

bool Trace::cudaSource(std::string &source, std::string &error) const {
  ::mlopt::rt::cuda::ProgramSpec spec;
  if (!cudaSpec(spec, error))
    return false;
  source = spec.source + spec.describe();
  return true;
}

bool Trace::cudaSpec(::mlopt::rt::cuda::ProgramSpec &spec, std::string &error) const {
  if (text.empty()) {
    error = "the trace is not finished";
    return false;
  }
  DialectRegistry registry;
  registerMloptDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || !CudaBackend::emit(*module, "traced", spec, error))
    return error.empty() ? (error = "cannot parse the traced IR", false) : false;
  return true;
}

size_t Trace::kernelCount() const {
  return cudaProgram ? cudaProgram->launchCount() : program.launches.size();
}

std::string Trace::cudaGraphState() const {
  return cudaProgram ? cudaProgram->graphState() : "none";
}

bool Trace::run(const std::vector<rt::Buffer> &inputs, std::vector<rt::Buffer> &outputs,
                std::string &error, bool graph) const {
  if (cudaProgram)
    return graph ? cudaProgram->replay(inputs, outputs, error)
                 : cudaProgram->run(inputs, outputs, error);
  if (!compiled) {
    error = "the trace was not compiled";
    return false;
  }
  for (const rt::Buffer &b : inputs)
    if (b.device != rt::Device::CPU) {
      error = "a CPU-compiled function got a CUDA tensor";
      return false;
    }
  return program.run(inputs, outputs, error);
}
