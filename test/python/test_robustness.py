"""Misuse and concurrency: errors, never crashes or silent corruption."""
import subprocess

import numpy as np
import pytest

import mlopt
from mlopt import _C
from conftest import BUILD, run_in_threads


def test_kernels_compiled_from_many_threads_at_once():
    ops = ["exp", "log1p", "tanh", "sigmoid", "erf", "sqrt", "sin", "cos", "expm1", "rsqrt",
           "floor", "ceil"]
    x = np.linspace(0.1, 2.0, 37)
    results = {}

    def work(op, dtype):
        t = mlopt.tensor(x, dtype=dtype)
        results[(op, dtype)] = getattr(mlopt, op)(t).double().numpy()

    errors = run_in_threads(work, [(op, dtype) for op in ops
                                   for dtype in (mlopt.float32, mlopt.float64)])
    assert not errors
    ref = {"rsqrt": lambda v: 1 / np.sqrt(v), "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
           "erf": np.vectorize(__import__("math").erf)}
    for (op, dtype), got in results.items():
        fn = ref.get(op, getattr(np, op, None))
        np.testing.assert_allclose(got, fn(x), rtol=1e-5, atol=1e-6, err_msg=op)


def test_raw_kernel_calls_check_shapes():
    with pytest.raises(RuntimeError, match=r"tensor<1024xf32> tensor<3xf32>"):
        _C.run("mlopt.add", [mlopt.ones(1024)._buf, mlopt.ones(3)._buf])
    with pytest.raises(RuntimeError, match="conv2d"):
        _C.run("mlopt.conv2d", [mlopt.ones(1, 1, 8, 8)._buf, mlopt.ones(4, 64, 3, 3)._buf],
               {"stride": [1, 1], "padding": [0, 0], "dilation": [1, 1], "groups": 1})
    with pytest.raises(RuntimeError, match="larger than the padded input"):
        _C.run("mlopt.conv2d", [mlopt.ones(1, 1, 2, 2)._buf, mlopt.ones(1, 1, 3, 3)._buf],
               {"stride": [2, 2], "padding": [0, 0], "dilation": [1, 1], "groups": 1})


def test_views_stay_in_bounds():
    t = mlopt.arange(6)
    with pytest.raises(IndexError, match="out of the bounds"):
        t._buf.view([10], [1], 0)
    with pytest.raises(IndexError, match="out of the bounds"):
        t._buf.view([3], [1], 4)


def test_huge_allocations_are_errors():
    with pytest.raises(Exception, match="elements|bytes"):
        _C.empty([1 << 62, 4], "f32")


def test_read_only_arrays_are_not_written():
    data = bytes(16)
    a = np.frombuffer(data, np.float32)
    t = mlopt.from_numpy(a)
    t[0] = 5
    assert data == bytes(16)
    assert t[0].item() == 5


def test_overlapping_copy_through_two_wrappers():
    b = np.arange(6, dtype=np.float32)
    _C.copy_into(mlopt.from_numpy(b[:-1])._buf, mlopt.from_numpy(b[1:])._buf)
    np.testing.assert_array_equal(b, [0, 0, 1, 2, 3, 4])


def test_in_place_updates_through_strided_and_overlapping_views():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 7, 5))
    t = mlopt.tensor(a)
    t[1:5:2, ::3].T.add_(1.5)              # strided, transposed destination
    a[1:5:2, ::3].T[...] += 1.5
    t[:, 1:] = t[:, :-1].clone()
    a[:, 1:] = a[:, :-1].copy()
    t[2] = 7                                # a broadcast scalar source
    a[2] = 7
    np.testing.assert_array_equal(t.numpy(), a)
    b = np.arange(10.0)
    w = mlopt.from_numpy(b)
    w[2:] = w[:-2]                          # overlapping source and destination
    np.testing.assert_array_equal(b, [0, 1, 0, 1, 2, 3, 4, 5, 6, 7])


def test_repeated_large_ops_reuse_cached_blocks():
    x = mlopt.ones(512, 1024)  # 2 MiB results: cached sizes
    (x * 2).sum()
    before = mlopt.memory.memory_stats()
    for _ in range(5):
        y = x * 2 + 1
        assert y[511, 1023].item() == 3
        del y
    after = mlopt.memory.memory_stats()
    assert after["hits"] >= before["hits"] + 5
    mlopt.memory.empty_cache()
    assert mlopt.memory.memory_stats()["cached_bytes"] == 0


def test_peak_memory_is_measured_per_call():
    x = mlopt.ones(1024, 1024)
    mlopt.memory.reset_peak_memory_stats()
    base = mlopt.memory.memory_stats()["live_bytes"]
    y = x * 2
    z = y + 1
    assert mlopt.memory.max_memory_allocated() - base >= 8 * 2 ** 20  # two 4 MiB results
    del y, z
    first = mlopt.explain(lambda x: (x * 2 + 1).exp(), x).splitlines()[0]
    peak = float(first.split("peak memory of one call ")[1].split(" MiB")[0])
    assert 4 <= peak < 8, first  # one fused kernel: only its 4 MiB result


def test_mlopt_run_checks_dynamic_sizes(tmp_path):
    src = tmp_path / "add.mlir"
    src.write_text("func.func @f(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {\n"
                   "  %r = mlopt.add %x, %y : tensor<?xf32>\n"
                   "  return %r : tensor<?xf32>\n}\n")
    out = subprocess.run([str(BUILD / "bin" / "mlopt-run"), str(src), "--input=random:2",
                          "--input=random:5"], capture_output=True, text=True, timeout=60,
                         env={"MLOPT_CACHE_DIR": str(tmp_path / "c"), "PATH": "/usr/bin"})
    assert out.returncode == 1
    assert "add.mlir:2:" in out.stderr and "shape rules" in out.stderr
