#!/usr/bin/env python3
"""mlopt GPU benchmarks: every figure is measured side by side in this run.

Per workload (8192 x 8192 f32 by default): mlopt compiled (`mlopt.compile`),
then PyTorch eager and torch.compile (a '-' when it fails) on the same data
on device 0; the fraction of the device's copy bandwidth (torch `y.copy_(x)`,
measured here) mlopt reaches: the bytes the workload must move (each input
read once, the result written once) over its time; mlopt's cold compile time
(first call minus a warm call, with an empty compile cache) and the
compiler's own split of it (MLIR, NVRTC, load) and the same CUDA C through
NVRTC again once it is warm; the largest difference from
torch eager's result (relative for sums; FAIL at 1e-3 or more). Then the
compiled call overhead on a tiny input. Times are the best of several runs
of (N calls, then synchronize) / N. `--variants` measures mlopt again under
each setting in VARIANTS.

gelu is the tanh form, as in bench/run.py. Needs torch with CUDA; without a
GPU it says so and exits 0. Exits 1 when an mlopt measurement failed or a
result differs. Usage:
  python3 bench/gpu.py [--size 8192] [--quick] [--only NAME] [--budget SECONDS] [--variants]
                       [--cold-only]
"""
import argparse
import atexit
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback

import numpy as np

# An empty compile cache, so cold compile times are cold.
os.environ["MLOPT_CACHE_DIR"] = tempfile.mkdtemp(prefix="mlopt-gpu-bench-")
atexit.register(shutil.rmtree, os.environ["MLOPT_CACHE_DIR"], True)

try:
    import torch
    import torch.nn.functional as TF
except ImportError:
    torch = TF = None

TOLERANCE = 1e-3
# "cuda"; `--device cpu` is a dry run of this script on a machine without a GPU.
DEVICE = "cuda"


def torch_sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def mlopt_sync(mlopt):
    return mlopt.cuda.synchronize if DEVICE == "cuda" else (lambda: None)


