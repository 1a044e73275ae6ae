//===- Interpreter.cpp - a traced function run op by op -------------------===//

#include "frontend/Interpreter.h"
#include "codegen/RuntimeTypes.h"
#include "frontend/Eager.h"
#include "frontend/OpAttributes.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"
#include "runtime/Invoke.h"
#include "runtime/Threads.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

namespace {

// What the cost estimates assume (measured on the 2-core build machine:
// an eager 4096x4096 f32 op moves about 16 GB/s including its fresh
// result, a fused kernel 20; OpenBLAS 75 GFLOP/s a core; a cold compile
// about 15 ms plus 1.5 ms per traced op).
constexpr double kEagerBytesPerMs = 16e6;
constexpr double kFusedBytesPerMs = 20e6;
constexpr double kFlopsPerMsPerCore = 75e6;
constexpr double kCompileBaseMs = 15, kCompileMsPerOp = 1.5;

/// The static shape and element type of a ranked tensor value.
bool specOf(Type type, std::vector<int64_t> &shape, rt::DType &dtype) {
  std::optional<rt::TensorSpec> spec = runtimeSpec(type);
  if (!spec || llvm::is_contained(spec->shape, rt::kDynamicSize))
    return false;
  shape = spec->shape;
  dtype = spec->dtype;
  return true;
}

/// A buffer of this shape and dtype with no memory: what the eager kernel
/// caches are asked about.
rt::Buffer likeBuffer(std::vector<int64_t> shape, rt::DType dtype) {
  rt::Buffer like;
  like.dtype = dtype;
  like.strides = rt::rowMajorStrides(shape);
  like.shape = std::move(shape);
  return like;
}

/// A dense constant's elements in a buffer (null for other kinds); a splat
/// is one element viewed with stride 0 (autodiff makes full-size zeros).
std::optional<rt::Buffer> constantBuffer(Attribute value, const std::vector<int64_t> &shape,
                                         rt::DType dtype) {
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return std::nullopt;
  bool splat = dense.isSplat();
  rt::Buffer out = rt::Buffer::allocate(dtype, splat ? std::vector<int64_t>{1} : shape);
  std::string bytes = elementBytes(dense, out.numElements());
  std::memcpy(out.data, bytes.data(), bytes.size());
  if (splat) {
    out.shape = shape;
    out.strides.assign(shape.size(), 0);
  }
  return out;
}

/// The dtypes an iota is filled in directly (others: i64, then converted).
bool iotaIsDirect(rt::DType dtype) {
  return dtype == rt::DType::F32 || dtype == rt::DType::F64 || dtype == rt::DType::I32 ||
         dtype == rt::DType::I64;
}

template <typename T>
void fillIota(rt::Buffer &out, int dim) {
  T *data = static_cast<T *>(out.data);
  int64_t n = out.numElements(), inner = 1;
  for (size_t d = dim + 1; d < out.shape.size(); ++d)
    inner *= out.shape[d];
  int64_t size = out.shape[dim];
  for (int64_t i = 0; i < n; ++i)
    data[i] = static_cast<T>((i / inner) % size);
}

} // namespace

struct InterpretedFunction::Step {
  enum Kind { Eager, Reshape, Broadcast, Transpose, Slice, Identity, Iota, Constant } kind = Eager;
  EagerOp op;                          // Eager
  std::vector<int> operands;           // slots read
  int result = -1;                     // slot written
  std::vector<int64_t> shape;          // the result's static shape
  rt::DType dtype = rt::DType::F32;    // and element type
  std::vector<int64_t> dims;           // Broadcast: operand dim -> result dim;
                                       // Transpose: result dim -> operand dim;
                                       // Slice: the start
  std::vector<int64_t> steps;          // Slice
  int64_t dim = 0;                     // Iota
  rt::Buffer constant;                 // Constant
  std::vector<int> releases;           // slots whose last reader this is
};

InterpretedFunction::InterpretedFunction() = default;
InterpretedFunction::~InterpretedFunction() = default;

