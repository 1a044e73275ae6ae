"""More of PyTorch's functions and Tensor methods (python/mlopt/_more_ops.py,
_config.py, backends/): against NumPy/mpmath in float64, finite
differences (mlopt.testing.gradcheck), eager vs @mlopt.compile, and PyTorch
where it is installed (same inputs: values, indices and gradients)."""
import math

import numpy as np
import pytest

import mlopt
from mlopt.testing import gradcheck

pytestmark = pytest.mark.filterwarnings(
    "ignore:All-NaN slice", "ignore:invalid value encountered",
    "ignore:The reduce argument of torch.scatter")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 5, 4))
P = RNG.uniform(0.1, 3, (3, 4))
U = RNG.uniform(-0.95, 0.95, (3, 4))
A = RNG.standard_normal((4, 5))
S = RNG.standard_normal((3, 5))
IDX = np.array([[0, 1, 2, 3, 0], [3, 3, 1, 0, 2], [1, 0, 0, 2, 3]])  # duplicates
UIDX = np.array([[0, 1, 2, 3, 0], [3, 2, 1, 0, 2]])  # unique per column
B3 = RNG.standard_normal((2, 3, 4))
C3 = RNG.standard_normal((2, 4, 5))
INTS = RNG.integers(-4, 5, (4, 6))
Z = Y.copy()
Z[0, 1, 2] = np.nan
Z[2, :, 1] = np.nan


class Case:
    """fn(m, *tensors) runs on mlopt and on torch alike (same names);
    ref(*arrays) is the NumPy float64 answer (None: PyTorch only)."""

    def __init__(self, name, fn, inputs, ref=None, grad=True, rtol=1e-10, atol=1e-12,
                 dtype=None, torch_grad=True, fd=True):
        self.name, self.fn, self.inputs, self.ref = name, fn, inputs, ref
        self.grad, self.rtol, self.atol, self.dtype = grad, rtol, atol, dtype
        self.torch_grad = torch_grad
        self.fd = fd  # finite differences (not at kinks and ties)

    def arrays(self):
        return [np.asarray(a, self.dtype) if self.dtype is not None else a
                for a in self.inputs]


def _mpmath_map(fn, x):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    return np.vectorize(lambda v: float(fn(mpmath.mpf(float(v)))))(x)


def _cummax_ref(x, axis, largest=True):
    x = np.moveaxis(x, axis, -1)
    values, index = np.empty_like(x), np.zeros(x.shape, np.int64)
    for pos in np.ndindex(x.shape[:-1]):
        best, at = None, 0
        for k, v in enumerate(x[pos]):
            if best is None or math.isnan(v) or (not math.isnan(best) and (
                    v >= best if largest else v <= best)):
                best, at = v, k
            values[pos + (k,)], index[pos + (k,)] = best, at
    return np.moveaxis(values, -1, axis), np.moveaxis(index, -1, axis)


def _scatter_ref(base, index, src, dim=0, op=None, include_self=True):
    out = base.copy()
    seen = np.zeros(base.shape, bool)
    groups = {}
    for pos in np.ndindex(index.shape):
        dest = list(pos)
        dest[dim] = index[pos]
        groups.setdefault(tuple(dest), []).append(src[pos])
    for dest, vals in groups.items():
        if op is None:
            out[dest] = vals[-1]
            continue
        vals = ([base[dest]] if include_self else []) + vals
        out[dest] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                     "amin": np.min}[op](vals)
        seen[dest] = True
    return out


