//===- Eager.cpp - run one mlopt op on runtime buffers --------------------===//

#include "frontend/Eager.h"
#include "codegen/CpuBackend.h"
#include "frontend/GraphBuilder.h"
#include "ir/MloptDialect.h"
#include "ir/MloptOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>

using namespace mlir;
using namespace mlir::mlopt;
namespace rt = ::mlopt::rt;

namespace {

struct Kernel {
  std::shared_ptr<CompiledModule> module;
  rt::PackedEntry entry = nullptr;
  const rt::Signature *signature = nullptr;
  bool elementwise = false; // operands share one shape
};

std::string keyOf(const EagerOp &op, const std::vector<rt::Buffer> &inputs) {
  std::string key = op.name + "|" + op.resultElementType;
  for (const rt::Buffer &b : inputs)
    key += std::string("|") + rt::mlirName(b.dtype) + "r" + std::to_string(b.shape.size());
  for (const EagerAttribute &a : op.attributes) {
    key += "|" + a.name + "=";
    if (auto *i = std::get_if<int64_t>(&a.value))
      key += std::to_string(*i);
    else if (auto *flag = std::get_if<bool>(&a.value))
      key += *flag ? "true" : "false";
    else
      for (int64_t v : std::get<std::vector<int64_t>>(a.value))
        key += std::to_string(v) + ",";
  }
  return key;
}

Type elementType(MLIRContext &context, const std::string &name) {
  Builder b(&context);
  if (name == "f16") return b.getF16Type();
  if (name == "bf16") return b.getBF16Type();
  if (name == "f32") return b.getF32Type();
  if (name == "f64") return b.getF64Type();
  if (name == "i1") return b.getI1Type();
  if (name == "i32") return b.getI32Type();
  if (name == "i64") return b.getI64Type();
  return {};
}

/// Builds and compiles the one-op function for `op` over inputs of the
/// given dtypes and ranks, all dims dynamic.
std::shared_ptr<CompiledModule> compileKernel(const EagerOp &op,
                                              const std::vector<rt::Buffer> &inputs,
                                              bool &elementwise, std::string &error) {
  MLIRContext context;
  GraphBuilder g(context, "kernel");
  Builder b(&context);
  SmallVector<Value> args;
  for (const rt::Buffer &in : inputs) {
    SmallVector<int64_t> shape(in.shape.size(), ShapedType::kDynamic);
    args.push_back(g.addArgument(
        RankedTensorType::get(shape, elementType(context, rt::mlirName(in.dtype)))));
  }
  SmallVector<NamedAttribute> attributes;
  for (const EagerAttribute &a : op.attributes) {
    Attribute value;
    if (auto *i = std::get_if<int64_t>(&a.value))
      value = b.getI64IntegerAttr(*i);
    else if (auto *flag = std::get_if<bool>(&a.value)) {
      if (!*flag)
        continue; // unit attributes are present or absent
      value = b.getUnitAttr();
    } else {
      value = b.getDenseI64ArrayAttr(std::get<std::vector<int64_t>>(a.value));
    }
    attributes.push_back(b.getNamedAttr(a.name, value));
  }
  Type resultType;
  if (!op.resultElementType.empty()) {
    Type element = elementType(context, op.resultElementType);
    if (!element || args.empty()) {
      error = "bad result element type '" + op.resultElementType + "'";
      return nullptr;
    }
    resultType = cast<RankedTensorType>(args.front().getType()).clone(element);
  }
  FailureOr<Value> result = g.create(op.name, args, attributes, resultType);
  if (failed(result)) {
    error = g.error();
    return nullptr;
  }
  elementwise = isa<ScalarBodyInterface>(result->getDefiningOp());
  SmallVector<Value> results = {*result};
  // Ops with several results (none yet besides this one) would add them here.
  FailureOr<OwningOpRef<ModuleOp>> module = g.finish(results);
  if (failed(module)) {
    error = g.error();
    return nullptr;
  }
  return CpuBackend::compile(**module, CpuCompileOptions(), error);
}

std::string shapeText(const rt::Buffer &b) {
  return rt::TensorSpec{b.dtype, b.shape}.str();
}

int64_t intAttr(const EagerOp &op, const char *name, int64_t otherwise) {
  for (const EagerAttribute &a : op.attributes)
    if (a.name == name)
      if (auto *v = std::get_if<int64_t>(&a.value))
        return *v;
  return otherwise;
}

std::vector<int64_t> listAttr(const EagerOp &op, const char *name) {
  for (const EagerAttribute &a : op.attributes)
    if (a.name == name)
      if (auto *v = std::get_if<std::vector<int64_t>>(&a.value))
        return *v;
  return {};
}

/// Eager kernels have dynamic dims, so the sizes their op's rules relate
/// are checked here, before any memory is touched.
bool checkShapes(const EagerOp &op, bool elementwise, const std::vector<rt::Buffer> &in,
                 std::string &error) {
  auto mismatch = [&](const std::string &what) {
    error = "'" + op.name + "': " + what + ":";
    for (const rt::Buffer &b : in)
      error += " " + shapeText(b);
    return false;
  };
  if (elementwise) {
    for (const rt::Buffer &b : in)
      if (b.shape != in.front().shape)
        return mismatch("operands must have one shape (broadcast them first)");
    return true;
  }
  const std::string &name = op.name;
  if (name == "mlopt.matmul") {
    const auto &a = in[0].shape, &b = in[1].shape;
    // A matrix rhs serves any batch of lhs; otherwise batch dims are equal
    // (the front end expands them).
    bool batchOk = b.size() == 2 || (a.size() == b.size() &&
                                     std::equal(a.begin(), a.end() - 2, b.begin()));
    if (a.size() < 2 || b.size() < 2 || a[a.size() - 1] != b[b.size() - 2] || !batchOk)
      return mismatch("matmul needs [..., M, K] @ [K, N] or [..., K, N] with equal batch dims");
    return true;
  }
  if (name == "mlopt.conv2d") {
    const auto &x = in[0].shape, &w = in[1].shape;
    int64_t groups = intAttr(op, "groups", 1);
    std::vector<int64_t> padding = listAttr(op, "padding"), dilation = listAttr(op, "dilation");
    if (x.size() != 4 || w.size() != 4 || groups < 1 || x[1] != w[1] * groups ||
        w[0] % groups != 0)
      return mismatch("conv2d needs input [N, C, H, W] and weight [O, C / groups, kH, kW]");
    for (int i = 0; i < 2 && padding.size() == 2 && dilation.size() == 2; ++i)
      if (w[2 + i] < 1 || x[2 + i] + 2 * padding[i] < dilation[i] * (w[2 + i] - 1) + 1)
        return mismatch("conv2d kernel is larger than the padded input");
    return true;
  }
  if (name == "mlopt.concat") {
    int64_t dim = intAttr(op, "dim", 0);
    for (const rt::Buffer &b : in) {
      if (b.shape.size() != in[0].shape.size())
        return mismatch("concat needs inputs of one rank");
      for (size_t d = 0; d < b.shape.size(); ++d)
        if (static_cast<int64_t>(d) != dim && b.shape[d] != in[0].shape[d])
          return mismatch("concat needs equal sizes outside the concatenated dim");
    }
    return true;
  }
  if (name == "mlopt.gather" || name == "mlopt.scatter_add") {
    int64_t dim = intAttr(op, "dim", 0);
    const auto &x = in[0].shape, &index = in[1].shape;
    for (size_t d = 0; d < x.size() && d < index.size(); ++d)
      if (index[d] > 0 && (x[d] == 0 || (static_cast<int64_t>(d) != dim && index[d] > x[d])))
        return mismatch("index is larger than the input");
    if (name == "mlopt.scatter_add")
      for (size_t d = 0; d < index.size(); ++d)
        if (index[d] > in[2].shape[d])
          return mismatch("index is larger than src");
    return true;
  }
  if (name == "mlopt.index_select") {
    int64_t dim = intAttr(op, "dim", 0);
    if (!in[1].shape.empty() && in[1].shape[0] > 0 && in[0].shape[dim] == 0)
      return mismatch("index_select from an empty dim");
    return true;
  }
  return true;
}

std::mutex kernelsMutex;
std::unordered_map<std::string, Kernel> &kernels() {
  static std::unordered_map<std::string, Kernel> cache;
  return cache;
}

} // namespace

