"""PyTorch functions and methods that mlopt builds from its ops
(python/mlopt/_composites.py), against NumPy in float64, eager and compiled,
and against PyTorch where it is installed."""
import math

import numpy as np
import pytest

import mlopt

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))
Y = RNG.standard_normal((3, 4, 5))

# name -> (mlopt function of tensors, NumPy function of arrays)
CASES = {
    "flip": (lambda x: mlopt.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2))),
    "flip_method": (lambda x: x.flip(-1), lambda x: np.flip(x, -1)),
    "roll": (lambda x: mlopt.roll(x, (1, -2), (0, 2)), lambda x: np.roll(x, (1, -2), (0, 2))),
    "roll_flat": (lambda x: x.roll(7), lambda x: np.roll(x, 7)),
    "repeat": (lambda x: x.repeat(2, 1, 1, 3), lambda x: np.tile(x, (2, 1, 1, 3))),
    "tile": (lambda x: mlopt.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1))),
    "narrow": (lambda x: x.narrow(1, -3, 2), lambda x: x[:, 1:3]),
    "movedim": (lambda x: mlopt.movedim(x, (0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0))),
    "norm": (lambda x: x.norm(), lambda x: np.linalg.norm(x.ravel())),
    "norm_dim": (lambda x: mlopt.norm(x, 3, dim=1, keepdim=True),
                 lambda x: (np.abs(x) ** 3).sum(1, keepdims=True) ** (1 / 3)),
    "norm_inf": (lambda x: x.norm(math.inf, dim=(0, 2)), lambda x: np.abs(x).max((0, 2))),
    "dist": (lambda x: mlopt.dist(x, x * 2 + 1, 1), lambda x: np.abs(x + 1).sum()),
    "lerp": (lambda x: mlopt.lerp(x, x * x, 0.3), lambda x: x + 0.3 * (x * x - x)),
    "addcmul": (lambda x: x.addcmul(x, x + 1, value=0.5), lambda x: x + 0.5 * x * (x + 1)),
    "addcdiv": (lambda x: mlopt.addcdiv(x, x, x * x + 1, value=2),
                lambda x: x + 2 * x / (x * x + 1)),
    "frac": (lambda x: (x * 3).frac(), lambda x: np.modf(x * 3)[0]),
    "outer": (lambda x: mlopt.outer(x[0, 0], x[1, 1]), lambda x: np.outer(x[0, 0], x[1, 1])),
    "var_mean": (lambda x: mlopt.var_mean(x, 1)[0] + mlopt.var_mean(x, 1)[1],
                 lambda x: x.var(1, ddof=1) + x.mean(1)),
    "std_mean": (lambda x: mlopt.std_mean(x, (0, 2), keepdim=True)[0],
                 lambda x: x.std((0, 2), ddof=1, keepdims=True)),
    "unbind": (lambda x: x.unbind(2)[3], lambda x: x[:, :, 3]),
    "mm": (lambda x: x[0].mm(x[1].T), lambda x: x[0] @ x[1].T),
    "bmm": (lambda x: x.bmm(x.transpose(1, 2)), lambda x: x @ x.transpose(0, 2, 1)),
    "flatten": (lambda x: mlopt.flatten(x, 1), lambda x: x.reshape(3, 20)),
    "swapaxes": (lambda x: mlopt.swapaxes(x, 0, 2), lambda x: x.swapaxes(0, 2)),
    "broadcast_to": (lambda x: mlopt.broadcast_to(x[0, 0], (2, 5)),
                     lambda x: np.broadcast_to(x[0, 0], (2, 5))),
    "swapaxes_method": (lambda x: x.swapaxes(0, 2), lambda x: x.swapaxes(0, 2)),
    "moveaxis": (lambda x: mlopt.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    "unflatten": (lambda x: x.unflatten(2, (5, 1)), lambda x: x.reshape(3, 4, 5, 1)),
    "repeat_interleave": (lambda x: x.repeat_interleave(2, dim=1), lambda x: np.repeat(x, 2, 1)),
    "repeat_interleave_flat": (lambda x: mlopt.repeat_interleave(x, 3), lambda x: np.repeat(x, 3)),
    "diag_of_vector": (lambda x: mlopt.diag(x[0, 0], 2), lambda x: np.diag(x[0, 0], 2)),
    "diag_of_matrix": (lambda x: x[0].diag(-1), lambda x: np.diag(x[0], -1)),
    # Scatters add at indices, repeated ones too (the gradient of gather).
    "scatter_add": (lambda x: x[0].scatter_add(0, mlopt.tensor([[0, 1, 3, 3, 0]]), x[1, :1]),
                    lambda x: _scatter_add_ref(x[0], [[0, 1, 3, 3, 0]], x[1, :1])),
    "index_add": (lambda x: mlopt.index_add(x[0], 1, mlopt.tensor([4, 0, 4]), x[1, :, :3], alpha=2),
                  lambda x: _index_add_ref(x[0], [4, 0, 4], 2 * x[1, :, :3])),
}


