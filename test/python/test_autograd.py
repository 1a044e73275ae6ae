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
    # an even kernel: PyTorch pads the odd row and column at the bottom and right
    "conv2d_same_even": (lambda x, w: F.conv2d(x, w, padding="same"),
                         [rnd(1, 2, 5, 4), rnd(3, 2, 2, 3)]),
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
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
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


def _grads_three_ways(f, values):
    """d sum(f(a)) / da eagerly, with mlopt.grad, and by backward() inside
    @mlopt.compile (float32)."""
    a = mlopt.tensor(values, requires_grad=True)
    f(a).sum().backward()
    eager = a.grad.numpy()
    traced = mlopt.grad(lambda a: f(a).sum())(mlopt.tensor(values)).numpy()

    def step(a):
        f(a).sum().backward()
        return a.grad
    compiled = mlopt.compile(step, fullgraph=True)(mlopt.tensor(values, requires_grad=True))
    return eager, traced, compiled.numpy()


def _first_max_pool_grad(x, k, s):
    """max_pool2d's gradient as PyTorch's kernel: each window's first maximum
    (row-major) gets the window's gradient of 1."""
    g = np.zeros_like(x)
    for i in range((x.shape[0] - k) // s + 1):
        for j in range((x.shape[1] - k) // s + 1):
            window = x[i * s:i * s + k, j * s:j * s + k]
            r, c = np.unravel_index(np.argmax(window), window.shape)
            g[i * s + r, j * s + c] += 1
    return g


def _ties_pool_input():
    x = np.zeros((5, 5), np.float32)
    x[1, 2] = x[2, 1] = x[3, 3] = 1.0  # several equal maxima in overlapping windows
    return x


TIES = {  # (function, input, PyTorch's gradient)
    "relu_at_zero": (lambda a: F.relu(a), [0.0, 1.0, -1.0], [0.0, 1.0, 0.0]),
    "relu_scaled": (lambda a: F.relu(a) * 3, [0.0, 2.0], [0.0, 3.0]),
    # PyTorch 2.15 (older versions passed the gradient at the bounds too)
    "clamp_at_bounds": (lambda a: a.clamp(0, 1), [0.0, 1.0, 0.5, -1.0, 2.0],
                        [0.0, 0.0, 1.0, 0.0, 0.0]),
    "clamp_min_only": (lambda a: a.clamp(min=0), [0.0, -0.5, 3.0], [0.0, 0.0, 1.0]),
    "max_dim_ties": (lambda a: a.max(0).values, [3.0, 3.0, 1.0], [1.0, 0.0, 0.0]),
    "min_dim_ties": (lambda a: a.min(0).values, [1.0, 3.0, 1.0], [1.0, 0.0, 0.0]),
    "max_dim_keepdim": (lambda a: a.reshape(2, 3).max(1, keepdim=True)[0] * 2,
                        [5.0, 1.0, 5.0, 2.0, 2.0, 2.0], [2.0, 0.0, 0.0, 2.0, 0.0, 0.0]),
    "amax_ties_split": (lambda a: a.amax(0), [3.0, 3.0, 1.0], [0.5, 0.5, 0.0]),
    "max_no_dim_ties_split": (lambda a: a.max(), [3.0, 3.0, 1.0], [0.5, 0.5, 0.0]),
    "max_pool_equal_window": (lambda a: F.max_pool2d(a.reshape(1, 1, 2, 2), 2),
                              [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]),
    "max_pool_overlapping_ties": (
        lambda a: F.max_pool2d(a.reshape(1, 1, 5, 5), 3, stride=1),
        _ties_pool_input().reshape(-1).tolist(),
        _first_max_pool_grad(_ties_pool_input(), 3, 1).reshape(-1).tolist()),
    "max_pool_zero_plateau_strided": (
        lambda a: F.max_pool2d(a.reshape(1, 1, 4, 4), 2),
        [0.0] * 16, _first_max_pool_grad(np.zeros((4, 4)), 2, 2).reshape(-1).tolist()),
    "prod_one_zero": (lambda a: a.prod(), [1.0, 0.0, 2.0], [0.0, 2.0, 0.0]),
    "prod_two_zeros": (lambda a: a.prod(), [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),
    "prod_dim_rows": (lambda a: a.reshape(3, 2).prod(1),
                      [2.0, 0.0, 3.0, 4.0, 0.0, 0.0], [0.0, 2.0, 4.0, 3.0, 0.0, 0.0]),
    "pow_zero_base_exponent": (lambda a: mlopt.tensor([0.0, 2.0, 0.0]) ** a,
                               [2.0, 2.0, 0.0], [0.0, 4 * np.log(2.0), 0.0]),
    "pow_zero_exponent_at_zero": (lambda a: a ** 0.0, [0.0, 2.0], [0.0, 0.0]),
}


@pytest.mark.parametrize("name", sorted(TIES))
def test_gradients_at_ties_and_boundaries_match_pytorch(name):
    """relu'(0) = 0, clamp passes no gradient at its bounds, max/min(dim)
    to the returned index only (amax/amin and max() split ties), max_pool2d
    to each window's first maximum, prod and pow finite at zeros: eager,
    mlopt.grad and compiled backward alike."""
    f, values, expected = TIES[name]
    for got in _grads_three_ways(f, values):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)


def test_prod_with_zeros_matches_finite_differences():
    # prod is linear in each factor, so central differences are exact at zeros.
    x = mlopt.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [2.0, 3.0, 4.0]], dtype=mlopt.float64)
    assert gradcheck(lambda a: (a.prod(1), a.prod(0)), [x])


