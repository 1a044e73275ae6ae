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


def _shifted_ref(x, axis):
    """x minus its max, a max of -inf taken as 0 (PyTorch's kernels)."""
    m = x.max(axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        return x - np.where(m == -np.inf, 0, m)


def log_softmax_ref(x, axis):
    """PyTorch's log_softmax in float64: (x - max) - log(sum(exp(x - max)))."""
    shifted = _shifted_ref(x, axis)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


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


def _softmax_ref(x, axis):
    """PyTorch's softmax in float64: NaN for rows of -inf, with +inf or NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(_shifted_ref(x, axis))
        return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 2048), (6, 2049), (5, 5000), (5, 2, 4097), (7, 1)])
def test_long_softmax_rows_match_float64(shape, dtype):
    """Compiled log_softmax and logsumexp take a row's max and sum of exp in
    one pass over chunks of 2048 (mlopt-online-softmax); compiled softmax
    stores each exp of its sum where its result goes and scales it there
    (mlopt-store-row-summands). Rows longer than a chunk: the max rises in
    the last chunk (the sum so far is rescaled), rows of -inf, +inf and NaN,
    a chunk of -inf then values exp(150) away."""
    x = RNG.standard_normal(shape) * 8
    n = shape[-1]
    x[0, ..., n - 1] = 87.0                  # the max in the last chunk
    x[1, ...] = -np.inf                      # NaN
    x[2, ..., n // 2] = np.inf
    x[3, ..., n // 3] = np.nan
    x[4, ..., :n // 2] = -np.inf             # a first chunk of -inf only, then
    x[4, ..., n // 2:] -= 150                # a shift exp(150) away (f32 overflow)
    x = x.astype(dtype)
    ref = _softmax_ref(x.astype(np.float64), -1)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    got = mlopt.compile(lambda a: F.softmax(a, -1))(t(x)).numpy()
    np.testing.assert_allclose(got.astype(np.float64), ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, F.softmax(t(x), -1).numpy(), rtol=tol, atol=tol)
    # Rows of -inf: log_softmax NaN, logsumexp -inf; with +inf: NaN and inf.
    x64 = x.astype(np.float64)
    m = x64.max(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lse = np.log(np.exp(x64 - np.where(np.isfinite(m), m, 0)).sum(-1, keepdims=True))
        lse += np.where(np.isfinite(m), m, 0)
    log_ref = log_softmax_ref(x64, -1)
    big = 1e-4 if dtype == np.float32 else 1e-10  # values of size 100 and more
    for f, want in ((lambda a: F.log_softmax(a, -1), log_ref),
                    (lambda a: mlopt.logsumexp(a, -1, keepdim=True), lse)):
        for got in (mlopt.compile(f)(t(x)).numpy(), f(t(x)).numpy()):
            np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=big)


@pytest.mark.parametrize("compiled", [False, True])
def test_softmax_family_over_an_empty_dim(compiled):
    """As PyTorch: empty results, and logsumexp of nothing is log(0) = -inf
    (amax over an empty dim raises)."""
    def f(a):
        return (F.softmax(a, -1), F.log_softmax(a, 1), mlopt.logsumexp(a, -1),
                mlopt.logsumexp(a, 0))
    soft, log_soft, lse, lse0 = (mlopt.compile(f) if compiled else f)(mlopt.zeros(5, 0))
    assert soft.shape == log_soft.shape == (5, 0)
    np.testing.assert_array_equal(lse.numpy(), np.full(5, -np.inf, np.float32))
    assert lse0.shape == (0,)


def test_softmax_of_integers_needs_a_dtype_as_in_pytorch():
    x = mlopt.tensor([[1, 2, 3], [0, 0, 5]])
    for fn in (F.softmax, F.log_softmax):
        with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
            fn(x, -1)
        with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
            fn(x > 1, -1)
        with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
            mlopt.compile(lambda a: fn(a, 1))(x)  # (traced the same way)
    got = F.softmax(x, -1, dtype=mlopt.float64).numpy()
    e = np.exp(np.array([[1, 2, 3], [0, 0, 5]], np.float64))
    np.testing.assert_allclose(got, e / e.sum(-1, keepdims=True), rtol=1e-12)
    assert F.log_softmax(x, 0, dtype=mlopt.float32).dtype == mlopt.float32


def test_softmax_family_edge_values_match_pytorch():
    """Rows with +inf give NaN throughout (as PyTorch: inf - inf); a row of
    -inf: softmax and log_softmax NaN, logsumexp -inf; log_softmax keeps the
    digits of large logits ((x - max) - log(sum), not x - logsumexp)."""
    x = np.array([[np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf], [0.5, 1.0, 2.0]], np.float32)
    for compiled in (False, True):
        def f(a):
            return F.softmax(a, -1), F.log_softmax(a, -1), mlopt.logsumexp(a, -1)
        soft, log_soft, lse = (mlopt.compile(f) if compiled else f)(t(x))
        assert np.isnan(soft.numpy()[:2]).all() and np.isnan(log_soft.numpy()[:2]).all()
        np.testing.assert_allclose(soft.numpy()[2], _softmax_ref(x[2:].astype(np.float64), -1)[0],
                                   rtol=1e-6)
        np.testing.assert_array_equal(lse.numpy()[:2], [np.inf, -np.inf])
    big = np.array([[10000.5, 10000.0, 9999.9]], np.float32)
    ref = log_softmax_ref(big.astype(np.float64), -1)
    for got in (F.log_softmax(t(big), -1), mlopt.compile(lambda a: F.log_softmax(a, -1))(t(big))):
        np.testing.assert_allclose(got.numpy(), ref, rtol=2e-7)  # was 6e-4 off
    half = mlopt.tensor([[100.3, 96.0]]).half()
    want = log_softmax_ref(half.float().numpy().astype(np.float64), -1).astype(np.float16)
    np.testing.assert_array_equal(F.log_softmax(half, -1).numpy(), want)  # rounded once


def test_softmax_dims_as_pytorch():
    x = t(RNG.standard_normal((2, 3, 4)).astype(np.float32))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        implicit = F.softmax(x)  # PyTorch's legacy rule: dim 0 for 3-d inputs
    close(implicit, _softmax_ref(x.numpy().astype(np.float64), 0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(x, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.log_softmax(x, -4)


def test_cross_entropy_ignores_rows_whose_class_0_is_minus_inf():
    """An ignored target adds 0, not -(-inf) * 0 = NaN (class 0 is read for it)."""
    x = np.array([[-np.inf, 1.0, 2.0], [0.5, 1.0, 2.0]], np.float32)
    target = mlopt.tensor([-100, 2])
    want = -log_softmax_ref(x[1:].astype(np.float64), -1)[0, 2]
    for fn in (lambda a: F.cross_entropy(a, target),
               mlopt.compile(lambda a: F.cross_entropy(a, target))):
        np.testing.assert_allclose(fn(t(x)).numpy(), want, rtol=1e-6)
    losses = F.nll_loss(t(x), target, reduction="none").numpy()
    np.testing.assert_array_equal(losses, [0.0, -2.0])


@pytest.mark.parametrize("shape,target_shape,error,message", [
    ((3, 4), (3, 2), RuntimeError, "0D or 1D target tensor expected"),
    ((3, 4, 5), (3, 4), RuntimeError, r"Expected target size \[3, 5\], got \[3, 4\]"),
    ((4,), (2,), ValueError, "1D target must have size 1"),
    ((3, 4), (2,), ValueError, r"input batch_size \(3\) to match target batch_size \(2\)"),
])
def test_cross_entropy_target_shape_errors_name_the_shapes(shape, target_shape, error, message):
    """PyTorch's messages, not the IR's rank check of a gather."""
    for fn in (F.cross_entropy, mlopt.compile(F.cross_entropy)):
        with pytest.raises(error, match=message):
            fn(mlopt.randn(*shape), mlopt.zeros(target_shape, dtype=mlopt.int64))


@pytest.mark.parametrize("compiled", [False, True])
def test_attention_with_a_fully_masked_row_gives_zeros(compiled):
    """PyTorch's safe softmax: a query that may see no key attends to
    nothing (zeros), and the gradients stay finite."""
    q, k, v = (mlopt.tensor(RNG.standard_normal((2, 4, 6, 8)).astype(np.float32),
                            requires_grad=True) for _ in range(3))
    mask = np.ones((6, 6), bool)
    mask[1] = False
    mask = mlopt.tensor(mask)

    def attend(q, k, v):
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out.sum().backward()
        return out
    out = (mlopt.compile(attend) if compiled else attend)(q, k, v).numpy()
    np.testing.assert_array_equal(out[:, :, 1], 0.0)
    assert np.isfinite(out).all()
    for p in (q, k, v):
        assert np.isfinite(p.grad.numpy()).all()


def test_attention_refuses_a_mask_with_is_causal():
    q = mlopt.randn(1, 2, 4, 8)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=mlopt.ones(4, 4, dtype=mlopt.bool),
                                       is_causal=True)


def test_hand_written_softmax_with_a_chunk_of_minus_inf():
    """exp(x - max) with the max itself as the shift is left as two passes:
    a chunk of only -inf would sum exp(-inf + inf) = NaN in one pass."""
    x = RNG.standard_normal((3, 5000)).astype(np.float32)
    x[:, :3000] = -np.inf

    def softmax(a):
        e = (a - a.amax(-1, keepdim=True)).exp()
        return e / e.sum(-1, keepdim=True)
    got = mlopt.compile(softmax)(t(x)).numpy()
    np.testing.assert_allclose(got, _softmax_ref(x.astype(np.float64), -1), rtol=1e-5, atol=1e-6)


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
    for bad in (-1, 10):  # no wrapping of negative ids, as PyTorch
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds"):
            F.embedding(mlopt.tensor([[1, bad]]), t(table))
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


def cross_entropy_ref(logits, target, weight=None, ignore_index=-100, reduction="mean",
                      label_smoothing=0.0):
    """PyTorch's cross_entropy in float64 (the formulas of its docs and
    LossNLL.cpp): class indices give (1 - ls) * nll + ls / C * smooth with
    smooth = -sum_c w_c logp_c, ignored targets masked out of both, a mean
    dividing both by the targets' total weight; probabilities give
    -sum_c w_c q_c logp_c with q = p (1 - ls) + ls / C, a mean dividing by
    the number of targets."""
    logits = np.asarray(logits, np.float64)
    logp = log_softmax_ref(logits, 1)
    classes = logits.shape[1]
    w = np.ones(classes) if weight is None else np.asarray(weight, np.float64)
    wc = w.reshape([classes if d == 1 else 1 for d in range(logits.ndim)])
    if target.dtype.kind == "f":
        q = target * (1 - label_smoothing) + label_smoothing / classes
        losses = -(logp * q * wc).sum(1)
        return {"none": losses, "sum": losses.sum(),
                "mean": losses.sum() / (logp.size / classes)}[reduction]
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    picked = np.take_along_axis(logp, np.expand_dims(safe, 1), 1).squeeze(1)
    wt = np.where(valid, w[safe], 0.0)
    nll = -picked * wt
    smooth = np.where(valid, -(logp * wc).sum(1), 0.0)
    mix = (1 - label_smoothing) * nll + label_smoothing / classes * smooth
    return {"none": mix, "sum": mix.sum(), "mean": mix.sum() / wt.sum()}[reduction]


CE_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0, 0.25], np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_class_indices_match_pytorch_formulas(reduction, smoothing, weighted,
                                                            spatial):
    rng = np.random.default_rng(11)
    shape = (4, 5, 3) if spatial else (6, 5)
    logits = rng.standard_normal(shape).astype(np.float32)
    target = rng.integers(0, 5, (shape[0],) + shape[2:])
    target.reshape(-1)[[1, 4]] = -100  # ignored
    weight = CE_WEIGHT if weighted else None
    got = F.cross_entropy(t(logits), mlopt.tensor(target),
                          weight=None if weight is None else t(weight),
                          reduction=reduction, label_smoothing=smoothing)
    close(got, cross_entropy_ref(logits, target, weight, -100, reduction, smoothing), 1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probability_targets_match_pytorch_formulas(reduction, smoothing,
                                                                  weighted):
    rng = np.random.default_rng(12)
    logits = rng.standard_normal((4, 5)).astype(np.float32)
    probs = rng.uniform(size=(4, 5))
    probs = (probs / probs.sum(1, keepdims=True)).astype(np.float32)
    weight = CE_WEIGHT if weighted else None
    got = F.cross_entropy(t(logits), t(probs), weight=None if weight is None else t(weight),
                          reduction=reduction, label_smoothing=smoothing)
    close(got, cross_entropy_ref(logits, probs, weight, -100, reduction, smoothing), 1e-5)


def test_cross_entropy_hand_values_with_ignore_and_smoothing():
    # The numbers of the bug report, by hand: ignored rows leave the smoothing term too.
    lg = np.array([[1., 2., 0.5], [0.1, -1., 3.], [2., 2., 0.]])
    lp = lg - np.log(np.exp(lg).sum(-1, keepdims=True))
    nll = -(lp[0, 1] + lp[2, 0]) / 2
    smooth = -(lp[0].sum() + lp[2].sum()) / 2 / 3
    got = F.cross_entropy(t(lg.astype(np.float32)), mlopt.tensor([1, -100, 0]),
                          label_smoothing=0.3)
    close(got, 0.7 * nll + 0.3 * smooth, 1e-6)
    # Unbatched input: one target, a 0-d loss.
    got = F.cross_entropy(t(lg[0].astype(np.float32)), mlopt.tensor(1), reduction="none",
                          label_smoothing=0.3)
    assert got.shape == ()
    close(got, 0.7 * -lp[0, 1] + 0.1 * -lp[0].sum(), 1e-6)


def test_cross_entropy_gradients_with_weight_ignore_and_smoothing():
    from mlopt.testing import gradcheck
    rng = np.random.default_rng(13)
    logits = mlopt.tensor(rng.standard_normal((4, 5)))
    target = mlopt.tensor([1, -100, 4, 0])
    weight = mlopt.tensor(CE_WEIGHT.astype(np.float64))
    probs = mlopt.tensor(rng.uniform(size=(4, 5)))
    assert gradcheck(lambda x: F.cross_entropy(x, target, weight=weight, label_smoothing=0.2),
                     [logits])
    assert gradcheck(lambda x: F.cross_entropy(x, probs, weight=weight, label_smoothing=0.2),
                     [logits])


def test_losses_reject_out_of_range_class_indices():
    logits = t(RNG.standard_normal((3, 4)).astype(np.float32))
    for bad in ([5, 0, 0], [0, -3, 1], [0, 4, 1]):
        with pytest.raises(IndexError, match=str([v for v in bad if not 0 <= v < 4][0])):
            F.cross_entropy(logits, mlopt.tensor(bad))
        with pytest.raises(IndexError, match="out of bounds"):
            F.nll_loss(logits, mlopt.tensor(bad))
    F.cross_entropy(logits, mlopt.tensor([0, -100, 3]))  # ignore_index is fine
    F.cross_entropy(logits, mlopt.tensor([0, 7, 3]), ignore_index=7)
    with pytest.raises(ValueError):
        F.cross_entropy(logits, mlopt.tensor([0, 1, 2]), reduction="avg")


@pytest.mark.parametrize("padding_idx", [0, 2, -1])
def test_embedding_padding_row_gets_no_gradient(padding_idx):
    table = RNG.standard_normal((4, 3)).astype(np.float32)
    ids = np.array([[0, 1, 2], [3, 0, 2]])
    w = t(table).requires_grad_()
    out = F.embedding(mlopt.tensor(ids), w, padding_idx=padding_idx)
    np.testing.assert_array_equal(out.detach().numpy(), table[ids])  # rows read as they are
    (out * 2).sum().backward()
    ref = np.zeros_like(table)
    np.add.at(ref, ids.reshape(-1), 2.0)
    ref[padding_idx] = 0
    np.testing.assert_array_equal(w.grad.numpy(), ref)
    with pytest.raises(AssertionError):
        F.embedding(mlopt.tensor(ids), w, padding_idx=4)


HALF_TYPES = [mlopt.float16, mlopt.bfloat16]


@pytest.mark.parametrize("dtype", HALF_TYPES, ids=str)
def test_half_reductions_over_more_than_65504_elements(dtype):
    """float16/bfloat16 means and variances accumulate and divide in float32
    (PyTorch's opmath): a count or sum past 65504 must not overflow."""
    assert mlopt.ones(1, 256, 256, dtype=dtype).mean().item() == 1.0
    assert mlopt.ones(2, 65536, dtype=dtype).mean(1).tolist() == [1.0, 1.0]
    x = np.linspace(-2, 2, 70000)
    h = mlopt.tensor(x, dtype=dtype)
    tol = 1e-2
    for got, ref in [(h.mean(), x.mean()), (h.var(), x.var(ddof=1)), (h.std(), x.std(ddof=1)),
                     (h.var(0, correction=0), x.var())]:
        assert got.dtype is dtype
        np.testing.assert_allclose(got.float().item(), ref, rtol=tol, atol=tol)
    rows = mlopt.tensor(np.stack([x, 2 * x]), dtype=dtype)
    ln = F.layer_norm(rows, (70000,))
    assert ln.dtype is dtype
    ref = (np.stack([x, 2 * x]) - 0) / np.stack([x, 2 * x]).std(1, keepdims=True)
    np.testing.assert_allclose(ln.float().numpy(), ref, rtol=2e-2, atol=2e-2)
    # rms_norm: x * x overflows float16 at |x| > 256 unless squared in float32.
    big = np.full((2, 8), 300.0)
    np.testing.assert_allclose(F.rms_norm(mlopt.tensor(big, dtype=dtype), (8,)).float().numpy(),
                               np.ones((2, 8)), rtol=1e-2)
    # softmax / log_softmax / cross_entropy over 70000 equal logits.
    flat = mlopt.zeros(1, 70000, dtype=dtype)
    np.testing.assert_allclose(F.softmax(flat, -1).float().numpy().sum(), 1.0, rtol=2e-2)
    np.testing.assert_allclose(F.log_softmax(flat, -1).float().numpy()[0, :3],
                               np.full(3, -np.log(70000)), rtol=1e-2)
    logits = mlopt.zeros(70000, 3, dtype=dtype)
    loss = F.cross_entropy(logits, mlopt.zeros(70000, dtype=mlopt.int64))
    assert loss.dtype is dtype
    np.testing.assert_allclose(loss.float().item(), np.log(3), rtol=1e-2)
    np.testing.assert_allclose(F.mse_loss(h, mlopt.zeros_like(h)).float().item(),
                               (x * x).mean(), rtol=1e-2)


def test_pooling_and_conv_argument_errors_name_the_bad_argument():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.max_pool2d(mlopt.ones(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"4D weight .* size: \[4, 3, 3\]"):
        F.conv2d(mlopt.ones(2, 3, 7, 6), mlopt.ones(4, 3, 3))


def test_half_precision_with_python_scalars_computes_in_float32():
    h = mlopt.tensor([1e-3, 2.0]).half()
    out = h * 1e5  # PyTorch: the scalar in float32, one rounding
    assert out.dtype == mlopt.float16
    np.testing.assert_allclose(out.float().numpy()[0], 100.0, rtol=1e-3)
    assert math.isinf(out.float().numpy()[1])


def test_pool_padding_limit_counts_dilation_and_one_hot_checks_negatives():
    out = F.max_pool2d(mlopt.ones(1, 1, 6, 6), 3, padding=2, dilation=2)  # effective kernel 5
    assert out.shape == (1, 1, 2, 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(mlopt.tensor([-1, 2]))


def _np_reference(name, x, t):
    if name == "leaky_relu":
        return np.where(x > 0, x, 0.2 * x), np.where(x > 0, 1.0, 0.2)
    if name == "elu":
        return np.where(x > 0, x, 1.5 * np.expm1(x)), np.where(x > 0, 1.0, 1.5 * np.exp(x))
    if name == "softplus":
        z = 2 * x
        sig = 1 / (1 + np.exp(-np.minimum(z, 5)))
        return (np.where(z > 5, x, np.log1p(np.exp(np.minimum(z, 5))) / 2),
                np.where(z > 5, 1.0, sig))
    if name == "bce_with_logits":
        loss = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        return loss, 1 / (1 + np.exp(-x)) - t
    raise KeyError(name)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "softplus", "bce_with_logits"])
def test_more_activations_and_losses_match_numpy_with_gradients(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6)) * 4
    x[0, :3] = [0.0, 2.5, -1e-9]  # the kink, the softplus threshold, near zero
    t = rng.uniform(0, 1, (5, 6))
    fn = {"leaky_relu": lambda v: F.leaky_relu(v, 0.2), "elu": lambda v: F.elu(v, 1.5),
          "softplus": lambda v: F.softplus(v, 2.0, 5.0),
          "bce_with_logits": lambda v: F.binary_cross_entropy_with_logits(
              v, mlopt.tensor(t), reduction="none")}[name]
    mx = mlopt.tensor(x).requires_grad_()
    out = fn(mx)
    out.sum().backward()
    want, grad = _np_reference(name, x, t)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mx.grad.numpy(), grad, rtol=1e-12, atol=1e-12)
    compiled = mlopt.compile(fn)(mlopt.tensor(x))
    np.testing.assert_allclose(compiled.numpy(), want, rtol=1e-12, atol=1e-12)