std::unique_ptr<InterpretedFunction> InterpretedFunction::build(func::FuncOp func,
                                                                std::string &why,
                                                                bool cachedKernels) {
  std::unique_ptr<InterpretedFunction> plan(new InterpretedFunction());
  Block &body = func.getBody().front();
  llvm::DenseMap<Value, int> slotOf;
  for (BlockArgument arg : body.getArguments()) {
    std::vector<int64_t> shape;
    rt::DType dtype;
    if (!specOf(arg.getType(), shape, dtype)) {
      why = "an argument without a static shape";
      return nullptr;
    }
    slotOf[arg] = plan->numSlots++;
    plan->argShapes.push_back(shape);
    plan->argTypes.push_back(dtype);
  }
  // Only ops the results depend on run (a trace keeps ops it recorded but
  // never used).
  Operation *terminator = body.getTerminator();
  llvm::DenseSet<Operation *> live = {terminator};
  for (Operation &op : llvm::reverse(body.without_terminator()))
    if (llvm::any_of(op.getUsers(), [&](Operation *user) { return live.contains(user); }))
      live.insert(&op);

  double eagerBytes = 0, flops = 0, ops = 0;
  for (Operation &op : body) {
    if (!live.contains(&op))
      continue;
    if (&op == terminator) {
      for (Value v : op.getOperands())
        plan->resultSlots.push_back(slotOf.lookup(v));
      break;
    }
    if (op.getNumResults() != 1 || op.getDialect()->getNamespace() != "mlopt") {
      why = "'" + op.getName().getStringRef().str() + "' is not an mlopt op of one result";
      return nullptr;
    }
    Step step;
    if (!specOf(op.getResult(0).getType(), step.shape, step.dtype)) {
      why = "'" + op.getName().getStringRef().str() + "' has no static result shape";
      return nullptr;
    }
    for (Value v : op.getOperands()) {
      auto it = slotOf.find(v);
      if (it == slotOf.end() || !isa<RankedTensorType>(v.getType())) {
        why = "'" + op.getName().getStringRef().str() + "' reads a non-tensor value";
        return nullptr;
      }
      step.operands.push_back(it->second);
    }
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      std::optional<rt::Buffer> buffer = constantBuffer(constant.getValue(), step.shape,
                                                        step.dtype);
      if (!buffer) {
        why = "a constant that is not dense";
        return nullptr;
      }
      step.kind = Step::Constant;
      step.constant = *buffer;
    } else if (isa<ReshapeOp>(op)) {
      step.kind = Step::Reshape;
    } else if (auto broadcast = dyn_cast<BroadcastInDimOp>(op)) {
      step.kind = Step::Broadcast;
      step.dims.assign(broadcast.getBroadcastDimensions().begin(),
                       broadcast.getBroadcastDimensions().end());
    } else if (auto transpose = dyn_cast<TransposeOp>(op)) {
      step.kind = Step::Transpose; // (views, as eager's permute)
      step.dims.assign(transpose.getPermutation().begin(), transpose.getPermutation().end());
    } else if (auto slice = dyn_cast<SliceOp>(op)) {
      step.kind = Step::Slice;
      step.dims.assign(slice.getStart().begin(), slice.getStart().end());
      step.steps.assign(slice.getStep().begin(), slice.getStep().end());
    } else if (isa<StopGradientOp>(op)) {
      step.kind = Step::Identity; // (gradients are already in the trace)
    } else if (auto iota = dyn_cast<IotaOp>(op)) {
      step.kind = Step::Iota;
      step.dim = iota.getDim();
      if (!iotaIsDirect(step.dtype)) { // (filled as i64, then converted)
        if (cachedKernels &&
            !eagerKernelCached({"mlopt.convert", {}, rt::mlirName(step.dtype)},
                               {likeBuffer(step.shape, rt::DType::I64)})) {
          why = "the eager kernel of 'mlopt.convert' is not compiled yet";
          return nullptr;
        }
      }
    } else {
      step.op.name = op.getName().getStringRef().str();
      if (isa<ConvertOp>(op))
        step.op.resultElementType = rt::mlirName(step.dtype);
      if (!eagerAttributesOf(op.getAttrs(), step.op.attributes)) {
        why = "'" + step.op.name + "' has an attribute eager ops do not take";
        return nullptr;
      }
      // Its kernel must be at hand (in memory, or now loaded from disk):
      // interpreting up to a missing one would be time lost.
      std::vector<rt::Buffer> like; // dtypes and shapes only
      // Costs: every operand read and the result written, once per op.
      double bytes = double(likeBuffer(step.shape, step.dtype).byteCount());
      for (Value v : op.getOperands()) {
        std::vector<int64_t> shape;
        rt::DType dtype;
        specOf(v.getType(), shape, dtype);
        like.push_back(likeBuffer(std::move(shape), dtype));
        bytes += double(like.back().byteCount());
      }
      if (cachedKernels && !eagerKernelCached(step.op, like)) {
        why = "the eager kernel of '" + step.op.name + "' is not compiled yet";
        return nullptr;
      }
      eagerBytes += bytes;
      auto shapeOf = [&](unsigned i) {
        return cast<RankedTensorType>(op.getOperand(i).getType()).getShape();
      };
      if (isa<MatmulOp>(op)) // 2 m n k a batch: the result's count times k
        flops += 2.0 * ShapedType::getNumElements(step.shape) * shapeOf(0).back();
      else if (isa<Conv2DOp>(op)) // a result element reads a filter's worth
      {
        ArrayRef<int64_t> filter = shapeOf(1);
        double perResult = 1;
        for (int64_t d : filter.drop_front())
          perResult *= d;
        flops += 2.0 * ShapedType::getNumElements(step.shape) * perResult;
      }
    }
    ops += 1;
    step.result = plan->numSlots++;
    slotOf[op.getResult(0)] = step.result;
    plan->steps.push_back(std::move(step));
  }

  // Each slot is dropped after its last reader (results and arguments are
  // held elsewhere anyway).
  std::vector<int> lastReader(plan->numSlots, -1);
  for (size_t i = 0; i < plan->steps.size(); ++i)
    for (int slot : plan->steps[i].operands)
      lastReader[slot] = static_cast<int>(i);
  for (int slot : plan->resultSlots)
    lastReader[slot] = -1;
  for (int slot = 0; slot < plan->numSlots; ++slot)
    if (lastReader[slot] >= 0)
      plan->steps[lastReader[slot]].releases.push_back(slot);

  double cores = std::max(1, rt::numThreads()); // (OpenBLAS runs on as many)
  double matmulMs = flops / (kFlopsPerMsPerCore * cores);
  double movedBytes = 0;
  for (size_t i = 0; i < plan->argShapes.size(); ++i)
    movedBytes += double(ShapedType::getNumElements(plan->argShapes[i])) * rt::byteSize(plan->argTypes[i]);
  for (int slot : plan->resultSlots)
    if (slot >= static_cast<int>(plan->argShapes.size())) {
      const Step &producer = plan->steps[slot - plan->argShapes.size()];
      movedBytes += double(ShapedType::getNumElements(producer.shape)) * rt::byteSize(producer.dtype);
    }
  plan->interpretCost = matmulMs + eagerBytes / kEagerBytesPerMs;
  plan->compileCost = kCompileBaseMs + kCompileMsPerOp * ops;
  plan->compiledRunCost = matmulMs + movedBytes / kFusedBytesPerMs;
  return plan;
}

