"""PyTorch's pooling options (ceil_mode, return_indices, count_include_pad,
divisor_override), RMSNorm, RReLU, PReLU/Unflatten errors, weight_norm (hook
and parametrization forms), forward (pre-)hooks and MultiMarginLoss: against
NumPy in float64, finite differences, and PyTorch where it is installed."""
import math
import warnings

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
import mlopt.nn.functional as F
from mlopt.nn.utils.weight_norm import _weight_norm
from mlopt.testing import gradcheck


def _t(a, grad=False):
    t = mlopt.tensor(np.asarray(a))
    return t.requires_grad_() if grad else t


def _np(t):
    return t.detach().numpy()


# ---- NumPy pooling references, PyTorch's CPU kernels loop for loop --------------------------
def _out_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _np_max_pool2d(x, k, s, p, d, ceil_mode):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, dh, ceil_mode), _out_size(w, kw, sw, pw, dw, ceil_mode)
    out, idx = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    h0, w0 = i * sh - ph, j * sw - pw
                    h1, w1 = min(h0 + (kh - 1) * dh + 1, h), min(w0 + (kw - 1) * dw + 1, w)
                    while h0 < 0:
                        h0 += dh
                    while w0 < 0:
                        w0 += dw
                    best, where = -np.inf, h0 * w + w0
                    for y in range(h0, h1, dh):
                        for z in range(w0, w1, dw):
                            v = x[b, ch, y, z]
                            if v > best or np.isnan(v):
                                best, where = v, y * w + z
                    out[b, ch, i, j], idx[b, ch, i, j] = best, where
    return out, idx


def _np_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, 1, ceil_mode), _out_size(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0:h1, w0:w1].sum((-2, -1))
            div = divisor_override or (size if count_include_pad else (h1 - h0) * (w1 - w0))
            out[:, :, i, j] = total / div
    return out


MAX_CASES = [  # kernel, stride, padding, dilation, ceil_mode, (H, W)
    ((3, 3), (2, 2), (1, 1), (1, 1), True, (7, 8)),
    ((3, 2), (2, 3), (0, 1), (1, 1), True, (6, 9)),
    ((2, 2), (2, 2), (0, 0), (1, 1), True, (5, 5)),
    ((3, 3), (2, 2), (1, 0), (2, 1), True, (8, 7)),
    ((2, 3), (3, 2), (1, 1), (1, 2), False, (7, 7)),
    ((4, 4), (3, 3), (2, 2), (1, 1), True, (6, 6)),
]


@pytest.mark.parametrize("k,s,p,d,ceil_mode,hw", MAX_CASES)
def test_max_pool2d_ceil_mode_and_indices_match_numpy(k, s, p, d, ceil_mode, hw):
    x = np.random.default_rng(0).standard_normal((2, 3) + hw)
    x[0, 0, :2, :2] = 1.5  # ties: the first wins
    want, want_idx = _np_max_pool2d(x, k, s, p, d, ceil_mode)
    out, idx = F.max_pool2d(_t(x), k, s, p, d, ceil_mode=ceil_mode, return_indices=True)
    np.testing.assert_array_equal(_np(out), want)
    assert idx.dtype == mlopt.int64
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    np.testing.assert_array_equal(_np(F.max_pool2d(_t(x), k, s, p, d, ceil_mode)), want)
    m = nn.MaxPool2d(k, s, p, d, return_indices=True, ceil_mode=ceil_mode)
    out3, idx3 = m(_t(x[0]))  # unbatched
    np.testing.assert_array_equal(_np(out3), want[0])
    np.testing.assert_array_equal(idx3.numpy(), want_idx[0])
    gradcheck(lambda v: F.max_pool2d(v, k, s, p, d, ceil_mode), [_t(x[1:, :1])])  # no ties