def test_normalize_and_binary_cross_entropy():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 2.0]])
    mx = mlopt.tensor(x).requires_grad_()
    out = F.normalize(mx, dim=1)
    out.sum().backward()
    norms = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(out.detach().numpy(), x / norms, rtol=1e-12)
    # A zero row: x / eps, so its gradient is 1 / eps (PyTorch's), finite.
    np.testing.assert_allclose(mx.grad.numpy()[1], [1e12, 1e12], rtol=1e-12)
    np.testing.assert_allclose(F.normalize(mlopt.tensor(x), p=1, dim=0).numpy(),
                               x / np.abs(x).sum(0), rtol=1e-12)
    p = np.array([0.0, 1.0, 0.25, 0.9])
    t = np.array([1.0, 0.0, 1.0, 0.0])
    with np.errstate(divide="ignore"):  # log(0) = -inf, then -100
        want = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))
    got = F.binary_cross_entropy(mlopt.tensor(p), mlopt.tensor(t), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)  # log(0) counts as -100
    w = np.array([1.0, 2.0, 0.5, 1.0])
    np.testing.assert_allclose(
        float(F.binary_cross_entropy(mlopt.tensor(p), mlopt.tensor(t), mlopt.tensor(w))),
        (want * w).mean(), rtol=1e-12)
    pos = F.binary_cross_entropy_with_logits(mlopt.tensor([2.0]), mlopt.tensor([1.0]),
                                             pos_weight=mlopt.tensor([3.0]))
    assert float(pos) == pytest.approx(3 * np.log1p(np.exp(-2.0)), rel=1e-6)
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy(mlopt.tensor(p), mlopt.tensor(t[:3]))
