"""Runs a compiled trace's CUDA program on the CPU, for tests without a GPU.

The program comes from `trace.cuda_program` (its compile units and host
plan). Each kernel's CUDA C is compiled as C++ with g++ against a light
header (HEADER) and linked to a runtime compiled once per process (RUNTIME),
which runs it block after block (the last first), each block's threads as OS threads
started together: __syncthreads is a barrier of the block, __shfl_xor_sync
an exchange through memory between two barriers of the warp, shared memory
one buffer (set to NaN before each block), atomicAdd an add under a lock;
allocations start as NaN bytes, as device memory is not zeroed. So the
kernels are checked here as printed, for small shapes (a thread per CUDA
thread). It does not find data races a GPU would expose (a plain += where
atomicAdd is needed passes). cuBLAS steps run as NumPy matmuls, with the
arguments runtime/Cuda.h documents for rt::cuda::gemm.
"""
import atexit
import ctypes
import os
import shutil
import subprocess
import tempfile

import numpy as np

from mlopt._dtype import BY_MLIR

# What CUDA provides, for the kernels: declarations and small inline
# helpers only (the kernels of each program compile against this in ~0.2 s).
HEADER = r"""
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <utility>
struct mlopt_dim3 { unsigned x = 0, y = 0, z = 0; };
extern thread_local mlopt_dim3 threadIdx;
extern mlopt_dim3 blockIdx, blockDim, gridDim;
extern unsigned char mlopt_smem_buffer[];
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __restrict__
#define __shared__ static
#define __align__(n)
void mlopt_atomic_lock();
void mlopt_atomic_unlock();
template <class T> T atomicAdd(T *p, T v) {
  mlopt_atomic_lock(); T old = *p; *p = old + v; mlopt_atomic_unlock(); return old;
}
static unsigned atomicCAS(unsigned *p, unsigned compare, unsigned value) {
  mlopt_atomic_lock(); unsigned old = *p; if (old == compare) *p = value; mlopt_atomic_unlock();
  return old;
}
void __syncthreads();
// Writes `size` bytes at `v` to this lane's slot, waits for the warp, reads
// lane ^ o's slot into `v`, waits again.
void mlopt_warp_exchange(void *v, unsigned size, int o);
template <class T> T __shfl_xor_sync(unsigned, T v, int o) { mlopt_warp_exchange(&v, sizeof(T), o); return v; }
static inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline float __int_as_float(int u) { float f; memcpy(&f, &u, 4); return f; }
static inline int __float_as_int(float f) { int u; memcpy(&u, &f, 4); return u; }
static inline double __longlong_as_double(long long u) { double f; memcpy(&f, &u, 8); return f; }
static inline long long __double_as_longlong(double f) { long long u; memcpy(&u, &f, 8); return u; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
struct float4 { float x, y, z, w; };
struct int4 { int x, y, z, w; };
static inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
static inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
static inline float mlopt_h2f(unsigned short h) { _Float16 f; memcpy(&f, &h, 2); return (float)f; }
static inline unsigned short mlopt_f2h(float f) { _Float16 h = (_Float16)f; unsigned short u; memcpy(&u, &h, 2); return u; }
// A kernel called with its parameters from an array of pointers.
template <class... P, size_t... I>
void mlopt_emu_call(void (*f)(P...), void **a, std::index_sequence<I...>) { f(static_cast<P>(a[I])...); }
template <class... P> constexpr size_t mlopt_emu_arity(void (*)(P...)) { return sizeof...(P); }
template <auto F> void mlopt_emu_trampoline(void **a) {
  mlopt_emu_call(F, a, std::make_index_sequence<mlopt_emu_arity(F)>{});
}
void mlopt_emu_grid(void (*call)(void **), unsigned grid, unsigned block, void **a);
"""

# Blocks and threads: compiled once per process (the heavy headers).
RUNTIME = r"""
#include <string.h>
#include <barrier>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
struct mlopt_dim3 { unsigned x = 0, y = 0, z = 0; };
thread_local mlopt_dim3 threadIdx;
mlopt_dim3 blockIdx, blockDim, gridDim;
alignas(16) unsigned char mlopt_smem_buffer[256 * 1024];
static std::mutex atomic_mutex;
void mlopt_atomic_lock() { atomic_mutex.lock(); }
void mlopt_atomic_unlock() { atomic_mutex.unlock(); }
static std::unique_ptr<std::barrier<>> block_barrier;
static std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
static unsigned long long warp_slots[32][32];
void __syncthreads() { block_barrier->arrive_and_wait(); }
void mlopt_warp_exchange(void *v, unsigned size, int o) {
  unsigned w = threadIdx.x / 32, l = threadIdx.x % 32;
  memcpy(&warp_slots[w][l], v, size);
  warp_barriers[w]->arrive_and_wait();
  memcpy(v, &warp_slots[w][l ^ o], size);
  warp_barriers[w]->arrive_and_wait();
}
void mlopt_emu_grid(void (*call)(void **), unsigned grid, unsigned block, void **a) {
  gridDim.x = grid; blockDim.x = block;
  for (unsigned b = grid; b-- > 0;) { // (last first: no block may rely on an earlier one)
    blockIdx.x = b;
    memset(mlopt_smem_buffer, 0xff, sizeof mlopt_smem_buffer); // shared memory starts as NaN
    block_barrier = std::make_unique<std::barrier<>>(block);
    std::barrier<> start(block);
    warp_barriers.clear();
    for (unsigned w = 0; w < (block + 31) / 32; ++w)
      warp_barriers.push_back(std::make_unique<std::barrier<>>(std::min(32u, block - 32 * w)));
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < block; ++t)
      threads.emplace_back([=, &start] {
        threadIdx.x = t;
        start.arrive_and_wait(); // all of the block's threads run at once
        call(a);
      });
    for (std::thread &t : threads) t.join();
  }
}
"""

