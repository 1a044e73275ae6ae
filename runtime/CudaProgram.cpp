//===- CudaProgram.cpp - a compiled function on the GPU -------------------===//

#include "runtime/CudaProgram.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>

namespace mlopt::rt::cuda {

namespace {

int64_t elementsOf(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool isRowMajor(const Buffer &b) {
  return elementsOf(b.shape) <= 1 || b.strides == rowMajorStrides(b.shape);
}

/// Many elements that are all one (every stride 0): a broadcast scalar.
bool isBroadcast(const Buffer &b) {
  return elementsOf(b.shape) > 1 &&
         std::all_of(b.strides.begin(), b.strides.end(), [](int64_t s) { return s == 0; });
}

const char *firstElement(const Buffer &b) {
  return static_cast<const char *>(b.data) + b.offset * static_cast<int64_t>(byteSize(b.dtype));
}

// Strided copies on the device: one kernel per element size, shapes of up to
// 8 dims passed by value. Compiled with NVRTC once per process.
constexpr int kMaxDims = 8;
const char *kCopySource = R"(
struct Dims { long long shape[8], src[8], dst[8]; };
template <class T>
__device__ void copyStrided(T *dst, const T *src, long long n, int rank, Dims d) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x) {
    long long rest = i, s = 0, t = 0;
    for (int k = rank - 1; k >= 0; --k) {
      long long q = rest / d.shape[k], idx = rest - q * d.shape[k];
      rest = q;
      s += idx * d.src[k];
      t += idx * d.dst[k];
    }
    dst[t] = src[s];
  }
}
extern "C" __global__ void mlopt_copy1(char *o, const char *i, long long n, int r, Dims d) { copyStrided(o, i, n, r, d); }
extern "C" __global__ void mlopt_copy2(short *o, const short *i, long long n, int r, Dims d) { copyStrided(o, i, n, r, d); }
extern "C" __global__ void mlopt_copy4(int *o, const int *i, long long n, int r, Dims d) { copyStrided(o, i, n, r, d); }
extern "C" __global__ void mlopt_copy8(long long *o, const long long *i, long long n, int r, Dims d) { copyStrided(o, i, n, r, d); }
)";
struct Dims {
  long long shape[kMaxDims], src[kMaxDims], dst[kMaxDims];
};

void *copyKernel(size_t elementBytes, std::string &error) {
  static std::mutex mutex;
  static std::unique_ptr<Module> module;
  static void *kernels[9] = {};
  std::lock_guard<std::mutex> lock(mutex);
  if (!module) {
    std::string image;
    if (!compileCuda(kCopySource, "mlopt_copy.cu", computeCapability(), true, image, error))
      return nullptr;
    module = Module::load(image, error);
    if (!module)
      return nullptr;
    for (int bytes : {1, 2, 4, 8})
      if (!(kernels[bytes] = module->function("mlopt_copy" + std::to_string(bytes), error)))
        return nullptr;
  }
  return kernels[elementBytes];
}

/// Device-to-device copy of `src` into `dst` (same shape and dtype, any
/// strides, both on the device, not overlapping).
bool copyOnDevice(const Buffer &src, const Buffer &dst, std::string &error) {
  int64_t n = elementsOf(src.shape);
  if (n == 0)
    return true;
  size_t item = byteSize(src.dtype);
  if (isRowMajor(src) && isRowMajor(dst))
    return copyDeviceToDevice(const_cast<char *>(firstElement(dst)), firstElement(src),
                              n * item, error);
  // Merge nothing, just drop size-1 dims; more than 8 dims is rare enough to refuse.
  Dims dims{};
  int rank = 0;
  for (size_t k = 0; k < src.shape.size(); ++k) {
    if (src.shape[k] == 1)
      continue;
    if (rank == kMaxDims) {
      error = "CUDA strided copy of more than 8 non-unit dims";
      return false;
    }
    dims.shape[rank] = src.shape[k];
    dims.src[rank] = src.strides[k];
    dims.dst[rank] = dst.strides[k];
    ++rank;
  }
  void *kernel = copyKernel(item, error);
  if (!kernel)
    return false;
  void *out = const_cast<char *>(firstElement(dst));
  const void *in = firstElement(src);
  long long count = n;
  void *args[] = {&out, &in, &count, &rank, &dims};
  unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + 255) / 256, 1 << 16));
  return launch(kernel, blocks, 1, 1, 256, 0, args, error);
}

