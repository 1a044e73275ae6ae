"""mlopt.linalg: torch.linalg's functions.

Norms, `cross`, `vecdot`, `matrix_power` and `multi_dot` are composites of
mlopt ops (eager, compiled, any order of gradients). The factorizations and
solvers (`inv solve det slogdet cholesky qr svd svdvals eigh eigvalsh pinv
matrix_rank lstsq`) run LAPACK through NumPy on the host (through the host
for CUDA tensors), as python/mlopt/_data_dependent.py's sorts do: under
`@mlopt.compile` they end the trace with that reason. Their first-order
gradients are PyTorch's formulas, attached as the linear term
`value + J(A - A.detach())` with J made of the host results, so a backward
pass is a few matmuls; a second derivative through them is not available.
"""

import builtins
import math

import numpy as np

from . import _autograd
from . import _dtype as dt
from . import _tensor as T
from ._composites import _root_of_sum, eye as _eye, movedim
from ._data_dependent import _host
from ._more_ops import _cross, _type_name
from ._tensor import Tensor, _as_tensor, _convert, _norm_dim


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix the operation cannot use."""


class _Named(tuple):
    """torch.return_types.*: a tuple whose fields have names."""
    _fields = ()

    def __getattr__(self, name):
        try:
            return self[type(self)._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None


def _named(name, fields):
    return type(name, (_Named,), {"_fields": tuple(fields)})


_SlogDet = _named("slogdet", ["sign", "logabsdet"])
_QR = _named("qr", ["Q", "R"])
_SVD = _named("svd", ["U", "S", "Vh"])
_LegacySVD = _named("svd", ["U", "S", "V"])
_Eigh = _named("eigh", ["eigenvalues", "eigenvectors"])
_Lstsq = _named("lstsq", ["solution", "residuals", "rank", "singular_values"])
_InvEx = _named("inv_ex", ["inverse", "info"])
_CholeskyEx = _named("cholesky_ex", ["L", "info"])


# ---- norms (composites) --------------------------------------------------------------

def _float_check(name, x):
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {_type_name(x.dtype)}")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    x = _as_tensor(x)
    if dtype is not None:
        x = _convert(x, dt.as_dtype(dtype))
    _float_check("vector_norm", x)
    dims = T._dims_arg(dim, x.ndim)
    if ord in (math.inf, -math.inf):
        if x.numel() == 0 or builtins.any(x.shape[d] == 0 for d in dims):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               f"tensor because the operation does not have an identity")
        reduce = T.amax if ord > 0 else T.amin
        return reduce(T.abs(x), dims if dims else (), keepdim)
    work = _convert(x, T._opmath(x.dtype))
    if ord == 0:
        out = T.sum(_convert(T.ne(work, 0), work.dtype), dims, keepdim)
        if _wants_grad(work):  # tied to x with a zero gradient, as PyTorch's
            out = T.where(T.ones([], dtype=dt.bool_, device=x.device), out,
                          T.sum(work, dims, keepdim))
    elif ord == 1:
        out = T.sum(T.abs(work), dims, keepdim)
    elif ord == 2:
        out = _root_of_sum(T.sum(work * work, dims, keepdim), T.sqrt)
    else:
        out = _root_of_sum(T.sum(T.abs(work) ** ord, dims, keepdim),
                           lambda s: s ** (1.0 / ord))
    return _convert(out, x.dtype)


def _matrix_dims(name, x, dim):
    if x.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 "
                           f"dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.{name}: dim must be a 2-tuple. Got {tuple(dim)}")
    d0, d1 = _norm_dim(dim[0], x.ndim), _norm_dim(dim[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.{name}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    x = _as_tensor(A)
    if dtype is not None:
        x = _convert(x, dt.as_dtype(dtype))
    _float_check("matrix_norm", x)
    d0, d1 = _matrix_dims("matrix_norm", x, dim)
    if ord == "fro":
        return vector_norm(x, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = movedim(x, (d0, d1), (-2, -1))
        s = svdvals(moved)
        out = T.sum(s, -1) if ord == "nuc" else (T.amax(s, -1) if ord == 2 else T.amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        # 1: the largest column sum (over rows d0); inf: the largest row sum
        summed, over = (d0, d1) if ord in (1, -1) else (d1, d0)
        reduce = T.amax if ord > 0 else T.amin
        out = reduce(T.sum(T.abs(x), summed, keepdim=True), over, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    x = _as_tensor(A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(x, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(x, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(x, 2, None, keepdim, dtype=dtype)
    if x.ndim == 1:
        return vector_norm(x, ord, None, keepdim, dtype=dtype)
    if x.ndim == 2:
        return matrix_norm(x, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {x.ndim}D.")


def cross(input, other, *, dim=-1):
    return _cross(_as_tensor(input), _as_tensor(other), dim)


def vecdot(x, y, *, dim=-1):
    return T.sum(x * y, dim)


def matrix_power(A, n):
    x = _as_tensor(A)
    _square("matrix_power", x)
    if n == 0:
        eye = _eye(x.shape[-1], dtype=x.dtype, device=x.device).expand(*x.shape)
        # (tied to A with a zero gradient, as PyTorch's)
        return T.where(T.ones([], dtype=dt.bool_, device=x.device), eye, x) if _wants_grad(x) \
            else eye.clone()
    if n < 0:
        x, n = inv(x), -n
    result, base = None, x
    while n:
        if n & 1:
            result = base if result is None else T.matmul(result, base)
        n >>= 1
        if n:
            base = T.matmul(base, base)
    return result


def multi_dot(tensors):
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec, last_vec = tensors[0].ndim == 1, tensors[-1].ndim == 1
    ts = [tensors[0].unsqueeze(0) if first_vec else tensors[0]] + tensors[1:-1] + \
        [tensors[-1].unsqueeze(1) if last_vec else tensors[-1]]
    for k, t in enumerate(ts):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {k} must be 2D but got {t.ndim}D")
    out = ts[0]
    for t in ts[1:]:
        out = T.matmul(out, t)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


# ---- host factorizations -----------------------------------------------------------

def _square(name, x):
    if x.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 "
                           f"dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they "
                           f"are {x.shape[-2]} by {x.shape[-1]} matrices")


def _values(name, x):
    """x's values as a float32/float64 NumPy array (float16/bfloat16 in
    float32); ints raise as PyTorch's."""
    _float_check(name, x)
    a = _host(x, name)
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _const(array, like):
    return T.tensor(np.array(array), device=like.device).to(like.dtype)