bool mlir::mlopt::runEager(const EagerOp &op, const std::vector<rt::Buffer> &inputs,
                           std::vector<rt::Buffer> &results, std::string &error) {
  std::string key = keyOf(op, inputs);
  Kernel kernel;
  {
    std::lock_guard<std::mutex> lock(kernelsMutex);
    auto hit = kernels().find(key);
    if (hit != kernels().end())
      kernel = hit->second;
  }
  if (!kernel.entry) {
    bool elementwise = false;
    std::shared_ptr<CompiledModule> module = compileKernel(op, inputs, elementwise, error);
    if (!module)
      return false;
    kernel = {module, module->entry("kernel"), module->signature("kernel"), elementwise};
    std::lock_guard<std::mutex> lock(kernelsMutex);
    kernels().emplace(key, kernel);
  }
  if (!checkShapes(op, kernel.elementwise, inputs, error))
    return false;
  return rt::invoke(kernel.entry, *kernel.signature, inputs, results, error);
}

size_t mlir::mlopt::eagerKernelCount() {
  std::lock_guard<std::mutex> lock(kernelsMutex);
  return kernels().size();
}

bool mlir::mlopt::copyInto(const rt::Buffer &src, rt::Buffer &dst, std::string &error) {
  if (src.shape != dst.shape || src.dtype != dst.dtype) {
    rt::TensorSpec from{src.dtype, src.shape}, to{dst.dtype, dst.shape};
    error = "cannot copy " + from.str() + " into " + to.str();
    return false;
  }
  // Read everything first into fresh memory: src may overlap dst
  // (x[1:] = x[:-1]), even through two different wrappers of one array.
  rt::Buffer source = rt::Buffer::allocate(src.dtype, src.shape);
  size_t item = rt::byteSize(src.dtype);
  for (int64_t i = 0, n = src.numElements(); i < n; ++i)
    std::memcpy(static_cast<char *>(source.data) + i * item, src.elementPtr(i), item);
  size_t size = rt::byteSize(dst.dtype);
  for (int64_t i = 0, n = dst.numElements(); i < n; ++i)
    std::memcpy(dst.elementPtr(i), static_cast<char *>(source.data) + i * size, size);
  return true;
}
