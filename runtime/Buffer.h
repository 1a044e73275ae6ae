//===- Buffer.h - reference-counted tensors of the runtime -----*- C++ -*-===//
#ifndef MLOPT_RUNTIME_BUFFER_H
#define MLOPT_RUNTIME_BUFFER_H

#include "runtime/Allocator.h"
#include "runtime/DType.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace mlopt::rt {

/// Where a buffer's memory is: host memory, or device memory of the CUDA
/// device (runtime/Cuda.h); CPU code never dereferences a CUDA buffer.
enum class Device { CPU, CUDA };

/// A strided view of reference-counted storage. Copies share the storage;
/// strides and offset are in elements, as in a memref descriptor.
struct Buffer {
  std::shared_ptr<void> storage; // owns the allocation
  void *data = nullptr;          // the aligned base the strides count from
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;
  Device device = Device::CPU;

  /// A new contiguous, row-major, uninitialized buffer.
  static Buffer allocate(DType dtype, std::vector<int64_t> shape);
  /// Adopts memory from alignedAlloc (a kernel's result): `allocated` is
  /// freed when the last copy goes; elements start at `aligned`.
  static Buffer adopt(void *allocated, void *aligned, DType dtype,
                      std::vector<int64_t> shape, std::vector<int64_t> strides,
                      int64_t offset);

  int64_t numElements() const;
  size_t byteCount() const { return numElements() * byteSize(dtype); }
  bool isContiguous() const;
  /// A contiguous copy (or this buffer if it already is contiguous).
  Buffer contiguous() const;
};

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape);

/// Copies the elements of `src` into `dst` (same shape and dtype, any
/// strides, stride 0 included). Row by row, memcpy where both rows are
/// contiguous. The two must not overlap unless they are the same view.
void copyElements(const Buffer &src, const Buffer &dst);
/// Whether the bytes two views can touch intersect.
bool mayOverlap(const Buffer &a, const Buffer &b);

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_BUFFER_H
