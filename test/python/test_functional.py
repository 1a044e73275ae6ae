"""mlopt.nn.functional against NumPy float64 references."""
import math

import numpy as np
import pytest

import mlopt
import mlopt.nn.functional as F
from cpu_harness import conv2d_reference

RNG = np.random.default_rng(7)


def t(a):
    return mlopt.from_numpy(np.ascontiguousarray(a))


def close(got, ref, tol=2e-5):
    np.testing.assert_allclose(np.asarray(got.numpy(), np.float64), ref, rtol=tol, atol=tol)


def log_softmax_ref(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


@pytest.fixture
def x():
    return RNG.standard_normal((3, 5, 7)).astype(np.float32)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax(x, dim):
    x64 = x.astype(np.float64)
    ref = np.exp(log_softmax_ref(x64, dim))
    close(F.softmax(t(x), dim), ref)
    close(F.log_softmax(t(x), dim), log_softmax_ref(x64, dim))


def test_softmax_of_minus_inf_rows_and_large_values():
    x = np.array([[1000.0, 1000.0], [-np.inf, 0.0]], np.float32)
    close(F.softmax(t(x), 1), np.array([[0.5, 0.5], [0.0, 1.0]]))


def test_activations(x):
    x64 = x.astype(np.float64)
    erf = np.vectorize(math.erf)
    close(F.relu(t(x)), np.maximum(x64, 0))
    close(F.gelu(t(x)), 0.5 * x64 * (1 + erf(x64 / math.sqrt(2))))
    inner = math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3)
    close(F.gelu(t(x), approximate="tanh"), 0.5 * x64 * (1 + np.tanh(inner)))
    close(F.silu(t(x)), x64 / (1 + np.exp(-x64)))
    assert math.isnan(F.relu(mlopt.tensor([math.nan])).item())


def test_layer_norm_and_rms_norm(x):
    x64 = x.astype(np.float64)
    w = RNG.standard_normal(7).astype(np.float32)
    b = RNG.standard_normal(7).astype(np.float32)
    mean = x64.mean(-1, keepdims=True)
    ref = (x64 - mean) / np.sqrt(x64.var(-1, keepdims=True) + 1e-5) * w + b
    close(F.layer_norm(t(x), (7,), t(w), t(b)), ref, 1e-4)
    both = (x64 - x64.mean((1, 2), keepdims=True)) / np.sqrt(x64.var((1, 2), keepdims=True) + 1e-5)
    close(F.layer_norm(t(x), [5, 7]), both, 1e-4)
    rms = x64 / np.sqrt((x64 ** 2).mean(-1, keepdims=True) + 1e-6) * w
    close(F.rms_norm(t(x), (7,), t(w), eps=1e-6), rms, 1e-4)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(t(x), (5,))


def test_linear(x):
    w = RNG.standard_normal((4, 7)).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    close(F.linear(t(x), t(w), t(b)), x.astype(np.float64) @ w.T + b, 1e-4)


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 1), (1, 1), (2, 1), 2),
])
def test_conv2d(stride, padding, dilation, groups):
    x = RNG.standard_normal((2, 4, 9, 8)).astype(np.float32)
    w = RNG.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    b = RNG.standard_normal(6).astype(np.float32)
    got = F.conv2d(t(x), t(w), t(b), stride=stride, padding=padding, dilation=dilation,
                   groups=groups)
    ref = conv2d_reference(x, w, stride, padding, dilation, groups) + b.reshape(1, -1, 1, 1)
    close(got, ref, 1e-4)


def test_pools():
    x = RNG.standard_normal((2, 3, 8, 6)).astype(np.float32)
    close(F.max_pool2d(t(x), 2), x.reshape(2, 3, 4, 2, 3, 2).max((3, 5)))
    close(F.avg_pool2d(t(x), 2), x.astype(np.float64).reshape(2, 3, 4, 2, 3, 2).mean((3, 5)))
    # stride 1 with padding: -inf padding for max, zeros counted for avg.
    got = F.max_pool2d(t(x), 3, stride=1, padding=1).numpy()
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    ref = np.max([padded[:, :, i:i + 8, j:j + 6] for i in range(3) for j in range(3)], axis=0)
    np.testing.assert_array_equal(got, ref)


def test_embedding_and_losses():
    table = RNG.standard_normal((10, 4)).astype(np.float32)
    ids = np.array([[1, 9], [0, 1]])
    np.testing.assert_array_equal(F.embedding(mlopt.tensor(ids), t(table)).numpy(), table[ids])
    logits = RNG.standard_normal((5, 10)).astype(np.float32)
    target = np.array([1, 0, 9, 3, 3])
    logp = log_softmax_ref(logits.astype(np.float64), 1)
    picked = -logp[np.arange(5), target]
    close(F.cross_entropy(t(logits), mlopt.tensor(target)), picked.mean(), 1e-5)
    close(F.cross_entropy(t(logits), mlopt.tensor(target), reduction="none"), picked, 1e-5)
    ignore = target.copy()
    ignore[0] = -100
    close(F.cross_entropy(t(logits), mlopt.tensor(ignore)), picked[1:].mean(), 1e-5)
    smooth = 0.1
    ref = (1 - smooth) * picked.mean() + smooth * (-logp.mean(1)).mean()
    close(F.cross_entropy(t(logits), mlopt.tensor(target), label_smoothing=smooth), ref, 1e-5)
    close(F.nll_loss(t(logp.astype(np.float32)), mlopt.tensor(target), reduction="sum"),
          picked.sum(), 1e-4)
    y = RNG.standard_normal((5, 10)).astype(np.float32)
    close(F.mse_loss(t(logits), t(y)), ((logits.astype(np.float64) - y) ** 2).mean(), 1e-5)


def test_scaled_dot_product_attention():
    q, k, v = (RNG.standard_normal((2, 3, 5, 8)).astype(np.float32) for _ in range(3))
    scores = q.astype(np.float64) @ np.swapaxes(k, -1, -2) / math.sqrt(8)
    weights = np.exp(log_softmax_ref(scores, -1))
    close(F.scaled_dot_product_attention(t(q), t(k), t(v)), weights @ v, 1e-4)
    causal = np.where(np.tril(np.ones((5, 5), bool)), scores, -np.inf)
    ref = np.exp(log_softmax_ref(causal, -1)) @ v
    close(F.scaled_dot_product_attention(t(q), t(k), t(v), is_causal=True), ref, 1e-4)


def test_dropout_keeps_expectation_and_zeroes():
    mlopt.manual_seed(0)
    x = mlopt.ones(200, 200)
    y = F.dropout(x, 0.25).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs(y.mean() - 1.0) < 0.02
    assert F.dropout(x, 0.25, training=False) is x