def workloads(n, lib, f):
    """name -> (input names, function of those inputs, bytes moved). `lib` is
    torch or mlopt, `f` its nn.functional; the functions are written once."""
    def gelu(x, a, b):
        return f.gelu(x * a + b, approximate="tanh")

    def softmax(x):
        return f.softmax(x, -1)

    def layer_norm(x, w, b):
        return f.layer_norm(x, (n,), w, b)

    def rmsnorm(x, r, w):
        h = x + r
        return h * lib.rsqrt((h * h).mean(-1, keepdim=True) + 1e-6) * w

    def total(x):
        return x.sum()

    def attention_softmax(x):  # [batch, heads, queries, keys]: rows of every leading dim
        return f.softmax(x.reshape(8, 16, -1, n // 8), -1)

    big, row = 4 * n * n, 4 * n
    return {
        f"gelu(x*a+b) {n}": (("x", "a", "b"), gelu, 2 * big + 2 * row),
        f"softmax {n}": (("x",), softmax, 2 * big),
        f"layer_norm {n}": (("x", "w", "b"), layer_norm, 2 * big + 2 * row),
        f"rmsnorm(x+r) {n}": (("x", "r", "w"), rmsnorm, 3 * big + row),
        f"sum {n}": (("x",), total, big),
        f"softmax 8x16x-1x{n // 8}": (("x",), attention_softmax, 2 * big),
    }


# --variants: mlopt again under these settings (a new compile each), beside
# the default, to measure what each code generation choice brings.
VARIANTS = {
    "no row cache": {"MLOPT_CUDA_ROW_CACHE": "0"},
    "16 per thread": {"MLOPT_CUDA_ROW_VALUES": "16"},
}


def best_per_call_s(fn, sync, calls, runs):
    """Best over `runs` of (`calls` calls without syncing, then sync) / calls."""
    best = float("inf")
    for _ in range(runs):
        sync()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def per_call_ms(fn, sync, target_s=0.05, runs=5):
    """Best over `runs` of (N calls, then sync) / N, N sized to ~target_s."""
    fn()
    sync()
    start = time.perf_counter()
    fn()
    sync()
    once = time.perf_counter() - start
    calls = max(1, min(200, int(target_s / max(once, 1e-6))))
    return best_per_call_s(fn, sync, calls, runs) * 1e3


def single_call_ms(fn, sync, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def tiny_call_us(call, sync, calls=2000, repeats=3):
    """Average wall time per call, no synchronization between calls."""
    call()
    return best_per_call_s(call, sync, calls, repeats) * 1e6


def error(what, exc):
    print(f"  {what}: {type(exc).__name__}: {exc}".rstrip(), flush=True)
    if os.environ.get("MLOPT_BENCH_TRACEBACK"):
        traceback.print_exc()


def import_mlopt():
    try:
        import mlopt
        import mlopt.nn.functional as F
    except Exception as exc:  # noqa: BLE001 - a broken build is reported, not fatal
        error("import mlopt", exc)
        return None, None
    return mlopt, F


def make_inputs(n, mlopt, names):
    """The inputs as mlopt CUDA tensors (mlopt.randn) and the same values as
    torch CUDA tensors (copied through NumPy). Without mlopt's CUDA, torch
    makes them and the mlopt side is None."""
    shapes = {"x": (n, n), "r": (n, n), "a": (n,), "b": (n,), "w": (n,)}
    m = None
    if mlopt is not None:
        try:
            m = {k: mlopt.randn(*shapes[k], device=DEVICE) for k in names}
            t = {k: torch.from_numpy(v.cpu().numpy()).to(DEVICE) for k, v in m.items()}
            return m, t
        except Exception as exc:  # noqa: BLE001
            error(f"mlopt.randn(..., device='{DEVICE}')", exc)
            m = None
    gen = torch.Generator(device=DEVICE).manual_seed(0)
    t = {k: torch.randn(*shapes[k], device=DEVICE, generator=gen) for k in names}
    return m, t


def process_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def mlopt_compiled(mlopt, fn, margs, nbytes, copy_gbs, env=None):
    """A fresh mlopt.compile of fn (under `env`, restored after): its cold
    compile (first call minus a warm one) with the compiler's own split of
    it, its time per call and bandwidth fraction, and its result."""
    sync_m = mlopt_sync(mlopt)
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        compiled = mlopt.compile(fn)
        faults, cpu = process_faults(), time.process_time()
        start = time.perf_counter()
        result = compiled(*margs)
        sync_m()
        first = (time.perf_counter() - start) * 1e3
        # The process's page faults and CPU time (compiles may run on other
        # threads) in the cold call: whether a slow cold compile faulted
        # memory in or lost its CPU (docs/gpu.md).
        faults, cpu = process_faults() - faults, (time.process_time() - cpu) * 1e3
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    warm = single_call_ms(lambda: compiled(*margs), sync_m)
    row = {"cold": max(first - warm, 0.0), "cold_faults": faults, "cold_cpu": cpu}
    stats = [e.trace.compile_stats for e in compiled.cache.values() if e.trace is not None]
    if stats:  # the rest of the cold time is tracing in Python
        row["mlir"] = sum(s["mlir_ms"] for s in stats)
        row["nvrtc"] = sum(s["llvm_ms"] for s in stats)
        row["load"] = sum(s["load_ms"] for s in stats)
    if DEVICE == "cuda":  # the same CUDA C through NVRTC again, now warm
        from mlopt import _C
        sources = [e.trace.cuda_source for e in compiled.cache.values() if e.trace is not None]
        for key, suffix in (("nvrtc_again", ""), ("nvrtc_again_edited", "//")):
            again = []
            for k in range(2):  # edited: a comment that differs each time
                start = time.perf_counter()
                for source in sources:
                    _C.nvrtc_compile(source + (f"{suffix} {time.time()} {k}\n" if suffix else ""),
                                     _C.cuda_capability())
                again.append((time.perf_counter() - start) * 1e3)
            row[key] = min(again)
    row["mlopt"] = per_call_ms(lambda: compiled(*margs), sync_m)
    row["bw"] = nbytes / (row["mlopt"] / 1e3) / 1e9 / copy_gbs
    return row, result


def run_workload(name, n, mlopt, F, copy_gbs, failures, variants=False, torch_too=True):
    """mlopt first (its cold compile then has the CPU to itself), then torch."""
    names, torch_fn, nbytes = workloads(n, torch, TF)[name]
    row = {}
    sync_t = torch_sync
    m, t = make_inputs(n, mlopt, names)
    targs = [t[k] for k in names]
    result = None
    if m is None:
        failures.append(f"{name}: no mlopt inputs (see above)")
    else:
        mlopt_fn = workloads(n, mlopt, F)[name][1]
        margs = [m[k] for k in names]
        try:
            measured, result = mlopt_compiled(mlopt, mlopt_fn, margs, nbytes, copy_gbs)
            row.update(measured)
        except Exception as exc:  # noqa: BLE001
            error("mlopt compiled", exc)
            failures.append(f"{name}: {type(exc).__name__}")
        for label, env in (VARIANTS.items() if variants else ()):
            try:
                measured, _ = mlopt_compiled(mlopt, mlopt_fn, margs, nbytes, copy_gbs, env)
                row["variants"] = row.get("variants", {}) | {label: measured}
            except Exception as exc:  # noqa: BLE001
                error(f"mlopt compiled ({label})", exc)
    if not torch_too:
        return row
    try:
        expected = torch_fn(*targs).cpu().numpy()
        row["torch"] = per_call_ms(lambda: torch_fn(*targs), sync_t)
        if result is not None:
            got = result.cpu().numpy()
            if got.shape != expected.shape:
                raise RuntimeError(f"mlopt's result shape {got.shape}, torch's {expected.shape}")
            scale = max(1.0, float(np.max(np.abs(expected))))  # sums: relative
            row["diff"] = float(np.max(np.abs(got.astype(np.float64) - expected))) / scale
            if not row["diff"] < TOLERANCE:  # NaN fails too
                failures.append(f"{name}: max abs difference {row['diff']:.3g}")
    except Exception as exc:  # noqa: BLE001
        error("torch eager", exc)
    try:
        compiled_t = torch.compile(torch_fn)
        compiled_t(*targs)
        row["torch.compile"] = per_call_ms(lambda: compiled_t(*targs), sync_t)
    except Exception as exc:  # noqa: BLE001
        error("torch.compile", exc)
    return row


def overhead(mlopt, failures):
    """Compiled call overhead: (x * 2 + 1) * x on 16 floats on the GPU."""
    def fn(x):
        return (x * 2 + 1) * x
    x = torch.randn(16, device=DEVICE)
    cells = {"torch eager": tiny_call_us(lambda: fn(x), torch_sync)}
    try:
        compiled_t = torch.compile(fn)
        cells["torch.compile"] = tiny_call_us(lambda: compiled_t(x), torch_sync)
    except Exception as exc:  # noqa: BLE001
        error("torch.compile (tiny)", exc)
    if mlopt is not None:
        try:
            mx = mlopt.randn(16, device=DEVICE)
            compiled = mlopt.compile(fn)
            cells["mlopt compiled"] = tiny_call_us(lambda: compiled(mx), mlopt_sync(mlopt))
            # The C++ part of it: the traced program's run (launch, output).
            trace = next(e.trace for e in compiled.cache.values() if e.trace is not None)
            buffers = [mx._buf]
            cells["of which trace.run"] = tiny_call_us(lambda: trace.run(buffers),
                                                       mlopt_sync(mlopt))
            cells["mlopt eager x * 2"] = tiny_call_us(lambda: mx * 2, mlopt_sync(mlopt))
        except Exception as exc:  # noqa: BLE001
            error("mlopt compiled (tiny)", exc)
            failures.append(f"tiny call: {type(exc).__name__}")
    print("compiled call overhead, 3 ops on 16 floats, per call over 2000 calls: "
          + ", ".join(f"{k} {v:.1f} us" for k, v in cells.items()), flush=True)


def launch_bound(mlopt, F, failures):
    """CUDA graphs where launches dominate: a 4-layer MLP (a GEMM, then bias
    and gelu, per layer) on 8 rows of 256, per call, with and without
    mode="reduce-overhead" (mlopt's graph copies the inputs in and the
    result out: 3 copies beside the 8 launches it replaces)."""
    def program(lib, f):
        def mlp(x, w, b):
            for k in range(4):
                x = f.gelu(x @ w[k] + b[k])
            return x
        return mlp
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) * 0.1 for s in
               ((8, 256), (4, 256, 256), (4, 256)))
    tx, tw, tb = (torch.from_numpy(a).to(DEVICE) for a in (x, w, b))
    cells = {}
    tmlp = program(torch, TF)
    for label, mode in (("torch.compile", None), ("torch.compile reduce-overhead",
                                                  "reduce-overhead")):
        try:
            compiled_t = torch.compile(tmlp, mode=mode)
            for _ in range(3):  # torch's graph trees record on a later call
                compiled_t(tx, tw, tb)
            cells[label] = tiny_call_us(lambda: compiled_t(tx, tw, tb), torch_sync, calls=500)
        except Exception as exc:  # noqa: BLE001
            error(f"{label} (MLP)", exc)
    if mlopt is not None:
        try:
            mx, mw, mb = (mlopt.tensor(a, device=DEVICE) for a in (x, w, b))
            results = {}
            for label, mode in (("mlopt", None), ("mlopt reduce-overhead", "reduce-overhead")):
                compiled = mlopt.compile(program(mlopt, F), mode=mode)
                for _ in range(2):  # the graph is captured on the second call
                    compiled(mx, mw, mb)
                cells[label] = tiny_call_us(lambda: compiled(mx, mw, mb), mlopt_sync(mlopt),
                                            calls=500)
                results[label] = compiled(mx, mw, mb).cpu().numpy()
                if mode and DEVICE == "cuda":
                    state = [e.trace.cuda_graph for e in compiled.cache.values() if e.trace]
                    print(f"  mlopt's CUDA graph: {', '.join(state)}", flush=True)
                    if state != ["captured"]:
                        failures.append(f"MLP: CUDA graph {state}")
            diff = float(np.max(np.abs(results["mlopt"] - results["mlopt reduce-overhead"])))
            if not diff < 1e-5:  # (NaN fails too)
                failures.append(f"MLP through a CUDA graph: differs by {diff:.3g}")
        except Exception as exc:  # noqa: BLE001
            error("mlopt (MLP)", exc)
            failures.append(f"MLP: {type(exc).__name__}")
    print("launch-bound MLP (4 x (8x256 @ 256x256, bias, gelu)), per call over 500 calls: "
          + ", ".join(f"{k} {v:.1f} us" for k, v in cells.items()), flush=True)


def copy_bandwidth_ms(n):
    """torch `y.copy_(x)` of an n x n f32 tensor: 2 * n * n * 4 bytes moved."""
    src = torch.randn(n, n, device=DEVICE)
    dst = torch.empty_like(src)
    return per_call_ms(lambda: dst.copy_(src), torch_sync)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=8192, help="n for the n x n inputs")
    parser.add_argument("--quick", action="store_true", help="n = 1024, for a smoke run")
    parser.add_argument("--only", default="", help="run the workloads whose name contains this")
    parser.add_argument("--budget", type=float, default=0,
                        help="seconds: start no workload after this (0: no limit)")
    parser.add_argument("--variants", action="store_true",
                        help="also measure mlopt under each of VARIANTS' settings")
    parser.add_argument("--cold-only", action="store_true",
                        help="mlopt's cold compiles and times only (no torch, no overhead)")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                        help="cpu: a dry run of the script itself, for machines without a GPU")
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    n = 1024 if args.quick else args.size
    start = time.monotonic()

    if torch is None or (DEVICE == "cuda" and not torch.cuda.is_available()):
        why = "torch is not installed" if torch is None else \
            f"torch {torch.__version__} sees no CUDA device"
        print(f"bench/gpu.py: no GPU present ({why}); nothing to measure")
        return 0
    mlopt, F = import_mlopt()
    if DEVICE == "cuda":
        props = torch.cuda.get_device_properties(0)
        gpu = (f"{props.name}, {props.multi_processor_count} SMs, "
               f"{props.total_memory / 2**30:.0f} GiB")
    else:
        gpu = f"none (a --device cpu dry run, {os.cpu_count()} cores)"
    copy_ms = copy_bandwidth_ms(n)
    copy_gbs = 2 * n * n * 4 / (copy_ms / 1e3) / 1e9
    cuda = "not importable"
    if mlopt is not None:
        try:
            cuda = "available" if mlopt.cuda.is_available() else "not available"
        except Exception as exc:  # noqa: BLE001
            cuda = f"{type(exc).__name__}: {exc}"
    print(f"GPU: {gpu}; copy bandwidth {copy_gbs:.0f} GB/s (torch copy_, {n}x{n} f32, "
          f"{copy_ms:.3f} ms); torch {torch.__version__} (CUDA {torch.version.cuda}); "
          f"mlopt CUDA: {cuda}", flush=True)

    if mlopt is not None and DEVICE == "cuda":
        # NVRTC's first compile in a process loads and initializes it: shown
        # here, apart from the workloads' cold compiles.
        try:
            from mlopt import _C
            arch = _C.cuda_capability()
            tiny = 'extern "C" __global__ void k(float *x) { x[threadIdx.x] = 1; }'
            times = []
            for _ in range(2):
                began = time.perf_counter()
                _C.nvrtc_compile(tiny, arch)
                times.append((time.perf_counter() - began) * 1e3)
            print(f"NVRTC: a one-line kernel compiles in {times[0]:.1f} ms on first use, "
                  f"then {times[1]:.1f} ms", flush=True)
        except Exception as exc:  # noqa: BLE001
            error("NVRTC first use", exc)

    failures, rows = [], {}
    for name in workloads(n, torch, TF):
        if args.only not in name:
            continue
        if args.budget and time.monotonic() - start > args.budget:
            print(f"{name}: skipped, over the {args.budget:.0f} s budget", flush=True)
            failures.append(f"{name}: skipped")
            continue
        print(f"{name}:", flush=True)
        try:
            rows[name] = run_workload(name, n, mlopt, F, copy_gbs, failures, args.variants,
                                      torch_too=not args.cold_only)
        except Exception as exc:  # noqa: BLE001
            error(name, exc)
            failures.append(f"{name}: {type(exc).__name__}")
            rows[name] = {}
        row = rows[name]
        print("  " + ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "variants"),
              flush=True)
        if DEVICE == "cuda":
            torch.cuda.empty_cache()

    extras = not args.cold_only and (not args.budget or time.monotonic() - start < args.budget)
    if extras:
        try:
            overhead(mlopt, failures)
        except Exception as exc:  # noqa: BLE001
            error("call overhead", exc)
    if extras:
        try:
            launch_bound(mlopt, F, failures)
        except Exception as exc:  # noqa: BLE001
            error("launch-bound MLP", exc)

    def cell(row, key, fmt, width):
        return f"{format(row[key], fmt):>{width}}" if key in row else f"{'-':>{width}}"

    print()
    print(f"{'workload':<22}{'torch eager ms':>15}{'torch.compile ms':>17}{'mlopt ms':>10}"
          f"{'mlopt %copy bw':>15}{'mlopt cold ms':>14}{'max diff':>10}")
    for name, row in rows.items():
        diff = cell(row, "diff", ".1e", 10)
        if "diff" in row and not row["diff"] < TOLERANCE:
            diff += " FAIL"
        print(f"{name:<22}{cell(row, 'torch', '.3f', 15)}{cell(row, 'torch.compile', '.3f', 17)}"
              f"{cell(row, 'mlopt', '.3f', 10)}"
              + (f"{100 * row['bw']:14.0f}%" if "bw" in row else f"{'-':>15}")
              + f"{cell(row, 'cold', '.1f', 14)}{diff}")
    print("mlopt cold = first call minus a warm one; of it, mlir (lowering + CUDA C), "
          "nvrtc and load (cuModuleLoadData) as the compiler measured them:")
    for name, row in rows.items():
        if "cold" in row and "mlir" in row:
            print(f"  {name:<20} cold {row['cold']:6.1f} ms: mlir {row['mlir']:5.1f}, nvrtc "
                  f"{row['nvrtc']:5.1f}, load {row['load']:4.1f}, tracing and the rest "
                  f"{row['cold'] - row['mlir'] - row['nvrtc'] - row['load']:5.1f}; "
                  f"{row['cold_faults']} page faults, {row['cold_cpu']:.0f} ms CPU; "
                  f"NVRTC again {row.get('nvrtc_again', float('nan')):5.1f} (the text "
                  f"edited: {row.get('nvrtc_again_edited', float('nan')):5.1f})")
    if any("variants" in row for row in rows.values()):
        print("variants (mlopt ms / %copy bw / cold ms / nvrtc ms):")
        for name, row in rows.items():
            cells = [f"default {row['mlopt']:.3f} / {100 * row['bw']:.0f}% / {row['cold']:.0f} / "
                     f"{row.get('nvrtc', 0):.0f}"] if "mlopt" in row else []
            for label, v in row.get("variants", {}).items():
                cells.append(f"{label} {v['mlopt']:.3f} / {100 * v['bw']:.0f}% / "
                             f"{v['cold']:.0f} / {v.get('nvrtc', 0):.0f}")
            print(f"  {name:<20} " + "; ".join(cells))
    print(f"copy bandwidth {copy_gbs:.0f} GB/s; GPU {gpu}; {time.monotonic() - start:.0f} s")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
