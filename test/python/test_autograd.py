"""Autodiff: every gradient against central finite differences in float64
(mlopt.testing.gradcheck), eager backward() against grad/vjp and against
backward() inside @mlopt.compile, accumulation, no_grad, detach, second
derivatives, and SGD training that gives the same weights eager and compiled."""
import numpy as np
import pytest

import mlopt
import mlopt.nn.functional as F
from mlopt.testing import gradcheck


def rnd(*shape, positive=False, seed=0):
    rng = np.random.default_rng(seed + sum(shape))
    values = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    return mlopt.tensor(values, dtype=mlopt.float64)


PRIMITIVES = {
    "add_broadcast": (lambda a, b: a + b, [rnd(3, 4), rnd(4)]),
    "sub_scalar": (lambda a: 2.0 - a * 3, [rnd(3)]),
    "mul_broadcast": (lambda a, b: a * b, [rnd(2, 1, 4), rnd(3, 1)]),
    "div": (lambda a, b: a / b, [rnd(3, 4), rnd(3, 4, positive=True)]),
    "neg_abs": (lambda a: (-a).abs(), [rnd(5) + 0.1]),
    "exp_log": (lambda a: a.exp() + a.log(), [rnd(4, positive=True)]),
    "log1p_expm1": (lambda a: a.log1p() * a.expm1(), [rnd(4, positive=True)]),
    "sqrt_rsqrt": (lambda a: a.sqrt() + a.rsqrt(), [rnd(4, positive=True)]),
    "sin_cos_tanh": (lambda a: a.sin() * a.cos() + a.tanh(), [rnd(6)]),
    "sigmoid_erf": (lambda a: a.sigmoid() + a.erf(), [rnd(6)]),
    "pow": (lambda a, b: a ** b, [rnd(4, positive=True), rnd(4)]),
    "pow_scalar": (lambda a: a ** 3, [rnd(4)]),
    "atan2": (lambda a, b: mlopt.atan2(a, b), [rnd(4), rnd(4, positive=True)]),
    "remainder": (lambda a: a % 0.7, [rnd(5) * 0.33 + 0.05]),
    "maximum_minimum": (lambda a, b: mlopt.maximum(a, b) + mlopt.minimum(a, b) * 2,
                        [rnd(5), rnd(5, seed=1)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), [rnd(7)]),
    "where": (lambda a, b: mlopt.where(a > 0, a * 2, b), [rnd(6), rnd(6, seed=2)]),
    "sum_mean": (lambda a: a.sum(0) + a.mean(1, keepdim=True), [rnd(3, 3)]),
    "amax_max": (lambda a: (a.amax(1), a.max(0).values), [rnd(3, 4)]),
    "prod": (lambda a: a.prod(1), [rnd(2, 3, positive=True)]),
    "var_std_logsumexp": (lambda a: (a.var(1), a.std(0), a.logsumexp(1)), [rnd(3, 4)]),
    "matmul_batched": (lambda a, b: a @ b, [rnd(2, 3, 4), rnd(4, 5)]),
    "matmul_broadcast_batch": (lambda a, b: a @ b, [rnd(2, 1, 3, 4), rnd(3, 4, 2)]),
    "views": (lambda a: a.view(4, 3).T.reshape(2, 6)[:, 1:5:2].unsqueeze(0).flatten(),
              [rnd(3, 4)]),
    "getitem": (lambda a: a[1:, None, ::2, ...][..., 0], [rnd(3, 4, 2)]),
    "permute_expand": (lambda a: a.permute(1, 0).expand(2, 4, 3), [rnd(3, 4)]),
    "cat_stack": (lambda a, b: (mlopt.cat([a, b * 2], 1), mlopt.stack([a, b], 1)),
                  [rnd(2, 3), rnd(2, 3, seed=3)]),
    "index_tensor": (lambda a: a[mlopt.tensor([2, 0, 2])], [rnd(4, 3)]),
}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_gradients_match_finite_differences(name):
    fn, inputs = PRIMITIVES[name]
    assert gradcheck(fn, inputs)


def test_convert_passes_gradients_between_float_types():
    a = rnd(3).requires_grad_()
    (a.float() * 2).sum().backward()
    assert a.grad.dtype is mlopt.float64
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 2.0))


