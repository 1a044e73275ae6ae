"""Tensor.register_hook: leaf hooks before .grad accumulates, non-leaf hooks
on the whole gradient (uses before and after registering), replacement by
the returned tensor, handles, the Grad-CAM pattern, and PyTorch's values."""
import numpy as np
import pytest

import mlopt


def _run(lib):
    x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    h = x * 2
    y = h * h  # a use of h before the hook
    handle = h.register_hook(lambda g: g.clamp(-5, 5))
    (y + h).sum().backward()  # and one after
    first = x.grad.numpy().copy()
    x.grad = None
    handle.remove()
    (x * 2 * x * 2 + x * 2).sum().backward()
    return first, seen, x.grad.numpy()


def test_hooks_see_and_replace_gradients():
    first, seen, plain = _run(mlopt)
    a = np.array([1.0, -2.0, 3.0])
    dh = np.clip(2 * (2 * a) + 1, -5, 5)  # d/dh (h^2 + h), clamped by the hook
    np.testing.assert_allclose(first, 2 * dh, rtol=1e-15)
    np.testing.assert_allclose(seen[0], 2 * dh, rtol=1e-15)  # the leaf hook saw it
    np.testing.assert_allclose(plain, 8 * a + 2, rtol=1e-15)  # removed: no clamp
    assert len(seen) == 2


def test_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    for mine, theirs in zip(_run(mlopt), _run(torch)):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-15)


def test_grad_cam_pattern_and_leaf_scaling():
    grads = {}
    a = mlopt.tensor([[1.0, 2.0]], dtype=mlopt.float64, requires_grad=True)
    feature = a.tanh()
    feature.register_hook(lambda g: grads.__setitem__("feature", g))
    (feature * mlopt.tensor([[3.0, 4.0]], dtype=mlopt.float64)).sum().backward()
    np.testing.assert_array_equal(grads["feature"].numpy(), [[3.0, 4.0]])
    np.testing.assert_allclose(a.grad.numpy(), [[3.0, 4.0]] * (1 - np.tanh([[1.0, 2.0]]) ** 2),
                               rtol=1e-15)
    w = mlopt.tensor([0.5, 1.5], requires_grad=True)
    w.register_hook(lambda g: g * 10)
    w.register_hook(lambda g: g + 1)  # hooks run in order, each on the last result
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [11.0, 31.0])


def test_hook_errors_and_compile():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        mlopt.ones(2).register_hook(lambda g: g)

    @mlopt.compile
    def f(x):
        y = x * 3
        y.register_hook(lambda g: g * 2)
        return y.sum()
    x = mlopt.ones(2, requires_grad=True)
    f(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    assert any("register_hook" in r for r in f.reasons), f.reasons
