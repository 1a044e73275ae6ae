"""Tier 0 of @mlopt.compile: a first call that should run faster op by op
than compiled cold runs the traced ops on the eager kernels, and the compile
starts after it. Results, write-backs and gradients are the compiled
program's; exit, fork, threads and garbage collection during the compile
are safe."""
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlopt
import mlopt.nn.functional as F
from conftest import run_in_threads


@pytest.fixture(autouse=True)
def fresh_compile_cache(tmp_path, monkeypatch):
    """Programs compile cold (a cached one would only load: no tier 0); the
    eager kernels stay in memory."""
    monkeypatch.setenv("MLOPT_CACHE_DIR", str(tmp_path / "cache"))
    mlopt._C.clear_compile_memory_cache()


def entry_of(f):
    (entry,) = f.cache.values()
    return entry


def first_call(fn, *args):
    """Runs fn eagerly (its eager kernels are then compiled), then compiled
    twice: the interpreted first call, then the program's. Returns both."""
    fn(*args)
    f = mlopt.compile(fn)
    first = f(*args)
    trace = entry_of(f).trace
    assert trace.interpreted, trace.compile_state
    trace.wait_compiled()
    assert trace.compile_state == "compiled"
    return first, f(*args), f


def numpy_of(t):
    return np.asarray((t.double() if t.is_floating_point() else t).numpy(), dtype=np.float64)


