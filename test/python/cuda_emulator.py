"""Runs a compiled trace's CUDA program on the CPU, for tests without a GPU.

The program comes from `trace.cuda_program` (its compile units and host
plan). Each kernel's CUDA C is compiled as C++ with g++ against a shim and
run block after block (the last first), each block's threads as OS threads
started together: __syncthreads is a barrier of the block, __shfl_xor_sync
an exchange through memory between two barriers of the warp, shared memory
one buffer (set to NaN before each block), atomicAdd an add under a lock;
allocations start as NaN bytes, as device memory is not zeroed. So the
kernels are checked here as printed, for small shapes (a thread per CUDA
thread). It does not find data races a GPU would expose (a plain += where
atomicAdd is needed passes). cuBLAS steps need a GPU: they raise
NotImplementedError.
"""
import ctypes
import os
import shutil
import subprocess
import tempfile

import numpy as np

from mlopt._dtype import BY_MLIR

SHIM = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <barrier>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>
struct mlopt_dim3 { unsigned x = 0, y = 0, z = 0; };
static thread_local mlopt_dim3 threadIdx;
static mlopt_dim3 blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __restrict__
#define __shared__ static
#define __align__(n)
alignas(16) static unsigned char mlopt_smem_buffer[256 * 1024];
static std::mutex mlopt_atomic;
template <class T> T atomicAdd(T *p, T v) {
  std::lock_guard<std::mutex> lock(mlopt_atomic);
  T old = *p; *p = old + v; return old;
}
static unsigned atomicCAS(unsigned *p, unsigned compare, unsigned value) {
  std::lock_guard<std::mutex> lock(mlopt_atomic);
  unsigned old = *p;
  if (old == compare) *p = value;
  return old;
}
static std::unique_ptr<std::barrier<>> mlopt_block_barrier;
static std::vector<std::unique_ptr<std::barrier<>>> mlopt_warp_barriers;
static unsigned long long mlopt_warp_slots[32][32];
static inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline double __longlong_as_double(long long u) { double f; memcpy(&f, &u, 8); return f; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline void __syncthreads() { mlopt_block_barrier->arrive_and_wait(); }
template <class T> T __shfl_xor_sync(unsigned, T v, int o) {
  unsigned w = threadIdx.x / 32, l = threadIdx.x % 32;
  memcpy(&mlopt_warp_slots[w][l], &v, sizeof(T));
  mlopt_warp_barriers[w]->arrive_and_wait();
  T r;
  memcpy(&r, &mlopt_warp_slots[w][l ^ o], sizeof(T));
  mlopt_warp_barriers[w]->arrive_and_wait();
  return r;
}
struct float4 { float x, y, z, w; };
struct int4 { int x, y, z, w; };
static inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
static inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
static inline float mlopt_h2f(unsigned short h) { _Float16 f; memcpy(&f, &h, 2); return (float)f; }
static inline unsigned short mlopt_f2h(float f) { _Float16 h = (_Float16)f; unsigned short u; memcpy(&u, &h, 2); return u; }
template <class... P, size_t... I>
void mlopt_emu_call(void (*f)(P...), void **a, std::index_sequence<I...>) { f(static_cast<P>(a[I])...); }
template <class... P>
void mlopt_emu_grid(void (*f)(P...), unsigned grid, unsigned block, void **a) {
  gridDim.x = grid; blockDim.x = block;
  for (unsigned b = grid; b-- > 0;) { // (last first: no block may rely on an earlier one)
    blockIdx.x = b;
    memset(mlopt_smem_buffer, 0xff, sizeof mlopt_smem_buffer); // shared memory starts as NaN
    mlopt_block_barrier = std::make_unique<std::barrier<>>(block);
    std::barrier<> start(block);
    mlopt_warp_barriers.clear();
    for (unsigned w = 0; w < (block + 31) / 32; ++w)
      mlopt_warp_barriers.push_back(std::make_unique<std::barrier<>>(std::min(32u, block - 32 * w)));
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < block; ++t)
      threads.emplace_back([=, &start] {
        threadIdx.x = t;
        start.arrive_and_wait(); // all of the block's threads run at once
        mlopt_emu_call(f, a, std::index_sequence_for<P...>{});
      });
    for (std::thread &t : threads) t.join();
  }
}
"""



def available():
    return shutil.which("g++") is not None


def _library(units):
    """One shared library with each unit's kernel as mlopt_kernel_<i> and a
    runner mlopt_run_<i>(grid, block, args)."""
    text = [SHIM]
    for i, unit in enumerate(units):
        start = unit.index('extern "C"')
        prelude, kernel = unit[:start], unit[start:]
        kernel = kernel.replace("extern __shared__ __align__(16) unsigned char mlopt_smem[];",
                                "unsigned char *mlopt_smem = mlopt_smem_buffer;")
        if i == 0:  # the prelude's portable helpers (not its inline PTX)
            text.append("\n".join(line for line in prelude.splitlines()
                                  if "asm(" not in line))
        kernel = kernel.replace("mlopt_kernel(", f"mlopt_kernel_{i}(", 1)
        text.append(kernel)
        text.append(f'extern "C" void mlopt_run_{i}(unsigned g, unsigned b, void **a) '
                    f"{{ mlopt_emu_grid(mlopt_kernel_{i}, g, b, a); }}")
    with tempfile.TemporaryDirectory(prefix="mlopt-emu-") as directory:
        source, library = os.path.join(directory, "k.cpp"), os.path.join(directory, "k.so")
        with open(source, "w") as f:
            f.write("\n".join(text))
        done = subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-w",
                               source, "-o", library], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError("g++ failed on the emulated kernels:\n" + done.stderr[-4000:])
        return ctypes.CDLL(library)  # (loaded: the file may go)


def run(program, inputs):
    """Runs `program` (trace.cuda_program) on NumPy `inputs` (one per input
    slot, in order); returns the outputs as NumPy arrays."""
    lib = _library(program["units"])
    slots = [None] * program["num_slots"]
    for i, x in enumerate(inputs):
        slots[i] = np.ascontiguousarray(x).view(np.uint8).reshape(-1).copy()
    for step in program["steps"]:
        kind = step["kind"]
        if kind == "alloc":
            # Fresh device memory is not zeroed: NaN (or -1) until written.
            slots[step["slot"]] = np.full(max(step["bytes"], 1), 0xFF, np.uint8)
        elif kind == "upload":
            slots[step["slot"]] = np.frombuffer(step["data"], np.uint8).copy()
        elif kind == "free":
            slots[step["slot"]] = None
        elif kind == "copy":
            n, a, c = step["bytes"], step["offset_a"], step["offset_c"]
            slots[step["c"]][c:c + n] = slots[step["a"]][a:a + n]
        elif kind == "launch":
            args = (ctypes.c_void_p * len(step["args"]))(
                *[slots[s].ctypes.data for s in step["args"]])
            getattr(lib, f"mlopt_run_{step['kernel']}")(
                ctypes.c_uint(step["grid"]), ctypes.c_uint(step["block"]), args)
        else:
            raise NotImplementedError(f"a {kind} step (cuBLAS) needs a GPU")
    outputs = []
    for o in program["outputs"]:
        dtype = BY_MLIR[o["dtype"]].numpy or np.dtype(np.uint16)  # (bf16: its bits)
        flat = slots[o["slot"]].view(dtype)
        outputs.append(np.lib.stride_tricks.as_strided(
            flat[o["offset"]:], o["shape"], [s * dtype.itemsize for s in o["strides"]]).copy())
    return outputs