def _median_ref(x, axis):
    s = np.sort(x, axis)
    return np.take(s, (x.shape[axis] - 1) // 2, axis)


CASES = [
    # elementwise math (float64 references; integers promote to float)
    Case("sinh", lambda m, x: m.sinh(x), [X * 3], np.sinh),
    Case("sinh_far", lambda m, x: m.sinh(x), [np.array([-710.0, -30, -1e-8, 0, 1e-300, 700])],
         np.sinh, grad=False),
    Case("cosh", lambda m, x: x.cosh(), [X * 3], np.cosh),
    Case("asinh", lambda m, x: m.asinh(x), [np.r_[X.ravel() * 3, 1e200, -1e-200]], np.arcsinh,
         grad=False),
    Case("asinh_grad", lambda m, x: m.arcsinh(x), [X * 3], np.arcsinh),
    Case("acosh", lambda m, x: m.acosh(x), [P + 1], np.arccosh),
    Case("acosh_edges", lambda m, x: m.acosh(x), [np.array([1.0, 1 + 1e-12, 0.5, 1e300])],
         lambda x: np.arccosh(np.where(x >= 1, x, np.nan)), grad=False),
    Case("atanh", lambda m, x: m.atanh(x), [U], np.arctanh),
    Case("tan", lambda m, x: m.tan(x), [X], np.tan),
    Case("asin", lambda m, x: m.asin(x), [U], np.arcsin),
    Case("acos", lambda m, x: x.acos(), [U], np.arccos),
    Case("atan", lambda m, x: m.atan(x), [X * 5], np.arctan),
    Case("log2", lambda m, x: m.log2(x), [P], np.log2),
    Case("log2_powers", lambda m, x: m.log2(x), [np.array([8.0, 1024, 2.0 ** -30])], np.log2,
         grad=False, rtol=0, atol=0),
    Case("log10_powers", lambda m, x: m.log10(x), [np.array([1000.0, 1e-5, 1e22, 7.0])],
         np.log10, grad=False, rtol=2.3e-16, atol=0),  # (exact at powers, else 1 ulp)
    Case("exp2", lambda m, x: m.exp2(x), [X * 4], np.exp2),
    Case("sinc", lambda m, x: m.sinc(x), [np.r_[X.ravel(), 0.0]], np.sinc),
    Case("deg2rad", lambda m, x: m.deg2rad(x), [X * 100], np.deg2rad),
    Case("logit_eps", lambda m, x: m.logit(x, eps=0.1), [(U + 1) / 2],
         lambda x: np.log(np.clip(x, 0.1, 0.9) / (1 - np.clip(x, 0.1, 0.9)))),
    Case("hypot", lambda m, x, y: m.hypot(x, y), [X, P], np.hypot),
    Case("hypot_edges", lambda m, x, y: m.hypot(x, y),
         [np.array([0.0, 3, 1e300, np.inf]), np.array([0.0, 4, 1e300, np.nan])], np.hypot,
         grad=False),
    Case("logaddexp", lambda m, x, y: m.logaddexp(x, y), [X, X * 3], np.logaddexp),
    Case("logaddexp_infs", lambda m, x, y: m.logaddexp(x, y),
         [np.array([-np.inf, np.inf, -np.inf, 1000.0]), np.array([-np.inf, np.inf, 2.0, 1000])],
         np.logaddexp, grad=False),
    Case("logaddexp2", lambda m, x, y: x.logaddexp2(y), [X, P], np.logaddexp2),
    Case("xlogy", lambda m, x, y: m.xlogy(x, y), [X, P], lambda x, y: x * np.log(y)),
    Case("xlogy_zeros", lambda m, x, y: m.xlogy(x, y),
         [np.array([0.0, 0.0, 1.0]), np.array([0.0, 2.0, 0.0])],
         lambda x, y: np.array([0.0, 0.0, -np.inf]), grad=False),
    Case("fmod", lambda m, x, y: m.fmod(x, y), [X * 5, P], np.fmod),
    Case("fmod_scalar", lambda m, x: x.fmod(-1.5), [X * 5], lambda x: np.fmod(x, -1.5)),
    Case("fmod_exact", lambda m, x: m.fmod(x, 1.0), [np.array([-1e-20, 1e-20, -3.5, 1e17])],
         lambda x: np.fmod(x, 1.0), grad=False, rtol=0, atol=0),
    Case("fmod_int", lambda m, x: m.fmod(x, 3), [np.array([-7, -3, 0, 5, 8])],
         lambda x: np.fmod(x, 3), grad=False, dtype=np.int64),
    Case("copysign", lambda m, x, y: m.copysign(x, y), [X, np.r_[X.ravel()[:11], -0.0]
                                                         .reshape(3, 4)], np.copysign, fd=False),
    Case("lgamma", lambda m, x: m.lgamma(x),
         [np.r_[P.ravel(), 1.0, 2.0, 0.5, 100.5, 1e-5, 171.3, -0.5, -2.3, -10.7]],
         np.vectorize(math.lgamma), rtol=1e-12, atol=1e-13, fd=False),
    Case("lgamma_grad", lambda m, x: m.lgamma(x), [np.r_[P.ravel(), 30.5, -0.5, -2.3]],
         np.vectorize(math.lgamma), rtol=1e-12, atol=1e-13),
    Case("lgamma_poles", lambda m, x: m.lgamma(x), [np.array([0.0, -1.0, -2.0, np.inf])],
         lambda x: np.full(x.shape, np.inf), grad=False),
    Case("digamma", lambda m, x: x.digamma(),
         [np.r_[P.ravel(), 1.0, 0.5, 100.5, 1e-5, -0.5, -2.3, -10.7]], "digamma",
         rtol=1e-11, atol=1e-12, fd=False),
    Case("digamma_grad", lambda m, x: m.digamma(x), [np.r_[P.ravel() + 0.3, 30.5, -0.5, -2.3]],
         "digamma", rtol=1e-11, atol=1e-12),
    Case("erfinv", lambda m, x: m.erfinv(x), [np.r_[U.ravel(), 0.0, 0.999, -0.99999]], "erfinv",
         rtol=1e-12, atol=1e-14, fd=False),
    Case("erfinv_grad", lambda m, x: m.erfinv(x), [U * 0.9], "erfinv", rtol=1e-12, atol=1e-14),
    Case("erfinv_tails", lambda m, x: m.erfinv(x),
         [np.array([1 - 1e-15, -(1 - 2.0 ** -53), 1 - 1e-7, -0.999999, 1.0, -1.0, 1.5])],
         "erfinv", grad=False, rtol=1e-11),
    Case("erfinv_tail_grad", lambda m, x: m.erfinv(x), [np.array([1 - 1e-9, -(1 - 1e-7)])],
         "erfinv", rtol=1e-11, fd=False),
    # float32 and integer inputs: PyTorch's dtypes (float32 values to 1e-6)
    Case("sinh_f32", lambda m, x: m.sinh(x), [X * 3], np.sinh, grad=False, rtol=2e-7,
         dtype=np.float32),
    Case("erfinv_f32", lambda m, x: m.erfinv(x), [U], "erfinv", grad=False, rtol=1e-6,
         atol=1e-7, dtype=np.float32),
    Case("lgamma_int", lambda m, x: m.lgamma(x), [np.array([1, 2, 5, 10])],
         np.vectorize(math.lgamma), grad=False, rtol=1e-6, atol=1e-6, dtype=np.int64),
    # scans and reductions
    Case("cumprod", lambda m, x: m.cumprod(x, 1), [Y], lambda x: np.cumprod(x, 1)),
    Case("cumprod_zeros", lambda m, x: x.cumprod(0), [np.array([2.0, 0.0, 3.0, 0.0, 4.0])],
         lambda x: np.cumprod(x)),
    Case("cumprod_noncontiguous", lambda m, x: m.cumprod(x.t(), 0), [X],
         lambda x: np.cumprod(x.T, 0)),
    Case("cumprod_int", lambda m, x: m.cumprod(x, -1), [INTS], lambda x: np.cumprod(x, -1),
         grad=False, dtype=np.int32),
    Case("cumprod_empty", lambda m, x: m.cumprod(x, 0), [np.zeros((0, 3))],
         lambda x: np.cumprod(x, 0)),
    Case("cummax", lambda m, x: m.cummax(x, 1), [Y], lambda x: _cummax_ref(x, 1)),
    Case("cummin", lambda m, x: x.cummin(-1), [Y], lambda x: _cummax_ref(x, -1, False)),
    Case("cummax_ties", lambda m, x: m.cummax(x, 0), [np.array([1.0, 1, 0, 1, 2, 2, -1])],
         lambda x: _cummax_ref(x, 0), fd=False),
    Case("cummin_nan", lambda m, x: m.cummin(x, 0), [np.array([1.0, -2, np.nan, -3, np.nan])],
         lambda x: _cummax_ref(x, 0, False), grad=False),
    Case("cummax_int", lambda m, x: m.cummax(x, 1), [INTS], lambda x: _cummax_ref(x, 1),
         grad=False, dtype=np.int64),
    Case("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), [Y * 10],
         lambda x: np.logaddexp.accumulate(x, 1)),
    Case("logcumsumexp_infs", lambda m, x: x.logcumsumexp(0),
         [np.array([-np.inf, -np.inf, 1.0, -1000, np.inf, 2])],
         lambda x: np.logaddexp.accumulate(x), grad=False),
    Case("diff", lambda m, x: m.diff(x), [Y], lambda x: np.diff(x)),
    Case("diff_prepend", lambda m, x, p: m.diff(x, 2, 1, prepend=p), [Y, Y[:, :2]],
         lambda x, p: np.diff(x, 2, 1, prepend=p)),
    Case("diff_append", lambda m, x, p: x.diff(3, 0, append=p), [Y, Y[:1]],
         lambda x, p: np.diff(x, 3, 0, append=p)),
    Case("diff_bool", lambda m, x: m.diff(x), [np.array([True, False, False, True])],
         lambda x: x[1:] != x[:-1], grad=False),
    Case("diff_size1", lambda m, x: m.diff(x, dim=0), [X[:1]], lambda x: np.diff(x, axis=0)),
    Case("nansum", lambda m, x: m.nansum(x, (0, 2), keepdim=True), [Z],
         lambda x: np.nansum(x, (0, 2), keepdims=True)),
    Case("nanmean", lambda m, x: x.nanmean(1), [Z[:2]], lambda x: np.nanmean(x, 1)),
    Case("nansum_int", lambda m, x: m.nansum(x, 0), [INTS], lambda x: np.sum(x, 0),
         grad=False, dtype=np.int32),
    Case("aminmax", lambda m, x: m.aminmax(x, dim=1, keepdim=True), [Y],
         lambda x: (x.min(1, keepdims=True), x.max(1, keepdims=True))),
    Case("aminmax_all", lambda m, x: m.aminmax(x), [INTS], lambda x: (x.min(), x.max()),
         grad=False, dtype=np.int64),
    Case("median", lambda m, x: m.median(x), [Y], lambda x: _median_ref(x.ravel(), 0)),
    Case("median_dim", lambda m, x: m.median(x, 1).values, [Y], lambda x: _median_ref(x, 1)),
    Case("median_indices", lambda m, x: x.median(2, keepdim=True), [Y],
         lambda x: (np.expand_dims(_median_ref(x, 2), 2),
                    np.argsort(x, 2)[:, :, 1:2])),
    Case("median_nan", lambda m, x: m.median(x, 1).values, [Z],
         lambda x: np.where(np.isnan(x).any(1), np.nan, _median_ref(x, 1)), grad=False),
    Case("nanmedian", lambda m, x: m.nanmedian(x, 2).values, [Z[:2]],
         lambda x: np.array([[_median_ref(r[~np.isnan(r)], 0) for r in b] for b in x])),
    Case("median_int", lambda m, x: m.median(x, 1).values, [INTS],
         lambda x: _median_ref(x, 1), grad=False, dtype=np.int64),
    Case("quantile", lambda m, x: m.quantile(x, 0.3), [Y], lambda x: np.quantile(x, 0.3)),
    Case("quantile_dim", lambda m, x: x.quantile(0.75, dim=1, keepdim=True), [Y],
         lambda x: np.quantile(x, 0.75, 1, keepdims=True)),
    Case("quantile_q", lambda m, x, q: m.quantile(x, q, dim=2), [Y, np.array([0, .1, .5, 1])],
         lambda x, q: np.quantile(x, q, 2), grad=False),
    Case("quantile_lower", lambda m, x: m.quantile(x, 0.3, 1, interpolation="lower"), [Y],
         lambda x: np.quantile(x, 0.3, 1, method="lower")),
    Case("quantile_higher", lambda m, x: m.quantile(x, 0.3, 1, interpolation="higher"), [Y],
         lambda x: np.quantile(x, 0.3, 1, method="higher")),
    Case("quantile_midpoint", lambda m, x: m.quantile(x, 0.3, 1, interpolation="midpoint"),
         [Y], lambda x: np.quantile(x, 0.3, 1, method="midpoint")),
    Case("quantile_nearest", lambda m, x: m.quantile(x, 0.25, 0, interpolation="nearest"),
         [Y], lambda x: np.quantile(x, 0.25, 0, method="nearest")),
    Case("nanquantile", lambda m, x: m.nanquantile(x, 0.4, dim=1), [Z],
         lambda x: np.nanquantile(x, 0.4, 1), grad=False),
    Case("quantile_nan", lambda m, x: m.quantile(x, 0.4, dim=1), [Z],
         lambda x: np.quantile(x, 0.4, 1), grad=False),
    Case("bincount", lambda m, x: m.bincount(x, minlength=10), [RNG.integers(0, 7, 20)],
         lambda x: np.bincount(x, minlength=10), grad=False, dtype=np.int64),
    Case("bincount_weights", lambda m, x, w: m.bincount(x.long(), w),
         [RNG.integers(0, 7, 20), RNG.standard_normal(20)],
         lambda x, w: np.bincount(x.astype(int), w), grad=False),
    # scatters and indexed writes
    Case("scatter", lambda m, x, s: m.scatter(x, 0, m.tensor(UIDX), s), [A, S[:2]],
         lambda x, s: _scatter_ref(x, UIDX, s)),
    Case("scatter_duplicates_last_wins", lambda m, x, s: x.scatter(0, m.tensor(IDX), s),
         [A, S], lambda x, s: _scatter_ref(x, IDX, s), grad=False),
    Case("scatter_value", lambda m, x: m.scatter(x, 1, m.tensor([[4], [0], [2], [1]]), 7.5),
         [A], lambda x: _scatter_ref(x, np.array([[4], [0], [2], [1]]), np.full((4, 1), 7.5),
                                     1)),
    Case("scatter_int", lambda m, x: m.scatter(x, 0, m.tensor(IDX), x[:3] * 10), [INTS[:, :5]],
         lambda x: _scatter_ref(x, IDX, x[:3] * 10), grad=False, dtype=np.int64),
    Case("scatter_reduce_add", lambda m, x, s: x.scatter(0, m.tensor(IDX), s, reduce="add"),
         [A, S], lambda x, s: _scatter_ref(x, IDX, s, 0, "sum"), torch_grad=False),
] + [
    Case(f"scatter_reduce_{op}_{inc}",
         lambda m, x, s, op=op, inc=inc: m.scatter_reduce(x, 0, m.tensor(IDX), s, op,
                                                          include_self=inc),
         [A, S], lambda x, s, op=op, inc=inc: _scatter_ref(x, IDX, s, 0, op, inc))
    for op in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)
] + [
    Case("scatter_reduce_int_mean", lambda m, x, s: m.scatter_reduce(
        x, 1, m.tensor(IDX[:, :3]), s, "mean", include_self=False),
        [np.round(A * 5), np.round(S * 7)], None, grad=False, dtype=np.int64),
    Case("scatter_reduce_amax_ties", lambda m, x, s: m.scatter_reduce(
        x, 0, m.tensor([0, 0, 0, 1]), s, "amax"), [np.array([1.0, 2]), np.array([1.0, .5, 1, 3])],
        lambda x, s: np.array([1.0, 3]), fd=False),  # (ties: PyTorch's even split)
    Case("take_along_dim", lambda m, x: m.take_along_dim(x, m.argsort(x, 1), 1), [A],
         lambda x: np.sort(x, 1)),
    Case("take_along_dim_broadcast", lambda m, x: x.take_along_dim(m.tensor([[0, 4, 2]]), 1),
         [A], lambda x: x[:, [0, 4, 2]]),
    Case("take_along_dim_flat", lambda m, x: m.take_along_dim(x, m.tensor([0, 19, 3])), [A],
         lambda x: x.ravel()[[0, 19, 3]]),
    Case("take", lambda m, x: m.take(x, m.tensor([[0, -1], [7, 3]])), [A],
         lambda x: x.ravel()[[[0, -1], [7, 3]]]),
    Case("index_fill", lambda m, x: m.index_fill(x, 1, m.tensor([0, 3, 3]), -2.0), [A],
         lambda x: np.where(np.isin(np.arange(5), [0, 3]), -2.0, x)),
    Case("index_fill_tensor_value", lambda m, x, v: x.index_fill(0, m.tensor([3]), v[0, 0]),
         [A, S], lambda x, v: np.where(np.arange(4)[:, None] == 3, v[0, 0], x)),
    Case("masked_scatter", lambda m, x, s: m.masked_scatter(x, m.tensor(A > 0.3), s), [A, S],
         lambda x, s: _masked_scatter_ref(x, A > 0.3, s)),
    Case("masked_scatter_broadcast", lambda m, x, s: x.masked_scatter(
        m.tensor([True, False, True, False, True]), s), [A, S],
        lambda x, s: _masked_scatter_ref(x, np.broadcast_to([True, False, True, False, True],
                                                            x.shape), s)),
    # products
    Case("addmm", lambda m, x, a, b: m.addmm(x, a, b, beta=0.5, alpha=2), [S[0], A.T, A],
         lambda x, a, b: 0.5 * x + 2 * a @ b),
    Case("addmm_beta0_ignores_nan", lambda m, x, a, b: m.addmm(x, a, b, beta=0),
         [np.full((5, 5), np.nan), A.T, A], lambda x, a, b: a @ b, grad=False),
    Case("baddbmm", lambda m, x, a, b: m.baddbmm(x, a, b, alpha=0.5, beta=-1), [S, B3, C3],
         lambda x, a, b: -x + 0.5 * a @ b),
    Case("addbmm", lambda m, x, a, b: x.addbmm(a, b, alpha=3), [S, B3, C3],
         lambda x, a, b: x + 3 * (a @ b).sum(0)),
    Case("addmv", lambda m, x, a, b: m.addmv(x, a, b, beta=2), [S[:, 0], S, A[0]],
         lambda x, a, b: 2 * x + a @ b),
    Case("addr", lambda m, x, a, b: m.addr(x, a, b, alpha=2), [S, S[:, 0], A[0]],
         lambda x, a, b: x + 2 * np.outer(a, b)),
    Case("dot", lambda m, a, b: m.dot(a, b), [A[0], A[1]], np.dot),
    Case("dot_int", lambda m, a, b: a.dot(b), [np.array([1, 2, 3]), np.array([4, 5, -6])],
         np.dot, grad=False, dtype=np.int32),
    Case("vdot", lambda m, a, b: m.vdot(a, b), [A[0], A[1]], np.vdot),
    Case("mv", lambda m, a, b: m.mv(a, b), [A, S[0]], np.dot),
    Case("inner", lambda m, a, b: m.inner(a, b), [A, S], np.inner),
    Case("tensordot", lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])),
         [B3.transpose(1, 0, 2), RNG.standard_normal((2, 7, 3))],
         lambda a, b: np.tensordot(a, b, ([1, 0], [0, 2]))),
    Case("tensordot_int_dims", lambda m, a, b: m.tensordot(a, b, 1), [B3, C3[0]],
         lambda a, b: np.tensordot(a, b, 1)),
    Case("kron", lambda m, a, b: m.kron(a, b), [A[:2, :3], S[:2]], np.kron),
    Case("kron_ranks", lambda m, a, b: a.kron(b), [A[0], S[:2]], np.kron),
    Case("cross", lambda m, a, b: m.cross(a, b, dim=1), [A[:, :3], S[[0, 1, 2, 0], :3]],
         lambda a, b: np.cross(a, b)),
    Case("linalg_cross_broadcast", lambda m, a, b: m.linalg.cross(a, b), [A[:, :3], S[:1, :3]],
         lambda a, b: np.cross(a, b)),
    # joining, splitting, views
    Case("hstack", lambda m, a, b: m.hstack([a, b]), [A[:, :2], A[:, 2:]],
         lambda a, b: np.hstack([a, b])),
    Case("hstack_1d", lambda m, a, b: m.hstack((a, b)), [A[0], S[0]],
         lambda a, b: np.hstack([a, b])),
    Case("vstack", lambda m, a, b: m.vstack([a, b]), [A[0], S[0]], lambda a, b: np.vstack([a, b])),
    Case("dstack", lambda m, a, b: m.dstack([a, b]), [A, A], lambda a, b: np.dstack([a, b])),
    Case("column_stack", lambda m, a, b: m.column_stack([a, b, a]),
         [A[0], RNG.standard_normal((5, 2))], lambda a, b: np.column_stack([a, b, a])),
    Case("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b), [A[:, :1], S[0]],
         lambda a, b: tuple(np.broadcast_arrays(a, b))),
    Case("tensor_split", lambda m, a: m.tensor_split(a, 3, dim=1), [A],
         lambda a: tuple(np.array_split(a, 3, 1))),
    Case("tensor_split_indices", lambda m, a: a.tensor_split((3, 1, 7, -1)), [A],
         lambda a: tuple(np.array_split(a, [3, 1, 7, -1]))),
    Case("hsplit", lambda m, a: m.hsplit(a, [2, 3]), [A], lambda a: tuple(np.hsplit(a, [2, 3]))),
    Case("vsplit", lambda m, a: m.vsplit(a, 2), [A], lambda a: tuple(np.vsplit(a, 2))),
] + [
    Case(f"rot90_{k}", lambda m, a, k=k: m.rot90(a, k, (1, 2)), [B3],
         lambda a, k=k: np.rot90(a, k, (1, 2)))
    for k in (-1, 0, 1, 2, 3, 5)
] + [
    Case("diagonal", lambda m, a: m.diagonal(a, 1, 0, 2), [B3],
         lambda a: np.diagonal(a, 1, 0, 2)),
    Case("diagonal_noncontiguous", lambda m, a: a.t().diagonal(-2), [A],
         lambda a: np.diagonal(a.T, -2)),
    Case("trace", lambda m, a: m.trace(a), [A], np.trace),
    Case("diag_embed", lambda m, a: m.diag_embed(a, -1, 0, 2), [A], None),
    Case("cdist", lambda m, a, b: m.cdist(a, b), [A, S],
         lambda a, b: np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))),
    Case("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1), [A, S],
         lambda a, b: np.abs(a[:, None] - b[None]).sum(-1)),
    Case("cdist_p3_5", lambda m, a, b: m.cdist(a, b, p=3.5), [A, S],
         lambda a, b: (np.abs(a[:, None] - b[None]) ** 3.5).sum(-1) ** (1 / 3.5)),
    Case("cdist_inf", lambda m, a, b: m.cdist(a, b, p=math.inf), [A, S],
         lambda a, b: np.abs(a[:, None] - b[None]).max(-1)),
    Case("cdist_batch_mm", lambda m, a, b: m.cdist(a, b),
         [RNG.standard_normal((2, 30, 3)), RNG.standard_normal((1, 4, 3))],
         lambda a, b: np.sqrt(((a[:, :, None] - b[:, None]) ** 2).sum(-1)), rtol=1e-9),
    Case("searchsorted", lambda m, s, v: m.searchsorted(s, v), [np.sort(A[0]), S],
         lambda s, v: np.searchsorted(s, v), grad=False),
    Case("searchsorted_right_int32", lambda m, s, v: m.searchsorted(s, v, side="right",
                                                                    out_int32=True),
         [np.array([1.0, 2, 2, 3]), np.array([[2.0, 0], [3, 5]])],
         lambda s, v: np.searchsorted(s, v, "right"), grad=False),
    Case("searchsorted_batched", lambda m, s, v: m.searchsorted(s, v),
         [np.sort(A, 1), A[:, :3] + 0.1],
         lambda s, v: np.stack([np.searchsorted(a, b) for a, b in zip(s, v)]), grad=False),
    Case("searchsorted_nan_value", lambda m, s, v: m.searchsorted(s, v),
         [np.array([1.0, 2, 3]), np.array([np.nan, 2.5])], lambda s, v: np.array([3, 2]),
         grad=False),
    Case("bucketize", lambda m, v, s: m.bucketize(v, s, right=True),
         [np.array([1.0, 2, 3, 4]), np.array([1.0, 3])],
         lambda v, s: np.searchsorted(s, v, "right"), grad=False),
]


