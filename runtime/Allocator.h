//===- Allocator.h - aligned host allocation with a block cache -*- C++ -*-===//
//
// Every tensor the runtime or compiled code allocates comes from here. Blocks of
// 4 KiB and more are counted (live, peak) and kept after free and handed out again for the next request of
// (about) the same size: a training loop or a repeated compiled call then
// reuses warm memory instead of faulting in and zeroing fresh pages, which
// cost more than the kernels themselves on big elementwise ops.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_RUNTIME_ALLOCATOR_H
#define MLOPT_RUNTIME_ALLOCATOR_H

#include <cstddef>
#include <cstdint>

namespace mlopt::rt {

/// Alignment of every runtime allocation: a cache line, enough for AVX-512
/// and 16-byte CUDA vector loads.
constexpr size_t kAlignment = 64;

/// Aligned allocation that kernels and the runtime share (compiled code
/// allocates through _mlir_memref_to_llvm_alloc, which calls this). Throws
/// std::bad_alloc when memory runs out. 0 bytes gives a unique pointer.
void *alignedAlloc(size_t bytes, size_t alignment = kAlignment);
/// This machine's physical memory in bytes (0 when the system does not say).
uint64_t physicalMemory();
/// Frees memory from alignedAlloc (large blocks go back to the cache).
void alignedFree(void *ptr);

struct AllocatorStats {
  uint64_t cachedBytes = 0; // held in the cache, ready for reuse
  uint64_t liveBytes = 0;   // large blocks handed out and not yet freed
  uint64_t peakBytes = 0;   // the most liveBytes reached since resetPeak()
  uint64_t hits = 0;        // large requests served from the cache
  uint64_t misses = 0;      // large requests that went to the system
  uint64_t limitBytes = 0;  // the most the cache holds (MLOPT_ALLOCATOR_CACHE_MB)
};
AllocatorStats allocatorStats();
/// Returns every cached block to the system (torch.cuda.empty_cache's role).
void emptyCache();
/// Starts a new peak measurement from the bytes live now.
void resetPeak();

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_ALLOCATOR_H
