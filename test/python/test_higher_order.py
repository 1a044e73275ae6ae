"""Higher-order gradients of eager tensors (create_graph=True): Hessian-vector
products and a WGAN-GP gradient penalty against float64 formulas, finite
differences and PyTorch; gradients of gradients through compiled calls."""
import numpy as np
import pytest

import mlopt
import mlopt.nn as nn


def f64(values):
    return mlopt.tensor(np.asarray(values, dtype=np.float64))


def test_hessian_vector_product_matches_the_formula():
    a = np.array([0.3, -1.2, 2.0, 0.7])
    v = np.array([1.0, -0.5, 0.25, 2.0])
    x = f64(a).requires_grad_()
    y = (x.sin() * x ** 3).sum()
    (g,) = mlopt.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and x.grad is None
    np.testing.assert_allclose(g.detach().numpy(), np.cos(a) * a ** 3 + 3 * a ** 2 * np.sin(a),
                               rtol=1e-12)
    (g * f64(v)).sum().backward()
    hessian_diag = (-np.sin(a) * a ** 3 + 6 * a ** 2 * np.cos(a) + 6 * a * np.sin(a))
    np.testing.assert_allclose(x.grad.numpy(), hessian_diag * v, rtol=1e-12)


def test_third_derivative_and_a_full_hessian():
    t = f64(0.5).requires_grad_()
    (d1,) = mlopt.autograd.grad(t ** 4, t, create_graph=True)
    (d2,) = mlopt.autograd.grad(d1, t, create_graph=True)
    (d3,) = mlopt.autograd.grad(d2, t)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((0.5, 3.0, 12.0), rel=1e-14)
    assert not d3.requires_grad

    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 3))
    a = rng.standard_normal(3)
    x = f64(a).requires_grad_()
    y = (f64(m) @ x).tanh().sum()  # H = M^T diag(-2 tanh(u)(1 - tanh(u)^2)) M
    (g,) = mlopt.autograd.grad(y, x, create_graph=True)
    rows = [mlopt.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    u = np.tanh(m @ a)
    np.testing.assert_allclose(np.stack(rows), m.T @ np.diag(-2 * u * (1 - u * u)) @ m,
                               rtol=1e-10, atol=1e-12)


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    a = np.array([1.0, 2.0, -0.5])
    x = f64(a).requires_grad_()
    (x.exp() * x).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), np.exp(a) * (1 + a), rtol=1e-12)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(a) * (2 + a), rtol=1e-12)
    # As in PyTorch, create_graph holds under no_grad too, and the gradient
    # accumulated into an existing .grad stays differentiable.
    y = f64(a).requires_grad_()
    loss = (y * y * y).sum()
    with mlopt.no_grad():
        loss.backward(create_graph=True, retain_graph=True)
        loss.backward(create_graph=True)
    assert y.grad.requires_grad
    np.testing.assert_allclose(y.grad.detach().numpy(), 6 * a * a, rtol=1e-12)
    (h,) = mlopt.autograd.grad(y.grad.sum(), y)
    np.testing.assert_allclose(h.numpy(), 12 * a, rtol=1e-12)


def _critic(dtype):
    mlopt.manual_seed(0)
    d = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).to(dtype)
    with mlopt.no_grad():
        for i, p in enumerate(d.parameters()):
            p.copy_(mlopt.linspace(-1.0, 1.0 + i, p.numel(), dtype=dtype).reshape(p.shape))
    return d


REAL = [[-1.0, -0.6, -0.2], [0.2, 0.6, 1.0]]
FAKE = [[1.0, 1.2, 1.4], [1.6, 1.8, 2.0]]


def _wgan_gp_loss(d, alpha, dtype):
    real, fake = mlopt.tensor(REAL, dtype=dtype), mlopt.tensor(FAKE, dtype=dtype)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = d(interp)
    (grads,) = mlopt.autograd.grad(outputs=out, inputs=interp, grad_outputs=mlopt.ones_like(out),
                                   create_graph=True, retain_graph=True)
    penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
    return d(fake).mean() - d(real).mean() + 10 * penalty