_runtime_dir = None


def available():
    return shutil.which("g++") is not None


def _compile(source, output, *extra):
    path = output[:-3] + ".cpp"
    with open(path, "w") as f:
        f.write(source)
    done = subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-w",
                           path, "-o", output, *extra], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError("g++ failed on the emulated kernels:\n" + done.stderr[-4000:])


def _runtime():
    """The directory holding libmloptemu.so, built on first use."""
    global _runtime_dir
    if _runtime_dir is None:
        directory = tempfile.mkdtemp(prefix="mlopt-emu-rt-")
        _compile(RUNTIME, os.path.join(directory, "libmloptemu.so"))
        atexit.register(shutil.rmtree, directory, True)
        _runtime_dir = directory
    return _runtime_dir


def _library(units):
    """One shared library with each unit's kernel as mlopt_kernel_<i> and a
    runner mlopt_run_<i>(grid, block, args)."""
    text = [HEADER]
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
                    f"{{ mlopt_emu_grid(mlopt_emu_trampoline<mlopt_kernel_{i}>, g, b, a); }}")
    runtime = _runtime()
    with tempfile.TemporaryDirectory(prefix="mlopt-emu-") as directory:
        library = os.path.join(directory, "k.so")
        _compile("\n".join(text), library, runtime + "/libmloptemu.so", "-Wl,-rpath," + runtime)
        return ctypes.CDLL(library)  # (loaded: the file may go)


def _gemm(step, slots):
    """cuBLAS's part, as runtime/Cuda.h documents rt::cuda::gemm: for each
    batch b, C_b = alpha * op(A_b) @ op(B_b) + beta * C_b, row-major with
    leading dims lda/ldb/ldc (elements between rows), A_b at element
    offset_a + b * stride_a; f16/bf16 accumulate in f32 and round once."""
    g = step["gemm"]
    half = g["dtype"] in ("f16", "bf16")
    storage = np.dtype(np.uint16) if half else BY_MLIR[g["dtype"]].numpy

    def matrix(slot, offset, rows, cols, ld, stride):
        flat = slots[slot].view(storage)
        size = storage.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[offset:], (g["batch"], rows, cols), (stride * size, ld * size, size))
        return view

    def widen(x):  # the exact f32 value of halves (their bits for bf16)
        if g["dtype"] == "f16":
            return x.view(np.float16).astype(np.float32)
        if g["dtype"] == "bf16":
            return (x.astype(np.uint32) << 16).view(np.float32)
        return x

    m, n, k = g["m"], g["n"], g["k"]
    a = matrix(step["a"], step["offset_a"], *((k, m) if g["trans_a"] else (m, k)), g["lda"],
               g["stride_a"])
    b = matrix(step["b"], step["offset_b"], *((n, k) if g["trans_b"] else (k, n)), g["ldb"],
               g["stride_b"])
    c = matrix(step["c"], step["offset_c"], m, n, g["ldc"], g["stride_c"])
    a, b = widen(a), widen(b)
    if g["trans_a"]:
        a = a.transpose(0, 2, 1)
    if g["trans_b"]:
        b = b.transpose(0, 2, 1)
    product = g["alpha"] * np.matmul(a.astype(np.float64), b.astype(np.float64))
    if g["beta"] != 0:
        product = product + g["beta"] * widen(c).astype(np.float64)
    if g["dtype"] == "f16":
        c[...] = product.astype(np.float16).view(np.uint16)
    elif g["dtype"] == "bf16":
        bits = product.astype(np.float32).view(np.uint32)
        c[...] = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    else:
        c[...] = product.astype(storage)


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
        elif kind == "gemm":
            _gemm(step, slots)
        else:
            raise NotImplementedError(f"a {kind} step")
    outputs = []
    for o in program["outputs"]:
        dtype = BY_MLIR[o["dtype"]].numpy or np.dtype(np.uint16)  # (bf16: its bits)
        if 0 in o["shape"]:
            outputs.append(np.empty(o["shape"], dtype))
            continue
        flat = slots[o["slot"]].view(dtype)
        outputs.append(np.lib.stride_tricks.as_strided(
            flat[o["offset"]:], o["shape"], [s * dtype.itemsize for s in o["strides"]]).copy())
    return outputs
