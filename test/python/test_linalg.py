"""mlopt.linalg (python/mlopt/linalg.py): norms as composites (eager and
compiled), factorizations and solvers through NumPy on the host, with
PyTorch's first-order gradients. Against NumPy in float64, finite
differences, and PyTorch where it is installed (values and gradients)."""
import math

import numpy as np
import pytest

import mlopt
from mlopt.testing import gradcheck

RNG = np.random.default_rng(3)
M = RNG.standard_normal((4, 4)) + 4 * np.eye(4)
MB = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
R = RNG.standard_normal((5, 3))
SPD = R.T @ R + np.eye(3)
SPDB = np.stack([SPD, SPD + np.diag([1.0, 2, 3])])
SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
INF = math.inf


def _proj(u, k):
    """The projection on the first k columns: the same for either sign of
    each singular vector or eigenvector."""
    return u[..., :, :k] @ u[..., :, :k].transpose(-1, -2)


def _np_proj(u, k):
    return u[..., :, :k] @ np.swapaxes(u[..., :, :k], -1, -2)


def _sym(a):
    """Finite differences of functions that read one triangle (cholesky,
    eigh): through a symmetric matrix, as PyTorch's symmetrized gradients."""
    return (a + a.transpose(-1, -2)) * 0.5


# name -> (fn(m, *tensors) for mlopt and torch alike, inputs, NumPy reference,
#          finite differences?)
CASES = {
    "vector_norm": (lambda m, x: m.linalg.vector_norm(x), [R],
                    lambda x: np.linalg.norm(x.ravel()), True),
    "vector_norm_3": (lambda m, x: m.linalg.vector_norm(x, 3, dim=1, keepdim=True), [R],
                      lambda x: (np.abs(x) ** 3).sum(1, keepdims=True) ** (1 / 3), True),
    "vector_norm_inf": (lambda m, x: m.linalg.vector_norm(x, INF, dim=(0, 1)), [R],
                        lambda x: np.abs(x).max(), True),
    "vector_norm_-inf": (lambda m, x: m.linalg.vector_norm(x, -INF, dim=0), [R],
                         lambda x: np.abs(x).min(0), True),
    "vector_norm_1": (lambda m, x: m.linalg.vector_norm(x, 1, dim=-1), [R],
                      lambda x: np.abs(x).sum(-1), True),
    "vector_norm_0": (lambda m, x: m.linalg.vector_norm(x, 0), [np.round(R)],
                      lambda x: float((x != 0).sum()), False),
    "vector_norm_at_zero": (lambda m, x: m.linalg.vector_norm(x), [np.zeros(3)],
                            lambda x: 0.0, False),
    "norm_default": (lambda m, x: m.linalg.norm(x), [MB], lambda x: np.linalg.norm(x.ravel()),
                     True),
    "norm_vector_dim": (lambda m, x: m.linalg.norm(x, 1, dim=1), [MB],
                        lambda x: np.abs(x).sum(1), True),
    "norm_nuc": (lambda m, x: m.linalg.norm(x, "nuc"), [M], lambda x: np.linalg.norm(x, "nuc"),
                 True),
    "norm_1d_ord": (lambda m, x: m.linalg.norm(x, 4), [M[0]], lambda x: np.linalg.norm(x, 4),
                    True),
    "inv": (lambda m, x: m.linalg.inv(x), [M], np.linalg.inv, True),
    "inv_batch": (lambda m, x: m.linalg.inv(x), [MB], np.linalg.inv, True),
    "inverse_method": (lambda m, x: x.inverse(), [M], np.linalg.inv, True),
    "solve": (lambda m, a, b: m.linalg.solve(a, b), [M, R[:4]], np.linalg.solve, True),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b), [M, R[:4, 0]],
                     lambda a, b: np.linalg.solve(a, b[:, None])[:, 0], True),
    "solve_batch_vectors": (lambda m, a, b: m.linalg.solve(a, b), [MB, R[:2]],
                            lambda a, b: np.linalg.solve(a, b[..., None])[..., 0], True),
    "solve_broadcast": (lambda m, a, b: m.linalg.solve(a, b), [MB, R[:3, :2]],
                        lambda a, b: np.linalg.solve(a, np.broadcast_to(b, (2, 3, 2))), True),
    "solve_right": (lambda m, a, b: m.linalg.solve(a, b, left=False),
                    [M, RNG.standard_normal((2, 4))], lambda a, b: b @ np.linalg.inv(a), True),
    "det": (lambda m, x: m.linalg.det(x), [M], np.linalg.det, True),
    "det_batch": (lambda m, x: m.det(x), [MB], np.linalg.det, True),
    "slogdet": (lambda m, x: m.linalg.slogdet(x), [MB - 3 * np.eye(3)],
                lambda x: tuple(np.linalg.slogdet(x)), True),
    "logdet": (lambda m, x: x.logdet(), [SPDB], lambda x: np.linalg.slogdet(x)[1], True),
    "cholesky": (lambda m, x: m.linalg.cholesky(x), [SPD], np.linalg.cholesky, _sym),
    "cholesky_upper_batch": (lambda m, x: m.linalg.cholesky(x, upper=True), [SPDB],
                             lambda x: np.swapaxes(np.linalg.cholesky(x), -1, -2), _sym),
    "cholesky_reads_lower": (lambda m, x: m.linalg.cholesky(x),
                             [SPD + np.triu(RNG.standard_normal((3, 3)), 1)],
                             np.linalg.cholesky, False),
    "qr": (lambda m, x: m.linalg.qr(x), [R], lambda x: tuple(np.linalg.qr(x)), True),
    "qr_square": (lambda m, x: m.linalg.qr(x), [M], lambda x: tuple(np.linalg.qr(x)), True),
    "svdvals": (lambda m, x: m.linalg.svdvals(x), [R],
                lambda x: np.linalg.svd(x, compute_uv=False), True),
    "svd_thin": (lambda m, x: (lambda u, s, vh: (_proj(u, 2), s, _proj(vh.transpose(-1, -2), 2),
                                                 u @ m.diag_embed(s) @ vh))(
        *m.linalg.svd(x, full_matrices=False)), [R],
        lambda x: (lambda u, s, vh: (_np_proj(u, 2), s, _np_proj(vh.T, 2), x))(
            *np.linalg.svd(x, full_matrices=False)), True),
    "svd_wide": (lambda m, x: (lambda u, s, vh: (_proj(u, 2), s))(
        *m.linalg.svd(x, full_matrices=False)), [R.T],
        lambda x: (lambda u, s, vh: (_np_proj(u, 2), s))(*np.linalg.svd(x, False)), True),
    "svd_square_full": (lambda m, x: (lambda u, s, vh: (_proj(u, 3), s))(*m.linalg.svd(x)),
                        [M], lambda x: (lambda u, s, vh: (_np_proj(u, 3), s))(
                            *np.linalg.svd(x)), True),
    "svd_legacy": (lambda m, x: (lambda u, s, v: (_proj(u, 1), s, _proj(v, 2)))(*m.svd(x)),
                   [R], lambda x: (lambda u, s, vh: (_np_proj(u, 1), s, _np_proj(vh.T, 2)))(
                       *np.linalg.svd(x, False)), True),
    "eigh": (lambda m, x: (lambda w, v: (w, _proj(v, 1), _proj(v, 2)))(*m.linalg.eigh(x)),
             [SPDB], lambda x: (lambda w, v: (w, _np_proj(v, 1), _np_proj(v, 2)))(
                 *np.linalg.eigh(x)), _sym),
    "eigh_upper": (lambda m, x: (lambda w, v: (w, _proj(v, 1)))(*m.linalg.eigh(x, UPLO="U")),
                   [SPD], lambda x: (lambda w, v: (w, _np_proj(v, 1)))(*np.linalg.eigh(x)),
                   _sym),
    "eigvalsh": (lambda m, x: m.linalg.eigvalsh(x), [SPDB], np.linalg.eigvalsh, _sym),
    "pinv": (lambda m, x: m.linalg.pinv(x), [R], np.linalg.pinv, True),
    "pinv_wide": (lambda m, x: m.pinverse(x), [R.T], np.linalg.pinv, True),
    "matrix_power_3": (lambda m, x: m.linalg.matrix_power(x, 3), [M],
                       lambda x: np.linalg.matrix_power(x, 3), True),
    "matrix_power_-2": (lambda m, x: x.matrix_power(-2), [MB],
                        lambda x: np.linalg.matrix_power(np.linalg.inv(x), 2), True),
    "matrix_power_0": (lambda m, x: m.linalg.matrix_power(x, 0), [MB],
                       lambda x: np.broadcast_to(np.eye(3), x.shape), True),
    "multi_dot": (lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
                  [R[0], R.T, RNG.standard_normal((5, 2))],
                  lambda a, b, c: np.linalg.multi_dot([a, b, c]), True),
    "vecdot": (lambda m, a, b: m.linalg.vecdot(a, b), [R, R[::-1].copy()],
               lambda a, b: (a * b).sum(-1), True),
    "lstsq": (lambda m, a, b: m.linalg.lstsq(a, b).solution, [R, RNG.standard_normal((5, 2))],
              lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], True),
}
for _ord in ("fro", "nuc", 1, -1, 2, -2, INF, -INF):
    CASES[f"matrix_norm_{_ord}"] = (
        lambda m, x, o=_ord: m.linalg.matrix_norm(x, o), [MB],
        lambda x, o=_ord: np.linalg.norm(x, o, axis=(-2, -1)), _ord not in (INF, -INF, 1, -1))
    CASES[f"matrix_norm_keepdim_{_ord}"] = (
        lambda m, x, o=_ord: m.linalg.matrix_norm(x, o, dim=(2, 0), keepdim=True), [MB],
        lambda x, o=_ord: np.linalg.norm(x, o, axis=(2, 0), keepdims=True), False)