def test_clamp_and_relu_keep_forward_values():
    x = mlopt.tensor([-2.0, 0.0, 0.5, 3.0, float("nan")])
    np.testing.assert_array_equal(F.relu(x).numpy(), [0.0, 0.0, 0.5, 3.0, np.nan])
    np.testing.assert_array_equal(x.clamp(0, 1).numpy(), [0.0, 0.0, 0.5, 1.0, np.nan])
    np.testing.assert_array_equal(x.clamp(2, 1).numpy()[:4], [1.0, 1.0, 1.0, 1.0])  # min > max
    assert mlopt.tensor([1, 5, -3]).clamp(0, 2).tolist() == [1, 2, 0]
    assert mlopt.tensor([1, 5]).clamp(0.5).dtype is mlopt.float32
    v, i = mlopt.tensor([[1.0, float("nan"), 3.0], [4.0, 4.0, 0.0]]).max(1)
    np.testing.assert_array_equal(v.numpy(), [np.nan, 4.0])
    assert i.tolist() == [1, 0]
    with pytest.raises(IndexError):
        mlopt.zeros(2, 0).max(1)


# ---- in-place updates, index assignment and advanced indexing in eager autograd ------
# (PyTorch records them: the updated tensor's grad_fn is rebound, CopySlices for
# assignments through an index or a view; backward() refuses a value it needs
# that was modified since.)

XI, WI, YI = rnd(2, 3, seed=5), rnd(3, 4, seed=6), rnd(2, seed=7)


def _setitem_scalar(w):
    h = XI @ w
    h[:, 0] = 0.0
    return h * 3


def _setitem_tensor(w, y):
    h = XI @ w
    h[:, 1] = y
    return h * h


def _setitem_mask(w):
    h = XI @ w
    h[h.detach() > 0] = -1.0
    return h * h


def _setitem_mask_tensor(w):
    h = XI @ w
    m = h.detach() > 0
    h[m] = w.sum() * mlopt.ones(int(m.sum().item()), dtype=mlopt.float64)
    return h * h


def _setitem_list_duplicates(w, y):
    h = (w * 1.0)[0]
    h[[0, 2, 0]] = mlopt.stack([y[0], y[1], y[1]])  # the last write wins
    return h * h


def _setitem_through_view(w):
    h = XI @ w
    v = h[1]
    v[1:3] = 5.0
    return h.exp()


def _constant_gets_grad(w):
    x = mlopt.zeros(4, dtype=mlopt.float64)
    x[1] = w.sum()
    x[2:] = w[0, :2]
    x.add_(w[1])
    return x * x


