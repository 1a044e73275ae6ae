//===- Buffer.cpp - reference-counted tensors of the runtime --------------===//

#include "runtime/Buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <sys/mman.h>

namespace mlopt::rt {

void *alignedAlloc(size_t bytes) {
  // Large buffers get 2 MiB alignment and transparent huge pages, as NumPy
  // does: first touch of a fresh 64 MiB result then costs 32 page faults,
  // not 16384.
  constexpr size_t kHugePage = 2u << 20;
  size_t alignment = bytes >= 2 * kHugePage ? kHugePage : kAlignment;
  // aligned_alloc needs a multiple of the alignment; 0 bytes still gets a
  // unique pointer so empty tensors have a valid base.
  size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void *ptr = std::aligned_alloc(alignment, rounded ? rounded : alignment);
  if (!ptr)
    throw std::bad_alloc();
  if (alignment == kHugePage)
    madvise(ptr, rounded, MADV_HUGEPAGE);
  return ptr;
}

void alignedFree(void *ptr) { std::free(ptr); }

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

Buffer Buffer::allocate(DType dtype, std::vector<int64_t> shape) {
  Buffer b;
  b.dtype = dtype;
  b.shape = std::move(shape);
  b.strides = rowMajorStrides(b.shape);
  int64_t bytes = 1;
  for (int64_t d : b.shape)
    if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes))
      throw std::length_error("tensor shape has a negative size or too many elements");
  if (__builtin_mul_overflow(bytes, static_cast<int64_t>(byteSize(dtype)), &bytes) ||
      bytes > (int64_t(1) << 62))
    throw std::length_error("tensor of more than 2^62 bytes");
  b.data = alignedAlloc(static_cast<size_t>(bytes));
  b.storage = std::shared_ptr<void>(b.data, alignedFree);
  return b;
}

Buffer Buffer::adopt(void *allocated, void *aligned, DType dtype,
                     std::vector<int64_t> shape, std::vector<int64_t> strides,
                     int64_t offset) {
  Buffer b;
  b.data = aligned;
  b.storage = std::shared_ptr<void>(allocated, alignedFree);
  b.dtype = dtype;
  b.shape = std::move(shape);
  b.strides = std::move(strides);
  b.offset = offset;
  return b;
}

int64_t Buffer::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool Buffer::isContiguous() const {
  return offset == 0 && (numElements() <= 1 || strides == rowMajorStrides(shape));
}

char *Buffer::elementPtr(int64_t flatIndex) const {
  int64_t element = offset;
  for (size_t i = shape.size(); i-- > 0;) {
    int64_t index = shape[i] ? flatIndex % shape[i] : 0;
    flatIndex = shape[i] ? flatIndex / shape[i] : 0;
    element += index * strides[i];
  }
  return static_cast<char *>(data) + element * byteSize(dtype);
}

Buffer Buffer::contiguous() const {
  if (isContiguous())
    return *this;
  Buffer out = allocate(dtype, shape);
  size_t size = byteSize(dtype);
  for (int64_t i = 0, n = numElements(); i < n; ++i)
    std::memcpy(static_cast<char *>(out.data) + i * size, elementPtr(i), size);
  return out;
}

} // namespace mlopt::rt
