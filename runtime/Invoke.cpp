//===- Invoke.cpp - call compiled functions with runtime buffers ----------===//

#include "runtime/Invoke.h"
#include "runtime/Blas.h"
#include "runtime/Threads.h"

#include <cstdio>
#include <cstring>

namespace mlopt::rt {

std::string TensorSpec::str() const {
  std::string text = "tensor<";
  for (int64_t d : shape)
    text += (d == kDynamicSize ? std::string("?") : std::to_string(d)) + "x";
  return text + mlirName(dtype) + ">";
}

namespace {

std::string describe(const Buffer &b) {
  TensorSpec spec{b.dtype, b.shape};
  return spec.str();
}

/// Descriptor words of a memref of rank R: 3 + 2R.
size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

void fillDescriptor(const Buffer &b, int64_t *words) {
  size_t rank = b.shape.size();
  std::memcpy(&words[0], &b.data, sizeof(void *));
  std::memcpy(&words[1], &b.data, sizeof(void *));
  words[2] = b.offset;
  for (size_t i = 0; i < rank; ++i) {
    words[3 + i] = b.shape[i];
    words[3 + rank + i] = b.strides[i];
  }
}

// memref.get_global marks the allocated pointer of a global with this.
void *const kGlobalMarker = reinterpret_cast<void *>(0xdeadbeef);

} // namespace

bool invoke(PackedEntry entry, const Signature &signature,
            const std::vector<Buffer> &inputs, std::vector<Buffer> &results,
            std::string &error) {
  if (inputs.size() != signature.inputs.size()) {
    error = "expected " + std::to_string(signature.inputs.size()) + " inputs, got " +
            std::to_string(inputs.size());
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec &spec = signature.inputs[i];
    const Buffer &in = inputs[i];
    bool ok = in.dtype == spec.dtype && in.shape.size() == spec.shape.size();
    for (size_t d = 0; ok && d < spec.shape.size(); ++d)
      ok = spec.shape[d] == kDynamicSize || spec.shape[d] == in.shape[d];
    if (!ok) {
      error = "input " + std::to_string(i) + " is " + describe(in) +
              " but the function takes " + spec.str();
      return false;
    }
  }

  // Compiled functions take row-major inputs (identity layouts let LLVM
  // vectorize with known strides): strided views are packed first.
  std::vector<Buffer> packed;
  packed.reserve(inputs.size());
  for (const Buffer &in : inputs)
    packed.push_back(in.contiguous());

  std::vector<std::vector<int64_t>> descriptors(inputs.size());
  std::vector<void *> args;
  size_t resultWords = 0;
  for (const TensorSpec &spec : signature.results)
    resultWords += descriptorWords(spec.shape.size());
  std::vector<int64_t> resultStorage(resultWords + 1, 0);
  if (!signature.results.empty())
    args.push_back(resultStorage.data());
  for (size_t i = 0; i < inputs.size(); ++i) {
    descriptors[i].resize(descriptorWords(inputs[i].shape.size()));
    fillDescriptor(packed[i], descriptors[i].data());
    args.push_back(descriptors[i].data());
  }
  // The C-interface wrapper takes each descriptor by pointer: the packed
  // entry reads args[i] as the i-th pointer argument.
  configureThreads();
  entry(args.data());

  results.clear();
  const int64_t *words = resultStorage.data();
  for (const TensorSpec &spec : signature.results) {
    size_t rank = spec.shape.size();
    void *allocated, *aligned;
    std::memcpy(&allocated, &words[0], sizeof(void *));
    std::memcpy(&aligned, &words[1], sizeof(void *));
    std::vector<int64_t> shape(words + 3, words + 3 + rank);
    std::vector<int64_t> strides(words + 3 + rank, words + 3 + 2 * rank);
    int64_t offset = words[2];
    words += descriptorWords(rank);

    Buffer view;
    view.dtype = spec.dtype;
    view.shape = shape;
    view.strides = strides;
    view.offset = offset;
    view.data = aligned;
    // An input or an earlier result returned again shares its storage; a
    // global constant is copied out; anything else was allocated for us.
    for (const Buffer &in : packed)
      if (in.data == aligned)
        view.storage = in.storage;
    for (const Buffer &out : results)
      if (!view.storage && out.data == aligned)
        view.storage = out.storage;
    if (view.storage) {
      results.push_back(view);
    } else if (allocated == kGlobalMarker) {
      // A constant in the JIT's memory: copy it out, never alias it.
      view.storage = std::shared_ptr<void>(aligned, [](void *) {});
      Buffer copy = Buffer::allocate(spec.dtype, shape);
      copyElements(view, copy);
      results.push_back(copy);
    } else {
      results.push_back(Buffer::adopt(allocated, aligned, spec.dtype, shape, strides, offset));
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Symbols compiled code calls
//===----------------------------------------------------------------------===//

namespace {

extern "C" void *mloptRtAlignedAlloc(size_t alignment, size_t bytes) {
  try {
    return alignedAlloc(bytes, alignment);
  } catch (const std::bad_alloc &) {
    // An exception cannot unwind through compiled code and OpenMP frames.
    std::fprintf(stderr, "mlopt: out of memory allocating %zu bytes in compiled code\n", bytes);
    std::abort();
  }
}
extern "C" void *mloptRtAlloc(size_t bytes) { return mloptRtAlignedAlloc(kAlignment, bytes); }
extern "C" void mloptRtFree(void *ptr) { alignedFree(ptr); }

struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

/// memref.copy between strided memrefs of any rank (what MLIR's
/// c_runner_utils provides as memrefCopy).
extern "C" void mloptRtMemrefCopy(int64_t elementSize, UnrankedMemRef *src,
                                  UnrankedMemRef *dst) {
  int64_t rank = src->rank;
  auto *s = static_cast<int64_t *>(src->descriptor);
  auto *d = static_cast<int64_t *>(dst->descriptor);
  char *srcBase, *dstBase;
  std::memcpy(&srcBase, &s[1], sizeof(void *));
  std::memcpy(&dstBase, &d[1], sizeof(void *));
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i)
    count *= s[3 + i];
  if (count == 0)
    return;
  std::vector<int64_t> index(rank, 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t srcOffset = s[2], dstOffset = d[2];
    for (int64_t i = 0; i < rank; ++i) {
      srcOffset += index[i] * s[3 + rank + i];
      dstOffset += index[i] * d[3 + rank + i];
    }
    std::memcpy(dstBase + dstOffset * elementSize, srcBase + srcOffset * elementSize,
                elementSize);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < s[3 + i])
        break;
      index[i] = 0;
    }
  }
}

} // namespace

std::vector<RuntimeSymbol> runtimeSymbols() {
  std::vector<RuntimeSymbol> symbols = {
      {"_mlir_memref_to_llvm_alloc", reinterpret_cast<void *>(&mloptRtAlloc)},
      {"_mlir_memref_to_llvm_aligned_alloc", reinterpret_cast<void *>(&mloptRtAlignedAlloc)},
      {"_mlir_memref_to_llvm_free", reinterpret_cast<void *>(&mloptRtFree)},
      {"memrefCopy", reinterpret_cast<void *>(&mloptRtMemrefCopy)},
  };
  for (auto [name, address] : blasSymbols())
    symbols.push_back({name, address});
  return symbols;
}

} // namespace mlopt::rt