def _list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_linalg_matches_numpy_and_finite_differences(name):
    fn, inputs, ref, fd = CASES[name]
    got = _list(fn(mlopt, *[mlopt.tensor(a) for a in inputs]))
    want = _list(ref(*inputs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w, np.float64), rtol=1e-9, atol=1e-10,
                                   err_msg=name)
    if fd:
        wrap = fd if callable(fd) else (lambda a: a)
        gradcheck(lambda x, *xs: fn(mlopt, wrap(x), *xs), [mlopt.tensor(a) for a in inputs],
                  atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_linalg_matches_pytorch_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    fn, inputs, _, _ = CASES[name]
    ours = [mlopt.tensor(a).requires_grad_() for a in inputs]
    theirs = [torch.tensor(a).requires_grad_() for a in inputs]
    got, want = _list(fn(mlopt, *ours)), _list(fn(torch, *theirs))
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(tuple(w.shape)) for w in want]
    for g, w in zip(got, want):
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-9,
                                   atol=1e-10, err_msg=name)
    if not any(w.requires_grad for w in want):
        return
    sum((g * mlopt.tensor(k)).sum() for g, k in zip(got, weights)).backward()
    sum((w * torch.tensor(k)).sum() for w, k in zip(want, weights)).backward()
    for a, b in zip(ours, theirs):
        ga = a.grad.numpy() if a.grad is not None else np.zeros(tuple(b.shape))
        gb = b.grad.numpy() if b.grad is not None else np.zeros(tuple(b.shape))
        np.testing.assert_allclose(ga, gb, rtol=1e-7, atol=1e-9, err_msg=name + " gradient")