def _wants_grad(*xs):
    return _autograd.is_grad_enabled() and builtins.any(
        isinstance(x, Tensor) and x.requires_grad for x in xs)


def _delta(x):
    """x - x.detach(): zeros whose gradient is the identity."""
    return x - x.detach()


def _mT(x):
    return x.transpose(-2, -1)


def _singular_where(a):
    """Indices of the batch elements that are singular (exactly)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for k, m in enumerate(flat):
        if np.linalg.matrix_rank(m) < m.shape[-1]:
            return k
    return 0


def inv(A):
    x = _as_tensor(A)
    _square("inv", x)
    a = _values("inv", x)
    try:
        values = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        k = _singular_where(a)
        where = f"(Batch element {k}): " if a.ndim > 2 else ""
        raise LinAlgError(f"linalg.inv: {where}The diagonal element is zero, the inversion "
                          f"could not be completed because the input matrix is singular.") \
            from None
    out = _const(values, x)
    if _wants_grad(x):
        out = out - T.matmul(T.matmul(out, _delta(x)), out)
    return out


inverse = inv


def inv_ex(A, *, check_errors=False):
    return _InvEx((inv(A), T.zeros(
        tuple(A.shape[:-2]), dtype=dt.int32, device=A.device)))


def solve(A, B, *, left=True):
    a_t, b_t = _as_tensor(A), _as_tensor(B)
    _square("solve", a_t)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return _mT(solve(_mT(a_t), _mT(b_t)))
    vector = b_t.ndim == 1 or (b_t.ndim == a_t.ndim - 1 and
                               tuple(b_t.shape) == tuple(a_t.shape[:-1]))
    b_m = b_t.unsqueeze(-1) if vector else b_t
    if b_m.shape[-2] != a_t.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({a_t.shape[-2]}x{a_t.shape[-1]} and "
                           f"{b_m.shape[-2]}x{b_m.shape[-1]})")
    if a_t.dtype is not b_t.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {a_t.dtype} and B of type {b_t.dtype} instead")
    a, b = _values("solve", a_t), _values("solve", b_m)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    try:
        values = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                          "singular.") from None
    out = _const(values, a_t)
    if _wants_grad(a_t, b_t):
        a_inv = _const(np.linalg.inv(a), a_t)
        out = out + T.matmul(a_inv, _delta(b_m) - T.matmul(_delta(a_t), out.detach()))
    return out.squeeze(-1) if vector else out


def _adjugate_t(a):
    """The cofactor matrix (adjugate transposed) of each matrix, from the SVD
    (defined for singular matrices too): det(U) det(V) U diag(prod of the
    other singular values) Vh."""
    n = a.shape[-1]
    if n == 0:
        return np.zeros_like(a)
    u, s, vh = np.linalg.svd(a.astype(np.float64))
    ones = np.ones(s.shape[:-1] + (1,))
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    after = np.flip(np.cumprod(np.flip(np.concatenate([s[..., 1:], ones], -1), -1), -1), -1)
    others = before * after
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return (sign[..., None, None] * (u * others[..., None, :]) @ vh).astype(a.dtype)


def det(A):
    x = _as_tensor(A)
    _square("det", x)
    a = _values("det", x)
    out = _const(np.linalg.det(a), x)
    if _wants_grad(x):
        cof = _const(_adjugate_t(a), x)
        out = out + T.sum(cof * _delta(x), (-2, -1))
    return out


def slogdet(A):
    x = _as_tensor(A)
    _square("slogdet", x)
    a = _values("slogdet", x)
    sign, logabs = np.linalg.slogdet(a)
    out = _const(logabs, x)
    if _wants_grad(x):
        with np.errstate(all="ignore"):
            inv_t = np.swapaxes(np.linalg.pinv(a), -1, -2)
        out = out + T.sum(_const(inv_t, x) * _delta(x), (-2, -1))
    return _SlogDet((_const(sign, x), out))


def logdet(A):
    sign, logabs = slogdet(A)
    return T.where(T.lt(sign, 0), math.nan, T.where(T.eq(sign, 0), -math.inf, logabs))


def _cholesky_values(name, a, upper_in=False):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        flat = a.reshape((-1,) + a.shape[-2:])
        for k, m in enumerate(flat):
            for order in range(1, m.shape[-1] + 1):
                try:
                    np.linalg.cholesky(m[:order, :order])
                except np.linalg.LinAlgError:
                    where = f"(Batch element {k}): " if a.ndim > 2 else ""
                    raise LinAlgError(
                        f"linalg.{name}: {where}The factorization could not be completed "
                        f"because the input is not positive-definite (the leading minor of "
                        f"order {order} is not positive-definite).") from None
        raise


def _phi(x):
    """The lower triangle with the diagonal halved."""
    n = x.shape[-1]
    mask = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return x * T.tensor(mask, device=x.device).to(x.dtype)


def cholesky(A, *, upper=False):
    x = _as_tensor(A)
    _square("cholesky", x)
    a = _values("cholesky", x)
    low_np = _cholesky_values("cholesky", a)
    low = _const(low_np, x)
    if _wants_grad(x):
        d = _delta(x)
        sym = (d + _mT(d)) * 0.5
        l_inv = _const(np.linalg.inv(low_np), x)
        low = low + T.matmul(low, _phi(T.matmul(T.matmul(l_inv, sym), _mT(l_inv))))
    return _mT(low) if upper else low


def cholesky_ex(A, *, upper=False, check_errors=False):
    return _CholeskyEx((cholesky(A, upper=upper),
                                                 T.zeros(tuple(A.shape[:-2]), dtype=dt.int32,
                                                         device=A.device)))


def qr(A, mode="reduced"):
    x = _as_tensor(A)
    if x.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    a = _values("qr", x)
    m, n = a.shape[-2:]
    if mode == "r":
        r = np.linalg.qr(a, mode="r")
        q_t, r_t = T.zeros(0, dtype=x.dtype, device=x.device), _const(r, x)
        if _wants_grad(x):
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        return _QR((q_t, r_t))
    q, r = np.linalg.qr(a, mode=mode)
    q_t, r_t = _const(q, x), _const(r, x)
    if _wants_grad(x):
        if m < n or (mode == "complete" and m > n):
            raise NotImplementedError("The QR decomposition is not differentiable when "
                                      "mode='complete' and nrows > ncols, or when ncols > "
                                      "nrows (mlopt: reduced mode with rows >= columns only)")
        r_inv = _const(np.linalg.inv(r), x)
        d = _delta(x)
        c = T.matmul(T.matmul(_mT(q_t), d), r_inv)
        low = c.tril(-1)
        omega = low - _mT(low)
        dr = T.matmul(c - omega, r_t)
        dq = T.matmul(d, r_inv) - T.matmul(q_t, c - omega)
        q_t, r_t = q_t + dq, r_t + dr
    return _QR((q_t, r_t))


def _svd_grad_terms(x, u, s, vh, s_np):
    """First-order changes of the thin SVD for dA = A - A.detach()
    (distinct nonzero singular values): dS = diag(U^T dA V), and
    Townsend's dU, dV."""
    d = _delta(x)
    v = _mT(vh)
    p = T.matmul(T.matmul(_mT(u), d), v)  # (k, k)
    ds = p.diagonal(0, -2, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = s_np[..., None, :] ** 2 - s_np[..., :, None] ** 2
        f = np.where(np.eye(s_np.shape[-1], dtype=bool), 0.0, 1.0 / gap)
        s_inv = np.where(s_np > 0, 1.0 / s_np, 0.0)
    f_t, s_row = _const(f, x), s.detach().unsqueeze(-2)
    s_col = s.detach().unsqueeze(-1)
    du = T.matmul(u, f_t * (p * s_row + s_col * _mT(p)))
    dv = T.matmul(v, f_t * (s_col * p + _mT(p) * s_row))
    s_inv_t = _const(s_inv, x).unsqueeze(-2)
    m, n = x.shape[-2], x.shape[-1]
    if m > u.shape[-1]:  # the part of dA V outside U's span
        du = du + T.matmul(d, v) * s_inv_t - T.matmul(u, T.matmul(_mT(u), T.matmul(d, v))) \
            * s_inv_t
    if n > v.shape[-1]:
        dv = dv + T.matmul(_mT(d), u) * s_inv_t - T.matmul(v, T.matmul(_mT(v), T.matmul(
            _mT(d), u))) * s_inv_t
    return ds, du, _mT(dv)


def svd(A, full_matrices=True, *, driver=None):
    x = _as_tensor(A)
    if x.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    a = _values("svd", x)
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    u_t, s_t, vh_t = _const(u, x), _const(s, x), _const(vh, x)
    if _wants_grad(x):
        k = s.shape[-1]
        thin_u, thin_vh = u_t[..., :, :k], vh_t[..., :k, :]
        ds, du, dvh = _svd_grad_terms(x, thin_u, s_t, thin_vh, s)
        s_t = s_t + ds
        if not full_matrices or x.shape[-1] == x.shape[-2]:
            u_t, vh_t = u_t + du, vh_t + dvh
        # (full_matrices of a non-square matrix: U and Vh's extra columns are
        # not unique; they get no gradient, as PyTorch raises)
    return _SVD((u_t, s_t, vh_t))


def svdvals(A, *, driver=None):
    x = _as_tensor(A)
    if x.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 "
                           "dimensions.")
    a = _values("svdvals", x)
    if not _wants_grad(x):
        return _const(np.linalg.svd(a, compute_uv=False), x)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    u_t, s_t, vh_t = _const(u, x), _const(s, x), _const(vh, x)
    p = T.matmul(T.matmul(_mT(u_t), _delta(x)), _mT(vh_t))
    return s_t + p.diagonal(0, -2, -1)


