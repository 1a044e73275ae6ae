"""backward() frees what PyTorch's graph saves unless retain_graph: a kept
loss (`total += loss`) holds no activations, and a second backward through
a node that saved values raises PyTorch's error; where PyTorch's nodes save
nothing (adds, sums, views) it runs again, as there."""
import gc
import weakref

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn

# name: (function, whether PyTorch 2.15 refuses a second backward)
CASES = {
    "add": (lambda t, x: x + 1, False),
    "sub": (lambda t, x: x - 1, False),
    "neg": (lambda t, x: -x, False),
    "view": (lambda t, x: x.view(3, 1), False),
    "index": (lambda t, x: x[1:], False),
    "cat": (lambda t, x: t.cat([x, x]), False),
    "clone": (lambda t, x: x.clone(), False),
    "mean": (lambda t, x: x.mean(), False),
    "mul": (lambda t, x: x * x, True),
    "mul_const": (lambda t, x: x * t.ones(3, dtype=x.dtype), True),
    "exp": (lambda t, x: x.exp(), True),
    "tanh": (lambda t, x: x.tanh(), True),
    "relu": (lambda t, x: x.relu(), True),
    "pow": (lambda t, x: x ** 2, True),
    "div": (lambda t, x: 2 / x, True),
    "matmul": (lambda t, x: x @ t.ones(3, dtype=x.dtype), True),
    "softmax": (lambda t, x: x.softmax(0), True),
    "linear": (lambda t, x: t.nn.functional.linear(x, t.ones(2, 3, dtype=x.dtype)), True),
    "scale": (lambda t, x: x * 2, True),
}


def _twice(lib, fn, retain=False):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    y = fn(lib, x).sum()
    y.backward(retain_graph=retain)
    try:
        y.backward()
    except RuntimeError as e:
        assert "backward through the graph a second time" in str(e)
        return None
    return x.grad.numpy()


@pytest.mark.parametrize("name", CASES)
def test_second_backward_as_pytorch(name):
    fn, refused = CASES[name]
    grad = _twice(mlopt, fn)
    assert (grad is None) == refused, grad
    kept = _twice(mlopt, fn, retain=True)  # retain_graph: twice the gradient
    once = mlopt.tensor([1.0, 2.0, 3.0], dtype=mlopt.float64, requires_grad=True)
    fn(mlopt, once).sum().backward()
    np.testing.assert_allclose(kept, 2 * once.grad.numpy(), rtol=1e-15)
    if grad is not None:
        np.testing.assert_allclose(grad, kept, rtol=1e-15)


def test_pytorch_refuses_the_same_second_backwards():
    torch = pytest.importorskip("torch")
    for name, (fn, refused) in CASES.items():
        assert (_twice(torch, fn) is None) == refused, name


def test_autograd_grad_frees_unless_retained():
    x = mlopt.tensor([0.5, -1.0], dtype=mlopt.float64, requires_grad=True)
    y = (x.tanh() * x).sum()
    (g1,) = mlopt.autograd.grad(y, x, retain_graph=True)
    (g2,) = mlopt.autograd.grad(y, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy())
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        mlopt.autograd.grad(y, x)


def test_kept_losses_hold_no_activations():
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = mlopt.optim.SGD(model.parameters(), lr=0.1)
    x, y = mlopt.randn(4, 8), mlopt.randn(4, 1)
    total, hidden = 0.0, []
    for _ in range(3):
        opt.zero_grad()
        h = model[1](model[0](x))
        hidden.append(weakref.ref(h))
        loss = ((model[2](h) - y) ** 2).mean()
        del h
        assert hidden[-1]() is not None  # the tape holds it until backward
        loss.backward()
        opt.step()
        total += loss  # a graph of the losses, as in PyTorch
    gc.collect()
    assert all(ref() is None for ref in hidden)
    assert total.requires_grad
    with pytest.raises(RuntimeError, match="second time"):
        total.backward()  # through the freed steps, as PyTorch
