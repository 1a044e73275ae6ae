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

/// C += A @ B, or C = A @ B with `overwrite` (C's contents unread).
template <typename T>
void gemm(const T *a, int64_t aRowStride, int64_t aColStride, const T *b,
          int64_t bRowStride, int64_t bColStride, T *c, int64_t cRowStride,
          int64_t cColStride, int64_t m, int64_t n, int64_t k, bool overwrite = false) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) { // no product to add: BLAS may skip beta
    if (overwrite)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          c[i * cRowStride + j * cColStride] = T(0);
    return;
  }
  Matrix<T> A = asMatrix(a, m, k, aRowStride, aColStride);
  Matrix<T> B = asMatrix(b, k, n, bRowStride, bColStride);
  // C += A @ B (linalg.matmul accumulates into its output).
  bool cDirect = cColStride == 1 && cRowStride >= std::max<int64_t>(n, 1);
  std::vector<T> scratch;
  T *out = c;
  int64_t ldc = cRowStride;
  if (!cDirect) {
    scratch.resize(m * n);
    for (int64_t i = 0; i < m && !overwrite; ++i)
      for (int64_t j = 0; j < n; ++j)
        scratch[i * n + j] = c[i * cRowStride + j * cColStride];
    out = scratch.data();
    ldc = n;
  }
  auto ta = A.transposed ? CblasTrans : CblasNoTrans;
  auto tb = B.transposed ? CblasTrans : CblasNoTrans;
  T beta = overwrite ? T(0) : T(1);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, A.data, A.ld, B.data, B.ld, beta, out,
                ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, A.data, A.ld, B.data, B.ld, beta, out,
                ldc);
  if (!cDirect)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cRowStride + j * cColStride] = scratch[i * n + j];
}

/// C (+)= A @ B over the last two dims, for every index of the leading
/// (batch) dims of C; strides are per operand, 0 where a batch dim is
/// broadcast.
template <typename T>
void batchedGemm(const T *a, const int64_t *aStrides, const T *b, const int64_t *bStrides, T *c,
                 const int64_t *cStrides, const int64_t *cShape, size_t rank, int64_t k,
                 bool overwrite) {
  configureThreads();
  int64_t batches = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    batches *= cShape[d];
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t rest = batch, aOff = 0, bOff = 0, cOff = 0;
    for (size_t d = rank - 2; d-- > 0;) {
      int64_t i = rest % cShape[d];
      rest /= cShape[d];
      aOff += i * aStrides[d], bOff += i * bStrides[d], cOff += i * cStrides[d];
    }
    gemm<T>(a + aOff, aStrides[rank - 2], aStrides[rank - 1], b + bOff, bStrides[rank - 2],
            bStrides[rank - 1], c + cOff, cStrides[rank - 2], cStrides[rank - 1],
            cShape[rank - 2], cShape[rank - 1], k, overwrite);
  }
}

/// What mlopt-linalg-to-blas calls: C += A @ B on memref descriptors.
template <typename T, int Rank>
void matmulDescriptors(Descriptor<T, Rank> *a, Descriptor<T, Rank> *b, Descriptor<T, Rank> *c) {
  batchedGemm<T>(a->aligned + a->offset, a->strides, b->aligned + b->offset, b->strides,
                 c->aligned + c->offset, c->strides, c->sizes, Rank, a->sizes[Rank - 1],
                 /*overwrite=*/false);
}

template <typename T> void matmulBuffers(const Buffer &a, const Buffer &b, Buffer &c) {
  batchedGemm<T>(static_cast<const T *>(a.data) + a.offset, a.strides.data(),
                 static_cast<const T *>(b.data) + b.offset, b.strides.data(),
                 static_cast<T *>(c.data) + c.offset, c.strides.data(), c.shape.data(),
                 c.shape.size(), a.shape.back(), /*overwrite=*/true);
}

