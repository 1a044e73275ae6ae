"""More Tensor methods and functions (python/mlopt/_more_ops.py's second
part, nn.functional.gumbel_softmax, distributions.Normal.icdf,
set_printoptions): NumPy float64 references, finite differences, random
draws by their statistics and manual_seed, PyTorch where installed."""
import math

import numpy as np
import pytest

import mlopt
import mlopt.nn.functional as F
from mlopt.testing import gradcheck

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 7))
M = RNG.standard_normal((3, 6))


def t64(a, grad=False):
    return mlopt.tensor(np.asarray(a, np.float64), requires_grad=grad)


# ---- unfold ---------------------------------------------------------------------

@pytest.mark.parametrize("dim,size,step", [(1, 3, 2), (0, 2, 1), (1, 7, 1), (-1, 1, 3),
                                           (1, 0, 2)])
def test_unfold_values(dim, size, step):
    out = t64(X).unfold(dim, size, step).numpy()
    ref = np.lib.stride_tricks.sliding_window_view(X, size, axis=dim % 2)
    ref = np.take(ref, np.arange(0, ref.shape[dim % 2], step), axis=dim % 2)
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)


def test_unfold_grad_and_errors():
    assert gradcheck(lambda x: x.unfold(1, 3, 2), (t64(X, True),))
    assert gradcheck(lambda x: x.unfold(0, 2, 1).sum(-1), (t64(X, True),))
    assert mlopt.tensor(2.0).unfold(0, 1, 1).shape == (1,)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 4"):
        t64(X).unfold(0, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        t64(X).unfold(0, 2, 0)


# ---- in-place arithmetic ---------------------------------------------------------

def test_addcmul_addcdiv_lerp_inplace():
    a, b, c = X[:, :3], M.T[:4], np.abs(X[:, 3:6]) + 0.5
    x = t64(a)
    assert x.addcmul_(t64(b), t64(c), value=0.5) is x
    np.testing.assert_allclose(x.numpy(), a + 0.5 * b * c, rtol=1e-14)
    x = t64(a)
    x.addcdiv_(t64(b), t64(c), value=-2)
    np.testing.assert_allclose(x.numpy(), a - 2 * b / c, rtol=1e-14)
    x = t64(a)
    x.lerp_(t64(b), 0.25)
    np.testing.assert_allclose(x.numpy(), a + 0.25 * (b - a), rtol=1e-14)
    x = t64(a)
    x.lerp_(t64(b), t64(c / 4))
    np.testing.assert_allclose(x.numpy(), a + c / 4 * (b - a), rtol=1e-14)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        mlopt.zeros(3, dtype=mlopt.int64).addcdiv_(mlopt.ones(3, dtype=mlopt.int64),
                                                   mlopt.ones(3, dtype=mlopt.int64))


def test_inplace_arith_grad():
    b, c = t64(M.T[:4], True), t64(np.abs(X[:, 3:6]) + 0.5, True)

    def fn(a, b, c):
        y = a * 1.0
        y.addcmul_(b, c, value=0.5)
        y.addcdiv_(b, c)
        y.lerp_(c, 0.3)
        return y
    assert gradcheck(fn, (t64(X[:, :3], True), b, c))


# ---- clamp_min / clamp_max / flips / small things -------------------------------

def test_clamp_min_max_flips():
    x = t64(X)
    np.testing.assert_array_equal(mlopt.clamp_min(x, 0.1).numpy(), np.maximum(X, 0.1))
    np.testing.assert_array_equal(mlopt.clamp_max(x, -0.1).numpy(), np.minimum(X, -0.1))
    y = t64(X)
    y.clamp_min_(0.0).clamp_max_(0.5)
    np.testing.assert_array_equal(y.numpy(), np.clip(X, 0, 0.5))
    np.testing.assert_array_equal(mlopt.fliplr(x).numpy(), np.fliplr(X))
    np.testing.assert_array_equal(x.flipud().numpy(), np.flipud(X))
    with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
        mlopt.fliplr(mlopt.zeros(3))
    with pytest.raises(RuntimeError, match="Input must be >= 1-d."):
        mlopt.flipud(mlopt.tensor(1.0))
    assert x.is_complex() is False
    assert gradcheck(lambda a: mlopt.fliplr(a) * mlopt.clamp_min(a, 0.2), (t64(X, True),))


def test_detach_():
    a = t64(X, True)
    b = a * 2
    assert b.detach_() is b
    assert not b.requires_grad and b.grad_fn is None
    np.testing.assert_array_equal(b.numpy(), 2 * X)


def test_isin():
    e = mlopt.tensor([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(mlopt.isin(e, mlopt.tensor([2, 6, 9])).numpy(),
                                  np.isin([[1, 2, 3], [4, 5, 6]], [2, 6, 9]))
    np.testing.assert_array_equal(mlopt.isin(e, 5, invert=True).numpy(),
                                  np.isin([[1, 2, 3], [4, 5, 6]], 5, invert=True))
    assert bool(mlopt.isin(2, mlopt.tensor([1, 2])))
    assert mlopt.isin(e, mlopt.tensor([], dtype=mlopt.int64)).sum().item() == 0


# ---- kthvalue / mode ------------------------------------------------------------

@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (3, 1, True), (4, 0, False)])
def test_kthvalue(k, dim, keepdim):
    values, indices = mlopt.kthvalue(t64(X), k, dim, keepdim)
    ref = np.sort(X, axis=dim)
    ref = np.take(ref, [k - 1], axis=dim)
    ref = ref if keepdim else ref.squeeze(dim)
    np.testing.assert_array_equal(values.numpy(), ref)
    np.testing.assert_array_equal(
        np.take_along_axis(X, indices.numpy() if keepdim else np.expand_dims(indices.numpy(),
                                                                             dim), dim),
        ref if keepdim else np.expand_dims(ref, dim))
    assert t64(X).kthvalue(k, dim, keepdim).values.shape == values.shape
    assert gradcheck(lambda x: mlopt.kthvalue(x, k, dim, keepdim)[0], (t64(X, True),))


def test_kthvalue_errors():
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        mlopt.kthvalue(mlopt.tensor([1.0, 2.0]), 3)
    v, i = mlopt.kthvalue(mlopt.tensor(3.0), 1)
    assert v.item() == 3.0 and i.item() == 0


def test_mode():
    x = mlopt.tensor([[1., 3, 3, 1, 2, 1, 3], [2, 2, 5, 5, 0, 0, 0]])
    values, indices = mlopt.mode(x)
    np.testing.assert_array_equal(values.numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(indices.numpy(), [5, 6])  # the last occurrence
    v, i = x.mode(0, keepdim=True)
    assert v.shape == (1, 7) and i.shape == (1, 7)
    a = t64([[1., 2, 2], [3, 3, 4]], True)
    mlopt.mode(a)[0].sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 0, 1], [0, 1, 0]])
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        mlopt.mode(mlopt.zeros(0))