def test_max_pool2d_indices_nan_and_all_minus_inf():
    x = np.array([[[[1.0, np.nan, 3.0], [np.nan, 0.0, -1.0], [2.0, 5.0, 4.0]]]])
    out, idx = F.max_pool2d(_t(x), 2, 1, return_indices=True)
    want, want_idx = _np_max_pool2d(x, (2, 2), (1, 1), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(_np(out), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    x = np.full((1, 1, 3, 3), -np.inf)
    out, idx = F.max_pool2d(_t(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), _np_max_pool2d(x, (3, 3), (2, 2), (1, 1),
                                                              (1, 1), True)[1])


AVG_CASES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, (H, W)
    ((3, 3), (2, 2), (1, 1), True, True, None, (7, 8)),
    ((3, 3), (2, 2), (1, 1), True, False, None, (7, 8)),
    ((3, 2), (2, 3), (1, 0), False, False, None, (6, 9)),
    ((2, 2), (2, 2), (0, 0), True, True, None, (5, 5)),
    ((2, 2), (2, 2), (1, 1), True, False, 3, (5, 4)),
    ((4, 4), (3, 3), (2, 2), True, True, None, (6, 6)),
    ((3, 3), (1, 1), (1, 1), False, True, 5, (4, 5)),
]


@pytest.mark.parametrize("k,s,p,ceil_mode,cip,div,hw", AVG_CASES)
def test_avg_pool2d_options_match_numpy(k, s, p, ceil_mode, cip, div, hw):
    x = np.random.default_rng(1).standard_normal((2, 3) + hw)
    want = _np_avg_pool2d(x, k, s, p, ceil_mode, cip, div)
    got = F.avg_pool2d(_t(x), k, s, p, ceil_mode, cip, div)
    np.testing.assert_allclose(_np(got), want, rtol=1e-12, atol=1e-15)
    m = nn.AvgPool2d(k, s, p, ceil_mode=ceil_mode, count_include_pad=cip, divisor_override=div)
    np.testing.assert_allclose(_np(m(_t(x[1]))), want[1], rtol=1e-12, atol=1e-15)
    gradcheck(lambda v: F.avg_pool2d(v, k, s, p, ceil_mode, cip, div), [_t(x[:1, :1])])


def test_pool1d_options_match_numpy():
    x = np.random.default_rng(2).standard_normal((2, 3, 10))
    x4 = x[:, :, None, :]
    for k, s, p, d in [(3, 2, 1, 1), (2, 3, 1, 2), (4, 3, 2, 1), (3, 3, 0, 1)]:
        want, want_idx = _np_max_pool2d(x4, (1, k), (1, s), (0, p), (1, d), True)
        out, idx = F.max_pool1d(_t(x), k, s, p, d, ceil_mode=True, return_indices=True)
        np.testing.assert_array_equal(_np(out), want[:, :, 0])
        np.testing.assert_array_equal(idx.numpy(), want_idx[:, :, 0])
        out, idx = nn.MaxPool1d(k, s, p, d, return_indices=True, ceil_mode=True)(_t(x[0]))
        np.testing.assert_array_equal(idx.numpy(), want_idx[0, :, 0])
        if d == 1:
            for cip in (True, False):
                want = _np_avg_pool2d(x4, (1, k), (1, s), (0, p), True, cip, None)[:, :, 0]
                np.testing.assert_allclose(_np(F.avg_pool1d(_t(x), k, s, p, True, cip)), want,
                                           rtol=1e-12)
                m = nn.AvgPool1d(k, s, p, ceil_mode=True, count_include_pad=cip)
                np.testing.assert_allclose(_np(m(_t(x))), want, rtol=1e-12)
    gradcheck(lambda v: F.max_pool1d(v, 3, 2, 1, ceil_mode=True), [_t(x[:1])])
    gradcheck(lambda v: F.avg_pool1d(v, 3, 2, 1, True, False), [_t(x[:1])])


def _adaptive_bounds(size, out):
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def test_adaptive_max_pool_return_indices_match_numpy():
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 10))
    x[0, 0, 0:3, 0:4] = 2.5  # a tie over several rows: the first in row-major order
    for out in [(3, 4), (7, 10), (1, 1), (5, None), 4]:
        oh, ow = (out, out) if isinstance(out, int) else out
        oh, ow = oh or 7, ow or 10
        want = np.zeros((2, 3, oh, ow))
        want_idx = np.zeros((2, 3, oh, ow), dtype=np.int64)
        for i, (a, b) in enumerate(_adaptive_bounds(7, oh)):
            for j, (c, e) in enumerate(_adaptive_bounds(10, ow)):
                window = x[..., a:b, c:e].reshape(2, 3, -1)
                flat = window.argmax(-1)
                want[..., i, j] = window.max(-1)
                want_idx[..., i, j] = (a + flat // (e - c)) * 10 + c + flat % (e - c)
        got, idx = F.adaptive_max_pool2d(_t(x), out, return_indices=True)
        np.testing.assert_array_equal(_np(got), want)
        np.testing.assert_array_equal(idx.numpy(), want_idx)
        got, idx = nn.AdaptiveMaxPool2d(out, return_indices=True)(_t(x[1]))
        np.testing.assert_array_equal(idx.numpy(), want_idx[1])
    got, idx = F.adaptive_max_pool1d(_t(x[:, :, 0]), 3, return_indices=True)
    bounds = _adaptive_bounds(10, 3)
    np.testing.assert_array_equal(idx.numpy(), np.stack([x[:, :, 0, a:b].argmax(-1) + a
                                                         for a, b in bounds], -1))
    gradcheck(lambda v: F.adaptive_max_pool2d(v, (3, 4), return_indices=True)[0],
              [_t(x[1:, :1])])  # no ties


def test_pooling_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.avg_pool2d(mlopt.ones(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(mlopt.ones(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(mlopt.ones(1, 1, 2, 2), 3)


# ---- RMSNorm, RReLU, PReLU, Unflatten --------------------------------------------------------
def test_rms_norm_matches_numpy_and_gradients():
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    w = np.random.default_rng(5).standard_normal((4, 5))
    m = nn.RMSNorm([4, 5])
    assert [n for n, _ in m.named_parameters()] == ["weight"] and m.eps is None
    m = m.double()
    with mlopt.no_grad():
        m.weight.copy_(_t(w))
    eps = np.finfo(np.float64).eps
    want = x / np.sqrt((x * x).mean((-2, -1), keepdims=True) + eps) * w
    np.testing.assert_allclose(_np(m(_t(x))), want, rtol=1e-12)
    np.testing.assert_allclose(_np(F.rms_norm(_t(x), (4, 5), _t(w), eps=eps)), want, rtol=1e-12)
    # eps None: finfo(float32).eps for a float32 input
    x32 = np.full((1, 3), 1e-4, dtype=np.float32)
    want32 = x32 / np.sqrt((x32 * x32).mean(-1, keepdims=True) + np.finfo(np.float32).eps)
    np.testing.assert_allclose(_np(nn.RMSNorm(3, elementwise_affine=False)(_t(x32))), want32,
                               rtol=1e-5)
    assert nn.RMSNorm(3, elementwise_affine=False).weight is None
    gradcheck(lambda v, g: F.rms_norm(v, (5,), g, 1e-6), [_t(x[0, 0]), _t(w[0])])
    assert "eps=1e-05" in repr(nn.RMSNorm(3, eps=1e-5))


def test_rrelu_train_and_eval():
    x = np.linspace(-3, 3, 601)
    m = nn.RReLU(0.1, 0.3)
    np.testing.assert_allclose(_np(m.eval()(_t(x))), np.where(x > 0, x, 0.2 * x), rtol=1e-14)
    np.testing.assert_allclose(_np(F.rrelu(_t(x), 0.1, 0.3)), np.where(x > 0, x, 0.2 * x))
    v = _t(x, True)
    out = F.rrelu(v, 0.1, 0.3, training=True)
    out.sum().backward()
    got, slope = _np(out), v.grad.numpy()
    pos = x > 0
    np.testing.assert_array_equal(got[pos], x[pos])
    assert np.all(slope[pos] == 1.0)
    assert np.all((slope[~pos] >= 0.1) & (slope[~pos] <= 0.3))
    assert np.unique(slope[~pos]).size > 100  # one slope per element
    np.testing.assert_allclose(got[~pos], slope[~pos] * x[~pos], rtol=1e-14)
    y = _t(x.copy())
    F.rrelu(y, 0.1, 0.3, inplace=True)
    np.testing.assert_allclose(y.numpy(), np.where(x > 0, x, 0.2 * x))
    assert m.train().training and "lower=0.1, upper=0.3" in repr(m)


def test_prelu_and_unflatten_errors():
    with pytest.raises(RuntimeError, match=r"Mismatch of parameter numbers and input channel "
                                           r"size. Found parameter numbers = 3 and channel size "
                                           r"= 1"):
        nn.PReLU(3)(mlopt.randn(3))
    with pytest.raises(RuntimeError, match=r"parameter numbers = 3 and channel size = 4"):
        nn.PReLU(3)(mlopt.randn(2, 4))
    assert tuple(nn.PReLU()(mlopt.randn(3)).shape) == (3,)
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 2, 2\] don't "
                                           r"multiply up to the size of dim 1 \(7\) in the input"):
        nn.Unflatten(1, (2, 2, 2))(mlopt.randn(3, 7))
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, -1\]"):
        nn.Unflatten(1, (2, -1))(mlopt.randn(3, 7))
    assert tuple(nn.Unflatten(1, (2, -1))(mlopt.randn(3, 8)).shape) == (3, 2, 4)


# ---- weight_norm --------------------------------------------------------------------------------
def _np_weight_norm(g, v, dim):
    if dim is None or dim == -1:
        return v * g / np.sqrt((v * v).sum())
    axes = tuple(i for i in range(v.ndim) if i != dim % v.ndim)
    return v * g / np.sqrt((v * v).sum(axes, keepdims=True))


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_hook_form(dim):
    m = nn.Conv2d(3, 4, 3).double()
    w0 = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match="deprecated"):
        assert nn.utils.weight_norm(m, dim=dim) is m
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-12)  # unchanged at first
    g_shape = {0: (4, 1, 1, 1), 1: (1, 3, 1, 1), None: ()}[dim]
    assert tuple(m.weight_g.shape) == g_shape
    rng = np.random.default_rng(6)
    with mlopt.no_grad():
        m.weight_g.copy_(_t(rng.uniform(0.5, 2, g_shape)))
    x = _t(rng.standard_normal((2, 3, 5, 5)))
    out = m(x)  # the pre-hook recomputes the weight
    want_w = _np_weight_norm(_np(m.weight_g), _np(m.weight_v), dim)
    np.testing.assert_allclose(_np(m.weight), want_w, rtol=1e-12)
    out.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    # the gradients reach g and v through the recomputed weight: as computing it by hand
    g, v = _t(_np(m.weight_g), True), _t(_np(m.weight_v), True)
    F.conv2d(x, _weight_norm(v, g, -1 if dim is None else dim), m.bias).sum().backward()
    np.testing.assert_allclose(m.weight_g.grad.numpy(), g.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.weight_v.grad.numpy(), v.grad.numpy(), rtol=1e-12)
    gradcheck(lambda g, v: _weight_norm(v, g, -1 if dim is None else dim),
              [_t(_np(m.weight_g)), _t(_np(m.weight_v))])
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nn.utils.weight_norm(m, dim=dim)
    assert nn.utils.remove_weight_norm(m) is m
    assert list(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), want_w, rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)


