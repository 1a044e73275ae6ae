//===- RuntimeTest.cpp - buffers, .npy files, the object cache ------------===//

#include "runtime/Allocator.h"
#include "runtime/Buffer.h"
#include "runtime/Npy.h"
#include "runtime/ObjectCache.h"

#include "gtest/gtest.h"
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <atomic>
#include <thread>
#include <unistd.h>

using namespace mlopt::rt;

namespace {

std::string tempDir(const char *name) {
  std::string dir = ::testing::TempDir() + "mlopt-" + name + "-" + std::to_string(getpid());
  return dir;
}

TEST(BufferTest, AllocationIsAlignedAndRowMajor) {
  Buffer b = Buffer::allocate(DType::F32, {3, 4, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data) % kAlignment, 0u);
  EXPECT_EQ(b.strides, (std::vector<int64_t>{20, 5, 1}));
  EXPECT_EQ(b.numElements(), 60);
  EXPECT_TRUE(b.isContiguous());
  Buffer empty = Buffer::allocate(DType::I64, {0, 7});
  EXPECT_EQ(empty.numElements(), 0);
  EXPECT_NE(empty.data, nullptr);
}

TEST(BufferTest, ContiguousCopiesAStridedView) {
  Buffer b = Buffer::allocate(DType::I32, {2, 3});
  for (int i = 0; i < 6; ++i)
    static_cast<int32_t *>(b.data)[i] = i;
  Buffer t = b; // the transpose, as a view
  t.shape = {3, 2};
  t.strides = {1, 3};
  EXPECT_FALSE(t.isContiguous());
  Buffer c = t.contiguous();
  auto *v = static_cast<int32_t *>(c.data);
  EXPECT_EQ(std::vector<int32_t>(v, v + 6), (std::vector<int32_t>{0, 3, 1, 4, 2, 5}));
}

/// Element (i...) of a view, by the definition of strides: the reference
/// copyElements is checked against.
int64_t at(const Buffer &b, std::vector<int64_t> index) {
  int64_t e = b.offset;
  for (size_t d = 0; d < index.size(); ++d)
    e += index[d] * b.strides[d];
  return static_cast<int64_t *>(b.data)[e];
}

TEST(BufferTest, CopyElementsHandlesEveryStridePattern) {
  Buffer base = Buffer::allocate(DType::I64, {4, 5, 6});
  for (int64_t i = 0; i < 120; ++i)
    static_cast<int64_t *>(base.data)[i] = i * 7 + 1;
  struct View { std::vector<int64_t> shape, strides; int64_t offset; };
  std::vector<View> views = {
      {{4, 5, 6}, {30, 6, 1}, 0},  // contiguous: one memcpy
      {{6, 5, 4}, {1, 6, 30}, 0},  // full transpose
      {{2, 5, 3}, {60, 6, 2}, 1},  // strided slice with an offset
      {{4, 3, 6}, {0, 0, 1}, 6},   // broadcast rows (stride 0)
      {{3, 1, 7}, {0, 9, 0}, 11},  // a broadcast scalar, size-1 dim
      {{}, {}, 17},                // 0-d
      {{5, 0, 2}, {1, 1, 1}, 0},   // empty
  };
  for (const View &v : views) {
    Buffer src = base;
    src.shape = v.shape;
    src.strides = v.strides;
    src.offset = v.offset;
    Buffer dst = Buffer::allocate(DType::I64, v.shape);
    copyElements(src, dst);
    // And back into a transposed destination view.
    Buffer back = Buffer::allocate(DType::I64, v.shape);
    Buffer backView = back;
    std::reverse(backView.strides.begin(), backView.strides.end());
    std::vector<int64_t> rowMajor = rowMajorStrides(std::vector<int64_t>(v.shape.rbegin(), v.shape.rend()));
    backView.strides.assign(rowMajor.rbegin(), rowMajor.rend());
    copyElements(dst, backView);
    std::vector<int64_t> index(v.shape.size(), 0);
    for (int64_t n = 0; n < src.numElements(); ++n) {
      EXPECT_EQ(at(dst, index), at(src, index));
      EXPECT_EQ(at(backView, index), at(src, index));
      for (size_t d = index.size(); d-- > 0;)
        if (++index[d] < v.shape[d]) break; else index[d] = 0;
    }
  }
}

TEST(BufferTest, OverlapIsDetectedFromByteSpans) {
  Buffer b = Buffer::allocate(DType::F32, {10});
  Buffer head = b, tail = b;
  head.shape = tail.shape = {5};
  tail.offset = 5;
  EXPECT_FALSE(mayOverlap(head, tail));
  tail.offset = 4;
  EXPECT_TRUE(mayOverlap(head, tail));
  Buffer other = Buffer::allocate(DType::F32, {10});
  EXPECT_FALSE(mayOverlap(b, other));
}

TEST(AllocatorTest, LargeBlocksAreReusedAndCounted) {
  emptyCache();
  AllocatorStats before = allocatorStats();
  const size_t bytes = 8u << 20;
  void *first = alignedAlloc(bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % (2u << 20), 0u); // huge-page aligned
  std::memset(first, 1, bytes);
  alignedFree(first);
  EXPECT_GE(allocatorStats().cachedBytes, bytes);
  void *second = alignedAlloc(bytes - 4096); // same size class
  EXPECT_EQ(second, first);
  AllocatorStats after = allocatorStats();
  EXPECT_EQ(after.hits, before.hits + 1);
  EXPECT_EQ(after.misses, before.misses + 1);
  // A much smaller request does not take the big block.
  alignedFree(second);
  void *small = alignedAlloc(1u << 20);
  EXPECT_NE(small, first);
  alignedFree(small);
  void *aligned = alignedAlloc(1u << 20, 4096);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % 4096, 0u);
  alignedFree(aligned);
  emptyCache();
  EXPECT_EQ(allocatorStats().cachedBytes, 0u);
  EXPECT_EQ(allocatorStats().liveBytes, before.liveBytes);
}