# ---- index_copy -----------------------------------------------------------------

def test_index_copy():
    src = RNG.standard_normal((4, 3))
    idx = np.array([5, 0, 2])
    ref = X.copy()
    ref[:, idx] = src
    out = mlopt.index_copy(t64(X), 1, mlopt.tensor(idx), t64(src))
    np.testing.assert_array_equal(out.numpy(), ref)
    x = t64(X)
    assert x.index_copy_(1, mlopt.tensor(idx), t64(src)) is x
    np.testing.assert_array_equal(x.numpy(), ref)
    np.testing.assert_array_equal(t64(X).index_copy(1, mlopt.tensor(idx), t64(src)).numpy(),
                                  ref)
    assert gradcheck(lambda a, s: mlopt.index_copy(a, 1, mlopt.tensor(idx), s) ** 2,
                     (t64(X, True), t64(src, True)))
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Int"):
        mlopt.zeros(3).index_copy_(0, mlopt.tensor([0], dtype=mlopt.int32), mlopt.ones(1))
    with pytest.raises(RuntimeError, match="same dtype"):
        mlopt.zeros(3).index_copy_(0, mlopt.tensor([0]), mlopt.ones(1, dtype=mlopt.float64))
    with pytest.raises(IndexError, match="should be equal to source.size"):
        mlopt.zeros(3).index_copy_(0, mlopt.tensor([0, 1]), mlopt.ones(1))
    with pytest.raises(IndexError, match="index 5 is out of bounds"):
        mlopt.zeros(3).index_copy_(0, mlopt.tensor([5]), mlopt.ones(1))