def _inplace_arithmetic(w, y):
    h = XI @ w
    h += 1.0
    h.mul_(2)
    h.add_(XI @ w, alpha=0.5)
    h.sub_(y.sum())
    h.mul_(y.sum())
    h.div_(y.sum() + 3)
    h **= 2
    return h


def _inplace_relu_clamp(w):
    h = XI @ w
    F.relu(h, inplace=True)
    g = XI @ w
    g.clamp_(-0.3, 0.4)
    return h * 2 + g


def _inplace_dropout(w):
    h = XI @ w
    mlopt.manual_seed(0)
    F.dropout(h, 0.5, inplace=True)
    return h


def _inplace_on_views(w, y):
    h = XI @ w
    h[0].mul_(y.sum())
    h.T[1].add_(1.0)
    h.view(-1)[5:7].zero_()
    return h * h


def _base_updated_after_view(w):
    h = XI @ w
    v = h[0]
    h.mul_(3)  # v shows the new values, and so do its gradients
    return v * v


def _view_updated_then_base_read(w):
    h = XI @ w
    h[:, 1:3].mul_(2.0)
    flat = h.reshape(-1)
    return (flat * flat)[:5]


def _updated_under_no_grad(w):
    h = w * 2
    with mlopt.no_grad():
        h.add_(1.0)  # the value changes; gradients flow as if it had not
    return h * h


INPLACE = {
    "setitem_scalar": (_setitem_scalar, [WI]),
    "setitem_tensor": (_setitem_tensor, [WI, YI]),
    "setitem_mask": (_setitem_mask, [WI]),
    "setitem_mask_tensor": (_setitem_mask_tensor, [WI]),
    "setitem_list_duplicates": (_setitem_list_duplicates, [WI, YI]),
    "setitem_through_view": (_setitem_through_view, [WI]),
    "constant_gets_grad": (_constant_gets_grad, [WI]),
    "inplace_arithmetic": (_inplace_arithmetic, [WI, YI]),
    "inplace_relu_clamp": (_inplace_relu_clamp, [WI]),
    "inplace_dropout": (_inplace_dropout, [WI]),
    "inplace_on_views": (_inplace_on_views, [WI, YI]),
    "base_updated_after_view": (_base_updated_after_view, [WI]),
    "view_updated_then_base_read": (_view_updated_then_base_read, [WI]),
    "updated_under_no_grad": (_updated_under_no_grad, [WI]),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_updates_of_non_leaves_match_finite_differences(name):
    f, inputs = INPLACE[name]
    assert gradcheck(f, inputs)


def test_setitem_on_a_non_leaf_is_recorded():
    w = mlopt.ones(2, 2, requires_grad=True)
    h = mlopt.ones(1, 2) @ w
    h[:, 0] = 0.0
    assert not h.is_leaf and h.grad_fn is not None
    (h * 3).sum().backward()
    np.testing.assert_array_equal(h.detach().numpy(), [[0.0, 2.0]])
    np.testing.assert_array_equal(w.grad.numpy(), [[0.0, 3.0], [0.0, 3.0]])
    w2 = mlopt.ones(3, requires_grad=True)
    m = w2 * 1
    m[m > 0] = 5.0
    (m * m).sum().backward()
    np.testing.assert_array_equal(w2.grad.numpy(), [0.0, 0.0, 0.0])
    # attention masking: the masked scores get no gradient; row 0 is constant
    q = mlopt.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mlopt.float64, requires_grad=True)
    s = q @ q.T
    s[mlopt.tensor([[False, True], [False, False]])] = float("-inf")
    F.softmax(s, -1)[0, 0].backward()
    np.testing.assert_array_equal(q.grad.numpy(), np.zeros((2, 2)))
    # the assigned value's own gradient
    w3 = rnd(2, 2).requires_grad_()
    y = rnd(2, seed=3).requires_grad_()
    h = w3 * 1.0
    h[:, 0] = y
    (h * h).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy())
    np.testing.assert_allclose(w3.grad.numpy(), 2 * w3.detach().numpy() * [[0, 1], [0, 1]])