def test_first_call_is_interpreted_and_matches_the_program_and_numpy():
    rng = np.random.default_rng(0)
    xn, wn = rng.standard_normal((6, 8)), rng.standard_normal((8, 5))
    x, w = mlopt.tensor(xn, dtype=mlopt.float32), mlopt.tensor(wn, dtype=mlopt.float32)

    def fn(x, w):
        h = x @ w
        return F.softmax(h * 0.5, dim=-1), (h - h.mean(1, keepdim=True)).abs().sum()

    (p1, s1), (p2, s2), _ = first_call(fn, x, w)
    h = xn @ wn
    e = np.exp(h * 0.5 - (h * 0.5).max(1, keepdims=True))
    np.testing.assert_allclose(numpy_of(p1), e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(s1.item()), np.abs(h - h.mean(1, keepdims=True)).sum(),
                               rtol=1e-5)
    np.testing.assert_allclose(numpy_of(p1), numpy_of(p2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(s1.item()), float(s2.item()), rtol=1e-5)


def test_views_constants_iota_and_casts_run_op_by_op():
    rng = np.random.default_rng(1)
    xn = rng.standard_normal((4, 6))
    x = mlopt.tensor(xn, dtype=mlopt.float32)

    def fn(x):
        t = x.t().reshape(3, 8)                        # transpose, then a copying reshape
        s = x[1:4:2, ::2]                              # strided slice
        b = x[:, :1].expand(4, 6) + mlopt.arange(6)    # broadcast, iota
        i = mlopt.arange(4, dtype=mlopt.int64) * 3      # an integer iota
        h = mlopt.arange(3, dtype=mlopt.float16)        # a half iota: converted
        return t * 2, s.detach() + 1.5, b, i, h.float(), x.to(mlopt.float64).exp()

    first, second, _ = first_call(fn, x)
    expected = (xn.T.reshape(3, 8) * 2, xn[1:4:2, ::2] + 1.5,
                np.broadcast_to(xn[:, :1], (4, 6)) + np.arange(6), np.arange(4) * 3,
                np.arange(3), np.exp(xn))
    for a, b, e in zip(first, second, expected):
        np.testing.assert_allclose(numpy_of(a), e, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(numpy_of(a), numpy_of(b), rtol=1e-6, atol=1e-6)
    assert first[3].dtype == mlopt.int64 and first[4].dtype == mlopt.float32
    assert first[5].dtype == mlopt.float64


def test_results_share_memory_as_the_program_does():
    def fn(x):
        z = x * 2
        return x.reshape(2, 3).t(), z, z, x.detach() * 1, x * 0 + 7.0

    def mutated(call):
        """Results and input after writing into some results."""
        x = mlopt.arange(6, dtype=mlopt.float32)
        outs = call(x)
        outs[0].add_(100)   # a view of the input: writes the input, as in eager
        outs[1].add_(1000)  # one value returned twice is one tensor, as in eager
        outs[3].add_(-50)   # a fresh result
        return [x.numpy().copy()] + [o.numpy().copy() for o in outs]

    x = mlopt.arange(6, dtype=mlopt.float32)
    fn(x)
    f = mlopt.compile(fn)
    interpreted = mutated(f)
    assert entry_of(f).trace.interpreted
    compiled = mutated(f)
    r = np.arange(6.0)
    expected = [r + 100, r.reshape(2, 3).T + 100, r * 2 + 1000, r * 2 + 1000, r - 50,
                np.full(6, 7.0)]
    for got in (interpreted, compiled):
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


def test_writes_to_inputs_and_gradients_of_an_interpreted_call():
    xn = np.linspace(-1, 1, 5)

    def step(x, w, seen):
        seen.add_(x)  # an input updated in place: written back once per call
        return ((x * w).tanh() ** 2).sum()

    x = mlopt.tensor(xn, dtype=mlopt.float64)
    w = mlopt.tensor(np.full(5, 0.5), dtype=mlopt.float64, requires_grad=True)
    seen = mlopt.zeros(5, dtype=mlopt.float64)
    step(x, w, seen.clone())
    f = mlopt.compile(step)
    loss = f(x, w, seen)
    assert entry_of(f).trace.interpreted
    np.testing.assert_allclose(seen.numpy(), xn)
    loss.backward()
    t = np.tanh(xn * 0.5)
    grad = 2 * t * (1 - t ** 2) * xn
    np.testing.assert_allclose(w.grad.numpy(), grad, rtol=1e-12, atol=1e-15)
    f(x, w, seen).backward()  # the compiled program now: gradients accumulate
    np.testing.assert_allclose(seen.numpy(), 2 * xn)
    np.testing.assert_allclose(w.grad.numpy(), 2 * grad, rtol=1e-12, atol=1e-15)


def test_big_memory_bound_graphs_compile_before_the_first_call():
    # Op by op would move every intermediate through memory: compiling
    # first is quicker, so there is no tier 0.
    x = mlopt.randn(4096, 4096)

    def fn(x):
        return F.gelu(x * 1.5 + 0.5)

    fn(x)
    f = mlopt.compile(fn)
    f(x)
    trace = entry_of(f).trace
    assert not trace.interpreted and trace.compile_state == "compiled"


def test_background_compiles_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("MLOPT_COMPILE_BACKGROUND", "0")
    x = mlopt.randn(3, 3)
    fn = lambda x: (x * 2).exp()  # noqa: E731
    fn(x)
    f = mlopt.compile(fn)
    f(x)
    trace = entry_of(f).trace
    assert not trace.interpreted and trace.compile_state == "compiled"


def test_threads_share_one_first_call():
    x = mlopt.randn(16, 16)
    fn = lambda x: (x @ x).relu().sum(0)  # noqa: E731
    expected = numpy_of(fn(x))
    f = mlopt.compile(fn)
    results = [None] * 6

    def call(k):
        results[k] = numpy_of(f(x))

    errors = run_in_threads(call, [(k,) for k in range(6)])
    assert not errors
    for r in results:
        np.testing.assert_allclose(r, expected, rtol=1e-5, atol=1e-5)


def test_dropping_a_function_while_it_compiles():
    x = mlopt.randn(5, 7)
    fn = lambda x: (x.sin() * x.cos()).sum(1)  # noqa: E731
    fn(x)
    f = mlopt.compile(fn)
    y = f(x)
    del f
    gc.collect()  # the trace waits for its compile before it goes
    np.testing.assert_allclose(numpy_of(y), numpy_of(fn(x)), rtol=1e-6)


def run_script(body, tmp_path, env=None):
    script = textwrap.dedent("""
        import os, sys
        import numpy as np
        import mlopt
        x = mlopt.randn(64, 64)
        fn = lambda x: ((x @ x).tanh() * 3 + x).sum(1)
        expected = fn(x).numpy()
        f = mlopt.compile(fn)
    """) + textwrap.dedent(body)
    path = tmp_path / "script.py"
    path.write_text(script)
    environment = dict(os.environ, MLOPT_CACHE_DIR=str(tmp_path / "cache"), **(env or {}))
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120, env=environment)


def test_exit_during_a_background_compile(tmp_path):
    out = run_script("""
        y = f(x)
        assert list(f.cache.values())[0].trace.interpreted
        assert np.allclose(y.numpy(), expected, rtol=1e-5, atol=1e-4)
        print("done", flush=True)
    """, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"


def test_fork_during_a_background_compile(tmp_path):
    out = run_script("""
        y = f(x)
        pid = os.fork()  # waits for the compile first
        ok = np.allclose(f(x).numpy(), expected, rtol=1e-5, atol=1e-4)
        if pid == 0:
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        assert ok and os.waitstatus_to_exitcode(status) == 0, status
        print("done", flush=True)
    """, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"


def test_an_uncompiled_eager_kernel_means_compiling_first(tmp_path):
    # A fresh process and cache: the eager kernels do not exist yet, and
    # tier 0 does not compile them: the program compiles first.
    out = run_script("""
        g = mlopt.compile(lambda x: (x.exp() - x.floor()).amax(0))
        y = g(x)
        assert not list(g.cache.values())[0].trace.interpreted
        assert np.allclose(y.numpy(), (x.exp() - x.floor()).amax(0).numpy())
        print("done", flush=True)
    """, tmp_path, env={"MLOPT_LOG": "compile"})
    assert out.returncode == 0, out.stderr
    assert "compiling before the first call: the eager kernel of" in out.stderr


def test_eager_backward_gradient_traces_take_tier_0_too():
    rng = np.random.default_rng(4)
    xn, wn = rng.standard_normal((3, 7)), rng.standard_normal((7, 2))
    for _ in range(2):  # the first backward may run op by op, the second compiled
        x = mlopt.tensor(xn, dtype=mlopt.float64)
        w = mlopt.tensor(wn, dtype=mlopt.float64, requires_grad=True)
        ((x @ w).sigmoid() * 2).sum().backward()
        s = 1 / (1 + np.exp(-(xn @ wn)))
        np.testing.assert_allclose(w.grad.numpy(), xn.T @ (2 * s * (1 - s)), rtol=1e-12)


ODD_CASES = {
    "zero-size": (lambda x: (x * 2).sum(0), lambda: [mlopt.zeros(0, 5)]),
    "0-d": (lambda x: x * 3 + 1, lambda: [mlopt.tensor(2.0)]),
    "constant only": (lambda x: mlopt.ones(3) * 2, lambda: [mlopt.zeros(1)]),
    "integers": (lambda x: (x * 3) // 2 + x.sum(), lambda: [mlopt.arange(6)]),
    "bools": (lambda x: (x > 2) & (x < 5), lambda: [mlopt.arange(8)]),
    "f16": (lambda x: (x.half() * 2).float().exp(), lambda: [mlopt.randn(4, 4)]),
    "bf16": (lambda x: (x.to(mlopt.bfloat16) + 1).sum(1), lambda: [mlopt.randn(4, 4)]),
    "cat": (lambda x: mlopt.cat([x, x * 2], 0).t(), lambda: [mlopt.randn(2, 3)]),
    "broadcast": (lambda x, y: x + y, lambda: [mlopt.randn(4, 1), mlopt.randn(1, 6)]),
    "tril": (lambda x: mlopt.tril(x), lambda: [mlopt.randn(5, 5)]),
}


@pytest.mark.parametrize("name", ODD_CASES)
def test_odd_shapes_and_dtypes_interpret_as_eager(name):
    fn, make = ODD_CASES[name]
    args = make()
    expected = fn(*args)
    first, second, _ = first_call(fn, *args)
    for got in (first, second):
        assert got.dtype == expected.dtype and tuple(got.shape) == tuple(expected.shape)
        tol = 1e-2 if expected.dtype in (mlopt.float16, mlopt.bfloat16) else 1e-6
        np.testing.assert_allclose(numpy_of(got), numpy_of(expected), rtol=tol, atol=tol)


_SAME_KERNELS_FROM_THREADS = """
import sys, threading, time
import mlopt
n = int(sys.argv[1])
barrier = threading.Barrier(n)
def work():
    x = mlopt.randn(8, 16)
    barrier.wait()
    (x.sin() * 2 + x.exp()).tanh().sum(1).softmax(0).log1p().sqrt()
start = time.process_time()
threads = [threading.Thread(target=work) for _ in range(n)]
[t.start() for t in threads]
[t.join() for t in threads]
print(time.process_time() - start)
"""


def test_threads_wait_for_a_kernel_another_thread_compiles(tmp_path):
    """Four threads needing the same new eager kernels compile each once
    (the others wait for it): their CPU time is about one thread's, where
    it was four times that."""
    script = tmp_path / "threads.py"
    script.write_text(_SAME_KERNELS_FROM_THREADS)
    cpu = {}
    for n in (1, 4):
        env = dict(os.environ, MLOPT_CACHE_DIR=str(tmp_path / f"cache{n}"))
        done = subprocess.run([sys.executable, str(script), str(n)], capture_output=True,
                              text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        cpu[n] = float(done.stdout.split()[-1])
    assert cpu[4] < 2.0 * cpu[1], cpu