def test_det_gradient_of_a_singular_matrix_is_the_adjugate():
    x = mlopt.tensor(SINGULAR, requires_grad=True)
    d = mlopt.linalg.det(x)
    assert abs(d.item()) < 1e-12
    d.backward()
    # cofactors of SINGULAR: rank 2, so its adjugate is not zero
    cof = np.array([[np.linalg.det(np.delete(np.delete(SINGULAR, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-12)
    gradcheck(lambda a: mlopt.linalg.det(a), [mlopt.tensor(SINGULAR)])


def test_factorizations_reconstruct_and_float32():
    a = mlopt.tensor(R, dtype=mlopt.float32)
    q, r = mlopt.linalg.qr(a)
    assert q.dtype is mlopt.float32 and q.shape == (5, 3) and r.shape == (3, 3)
    np.testing.assert_allclose((q @ r).numpy(), R, atol=1e-5)
    q, r = mlopt.linalg.qr(mlopt.tensor(R), mode="complete")
    assert q.shape == (5, 5)
    np.testing.assert_allclose((q.T @ q).numpy(), np.eye(5), atol=1e-12)
    assert mlopt.linalg.qr(mlopt.tensor(R), mode="r").Q.shape == (0,)
    u, s, vh = mlopt.linalg.svd(mlopt.tensor(R))
    assert (u.shape, s.shape, vh.shape) == ((5, 5), (3,), (3, 3))
    w, v = mlopt.linalg.eigh(mlopt.tensor(SPD))
    np.testing.assert_allclose((v @ mlopt.diag(w) @ v.T).numpy(), SPD, atol=1e-12)
    assert mlopt.linalg.matrix_rank(mlopt.tensor(SINGULAR)).item() == 2
    sign, logabs = mlopt.slogdet(mlopt.tensor(SINGULAR))
    assert sign.item() == 0 and logabs.item() == -math.inf
    assert math.isnan(mlopt.logdet(mlopt.tensor(np.diag([-1.0, 1, 1]))).item())
    np.testing.assert_allclose(mlopt.pinverse(mlopt.tensor(R), 1e-5).numpy(), np.linalg.pinv(R),
                               atol=1e-12)
    q, r = mlopt.tensor(M).qr()
    np.testing.assert_allclose((q @ r).numpy(), M, atol=1e-12)
    u, s, v = mlopt.tensor(R).svd()
    np.testing.assert_allclose((u @ mlopt.diag(s) @ v.T).numpy(), R, atol=1e-12)
    empty = mlopt.zeros(0, 0, dtype=mlopt.float64)
    assert mlopt.linalg.det(empty).item() == 1.0 and mlopt.linalg.inv(empty).shape == (0, 0)
    ln = mlopt.linalg.vector_norm(mlopt.full((70000,), 1.0, dtype=mlopt.float16))
    assert ln.dtype is mlopt.float16 and abs(ln.float().item() - math.sqrt(70000)) < 0.5


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError,
                       match="A must be batches of square matrices, but they are 5 by 3"):
        mlopt.linalg.inv(mlopt.tensor(R))
    with pytest.raises(mlopt.linalg.LinAlgError, match="singular"):
        mlopt.linalg.inv(mlopt.tensor(SINGULAR))
    with pytest.raises(RuntimeError,
                       match="The solver failed because the input matrix is singular"):
        mlopt.linalg.solve(mlopt.tensor(SINGULAR), mlopt.ones(3, dtype=mlopt.float64))
    with pytest.raises(RuntimeError,
                       match=r"Incompatible shapes of A and B for the equation AX = B "
                             r"\(4x4 and 3x1\)"):
        mlopt.linalg.solve(mlopt.tensor(M), mlopt.ones(3, 1, dtype=mlopt.float64))
    with pytest.raises(mlopt.linalg.LinAlgError,
                       match=r"\(Batch element 1\): .*not positive-definite \(the leading "
                             r"minor of order 2"):
        mlopt.linalg.cholesky(mlopt.tensor(np.stack([np.eye(2), np.array([[1.0, 2], [2, 1]])])))
    with pytest.raises(RuntimeError,
                       match="Expected a floating point or complex tensor as input. Got Long"):
        mlopt.linalg.vector_norm(mlopt.tensor([1, 2]))
    with pytest.raises(RuntimeError,
                       match="Expected a floating point or complex tensor as input. Got Long"):
        mlopt.linalg.det(mlopt.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        mlopt.linalg.matrix_norm(mlopt.ones(3))
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        mlopt.linalg.matrix_norm(mlopt.ones(3, 3), 3)
    with pytest.raises(RuntimeError,
                       match="If dim is not specified but ord is, the input must be 1D or "
                             "2D. Got 3D"):
        mlopt.linalg.norm(mlopt.ones(2, 2, 2), 2)
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        mlopt.linalg.vector_norm(mlopt.ones(0), INF)


def test_norms_compile_and_factorizations_end_the_trace():
    x = mlopt.tensor(RNG.standard_normal((3, 4)))

    def norms(x):
        return mlopt.linalg.vector_norm(x, 3, dim=1) + mlopt.linalg.matrix_norm(
            x[:, :3], INF) + mlopt.linalg.norm(x) + mlopt.linalg.cross(x[:, :3], x[:, 1:]).sum()

    compiled = mlopt.compile(norms, fullgraph=True)
    np.testing.assert_allclose(compiled(x).numpy(), norms(x).numpy(), rtol=1e-12)
    inverse = mlopt.compile(lambda a: mlopt.linalg.inv(a) * 2)
    a = mlopt.tensor(M)
    np.testing.assert_allclose(inverse(a).numpy(), np.linalg.inv(M) * 2, rtol=1e-12)
    assert any("inv needs a concrete value" in r for r in inverse.reasons)