def _masked_scatter_ref(x, mask, s):
    out = x.copy()
    out[mask] = s.ravel()[:mask.sum()]
    return out


def _reference(case, arrays):
    if case.ref == "digamma":
        mpmath = pytest.importorskip("mpmath")
        return _mpmath_map(mpmath.digamma, arrays[0])
    if case.ref == "erfinv":
        mpmath = pytest.importorskip("mpmath")
        x = np.asarray(arrays[0], np.float64)
        inside = np.abs(x) < 1
        vals = _mpmath_map(mpmath.erfinv, np.where(inside, x, 0))
        return np.where(inside, vals, np.where(np.abs(x) == 1, np.sign(x) * np.inf, np.nan))
    return case.ref(*arrays)


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _check_close(got, want, rtol, atol, what=""):
    got, want = _as_list(got), _as_list(want)
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        g = np.asarray(g.detach().numpy() if hasattr(g, "detach") else g)
        w = np.asarray(w)
        assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=rtol,
                                   atol=atol, equal_nan=True, err_msg=what)


def _mlopt_inputs(arrays):
    return [mlopt.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_numpy_and_finite_differences(case):
    arrays = case.arrays()
    out = case.fn(mlopt, *_mlopt_inputs(arrays))
    if case.ref is not None:
        _check_close(out, _reference(case, arrays), case.rtol, case.atol, case.name)
    if case.grad and case.fd:
        inputs = [mlopt.tensor(a) for a in arrays]
        gradcheck(lambda *xs: case.fn(mlopt, *xs), inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_pytorch_values_and_gradients(case):
    torch = pytest.importorskip("torch")
    arrays = case.arrays()
    ours = [mlopt.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    theirs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    grads = case.grad and case.torch_grad
    if grads:
        for t in ours + theirs:
            if t.dtype in (mlopt.float64, torch.float64):
                t.requires_grad_(True)
    got, want = case.fn(mlopt, *ours), case.fn(torch, *theirs)
    got_l, want_l = _as_list(got), _as_list(want)
    for g, w in zip(got_l, want_l):
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1], case.name
    _check_close(got, [w.detach().numpy() for w in want_l], case.rtol, case.atol, case.name)
    if grads:
        rng = np.random.default_rng(1)
        weights = [rng.standard_normal(tuple(w.shape)) for w in want_l]
        pairs = [(g, w, k) for g, w, k in zip(got_l, want_l, weights)
                 if w.dtype.is_floating_point]
        sum(((g * mlopt.tensor(k)).sum() for g, _, k in pairs)).backward()
        sum(((w * torch.tensor(k)).sum() for _, w, k in pairs)).backward()
        for a, b in zip(ours, theirs):
            if isinstance(b, torch.Tensor) and b.grad is not None:
                ga = a.grad.numpy() if a.grad is not None else np.zeros(tuple(b.shape))
                np.testing.assert_allclose(ga, b.grad.numpy(), rtol=1e-7, atol=1e-9,
                                           err_msg=case.name + " gradient")


@pytest.mark.parametrize("op", ["prod", "amax", "amin", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_without_the_one_hot(op, include_self, monkeypatch):
    """Past _DENSE_LIMIT eager calls run one scatter per rank of duplicates."""
    import mlopt._more_ops as more
    index = np.array([[0, 3, 3], [3, 1, 3], [3, 3, 0]])
    src = S[:3, :3]
    want = _scatter_ref(A, index, src, 0, op, include_self)
    monkeypatch.setattr(more, "_DENSE_LIMIT", 0)

    def fn(x, s):
        return mlopt.scatter_reduce(x, 0, mlopt.tensor(index), s, op,
                                    include_self=include_self)

    np.testing.assert_allclose(fn(mlopt.tensor(A), mlopt.tensor(src)).numpy(), want,
                               rtol=1e-12)
    if op in ("prod", "mean"):
        gradcheck(fn, [mlopt.tensor(A), mlopt.tensor(src)])


# ---- odd shapes, dtypes and in-place forms ------------------------------------------

def test_empty_and_size_one_inputs():
    e = mlopt.zeros(0, 3)
    assert mlopt.cumprod(e, 0).shape == (0, 3)
    assert [t.shape for t in mlopt.cummax(e, 1)] == [(0, 3), (0, 3)]
    assert mlopt.diff(mlopt.ones(1), n=3).shape == (0,)
    assert mlopt.nansum(e).item() == 0.0
    assert math.isnan(mlopt.nanmean(e).item())
    assert mlopt.scatter(mlopt.ones(2, 3), 0, mlopt.zeros(0, 3, dtype=mlopt.int64),
                         mlopt.ones(0, 3)).tolist() == [[1.0] * 3] * 2
    assert mlopt.hstack([mlopt.zeros(0), mlopt.ones(2)]).tolist() == [1.0, 1.0]
    assert mlopt.tensor_split(mlopt.arange(2), 4)[3].shape == (0,)
    assert mlopt.dot(mlopt.zeros(0), mlopt.zeros(0)).item() == 0.0
    assert mlopt.tril_indices(0, 0).shape == (2, 0)
    assert mlopt.bincount(mlopt.zeros(0, dtype=mlopt.int64)).shape == (0,)
    assert math.isnan(mlopt.median(mlopt.zeros(0)).item())
    assert mlopt.cdist(mlopt.zeros(2, 0), mlopt.zeros(3, 0)).tolist() == [[0.0] * 3] * 2
    one = mlopt.tensor([[2.5]])
    assert mlopt.median(one, 0).indices.tolist() == [0]
    assert mlopt.cummin(mlopt.tensor(3.0), 0).values.item() == 3.0
    assert mlopt.sinh(mlopt.tensor(0.0)).item() == 0.0
    assert mlopt.quantile(mlopt.tensor([4.0]), 0.5).item() == 4.0


def test_dtypes_follow_pytorch():
    i = mlopt.tensor([1, 2, 3])
    assert mlopt.sinh(i).dtype is mlopt.float32
    assert mlopt.hypot(i, i).dtype is mlopt.float32
    assert mlopt.cumprod(i.int(), 0).dtype is mlopt.int64
    assert mlopt.cumprod(i, 0, dtype=mlopt.float64).dtype is mlopt.float64
    assert mlopt.cummax(i.int(), 0).values.dtype is mlopt.int32
    assert mlopt.fmod(i, 2).dtype is mlopt.int64 and mlopt.fmod(i, 2.0).dtype is mlopt.float32
    assert mlopt.searchsorted(mlopt.tensor([1.0, 2]), mlopt.tensor([1.5]),
                              out_int32=True).dtype is mlopt.int32
    assert mlopt.bincount(i).dtype is mlopt.int64
    assert mlopt.bincount(i, mlopt.ones(3)).dtype is mlopt.float32
    assert mlopt.dot(i.int(), i.int()).dtype is mlopt.int32
    h = mlopt.tensor([0.5, 0.25], dtype=mlopt.float16)
    assert mlopt.erfinv(h).dtype is mlopt.float16
    assert abs(mlopt.erfinv(h).float()[0].item() - 0.4769) < 1e-3
    assert mlopt.logspace(0, 2, 3, dtype=mlopt.int64).tolist() == [1, 10, 100]
    r = mlopt.randint_like(mlopt.zeros(2, 3), 5)
    assert r.shape == (2, 3) and r.dtype is mlopt.float32
    assert 0 <= r.min().item() <= r.max().item() < 5
    r = mlopt.randint_like(i, 3, 6)
    assert r.dtype is mlopt.int64 and 3 <= r.min().item() and r.max().item() < 6


def test_inplace_methods_and_views():
    x = mlopt.zeros(3, 4)
    assert x.scatter_(1, mlopt.tensor([[1], [0], [3]]), 1.0) is x
    assert x.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    x.index_fill_(0, mlopt.tensor([1]), 7)
    x.masked_scatter_(x > 5, mlopt.tensor([10.0, 20, 30, 40, 50]))
    assert x[1].tolist() == [10, 20, 30, 40]
    y = mlopt.tensor([[1.0, 2], [3, 4]])
    y.scatter_reduce_(0, mlopt.tensor([[1, 1]]), mlopt.tensor([[5.0, -1]]), "amax")
    assert y.tolist() == [[1, 2], [5, 4]]
    z = mlopt.arange(12.0).reshape(3, 4)
    z.diagonal().fill_(-1)  # a view, as PyTorch's
    z.diagonal(1).mul_(10)
    assert z.tolist() == [[-1, 10, 2, 3], [4, -1, 60, 7], [8, 9, -1, 110]]
    w = mlopt.zeros(7, 3)
    w.fill_diagonal_(1, wrap=True)
    assert np.array_equal(w.numpy(), np.r_[np.eye(3), np.zeros((1, 3)), np.eye(3)])
    v = mlopt.tensor([0.5, 2.0])
    v.sinh_().asinh_()
    np.testing.assert_allclose(v.numpy(), [0.5, 2.0], rtol=1e-6)
    t = mlopt.ones(3, 3)
    t.tril_()
    assert t.sum().item() == 6
    p = mlopt.randn(3, 3, dtype=mlopt.float64, requires_grad=True)
    q = p * 1
    q.diagonal().add_(1.0)  # in place through a view, with autograd
    (q * q).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 * (p.detach().numpy() + np.eye(3)))


def test_errors_name_the_problem():
    x = mlopt.ones(2, 3)
    with pytest.raises(RuntimeError,
                       match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        mlopt.addmm(mlopt.ones(2, 3), x, x)
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D"):
        mlopt.dot(x, mlopt.ones(3))
    with pytest.raises(RuntimeError,
                       match=r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"):
        mlopt.dot(mlopt.ones(3), mlopt.ones(4))
    with pytest.raises(RuntimeError, match="same dtype"):
        mlopt.dot(mlopt.ones(3), mlopt.ones(3, dtype=mlopt.float64))
    with pytest.raises(RuntimeError,
                       match=r"Expected index \[3, 1\] to be smaller than self \[2, 3\]"):
        x.scatter(1, mlopt.zeros(3, 1, dtype=mlopt.int64), 1.0)
    with pytest.raises(IndexError, match="index 5 is out of bounds"):
        x.scatter(1, mlopt.tensor([[5]]), 1.0)
    with pytest.raises(RuntimeError,
                       match="reduce argument must be either sum, prod, mean, amax or amin"):
        x.scatter_reduce(0, mlopt.tensor([[0]]), x, "max")
    with pytest.raises(RuntimeError, match="must be a 3D tensor.*shape \\[2, 3\\]"):
        mlopt.baddbmm(x, x, x)
    with pytest.raises(RuntimeError,
                       match="contracted dimensions need to match, but first has size 3 in "
                             "dim 1 and second has size 2"):
        mlopt.tensordot(x, x, ([1], [0]))
    with pytest.raises(RuntimeError, match="must have length 3. Got 2"):
        mlopt.linalg.cross(mlopt.ones(2), mlopt.ones(2))
    with pytest.raises(RuntimeError, match="no dimension of size 3"):
        mlopt.cross(mlopt.ones(2, 2), mlopt.ones(2, 2))
    with pytest.raises(RuntimeError, match="quantile\\(\\) q values must be in the range"):
        mlopt.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="input tensor must be either float or double"):
        mlopt.quantile(mlopt.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative"):
        mlopt.bincount(mlopt.tensor([1, -1]))
    with pytest.raises(RuntimeError,
                       match=r"boundaries tensor \[2, 3\] and input value tensor \[3, 3\]"):
        mlopt.searchsorted(x, mlopt.ones(3, 3))
    with pytest.raises(RuntimeError, match="masked_scatter: expected source to have at least"):
        mlopt.masked_scatter(x, x > 0, mlopt.ones(5))
    with pytest.raises(RuntimeError, match="number of sections must be larger than 0"):
        mlopt.tensor_split(x, 0)
    with pytest.raises(RuntimeError, match="expected rotation dims to be different"):
        mlopt.rot90(x, 1, (1, 1))
    with pytest.raises(RuntimeError, match="cdist only supports at least 2D tensors, X1 got: 1D"):
        mlopt.cdist(mlopt.ones(3), x)
    with pytest.raises(RuntimeError,
                       match="X1 and X2 must have the same number of columns. X1: 3 X2: 2"):
        mlopt.cdist(x, mlopt.ones(2, 2))
    with pytest.raises(IndexError,
                       match="aminmax\\(\\): Expected reduction dim 1 to have non-zero size"):
        mlopt.aminmax(mlopt.ones(2, 0), dim=1)
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point"):
        mlopt.nanmean(mlopt.tensor([1, 2]))
    with pytest.raises(IndexError, match="index -1 is out of bounds for size 3"):
        x.index_fill(1, mlopt.tensor([-1]), 0.0)
    with pytest.raises(RuntimeError, match="order must be non-negative"):
        mlopt.diff(x, -1)
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha"):
        mlopt.addmm(mlopt.ones(2, 2, dtype=mlopt.int64), mlopt.ones(2, 2, dtype=mlopt.int64),
                    mlopt.ones(2, 2, dtype=mlopt.int64), alpha=0.5)


# ---- @mlopt.compile -------------------------------------------------------------------

COMPILED = {
    "special": lambda x: mlopt.lgamma(x.abs() + 0.1) + mlopt.digamma(x.abs() + 0.1)
    + mlopt.erfinv(x * 0.2) + mlopt.sinh(x) + mlopt.atanh(x * 0.1),
    "scans": lambda x: mlopt.cumprod(x, 1) + mlopt.cummax(x, 1).values
    + mlopt.logcumsumexp(x, 0) + mlopt.cummin(x, 0).indices,
    "scatters": lambda x: x.scatter(0, mlopt.tensor([[0, 1, 2, 3, 0], [3, 2, 1, 0, 2]]),
                                    x[:2] * 2)
    + x.scatter_reduce(0, mlopt.tensor([[0, 1, 2, 3, 0], [0, 0, 1, 1, 2]]), x[:2], "amax"),
    "products": lambda x: mlopt.addmm(x[:, :4], x, x.T[:, :4], beta=0.5)
    + mlopt.kron(x[:2, :2], x[:2, :2]).sum() + mlopt.cdist(x, x[:2]).sum(),
    "search": lambda x: mlopt.searchsorted(mlopt.tensor([-1.0, 0.0, 1.0]), x),
    "views": lambda x: x.diagonal(1) * 2 + mlopt.trace(x[:, :4])
    + mlopt.linalg.vector_norm(x, 3, dim=1),
}


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_matches_eager(name):
    fn = COMPILED[name]
    x = mlopt.tensor(RNG.standard_normal((4, 5)))
    compiled = mlopt.compile(fn, fullgraph=True)
    np.testing.assert_allclose(compiled(x).numpy(), fn(x).numpy(), rtol=1e-12, atol=1e-12)


def test_compiled_gradients_match_eager():
    def loss(x):
        return (mlopt.sinh(x) * mlopt.cumprod(x, 1)).sum() + mlopt.lgamma(x.abs() + 1).sum()

    x = mlopt.tensor(RNG.standard_normal((3, 4)))
    compiled = mlopt.compile(mlopt.grad(loss))
    eager = x.clone().requires_grad_()
    loss(eager).backward()
    np.testing.assert_allclose(compiled(x).numpy(), eager.grad.numpy(), rtol=1e-12)


def test_data_dependent_ones_end_the_trace_with_a_reason():
    x = mlopt.tensor(RNG.standard_normal((4, 5)))
    compiled = mlopt.compile(lambda x: mlopt.median(x, 1).values * 2)
    np.testing.assert_allclose(compiled(x).numpy(), mlopt.median(x, 1).values.numpy() * 2)
    assert any("median needs a concrete value" in r for r in compiled.reasons)


# ---- settings: backends, threads, random state, determinism -----------------------

def test_backends_flags():
    import mlopt.backends.cudnn as cudnn
    assert cudnn.is_available() is False and cudnn.enabled is True
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert mlopt.backends.cudnn.benchmark and mlopt.backends.cudnn.deterministic
        with cudnn.flags(enabled=False):
            assert not cudnn.enabled
        assert cudnn.enabled
    finally:
        cudnn.benchmark, cudnn.deterministic = saved
    assert mlopt.backends.mps.is_available() is False
    assert mlopt.backends.mkldnn.is_available() is False
    assert mlopt.backends.cuda.is_built() is True
    assert mlopt.backends.openmp.is_available() is True
    assert mlopt.backends.cudnn.allow_tf32 is True


def test_matmul_precision_is_tied_to_allow_tf32():
    assert mlopt.get_float32_matmul_precision() == "highest"
    assert mlopt.backends.cuda.matmul.allow_tf32 is False
    try:
        mlopt.backends.cuda.matmul.allow_tf32 = True
        assert mlopt.get_float32_matmul_precision() == "high"
        mlopt.set_float32_matmul_precision("medium")
        assert mlopt.backends.cuda.matmul.allow_tf32 is True
        with pytest.raises(RuntimeError, match="Invalid precision"):
            mlopt.set_float32_matmul_precision("low")
    finally:
        mlopt.set_float32_matmul_precision("highest")
    assert mlopt.backends.cuda.matmul.allow_tf32 is False


def test_deterministic_algorithms_flag():
    assert mlopt.are_deterministic_algorithms_enabled() is False
    try:
        mlopt.use_deterministic_algorithms(True, warn_only=True)
        assert mlopt.are_deterministic_algorithms_enabled()
        assert mlopt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        mlopt.use_deterministic_algorithms(False)
    assert not mlopt.are_deterministic_algorithms_enabled()


def test_num_threads_reach_the_runtime():
    before = mlopt.get_num_threads()
    try:
        mlopt.set_num_threads(1)
        assert mlopt.get_num_threads() == 1
        x = mlopt.randn(64, 64)
        np.testing.assert_allclose((x @ x).numpy(), x.numpy() @ x.numpy(), rtol=1e-4,
                                   atol=1e-4)
    finally:
        mlopt.set_num_threads(before)
    assert mlopt.get_num_threads() == before
    with pytest.raises(RuntimeError, match="positive integer"):
        mlopt.set_num_threads(0)
    mlopt.set_num_interop_threads(3)
    assert mlopt.get_num_interop_threads() == 3


def test_rng_state_round_trip_repeats_the_numbers():
    mlopt.manual_seed(7)
    assert mlopt.initial_seed() == 7
    state = mlopt.get_rng_state()
    assert state.dtype is mlopt.int64
    first = (mlopt.rand(4), mlopt.randn(2, 3), mlopt.randint(0, 100, (5,)), mlopt.randperm(6))
    mlopt.set_rng_state(state)
    again = (mlopt.rand(4), mlopt.randn(2, 3), mlopt.randint(0, 100, (5,)), mlopt.randperm(6))
    for a, b in zip(first, again):
        assert a.tolist() == b.tolist()
    with mlopt.random.fork_rng():
        mlopt.rand(10)
    after_fork = mlopt.rand(3)
    mlopt.set_rng_state(state)
    mlopt.rand(4), mlopt.randn(2, 3), mlopt.randint(0, 100, (5,)), mlopt.randperm(6)
    assert mlopt.rand(3).tolist() == after_fork.tolist()
    s = mlopt.seed()
    assert mlopt.initial_seed() == s
    g = mlopt.Generator().manual_seed(3)
    gs = g.get_state()
    a = mlopt.randn(4, generator=g)
    g.set_state(gs)
    assert mlopt.randn(4, generator=g).tolist() == a.tolist()
    with pytest.raises(RuntimeError, match="expected a state made by mlopt.get_rng_state"):
        mlopt.set_rng_state(mlopt.zeros(3, dtype=mlopt.int64))
    mlopt.cuda.manual_seed_all(0)  # accepted