def test_weight_norm_parametrization_form():
    m = nn.Linear(4, 3).double()
    w0 = _np(m.weight).copy()
    assert nn.utils.parametrizations.weight_norm(m) is m
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    assert nn.utils.parametrize.is_parametrized(m, "weight")
    plist = m.parametrizations.weight
    np.testing.assert_allclose(_np(plist.original0), np.sqrt((w0 * w0).sum(1, keepdims=True)),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-12)
    rng = np.random.default_rng(7)
    with mlopt.no_grad():
        plist.original0.copy_(_t(rng.uniform(0.5, 2, (3, 1))))
    want_w = _np_weight_norm(_np(plist.original0), _np(plist.original1), 0)
    np.testing.assert_allclose(_np(m.weight), want_w, rtol=1e-12)
    x = _t(rng.standard_normal((5, 4)))
    np.testing.assert_allclose(_np(m(x)), _np(x) @ want_w.T + _np(m.bias), rtol=1e-12)
    m(x).sum().backward()
    assert plist.original0.grad is not None and plist.original1.grad is not None
    # assigning the weight goes through right_inverse
    m.weight = _t(w0)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-12)
    nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-12)


# ---- forward hooks ------------------------------------------------------------------------------
def test_forward_pre_hooks_and_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", len(args))))
    h2 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h3 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    x = mlopt.randn(3, 2)
    out = m(x)
    np.testing.assert_allclose(_np(out), np.broadcast_to(_np(m.bias), (3, 2)), rtol=1e-6)
    assert calls == [("pre", 1), ("post", (3, 2))]
    h2.remove()
    h2.remove()  # twice is fine
    h4 = m.register_forward_hook(lambda mod, args, out: out * 2)
    np.testing.assert_allclose(_np(m(x)), 2 * _np(F.linear(x, m.weight, m.bias)), rtol=1e-6)
    for h in (h1, h3, h4):
        h.remove()
    calls.clear()
    np.testing.assert_allclose(_np(m(x)), _np(F.linear(x, m.weight, m.bias)))
    assert calls == []
    # a bare return (not a tuple) becomes the single argument; prepend runs first
    order = []
    m.register_forward_pre_hook(lambda mod, args: order.append("a"))
    with m.register_forward_pre_hook(lambda mod, args: order.append("b"), prepend=True):
        m(x)
    m(x)
    assert order == ["b", "a", "a"]
    m2 = nn.Linear(2, 2)
    m2.register_forward_pre_hook(lambda mod, args: args[0] + 1)
    np.testing.assert_allclose(_np(m2(x)), _np(F.linear(x + 1, m2.weight, m2.bias)), rtol=1e-6)
    # with_kwargs and always_call
    seen = []

    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            if scale < 0:
                raise ValueError("negative")
            return x * scale

    s = Scale()
    s.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}),
                                with_kwargs=True)
    s.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs["scale"]),
                            with_kwargs=True)
    np.testing.assert_allclose(_np(s(x, scale=2.0)), 3 * _np(x), rtol=1e-6)
    assert seen == [3.0]
    t = Scale()
    t.register_forward_hook(lambda mod, args, out: seen.append("always"), always_call=True)
    with pytest.raises(ValueError, match="negative"):
        t(x, -1.0)
    assert seen[-1] == "always"