def _scatter_add_ref(base, index, src):
    out = base.copy()
    for i, row in enumerate(index):
        for j, k in enumerate(row):
            out[k, j] += src[i, j]
    return out


def _index_add_ref(base, index, src):
    out = base.copy()
    for j, k in enumerate(index):
        out[:, k] += src[:, j]
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_composites_match_numpy_eager_and_compiled(name):
    fn, ref = CASES[name]
    want = ref(X)
    got = fn(mlopt.tensor(X))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mlopt.compile(fn)(mlopt.tensor(X)).numpy(), want,
                               rtol=1e-12, atol=1e-12)
    x = mlopt.tensor(X).requires_grad_()  # gradients flow through each
    fn(x).sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


def test_comparisons_counts_and_nan_to_num():
    a = mlopt.tensor([1.0, float("inf"), float("nan"), 2.0])
    b = mlopt.tensor([1.0 + 1e-7, float("inf"), float("nan"), 2.1])
    np.testing.assert_array_equal(mlopt.isclose(a, b).numpy(), [True, True, False, False])
    np.testing.assert_array_equal(mlopt.isclose(a, b, equal_nan=True).numpy(),
                                  [True, True, True, False])
    assert not mlopt.allclose(a, b) and mlopt.allclose(a[:2], b[:2])
    assert mlopt.equal(a[:2], a[:2]) and not mlopt.equal(a[:2], a[:3])
    assert int(mlopt.count_nonzero(mlopt.tensor([[0, 1], [2, 0]]))) == 2
    np.testing.assert_array_equal(mlopt.tensor([[0, 1], [2, 3]]).count_nonzero(1).numpy(), [1, 2])
    fixed = mlopt.nan_to_num(mlopt.tensor([float("nan"), float("inf"), -float("inf"), 1.5]))
    big = np.finfo(np.float32).max
    np.testing.assert_array_equal(fixed.numpy(), np.array([0, big, -big, 1.5], np.float32))
    np.testing.assert_array_equal(
        a.nan_to_num(nan=-1.0, posinf=9.0).numpy(), np.array([1, 9, -1, 2], np.float32))