/// Output `o` as a view of `input` (an input the function returns) or else
/// of the storage of its slot.
Buffer outputView(const Output &o, const Buffer *input, const std::shared_ptr<void> &slot) {
  Buffer view = input ? *input : Buffer();
  if (!input) {
    view.storage = slot;
    view.data = slot.get();
    view.dtype = o.dtype;
    view.device = Device::CUDA;
  }
  view.shape = o.shape;
  view.strides = o.strides;
  view.offset += o.offset;
  return view;
}

} // namespace

bool allocate(DType dtype, const std::vector<int64_t> &shape, Buffer &out, std::string &error) {
  int64_t bytes = static_cast<int64_t>(byteSize(dtype));
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes)) {
      error = "tensor shape has a negative size or too many elements";
      return false;
    }
  std::shared_ptr<void> storage = deviceShared(static_cast<size_t>(bytes), error);
  if (!storage)
    return false;
  out = Buffer();
  out.storage = storage;
  out.data = storage.get();
  out.dtype = dtype;
  out.shape = shape;
  out.strides = rowMajorStrides(shape);
  out.device = Device::CUDA;
  return true;
}

bool copyInto(const Buffer &src, const Buffer &dst, std::string &error) {
  if (src.shape != dst.shape || src.dtype != dst.dtype) {
    error = "copy between buffers of different shapes or dtypes";
    return false;
  }
  int64_t n = elementsOf(src.shape);
  if (n == 0)
    return true;
  size_t bytes = n * byteSize(src.dtype);
  if (src.device == Device::CUDA && dst.device == Device::CUDA) {
    if (mayOverlap(src, dst)) { // x[1:] = x[:-1]: through fresh memory
      Buffer staging;
      return allocate(src.dtype, src.shape, staging, error) &&
             copyOnDevice(src, staging, error) && copyOnDevice(staging, dst, error);
    }
    return copyOnDevice(src, dst, error);
  }
  if (src.device == Device::CPU && dst.device == Device::CPU) {
    copyElements(src, dst);
    return true;
  }
  if (src.device == Device::CPU) { // host -> device
    Buffer staging;
    if (isBroadcast(src)) // a fill sends one element, not the whole fill
      return upload(src, staging, error) && copyOnDevice(staging, dst, error);
    Buffer host = isRowMajor(src) ? src : src.contiguous();
    if (isRowMajor(dst))
      return copyHostToDevice(const_cast<char *>(firstElement(dst)), firstElement(host), bytes,
                              error);
    return allocate(src.dtype, src.shape, staging, error) &&
           copyHostToDevice(staging.data, firstElement(host), bytes, error) &&
           copyOnDevice(staging, dst, error);
  }
  // device -> host
  Buffer device;
  if (!contiguous(src, device, error))
    return false;
  if (isRowMajor(dst))
    return copyDeviceToHost(const_cast<char *>(firstElement(dst)), firstElement(device), bytes,
                            error);
  Buffer host = Buffer::allocate(src.dtype, src.shape);
  if (!copyDeviceToHost(host.data, firstElement(device), bytes, error))
    return false;
  copyElements(host, dst);
  return true;
}

bool upload(const Buffer &src, Buffer &out, std::string &error) {
  if (!isBroadcast(src))
    return toDevice(src, Device::CUDA, out, error);
  Buffer one = src;
  one.shape.assign(src.shape.size(), 1);
  if (!toDevice(one, Device::CUDA, out, error))
    return false;
  out.shape = src.shape;
  out.strides = src.strides;
  return true;
}

bool toDevice(const Buffer &src, Device device, Buffer &out, std::string &error) {
  if (device == Device::CPU) {
    out = Buffer::allocate(src.dtype, src.shape);
  } else if (!allocate(src.dtype, src.shape, out, error)) {
    return false;
  }
  return copyInto(src, out, error);
}

bool contiguous(const Buffer &src, Buffer &out, std::string &error) {
  if (isRowMajor(src) && reinterpret_cast<uintptr_t>(firstElement(src)) % 16 == 0) {
    out = src;
    return true;
  }
  return allocate(src.dtype, src.shape, out, error) && copyOnDevice(src, out, error);
}

// ---- programs ---------------------------------------------------------------------