# ---- MultiMarginLoss ----------------------------------------------------------------------------
def _np_multi_margin(x, y, p, margin, weight, reduction):
    x2 = x.reshape(-1, x.shape[-1])
    losses = []
    for row, t in zip(x2, np.atleast_1d(y)):
        z = np.maximum(0, margin - row[t] + row) ** p
        if weight is not None:
            z = z * weight[t]
        z[t] = 0
        losses.append(z.sum() / x2.shape[1])
    losses = np.array(losses)
    if x.ndim == 1:
        losses = losses.reshape(())
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multi_margin_loss_matches_numpy_and_gradients(p, reduction):
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    w = rng.uniform(0.5, 2, 4)
    for weight, margin in [(None, 1.0), (w, 0.7)]:
        want = _np_multi_margin(x, y, p, margin, weight, reduction)
        loss = nn.MultiMarginLoss(p, margin, None if weight is None else _t(weight),
                                  reduction=reduction)
        np.testing.assert_allclose(_np(loss(_t(x), _t(y))), want, rtol=1e-12)
        gradcheck(lambda v: F.multi_margin_loss(v, _t(y), p, margin,
                                                None if weight is None else _t(weight),
                                                reduction=reduction), [_t(x)])
    np.testing.assert_allclose(_np(F.multi_margin_loss(_t(x[0]), _t(y[0]), p,
                                                       reduction=reduction)),
                               _np_multi_margin(x[0], y[0], p, 1.0, None, reduction), rtol=1e-12)


