"""sort, argsort, topk, nonzero, argwhere, masked_select and unique: orders
and positions found on the host, values gathered (gradients as PyTorch's),
a graph break under @mlopt.compile; against NumPy (and PyTorch where it is
installed)."""
import numpy as np
import pytest

import mlopt

RNG = np.random.default_rng(11)


def ties_and_specials(shape=(4, 9)):
    x = RNG.integers(-2, 3, shape).astype(np.float64)  # many ties
    x[0, 3], x[1, 0], x[2, 5], x[3, 1] = np.nan, np.inf, -np.inf, np.nan
    return x


def descending_stable(x, axis):
    """PyTorch's stable descending order: NaN first, ties in input order
    (Python's sort is stable)."""
    def order(row):
        return sorted(range(len(row)), key=lambda i: (not np.isnan(row[i]),
                                                     0 if np.isnan(row[i]) else -row[i]))
    return np.apply_along_axis(order, axis, x)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_sort_orders_as_pytorch_stable_sort(dim, dtype):
    x = ties_and_specials()
    if dtype == np.int32:
        x = np.nan_to_num(x, posinf=7, neginf=-7)
    x = x.astype(dtype)
    values, indices = mlopt.sort(mlopt.tensor(x), dim)
    want = np.argsort(x, axis=dim, kind="stable")
    np.testing.assert_array_equal(indices.numpy(), want)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, want, dim))
    assert indices.dtype == mlopt.int64 and values.dtype == mlopt.tensor(x).dtype
    down = mlopt.tensor(x).sort(dim, descending=True)
    want = descending_stable(x, dim)
    np.testing.assert_array_equal(down.indices.numpy(), want)
    np.testing.assert_array_equal(down.values.numpy(), np.take_along_axis(x, want, dim))
    np.testing.assert_array_equal(mlopt.argsort(mlopt.tensor(x), dim, True).numpy(), want)


def test_topk_values_indices_and_gradient():
    x = RNG.standard_normal((5, 8))
    for largest in (True, False):
        values, indices = mlopt.tensor(x).topk(3, 1, largest=largest)
        order = np.argsort(-x if largest else x, 1)[:, :3]
        np.testing.assert_array_equal(indices.numpy(), order)
        np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, order, 1))
    a = mlopt.tensor(x, requires_grad=True)
    weights = RNG.standard_normal((5, 3))
    (a.topk(3, 1).values * mlopt.tensor(weights)).sum().backward()
    want = np.zeros_like(x)
    np.put_along_axis(want, np.argsort(-x, 1)[:, :3], weights, 1)
    np.testing.assert_array_equal(a.grad.numpy(), want)
    s = mlopt.tensor(x, requires_grad=True)
    (s.sort(0).values * mlopt.tensor(x)).sum().backward()  # d/dx of sum(sorted * w)
    inverse = np.argsort(np.argsort(x, 0, kind="stable"), 0)
    np.testing.assert_allclose(s.grad.numpy(), np.take_along_axis(x, inverse, 0))
    with pytest.raises(RuntimeError, match=r"selected index k=9 out of range.*\(5, 8\)"):
        mlopt.topk(mlopt.tensor(x), 9)