# ---- random in-place fills ------------------------------------------------------

N = 20000


def test_bernoulli_():
    mlopt.manual_seed(3)
    x = mlopt.zeros(N).bernoulli_(0.3)
    assert set(np.unique(x.numpy())) <= {0.0, 1.0}
    assert abs(x.numpy().mean() - 0.3) < 0.02
    p = mlopt.full((N,), 0.8)
    assert abs(mlopt.zeros(N).bernoulli_(p).numpy().mean() - 0.8) < 0.02
    assert abs(p.bernoulli().numpy().mean() - 0.8) < 0.02
    assert abs(mlopt.zeros(N).bernoulli_().numpy().mean() - 0.5) < 0.02
    mlopt.manual_seed(5)
    a = mlopt.zeros(50).bernoulli_(0.5).numpy()
    mlopt.manual_seed(5)
    np.testing.assert_array_equal(a, mlopt.zeros(50).bernoulli_(0.5).numpy())
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\]"):
        mlopt.zeros(3).bernoulli_(1.5)


def test_random_():
    mlopt.manual_seed(0)
    x = mlopt.zeros(N).random_(10).numpy()
    assert x.min() == 0 and x.max() == 9 and np.all(x == np.round(x))
    assert abs(x.mean() - 4.5) < 0.1 and abs(x.var() - 8.25) < 0.3
    y = mlopt.zeros(N, dtype=mlopt.int64).random_(-3, 4).numpy()
    assert y.min() == -3 and y.max() == 3
    z = mlopt.zeros(N, dtype=mlopt.int64).random_(**{"from": 2, "to": 5}).numpy()
    assert set(np.unique(z)) == {2, 3, 4}
    f = mlopt.zeros(N).random_().numpy()
    assert f.min() >= 0 and f.max() <= 2 ** 24 and f.mean() > 2 ** 22
    i = mlopt.zeros(N, dtype=mlopt.int32).random_().numpy()
    assert i.min() >= 0 and i.max() > 2 ** 30
    assert set(np.unique(mlopt.zeros(100, dtype=mlopt.bool).random_().numpy())) == {False, True}
    mlopt.manual_seed(9)
    a = mlopt.zeros(20).random_(100).numpy()
    mlopt.manual_seed(9)
    np.testing.assert_array_equal(a, mlopt.zeros(20).random_(100).numpy())
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        mlopt.zeros(3).random_(5, 3)


def test_exponential_geometric_():
    mlopt.manual_seed(1)
    x = mlopt.zeros(N, dtype=mlopt.float64).exponential_(2.0).numpy()
    assert x.min() > 0
    assert abs(x.mean() - 0.5) < 0.02 and abs(x.var() - 0.25) < 0.03
    g = mlopt.zeros(N).geometric_(0.25).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g))
    assert abs(g.mean() - 4) < 0.15 and abs(g.var() - 12) < 1.5
    mlopt.manual_seed(2)
    a = mlopt.zeros(10).exponential_().numpy()
    mlopt.manual_seed(2)
    np.testing.assert_array_equal(a, mlopt.zeros(10).exponential_().numpy())
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0"):
        mlopt.zeros(3).exponential_(0)
    with pytest.raises(RuntimeError, match="dtype must be a floating point"):
        mlopt.zeros(3, dtype=mlopt.int64).exponential_()
    with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\)"):
        mlopt.zeros(3).geometric_(0)


# ---- gumbel_softmax ------------------------------------------------------------