def _cls_target():
    return mlopt.tensor([1, 0, 3])


COMPOSITES = {
    "relu": (lambda x: F.relu(x), [rnd(3, 4) + 0.05]),
    "gelu": (lambda x: F.gelu(x), [rnd(3, 4)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [rnd(3, 4)]),
    "silu": (lambda x: F.silu(x), [rnd(3, 4)]),
    "sigmoid_tanh": (lambda x: F.sigmoid(x) * F.tanh(x), [rnd(3, 4)]),
    "softmax": (lambda x: F.softmax(x, dim=-1), [rnd(3, 4)]),
    "log_softmax": (lambda x: F.log_softmax(x, dim=0), [rnd(3, 4)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [rnd(3, 4), rnd(4), rnd(4)]),
    "rms_norm": (lambda x, w: F.rms_norm(x, (4,), w), [rnd(3, 4), rnd(4)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [rnd(3, 4), rnd(5, 4), rnd(5)]),
    "embedding": (lambda w: F.embedding(mlopt.tensor([[0, 2], [2, 1]]), w), [rnd(3, 4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, _cls_target()), [rnd(3, 4)]),
    "nll_loss": (lambda x: F.nll_loss(F.log_softmax(x, 1), _cls_target()), [rnd(3, 4)]),
    "mse_loss": (lambda x, y: F.mse_loss(x, y), [rnd(3, 4), rnd(3, 4, seed=5)]),
    "attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                  [rnd(2, 3, 4), rnd(2, 3, 4, seed=1), rnd(2, 3, 4, seed=2)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), [rnd(1, 2, 4, 4)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [rnd(1, 2, 4, 4)]),
    "conv2d": (lambda x, w: F.conv2d(x, w, padding="same"), [rnd(1, 2, 4, 4), rnd(3, 2, 3, 3)]),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_functional_gradients_match_finite_differences(name):
    fn, inputs = COMPOSITES[name]
    assert gradcheck(fn, inputs)


CONV_CASES = [
    # (input shape, weight shape, stride, padding, dilation, groups)
    ((1, 1, 4, 4), (1, 1, 3, 3), 1, 0, 1, 1),
    ((2, 3, 5, 6), (4, 3, 3, 2), 1, 1, 1, 1),
    ((2, 2, 7, 6), (3, 2, 3, 3), 2, 1, 1, 1),        # stride remainder rows
    ((1, 2, 8, 7), (2, 2, 2, 3), (3, 2), (0, 2), 1, 1),
    ((1, 2, 9, 9), (2, 2, 3, 3), 2, 2, 2, 1),        # dilation with stride
    ((2, 4, 5, 5), (6, 2, 3, 3), 1, 1, 1, 2),        # groups
    ((1, 4, 6, 6), (4, 1, 3, 3), 2, 1, 1, 4),        # depthwise, strided
    ((1, 2, 4, 4), (3, 2, 1, 1), 1, 2, 1, 1),        # padding wider than the kernel
    ((2, 3, 5, 5), (2, 3, 5, 5), 1, 0, 1, 1),        # kernel as large as the input
]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_gradients_match_finite_differences(case):
    xs, ws, stride, padding, dilation, groups = case
    fn = lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)  # noqa: E731
    assert gradcheck(fn, [rnd(*xs), rnd(*ws, seed=1), rnd(ws[0], seed=2)])


def test_conv2d_second_derivative_matches_finite_differences():
    w = rnd(2, 2, 3, 3, seed=1)
    def inner(x):
        return (F.conv2d(x, w, stride=2, padding=1) ** 2).sum()
    x, v = rnd(1, 2, 5, 5), rnd(1, 2, 5, 5, seed=3)
    hvp = mlopt.grad(lambda x: (mlopt.grad(inner)(x) * v).sum())(x).numpy()
    eps, xn, vn = 1e-6, x.numpy(), v.numpy()
    numeric = np.zeros_like(xn)
    for i in np.ndindex(xn.shape):
        d = np.zeros_like(xn)
        d[i] = eps
        up = (mlopt.grad(inner)(mlopt.tensor(xn + d)).numpy() * vn).sum()
        down = (mlopt.grad(inner)(mlopt.tensor(xn - d)).numpy() * vn).sum()
        numeric[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(hvp, numeric, rtol=1e-6, atol=1e-8)


def test_conv2d_training_step_compiled_matches_eager():
    def step(x, w):
        loss = F.relu(F.conv2d(x, w, padding=1)).mean()
        loss.backward()
        return loss
    x = rnd(2, 3, 6, 6)
    we = rnd(4, 3, 3, 3, seed=1).requires_grad_()
    wc = we.detach().clone().requires_grad_()
    step(x, we)
    mlopt.compile(step)(x, wc)
    np.testing.assert_allclose(wc.grad.numpy(), we.grad.numpy(), rtol=1e-10)


def test_grad_and_value_and_grad_match_eager_backward():
    def f(x, w):
        return (F.gelu(x @ w) ** 2).mean()
    x, w = rnd(4, 3), rnd(3, 5)
    xe, we = x.clone().requires_grad_(), w.clone().requires_grad_()
    f(xe, we).backward()
    gx, gw = mlopt.grad(f, argnums=(0, 1))(x, w)
    value, gw2 = mlopt.value_and_grad(f, argnums=1)(x, w)
    np.testing.assert_allclose(gx.numpy(), xe.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gw.numpy(), we.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gw2.numpy(), we.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(value.item(), f(x, w).item(), rtol=1e-12)


def test_vjp_with_a_cotangent():
    x = rnd(3, 4)
    out, vjp_fn = mlopt.vjp(lambda x: x.exp() * 2, x)
    cot = rnd(3, 4, seed=9)
    (gx,) = vjp_fn(cot)
    np.testing.assert_allclose(gx.numpy(), (cot.numpy() * 2 * np.exp(x.numpy())), rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), 2 * np.exp(x.numpy()), rtol=1e-12)


def test_second_derivatives():
    x = rnd(5)
    d2 = mlopt.grad(lambda x: mlopt.grad(lambda y: (y.sin() * y).sum())(x).sum())(x)
    v = x.numpy()
    np.testing.assert_allclose(d2.numpy(), 2 * np.cos(v) - v * np.sin(v), rtol=1e-10)


def test_accumulation_no_grad_detach_and_errors():
    w = rnd(3).requires_grad_()
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full(3, 5.0))
    with mlopt.no_grad():
        y = w * 2
        w -= 0.1 * w.grad  # an optimizer step
    assert not y.requires_grad
    assert not w.detach().requires_grad and (w * 1).requires_grad
    assert mlopt.is_grad_enabled()
    with pytest.raises(RuntimeError, match="in-place update of a tensor that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="does not require grad"):
        rnd(3).sum().backward()
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (w * 2).backward()
    g = rnd(3)
    w.grad = None
    (w * w).backward(g)
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy() * g.numpy())


def test_factories_take_requires_grad():
    for t in [mlopt.zeros(2, requires_grad=True), mlopt.ones(2, requires_grad=True),
              mlopt.full((2,), 3.0, requires_grad=True), mlopt.empty(2, requires_grad=True),
              mlopt.randn(2, requires_grad=True), mlopt.tensor([1.0], requires_grad=True)]:
        assert t.requires_grad and t.is_leaf
    b = mlopt.zeros(3, requires_grad=True)
    F.linear(mlopt.ones(2, 3), mlopt.ones(3, 3), b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), np.full(3, 2.0))


def _mlp_params(seed):
    rng = np.random.default_rng(seed)
    return [mlopt.tensor(rng.standard_normal(s) * 0.3, dtype=mlopt.float64).requires_grad_()
            for s in [(8, 16), (16,), (16, 4), (4,)]]


def _loss(params, x, y):
    w1, b1, w2, b2 = params
    return F.cross_entropy(F.linear(F.relu(F.linear(x, w1.T, b1)), w2.T, b2), y)


def test_sgd_training_gives_the_same_weights_eager_and_compiled():
    rng = np.random.default_rng(1)
    x = mlopt.tensor(rng.standard_normal((32, 8)), dtype=mlopt.float64)
    y = mlopt.tensor(rng.integers(0, 4, 32))
    eager, compiled = _mlp_params(0), _mlp_params(0)

    def step(params):
        loss = _loss(params, x, y)
        loss.backward()
        with mlopt.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        return loss

    compiled_step = mlopt.compile(lambda: step(compiled), fullgraph=True)
    losses = []
    for _ in range(30):
        losses.append(step(eager).item())
        compiled_step()
    for a, b in zip(eager, compiled):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert losses[-1] < losses[0] * 0.8
    assert len(compiled_step.cache) == 1  # forward, backward and update: one program


def test_backward_inside_compile_reaches_parameters_passed_as_arguments():
    """Parameters as arguments (not captured): .grad is readable inside the
    function, accumulates onto an existing .grad, and is set after the call."""
    rng = np.random.default_rng(2)
    x = mlopt.tensor(rng.standard_normal((6, 4)))

    def step(w, b):
        loss = ((x @ w + b).tanh() ** 2).sum()
        loss.backward()
        with mlopt.no_grad():
            w -= 0.1 * w.grad
        return loss

    def fresh():
        return (mlopt.tensor(rng.standard_normal((4, 3))).requires_grad_(),
                mlopt.zeros(3, dtype=mlopt.float64, requires_grad=True))
    we, be = fresh()
    wc, bc = we.detach().clone().requires_grad_(), be.detach().clone().requires_grad_()
    be.grad = mlopt.ones(3, dtype=mlopt.float64)
    bc.grad = mlopt.ones(3, dtype=mlopt.float64)
    compiled = mlopt.compile(step, fullgraph=True)
    for _ in range(3):
        step(we, be)
        compiled(wc, bc)
        np.testing.assert_allclose(wc.detach().numpy(), we.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(wc.grad.numpy(), we.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(bc.grad.numpy(), be.grad.numpy(), rtol=1e-12)


def test_compiled_backward_accumulates_across_calls_for_captured_parameters():
    """.grad is read anew on every call (it is a new tensor after each), and a
    .grad that changes between None and a tensor traces again."""
    rng = np.random.default_rng(3)
    x = mlopt.tensor(rng.standard_normal((5, 4)))
    we = mlopt.tensor(rng.standard_normal((4, 2))).requires_grad_()
    wc = we.detach().clone().requires_grad_()

    def make(w):
        def step():
            (x @ w).sin().sum().backward()
        return step
    eager, compiled = make(we), make(wc)
    compiled = mlopt.compile(compiled)
    for i in range(4):
        if i == 2:
            we.grad = wc.grad = None
        eager()
        compiled()
        np.testing.assert_allclose(wc.grad.numpy(), we.grad.numpy(), rtol=1e-12)


def test_compiled_backward_on_new_argument_tensors_each_call():
    """The trace refers to the call's arguments, not the tensors it was
    traced with: input gradients of fresh tensors each call."""
    f = mlopt.compile(lambda x: (x.sin() * x).sum().backward())
    for seed in range(3):
        x = rnd(5, seed=seed).requires_grad_()
        f(x)
        v = x.detach().numpy()
        np.testing.assert_allclose(x.grad.numpy(), np.cos(v) * v + np.sin(v), rtol=1e-12)


def test_compiled_optimizer_step_reads_the_current_grad():
    """A compiled update of captured parameters reads .grad anew each call
    (eager backward replaces the .grad object)."""
    w = rnd(4).requires_grad_()
    @mlopt.compile
    def sgd():
        with mlopt.no_grad():
            w.sub_(0.5 * w.grad)
    expected = w.detach().numpy().copy()
    for step in range(3):
        w.grad = None
        ((w * w).sum() * (step + 1)).backward()
        expected -= 0.5 * 2 * (step + 1) * expected
        sgd()
        np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-12)


def test_one_tensor_passed_twice_gets_both_gradients():
    w = rnd(3).requires_grad_()
    mlopt.compile(lambda a, b: (a * b).sum().backward())(w, w)
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy(), rtol=1e-12)
    a, b = rnd(3, seed=1).requires_grad_(), rnd(3, seed=2).requires_grad_()
    f = mlopt.compile(lambda a, b: (a * b).sum())
    assert f(w, w).item() == pytest.approx(float((w.detach().numpy() ** 2).sum()))
    assert f(a, b).item() == pytest.approx(float((a.detach().numpy() * b.detach().numpy()).sum()))
