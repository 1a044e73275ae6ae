// RUN: mlopt %s --split-input-file --mlopt-lower-to-cuda --mlopt-print-cuda -o /dev/null | FileCheck %s

// An elementwise chain with a broadcast bias: one grid kernel, 4 points per
// thread with 16-byte loads and stores.
// CHECK-LABEL: // ---- gelu_like
// CHECK: extern "C" __global__ void __launch_bounds__(256) mlopt_k0(const float *__restrict__ buf0, const float *__restrict__ buf1, float *buf2)
// CHECK: *reinterpret_cast<const float4 *>(&buf0[
// CHECK: tanhf(
// CHECK: *reinterpret_cast<float4 *>(&buf2[
// CHECK: launch mlopt_k0 grid {{[0-9]+}} block 256 (%0, %1, %2)
func.func @gelu_like(%x: tensor<64x256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
  %0 = mlopt.broadcast_in_dim %b, dims = [1] : tensor<256xf32> -> tensor<64x256xf32>
  %1 = mlopt.add %x, %0 : tensor<64x256xf32>
  %2 = mlopt.tanh %1 : tensor<64x256xf32>
  return %2 : tensor<64x256xf32>
}

// -----

// softmax: one block per row; the max and the sum are block reductions, the
// row maximum lives in shared memory.
// CHECK-LABEL: // ---- softmax
// CHECK-COUNT-1: __global__
// CHECK: extern __shared__ __align__(16) unsigned char mlopt_smem[];
// One block per row: no loop over tiles.
// CHECK-NOT: gridDim.x
// CHECK: const long long {{t[0-9]+}} = blockIdx.x;
// Each thread takes 128 / 4 / 64 = 1 unrolled step through the row; the
// row, loaded once for the maximum, stays in registers for the sum.
// CHECK: float [[ROW:row[0-9]+]][4];
// CHECK: for (int [[J:j[0-9]+]] = 0; [[J]] < 1; ++[[J]])
// CHECK: *reinterpret_cast<const float4 *>(&buf0[
// CHECK: [[ROW]][[[J]] * 4 + l] =
// 64 threads: the block reduction combines 2 warps.
// CHECK: mlopt_block_reduce<2>({{.*}}mlopt_maximum<float>
// CHECK: __syncthreads();
// exp(x - max), computed for the sum, is kept for the output too.
// CHECK: float [[EXP:val[0-9]+]][4];
// CHECK-NOT: &buf0[
// CHECK: const float [[E:v[0-9]+]] = expf(
// CHECK: [[EXP]][{{j[0-9]+}} * 4 + l] = [[E]];
// CHECK: mlopt_block_reduce<2>({{.*}}(x + y)
// CHECK-NOT: &buf0[
// CHECK-NOT: expf(
// CHECK: ([[EXP]][{{j[0-9]+}} * 4 + l] / {{a[0-9]+}})
// CHECK: launch mlopt_k0 grid 32 block 64 shared
func.func @softmax(%x: tensor<32x128xf32>) -> tensor<32x128xf32> {
  %0 = mlopt.max %x, dims = [1] keepdim : tensor<32x128xf32> -> tensor<32x1xf32>
  %1 = mlopt.broadcast_in_dim %0, dims = [0, 1] : tensor<32x1xf32> -> tensor<32x128xf32>
  %2 = mlopt.sub %x, %1 : tensor<32x128xf32>
  %3 = mlopt.exp %2 : tensor<32x128xf32>
  %4 = mlopt.sum %3, dims = [1] keepdim : tensor<32x128xf32> -> tensor<32x1xf32>
  %5 = mlopt.broadcast_in_dim %4, dims = [0, 1] : tensor<32x1xf32> -> tensor<32x128xf32>
  %6 = mlopt.div %3, %5 : tensor<32x128xf32>
  return %6 : tensor<32x128xf32>
}

// -----

// Rows of an attention softmax ([batch, heads, queries, keys]): one block
// per row of every leading dim, 2 * 3 * 5 blocks (not 2, one per batch).
// CHECK-LABEL: // ---- attention_rows
// CHECK: launch mlopt_k0 grid 30 block 64 shared
func.func @attention_rows(%x: tensor<2x3x5x128xf32>) -> tensor<2x3x5x128xf32> {
  %0 = mlopt.max %x, dims = [3] keepdim : tensor<2x3x5x128xf32> -> tensor<2x3x5x1xf32>
  %1 = mlopt.broadcast_in_dim %0, dims = [0, 1, 2, 3] : tensor<2x3x5x1xf32> -> tensor<2x3x5x128xf32>
  %2 = mlopt.sub %x, %1 : tensor<2x3x5x128xf32>
  %3 = mlopt.exp %2 : tensor<2x3x5x128xf32>
  %4 = mlopt.sum %3, dims = [3] keepdim : tensor<2x3x5x128xf32> -> tensor<2x3x5x1xf32>
  %5 = mlopt.broadcast_in_dim %4, dims = [0, 1, 2, 3] : tensor<2x3x5x1xf32> -> tensor<2x3x5x128xf32>
  %6 = mlopt.div %3, %5 : tensor<2x3x5x128xf32>
  return %6 : tensor<2x3x5x128xf32>
}