std::string ProgramSpec::describe() const {
  std::ostringstream os;
  os << "// host plan: " << inputs.size() << " inputs, " << numSlots << " slots\n";
  for (const Step &s : steps) {
    os << "//   ";
    switch (s.kind) {
    case Step::Alloc:
      os << "alloc  %" << s.slot << " " << s.bytes << " bytes";
      break;
    case Step::Free:
      os << "free   %" << s.slot;
      break;
    case Step::Launch:
      os << "launch " << kernels[s.kernel] << " grid " << s.grid << " block " << s.block;
      if (s.sharedBytes)
        os << " shared " << s.sharedBytes;
      os << " (";
      for (size_t i = 0; i < s.args.size(); ++i)
        os << (i ? ", %" : "%") << s.args[i];
      os << ")";
      break;
    case Step::Gemm:
      os << "gemm   %" << s.c << " = %" << s.a << (s.gemm.transA ? "^T" : "") << " * %" << s.b
         << (s.gemm.transB ? "^T" : "") << " m " << s.gemm.m << " n " << s.gemm.n << " k "
         << s.gemm.k << " batch " << s.gemm.batch << " beta " << s.gemm.beta;
      break;
    case Step::Upload:
      os << "upload %" << s.slot << " " << s.data.size() << " bytes";
      break;
    case Step::Copy:
      os << "copy   %" << s.c << " <- %" << s.a << " " << s.bytes << " bytes";
      break;
    }
    os << "\n";
  }
  for (const Output &o : outputs)
    os << "//   return %" << o.slot << "\n";
  return os.str();
}

std::shared_ptr<Program> Program::load(ProgramSpec spec, const std::vector<std::string> &images,
                                       const std::vector<std::string> &functions,
                                       std::string &error) {
  auto program = std::make_shared<Program>();
  if (images.size() != spec.kernels.size() || functions.size() != spec.kernels.size()) {
    error = "CUDA program: " + std::to_string(images.size()) + " images for " +
            std::to_string(spec.kernels.size()) + " kernels";
    return nullptr;
  }
  if (!spec.kernels.empty()) {
    std::map<std::string, Module *> loaded; // image -> its module
    for (size_t i = 0; i < images.size(); ++i) {
      Module *&module = loaded[images[i]];
      if (!module) {
        program->modules.push_back(Module::load(images[i], error));
        if (!program->modules.back())
          return nullptr;
        module = program->modules.back().get();
      }
      void *function = module->function(functions[i], error);
      if (!function)
        return nullptr;
      program->functions.push_back(function);
    }
    for (const Step &s : spec.steps)
      if (s.kind == Step::Launch && s.sharedBytes > 48 * 1024 &&
          !setMaxDynamicShared(program->functions[s.kernel], s.sharedBytes, error))
        return nullptr;
  }
  program->plan = std::move(spec);
  return program;
}

size_t Program::launchCount() const {
  size_t n = 0;
  for (const Step &s : plan.steps)
    n += s.kind == Step::Launch || s.kind == Step::Gemm || s.kind == Step::Copy;
  return n;
}

bool Program::execute(const std::vector<const void *> &inputPointers,
                      std::vector<std::shared_ptr<void>> &slots, std::string &error,
                      bool captured) const {
  std::vector<void *> base(plan.numSlots, nullptr);
  for (size_t i = 0; i < inputPointers.size(); ++i)
    base[i] = const_cast<void *>(inputPointers[i]);
  if (captured) {
    for (size_t i = inputPointers.size(); i < slots.size(); ++i)
      base[i] = slots[i].get();
  }
  auto at = [&](int slot, int64_t offset, DType dtype) {
    return static_cast<char *>(base[slot]) + offset * static_cast<int64_t>(byteSize(dtype));
  };
  std::vector<void *> params, pointers;
  for (const Step &s : plan.steps) {
    if (captured && (s.kind == Step::Alloc || s.kind == Step::Upload || s.kind == Step::Free))
      continue;
    switch (s.kind) {
    case Step::Alloc:
      slots[s.slot] = deviceShared(s.bytes, error);
      if (!slots[s.slot])
        return false;
      base[s.slot] = slots[s.slot].get();
      break;
    case Step::Upload:
      slots[s.slot] = deviceShared(s.data.size(), error);
      if (!slots[s.slot] ||
          !copyHostToDevice(slots[s.slot].get(), s.data.data(), s.data.size(), error))
        return false;
      base[s.slot] = slots[s.slot].get();
      break;
    case Step::Free:
      slots[s.slot].reset();
      base[s.slot] = nullptr;
      break;
    case Step::Launch: {
      params.resize(s.args.size());
      pointers.resize(s.args.size());
      for (size_t i = 0; i < s.args.size(); ++i) {
        pointers[i] = base[s.args[i]];
        params[i] = &pointers[i];
      }
      if (!launch(functions[s.kernel], s.grid, 1, 1, s.block, s.sharedBytes, params.data(),
                  error))
        return false;
      break;
    }
    case Step::Gemm:
      if (!gemm(s.gemm, at(s.a, s.offsetA, s.gemm.dtype), at(s.b, s.offsetB, s.gemm.dtype),
                at(s.c, s.offsetC, s.gemm.dtype), error))
        return false;
      break;
    case Step::Copy:
      if (!copyDeviceToDevice(static_cast<char *>(base[s.c]) + s.offsetC,
                              static_cast<char *>(base[s.a]) + s.offsetA, s.bytes, error))
        return false;
      break;
    }
  }
  return true;
}

