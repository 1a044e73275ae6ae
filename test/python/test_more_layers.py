"""More of torch.nn: activations, channel dropout, 1-d and adaptive pooling,
pixel shuffles, padding modes, distances, Bilinear, ParameterList/Dict and
more losses, against NumPy in float64, finite differences, and PyTorch
(same inputs, outputs and gradients) where it is installed."""
import math
import warnings

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
import mlopt.nn.functional as F
from mlopt.testing import gradcheck

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _t(a, grad=False):
    t = mlopt.tensor(np.asarray(a))
    return t.requires_grad_() if grad else t


def _np(t):
    return t.detach().numpy()


def _softplus(x):
    return np.logaddexp(0.0, x)


# name, mlopt function, torch function name, kwargs, NumPy reference
ACTIVATIONS = [
    ("relu6", F.relu6, {}, lambda x: np.clip(x, 0, 6)),
    ("hardtanh", F.hardtanh, dict(min_val=-0.5, max_val=2.0), lambda x: np.clip(x, -0.5, 2.0)),
    ("hardsigmoid", F.hardsigmoid, {}, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hardswish", F.hardswish, {}, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("mish", F.mish, {}, lambda x: x * np.tanh(_softplus(x))),
    ("softsign", F.softsign, {}, lambda x: x / (1 + np.abs(x))),
    ("tanhshrink", F.tanhshrink, {}, lambda x: x - np.tanh(x)),
    ("logsigmoid", F.logsigmoid, {}, lambda x: -_softplus(-x)),
    ("softmin", F.softmin, dict(dim=1),
     lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
    ("threshold", F.threshold, dict(threshold=0.25, value=-7.0),
     lambda x: np.where(x > 0.25, x, -7.0)),
    ("celu", F.celu, dict(alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7))),
    ("selu", F.selu, {},
     lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))),
    ("glu", F.glu, dict(dim=1), lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:]))),
    ("hardshrink", F.hardshrink, dict(lambd=0.4), lambda x: np.where(np.abs(x) > 0.4, x, 0)),
    ("softshrink", F.softshrink, dict(lambd=0.4),
     lambda x: np.where(x > 0.4, x - 0.4, np.where(x < -0.4, x + 0.4, 0))),
]
IDS = [a[0] for a in ACTIVATIONS]


