"""mlopt.autograd.Function (torch.autograd.Function): forward and backward in
Python, against float64 formulas, finite differences and PyTorch; chains of
Functions, gradient reversal, straight-through estimators, autograd.grad,
freed graphs and @compile's fallback."""
import numpy as np
import pytest

import mlopt
from mlopt.testing import gradcheck


def _functions(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class GradReverse(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, lam):
            ctx.lam = lam
            return x.view_as(x)

        @staticmethod
        def backward(ctx, g):
            return -ctx.lam * g, None

    class RoundSTE(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.round()

        @staticmethod
        def backward(ctx, g):
            return g

    class MulAdd(lib.autograd.Function):  # two outputs, a broadcast input
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b

        @staticmethod
        def backward(ctx, g_prod, g_sum):
            a, b = ctx.saved_tensors
            return g_prod * b + g_sum, g_prod * a + g_sum  # b's summed to its shape

    return Exp, GradReverse, RoundSTE, MulAdd


def _loss(lib, x, w, b):
    Exp, GradReverse, RoundSTE, MulAdd = _functions(lib)
    h = x * w
    prod, total = MulAdd.apply(h, b)
    y = Exp.apply(prod) * x + GradReverse.apply(h * h, 0.5).sum() + RoundSTE.apply(3 * h).sum()
    return (y * y).sum() + total.sum()


def _inputs(lib):
    return (lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True),
            lib.tensor([1.5, 0.5, -1.0], dtype=lib.float64, requires_grad=True),
            lib.tensor([0.25], dtype=lib.float64, requires_grad=True))


def test_function_gradients_match_the_formula():
    x, w, b = _inputs(mlopt)
    _loss(mlopt, x, w, b).backward()
    a, v, c = x.detach().numpy(), w.detach().numpy(), b.detach().numpy()
    h = a * v
    e = np.exp(h * c)
    s = np.sum(h * h)  # GradReverse is the identity forward
    y = e * a + s + np.sum(np.round(3 * h))
    # d/dh: through Exp (the true derivative), GradReverse (-0.5 of the true one),
    # RoundSTE (the identity, times 3); MulAdd's sum output adds 1 per element.
    dy = 2 * y
    dh = dy * e * c * a + (-0.5) * 2 * h * dy.sum() + 3 * dy.sum() + 1
    np.testing.assert_allclose(x.grad.numpy(), dh * v + dy * e, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), dh * a, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), [np.sum(dy * e * a * h) + 3], rtol=1e-12)


def test_function_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    mine, theirs = _inputs(mlopt), _inputs(torch)
    _loss(mlopt, *mine).backward()
    _loss(torch, *theirs).backward()
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_a_true_backward_passes_gradcheck_and_autograd_grad():
    Exp = _functions(mlopt)[0]
    x = mlopt.tensor([[0.3, -0.7], [1.1, 0.2]], dtype=mlopt.float64)
    assert gradcheck(lambda t: Exp.apply(t * 2).sin(), [x])
    x = mlopt.tensor([0.5, 1.0], dtype=mlopt.float64, requires_grad=True)
    h = x * 3
    y = Exp.apply(h)
    gx, gh, gy = mlopt.autograd.grad((y * y).sum(), [x, h, y])
    np.testing.assert_allclose(gy.numpy(), 2 * np.exp(3 * x.detach().numpy()), rtol=1e-12)
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp(6 * x.detach().numpy()), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), 6 * np.exp(6 * x.detach().numpy()), rtol=1e-12)
    assert x.grad is None


def test_function_graphs_are_freed_and_refuse_a_second_backward():
    Exp = _functions(mlopt)[0]
    x = mlopt.tensor([0.5], dtype=mlopt.float64, requires_grad=True)
    z = Exp.apply(x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad.item() == pytest.approx(2 * np.exp(0.5), rel=1e-14)
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_function_errors_and_non_differentiable_outputs():
    class Bad(mlopt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g  # one gradient for two inputs

    class WrongShape(mlopt.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return mlopt.ones(5)

    class ArgMax(mlopt.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            values = a * 1
            ctx.mark_non_differentiable(values)
            return values

        @staticmethod
        def backward(ctx, g):
            return g

    a = mlopt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, a).sum().backward()
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0 - got \[5\]"):
        WrongShape.apply(a).sum().backward()
    assert not ArgMax.apply(a).requires_grad
    with mlopt.no_grad():
        assert not _functions(mlopt)[0].apply(a).requires_grad


def test_compile_runs_a_function_eagerly_with_the_reason():
    Exp = _functions(mlopt)[0]

    @mlopt.compile
    def f(x):
        return Exp.apply(x * 2).sum()
    x = mlopt.tensor([0.1, 0.2], dtype=mlopt.float64, requires_grad=True)
    f(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()), rtol=1e-12)
    assert any("autograd.Function Exp" in r for r in f.reasons), f.reasons