def test_gradient_penalty_matches_finite_differences():
    d = _critic(mlopt.float64)
    alpha = mlopt.tensor([[0.3], [0.7]], dtype=mlopt.float64)
    _wgan_gp_loss(d, alpha, mlopt.float64).backward()
    eps = 1e-6
    for p in d.parameters():
        flat = p.detach().numpy().reshape(-1).copy()  # numpy() shares p's memory
        numeric = np.zeros_like(flat)
        for j in range(flat.size):
            values = []
            for delta in (eps, -eps):
                with mlopt.no_grad():
                    moved = flat.copy()
                    moved[j] += delta
                    p.copy_(mlopt.tensor(moved.reshape(tuple(p.shape))))
                values.append(_wgan_gp_loss(d, alpha, mlopt.float64).item())
            with mlopt.no_grad():
                p.copy_(mlopt.tensor(flat.reshape(tuple(p.shape))))
            numeric[j] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(p.grad.numpy().reshape(-1), numeric, rtol=1e-6, atol=1e-7)


def test_gradient_penalty_matches_pytorch():
    torch = pytest.importorskip("torch")
    d = _critic(mlopt.float32)
    alpha = mlopt.tensor([[0.3], [0.7]])
    _wgan_gp_loss(d, alpha, mlopt.float32).backward()

    td = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    with torch.no_grad():
        for p, q in zip(td.parameters(), d.parameters()):
            p.copy_(torch.tensor(q.detach().numpy()))
    real, fake = torch.tensor(REAL), torch.tensor(FAKE)
    ta = torch.tensor([[0.3], [0.7]])
    interp = (ta * real + (1 - ta) * fake).requires_grad_(True)
    out = td(interp)
    (grads,) = torch.autograd.grad(out, interp, torch.ones_like(out), create_graph=True)
    loss = td(fake).mean() - td(real).mean() + 10 * ((grads.norm(2, dim=1) - 1) ** 2).mean()
    loss.backward()
    for p, q in zip(td.parameters(), d.parameters()):
        # f32: some entries cancel from terms near 7, so the tolerance is relative to those.
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=2e-5, atol=1e-4)


def test_second_order_through_a_compiled_call():
    cube = mlopt.compile(lambda x: (x ** 3).sum())
    a = np.array([1.0, -2.0, 0.5])
    x = f64(a).requires_grad_()
    (g,) = mlopt.autograd.grad(cube(x), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * a ** 2, rtol=1e-12)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * a, rtol=1e-12)


def test_a_leaf_changed_in_place_after_the_first_gradient_is_refused():
    x = f64([1.0, 2.0]).requires_grad_()
    (g,) = mlopt.autograd.grad((x ** 3).sum(), x, create_graph=True)
    with mlopt.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        g.sum().backward()


@pytest.mark.parametrize("create_graph", [False, True])
def test_autograd_grad_inside_compile_matches_eager(create_graph):
    def f(x):
        (g,) = mlopt.autograd.grad((x ** 3).sum(), x, create_graph=create_graph)
        return (g * x).sum()  # 3x^3: its gradient 9x^2, or 3x^2 with g a constant

    a = np.array([1.0, -2.0, 0.5])
    results = []
    for fn in (f, mlopt.compile(f, fullgraph=True)):
        x = f64(a).requires_grad_()
        out = fn(x)
        out.backward()
        results.append((out.item(), x.grad.numpy()))
    for value, grad in results:
        assert value == pytest.approx(np.sum(3 * a ** 3), rel=1e-12)
        np.testing.assert_allclose(grad, (9 if create_graph else 3) * a ** 2, rtol=1e-12)


def test_gradient_penalty_compiled_matches_eager():
    d = _critic(mlopt.float64)
    alpha = mlopt.tensor([[0.3], [0.7]], dtype=mlopt.float64)
    grads = []
    for fn in (_wgan_gp_loss, mlopt.compile(_wgan_gp_loss)):
        for p in d.parameters():
            p.grad = None
        fn(d, alpha, mlopt.float64).backward()
        grads.append([p.grad.numpy().copy() for p in d.parameters()])
    for eager, compiled in zip(*grads):
        np.testing.assert_allclose(compiled, eager, rtol=1e-12, atol=1e-14)