def eigh(A, UPLO="L"):
    x = _as_tensor(A)
    _square("eigh", x)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    a = _values("eigh", x)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    w_t, v_t = _const(w, x), _const(v, x)
    if _wants_grad(x):
        d = _delta(x)
        p = T.matmul(T.matmul(_mT(v_t), (d + _mT(d)) * 0.5), v_t)
        with np.errstate(divide="ignore"):
            gap = w[..., None, :] - w[..., :, None]
            f = np.where(np.eye(w.shape[-1], dtype=bool), 0.0, 1.0 / gap)
        w_t = w_t + p.diagonal(0, -2, -1)
        v_t = v_t + T.matmul(v_t, _const(f, x) * p)
    return _Eigh((w_t, v_t))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO).eigenvalues


def _kept_singular_values(s, a, atol, rtol):
    """PyTorch's cut of pinv and matrix_rank: singular values above
    max(atol, rtol * the largest), rtol defaulting to eps * max(m, n) when
    atol is unset or 0."""
    top = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    atol_v = 0.0 if atol is None else float(atol)
    if rtol is None:
        rtol_v = max(a.shape[-2:]) * np.finfo(a.dtype).eps if atol is None or atol == 0 else 0.0
    else:
        rtol_v = float(rtol)
    return s > np.maximum(atol_v, rtol_v * top)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    x = _as_tensor(A)
    if x.ndim < 2:
        raise RuntimeError("linalg.pinv: The input tensor A must have at least 2 dimensions.")
    a = _values("pinv", x)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    keep = _kept_singular_values(s, a, atol, rtol)
    with np.errstate(divide="ignore"):
        s_inv = np.where(keep, 1.0 / s, 0.0)
    values = np.swapaxes(vh, -1, -2) @ (s_inv[..., :, None] * np.swapaxes(u, -1, -2))
    out = _const(values.astype(a.dtype), x)
    if _wants_grad(x):
        # d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+
        d, p = _delta(x), out.detach()
        eye_m = _eye(x.shape[-2], dtype=x.dtype, device=x.device)
        eye_n = _eye(x.shape[-1], dtype=x.dtype, device=x.device)
        term = -T.matmul(T.matmul(p, d), p)
        term = term + T.matmul(T.matmul(T.matmul(p, _mT(p)), _mT(d)),
                               eye_m - T.matmul(x.detach(), p))
        term = term + T.matmul(T.matmul(eye_n - T.matmul(p, x.detach()), _mT(d)),
                               T.matmul(_mT(p), p))
        out = out + term
    return out