/// conv_2d_nchw_fchw on an already padded input: out[n, f, y, x] +=
/// sum_{c, ky, kx} in[n, c, y*sh + ky*dh, x*sw + kx*dw] * w[f, c, ky, kx].
/// Per image: im2col into a [C*KH*KW, OH*OW] matrix, then one GEMM
/// w[F, C*KH*KW] @ cols into the output's [F, OH*OW] view.
template <typename T>
void conv2d(Descriptor<T, 4> *in, Descriptor<T, 4> *w, Descriptor<T, 4> *out, int64_t sh,
            int64_t sw, int64_t dh, int64_t dw) {
  configureThreads();
  int64_t batch = in->sizes[0], channels = in->sizes[1];
  int64_t filters = w->sizes[0], kh = w->sizes[2], kw = w->sizes[3];
  int64_t oh = out->sizes[2], ow = out->sizes[3];
  int64_t k = channels * kh * kw, pixels = oh * ow;
  if (batch == 0 || filters == 0 || pixels == 0)
    return;
  // The weight as [F, C*KH*KW]: contiguous in its last three dims, or packed.
  std::vector<T> weight(std::max<int64_t>(filters * k, 1));
  for (int64_t f = 0; f < filters; ++f)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          weight[f * k + (c * kh + y) * kw + x] =
              w->aligned[w->offset + f * w->strides[0] + c * w->strides[1] +
                         y * w->strides[2] + x * w->strides[3]];
  std::vector<T> cols(std::max<int64_t>(k * pixels, 1));
  const T *src = in->aligned + in->offset;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          T *row = cols.data() + ((c * kh + y) * kw + x) * pixels;
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox)
              row[oy * ow + ox] = src[n * in->strides[0] + c * in->strides[1] +
                                      (oy * sh + y * dh) * in->strides[2] +
                                      (ox * sw + x * dw) * in->strides[3]];
        }
    // The output image as [F, OH*OW] when its pixels are contiguous, else
    // through a scratch matrix added back element by element.
    T *dst = out->aligned + out->offset + n * out->strides[0];
    if (out->strides[3] == 1 && out->strides[2] == ow) {
      gemm<T>(weight.data(), k, 1, cols.data(), pixels, 1, dst, out->strides[1], 1, filters,
              pixels, k);
      continue;
    }
    std::vector<T> result(filters * pixels, T(0));
    gemm<T>(weight.data(), k, 1, cols.data(), pixels, 1, result.data(), pixels, 1, filters,
            pixels, k);
    for (int64_t f = 0; f < filters; ++f)
      for (int64_t p = 0; p < pixels; ++p)
        dst[f * out->strides[1] + (p / ow) * out->strides[2] + (p % ow) * out->strides[3]] +=
            result[f * pixels + p];
  }
}

extern "C" void mloptRtConv2dF32(Descriptor<float, 4> *in, Descriptor<float, 4> *w,
                                 Descriptor<float, 4> *out, int64_t sh, int64_t sw,
                                 int64_t dh, int64_t dw) {
  conv2d(in, w, out, sh, sw, dh, dw);
}
extern "C" void mloptRtConv2dF64(Descriptor<double, 4> *in, Descriptor<double, 4> *w,
                                 Descriptor<double, 4> *out, int64_t sh, int64_t sw,
                                 int64_t dh, int64_t dw) {
  conv2d(in, w, out, sh, sw, dh, dw);
}

extern "C" void mloptRtMatmulF32(Descriptor<float, 2> *a, Descriptor<float, 2> *b,
                                 Descriptor<float, 2> *c) {
  matmulDescriptors(a, b, c);
}
extern "C" void mloptRtMatmulF64(Descriptor<double, 2> *a, Descriptor<double, 2> *b,
                                 Descriptor<double, 2> *c) {
  matmulDescriptors(a, b, c);
}
extern "C" void mloptRtBatchMatmulF32(Descriptor<float, 3> *a, Descriptor<float, 3> *b,
                                      Descriptor<float, 3> *c) {
  matmulDescriptors(a, b, c);
}
extern "C" void mloptRtBatchMatmulF64(Descriptor<double, 3> *a, Descriptor<double, 3> *b,
                                      Descriptor<double, 3> *c) {
  matmulDescriptors(a, b, c);
}

} // namespace

bool matmulInto(const Buffer &a, const Buffer &b, Buffer &c) {
  size_t rank = c.shape.size();
  if (rank < 2 || a.shape.size() != rank || b.shape.size() != rank || a.dtype != c.dtype ||
      b.dtype != c.dtype || (c.dtype != DType::F32 && c.dtype != DType::F64) ||
      a.device != Device::CPU || b.device != Device::CPU || c.device != Device::CPU)
    return false;
  // Batch dims as C's (broadcast ones were expanded, stride 0), and
  // [M, K] @ [K, N] -> [M, N].
  for (size_t d = 0; d + 2 < rank; ++d)
    if (a.shape[d] != c.shape[d] || b.shape[d] != c.shape[d])
      return false;
  if (a.shape[rank - 2] != c.shape[rank - 2] || b.shape[rank - 1] != c.shape[rank - 1] ||
      a.shape[rank - 1] != b.shape[rank - 2])
    return false;
  if (c.dtype == DType::F32)
    matmulBuffers<float>(a, b, c);
  else
    matmulBuffers<double>(a, b, c);
  return true;
}

std::vector<std::pair<const char *, void *>> blasSymbols() {
  return {
      {"_mlir_ciface_mlopt_rt_matmul_f32", reinterpret_cast<void *>(&mloptRtMatmulF32)},
      {"_mlir_ciface_mlopt_rt_matmul_f64", reinterpret_cast<void *>(&mloptRtMatmulF64)},
      {"_mlir_ciface_mlopt_rt_batch_matmul_f32",
       reinterpret_cast<void *>(&mloptRtBatchMatmulF32)},
      {"_mlir_ciface_mlopt_rt_batch_matmul_f64",
       reinterpret_cast<void *>(&mloptRtBatchMatmulF64)},
      {"_mlir_ciface_mlopt_rt_conv2d_f32", reinterpret_cast<void *>(&mloptRtConv2dF32)},
      {"_mlir_ciface_mlopt_rt_conv2d_f64", reinterpret_cast<void *>(&mloptRtConv2dF64)},
  };
}

} // namespace mlopt::rt