bool InterpretedFunction::run(const std::vector<rt::Buffer> &inputs,
                              std::vector<rt::Buffer> &outputs, std::string &error,
                              bool *uncached) const {
  if (uncached)
    *uncached = false;
  if (inputs.size() != argShapes.size()) {
    error = "expected " + std::to_string(argShapes.size()) + " inputs, got " +
            std::to_string(inputs.size());
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].device != rt::Device::CPU || inputs[i].dtype != argTypes[i] ||
        inputs[i].shape != argShapes[i]) {
      error = "input " + std::to_string(i) + " is " +
              rt::TensorSpec{inputs[i].dtype, inputs[i].shape}.str() + ", the function takes " +
              rt::TensorSpec{argTypes[i], argShapes[i]}.str();
      return false;
    }
  std::vector<rt::Buffer> slots(numSlots);
  std::copy(inputs.begin(), inputs.end(), slots.begin());
  for (const Step &step : steps) {
    rt::Buffer result;
    switch (step.kind) {
    case Step::Constant:
      result = step.constant;
      break;
    case Step::Reshape: // a view of the row-major elements
      result = slots[step.operands[0]].contiguous();
      result.shape = step.shape;
      result.strides = rt::rowMajorStrides(step.shape);
      break;
    case Step::Broadcast: { // a view: stride 0 along the new and the size-1 dims
      const rt::Buffer &from = slots[step.operands[0]];
      result = from;
      result.shape = step.shape;
      result.strides.assign(step.shape.size(), 0);
      for (size_t d = 0; d < step.dims.size(); ++d)
        if (from.shape[d] == step.shape[step.dims[d]])
          result.strides[step.dims[d]] = from.strides[d];
      break;
    }
    case Step::Transpose: {
      const rt::Buffer &from = slots[step.operands[0]];
      result = from;
      for (size_t d = 0; d < step.dims.size(); ++d) {
        result.shape[d] = from.shape[step.dims[d]];
        result.strides[d] = from.strides[step.dims[d]];
      }
      break;
    }
    case Step::Slice: {
      const rt::Buffer &from = slots[step.operands[0]];
      result = from;
      result.shape = step.shape;
      for (size_t d = 0; d < step.dims.size(); ++d) {
        result.offset += step.dims[d] * from.strides[d];
        result.strides[d] = from.strides[d] * step.steps[d];
      }
      break;
    }
    case Step::Identity:
      result = slots[step.operands[0]];
      break;
    case Step::Iota: {
      bool direct = iotaIsDirect(step.dtype);
      result = rt::Buffer::allocate(direct ? step.dtype : rt::DType::I64, step.shape);
      int dim = static_cast<int>(step.dim);
      switch (result.dtype) {
      case rt::DType::F32: fillIota<float>(result, dim); break;
      case rt::DType::F64: fillIota<double>(result, dim); break;
      case rt::DType::I32: fillIota<int32_t>(result, dim); break;
      default: fillIota<int64_t>(result, dim); break;
      }
      if (!direct) {
        std::vector<rt::Buffer> converted;
        EagerOp convert{"mlopt.convert", {}, rt::mlirName(step.dtype)};
        if (!runEager(convert, {result}, converted, error, uncached))
          return false;
        result = converted.at(0);
      }
      break;
    }
    case Step::Eager: {
      std::vector<rt::Buffer> operands, results;
      for (int slot : step.operands)
        operands.push_back(slots[slot]);
      if (!runEager(step.op, operands, results, error, uncached)) {
        if (uncached && *uncached)
          error = "the eager kernel of '" + step.op.name + "' is not compiled yet";
        return false;
      }
      if (results.size() != 1) {
        error = "'" + step.op.name + "' gave " + std::to_string(results.size()) + " results";
        return false;
      }
      result = results[0];
      break;
    }
    }
    if (result.shape != step.shape || result.dtype != step.dtype) {
      error = "the interpreted " + (step.kind == Step::Eager ? step.op.name : std::string("view")) +
              " gave " + rt::TensorSpec{result.dtype, result.shape}.str() + ", the trace says " +
              rt::TensorSpec{step.dtype, step.shape}.str();
      return false;
    }
    slots[step.result] = std::move(result);
    for (int slot : step.releases)
      slots[slot] = rt::Buffer();
  }
  // Results are fresh and contiguous, as the compiled program's: a view of
  // an input, a constant of the plan or an earlier result is copied.
  std::vector<const void *> taken;
  for (const rt::Buffer &in : inputs)
    taken.push_back(in.storage.get());
  for (const Step &step : steps)
    if (step.kind == Step::Constant)
      taken.push_back(step.constant.storage.get());
  outputs.clear();
  for (size_t k = 0; k < resultSlots.size(); ++k) {
    int slot = resultSlots[k];
    auto earlier = std::find(resultSlots.begin(), resultSlots.begin() + k, slot);
    if (earlier != resultSlots.begin() + k) { // the same value again: the same buffer
      outputs.push_back(outputs[earlier - resultSlots.begin()]);
      continue;
    }
    rt::Buffer out = slots[slot];
    if (!out.isContiguous() ||
        std::find(taken.begin(), taken.end(), out.storage.get()) != taken.end()) {
      rt::Buffer fresh = rt::Buffer::allocate(out.dtype, out.shape);
      rt::copyElements(out, fresh);
      out = fresh;
    }
    taken.push_back(out.storage.get());
    outputs.push_back(std::move(out));
  }
  return true;
}