TEST(AllocatorTest, ConcurrentAllocationsNeverShareABlock) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        size_t bytes = (256u << 10) * (1 + (i + t) % 5);
        auto *p = static_cast<unsigned char *>(alignedAlloc(bytes));
        std::memset(p, t + 1, bytes);
        std::this_thread::yield(); // let the others write into theirs
        if (p[0] != t + 1 || p[bytes / 2] != t + 1 || p[bytes - 1] != t + 1)
          ++failures;
        alignedFree(p);
      }
    });
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(NpyTest, RoundTripsEveryDType) {
  std::string path = tempDir("npy") + ".npy";
  for (DType dtype : {DType::F16, DType::BF16, DType::F32, DType::F64, DType::Bool,
                      DType::I32, DType::I64}) {
    Buffer b = Buffer::allocate(dtype, {2, 3});
    std::memset(b.data, 0, b.byteCount());
    static_cast<char *>(b.data)[0] = 1;
    std::string error;
    ASSERT_TRUE(writeNpy(path, b, error)) << error;
    Buffer back;
    ASSERT_TRUE(readNpy(path, back, error)) << error;
    EXPECT_EQ(back.dtype, dtype);
    EXPECT_EQ(back.shape, b.shape);
    EXPECT_EQ(std::memcmp(back.data, b.data, b.byteCount()), 0);
  }
  std::remove(path.c_str());
}

TEST(NpyTest, MalformedFilesAreErrorsNotCrashes) {
  std::string path = tempDir("bad") + ".npy";
  std::string error;
  Buffer out;
  EXPECT_FALSE(readNpy(path + ".missing", out, error));
  for (const std::string &contents :
       {std::string("not numpy"), std::string("\x93NUMPY\x01\x00\xff\xff", 10),
        std::string("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4',", 26),
        std::string("\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (1000000,), }      \n",
                    80)}) {
    std::ofstream(path, std::ios::binary) << contents;
    error.clear();
    EXPECT_FALSE(readNpy(path, out, error));
    EXPECT_FALSE(error.empty());
  }
  std::remove(path.c_str());
}

TEST(ObjectCacheTest, StoresLoadsAndRejectsCorruption) {
  ObjectCache cache(tempDir("cache"));
  std::string key = "abc123";
  EXPECT_FALSE(cache.load(key));
  cache.store(key, "object bytes");
  ASSERT_TRUE(cache.load(key));
  EXPECT_EQ(*cache.load(key), "object bytes");
  EXPECT_FALSE(cache.load("other")); // another key is another file

  // Flip one payload byte: the checksum no longer matches.
  {
    std::fstream file(cache.pathOf(key), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-3, std::ios::end);
    file.put('X');
  }
  EXPECT_FALSE(cache.load(key));
  // Truncate it.
  cache.store(key, "object bytes");
  {
    std::ifstream in(cache.pathOf(key), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cache.pathOf(key), std::ios::binary) << data.substr(0, data.size() - 4);
  }
  EXPECT_FALSE(cache.load(key));
  // Garbage.
  std::ofstream(cache.pathOf(key), std::ios::binary) << "garbage";
  EXPECT_FALSE(cache.load(key));
}

TEST(ObjectCacheTest, ConcurrentWritersNeverExposeAPartialEntry) {
  ObjectCache cache(tempDir("race"));
  std::string payload(1 << 20, 'p');
  std::vector<std::thread> threads;
  std::atomic<int> torn{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        cache.store("k", payload);
        std::optional<std::string> got = cache.load("k");
        if (got && *got != payload)
          ++torn;
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(*cache.load("k"), payload);
}

} // namespace