ADVANCED = {
    "arange_pair": lambda w: F.log_softmax(w, -1)[mlopt.arange(3), mlopt.tensor([3, 0, 3])],
    "mask": lambda w: w[w.detach() > 0] ** 2,
    "list_duplicates": lambda w: w[[0, 0, 2]] * w[:, [1, 1]].sum(),
    "two_lists": lambda w: w[[0, 1, 1], [2, 3, 3]] * 2,
    "bool_scalar": lambda w: w[True] * 2,
    "row_mask_then_slice": lambda w: w[mlopt.tensor([True, False, True]), 1:] * 3,
}


@pytest.mark.parametrize("name", sorted(ADVANCED))
def test_backward_through_advanced_indexing(name):
    assert gradcheck(ADVANCED[name], [WI])


def test_nll_through_advanced_indexing_matches_numpy():
    logits = rnd(4, 3).requires_grad_()
    y = mlopt.tensor([0, 2, 1, 1])
    loss = -F.log_softmax(logits, -1)[mlopt.arange(4), y].mean()
    loss.backward()
    z = logits.detach().numpy()
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(4), [0, 2, 1, 1]] -= 1
    np.testing.assert_allclose(logits.grad.numpy(), p / 4, rtol=1e-10)
    w = rnd(3).requires_grad_()  # duplicate indices accumulate
    w[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 0.0, 1.0])


def test_inplace_rebinds_grad_fn_and_bumps_the_version():
    w = rnd(3).requires_grad_()
    h = w * 2
    node, version = h.grad_fn, h._version
    h += 1
    assert h.grad_fn is not node and h._version == version + 1 and h.requires_grad
    v = h[1:]
    v.mul_(2)
    assert h._version == v._version == version + 2
    (h * 1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0, 4.0])
    # writing through a detach()ed alias changes values, not the graph (PyTorch)
    w.grad = None
    h = w * 2
    h.detach()[0].zero_()
    (h * w).sum().backward()
    expected = 2 * w.detach().numpy() + 2 * w.detach().numpy()
    expected[0] = 2 * w.detach().numpy()[0]  # h[0] is 0 now; dh/dw still 2
    np.testing.assert_allclose(w.grad.numpy(), expected)


def test_backward_refuses_a_saved_value_modified_in_place():
    w = rnd(3).requires_grad_()
    modified = "modified by an inplace operation"

    def exp_output():
        y = w.exp()
        y.add_(1)  # exp's gradient is its output
        y.sum().backward()

    def mul_input():
        a = w * 2
        b = a * a
        a.add_(1)
        b.sum().backward()

    def constant_input():
        x = rnd(3, seed=4)
        h = x * w
        x.add_(1)
        h.sum().backward()

    def sigmoid_then_relu_():
        h = w.sigmoid()
        F.relu(h, inplace=True)
        h.sum().backward()

    for fn in (exp_output, mul_input, constant_input, sigmoid_then_relu_):
        with pytest.raises(RuntimeError, match=modified):
            fn()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        w.mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0].zero_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        (w * 1).expand(2, 3).add_(1)
    # what PyTorch allows: a value no gradient needs, updated after use
    w.grad = None
    h = w * 1.0
    g = h * 2  # a scalar factor: h is not saved
    h.add_(1)
    (g + h).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0, 3.0])


def test_integer_and_bool_results_do_not_require_grad():
    w = rnd(3).requires_grad_()
    for t in (w > 0, w == w, w.argmax(), w.argmin(0), w.max(0).indices, w.min(0)[1],
              w.long(), w.isnan(), (w * 2).int()):
        assert not t.requires_grad and t.grad_fn is None
    mask = w > 0
    mask[0] = True
    idx = w.argmax()
    idx += 1
    assert idx.item() == int(np.argmax(w.detach().numpy())) + 1
    for make in (lambda: mlopt.tensor([1, 2], requires_grad=True),
                 lambda: mlopt.ones(2, dtype=mlopt.int64).requires_grad_(),
                 lambda: mlopt.zeros(2, dtype=mlopt.bool, requires_grad=True)):
        with pytest.raises(RuntimeError, match="only Tensors of floating point"):
            make()
    t = mlopt.arange(3)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        t.requires_grad = True
    assert mlopt.ones(2, dtype=mlopt.float16, requires_grad=True).requires_grad


