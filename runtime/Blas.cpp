//===- Blas.cpp - matmul through a CPU BLAS -------------------------------===//
//
// Compiled code calls these for f32/f64 matmul (mlopt-linalg-to-blas). They
// take MLIR memref descriptors (C interface) of any strides: a row-major
// operand with unit inner stride goes to cblas_?gemm as it is, anything else
// (a transposed or sliced view) is packed first. OpenBLAS from Debian: it
// ships AVX2 kernels for this CPU and its own thread pool, which
// MLOPT_NUM_THREADS sizes.
//
//===----------------------------------------------------------------------===//

#include "runtime/Blas.h"
#include "runtime/Buffer.h"
#include "runtime/Threads.h"

#include <cblas.h>
#include <cstring>
#include <vector>

namespace mlopt::rt {

namespace {

template <typename T, int Rank> struct Descriptor {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

/// A matrix view usable by BLAS: pointer, leading dimension, transposed.
template <typename T> struct Matrix {
  const T *data;
  int64_t ld;
  bool transposed;
  std::vector<T> packed; // owns data when the view had to be copied
};

template <typename T>
Matrix<T> asMatrix(const T *base, int64_t rows, int64_t cols, int64_t rowStride,
                   int64_t colStride) {
  Matrix<T> m;
  if (colStride == 1 && rowStride >= std::max<int64_t>(cols, 1)) {
    m = {base, rowStride, false, {}};
  } else if (rowStride == 1 && colStride >= std::max<int64_t>(rows, 1)) {
    m = {base, colStride, true, {}}; // a column-major view: BLAS transposes
  } else {
    m.packed.resize(std::max<int64_t>(rows * cols, 1));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        m.packed[i * cols + j] = base[i * rowStride + j * colStride];
    m.data = m.packed.data();
    m.ld = std::max<int64_t>(cols, 1);
    m.transposed = false;
  }
  return m;
}

template <typename T>
void gemm(const T *a, int64_t aRowStride, int64_t aColStride, const T *b,
          int64_t bRowStride, int64_t bColStride, T *c, int64_t cRowStride,
          int64_t cColStride, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0)
    return;
  Matrix<T> A = asMatrix(a, m, k, aRowStride, aColStride);
  Matrix<T> B = asMatrix(b, k, n, bRowStride, bColStride);
  // C += A @ B (linalg.matmul accumulates into its output).
  bool cDirect = cColStride == 1 && cRowStride >= std::max<int64_t>(n, 1);
  std::vector<T> scratch;
  T *out = c;
  int64_t ldc = cRowStride;
  if (!cDirect) {
    scratch.resize(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        scratch[i * n + j] = c[i * cRowStride + j * cColStride];
    out = scratch.data();
    ldc = n;
  }
  auto ta = A.transposed ? CblasTrans : CblasNoTrans;
  auto tb = B.transposed ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, A.data, A.ld, B.data, B.ld, 1.0f,
                out, ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, A.data, A.ld, B.data, B.ld, 1.0, out,
                ldc);
  if (!cDirect)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cRowStride + j * cColStride] = scratch[i * n + j];
}

template <typename T>
void matmul(Descriptor<T, 2> *a, Descriptor<T, 2> *b, Descriptor<T, 2> *c) {
  configureThreads();
  gemm<T>(a->aligned + a->offset, a->strides[0], a->strides[1], b->aligned + b->offset,
          b->strides[0], b->strides[1], c->aligned + c->offset, c->strides[0],
          c->strides[1], a->sizes[0], b->sizes[1], a->sizes[1]);
}

template <typename T>
void batchMatmul(Descriptor<T, 3> *a, Descriptor<T, 3> *b, Descriptor<T, 3> *c) {
  configureThreads();
  for (int64_t i = 0; i < a->sizes[0]; ++i)
    gemm<T>(a->aligned + a->offset + i * a->strides[0], a->strides[1], a->strides[2],
            b->aligned + b->offset + i * b->strides[0], b->strides[1], b->strides[2],
            c->aligned + c->offset + i * c->strides[0], c->strides[1], c->strides[2],
            a->sizes[1], b->sizes[2], a->sizes[2]);
}

extern "C" void mloptRtMatmulF32(Descriptor<float, 2> *a, Descriptor<float, 2> *b,
                                 Descriptor<float, 2> *c) {
  matmul(a, b, c);
}
extern "C" void mloptRtMatmulF64(Descriptor<double, 2> *a, Descriptor<double, 2> *b,
                                 Descriptor<double, 2> *c) {
  matmul(a, b, c);
}
extern "C" void mloptRtBatchMatmulF32(Descriptor<float, 3> *a, Descriptor<float, 3> *b,
                                      Descriptor<float, 3> *c) {
  batchMatmul(a, b, c);
}
extern "C" void mloptRtBatchMatmulF64(Descriptor<double, 3> *a, Descriptor<double, 3> *b,
                                      Descriptor<double, 3> *c) {
  batchMatmul(a, b, c);
}

} // namespace

std::vector<std::pair<const char *, void *>> blasSymbols() {
  return {
      {"_mlir_ciface_mlopt_rt_matmul_f32", reinterpret_cast<void *>(&mloptRtMatmulF32)},
      {"_mlir_ciface_mlopt_rt_matmul_f64", reinterpret_cast<void *>(&mloptRtMatmulF64)},
      {"_mlir_ciface_mlopt_rt_batch_matmul_f32",
       reinterpret_cast<void *>(&mloptRtBatchMatmulF32)},
      {"_mlir_ciface_mlopt_rt_batch_matmul_f64",
       reinterpret_cast<void *>(&mloptRtBatchMatmulF64)},
  };
}

} // namespace mlopt::rt