def test_nonzero_argwhere_masked_select():
    x = RNG.integers(0, 2, (3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(mlopt.nonzero(mlopt.tensor(x)).numpy(), np.argwhere(x))
    np.testing.assert_array_equal(mlopt.tensor(x).argwhere().numpy(), np.argwhere(x))
    for got, want in zip(mlopt.tensor(x).nonzero(as_tuple=True), np.nonzero(x)):
        np.testing.assert_array_equal(got.numpy(), want)
    assert tuple(mlopt.nonzero(mlopt.tensor(3.0)).shape) == (1, 0)
    assert tuple(mlopt.nonzero(mlopt.tensor(0.0)).shape) == (0, 0)
    assert tuple(mlopt.nonzero(mlopt.zeros(2, 3)).shape) == (0, 2)
    y = RNG.standard_normal((3, 4))
    mask = RNG.random(4) > 0.5  # broadcast over rows
    a = mlopt.tensor(y, requires_grad=True)
    picked = mlopt.masked_select(a, mlopt.tensor(mask))
    np.testing.assert_array_equal(picked.numpy(), y[:, mask].reshape(-1))
    picked.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.broadcast_to(mask, y.shape).astype(float))
    with pytest.raises(RuntimeError, match="expected a bool mask"):
        mlopt.tensor(y).masked_select(mlopt.tensor(mask.astype(np.float32)))


def test_unique_values_inverse_counts_and_dim():
    x = RNG.integers(0, 5, (4, 6))
    values, inverse, counts = mlopt.unique(mlopt.tensor(x), return_inverse=True,
                                           return_counts=True)
    want = np.unique(x, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), want[0])
    np.testing.assert_array_equal(inverse.numpy(), want[1].reshape(x.shape))
    np.testing.assert_array_equal(counts.numpy(), want[2])
    rows = np.array([[1, 2], [0, 1], [1, 2]])
    np.testing.assert_array_equal(mlopt.tensor(rows).unique(dim=0).numpy(), [[0, 1], [1, 2]])
    assert mlopt.tensor([True, False, True]).unique().tolist() == [False, True]
    assert mlopt.tensor(x, dtype=mlopt.float32).unique().dtype == mlopt.float32


def test_under_compile_the_call_runs_eagerly_with_the_reason():
    x = mlopt.tensor(RNG.standard_normal((3, 5)))
    f = mlopt.compile(lambda a: a.sort(1).values * 2 + a.topk(2).values.sum())
    want = np.sort(x.numpy(), 1) * 2 + np.sort(x.numpy(), 1)[:, -2:].sum()
    np.testing.assert_allclose(f(x).numpy(), want)
    assert any("sort needs a concrete value" in r for r in f.reasons)
    with pytest.raises(RuntimeError, match="sort needs a concrete value"):
        mlopt.compile(lambda a: a.sort().values, fullgraph=True)(x)


def test_half_precision_and_pytorch():
    x = ties_and_specials().astype(np.float32)
    for dtype in (mlopt.float16, mlopt.bfloat16):
        t = mlopt.tensor(x).to(dtype)
        values, indices = t.sort(1)
        np.testing.assert_array_equal(indices.numpy(), np.argsort(x, 1, kind="stable"))
        assert values.dtype == dtype
    torch = pytest.importorskip("torch")
    for dim in (0, 1):
        for descending in (False, True):
            theirs = torch.sort(torch.tensor(x), dim=dim, descending=descending, stable=True)
            ours = mlopt.tensor(x).sort(dim, descending, stable=True)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(mlopt.tensor(x).nonzero().numpy(),
                                  torch.tensor(x).nonzero().numpy())
    u = torch.unique(torch.tensor(x[1:]), return_inverse=True, return_counts=True)
    for a, b in zip(mlopt.unique(mlopt.tensor(x[1:]), return_inverse=True,
                                 return_counts=True), u):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_multinomial_draws_follow_the_weights():
    mlopt.manual_seed(0)
    weights = mlopt.tensor([[0.0, 1.0, 3.0], [5.0, 0.0, 0.0]])
    draws = mlopt.multinomial(weights, 4000, replacement=True).numpy()
    assert draws.shape == (2, 4000) and draws.dtype == np.int64
    counts = np.bincount(draws[0], minlength=3) / 4000
    assert counts[0] == 0 and abs(counts[2] - 0.75) < 0.03 and (draws[1] == 0).all()
    once = weights[0].multinomial(2).numpy()  # without replacement: distinct, never weight 0
    assert sorted(once.tolist()) == [1, 2]
    mlopt.manual_seed(5)
    first = mlopt.multinomial(weights, 3, True).numpy()
    mlopt.manual_seed(5)
    np.testing.assert_array_equal(mlopt.multinomial(weights, 3, True).numpy(), first)
    for bad, n, why in [(mlopt.tensor([1.0, -1.0]), 1, "element < 0"),
                        (mlopt.tensor([0.0, 0.0]), 1, "sum of probabilities"),
                        (mlopt.tensor([1.0, 1.0]), 3, "cannot draw 3 samples"),
                        (mlopt.tensor([1.0, 0.0]), 2, "too few nonzero")]:
        with pytest.raises(RuntimeError, match=why):
            mlopt.multinomial(bad, n)