def test_gumbel_softmax():
    assert "gumbel_softmax" in F.__all__ and F.__all__ == sorted(F.__all__)
    logits = t64(np.log([0.1, 0.2, 0.7]))
    mlopt.manual_seed(4)
    y = F.gumbel_softmax(logits.expand(N, 3), tau=0.5, hard=True)
    yn = y.numpy()
    assert np.all(yn.sum(1) == 1) and set(np.unique(yn)) == {0.0, 1.0}
    np.testing.assert_allclose(yn.mean(0), [0.1, 0.2, 0.7], atol=0.02)
    soft = F.gumbel_softmax(t64(X), tau=2.0, dim=0).numpy()
    np.testing.assert_allclose(soft.sum(0), 1, rtol=1e-12)
    assert np.all(soft > 0)
    mlopt.manual_seed(6)
    a = F.gumbel_softmax(t64(X)).numpy()
    mlopt.manual_seed(6)
    np.testing.assert_array_equal(a, F.gumbel_softmax(t64(X)).numpy())


def test_gumbel_softmax_straight_through():
    x = t64(X, True)
    w = t64(RNG.standard_normal(X.shape))
    mlopt.manual_seed(7)
    (F.gumbel_softmax(x, tau=0.7, hard=True) * w).sum().backward()
    hard_grad = x.grad.numpy()
    x2 = t64(X, True)
    mlopt.manual_seed(7)
    (F.gumbel_softmax(x2, tau=0.7) * w).sum().backward()
    np.testing.assert_allclose(hard_grad, x2.grad.numpy(), rtol=1e-12)


# ---- functions ------------------------------------------------------------------

def test_erfc():
    xs = np.array([-3.0, -1.0, -0.2, 0.0, 0.3, 1.0, 1.9, 2.0, 2.5, 4.0, 8.0, 20.0, 30.0])
    out = mlopt.erfc(t64(xs)).numpy()
    ref = np.array([math.erfc(v) for v in xs])
    np.testing.assert_allclose(out, ref, rtol=2e-14, atol=0)
    np.testing.assert_allclose(t64(xs).erfc().numpy(), ref, rtol=2e-14, atol=0)
    f32 = mlopt.erfc(mlopt.tensor(xs, dtype=mlopt.float32))
    assert f32.dtype is mlopt.float32
    assert gradcheck(mlopt.erfc, (t64([-1.5, 0.1, 1.0, 2.5, 3.5], True),))


def test_block_diag_cartesian_prod():
    out = mlopt.block_diag(mlopt.tensor(1), mlopt.tensor([2.0, 3.0]),
                           mlopt.ones(2, 2, dtype=mlopt.int32))
    ref = np.zeros((4, 5))
    ref[0, 0], ref[1, 1:3], ref[2:, 3:] = 1, [2, 3], 1
    assert out.dtype is mlopt.float32
    np.testing.assert_array_equal(out.numpy(), ref)
    assert gradcheck(lambda a, b: mlopt.block_diag(a, b), (t64(M, True), t64(X[:2], True)))
    with pytest.raises(RuntimeError, match="Input 0 has 3 dimensions"):
        mlopt.block_diag(mlopt.zeros(2, 2, 2))
    c = mlopt.cartesian_prod(mlopt.tensor([1, 2]), mlopt.tensor([3, 4, 5]))
    np.testing.assert_array_equal(c.numpy(), [[a, b] for a in (1, 2) for b in (3, 4, 5)])
    np.testing.assert_array_equal(mlopt.cartesian_prod(mlopt.tensor([1, 2])).numpy(), [1, 2])
    with pytest.raises(RuntimeError, match="Expect a 1D vector"):
        mlopt.cartesian_prod(mlopt.zeros(2, 2))