// -----

// More row tiles than the grid takes (2^20 blocks): each block loops over
// tiles, a grid's width apart.
// CHECK-LABEL: // ---- many_rows
// CHECK: for (long long [[T:t[0-9]+]] = blockIdx.x; [[T]] < 1048577LL; [[T]] += gridDim.x)
// CHECK: launch mlopt_k0 grid 1048576 block 64 shared
func.func @many_rows(%x: tensor<1048577x64xf32>) -> tensor<1048577x64xf32> {
  %0 = mlopt.max %x, dims = [1] keepdim : tensor<1048577x64xf32> -> tensor<1048577x1xf32>
  %1 = mlopt.broadcast_in_dim %0, dims = [0, 1] : tensor<1048577x1xf32> -> tensor<1048577x64xf32>
  %2 = mlopt.sub %x, %1 : tensor<1048577x64xf32>
  return %2 : tensor<1048577x64xf32>
}

// -----

// x @ w.T + b: cuBLAS writes the product (beta 0, no fill kernel), then one
// kernel adds the bias.
// CHECK-LABEL: // ---- linear
// CHECK: host plan: 3 inputs
// CHECK: gemm   %{{[0-9]+}} = %0 * %1^T m 16 n 32 k 64 batch 1 beta 0
// CHECK: launch mlopt_k0
func.func @linear(%x: tensor<16x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<16x32xf32> {
  %0 = mlopt.transpose %w, permutation = [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
  %1 = mlopt.matmul %x, %0 : tensor<16x64xf32>, tensor<64x32xf32> -> tensor<16x32xf32>
  %2 = mlopt.broadcast_in_dim %b, dims = [1] : tensor<32xf32> -> tensor<16x32xf32>
  %3 = mlopt.add %1, %2 : tensor<16x32xf32>
  return %3 : tensor<16x32xf32>
}

// -----

// Column sums: one thread per output walks its column (coalesced across
// threads), no block reduction. 37 columns alone would be one block of
// threads: the 300 rows are summed in 30 blocks of 10 first (partial sums
// [30, 37], blocks first, so neighbouring threads read neighbouring
// columns), then the 30 partials of each column.
// CHECK-LABEL: // ---- column_sum
// CHECK-NOT: mlopt_block_reduce<{{[0-9]+}}>(acc
// CHECK: for (long long [[P:p[0-9]+]] = {{.*}}; [[P]] < 1110LL;
// CHECK: const long long [[C:d[0-9]+]] = ({{rest[0-9]+}} % 37LL);
// CHECK: for (long long r{{[0-9]+}} = 0; r{{[0-9]+}} < 10LL; r{{[0-9]+}} += 1)
// CHECK: buf0[{{d[0-9]+}} * 370LL + {{d[0-9]+}} * 37LL + [[C]]]
// CHECK: for (long long r{{[0-9]+}} = 0; r{{[0-9]+}} < 30LL; r{{[0-9]+}} += 1)
// CHECK: launch mlopt_k0 grid 5 block 256
// CHECK: launch mlopt_k1 grid 1 block 256
func.func @column_sum(%x: tensor<300x37xf32>) -> tensor<37xf32> {
  %0 = mlopt.sum %x, dims = [0] : tensor<300x37xf32> -> tensor<37xf32>
  return %0 : tensor<37xf32>
}

// -----

// rmsnorm(x + r) over rows of 6000 (1500 float4s, not a multiple of the 512
// threads): x and r are read once, in the reduction's unrolled loop (3 steps,
// the last one partial), and come from registers for the output.
// CHECK-LABEL: // ---- rmsnorm_rows
// CHECK: float [[X:row[0-9]+]][12];
// CHECK: float [[R:row[0-9]+]][12];
// CHECK: for (int [[J:j[0-9]+]] = 0; [[J]] < 3; ++[[J]])
// CHECK: if ({{r[0-9]+}} >= 1500LL) break;
// CHECK: mlopt_block_reduce
// CHECK-NOT: &buf0[
// CHECK-NOT: &buf1[
// CHECK: ([[X]][{{j[0-9]+}} * 4 + l] + [[R]][{{j[0-9]+}} * 4 + l])
// CHECK: launch mlopt_k0 grid 16 block 512
func.func @rmsnorm_rows(%x: tensor<16x6000xf32>, %r: tensor<16x6000xf32>) -> tensor<16x6000xf32> {
  %h = mlopt.add %x, %r : tensor<16x6000xf32>
  %sq = mlopt.mul %h, %h : tensor<16x6000xf32>
  %s = mlopt.sum %sq, dims = [1] keepdim : tensor<16x6000xf32> -> tensor<16x1xf32>
  %c = mlopt.constant dense<1.0e-06> : tensor<16x1xf32>
  %e = mlopt.add %s, %c : tensor<16x1xf32>
  %q = mlopt.rsqrt %e : tensor<16x1xf32>
  %b = mlopt.broadcast_in_dim %q, dims = [0, 1] : tensor<16x1xf32> -> tensor<16x6000xf32>
  %y = mlopt.mul %h, %b : tensor<16x6000xf32>
  return %y : tensor<16x6000xf32>
}

// -----

// A full sum of 2^20 elements: split into blocks of 4096 (one CUDA block
// each), then the 256 partial sums in one block. The zero fills of both
// results are not kernels: each reduction starts from 0 and stores.
// CHECK-LABEL: // ---- full_sum
// CHECK: __global__ void __launch_bounds__({{[0-9]+}}) mlopt_k0(
// CHECK: buf2[d{{[0-9]+}}] = (0.0f + acc
// CHECK: __global__ void __launch_bounds__({{[0-9]+}}) mlopt_k1(
// CHECK-NOT: __global__
// CHECK: launch mlopt_k0 grid 256 block {{[0-9]+}} (%0, %[[P:[0-9]+]])
// CHECK-NEXT: launch mlopt_k1 grid 1 block {{[0-9]+}} (%{{[0-9]+}}, %[[P]])
func.func @full_sum(%x: tensor<1024x1024xf32>) -> tensor<f32> {
  %0 = mlopt.sum %x, dims = [0, 1] : tensor<1024x1024xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Values are cached by type too: exp of an f16 round trip (for the sum) and
// exp of a bf16 round trip (for the output) print alike but differ; the
// output computes its own.
// CHECK-LABEL: // ---- exp_of_two_roundings
// CHECK: [[E:val[0-9]+]]{{.*}} = {{v[0-9]+}};
// CHECK: mlopt_block_reduce
// CHECK: mlopt_bf2f(mlopt_f2bf(
// CHECK: expf(
// CHECK-NOT: [[E]]
// CHECK: launch mlopt_k0
func.func @exp_of_two_roundings(%x: tensor<8x256xf32>) -> tensor<8x256xf32> {
  %a = mlopt.convert %x : tensor<8x256xf32> -> tensor<8x256xf16>
  %af = mlopt.convert %a : tensor<8x256xf16> -> tensor<8x256xf32>
  %ea = mlopt.exp %af : tensor<8x256xf32>
  %s = mlopt.sum %ea, dims = [1] keepdim : tensor<8x256xf32> -> tensor<8x1xf32>
  %b = mlopt.convert %x : tensor<8x256xf32> -> tensor<8x256xbf16>
  %bf = mlopt.convert %b : tensor<8x256xbf16> -> tensor<8x256xf32>
  %eb = mlopt.exp %bf : tensor<8x256xf32>
  %bs = mlopt.broadcast_in_dim %s, dims = [0, 1] : tensor<8x1xf32> -> tensor<8x256xf32>
  %y = mlopt.div %eb, %bs : tensor<8x256xf32>
  return %y : tensor<8x256xf32>
}

// -----

// scatter_add (the gradient of a gather) into a copy of its input: one
// thread per update, atomicAdd at the clamped index.
// CHECK-LABEL: // ---- scatter
// CHECK: for (long long [[I:i[0-9]+]] = blockIdx.x * (long long)blockDim.x + threadIdx.x; [[I]] < 12LL;
// CHECK: atomicAdd(&buf{{[0-9]+}}[{{.*}}], {{v[0-9]+}});
// CHECK: copy   %[[C:[0-9]+]] <- %0 160 bytes
// CHECK: launch mlopt_k0 grid 1 block 256 (%1, %2, %[[C]])
func.func @scatter(%x: tensor<4x10xf32>, %i: tensor<4x3xi64>, %u: tensor<4x3xf32>) -> tensor<4x10xf32> {
  %0 = mlopt.scatter_add %x, %i, %u, dim = 1 : tensor<4x10xf32>, tensor<4x3xi64>, tensor<4x3xf32> -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}