def _smooth_input(seed=0, shape=(3, 4)):
    """Values away from every kink of the activations above (0, +-0.4,
    0.25, -0.5, 2, +-3, 6), so finite differences see smooth functions."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-4.5, 7, shape)
    kinks = np.array([0, 0.4, -0.4, 0.25, -0.5, 2, 3, -3, 6, 1, -1])
    near = np.abs(x[..., None] - kinks).min(-1) < 0.05
    return np.where(near, x + 0.1, x)


# Exact kinks: where PyTorch's kernels pick a side.
EDGES = np.array([[-3.0, 3.0, 0.0, 6.0], [-0.5, 2.0, 0.25, -6.0], [0.4, -0.4, 1.0, -1.0]])


@pytest.mark.parametrize("name,fn,kw,ref", ACTIVATIONS, ids=IDS)
def test_activations_match_numpy_and_finite_differences(name, fn, kw, ref):
    x = _smooth_input()
    np.testing.assert_allclose(_np(fn(_t(x), **kw)), ref(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(fn(_t(EDGES), **kw)), ref(EDGES), rtol=1e-12, atol=1e-14)
    gradcheck(lambda v: fn(v, **kw), [_t(x)])


@pytest.mark.parametrize("name,fn,kw,ref", ACTIVATIONS, ids=IDS)
def test_activations_match_pytorch_values_and_gradients(name, fn, kw, ref):
    torch = pytest.importorskip("torch")
    x = np.concatenate([_smooth_input(1), EDGES, [[-40.0, 40.0, 1e-9, -1e-9]]])
    w = np.random.default_rng(2).standard_normal(fn(_t(x), **kw).shape)
    mx, tx = _t(x, grad=True), torch.tensor(x, requires_grad=True)
    mout, tout = fn(mx, **kw), getattr(torch.nn.functional, name)(tx, **kw)
    np.testing.assert_allclose(_np(mout), tout.detach().numpy(), rtol=1e-12, atol=1e-15)
    (mout * _t(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    # PyTorch's hardsigmoid and celu backward use float32 constants (1.0f / 6 and
    # 1 / alpha.toFloat()): its float64 gradients are off by about 1e-8 there.
    rtol = {"hardsigmoid": 1e-7, "celu": 1e-6}.get(name, 1e-12)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-15)


def test_activation_modules_defaults_inplace_and_errors():
    x = _smooth_input()
    for module, ref in [(nn.ReLU6(), np.clip(x, 0, 6)), (nn.Hardtanh(), np.clip(x, -1, 1)),
                        (nn.Hardsigmoid(), np.clip(x + 3, 0, 6) / 6),
                        (nn.Softmin(dim=0), np.exp(-x) / np.exp(-x).sum(0)),
                        (nn.Threshold(1.5, 0.0), np.where(x > 1.5, x, 0.0)),
                        (nn.CELU(), np.where(x > 0, x, np.expm1(x))),
                        (nn.GLU(), x[:, :2] / (1 + np.exp(-x[:, 2:]))),
                        (nn.Mish(), x * np.tanh(_softplus(x))),
                        (nn.LogSigmoid(), -_softplus(-x)), (nn.Softsign(), x / (1 + abs(x))),
                        (nn.Tanhshrink(), x - np.tanh(x)), (nn.Hardswish(), x * np.clip(
                            x + 3, 0, 6) / 6)]:
        np.testing.assert_allclose(_np(module(_t(x))), ref, rtol=1e-12, atol=1e-15)
    y = _t(x.copy())
    assert F.relu6(y, inplace=True) is y
    np.testing.assert_allclose(y.numpy(), np.clip(x, 0, 6))
    z = _t(x.copy())
    nn.SELU(inplace=True)(z)
    np.testing.assert_allclose(z.numpy(), SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(
        np.minimum(x, 0))), rtol=1e-12)
    assert repr(nn.Hardtanh(-2.0, 2.0)) == "Hardtanh(min_val=-2.0, max_val=2.0)"
    with pytest.raises(RuntimeError, match=r"dimension 1 is size 3.*\[2, 3\]"):
        F.glu(mlopt.ones(2, 3), dim=1)
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        F.hardtanh(mlopt.ones(2), 1.0, 0.0)


def test_prelu_parameter_init_channels_and_gradients():
    m = nn.PReLU()
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert tuple(m.weight.shape) == (1,) and m.weight.item() == 0.25
    per_channel = nn.PReLU(num_parameters=3, init=0.1)
    with mlopt.no_grad():
        per_channel.weight.copy_(mlopt.tensor([0.1, -0.5, 2.0]))
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    a = np.array([0.1, -0.5, 2.0]).reshape(1, 3, 1)
    np.testing.assert_allclose(_np(per_channel(_t(x))), np.where(x > 0, x, a * x), rtol=1e-6)
    w = _t([0.1, -0.5, 2.0])
    gradcheck(lambda v, w: F.prelu(v, w), [_t(x), w])
    # 1-d input: a channel size of 1, as PyTorch's
    with pytest.raises(RuntimeError, match=r"parameter numbers = 3 and channel size = 1"):
        F.prelu(_t(x[0, :, 0]), w)
    with pytest.raises(RuntimeError, match=r"parameter numbers = 3 and channel size = 4"):
        F.prelu(mlopt.ones(2, 4), w)


def test_prelu_matches_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 5))
    x[0, 0, :2] = 0.0
    w = np.array([0.3, -0.2, 1.5])
    mx, mw = _t(x, True), _t(w, True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    mo, to = F.prelu(mx, mw), torch.nn.functional.prelu(tx, tw)
    np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=1e-14)
    g = np.random.default_rng(2).standard_normal(x.shape)
    (mo * _t(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(mw.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    assert list(nn.PReLU(3).state_dict()) == list(torch.nn.PReLU(3).state_dict())


# ---- dropout --------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,shape,batched", [(F.dropout1d, (8, 16, 5), True),
                                              (F.dropout1d, (64, 5), False),
                                              (F.dropout2d, (8, 16, 3, 2), True),
                                              (F.dropout3d, (4, 16, 2, 2, 2), True),
                                              (F.dropout3d, (64, 2, 2, 2), False)])
def test_channel_dropout_zeroes_whole_channels(fn, shape, batched):
    mlopt.manual_seed(0)
    x = np.random.default_rng(0).uniform(1, 2, shape)
    out = _np(fn(_t(x), p=0.25))
    rows = shape[0] * shape[1] if batched else shape[0]  # one row per (sample,) channel
    per, xs = out.reshape(rows, -1), x.reshape(rows, -1)
    kept = np.all(per != 0, axis=1)
    assert np.all(np.all(per == 0, axis=1) | kept)  # a channel is all kept or all zero
    np.testing.assert_allclose(per[kept], xs[kept] / 0.75, rtol=1e-12)
    assert 0.1 < 1 - kept.mean() < 0.45, 1 - kept.mean()
    np.testing.assert_array_equal(_np(fn(_t(x), p=0.25, training=False)), x)
    with pytest.raises(ValueError, match="between 0 and 1"):
        fn(_t(x), p=1.5)


def test_dropout_modules_follow_train_and_eval():
    x = _t(np.ones((4, 8, 6, 1)))
    for m in (nn.Dropout1d(0.5), nn.Dropout2d(0.5), nn.Dropout3d(0.5), nn.AlphaDropout(0.5),
              nn.FeatureAlphaDropout(0.5)):
        v = x[..., 0] if isinstance(m, nn.Dropout1d) else x
        m.eval()
        np.testing.assert_array_equal(_np(m(v)), np.ones(tuple(v.shape)))
        m.train()
        assert not np.allclose(_np(m(v)), 1.0)
    with pytest.raises(RuntimeError, match=r"Expected 2D or 3D input.*\[2, 3, 4, 5\]"):
        F.dropout1d(mlopt.ones(2, 3, 4, 5))


def test_alpha_dropout_keeps_selu_statistics():
    mlopt.manual_seed(1)
    p = 0.2
    x = np.random.default_rng(3).standard_normal(40000)
    out = _np(F.alpha_dropout(_t(x), p, training=True))
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped_value = -alpha * a + alpha * a * p
    kept = ~np.isclose(out, dropped_value, rtol=0, atol=1e-15)
    np.testing.assert_allclose(out[kept], a * x[kept] + alpha * a * p, rtol=1e-12)
    assert abs(kept.mean() - (1 - p)) < 0.02
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03
    np.testing.assert_array_equal(_np(F.alpha_dropout(_t(x), p)), x)  # training=False default


# ---- pooling ----------------------------------------------------------------------------------
def _np_pool1d(x, k, s, p, d, op, pad_value):
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(p, p)], constant_values=pad_value)
    n = (xp.shape[-1] - d * (k - 1) - 1) // s + 1
    return np.stack([op(np.stack([xp[..., i * s + j * d] for j in range(k)], -1), -1)
                     for i in range(n)], -1)


def _adaptive_bounds(size, out):
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def test_pool1d_matches_numpy_and_gradients():
    x = np.random.default_rng(4).standard_normal((2, 3, 11))
    for k, s, p, d in [(3, None, 0, 1), (3, 2, 1, 1), (2, 3, 1, 2), (4, 1, 2, 1)]:
        want = _np_pool1d(x, k, s or k, p, d, np.max, -np.inf)
        np.testing.assert_allclose(_np(F.max_pool1d(_t(x), k, s, p, d)), want)
        np.testing.assert_allclose(_np(nn.MaxPool1d(k, s, p, d)(_t(x[0]))), want[0])
        if d == 1:
            want = _np_pool1d(x, k, s or k, p, 1, np.mean, 0.0)
            np.testing.assert_allclose(_np(F.avg_pool1d(_t(x), k, s, p)), want, rtol=1e-12)
            np.testing.assert_allclose(_np(nn.AvgPool1d(k, s, p)(_t(x))), want, rtol=1e-12)
    gradcheck(lambda v: F.max_pool1d(v, 3, 2, 1), [_t(x[:1])])
    gradcheck(lambda v: F.avg_pool1d(v, 3, 2, 1), [_t(x[:1])])
    with pytest.raises(RuntimeError, match=r"Expected 2D or 3D input.*\[11\]"):
        F.max_pool1d(_t(x[0, 0]), 2)


def test_adaptive_pooling_matches_numpy_and_gradients():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 10))
    for out in [(3, 4), (7, 10), (1, 1), (5, None), 4]:
        oh, ow = (out, out) if isinstance(out, int) else out
        oh, ow = oh or 7, ow or 10
        want = np.stack([np.stack([x[..., a:b, c:e].max((-2, -1))
                                   for c, e in _adaptive_bounds(10, ow)], -1)
                         for a, b in _adaptive_bounds(7, oh)], -2)
        np.testing.assert_allclose(_np(F.adaptive_max_pool2d(_t(x), out)), want)
        np.testing.assert_allclose(_np(nn.AdaptiveMaxPool2d(out)(_t(x[0]))), want[0])
    for out in (3, 4, 10, 1):
        bounds = _adaptive_bounds(10, out)
        want = np.stack([x[..., 0, a:b].max(-1) for a, b in bounds], -1)
        np.testing.assert_allclose(_np(F.adaptive_max_pool1d(_t(x[..., 0, :]), out)), want)
        want = np.stack([x[..., 0, a:b].mean(-1) for a, b in bounds], -1)
        np.testing.assert_allclose(_np(nn.AdaptiveAvgPool1d(out)(_t(x[..., 0, :]))), want,
                                   rtol=1e-12)
    gradcheck(lambda v: F.adaptive_max_pool2d(v, (3, 4)), [_t(x[:1, :1])])
    gradcheck(lambda v: F.adaptive_avg_pool1d(v, 3), [_t(x[:1, :, 0])])
    assert F.adaptive_max_pool2d(_t(x), 2, return_indices=True)[1].dtype == mlopt.int64
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got \[10\]"):
        F.adaptive_max_pool2d(_t(x[0, 0, 0]), 2)
    # ties: the first maximum of a window gets the gradient, as PyTorch's scan
    flat = _t(np.array([[[1.0, 5.0, 5.0, 2.0]]]), True)
    F.adaptive_max_pool1d(flat, 1).sum().backward()
    np.testing.assert_array_equal(flat.grad.numpy(), [[[0, 1, 0, 0]]])


def test_pooling_matches_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 9, 7))
    x[0, 0, :3, :3] = 1.0  # ties
    cases = [(lambda v: F.max_pool1d(v, 3, 2, 1, 2), lambda v: tf.max_pool1d(v, 3, 2, 1, 2), 1),
             (lambda v: F.avg_pool1d(v, 4, 2, 2), lambda v: tf.avg_pool1d(v, 4, 2, 2), 1),
             (lambda v: F.adaptive_avg_pool1d(v, 4), lambda v: tf.adaptive_avg_pool1d(v, 4), 1),
             (lambda v: F.adaptive_max_pool1d(v, 3), lambda v: tf.adaptive_max_pool1d(v, 3), 1),
             (lambda v: F.adaptive_max_pool2d(v, (4, 3)),
              lambda v: tf.adaptive_max_pool2d(v, (4, 3)), 2),
             (lambda v: F.adaptive_max_pool2d(v, (None, 2)),
              lambda v: tf.adaptive_max_pool2d(v, (None, 2)), 2)]
    for mfn, tfn, dims in cases:
        a = x[:, :, 0, :] if dims == 1 else x
        mx, tx = _t(a, True), torch.tensor(a, requires_grad=True)
        mo, to = mfn(mx), tfn(tx)
        np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=1e-13)
        g = rng.standard_normal(to.shape)
        (mo * _t(g)).sum().backward()
        (to * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-13, atol=1e-15)


# ---- reshapes and padding ------------------------------------------------------------------
def test_unflatten_and_pixel_shuffles():
    x = np.arange(2 * 12 * 2 * 3, dtype=np.float64).reshape(2, 12, 2, 3)
    assert tuple(nn.Unflatten(1, (3, 4))(_t(x)).shape) == (2, 3, 4, 2, 3)
    r = 2
    want = x.reshape(2, 3, r, r, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(2, 3, 4, 6)
    np.testing.assert_array_equal(_np(F.pixel_shuffle(_t(x), r)), want)
    np.testing.assert_array_equal(_np(nn.PixelShuffle(r)(_t(x[0]))), want[0])
    np.testing.assert_array_equal(_np(nn.PixelUnshuffle(r)(_t(want))), x)
    gradcheck(lambda v: F.pixel_shuffle(v, 2) * mlopt.arange(24.0).reshape(4, 6),
              [_t(x[0, :4] / 10)])
    with pytest.raises(RuntimeError, match=r"divisible by 9.*\[2, 12, 2, 3\]"):
        F.pixel_shuffle(_t(x), 3)
    with pytest.raises(RuntimeError, match=r"\[2, 12, 2, 3\] is not divisible by 2"):
        F.pixel_unshuffle(_t(x[:, :, :, :3]), 2)
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 4)


PADS = [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")]


@pytest.mark.parametrize("mode,np_mode", PADS, ids=[p[0] for p in PADS])
def test_pad_modes_match_numpy(mode, np_mode):
    x = np.random.default_rng(7).standard_normal((2, 3, 4, 5))
    for pad, a in [((1, 2), x[0]), ((3, 0), x[0, 0]), ((2, 1, 3, 0), x), ((0, 3, 1, 2), x[0]),
                   ((1, 2, 0, 1, 1, 1), x), ((1, 2, 0, 1, 1, 1), x[None])]:
        widths = [(0, 0)] * (a.ndim - len(pad) // 2) + [(pad[2 * k], pad[2 * k + 1])
                                                        for k in reversed(range(len(pad) // 2))]
        np.testing.assert_array_equal(_np(F.pad(_t(a), pad, mode=mode)),
                                      np.pad(a, widths, mode=np_mode))
    # 2-d padding of an unbatched (C, H, W) input; negative pads crop
    np.testing.assert_array_equal(_np(F.pad(_t(x[0]), (-1, 2, 1, -1), mode=mode)),
                                  np.pad(x[0], [(0, 0), (1, 0), (0, 2)], np_mode)[:, :-1, 1:])
    gradcheck(lambda v: F.pad(v, (2, 1, 1, 2), mode=mode), [_t(x[:1, :1])])
    with pytest.raises(RuntimeError, match="doesn't take in value"):
        F.pad(_t(x), (1, 1), mode=mode, value=2.0)


def test_pad_modules_and_errors():
    x = np.random.default_rng(8).standard_normal((1, 2, 3, 4))
    np.testing.assert_array_equal(_np(nn.ZeroPad2d((1, 2, 0, 1))(_t(x))),
                                  np.pad(x, [(0, 0), (0, 0), (0, 1), (1, 2)]))
    np.testing.assert_array_equal(_np(nn.ConstantPad1d(2, 3.5)(_t(x[0]))),
                                  np.pad(x[0], [(0, 0), (0, 0), (2, 2)], constant_values=3.5))
    np.testing.assert_array_equal(_np(nn.ConstantPad2d(1, -1.0)(_t(x))), np.pad(
        x, [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-1.0))
    np.testing.assert_array_equal(_np(nn.ReflectionPad2d(2)(_t(x))),
                                  np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)], "reflect"))
    np.testing.assert_array_equal(_np(nn.ReflectionPad1d((3, 1))(_t(x[0]))),
                                  np.pad(x[0], [(0, 0), (0, 0), (3, 1)], "reflect"))
    np.testing.assert_array_equal(_np(nn.ReplicationPad2d((1, 0, 2, 3))(_t(x))),
                                  np.pad(x, [(0, 0), (0, 0), (2, 3), (1, 0)], "edge"))
    np.testing.assert_array_equal(_np(nn.CircularPad2d(1)(_t(x))),
                                  np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], "wrap"))
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1), value=0.0)"
    with pytest.raises(RuntimeError, match=r"padding \(3, 3\) at dimension 2 of input "
                                           r"\[1, 2, 3, 4\]"):
        F.pad(_t(x), (0, 0, 3, 3), mode="reflect")
    with pytest.raises(NotImplementedError, match=r"Padding size 4 .* 1D input tensor of "
                                                  r"shape \[4\]"):
        F.pad(_t(x[0, 0, 0]), (1, 1, 1, 1), mode="replicate")
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        nn.ReflectionPad2d((1, 2))


def test_pads_and_shuffles_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 8, 4, 6))
    cases = [(lambda f, v: f.pad(v, (2, 1, 3, 2), mode="reflect")),
             (lambda f, v: f.pad(v, (3, 0, 1, 4), mode="replicate")),
             (lambda f, v: f.pad(v, (2, 3, 1, 4), mode="circular")),
             (lambda f, v: f.pad(v[0], (1, 2), mode="reflect")),
             (lambda f, v: f.pad(v[0], (2, 2, 1, 1), mode="reflect")),
             (lambda f, v: f.pad(v, (1, 1, 2, -1, 0, 1), value=0.5)),
             (lambda f, v: f.pixel_shuffle(v, 2)), (lambda f, v: f.pixel_unshuffle(v, 2))]
    for case in cases:
        mx, tx = _t(x, True), torch.tensor(x, requires_grad=True)
        mo, to = case(F, mx), case(tf, tx)
        np.testing.assert_array_equal(_np(mo), to.detach().numpy())
        g = rng.standard_normal(to.shape)
        (mo * _t(g)).sum().backward()
        (to * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-14, atol=1e-15)


# ---- distances and Bilinear ------------------------------------------------------------------
def test_cosine_similarity_and_pairwise_distance_match_numpy():
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1), 1e-8) / np.maximum(
        np.linalg.norm(b, axis=1), 1e-8)
    np.testing.assert_allclose(_np(F.cosine_similarity(_t(a), _t(b))), cos, rtol=1e-13)
    np.testing.assert_allclose(_np(nn.CosineSimilarity(dim=0)(_t(a), _t(b))),
                               (a * b).sum(0) / np.linalg.norm(a, axis=0)
                               / np.linalg.norm(b, axis=0), rtol=1e-13)
    # broadcasting, and an all-zero row: 0, with finite gradients
    z = a.copy()
    z[1] = 0
    np.testing.assert_allclose(_np(F.cosine_similarity(_t(z), _t(b[:1]), dim=-1))[1], 0.0)
    gradcheck(lambda u, v: F.cosine_similarity(u, v), [_t(a), _t(b)])
    for p in (2.0, 1.0, 3.0, math.inf):
        want = np.linalg.norm(a - b + 1e-6, ord=p, axis=-1)
        np.testing.assert_allclose(_np(F.pairwise_distance(_t(a), _t(b), p)), want,
                                   rtol=1e-13)
        np.testing.assert_allclose(_np(nn.PairwiseDistance(p, keepdim=True)(_t(a), _t(b))),
                                   want[:, None], rtol=1e-13)
    gradcheck(lambda u, v: F.pairwise_distance(u, v, 3.0), [_t(a), _t(b)])
    with pytest.raises(RuntimeError, match=r"\[4, 5\] and \[3, 5\]"):
        F.cosine_similarity(_t(a), _t(b[:3]))


def test_distances_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    a[2] = 0.0  # an all-zero row
    a[3] = 1e-9
    cases = [lambda f, u, v: f.cosine_similarity(u, v),
             lambda f, u, v: f.cosine_similarity(u, v[:1], dim=-1, eps=1e-3),
             lambda f, u, v: f.cosine_similarity(u, v, dim=0),
             lambda f, u, v: f.pairwise_distance(u, v),
             lambda f, u, v: f.pairwise_distance(u, v, 1.0, keepdim=True),
             lambda f, u, v: f.pairwise_distance(u, v, 3.0, eps=0.0),
             lambda f, u, v: f.pairwise_distance(u[0], v[1], math.inf)]
    for case in cases:
        ma, mb = _t(a, True), _t(b, True)
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        mo, to = case(F, ma, mb), case(tf, ta, tb)
        np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=1e-12, atol=1e-15)
        g = rng.standard_normal(to.shape)
        (mo * _t(g)).sum().backward()
        (to * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(ma.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bilinear_matches_numpy_and_init():
    mlopt.manual_seed(0)
    m = nn.Bilinear(3, 4, 5).double()
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        ("weight", (5, 3, 4)), ("bias", (5,))]
    bound = 1 / math.sqrt(3)
    assert np.abs(_np(m.weight)).max() <= bound and np.abs(_np(m.bias)).max() <= bound
    rng = np.random.default_rng(12)
    x1, x2 = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 4))
    want = np.einsum("...i,oij,...j->...o", x1, _np(m.weight), x2) + _np(m.bias)
    np.testing.assert_allclose(_np(m(_t(x1), _t(x2))), want, rtol=1e-12)
    np.testing.assert_allclose(_np(m(_t(x1[0, 0]), _t(x2[0, 0]))), want[0, 0], rtol=1e-12)
    assert nn.Bilinear(3, 4, 5, bias=False).bias is None
    gradcheck(lambda u, v, w, b: F.bilinear(u, v, w, b),
              [_t(x1[0, :2]), _t(x2[0, :2]), _t(_np(m.weight)), _t(_np(m.bias))])
    with pytest.raises(RuntimeError, match=r"\[6, 3\] and \[6, 5\].*\[5, 3, 4\]"):
        m(_t(x1[0]), _t(rng.standard_normal((6, 5))))


def test_bilinear_matches_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    x1, x2 = rng.standard_normal((7, 3)), rng.standard_normal((7, 4))
    w, b = rng.standard_normal((5, 3, 4)), rng.standard_normal(5)
    ms = [_t(v, True) for v in (x1, x2, w, b)]
    ts = [torch.tensor(v, requires_grad=True) for v in (x1, x2, w, b)]
    mo, to = F.bilinear(*ms), torch.nn.functional.bilinear(*ts)
    np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(to.shape)
    (mo * _t(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for m, t in zip(ms, ts):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert list(nn.Bilinear(3, 4, 5).state_dict()) == list(
        torch.nn.Bilinear(3, 4, 5).state_dict())


# ---- parameter containers ------------------------------------------------------------------
def test_parameter_list_and_dict_register_parameters():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([mlopt.ones(2), nn.Parameter(mlopt.zeros(3))])
            self.named = nn.ParameterDict({"b": mlopt.ones(1), "a": mlopt.zeros(4)})

        def forward(self, x):
            return x * self.scales[0] + self.named["b"]

    m = Model()
    assert all(isinstance(p, nn.Parameter) for p in m.scales)
    assert [n for n, _ in m.named_parameters()] == ["scales.0", "scales.1", "named.a",
                                                   "named.b"]
    m.scales.append(mlopt.full((2,), 3.0))
    m.named["c"] = mlopt.ones(2)
    assert len(m.scales) == 3 and len(m.named) == 3 and "c" in m.named
    assert list(m.state_dict()) == ["scales.0", "scales.1", "scales.2", "named.a", "named.b",
                                    "named.c"]
    assert m.scales[-1] is m.scales[2] and len(m.scales[1:]) == 2
    assert list(m.named.keys()) == ["a", "b", "c"] and m.named.get("zz") is None
    opt = mlopt.optim.SGD(m.parameters(), lr=0.5)
    m(mlopt.tensor([1.0, 2.0])).sum().backward()
    opt.step()
    np.testing.assert_allclose(m.scales[0].detach().numpy(), [0.5, 0.0])
    np.testing.assert_allclose(m.named["b"].detach().numpy(), [0.0])
    popped = m.named.pop("a")
    assert tuple(popped.shape) == (4,) and "a" not in m.named
    assert [n for n, _ in m.named_parameters()][-2:] == ["named.b", "named.c"]
    with pytest.raises(IndexError):
        m.scales[5]
    with pytest.raises(KeyError):
        m.named["a"]
    twin = m.state_dict()
    m2 = Model()
    m2.scales.append(mlopt.zeros(2))
    m2.named["c"] = mlopt.zeros(2)
    del m2.named["a"]
    m2.load_state_dict(twin)
    np.testing.assert_allclose(m2.scales[2].detach().numpy(), [3.0, 3.0])


def test_parameter_containers_state_dict_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    tl = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(3)])
    ml = nn.ParameterList([nn.Parameter(mlopt.ones(2)), mlopt.zeros(3)])
    assert list(ml.state_dict()) == list(tl.state_dict())
    td = torch.nn.ParameterDict({"z": torch.ones(2), "a": torch.zeros(1)})
    md = nn.ParameterDict({"z": mlopt.ones(2), "a": mlopt.zeros(1)})
    assert list(md.state_dict()) == list(td.state_dict()) and list(md) == list(td)


# ---- losses ---------------------------------------------------------------------------------
def _reduce(losses, reduction):
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


def _loss_data(seed=14):
    rng = np.random.default_rng(seed)
    return dict(x=rng.standard_normal((6, 4)), t=rng.standard_normal((6, 4)),
                y=np.where(rng.random(6) < 0.5, -1.0, 1.0),
                y4=np.where(rng.random((6, 4)) < 0.5, -1.0, 1.0),
                p=rng.dirichlet(np.ones(4), 6), counts=rng.poisson(2.0, (6, 4)).astype(float),
                var=rng.uniform(0.1, 2, (6, 4)), a=rng.standard_normal((6, 5)),
                b=rng.standard_normal((6, 5)), c=rng.standard_normal((6, 5)))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_losses_match_numpy(reduction):
    d = _loss_data()
    x, t, y, y4 = d["x"], d["t"], d["y"], d["y4"]
    diff = x - t
    z = np.abs(diff)
    checks = [
        (F.huber_loss(_t(x), _t(t), reduction, delta=0.7),
         np.where(z < 0.7, 0.5 * diff ** 2, 0.7 * (z - 0.35))),
        (nn.HuberLoss(reduction)(_t(x), _t(t)),
         np.where(z < 1, 0.5 * diff ** 2, z - 0.5)),
        (F.margin_ranking_loss(_t(x[:, 0]), _t(t[:, 0]), _t(y), 0.3, reduction=reduction),
         np.maximum(0, -y * (x[:, 0] - t[:, 0]) + 0.3)),
        (F.hinge_embedding_loss(_t(x), _t(y4), 0.5, reduction=reduction),
         np.where(y4 == 1, x, np.maximum(0, 0.5 - x))),
        (F.soft_margin_loss(_t(x), _t(y4), reduction=reduction), np.log1p(np.exp(-y4 * x))),
        (F.poisson_nll_loss(_t(x), _t(d["counts"]), reduction=reduction),
         np.exp(x) - d["counts"] * x),
        (F.poisson_nll_loss(_t(d["var"]), _t(d["counts"]), log_input=False, full=True,
                            reduction=reduction),
         d["var"] - d["counts"] * np.log(d["var"] + 1e-8) + np.where(
             d["counts"] > 1, d["counts"] * np.log(np.maximum(d["counts"], 1))
             - d["counts"] + 0.5 * np.log(2 * np.pi * np.maximum(d["counts"], 1)), 0)),
        (F.gaussian_nll_loss(_t(x), _t(t), _t(d["var"]), reduction=reduction),
         0.5 * (np.log(d["var"]) + diff ** 2 / d["var"])),
        (nn.GaussianNLLLoss(full=True, eps=0.5, reduction=reduction)(
            _t(x), _t(t), _t(d["var"][:, :1])),
         0.5 * (np.log(np.maximum(d["var"][:, :1], 0.5)) + diff ** 2
                / np.maximum(d["var"][:, :1], 0.5)) + 0.5 * np.log(2 * np.pi)),
    ]
    a, b, c = d["a"], d["b"], d["c"]
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    checks.append((F.cosine_embedding_loss(_t(a), _t(b), _t(y), 0.1, reduction=reduction),
                   np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1))))

    def dist(u, v, p=2):
        return np.linalg.norm(u - v + 1e-6, ord=p, axis=-1)
    checks.append((F.triplet_margin_loss(_t(a), _t(b), _t(c), 2.0, reduction=reduction),
                   np.maximum(0, 2.0 + dist(a, b) - dist(a, c))))
    checks.append((nn.TripletMarginLoss(margin=1.5, p=1, swap=True, reduction=reduction)(
        _t(a), _t(b), _t(c)),
        np.maximum(0, 1.5 + dist(a, b, 1) - np.minimum(dist(a, c, 1), dist(b, c, 1)))))
    for got, want in checks:
        np.testing.assert_allclose(_np(got), _reduce(want, reduction), rtol=1e-12, atol=1e-14)


def test_kl_div_reductions_and_log_target():
    d = _loss_data()
    logq = np.log(_loss_data(15)["p"])
    p = d["p"]
    pointwise = p * (np.log(p) - logq)
    np.testing.assert_allclose(_np(F.kl_div(_t(logq), _t(p), reduction="batchmean")),
                               pointwise.sum() / 6, rtol=1e-12)
    np.testing.assert_allclose(_np(nn.KLDivLoss(reduction="sum", log_target=True)(
        _t(logq), _t(np.log(p)))), pointwise.sum(), rtol=1e-12)
    np.testing.assert_allclose(_np(F.kl_div(_t(logq), _t(p), reduction="none")), pointwise,
                               rtol=1e-12)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(_t(logq), _t(p))
    np.testing.assert_allclose(_np(mean), pointwise.mean(), rtol=1e-12)
    # a zero target contributes 0 (xlogy), not NaN
    p0 = p.copy()
    p0[0, 0] = 0.0
    assert np.isfinite(_np(F.kl_div(_t(logq), _t(p0), reduction="sum")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        legacy = nn.KLDivLoss(reduction="batchmean")
    assert legacy.reduction == "batchmean"
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.KLDivLoss(size_average=False).reduction == "sum"


def test_loss_gradients_by_finite_differences():
    d = _loss_data()
    x, t, y, y4 = (_t(d[k][:3]) for k in ("x", "t", "y", "y4"))
    a, b, c = (_t(d[k][:3]) for k in ("a", "b", "c"))
    p = _t(d["p"][:3])
    gradcheck(lambda u, v: F.huber_loss(u, v, delta=0.8), [x, t])
    gradcheck(lambda u: F.kl_div(u, p, reduction="batchmean"), [x])
    gradcheck(lambda u, v: F.kl_div(u, v, reduction="sum", log_target=True), [x, t])
    gradcheck(lambda u, v: F.margin_ranking_loss(u, v, y, 0.1), [x[:, 0], t[:, 0]])
    gradcheck(lambda u: F.soft_margin_loss(u, y4), [x])
    gradcheck(lambda u: F.hinge_embedding_loss(u, y4, 3.0), [x])
    gradcheck(lambda u, v: F.cosine_embedding_loss(u, v, y, -0.5), [a, b])
    gradcheck(lambda u, v, w: F.triplet_margin_loss(u, v, w, 5.0, swap=True), [a, b, c])
    gradcheck(lambda u: F.poisson_nll_loss(u, _t(d["counts"][:3])), [x])
    gradcheck(lambda u, v: F.gaussian_nll_loss(u, t, v), [x, _t(d["var"][:3])])


LOSS_CASES = [
    ("huber", lambda f, x, t, v, y, y4: f.huber_loss(x, t, delta=0.6)),
    ("huber-weight", lambda f, x, t, v, y, y4: f.huber_loss(x, t, weight=v, reduction="sum")),
    ("kl_div", lambda f, x, t, v, y, y4: f.kl_div(f.log_softmax(x, 1), f.softmax(t, 1),
                                                 reduction="batchmean")),
    ("kl_div-log", lambda f, x, t, v, y, y4: f.kl_div(x, t, reduction="none",
                                                     log_target=True)),
    ("margin_ranking", lambda f, x, t, v, y, y4: f.margin_ranking_loss(
        x[:, 0], t[:, 0], y, margin=0.2)),
    ("hinge_embedding", lambda f, x, t, v, y, y4: f.hinge_embedding_loss(
        x, y4, 0.7, reduction="sum")),
    ("soft_margin", lambda f, x, t, v, y, y4: f.soft_margin_loss(x, y4)),
    ("cosine_embedding", lambda f, x, t, v, y, y4: f.cosine_embedding_loss(x, t, y, 0.2)),
    ("cosine_embedding-0d", lambda f, x, t, v, y, y4: f.cosine_embedding_loss(
        x[0], t[0], y[0], -0.3, reduction="none")),
    ("triplet", lambda f, x, t, v, y, y4: f.triplet_margin_loss(x, t, v, margin=2.0)),
    ("triplet-swap", lambda f, x, t, v, y, y4: f.triplet_margin_loss(
        x, t, v, margin=0.5, p=3, swap=True, reduction="none")),
    ("poisson", lambda f, x, t, v, y, y4: f.poisson_nll_loss(x, v * 3)),
    ("poisson-full", lambda f, x, t, v, y, y4: f.poisson_nll_loss(
        v, (t * 3).abs(), log_input=False, full=True, reduction="sum")),
    ("gaussian", lambda f, x, t, v, y, y4: f.gaussian_nll_loss(x, t, v, full=True)),
    ("gaussian-row", lambda f, x, t, v, y, y4: f.gaussian_nll_loss(x, t, v[:, 0], eps=0.3)),
    ("gaussian-float", lambda f, x, t, v, y, y4: f.gaussian_nll_loss(x, t, 0.5)),
]


@pytest.mark.parametrize("name,case", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_losses_match_pytorch_with_gradients(name, case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    x, t = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    v = rng.uniform(0.05, 2, (6, 4))
    y = np.where(rng.random(6) < 0.5, -1.0, 1.0)
    y4 = np.where(rng.random((6, 4)) < 0.5, -1.0, 1.0)
    ms = [_t(a, True) for a in (x, t, v)]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, t, v)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mo = case(F, *ms, _t(y), _t(y4))
        to = case(torch.nn.functional, *ts, torch.tensor(y), torch.tensor(y4))
    np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(to.shape)
    (mo * _t(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for m, tt in zip(ms, ts):
        if tt.grad is None:
            assert m.grad is None or not np.any(m.grad.numpy())
            continue
        np.testing.assert_allclose(m.grad.numpy(), tt.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_loss_modules_match_pytorch_defaults():
    torch = pytest.importorskip("torch")
    pairs = [(nn.HuberLoss(), torch.nn.HuberLoss()),
             (nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean")),
             (nn.MarginRankingLoss(), torch.nn.MarginRankingLoss()),
             (nn.HingeEmbeddingLoss(), torch.nn.HingeEmbeddingLoss()),
             (nn.SoftMarginLoss(), torch.nn.SoftMarginLoss()),
             (nn.CosineEmbeddingLoss(), torch.nn.CosineEmbeddingLoss()),
             (nn.TripletMarginLoss(), torch.nn.TripletMarginLoss()),
             (nn.PoissonNLLLoss(), torch.nn.PoissonNLLLoss()),
             (nn.GaussianNLLLoss(), torch.nn.GaussianNLLLoss())]
    for mine, theirs in pairs:
        for key, value in vars(theirs).items():
            if not key.startswith("_") and key != "training":
                assert getattr(mine, key) == value, (type(mine).__name__, key)


def test_loss_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"input1: \[3\], input2: \[3, 1\], target: \[3\]"):
        F.margin_ranking_loss(mlopt.ones(3), mlopt.ones(3, 1), mlopt.ones(3))
    with pytest.raises(RuntimeError, match=r"2D input tensors.*\[3\] and \[3\]"):
        F.cosine_embedding_loss(mlopt.ones(3), mlopt.ones(3), mlopt.ones(3))
    with pytest.raises(RuntimeError, match=r"anchor 2D \[2, 3\], positive 1D \[3\]"):
        F.triplet_margin_loss(mlopt.ones(2, 3), mlopt.ones(3), mlopt.ones(2, 3))
    with pytest.raises(ValueError, match=r"var is of incorrect size: var \[2\] for input "
                                         r"\[3, 2\]"):
        F.gaussian_nll_loss(mlopt.ones(3, 2), mlopt.ones(3, 2), mlopt.ones(2))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(mlopt.ones(2), mlopt.ones(2), mlopt.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"Weights and input.*\[2\], input \[3\]"):
        F.huber_loss(mlopt.ones(3), mlopt.ones(3), weight=mlopt.ones(2))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(mlopt.ones(2, 3), mlopt.ones(2, 3), mlopt.ones(2, 3), margin=0)
    with pytest.warns(UserWarning, match="target size"):
        F.huber_loss(mlopt.ones(3, 1), mlopt.ones(3))


CE_CASES = [dict(), dict(label_smoothing=0.2), dict(ignore_index=1),
            dict(weight=[0.5, 2.0, 1.0, 0.1], ignore_index=2, label_smoothing=0.3),
            dict(weight=[0.5, 2.0, 1.0, 0.1], reduction="sum"),
            dict(reduction="none", label_smoothing=0.1, ignore_index=0),
            dict(probs=True, label_smoothing=0.25, weight=[1.0, 0.5, 2.0, 1.5]),
            dict(spatial=True, weight=[1.0, 0.5, 2.0, 1.5], ignore_index=3,
                 label_smoothing=0.1)]


@pytest.mark.parametrize("kw", CE_CASES, ids=[str(i) for i in range(len(CE_CASES))])
def test_cross_entropy_options_match_pytorch(kw):
    torch = pytest.importorskip("torch")
    kw = dict(kw)
    rng = np.random.default_rng(17)
    spatial, probs = kw.pop("spatial", False), kw.pop("probs", False)
    shape = (5, 4, 3) if spatial else (7, 4)
    x = rng.standard_normal(shape) * 2
    if probs:
        target = rng.dirichlet(np.ones(4), 7)
    else:
        target = rng.integers(0, 4, (5, 3) if spatial else 7)
    mkw = {k: (_t(np.array(v)) if k == "weight" else v) for k, v in kw.items()}
    tkw = {k: (torch.tensor(np.array(v)) if k == "weight" else v) for k, v in kw.items()}
    mx, tx = _t(x, True), torch.tensor(x, requires_grad=True)
    mo = nn.CrossEntropyLoss(**mkw)(mx, _t(target))
    to = torch.nn.CrossEntropyLoss(**tkw)(tx, torch.tensor(target))
    np.testing.assert_allclose(_np(mo), to.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(to.shape)
    (mo * _t(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-11, atol=1e-14)


def test_bce_loss_weight_matches_numpy():
    rng = np.random.default_rng(18)
    p, t, w = rng.uniform(0.05, 0.95, (4, 3)), rng.integers(0, 2, (4, 3)).astype(float), \
        rng.uniform(0.5, 2, 3)
    want = -(w * (t * np.log(p) + (1 - t) * np.log(1 - p)))
    np.testing.assert_allclose(_np(nn.BCELoss(weight=_t(w))(_t(p), _t(t))), want.mean(),
                               rtol=1e-12)


# ---- compiled ------------------------------------------------------------------------------
def test_new_layers_compile_and_match_eager():
    mlopt.manual_seed(3)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.pad = nn.ReflectionPad2d((1, 1, 2, 0))
            self.act = nn.PReLU(2)
            self.pool = nn.AdaptiveMaxPool2d((2, 3))
            self.shuffle = nn.PixelShuffle(1)
            self.head = nn.Bilinear(6, 6, 3)
            self.scales = nn.ParameterList([mlopt.ones(3)])

        def forward(self, x):
            h = self.pool(self.act(self.pad(self.shuffle(x)))).flatten(1)
            h = F.hardswish(F.glu(h, 1))  # (2, 12) -> (2, 6)
            return F.mish(self.head(h, h) * self.scales[0]).sum() + F.huber_loss(h, h * 0.5)

    net = Net().double()
    x = mlopt.tensor(np.random.default_rng(19).standard_normal((2, 2, 4, 5)))
    compiled = mlopt.compile(net)
    want = net(x)
    got = compiled(x)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
    got.backward()
    grads = {n: p.grad.numpy().copy() for n, p in net.named_parameters()}
    net.zero_grad()
    net(x).backward()
    for n, p in net.named_parameters():
        np.testing.assert_allclose(grads[n], p.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_functional_all_lists_every_public_function():
    import inspect
    public = {n for n, v in vars(F).items() if inspect.isfunction(v) and not n.startswith("_")
              and v.__module__ == F.__name__}
    assert public <= set(F.__all__), sorted(public - set(F.__all__))
    assert all(callable(getattr(F, n)) for n in F.__all__)
    assert F.__all__ == sorted(F.__all__)


@pytest.mark.parametrize("name", ["hardswish", "hardsigmoid", "mish", "selu", "celu", "relu6",
                                  "hardtanh", "silu", "threshold"])
def test_inplace_activations_on_non_leaves_backpropagate(name):
    """inplace=True on a non-leaf writes the input and backward still works:
    the op's own reads of its input are not a modification (hardswish's
    x * (x + 3) used to be refused)."""
    fn = getattr(F, name)
    args = (0.5, -1.0) if name == "threshold" else ()
    a = np.array([-4.0, -1.0, 0.5, 4.0])
    grads = []
    for inplace in (False, True):
        x = mlopt.tensor(a, dtype=mlopt.float64, requires_grad=True)
        h = x * 2
        y = fn(h, *args, inplace=inplace)
        assert (y is h) == inplace
        (y * y).sum().backward()
        grads.append((y.detach().numpy().copy(), x.grad.numpy()))
    np.testing.assert_array_equal(grads[1][0], grads[0][0])
    np.testing.assert_array_equal(grads[1][1], grads[0][1])
    if name == "hardswish":  # 2 h'(2x) h(2x) with h = x (x + 3) / 6 between -3 and 3
        h = 2 * a
        out = np.where(h <= -3, 0, np.where(h < 3, h * (h + 3) / 6, h))
        slope = np.where(h <= -3, 0, np.where(h < 3, (2 * h + 3) / 6, 1))
        np.testing.assert_allclose(grads[1][1], 2 * out * slope * 2, rtol=1e-12)


def test_activation_modules_take_inplace_and_refuse_unknown_arguments():
    t = mlopt.tensor([1.0, -1.0])
    assert nn.SiLU(inplace=True)(t) is t
    np.testing.assert_allclose(t.numpy(), [1 / (1 + np.exp(-1)), -1 / (1 + np.exp(1))],
                               rtol=1e-6)
    with pytest.raises(TypeError, match="inpalce"):
        nn.ReLU(inpalce=True)
    with pytest.raises(TypeError, match="positional"):
        nn.Sigmoid(True)