def test_factories_grids_and_random_draws():
    x = mlopt.ones(2, dtype=mlopt.float64)
    z = x.new_zeros(3, 2)
    assert z.shape == (3, 2) and z.dtype == mlopt.float64 and not z.numpy().any()
    assert x.new_ones((2,), dtype=mlopt.int32).dtype == mlopt.int32
    np.testing.assert_array_equal(x.new_full((2, 2), 7).numpy(), np.full((2, 2), 7.0))
    assert x.new_tensor([1, 2]).dtype == mlopt.float64 and x.new_empty(4).shape == (4,)
    assert x.type_as(mlopt.ones(1, dtype=mlopt.int64)).dtype == mlopt.int64
    assert mlopt.ones(2, 3).nelement() == 6
    gi, gj = mlopt.meshgrid(mlopt.arange(3), mlopt.arange(4), indexing="ij")
    ni, nj = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    np.testing.assert_array_equal(gi.numpy(), ni)
    np.testing.assert_array_equal(gj.numpy(), nj)
    xi, xj = mlopt.meshgrid(mlopt.arange(3), mlopt.arange(4), indexing="xy")
    ni, nj = np.meshgrid(np.arange(3), np.arange(4), indexing="xy")
    np.testing.assert_array_equal(xi.numpy(), ni)
    np.testing.assert_array_equal(xj.numpy(), nj)
    mlopt.manual_seed(3)
    perm = mlopt.randperm(10)
    assert perm.dtype == mlopt.int64 and sorted(perm.tolist()) == list(range(10))
    mlopt.manual_seed(3)
    assert mlopt.randperm(10).tolist() == perm.tolist()
    coins = mlopt.bernoulli(mlopt.full((10000,), 0.3))
    assert set(np.unique(coins.numpy())) <= {0.0, 1.0} and 0.27 < coins.numpy().mean() < 0.33
    draws = mlopt.normal(mlopt.full((20000,), 2.0), 0.5)
    assert abs(draws.numpy().mean() - 2) < 0.02 and abs(draws.numpy().std() - 0.5) < 0.02
    assert mlopt.normal(0.0, 1.0, size=(3, 2)).shape == (3, 2)
    with mlopt.inference_mode():
        assert not mlopt.is_grad_enabled()
    assert mlopt.is_grad_enabled()


def test_shape_errors_as_pytorch():
    x = mlopt.ones(2, 3)
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        x.narrow(1, 2, 2)
    with pytest.raises(RuntimeError, match="repeat dims can not be smaller"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        mlopt.roll(x, (1, 2), 0)
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        mlopt.ones(3).mm(x)
    with pytest.raises(RuntimeError, match="must be 3D"):
        x.bmm(x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_composites_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fn, _ = CASES[name]
    torch_fn = {"flip": lambda x: torch.flip(x, (0, 2)),
                "roll": lambda x: torch.roll(x, (1, -2), (0, 2)),
                "tile": lambda x: torch.tile(x, (2, 1)),
                "movedim": lambda x: torch.movedim(x, (0, 1), (2, 0)),
                "norm_dim": lambda x: torch.norm(x, 3, dim=1, keepdim=True),
                "dist": lambda x: torch.dist(x, x * 2 + 1, 1),
                "lerp": lambda x: torch.lerp(x, x * x, 0.3),
                "addcdiv": lambda x: torch.addcdiv(x, x, x * x + 1, value=2),
                "outer": lambda x: torch.outer(x[0, 0], x[1, 1]),
                "var_mean": lambda x: torch.var_mean(x, 1)[0] + torch.var_mean(x, 1)[1],
                "std_mean": lambda x: torch.std_mean(x, (0, 2), keepdim=True)[0],
                "flatten": lambda x: torch.flatten(x, 1),
                "swapaxes": lambda x: torch.swapaxes(x, 0, 2),
                "broadcast_to": lambda x: torch.broadcast_to(x[0, 0], (2, 5)),
                "moveaxis": lambda x: torch.moveaxis(x, 0, -1),
                "repeat_interleave_flat": lambda x: torch.repeat_interleave(x, 3),
                "diag_of_vector": lambda x: torch.diag(x[0, 0], 2),
                "scatter_add": lambda x: x[0].scatter_add(0, torch.tensor([[0, 1, 3, 3, 0]]),
                                                          x[1, :1]),
                "index_add": lambda x: torch.index_add(x[0], 1, torch.tensor([4, 0, 4]),
                                                       x[1, :, :3], alpha=2)}.get(name, fn)
    want = torch_fn(torch.tensor(X))
    np.testing.assert_allclose(fn(mlopt.tensor(X)).numpy(), want.numpy(), rtol=1e-12,
                               atol=1e-12)
