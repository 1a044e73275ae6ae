#!/usr/bin/env python3
"""Per-op overhead on tiny tensors, side by side: NumPy, PyTorch eager (when
installed), mlopt eager, mlopt compiled. Usage: python3 bench/overhead.py"""
import timeit

import numpy as np

import mlopt

try:
    import torch
except ImportError:
    torch = None


def per_call_us(fn, number=20000):
    fn()
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def main():
    x, y = mlopt.ones(8), mlopt.ones(8)
    nx, ny = np.ones(8, np.float32), np.ones(8, np.float32)
    rows = [
        ("add", lambda: x + y, lambda: nx + ny, lambda a, b: a + b),
        ("exp", lambda: x.exp(), lambda: np.exp(nx), lambda a, b: a.exp()),
        ("sum", lambda: x.sum(), lambda: nx.sum(), lambda a, b: a.sum()),
        ("add scalar", lambda: x + 1.0, lambda: nx + 1.0, lambda a, b: a + 1.0),
    ]
    tx = ty = None
    if torch is not None:
        tx, ty = torch.ones(8), torch.ones(8)
    print(f"{'op (8 floats)':<14} {'numpy us':>9} {'torch us':>9} {'mlopt us':>9}")
    for name, ours, theirs, torch_fn in rows:
        t = f"{per_call_us(lambda: torch_fn(tx, ty)):9.2f}" if torch else f"{'-':>9}"
        print(f"{name:<14} {per_call_us(theirs):9.2f} {t} {per_call_us(ours):9.2f}")

    def three_ops(a, b):
        return ((a * b) + 1.0).exp()

    compiled = mlopt.compile(three_ops)
    print(f"3-op function: mlopt eager {per_call_us(lambda: three_ops(x, y), 5000):.1f} us, "
          f"mlopt compiled {per_call_us(lambda: compiled(x, y), 5000):.1f} us, "
          f"NumPy {per_call_us(lambda: np.exp(nx * ny + 1.0)):.2f} us")


if __name__ == "__main__":
    main()