def test_unsupported_backward_options_and_flags_raise():
    x = mlopt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        (x * 2).requires_grad_(False)
    x.requires_grad_(False)  # a leaf may
    assert not x.requires_grad


def test_retain_grad_gives_non_leaf_gradients():
    x = mlopt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    assert h.retains_grad and not x.retains_grad
    (h * 3).sum().backward()
    assert h.grad.tolist() == [3.0, 3.0, 3.0]
    assert x.grad.tolist() == [6.0, 12.0, 18.0]
    e = x.exp()
    e.retain_grad()
    (e * e).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), 2 * np.exp([1.0, 2.0, 3.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        mlopt.ones(2).retain_grad()


def test_grad_modes_as_pytorch():
    x = mlopt.ones(2, requires_grad=True)
    mlopt.set_grad_enabled(False)  # a plain call sets the mode
    try:
        assert not mlopt.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        mlopt.set_grad_enabled(True)
    with mlopt.set_grad_enabled(False):
        assert not mlopt.is_grad_enabled()
    assert mlopt.is_grad_enabled()

    @mlopt.no_grad  # bare, as @torch.no_grad
    def frozen(a):
        return a * 2

    @mlopt.set_grad_enabled(False)  # decorating alone changes nothing
    def off():
        return mlopt.is_grad_enabled()
    assert mlopt.is_grad_enabled()
    assert not frozen(x).requires_grad and not off() and mlopt.is_grad_enabled()

    @mlopt.enable_grad
    def on(a):
        return a * 2
    with mlopt.no_grad():
        assert on(x).requires_grad and not mlopt.is_grad_enabled()


@pytest.mark.parametrize("p", [2, "fro", 3, 1.5])
def test_norm_gradient_is_zero_where_the_norm_is(p):
    """PyTorch's norm backward: 0 at a zero vector (the root's slope is inf there)."""
    a = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    for f in (lambda x: x.norm(p=p, dim=-1).sum(), mlopt.compile(lambda x: x.norm(p=p, dim=-1).sum())):
        x = mlopt.tensor(a, requires_grad=True)
        f(x).backward()
        assert x.grad.numpy()[0].tolist() == [0.0, 0.0, 0.0]
        pp = 2 if p == "fro" else p
        norm = (np.abs(a[1]) ** pp).sum() ** (1 / pp)
        np.testing.assert_allclose(x.grad.numpy()[1], np.sign(a[1]) * np.abs(a[1]) ** (pp - 1)
                                   / norm ** (pp - 1), rtol=1e-12)


def test_backward_under_no_grad_still_differentiates():
    x = mlopt.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    with mlopt.no_grad():
        loss.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_autograd_grad_leaves_dot_grad_alone():
    """torch.autograd.grad's form: gradients with respect to leaves and
    non-leaves, weighted by grad_outputs, with no .grad set anywhere."""
    rng = np.random.default_rng(11)
    a, w0, seed = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    x, w = mlopt.tensor(a, requires_grad=True), mlopt.tensor(w0, requires_grad=True)
    h = (x @ w).tanh()
    out = (h * h).sum()
    gx, gh = mlopt.autograd.grad(out, [x, h], retain_graph=True)
    hn = np.tanh(a @ w0)
    np.testing.assert_allclose(gh.numpy(), 2 * hn, rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), (2 * hn * (1 - hn * hn)) @ w0.T, rtol=1e-12)
    (gw,) = mlopt.autograd.grad(h, w, grad_outputs=mlopt.tensor(seed), retain_graph=True)
    np.testing.assert_allclose(gw.numpy(), a.T @ (seed * (1 - hn * hn)), rtol=1e-12)
    assert x.grad is None and w.grad is None and h.grad is None
    unused = mlopt.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        mlopt.autograd.grad(out, [x, unused], retain_graph=True)
    assert mlopt.autograd.grad(out, [x, unused], allow_unused=True)[1] is None
    mlopt.autograd.backward([(x * 2).sum(), (x * 3).sum()])
    assert x.grad.numpy().tolist() == [[5.0] * 3] * 4