bool Program::checkInputs(const std::vector<Buffer> &inputs, std::string &error) const {
  if (inputs.size() != plan.inputs.size()) {
    error = "compiled CUDA function takes " + std::to_string(plan.inputs.size()) +
            " inputs, got " + std::to_string(inputs.size());
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].dtype != plan.inputs[i].first || inputs[i].shape != plan.inputs[i].second) {
      error = "compiled CUDA function: input " + std::to_string(i) +
              " does not have the traced dtype and shape";
      return false;
    }
  return ensureContext(error);
}

bool Program::run(const std::vector<Buffer> &inputs, std::vector<Buffer> &outputs,
                  std::string &error) const {
  if (!checkInputs(inputs, error))
    return false;
  // Inputs as they are where they can be (CUDA, dense, aligned: the usual
  // case, no copy of the Buffer); others are copied into `staged`.
  std::vector<Buffer> staged;
  staged.reserve(inputs.size()); // (never reallocated: `dense` points into it)
  std::vector<const Buffer *> dense(inputs.size());
  std::vector<const void *> pointers(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Buffer &in = inputs[i];
    if (in.device == Device::CUDA && isRowMajor(in) &&
        reinterpret_cast<uintptr_t>(firstElement(in)) % 16 == 0) {
      dense[i] = &in;
    } else {
      staged.emplace_back();
      // Host inputs (random draws, captured CPU tensors) move over.
      if (in.device == Device::CPU ? !toDevice(in, Device::CUDA, staged.back(), error)
                                   : !contiguous(in, staged.back(), error))
        return false;
      dense[i] = &staged.back();
    }
    pointers[i] = firstElement(*dense[i]);
  }
  std::vector<std::shared_ptr<void>> slots(plan.numSlots);
  if (!execute(pointers, slots, error))
    return false;
  outputs.clear();
  for (const Output &o : plan.outputs) {
    bool input = o.slot < static_cast<int>(inputs.size());
    outputs.push_back(outputView(o, input ? dense[o.slot] : nullptr, slots[o.slot]));
    if (input) { // an input returned: a copy of it
      Buffer copy;
      if (!allocate(o.dtype, o.shape, copy, error) || !copyOnDevice(outputs.back(), copy, error))
        return false;
      outputs.back() = std::move(copy);
    }
  }
  return true;
}

// ---- CUDA graphs ------------------------------------------------------------
struct Program::Graph {
  std::vector<Buffer> inputs;               // where each call's inputs are copied
  std::vector<std::shared_ptr<void>> slots; // every buffer of the plan, for the graph's life
  std::shared_ptr<void> exec;
};