def test_cov_corrcoef():
    np.testing.assert_allclose(mlopt.cov(t64(M)).numpy(), np.cov(M), rtol=1e-12)
    np.testing.assert_allclose(mlopt.cov(t64(M), correction=0).numpy(), np.cov(M, ddof=0),
                               rtol=1e-12)
    fw, aw = np.array([1, 2, 1, 3, 1, 2]), RNG.uniform(0.5, 2, 6)
    out = mlopt.cov(t64(M), fweights=mlopt.tensor(fw), aweights=t64(aw)).numpy()
    np.testing.assert_allclose(out, np.cov(M, fweights=fw, aweights=aw), rtol=1e-12)
    np.testing.assert_allclose(mlopt.cov(t64(M[0])).item(), np.cov(M[0]), rtol=1e-12)
    np.testing.assert_allclose(mlopt.corrcoef(t64(M)).numpy(), np.corrcoef(M), rtol=1e-12)
    np.testing.assert_allclose(t64(M).corrcoef().numpy(), np.corrcoef(M), rtol=1e-12)
    assert mlopt.cov(mlopt.tensor([[1, 2, 4]])).dtype is mlopt.float32
    assert gradcheck(lambda a: mlopt.cov(a, aweights=t64(aw)), (t64(M, True),))
    assert gradcheck(mlopt.corrcoef, (t64(M, True),))
    with pytest.raises(RuntimeError, match="two or fewer dimensions"):
        mlopt.cov(mlopt.zeros(2, 2, 2))


def test_histc():
    x = RNG.standard_normal(500)
    out = mlopt.histc(t64(x), bins=7, min=-1.5, max=2)
    ref = np.histogram(x, bins=7, range=(-1.5, 2))[0]
    np.testing.assert_array_equal(out.numpy(), ref)
    assert out.dtype is mlopt.float64
    np.testing.assert_array_equal(mlopt.histc(mlopt.tensor([1.0, 2.0, 1.0]), bins=4).numpy(),
                                  [2, 0, 0, 1])
    np.testing.assert_array_equal(mlopt.histc(mlopt.tensor([1.0, 1.0]), bins=4).numpy(),
                                  [0, 0, 2, 0])
    np.testing.assert_array_equal(mlopt.tensor(x).histc(5).numpy(),
                                  np.histogram(x, bins=5)[0])
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        mlopt.histc(mlopt.tensor([1, 2]))


@pytest.mark.parametrize("p", [2, 1, 0, 3.5, math.inf])
def test_pdist(p):
    x = RNG.standard_normal((5, 3))
    i, j = np.triu_indices(5, 1)
    d = x[i] - x[j]
    ref = {0: (d != 0).sum(1), math.inf: np.abs(d).max(1)}.get(
        p, (np.abs(d) ** p).sum(1) ** (1 / p) if p else None)
    np.testing.assert_allclose(mlopt.pdist(t64(x), p).numpy(), ref, rtol=1e-12)
    if p != 0:
        assert gradcheck(lambda a: mlopt.pdist(a, p), (t64(x, True),))


def test_pdist_errors_and_aliases():
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        mlopt.pdist(mlopt.zeros(3))
    a, b = t64(X), t64(X[::-1].copy())
    np.testing.assert_array_equal(mlopt.cosine_similarity(a, b).numpy(),
                                  F.cosine_similarity(a, b).numpy())
    assert mlopt.pairwise_distance is F.pairwise_distance


def test_normal_icdf_cdf():
    from mlopt.distributions import Normal
    from statistics import NormalDist
    loc, scale = t64([0.0, 1.0, -2.0], True), t64([1.0, 2.0, 0.5], True)
    q = t64([0.025, 0.5, 0.9])
    out = Normal(loc, scale).icdf(q).numpy()
    ref = [NormalDist(m, s).inv_cdf(p) for m, s, p in zip([0, 1, -2], [1, 2, 0.5],
                                                          [0.025, 0.5, 0.9])]
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-14)
    back = Normal(loc, scale).cdf(Normal(loc, scale).icdf(q)).detach().numpy()
    np.testing.assert_allclose(back, q.numpy(), rtol=1e-12)
    assert gradcheck(lambda m, s, p: Normal(m, s).icdf(p), (loc, scale, t64([0.2, 0.6, 0.9],
                                                                            True)))


def test_set_printoptions():
    x = mlopt.tensor([1.23456, 2.5])
    try:
        mlopt.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.23, 2.50])"
        mlopt.set_printoptions(sci_mode=True)
        assert "e+00" in repr(x)
        mlopt.set_printoptions(threshold=5, edgeitems=2)
        assert "..." in repr(mlopt.arange(10))
    finally:
        mlopt.set_printoptions(profile="default")
    assert repr(x) == "tensor([1.2346, 2.5000])"
    assert "..." not in repr(mlopt.arange(10))