def test_multi_margin_loss_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(mlopt.randn(3, 4), mlopt.tensor([0, 1, 2]), p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(mlopt.randn(3, 4), mlopt.tensor([0, 1, 2]), weight=mlopt.ones(2, 2))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(mlopt.randn(3, 4), mlopt.tensor([0, 1, 5]))
    assert list(nn.MultiMarginLoss(weight=mlopt.ones(3)).state_dict()) == ["weight"]


# ---- PyTorch ------------------------------------------------------------------------------------
def _both(x):
    torch = pytest.importorskip("torch")
    return _t(x, True), torch.tensor(x, requires_grad=True)


def _compare(torch, mo, to, mx, tx, rtol=1e-12, seed=9):
    np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=rtol, atol=1e-14)
    g = np.random.default_rng(seed).standard_normal(tuple(to.shape))
    (mo * _t(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-14)


def test_pooling_options_match_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(10)
    for k, s, p, d, ceil_mode, hw in MAX_CASES:
        x = rng.standard_normal((2, 2) + hw)
        x[0, 0, :2, :3] = 0.5  # ties
        x[1, 1, 1, 1] = np.nan
        mx, tx = _both(x)
        (mo, mi), (to, ti) = (f(v, k, s, p, d, ceil_mode, True)
                              for f, v in ((F.max_pool2d, mx), (tf.max_pool2d, tx)))
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
        _compare(torch, mo, to, mx, tx)
        tm = torch.nn.MaxPool2d(k, s, p, d, return_indices=True, ceil_mode=ceil_mode)
        mm = nn.MaxPool2d(k, s, p, d, return_indices=True, ceil_mode=ceil_mode)
        np.testing.assert_array_equal(mm(_t(x[0]))[1].numpy(), tm(torch.tensor(x[0]))[1].numpy())
        assert repr(mm) == repr(tm)
    for k, s, p, ceil_mode, cip, div, hw in AVG_CASES:
        x = rng.standard_normal((2, 2) + hw)
        mx, tx = _both(x)
        _compare(torch, F.avg_pool2d(mx, k, s, p, ceil_mode, cip, div),
                 tf.avg_pool2d(tx, k, s, p, ceil_mode, cip, div), mx, tx)
        m = nn.AvgPool2d(k, s, p, ceil_mode, cip, div)
        t = torch.nn.AvgPool2d(k, s, p, ceil_mode, cip, div)
        np.testing.assert_allclose(_np(m(_t(x))), t(torch.tensor(x)).numpy(), rtol=1e-12)
    for k, s, p, d in [(3, 2, 1, 1), (2, 3, 1, 2), (4, 3, 2, 1)]:
        x = rng.standard_normal((2, 3, 10))
        mx, tx = _both(x)
        (mo, mi), (to, ti) = (f(v, k, s, p, d, True, True)
                              for f, v in ((F.max_pool1d, mx), (tf.max_pool1d, tx)))
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
        _compare(torch, mo, to, mx, tx)
        if d == 1:
            mx, tx = _both(x)
            _compare(torch, F.avg_pool1d(mx, k, s, p, True, False),
                     tf.avg_pool1d(tx, k, s, p, True, False), mx, tx)
    for out in [(3, 4), (2, None), 5]:
        x = rng.standard_normal((2, 3, 7, 10))
        x[0, 0, :4, :5] = 1.0
        mx, tx = _both(x)
        (mo, mi), (to, ti) = (f(v, out, True) for f, v in ((F.adaptive_max_pool2d, mx),
                                                            (tf.adaptive_max_pool2d, tx)))
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
        _compare(torch, mo, to, mx, tx)
        (mo, mi), (to, ti) = (m(out if isinstance(out, int) else 3, return_indices=True)(v[0, 0])
                              for m, v in ((nn.AdaptiveMaxPool1d, _t(x)),
                                           (torch.nn.AdaptiveMaxPool1d, torch.tensor(x))))
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e).split("\n")[0]
    return None, None


