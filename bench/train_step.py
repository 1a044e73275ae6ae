#!/usr/bin/env python3
"""One SGD training step of an MLP (1024-4096-1024, batch 512, f32, GELU,
MSE), eager and as one @mlopt.compile'd step, timed per step: the first
steps pay for compiling kernels and the backward, later ones show the warm
path. Run with a fresh MLOPT_CACHE_DIR to see cold compiles.
Usage: python3 bench/train_step.py [--steps 6] [--batch 512]
"""
import argparse
import time

import mlopt
import mlopt.nn.functional as F


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--hidden", type=int, default=4096)
    args = parser.parse_args()
    mlopt.manual_seed(0)
    x = mlopt.randn(args.batch, args.width)
    y = mlopt.randn(args.batch, args.width)

    def make_params():
        mlopt.manual_seed(1)
        return [(mlopt.randn(args.hidden, args.width) * 0.02).requires_grad_(),
                mlopt.zeros(args.hidden, requires_grad=True),
                (mlopt.randn(args.width, args.hidden) * 0.02).requires_grad_(),
                mlopt.zeros(args.width, requires_grad=True)]

    def step(x, y, w1, b1, w2, b2):
        loss = F.mse_loss(F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2), y)
        loss.backward()
        with mlopt.no_grad():
            for p in (w1, b1, w2, b2):
                p -= 0.01 * p.grad
                p.grad = None
        return loss

    flops = 6 * 2 * args.batch * args.width * args.hidden  # 2 forward, 4 backward matmuls
    print(f"MLP {args.width}-{args.hidden}-{args.width}, batch {args.batch}, "
          f"{mlopt._C.num_threads()} threads; matmul work {flops / 1e9:.1f} GFLOP per step")
    print(f"{'step':>4} {'eager ms':>10} {'compiled ms':>12}")
    runs = {}
    for name, fn in (("eager", step), ("compiled", mlopt.compile(step))):
        params = make_params()
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            fn(x, y, *params).item()
            times.append((time.perf_counter() - start) * 1e3)
        runs[name] = times
    for i in range(args.steps):
        print(f"{i:>4} {runs['eager'][i]:>10.0f} {runs['compiled'][i]:>12.0f}")


if __name__ == "__main__":
    main()