# ---- PyTorch ------------------------------------------------------------------

def test_against_torch():
    torch = pytest.importorskip("torch")

    def both(fn, *arrays, grad=True):
        ms = [t64(a, grad) for a in arrays]
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
        mo, to = fn(mlopt, ms), fn(torch, ts)
        np.testing.assert_allclose(mo.detach().numpy(), to.detach().numpy(), rtol=1e-11,
                                   atol=1e-13)
        if grad:
            w = RNG.standard_normal(tuple(to.shape))
            (mo * t64(w)).sum().backward()
            (to * torch.tensor(w)).sum().backward()
            for m, t in zip(ms, ts):
                np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10,
                                           atol=1e-12)

    aw = RNG.uniform(0.5, 2, 6)
    both(lambda m, a: a[0].unfold(1, 3, 2), X)
    both(lambda m, a: a[0].unfold(0, 2, 1), X)
    both(lambda m, a: m.kthvalue(a[0], 3, 1)[0], X)
    both(lambda m, a: m.erfc(a[0]), np.array([-2.0, -0.5, 0.0, 0.7, 1.99, 2.01, 3.0, 6.0]))
    both(lambda m, a: m.cov(a[0], correction=0, aweights=m.tensor(aw)), M)
    both(lambda m, a: m.corrcoef(a[0]), M)
    both(lambda m, a: m.pdist(a[0]), X)
    both(lambda m, a: m.pdist(a[0], 1.5), X)
    both(lambda m, a: m.block_diag(a[0], a[1]), M, X[:2])
    both(lambda m, a: m.cartesian_prod(a[0], a[1]), X[0], M[0])
    both(lambda m, a: m.fliplr(a[0]) + m.flipud(a[1]), X, X)
    both(lambda m, a: m.index_copy(a[0], 1, m.tensor([5, 0, 2]), a[1]), X, X[:, :3])
    both(lambda m, a: a[0].clone().addcmul_(a[1], a[2], value=0.3), X, X, X)
    both(lambda m, a: a[0].clone().addcdiv_(a[1], a[2] ** 2 + 1, value=2), X, X, X)
    both(lambda m, a: a[0].clone().lerp_(a[1], 0.3), X, X)
    both(lambda m, a: m.distributions.Normal(a[0], a[1] ** 2 + 0.5).icdf(
        m.tensor([0.1, 0.5, 0.99, 0.7], dtype=m.float64)), X[0, :4], X[1, :4])
    both(lambda m, a: m.nn.functional.gumbel_softmax(a[0] * 0, hard=True).sum(-1), X)
    modes = RNG.integers(0, 4, (5, 9)).astype(np.float64)
    for dim in (0, 1):
        mv, mi = mlopt.mode(t64(modes), dim)
        tv, ti = torch.mode(torch.tensor(modes), dim)
        np.testing.assert_array_equal(mv.numpy(), tv.numpy())
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
    x = RNG.standard_normal(300)
    np.testing.assert_array_equal(mlopt.histc(t64(x), 10, -1, 1.5).numpy(),
                                  torch.histc(torch.tensor(x), 10, -1, 1.5).numpy())
    e, s = RNG.integers(0, 10, (3, 4)), RNG.integers(0, 10, 5)
    for invert in (False, True):
        np.testing.assert_array_equal(
            mlopt.isin(mlopt.tensor(e), mlopt.tensor(s), invert=invert).numpy(),
            torch.isin(torch.tensor(e), torch.tensor(s), invert=invert).numpy())
    for name in ("unfold", "bernoulli_", "random_", "exponential_", "geometric_",
                 "index_copy_", "addcmul_", "addcdiv_", "lerp_", "detach_", "kthvalue",
                 "mode", "is_complex", "clamp_min_", "clamp_max_", "fliplr", "flipud"):
        assert hasattr(torch.Tensor, name) and hasattr(mlopt.Tensor, name)