bool Program::capture(std::shared_ptr<Graph> &out, std::string &error) const {
  auto g = std::make_shared<Graph>();
  std::vector<const void *> pointers;
  for (const auto &[dtype, shape] : plan.inputs) {
    g->inputs.emplace_back();
    if (!allocate(dtype, shape, g->inputs.back(), error))
      return false;
    pointers.push_back(firstElement(g->inputs.back()));
  }
  // Every slot gets the most any of its allocations asks (a slot freed and
  // allocated again keeps one block: its lifetimes do not overlap), and
  // constants are uploaded now: the capture only records.
  std::vector<size_t> bytes(plan.numSlots, 0);
  bool gemms = false;
  for (const Step &s : plan.steps) {
    if (s.kind == Step::Alloc || s.kind == Step::Upload)
      bytes[s.slot] = std::max(bytes[s.slot], s.kind == Step::Alloc ? s.bytes : s.data.size());
    gemms |= s.kind == Step::Gemm;
  }
  g->slots.resize(plan.numSlots);
  for (int slot = static_cast<int>(plan.inputs.size()); slot < plan.numSlots; ++slot)
    if (bytes[slot] && !(g->slots[slot] = deviceShared(bytes[slot], error)))
      return false;
  for (const Step &s : plan.steps)
    if (s.kind == Step::Upload &&
        !copyHostToDevice(g->slots[s.slot].get(), s.data.data(), s.data.size(), error))
      return false;
  // cuBLAS's handle and workspace exist before the capture, which must not
  // allocate.
  if ((gemms && !prepareGemm(error)) || !beginCapture(error))
    return false;
  bool recorded;
  try {
    recorded = execute(pointers, g->slots, error, /*captured=*/true);
  } catch (...) { // (the thread must leave capture whatever happens)
    std::string ignored;
    endCapture(ignored);
    throw;
  }
  std::string endError;
  g->exec = endCapture(endError);
  if (!recorded)
    return false;
  if (!g->exec) {
    error = endError;
    return false;
  }
  out = std::move(g);
  return true;
}

bool Program::launchCaptured(const Graph &g, const std::vector<Buffer> &inputs,
                             std::vector<Buffer> &outputs, std::string &error) const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!copyInto(inputs[i], g.inputs[i], error))
      return false;
  if (!launchGraph(g.exec, error))
    return false;
  outputs.clear();
  for (const Output &o : plan.outputs) {
    bool input = o.slot < static_cast<int>(inputs.size());
    Buffer view = outputView(o, input ? &g.inputs[o.slot] : nullptr, g.slots[o.slot]);
    outputs.emplace_back();
    if (!allocate(o.dtype, o.shape, outputs.back(), error) ||
        !copyOnDevice(view, outputs.back(), error))
      return false;
  }
  return true;
}

namespace {
/// Whether the buffers hold the same bytes (copied to the host to compare).
bool sameBytes(const Buffer &a, const Buffer &b, std::string &error) {
  if (a.dtype != b.dtype || a.shape != b.shape)
    return false;
  Buffer x = Buffer::allocate(a.dtype, a.shape), y = Buffer::allocate(b.dtype, b.shape);
  if (!copyInto(a, x, error) || !copyInto(b, y, error))
    return false;
  return std::memcmp(x.data, y.data, elementsOf(a.shape) * byteSize(a.dtype)) == 0;
}
} // namespace

std::string Program::graphState() const {
  std::lock_guard<std::mutex> lock(graphMutex);
  return graph ? "captured" : graphRefused.empty() ? "none" : "refused: " + graphRefused;
}

bool Program::replay(const std::vector<Buffer> &inputs, std::vector<Buffer> &outputs,
                     std::string &error) const {
  std::lock_guard<std::mutex> lock(graphMutex);
  if (!graphRefused.empty() || (!graph && (!warmedUp || launchCount() == 0))) {
    warmedUp = true;
    return run(inputs, outputs, error);
  }
  if (!checkInputs(inputs, error))
    return false;
  if (graph)
    return launchCaptured(*graph, inputs, outputs, error);
  // The second call: the plan's own results, then a graph, kept only when
  // its first results are the same bytes. A graph that cannot be captured
  // or differs is refused for good, and these results are run()'s.
  std::vector<Buffer> expected;
  if (!run(inputs, expected, error))
    return false;
  std::shared_ptr<Graph> fresh;
  std::string why;
  if (!capture(fresh, why) || !launchCaptured(*fresh, inputs, outputs, why)) {
    graphRefused = "the capture failed: " + why;
  } else {
    for (size_t i = 0; i < outputs.size() && graphRefused.empty(); ++i) {
      std::string compareError;
      if (!sameBytes(outputs[i], expected[i], compareError))
        graphRefused = "result " + std::to_string(i) + " of the captured graph differed from "
                       "the program's" + (compareError.empty() ? "" : ": " + compareError);
    }
  }
  if (!graphRefused.empty()) {
    outputs = std::move(expected);
    return true;
  }
  graph = std::move(fresh);
  return true;
}

} // namespace mlopt::rt::cuda
