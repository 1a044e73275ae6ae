//===- Allocator.cpp - aligned host allocation with a block cache ---------===//

#include "runtime/Allocator.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>

namespace mlopt::rt {

uint64_t physicalMemory() {
  static const uint64_t bytes = [] {
    long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? uint64_t(pages) * pageSize : uint64_t(0);
  }();
  return bytes;
}

namespace {

// Blocks below this go straight to malloc, whose own bins serve them well.
// Above it glibc trims and re-faults: a fused kernel's per-tile buffers
// (a 16 KiB row, thousands per call) would be zeroed by the kernel each time.
constexpr size_t kCachedMin = 4u << 10;
constexpr size_t kHugePage = 2u << 20;
// A cached block serves a request at most this much smaller (1/4 wasted).
constexpr size_t kSlackDivisor = 4;

size_t roundUp(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

/// Size class of a large request: whole huge pages from 4 MiB (they get huge
/// page alignment), 64 KiB steps from 256 KiB, 4 KiB steps below.
size_t blockSize(size_t bytes) {
  if (bytes >= 2 * kHugePage)
    return roundUp(bytes, kHugePage);
  return roundUp(bytes, bytes >= (256u << 10) ? (64u << 10) : (4u << 10));
}

/// The memory this process may use: physical memory, or a smaller cgroup
/// (container) limit.
uint64_t usableMemory() {
  uint64_t memory = physicalMemory();
  if (!memory)
    memory = 4ull << 30;
  for (const char *path : {"/sys/fs/cgroup/memory.max",
                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"})
    if (FILE *file = std::fopen(path, "r")) {
      unsigned long long limit = 0;
      if (std::fscanf(file, "%llu", &limit) == 1 && limit > 0)
        memory = std::min<uint64_t>(memory, limit);
      std::fclose(file);
    }
  return memory;
}

uint64_t defaultLimit() {
  if (const char *text = std::getenv("MLOPT_ALLOCATOR_CACHE_MB"))
    return static_cast<uint64_t>(std::strtoull(text, nullptr, 10)) << 20;
  // A quarter of usable memory, at most 4 GiB.
  return std::min<uint64_t>(usableMemory() / 4, 4ull << 30);
}

void *systemAlloc(size_t bytes, size_t alignment) {
  size_t rounded = roundUp(bytes ? bytes : alignment, alignment);
  void *ptr = std::aligned_alloc(alignment, rounded);
  if (!ptr)
    throw std::bad_alloc();
  // Transparent huge pages, as NumPy does: first touch of a fresh 64 MiB
  // block then costs 32 page faults, not 16384.
  if (alignment == kHugePage)
    madvise(ptr, rounded, MADV_HUGEPAGE);
  return ptr;
}

class BlockCache {
public:
  void *allocate(size_t bytes, size_t alignment) {
    if (bytes < kCachedMin || alignment > kHugePage)
      return systemAlloc(bytes, alignment);
    size_t size = blockSize(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = free.lower_bound(size);
      // Huge-page blocks are 2 MiB aligned; smaller ones at least `alignment`
      // only when they were allocated with it, so check.
      for (; it != free.end() && it->first - it->first / kSlackDivisor <= size; ++it) {
        if (reinterpret_cast<uintptr_t>(it->second) % alignment)
          continue;
        void *ptr = it->second;
        live[ptr] = it->first;
        stats.cachedBytes -= it->first;
        stats.liveBytes += it->first;
        stats.peakBytes = std::max(stats.peakBytes, stats.liveBytes);
        ++stats.hits;
        free.erase(it);
        return ptr;
      }
      ++stats.misses;
    }
    size_t blockAlignment = size >= 2 * kHugePage ? kHugePage : std::max(alignment, kAlignment);
    void *ptr;
    try {
      ptr = systemAlloc(size, blockAlignment);
    } catch (const std::bad_alloc &) {
      clear(); // out of memory with blocks cached: give them back, try once more
      ptr = systemAlloc(size, blockAlignment);
    }
    std::lock_guard<std::mutex> lock(mutex);
    live[ptr] = size;
    stats.liveBytes += size;
    stats.peakBytes = std::max(stats.peakBytes, stats.liveBytes);
    return ptr;
  }

  void release(void *ptr) {
    if (!ptr)
      return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = live.find(ptr);
      if (it != live.end()) {
        size_t size = it->second;
        live.erase(it);
        stats.liveBytes -= size;
        if (stats.cachedBytes + size <= limit) {
          free.emplace(size, ptr);
          stats.cachedBytes += size;
          return;
        }
      }
    }
    std::free(ptr);
  }

  AllocatorStats snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    AllocatorStats s = stats;
    s.limitBytes = limit;
    return s;
  }

  void resetPeak() {
    std::lock_guard<std::mutex> lock(mutex);
    stats.peakBytes = stats.liveBytes;
  }

  void clear() {
    std::multimap<size_t, void *> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex);
      blocks.swap(free);
      stats.cachedBytes = 0;
    }
    for (auto &[size, ptr] : blocks)
      std::free(ptr);
  }

  /// Held across fork: a child must not inherit it locked by a thread
  /// that does not exist there.
  std::mutex mutex;

private:
  std::multimap<size_t, void *> free;      // cached blocks by size
  std::unordered_map<void *, size_t> live; // large blocks handed out
  AllocatorStats stats;
  const uint64_t limit = defaultLimit();
};

// Never destroyed: buffers may be freed during static destruction.
BlockCache &cache() {
  static BlockCache *instance = [] {
    auto *blocks = new BlockCache();
    pthread_atfork([] { cache().mutex.lock(); }, [] { cache().mutex.unlock(); },
                   [] { cache().mutex.unlock(); });
    return blocks;
  }();
  return *instance;
}

} // namespace

void *alignedAlloc(size_t bytes, size_t alignment) {
  return cache().allocate(bytes, std::max(alignment, kAlignment));
}

void alignedFree(void *ptr) { cache().release(ptr); }

AllocatorStats allocatorStats() { return cache().snapshot(); }

void emptyCache() { cache().clear(); }

void resetPeak() { cache().resetPeak(); }

} // namespace mlopt::rt
