//===- Buffer.cpp - reference-counted tensors of the runtime --------------===//

#include "runtime/Buffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace mlopt::rt {

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

Buffer Buffer::contiguous() const {
  if (isContiguous())
    return *this;
  Buffer out = allocate(dtype, shape);
  copyElements(*this, out);
  return out;
}

namespace {

template <typename T>
void copyRow(const char *from, int64_t fromStride, char *to, int64_t toStride, int64_t n) {
  const T *src = reinterpret_cast<const T *>(from);
  T *dst = reinterpret_cast<T *>(to);
  if (fromStride == 0) {
    T value = *src;
    for (int64_t i = 0; i < n; ++i)
      dst[i * toStride] = value;
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    dst[i * toStride] = src[i * fromStride];
}

/// copyRow for elements of `item` bytes.
void copyRowOf(size_t item, const char *from, int64_t fromStride, char *to, int64_t toStride,
               int64_t n) {
  if (fromStride == 1 && toStride == 1)
    std::memcpy(to, from, n * item);
  else if (item == 8)
    copyRow<uint64_t>(from, fromStride, to, toStride, n);
  else if (item == 4)
    copyRow<uint32_t>(from, fromStride, to, toStride, n);
  else if (item == 2)
    copyRow<uint16_t>(from, fromStride, to, toStride, n);
  else
    copyRow<uint8_t>(from, fromStride, to, toStride, n);
}

/// Copies with dim `unit` of the source contiguous and the last dim of the
/// destination contiguous, in square tiles of those two dims.
void copyTransposed(const char *src, char *dst, const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &from, const std::vector<int64_t> &to,
                    size_t unit, size_t item) {
  constexpr int64_t kTile = 32;
  const size_t last = shape.size() - 1;
  // Every other dim is an outer loop.
  std::vector<size_t> outer;
  int64_t planes = 1;
  for (size_t d = 0; d < last; ++d)
    if (d != unit) {
      outer.push_back(d);
      planes *= shape[d];
    }
  std::vector<int64_t> index(outer.size(), 0);
  const int64_t rows = shape[unit], cols = shape[last];
  for (int64_t plane = 0; plane < planes; ++plane) {
    int64_t fromOffset = 0, toOffset = 0;
    for (size_t i = 0; i < outer.size(); ++i) {
      fromOffset += index[i] * from[outer[i]];
      toOffset += index[i] * to[outer[i]];
    }
    for (int64_t r0 = 0; r0 < rows; r0 += kTile)
      for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
        int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
        for (int64_t r = r0; r < r1; ++r) {
          const char *in = src + (fromOffset + r + c0 * from[last]) * item;
          char *out = dst + (toOffset + r * to[unit] + c0) * item;
          copyRowOf(item, in, from[last], out, 1, c1 - c0);
        }
      }
    for (size_t i = outer.size(); i-- > 0;) {
      if (++index[i] < shape[outer[i]])
        break;
      index[i] = 0;
    }
  }
}

} // namespace

void copyElements(const Buffer &src, const Buffer &dst) {
  const size_t item = byteSize(src.dtype);
  if (src.numElements() == 0)
    return;
  // Merge dims that are contiguous with their inner neighbour in both views
  // (and drop size-1 dims), so the inner loop is as long as possible.
  std::vector<int64_t> shape, from, to;
  for (size_t d = 0; d < src.shape.size(); ++d) {
    if (src.shape[d] == 1)
      continue;
    if (!shape.empty() && from.back() == src.strides[d] * src.shape[d] &&
        to.back() == dst.strides[d] * src.shape[d]) {
      shape.back() *= src.shape[d];
      from.back() = src.strides[d];
      to.back() = dst.strides[d];
      continue;
    }
    shape.push_back(src.shape[d]);
    from.push_back(src.strides[d]);
    to.push_back(dst.strides[d]);
  }
  if (shape.empty()) { // one element
    shape = {1};
    from = to = {1};
  }
  const char *srcBase = static_cast<const char *>(src.data) + src.offset * item;
  char *dstBase = static_cast<char *>(dst.data) + dst.offset * item;
  // A transpose (the source's unit stride on an outer dim): copy tiles, so
  // both sides stay in cache, instead of striding through the source.
  if (shape.size() >= 2 && from.back() != 1 && to.back() == 1) {
    size_t unit = std::find(from.begin(), from.end() - 1, 1) - from.begin();
    if (unit < shape.size() - 1) {
      copyTransposed(srcBase, dstBase, shape, from, to, unit, item);
      return;
    }
  }
  const size_t rank = shape.size();
  const int64_t inner = shape.back(), fromInner = from.back(), toInner = to.back();
  std::vector<int64_t> index(rank, 0);
  int64_t rows = src.numElements() / inner;
  const char *in = srcBase;
  char *out = dstBase;
  for (int64_t row = 0; row < rows; ++row) {
    copyRowOf(item, in, fromInner, out, toInner, inner);
    // Advance the outer index like an odometer, moving both pointers.
    for (size_t d = rank - 1; d-- > 0;) {
      in += from[d] * item;
      out += to[d] * item;
      if (++index[d] < shape[d])
        break;
      in -= from[d] * shape[d] * item;
      out -= to[d] * shape[d] * item;
      index[d] = 0;
    }
  }
}

namespace {
std::pair<const char *, const char *> byteSpan(const Buffer &b) {
  int64_t low = b.offset, high = b.offset;
  for (size_t d = 0; d < b.shape.size(); ++d) {
    if (b.shape[d] == 0)
      return {nullptr, nullptr};
    int64_t reach = b.strides[d] * (b.shape[d] - 1);
    (reach < 0 ? low : high) += reach;
  }
  const char *base = static_cast<const char *>(b.data);
  size_t item = byteSize(b.dtype);
  return {base + low * item, base + (high + 1) * item};
}
} // namespace

bool mayOverlap(const Buffer &a, const Buffer &b) {
  auto [aLow, aHigh] = byteSpan(a);
  auto [bLow, bHigh] = byteSpan(b);
  return aLow && bLow && aLow < bHigh && bLow < aHigh;
}

} // namespace mlopt::rt