def pinverse(input, rcond=1e-15):
    """torch.pinverse: pinv with singular values below rcond * the largest
    taken as zero."""
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    x = _as_tensor(A)
    a = _values("matrix_rank", x)
    s = np.linalg.svd(a, compute_uv=False)
    rank = _kept_singular_values(s, a, tol if tol is not None else atol, rtol).sum(-1)
    return T.tensor(np.asarray(rank, np.int64), device=x.device)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution (min-norm for rank-deficient A), from the
    pseudo-inverse, so gradients flow."""
    a_t, b_t = _as_tensor(A), _as_tensor(B)
    vector = b_t.ndim == a_t.ndim - 1
    b_m = b_t.unsqueeze(-1) if vector else b_t
    sol = T.matmul(pinv(a_t, rtol=rcond), b_m)
    sol = sol.squeeze(-1) if vector else sol
    empty = T.zeros(0, dtype=a_t.dtype, device=a_t.device)
    return _Lstsq((sol, empty, T.zeros(0, dtype=dt.int64, device=a_t.device), empty))


def _legacy_svd(input, some=True, compute_uv=True):
    """torch.svd: U, S, V (not Vh), reduced unless some=False."""
    u, s, vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return _LegacySVD((T.zeros_like(u), s, T.zeros_like(_mT(vh))))
    return _LegacySVD((u, s, _mT(vh)))


def _install():
    Tensor.det = det
    Tensor.logdet = logdet
    Tensor.slogdet = slogdet
    Tensor.inverse = inv
    Tensor.pinverse = pinverse
    Tensor.cholesky = lambda self, upper=False: cholesky(self, upper=upper)
    Tensor.matrix_power = matrix_power
    Tensor.svd = _legacy_svd
    Tensor.qr = lambda self, some=True: qr(self, "reduced" if some else "complete")


_install()