def test_jacobian_vector_product_through_the_cotangent():
    """The double-vjp trick: g(v) = J^T v with create_graph, then the
    gradient of g . u with respect to v is J u."""
    a = np.array([1.0, 2.0])
    x = f64(a).requires_grad_()
    y = x.tanh() * x.sum()  # J = diag(sech^2(x)) s + tanh(x) 1^T
    v = mlopt.zeros(2, dtype=mlopt.float64, requires_grad=True)
    (g,) = mlopt.autograd.grad(y, x, v, create_graph=True)
    (jvp,) = mlopt.autograd.grad(g, v, f64([1.0, 0.0]))
    jac = np.diag(1 - np.tanh(a) ** 2) * a.sum() + np.outer(np.tanh(a), np.ones(2))
    np.testing.assert_allclose(jvp.numpy(), jac @ np.array([1.0, 0.0]), rtol=1e-12)


def test_autograd_functional_against_formulas():
    AF = mlopt.autograd.functional
    a = np.array([0.5, -1.0, 2.0])
    x = f64(a)

    def g(t):
        return (t ** 3).sum() * t[0]  # a0 * sum(a^3)
    hess = np.diag(6 * a * a[0])
    hess[0, :] += 3 * a ** 2
    hess[:, 0] += 3 * a ** 2
    np.testing.assert_allclose(AF.hessian(g, x).numpy(), hess, rtol=1e-12)
    v = np.array([1.0, 0.0, -1.0])
    value, hv = AF.hvp(g, x, f64(v))
    assert value.item() == pytest.approx(a[0] * np.sum(a ** 3), rel=1e-14)
    np.testing.assert_allclose(hv.numpy(), hess @ v, rtol=1e-12)
    np.testing.assert_allclose(AF.vhp(g, x, f64(v))[1].numpy(), v @ hess, rtol=1e-12)
    jac = AF.jacobian(lambda t: t.exp() * t[0], x)  # diag(e^a) a0 + e^a e_0^T
    want = np.diag(np.exp(a) * a[0])
    want[:, 0] += np.exp(a)
    np.testing.assert_allclose(jac.numpy(), want, rtol=1e-12)
    u = np.array([1.0, 2.0, 3.0])
    _, jv = AF.jvp(lambda t: t.exp() * t[0], x, f64(u))
    np.testing.assert_allclose(jv.numpy(), want @ u, rtol=1e-12)
    _, vj = AF.vjp(lambda t: t.exp() * t[0], x, f64(u))
    np.testing.assert_allclose(vj.numpy(), u @ want, rtol=1e-12)
    blocks = AF.jacobian(lambda s, t: s * t.sum(), (x, f64([1.0, 2.0])))
    assert [tuple(b.shape) for b in blocks] == [(3, 3), (3, 2)]
    np.testing.assert_allclose(blocks[1].numpy(), np.stack([a, a], 1), rtol=1e-15)
    assert mlopt.autograd.gradcheck(lambda t: t.sin() * t, (x,))


def test_autograd_functional_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([0.3, -0.8, 1.2])

    def f(lib, t):
        return (t.tanh() * t.sum()).sum() * t[1]
    for name in ("hessian", "jacobian"):
        fn = (lambda lib: (lambda t: f(lib, t))) if name == "hessian" else \
            (lambda lib: (lambda t: t.tanh() * t.sum()))
        mine = getattr(mlopt.autograd.functional, name)(fn(mlopt), f64(a)).numpy()
        theirs = getattr(torch.autograd.functional, name)(fn(torch), torch.tensor(a)).numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)


def test_create_graph_keeps_the_tape_whatever_retain_graph_says():
    """As PyTorch: create_graph=True with retain_graph=False still gives a
    gradient that differentiates (the new graph keeps what it needs)."""
    a = np.array([0.5, -1.0])
    x = f64(a).requires_grad_()
    (x ** 3).sum().backward(create_graph=True, retain_graph=False)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * a, rtol=1e-12)
    y = f64(a).requires_grad_()
    (h,) = mlopt.autograd.grad((y ** 3).sum(), y, create_graph=True, retain_graph=False)
    (hh,) = mlopt.autograd.grad(h.sum(), y)
    np.testing.assert_allclose(hh.numpy(), 6 * a, rtol=1e-12)
