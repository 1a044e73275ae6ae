"""Runs a compiled trace's CUDA program on the CPU, for tests without a GPU.

The program comes from `trace.cuda_program` (its compile units and host
plan). Each grid kernel's CUDA C is compiled as C++ with g++ against a shim
(threadIdx and friends are globals, atomicAdd a plain add) and run one thread
after another, so kernels whose threads never wait for each other (pointwise
grid kernels, the atomic scatter-add) are checked here exactly as printed.
Block kernels (__syncthreads, warp shuffles) and cuBLAS steps need a GPU:
they raise NotImplementedError.
"""
import ctypes
import os
import shutil
import subprocess
import tempfile

import numpy as np

SHIM = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utility>
struct mlopt_dim3 { unsigned x = 0, y = 0, z = 0; };
static mlopt_dim3 threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __restrict__
#define __shared__ static
#define __align__(n)
template <class T> T atomicAdd(T *p, T v) { T old = *p; *p = old + v; return old; }
static inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline void __syncthreads() { abort(); }
template <class T> T __shfl_xor_sync(unsigned, T, int) { abort(); }
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
  for (unsigned b = 0; b < grid; ++b)
    for (unsigned t = 0; t < block; ++t) {
      blockIdx.x = b; threadIdx.x = t;
      mlopt_emu_call(f, a, std::index_sequence_for<P...>{});
    }
}
"""

DTYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i64": np.int64,
          "i32": np.int32, "i8": np.int8, "i1": np.bool_, "ui8": np.uint8, "bf16": np.uint16}


def available():
    return shutil.which("g++") is not None


def _library(units):
    """One shared library with each unit's kernel as mlopt_kernel_<i> and a
    runner mlopt_run_<i>(grid, block, args)."""
    text = [SHIM]
    for i, unit in enumerate(units):
        start = unit.index('extern "C"')
        prelude, kernel = unit[:start], unit[start:]
        if "__syncthreads" in kernel or "__shfl" in kernel or "mlopt_block_reduce" in kernel:
            raise NotImplementedError("a block kernel (threads that wait for each other)")
        if i == 0:  # the prelude's portable helpers (not its inline PTX)
            text.append("\n".join(line for line in prelude.splitlines()
                                  if "asm(" not in line))
        kernel = kernel.replace("mlopt_kernel(", f"mlopt_kernel_{i}(", 1)
        text.append(kernel)
        text.append(f'extern "C" void mlopt_run_{i}(unsigned g, unsigned b, void **a) '
                    f"{{ mlopt_emu_grid(mlopt_kernel_{i}, g, b, a); }}")
    directory = tempfile.mkdtemp(prefix="mlopt-emu-")
    source, library = os.path.join(directory, "k.cpp"), os.path.join(directory, "k.so")
    with open(source, "w") as f:
        f.write("\n".join(text))
    subprocess.run(["g++", "-std=c++17", "-O1", "-shared", "-fPIC", "-w", source, "-o", library],
                   check=True, capture_output=True, text=True)
    return ctypes.CDLL(library)


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
            slots[step["slot"]] = np.zeros(max(step["bytes"], 1), np.uint8)
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
        dtype = np.dtype(DTYPES[o["dtype"]])
        flat = slots[o["slot"]].view(dtype)
        outputs.append(np.lib.stride_tricks.as_strided(
            flat[o["offset"]:], o["shape"], [s * dtype.itemsize for s in o["strides"]]).copy())
    return outputs