def test_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda: nn.PReLU(3)(mlopt.randn(3)), lambda: torch.nn.PReLU(3)(torch.randn(3))),
        (lambda: nn.PReLU(3)(mlopt.randn(2, 4)), lambda: torch.nn.PReLU(3)(torch.randn(2, 4))),
        (lambda: nn.Unflatten(1, (2, 2, 2))(mlopt.randn(3, 7)),
         lambda: torch.nn.Unflatten(1, (2, 2, 2))(torch.randn(3, 7))),
        (lambda: nn.Unflatten(1, (2, -1))(mlopt.randn(3, 7)),
         lambda: torch.nn.Unflatten(1, (2, -1))(torch.randn(3, 7))),
        (lambda: nn.MultiMarginLoss(p=3), lambda: torch.nn.MultiMarginLoss(p=3)),
        (lambda: F.multi_margin_loss(mlopt.randn(3, 4), mlopt.tensor([0, 1, 2]),
                                     weight=mlopt.ones(2, 2)),
         lambda: torch.nn.functional.multi_margin_loss(torch.randn(3, 4), torch.tensor([0, 1, 2]),
                                                       weight=torch.ones(2, 2))),
        (lambda: F.multi_margin_loss(mlopt.randn(3, 4), mlopt.tensor([0, 1, 5])),
         lambda: torch.nn.functional.multi_margin_loss(torch.randn(3, 4),
                                                       torch.tensor([0, 1, 5]))),
        (lambda: F.avg_pool2d(mlopt.ones(1, 1, 5, 5), 3, padding=2),
         lambda: torch.nn.functional.avg_pool2d(torch.ones(1, 1, 5, 5), 3, padding=2)),
        (lambda: F.max_pool2d(mlopt.ones(1, 1, 2, 2), 3),
         lambda: torch.nn.functional.max_pool2d(torch.ones(1, 1, 2, 2), 3)),
    ]
    for ours, theirs in cases:
        (mt, mm), (tt, tm) = _error(ours), _error(theirs)
        assert tt is not None and mt is tt, (mm, tm)
        assert mm.startswith(tm.rstrip(".")), (mm, tm)


