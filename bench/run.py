#!/usr/bin/env python3
"""mlopt CPU benchmarks: every figure is a ratio measured side by side in this run.

Prints, per workload: NumPy time, mlopt compiled time (mlopt-run), the fraction of
this machine's memory-copy bandwidth each reaches (bytes each workload must move,
over the time), the cold and cached compile time, and the per-call overhead on
tiny inputs. Usage: python3 bench/run.py [--size 4096] [--build build]
"""
import argparse
import os
import pathlib
import re
import subprocess
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]

WORKLOADS = {
    # name: (mlir body over %x, %y of tensor<?x?xf32>, numpy function, arrays moved)
    "add": ("%r = mlopt.add %x, %y : tensor<?x?xf32>", lambda x, y: x + y, 3),
    "mul_tanh": ("%m = mlopt.mul %x, %y : tensor<?x?xf32>\n  %r = mlopt.tanh %m : tensor<?x?xf32>",
                 lambda x, y: np.tanh(x * y), 3),
    "exp": ("%r = mlopt.exp %x : tensor<?x?xf32>", lambda x, y: np.exp(x), 2),
}


def module(body):
    return ("func.func @f(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>) -> tensor<?x?xf32> {\n  "
            + body + "\n  return %r : tensor<?x?xf32>\n}\n")


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_mlopt(tool, path, inputs, iterations, env):
    out = subprocess.run([str(tool), str(path), *[f"--input={i}" for i in inputs],
                          f"--iterations={iterations}"],
                         capture_output=True, text=True, env=env, check=True).stdout
    compile_ms = float(re.search(r"compile: ([\d.]+) ms", out).group(1))
    cache = re.search(r"\(cache (\w+)\)", out).group(1)
    per_call_us = float(re.search(r"time per call: ([\d.]+) us", out).group(1))
    return compile_ms, cache, per_call_us


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--build", default=str(REPO / "build"))
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    tool = pathlib.Path(args.build) / "bin" / "mlopt-run"
    n = args.size

    work = pathlib.Path(tempfile.mkdtemp(prefix="mlopt-bench-"))
    env = dict(os.environ, MLOPT_CACHE_DIR=str(work / "cache"))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n), dtype=np.float32)
    y = rng.standard_normal((n, n), dtype=np.float32)
    np.save(work / "x.npy", x)
    np.save(work / "y.npy", y)
    tiny = np.ones((1, 1), np.float32)
    np.save(work / "t.npy", tiny)

    # The machine's limit: a large copy reads and writes every byte once.
    dst = np.empty_like(x)
    copy_s = best_of(lambda: np.copyto(dst, x), 5)
    copy_gbs = 2 * x.nbytes / copy_s / 1e9
    print(f"machine: {os.cpu_count()} cores; memory copy {copy_gbs:.1f} GB/s "
          f"(NumPy copyto, {n}x{n} f32); MLOPT_NUM_THREADS={os.environ.get('MLOPT_NUM_THREADS', 'all')}")
    header = (f"{'workload':<10} {'numpy ms':>9} {'mlopt ms':>9} {'np/mlopt':>9} {'mlopt %bw':>9} "
              f"{'cold ms':>8} {'cached ms':>9} {'tiny call us':>12}")
    print(header)
    for name, (body, fn, arrays) in WORKLOADS.items():
        path = work / f"{name}.mlir"
        path.write_text(module(body))
        numpy_s = best_of(lambda: fn(x, y), 3)
        cold_ms, cache, _ = run_mlopt(tool, path, [work / "t.npy"] * 2, 1, env)
        assert cache == "miss", cache
        cached_ms, cache, _ = run_mlopt(tool, path, [work / "t.npy"] * 2, 1, env)
        assert cache == "disk", cache
        _, _, tiny_us = run_mlopt(tool, path, [work / "t.npy"] * 2, 20000, env)
        _, _, call_us = run_mlopt(tool, path, [work / "x.npy", work / "y.npy"],
                                  args.iterations, env)
        mlopt_s = call_us / 1e6
        bandwidth = arrays * x.nbytes / mlopt_s / 1e9
        print(f"{name:<10} {numpy_s * 1e3:9.2f} {mlopt_s * 1e3:9.2f} {numpy_s / mlopt_s:9.2f} "
              f"{100 * bandwidth / copy_gbs:8.0f}% {cold_ms:8.1f} {cached_ms:9.1f} {tiny_us:12.2f}")
    bench_matmul(tool, work, env, args.iterations)


def bench_matmul(tool, work, env, iterations):
    """f32 matmul through OpenBLAS against NumPy's BLAS, in GFLOP/s."""
    n = 1024
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    np.save(work / "a.npy", a)
    np.save(work / "b.npy", b)
    path = work / "matmul.mlir"
    path.write_text("func.func @f(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {\n"
                    "  %r = mlopt.matmul %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>\n"
                    "  return %r : tensor<?x?xf32>\n}\n")
    numpy_s = best_of(lambda: a @ b, 5)
    _, _, call_us = run_mlopt(tool, path, [work / "a.npy", work / "b.npy"], iterations, env)
    flops = 2 * n ** 3
    print(f"matmul {n}^3 f32: NumPy {flops / numpy_s / 1e9:.1f} GFLOP/s, "
          f"mlopt (OpenBLAS) {flops / (call_us / 1e6) / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