def test_rms_norm_and_rrelu_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((3, 4, 5)), rng.standard_normal(5)
    m, t = nn.RMSNorm(5).double(), torch.nn.RMSNorm(5).double()
    t.load_state_dict({"weight": torch.tensor(w)})
    m.load_state_dict({k: _t(v.numpy()) for k, v in t.state_dict().items()})
    mx, tx = _both(x)
    _compare(torch, m(mx), t(tx), mx, tx)
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12)
    x32 = (rng.standard_normal((2, 6)) * 1e-4).astype(np.float32)
    np.testing.assert_allclose(_np(F.rms_norm(_t(x32), (6,))),
                               torch.nn.functional.rms_norm(torch.tensor(x32), (6,)).numpy(),
                               rtol=1e-5)
    assert repr(nn.RMSNorm([2, 3], eps=1e-6)) == repr(torch.nn.RMSNorm([2, 3], eps=1e-6))
    mx, tx = _both(rng.standard_normal((4, 5)))
    _compare(torch, nn.RReLU(0.2, 0.4).eval()(mx), torch.nn.RReLU(0.2, 0.4).eval()(tx), mx, tx)
    assert repr(nn.RReLU(0.2, 0.4)) == repr(torch.nn.RReLU(0.2, 0.4))


def test_multi_margin_loss_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    x, y, w = rng.standard_normal((6, 5)), rng.integers(0, 5, 6), rng.uniform(0.5, 2, 5)
    for p in (1, 2):
        for weight in (None, w):
            for reduction in ("mean", "sum", "none"):
                for rows in (slice(None), 0):
                    mx, tx = _both(x[rows])
                    mo = nn.MultiMarginLoss(p, 0.8, None if weight is None else _t(weight),
                                            reduction=reduction)(mx, _t(y[rows]))
                    to = torch.nn.MultiMarginLoss(
                        p, 0.8, None if weight is None else torch.tensor(weight),
                        reduction=reduction)(tx, torch.tensor(y[rows]))
                    assert tuple(mo.shape) == tuple(to.shape)
                    _compare(torch, mo, to, mx, tx)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_loads_pytorch_state_dicts(dim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 3, 6, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.utils.weight_norm(torch.nn.Conv2d(3, 4, 3).double(), dim=dim)
        m = nn.utils.weight_norm(nn.Conv2d(3, 4, 3).double(), dim=dim)
    with torch.no_grad():
        t.weight_g.mul_(torch.tensor(rng.uniform(0.5, 2, tuple(t.weight_g.shape))))
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: _t(v.numpy()) for k, v in t.state_dict().items()})
    mx, tx = _both(x)
    _compare(torch, m(mx), t(tx), mx, tx)
    for name in ("weight_g", "weight_v", "bias"):
        np.testing.assert_allclose(getattr(m, name).grad.numpy(),
                                   getattr(t, name).grad.numpy(), rtol=1e-11)
    # the parametrization form: original0 / original1
    t = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(5, 3).double(), dim=dim)
    m = nn.utils.parametrizations.weight_norm(nn.Linear(5, 3).double(), dim=dim)
    with torch.no_grad():
        t.parametrizations.weight.original0.mul_(2.0)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: _t(v.numpy()) for k, v in t.state_dict().items()})
    mx, tx = _both(rng.standard_normal((4, 5)))
    _compare(torch, m(mx), t(tx), mx, tx)
    for name in ("original0", "original1"):
        np.testing.assert_allclose(getattr(m.parametrizations.weight, name).grad.numpy(),
                                   getattr(t.parametrizations.weight, name).grad.numpy(),
                                   rtol=1e-11)
    # and a PyTorch weight_norm'd module's initial split is the same
    lin = torch.nn.Linear(5, 3).double()
    ours = nn.Linear(5, 3).double()
    ours.load_state_dict({k: _t(v.numpy()) for k, v in lin.state_dict().items()})
    torch.nn.utils.parametrizations.weight_norm(lin, dim=dim)
    nn.utils.parametrizations.weight_norm(ours, dim=dim)
    for k, v in lin.state_dict().items():
        np.testing.assert_allclose(_np(ours.state_dict()[k]), v.numpy(), rtol=1e-12)


def test_weight_norm_attribute_stays_concrete_after_a_compiled_call():
    """The pre-hook sets module.weight inside the trace; after the compiled
    call it is a concrete tensor again (the trace's value would be unusable)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lin = nn.utils.weight_norm(nn.Linear(3, 2))
    x = mlopt.randn(4, 3)
    compiled = mlopt.compile(lambda t: lin(t).sum())
    value = compiled(x)
    assert type(lin.weight) is mlopt.Tensor and lin.weight._buf is not None
    v, g = lin.weight_v.detach().numpy(), lin.weight_g.detach().numpy()
    np.testing.assert_allclose(lin.weight.numpy(), v * g / np.linalg.norm(v, axis=1,
                                                                          keepdims=True),
                               rtol=1e-6)
    assert value.item() == pytest.approx(lin(x).sum().item(), rel=1e-6)
