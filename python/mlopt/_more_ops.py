"""More of PyTorch's functions and Tensor methods, built from mlopt's ops.

Each is a composite of ops that have kernels, shape rules and gradients
(python/mlopt/_composites.py's rule), so eager, `@mlopt.compile` and
autograd need nothing new. A few need values on the host (median,
quantile, bincount's length, searchsorted's eager path, scatter's duplicate
indices): as python/mlopt/_data_dependent.py's, they read them with NumPy and
end a trace with the reason. Special functions without a kernel (lgamma,
digamma, erfinv) are series and Newton steps in float64, rounded once.
"""

import builtins
import math

import numpy as np

from . import _compile
from . import _dtype as dt
from . import _tensor as T
from ._composites import (_check_indices, _root_of_sum, _scatter_add_unchecked, cumsum, flip,
                          gather, index_select, movedim, narrow, pad, scatter_add)
from ._autograd import no_grad
from ._data_dependent import _host, _index, _order, sort
from ._tensor import Tensor, _ValuesIndices, _as_tensor, _convert, _norm_dim, _shape_str


def _traced(*xs):
    return _compile._active() is not None or builtins.any(
        isinstance(x, _compile._Traced) for x in xs)


def _float(x):
    """x as a tensor; integers and bools in the default float dtype."""
    x = _as_tensor(x)
    return x if x.dtype.is_floating_point else _convert(x, dt.get_default_dtype())


def _in(x, compute, fn):
    """fn(x) computed in `compute` (at least x's precision), rounded once to
    x's dtype (PyTorch computes float16/bfloat16 math in float32)."""
    x = _float(x)
    if x.dtype is compute or (compute is dt.float32 and x.dtype is dt.float64):
        return fn(x)
    return _convert(fn(_convert(x, compute)), x.dtype)


def _safe(cond, x, fill):
    """x where cond, else `fill`: the input of a branch that `where` keeps
    only where cond, so the other positions give no inf or NaN gradient."""
    return T.where(cond, x, fill)


_TORCH_NAMES = {"bool": "Bool", "int32": "Int", "int64": "Long", "float16": "Half",
                "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


def _type_name(dtype):
    """PyTorch's name of a dtype in messages ('Long' for int64)."""
    return _TORCH_NAMES[str(dtype).split(".")[-1]]


# ---- elementwise math ------------------------------------------------------------

def _f32(fn):
    """A float function of one tensor, in float32 for float16/bfloat16."""
    def wrapper(input):
        return _in(input, dt.float32, fn)
    wrapper.__name__ = fn.__name__.lstrip("_")
    return wrapper


def _f64(fn):
    """A float function of one tensor, computed in float64 and rounded once."""
    def wrapper(input):
        return _in(input, dt.float64, fn)
    wrapper.__name__ = fn.__name__.lstrip("_")
    return wrapper


_LN2 = math.log(2.0)


@_f64
def _sinh(x):
    ax = T.abs(x)
    small = T.lt(ax, 1)
    xs = _safe(small, x, 0.0)
    near = (T.expm1(xs) - T.expm1(T.neg(xs))) * 0.5
    # exp(|x|/2)^2 / 2: finite up to sinh's own overflow, not exp(x)'s
    big_x = _safe(small, 1.0, ax)
    s = T.exp(big_x * 0.5)
    far = (s * 0.5) * s - T.exp(T.neg(big_x)) * 0.5
    return T.where(small, near, T.where(T.lt(x, 0), T.neg(far), far))


@_f64
def _cosh(x):
    ax = T.abs(x)
    s = T.exp(ax * 0.5)
    return (s * 0.5) * s + T.exp(T.neg(ax)) * 0.5


@_f64
def _asinh(x):
    ax = T.abs(x)
    huge = T.gt(ax, 1e150 if x.dtype is dt.float64 else 1e18)
    a = _safe(huge, 1.0, ax)
    # log1p(|x| + x^2 / (1 + sqrt(1 + x^2))): no cancellation near 0
    near = T.log1p(a + a * a / (1 + T.sqrt(1 + a * a)))
    far = T.log(_safe(huge, ax, 1.0)) + _LN2
    out = T.where(huge, far, near)
    return T.where(T.lt(x, 0), T.neg(out), out)


@_f64
def _acosh(x):
    huge = T.gt(x, 1e150 if x.dtype is dt.float64 else 1e18)
    t = _safe(huge, 0.0, x - 1)
    near = T.log1p(t + T.sqrt(t * 2 + t * t))  # NaN below 1 (sqrt or log1p of < -1)
    far = T.log(_safe(huge, x, 1.0)) + _LN2
    return T.where(T.lt(x, 1), math.nan, T.where(huge, far, near))


@_f64
def _atanh(x):
    return T.log1p(x * 2 / (1 - x)) * 0.5


@_f64
def _tan(x):
    return T.sin(x) / T.cos(x)


@_f32
def _atan(x):
    return T.atan2(x, 1.0)


@_f64
def _asin(x):
    return T.atan2(x, T.sqrt((1 - x) * (1 + x)))


@_f64
def _acos(x):
    return T.atan2(T.sqrt((1 - x) * (1 + x)), x)


def _exact_powers(x, y, base):
    """log_base(x) as y, but exactly k where x is base**k (log(8) / log(2)
    is 3, and log(1000) / log(10) is 2.9999999999999996)."""
    k = T.round(y)
    return T.where(T.eq(T.pow(float(base), k), x), k, y)


@_f64
def _log2(x):
    return _exact_powers(x, T.log(x) / _LN2, 2)


@_f64
def _log10(x):
    return _exact_powers(x, T.log(x) / math.log(10.0), 10)


@_f32
def _exp2(x):
    return T.pow(2.0, x)


@_f64
def _sinc(x):
    zero = T.eq(x, 0)
    px = _safe(zero, 1.0, x) * math.pi
    return T.where(zero, 1.0, T.sin(px) / px)


@_f32
def _deg2rad(x):
    return x * (math.pi / 180.0)


@_f32
def _rad2deg(x):
    return x * (180.0 / math.pi)


sinh, cosh, asinh, acosh, atanh = _sinh, _cosh, _asinh, _acosh, _atanh
tan, atan, asin, acos = _tan, _atan, _asin, _acos
log2, log10, exp2, sinc, deg2rad, rad2deg = _log2, _log10, _exp2, _sinc, _deg2rad, _rad2deg
arcsinh, arccosh, arctanh, arctan, arcsin, arccos = asinh, acosh, atanh, atan, asin, acos
absolute, arctan2 = T.abs, T.atan2


def logit(input, eps=None):
    def fn(x):
        if eps is not None:
            x = T.clamp(x, eps, 1 - eps)
        return T.log(x / (1 - x))
    return _in(input, dt.float32, fn)


def _binary_float(a, b):
    """a and b as tensors of their promoted dtype (integers: the default float)."""
    ctype = dt.result_type(a, b)
    if not ctype.is_floating_point:
        ctype = dt.get_default_dtype()
    return _convert(_as_tensor(a, ctype), ctype), _convert(_as_tensor(b, ctype), ctype)


def _in2(a, b, fn, compute=dt.float32):
    a, b = _binary_float(a, b)
    if a.dtype in (dt.float16, dt.bfloat16) or (compute is dt.float64 and
                                                  a.dtype is not dt.float64):
        return _convert(fn(_convert(a, compute), _convert(b, compute)), a.dtype)
    return fn(a, b)


def hypot(input, other):
    def fn(a, b):
        a, b = T.abs(a), T.abs(b)
        big, small = T.maximum(a, b), T.minimum(a, b)
        zero = T.eq(big, 0)
        safe = _safe(zero, 1.0, big)
        r = _safe(zero, 0.0, small) / safe
        # (a NaN beside an inf: inf, as C's hypot)
        out = T.where(zero, 0.0, safe * T.sqrt(1 + r * r))
        return T.where(T.logical_or(T.isinf(a), T.isinf(b)), math.inf, out)
    return _in2(input, other, fn, dt.float64)


def logaddexp(input, other):
    def fn(a, b):
        m = T.maximum(a, b)
        same_inf = T.logical_and(T.isinf(a), T.eq(a, b))
        d = _safe(same_inf, 0.0, a - b)
        return T.where(same_inf, a, m + T.log1p(T.exp(T.neg(T.abs(d)))))
    return _in2(input, other, fn)


def logaddexp2(input, other):
    return _in2(input, other, lambda a, b: logaddexp(a * _LN2, b * _LN2) / _LN2)


def xlogy(input, other):
    def fn(x, y):
        zero = T.logical_and(T.eq(x, 0), T.logical_not(T.isnan(y)))
        return T.where(zero, 0.0, x * T.log(_safe(zero, 1.0, y)))
    return _in2(input, other, fn)


def fmod(input, other):
    """C's fmod: the remainder with the dividend's sign (exact: the remainder
    of the magnitudes, signed)."""
    ctype = dt.result_type(input, other)
    if ctype is dt.bool_:
        raise RuntimeError("\"fmod_cpu\" not implemented for 'Bool'")
    a = _convert(_as_tensor(input, ctype), ctype)
    b = other if type(other) in (int, float) and ctype.is_floating_point else \
        _convert(_as_tensor(other, ctype), ctype)
    r = T.remainder(T.abs(a), builtins.abs(b) if not isinstance(b, Tensor) else T.abs(b))
    return T.where(T.lt(a, 0), T.neg(r), r)


def copysign(input, other):
    a, b = _binary_float(input, other)
    negative = T.logical_or(T.lt(b, 0), T.logical_and(T.eq(b, 0), T.lt(T.div(1.0, b), 0)))
    return T.where(negative, T.neg(T.abs(a)), T.abs(a))


def signbit(input):
    x = _as_tensor(input)
    if not x.dtype.is_floating_point:
        return T.lt(x, 0)
    return T.logical_or(T.lt(x, 0), T.logical_and(T.eq(x, 0), T.lt(T.div(1.0, x), 0)))


def float_power(input, exponent):
    return T.pow(_convert(_as_tensor(input), dt.float64),
                 exponent if not isinstance(exponent, Tensor) else _convert(exponent,
                                                                             dt.float64))


# ---- special functions (float64 inside) ------------------------------------------

_LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]


def _lgamma_positive(x):
    """log Gamma(x) for x >= 0.5 (Lanczos, g = 7)."""
    z = x - 1
    a = _LANCZOS[0]
    for i in range(1, 9):
        a = a + _LANCZOS[i] / (z + i)
    t = z + 7.5
    return 0.5 * math.log(2 * math.pi) + (z + 0.5) * T.log(t) - t + T.log(a)


def _sin_pi(x):
    """|sin(pi x)| with x reduced first (exact), so it is 0 only at integers."""
    return T.abs(T.sin((x - T.round(x)) * math.pi))


@_f64
def _lgamma(x):
    pole = T.logical_and(T.le(x, 0), T.eq(x, T.floor(x)))
    big = T.isinf(x)
    low = T.lt(x, 0.5)
    xp = _safe(T.logical_or(low, big), 1.0, x)
    xn = _safe(T.logical_and(low, T.logical_not(pole)), x, 0.25)
    right = _lgamma_positive(xp)
    # reflection: log(pi / |sin(pi x)|) - lgamma(1 - x)
    left = math.log(math.pi) - T.log(_sin_pi(xn)) - _lgamma_positive(1 - xn)
    out = T.where(low, left, right)
    return T.where(T.logical_or(pole, big), math.inf, out)


def _digamma_positive(x):
    """digamma(x) for x > 0: ten steps of the recurrence, then the
    asymptotic series (terms to y^-14, < 1e-16 from y >= 10)."""
    shift = 0.0
    for k in range(10):
        shift = shift + 1 / (x + k)
    y = x + 10
    inv2 = 1 / (y * y)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (
        1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))))
    return T.log(y) - 0.5 / y - series - shift


@_f64
def _digamma(x):
    pole = T.logical_and(T.lt(x, 0), T.eq(x, T.floor(x)))
    low = T.le(x, 0)
    zero = T.eq(x, 0)
    xp = _safe(low, 1.0, x)
    xn = _safe(T.logical_and(low, T.logical_not(T.logical_or(pole, zero))), x, -0.5)
    right = _digamma_positive(xp)
    r = (xn - T.round(xn)) * math.pi
    # reflection: digamma(1 - x) - pi / tan(pi x)
    left = _digamma_positive(1 - xn) - math.pi * T.cos(r) / T.sin(r)
    out = T.where(low, left, right)
    out = T.where(zero, -math.inf, out)
    return T.where(pole, math.nan, out)


@_f64
def _erfinv(x):
    ax = T.abs(x)
    inside = T.lt(ax, 1)
    xs = _safe(inside, x, 0.0)
    # Giles' single-precision approximation, then two Newton steps on erf
    w = T.neg(T.log((1 - xs) * (1 + xs)))
    central = T.lt(w, 5)
    wc = _safe(central, w, 2.5) - 2.5
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * wc
    wt = T.sqrt(_safe(central, 5.0, w)) - 3
    q = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
        q = c + q * wt
    y = (T.where(central, p, q) * xs).detach()
    # Newton steps where they help: in the far tails (1 - |x| < 1e-9) erf's
    # rounding (1e-16 of 1) over its slope is as large as the guess's error
    newton = T.lt(w, 20)
    for _ in range(2):
        ys = _safe(newton, y, 0.0)
        step = (T.erf(ys) - xs) / (T.exp(T.neg(ys * ys)) * (2 / math.sqrt(math.pi)))
        y = T.where(newton, ys - step, y)
    # Far tails: Newton on log(erfc(|y|)) = log(1 - |x|) (1 - |x| is exact),
    # erfc by its continued fraction (25 terms: 1e-15 from |y| = 3.46 on)
    c = 1 - ax
    tail = T.logical_and(inside, T.lt(c, 1e-6))
    if _traced(x) or bool(T.any(tail)):
        ya = _safe(tail, T.abs(y), 4.0)
        cs = _safe(tail, c, 1e-7)
        for _ in range(4):
            t = ya
            for k in range(25, 0, -1):
                t = ya + (k / 2) / t
            f = T.neg(ya * ya) - T.log(t * math.sqrt(math.pi)) - T.log(cs)
            ya = ya + f / (t * 2)
        y = T.where(tail, T.where(T.lt(x, 0), T.neg(ya), ya), y)
    edge = T.where(T.lt(x, 0), -math.inf, math.inf)
    return T.where(inside, y, T.where(T.eq(ax, 1), edge, math.nan))


lgamma, digamma, erfinv = _lgamma, _digamma, _erfinv
psi = digamma


# ---- reductions and scans ------------------------------------------------------

def _dim_for(x, dim):
    """A scan's dim: 0-d tensors take 0 or -1."""
    return _norm_dim(dim, builtins.max(x.ndim, 1))


def _shifted(x, d, step, fill):
    """x along d moved `step` later, the first `step` positions `fill`."""
    n = x.shape[d]
    shape = list(x.shape)
    shape[d] = builtins.min(step, n)
    head = T.full(shape, fill, dtype=x.dtype, device=x.device)
    return T.cat([head, narrow(x, d, 0, n - step)], d) if step < n else head


def cumprod(input, dim, *, dtype=None):
    """Running products as a scan of log2(n) shifted products (exact
    gradients through zeros); integers and bools multiply in int64."""
    x = _as_tensor(input)
    if dtype is not None:
        x = _convert(x, dt.as_dtype(dtype))
    elif not x.dtype.is_floating_point:
        x = _convert(x, dt.int64)
    d = _dim_for(x, dim)
    if x.ndim == 0:
        return x.clone()
    out, step, n = x, 1, x.shape[d]
    while step < n:
        out = out * _shifted(out, d, step, 1)
        step *= 2
    return out if out is not input else out.clone()


def _lowest(dtype, largest):
    """The identity of max (largest) or min scans in dtype."""
    if dtype.is_floating_point:
        return -math.inf if largest else math.inf
    info = np.iinfo(dtype.numpy)
    return int(info.min) if largest else int(info.max)


def _cum_extreme(input, dim, largest):
    x = _as_tensor(input)
    d = _dim_for(x, dim)
    if x.ndim == 0:
        return _ValuesIndices((x.clone(), T.zeros([], dtype=dt.int64, device=x.device)))
    n = x.shape[d]
    v = _convert(x, dt.int32) if x.dtype is dt.bool_ else x.detach()
    shape = [1] * x.ndim
    shape[d] = n
    i = T.arange(n, device=x.device).reshape(shape).expand(tuple(x.shape))
    step = 1
    while step < n:
        pv, pi = _shifted(v, d, step, _lowest(v.dtype, largest)), _shifted(i, d, step, -1)
        # The later one wins ties, and NaN wins over numbers (PyTorch's scan).
        take = T.ge(v, pv) if largest else T.le(v, pv)
        if v.dtype.is_floating_point:
            take = T.logical_or(take, T.isnan(v))
        v, i = T.where(take, v, pv), T.where(take, i, pi)
        step *= 2
    i = i.contiguous() if not isinstance(i, _compile._Traced) else i
    return _ValuesIndices((gather(x, d, i) if n else x.clone(), i))


def cummax(input, dim):
    return _cum_extreme(input, dim, True)


def cummin(input, dim):
    return _cum_extreme(input, dim, False)


def logcumsumexp(input, dim):
    x = _as_tensor(input)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"\"logcumsumexp_out_cpu\" not implemented for '{_type_name(x.dtype)}'")
    d = _dim_for(x, dim)
    if x.ndim == 0:
        return x.clone()

    def fn(x):
        out, step, n = x, 1, x.shape[d]
        while step < n:
            out = logaddexp(out, _shifted(out, d, step, -math.inf))
            step *= 2
        return out if out is not x else out.clone()
    return _in(x, dt.float32, fn)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    x = _as_tensor(input)
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _norm_dim(dim, x.ndim)
    parts = []
    for extra in (prepend, x, append):
        if extra is None:
            continue
        e = _as_tensor(extra, x.dtype if not isinstance(extra, Tensor) else None)
        if e.ndim == 0:
            shape = list(x.shape)
            shape[d] = 1
            e = e.expand(shape)
        parts.append(e)
    out = T.cat(parts, d) if len(parts) > 1 else x
    for _ in range(n):
        size = out.shape[d]
        if size == 0:
            break
        later, earlier = narrow(out, d, 1, size - 1), narrow(out, d, 0, size - 1)
        out = T.logical_xor(later, earlier) if out.dtype is dt.bool_ else later - earlier
    return out if out is not x else x.clone()


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    x = _as_tensor(input)
    if x.dtype.is_floating_point:
        x = T.where(T.isnan(x), 0.0, x)
    return T.sum(x, dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    x = _as_tensor(input)
    if dtype is not None:
        x = _convert(x, dt.as_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                           f"dtype but got {_type_name(x.dtype)}")
    count = T.sum(_convert(T.logical_not(T.isnan(x)), T._opmath(x.dtype)), dim, keepdim)
    return _convert(nansum(x, dim, keepdim, dtype=T._opmath(x.dtype)) / count, x.dtype)


class _MinMax(tuple):
    """torch.return_types.aminmax: (min, max)."""

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]


def aminmax(input, *, dim=None, keepdim=False):
    x = _as_tensor(input)
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        lo, hi = T.amin(x), T.amax(x)
        if keepdim:
            lo, hi = lo.reshape([1] * x.ndim), hi.reshape([1] * x.ndim)
        return _MinMax((lo, hi))
    d = _dim_for(x, dim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"aminmax(): Expected reduction dim {d} to have non-zero size.")
    if x.ndim == 0:
        return _MinMax((x.clone(), x.clone()))
    return _MinMax((T.amin(x, d, keepdim), T.amax(x, d, keepdim)))


# ---- order statistics (values on the host) -----------------------------------------

def _median(input, dim, keepdim, ignore_nan, name):
    x = _as_tensor(input)
    if dim is None:
        flat = x.reshape(-1)
        if flat.numel() == 0:
            return T.full([], math.nan, dtype=x.dtype, device=x.device)
        values = _host(flat, name)
        pos = _pick_median(values[None], ignore_nan)[0]
        return index_select(flat, 0, _index([pos], x)).reshape(())
    d = _dim_for(x, dim)
    if x.ndim == 0:
        return _ValuesIndices((x.clone(), T.zeros([], dtype=dt.int64, device=x.device)))
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    values = np.moveaxis(_host(x, name), d, -1)
    rows = values.reshape(-1, values.shape[-1])
    pos = _pick_median(rows, ignore_nan).reshape(values.shape[:-1])
    index = _index(np.expand_dims(pos, d), x)
    out = gather(x, d, index)
    if not keepdim:
        out, index = out.squeeze(d), index.squeeze(d)
    return _ValuesIndices((out, index))


def _pick_median(rows, ignore_nan):
    """Per row of a 2-D array: the position of its lower median (NaN rows:
    the first NaN, or with ignore_nan the lower median of the rest)."""
    order = _order(rows, -1, False)  # NaN last
    if rows.dtype.kind != "f":
        k = np.full(rows.shape[0], (rows.shape[1] - 1) // 2)
        return order[np.arange(rows.shape[0]), k]
    nan = np.isnan(rows)
    count = (~nan).sum(-1)
    if ignore_nan:
        k = np.maximum(count - 1, 0) // 2
    else:
        k = np.where(count < rows.shape[1], count, (rows.shape[1] - 1) // 2)
    return order[np.arange(rows.shape[0]), k]


def median(input, dim=None, keepdim=False):
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input, dim=None, keepdim=False):
    return _median(input, dim, keepdim, True, "nanmedian")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    name = "nanquantile" if ignore_nan else "quantile"
    x = _as_tensor(input)
    if x.dtype not in (dt.float32, dt.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"{name}() interpolation must be one of linear, lower, higher, "
                         f"midpoint or nearest. Got {interpolation}")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs, scalar = np.atleast_1d(_host(q, name)).astype(np.float64), q.ndim == 0
    else:
        qs, scalar = np.atleast_1d(np.asarray(q, dtype=np.float64)), np.ndim(q) == 0
    if qs.size and not ((qs >= 0) & (qs <= 1)).all():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if x.numel() == 0 and dim is None:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        rows, d = x.reshape(-1), 0
        kept = [1] * x.ndim
    else:
        d = _dim_for(x, dim)
        rows = x.reshape(1) if x.ndim == 0 else x
        if rows.shape[d] == 0:
            raise RuntimeError(f"{name}() input tensor must be non-empty")
        kept = list(rows.shape)
        kept[d] = 1
    rows = movedim(rows, d, -1)
    host = _host(rows, name)
    n = rows.shape[-1]
    ordered = gather(rows, -1, _index(_order(host, -1, False), rows))  # NaN last
    nan = np.isnan(host)
    valid = (~nan).sum(-1) if ignore_nan else np.full(host.shape[:-1], n)
    npdtype = host.dtype  # ranks in the input's precision, as PyTorch's
    outs = []
    for qv in qs:
        rank = (np.asarray(qv, npdtype) * (valid - 1).astype(npdtype)).astype(npdtype)
        rank = np.maximum(rank, 0)
        if interpolation == "nearest":
            rank = np.round(rank)
        lo, hi = np.floor(rank), np.ceil(rank)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        lo_v = gather(ordered, -1, _index(lo[..., None], x))
        hi_v = gather(ordered, -1, _index(hi[..., None], x))
        if interpolation in ("linear", "midpoint"):
            w = (rank - lo) if interpolation == "linear" else np.where(lo == hi, 0.0, 0.5)
            w = T.tensor(np.asarray(w, npdtype)[..., None], device=x.device)
            span = hi_v - lo_v
            out = T.where(T.lt(w, 0.5), lo_v + w * span, hi_v - span * (1 - w))
        else:
            out = lo_v
        bad = (valid == 0) if ignore_nan else nan.any(-1)
        if bad.any():
            out = T.where(T.tensor(bad[..., None], device=x.device), math.nan, out)
        out = out.squeeze(-1)
        if keepdim:
            out = out.reshape(kept)
        outs.append(out)
    return outs[0] if scalar else T.stack(outs)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, True)


def bincount(input, weights=None, minlength=0):
    x = _as_tensor(input)
    if x.ndim != 1 or x.dtype.category != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != x.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    values = _host(x, "bincount")
    if values.size and values.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    length = builtins.max(int(values.max()) + 1 if values.size else 0, minlength)
    index = _convert(x, dt.int64)
    if weights is None:
        src, dtype = T.ones(x.shape[0], dtype=dt.int64, device=x.device), dt.int64
    else:
        dtype = weights.dtype if weights.dtype.is_floating_point else dt.float64
        src = _convert(weights, dtype)
    return scatter_add(T.zeros(length, dtype=dtype, device=x.device), 0, index, src)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    seq = _as_tensor(sorted_sequence)
    scalar = not isinstance(input, Tensor)
    v = _as_tensor(input, seq.dtype if scalar else None)
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if seq.ndim > 1 and (v.ndim != seq.ndim or tuple(v.shape[:-1]) != tuple(seq.shape[:-1])):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           f"the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor "
                           f"{_shape_str(seq.shape)} and input value tensor "
                           f"{_shape_str(v.shape)}")
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_shape_str(seq.shape)}"
                               f"and got sorter tensor {_shape_str(sorter.shape)}")
        seq = gather(seq, -1, sorter)
    ctype = dt.promote_types(seq.dtype, v.dtype)
    seq, v = _convert(seq, ctype), _convert(v, ctype)
    out_dtype = dt.int32 if out_int32 else dt.int64
    if _traced(seq, v):
        # Compiled: counts of boundaries below each value (NaN is the largest).
        s = seq if seq.ndim == 1 else seq.unsqueeze(-2)
        vv = v.unsqueeze(-1)
        below = T.le(s, vv) if right else T.lt(s, vv)
        if ctype.is_floating_point:  # a NaN value goes past the end, as PyTorch's search
            below = T.logical_or(below, T.isnan(vv))
        return _convert(T.sum(below, -1), out_dtype)
    s_host, v_host = _host(seq, "searchsorted"), _host(v, "searchsorted")
    how = "right" if right else "left"
    if seq.ndim == 1:
        found = np.searchsorted(s_host, v_host, side=how)
    else:
        rows_s = s_host.reshape(-1, s_host.shape[-1])
        rows_v = v_host.reshape(-1, v_host.shape[-1])
        found = np.stack([np.searchsorted(a, b, side=how) for a, b in zip(rows_s, rows_v)]) \
            if rows_s.shape[0] else np.zeros(rows_v.shape, np.int64)
        found = found.reshape(v_host.shape)
    if ctype.is_floating_point:  # a NaN value goes past the end, as PyTorch's search
        found = np.where(np.isnan(v_host), seq.shape[-1], found)
    return _convert(_index(found, v), out_dtype)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---- creation ------------------------------------------------------------------

def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    values = np.power(float(base), np.linspace(float(T._as_python(start)),
                                               float(T._as_python(end)), steps))
    dtype = dt.as_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    if not dtype.is_floating_point:
        values = np.trunc(values)
    return T.tensor(values, dtype=dtype, device=device).requires_grad_(requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return T.randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                     device=device or input.device)


def _triangle_indices(row, col, offset, lower, dtype, device):
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    mask = np.tri(row, col, offset, dtype=bool) if lower else \
        ~np.tri(row, col, offset - 1, dtype=bool)
    found = np.stack(np.nonzero(mask)).astype(np.int64).reshape(2, -1)
    return T.tensor(found, dtype=dtype or dt.int64, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    return _triangle_indices(row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    return _triangle_indices(row, col, offset, False, dtype, device)


# ---- scatters and indexed writes ---------------------------------------------------

def _scatter_checks(name, x, d, index, src):
    if index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self "
                           "tensor")
    if src is not None:
        if src.ndim != x.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        if src.dtype is not x.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    for k in range(x.ndim):
        if (src is not None and index.shape[k] > src.shape[k]) or \
                (k != d and index.shape[k] > x.shape[k]):
            raise RuntimeError(f"Expected index {_shape_str(index.shape)} to be smaller than "
                               f"self {_shape_str(x.shape)} apart from dimension {d}"
                               + (f" and to be smaller size than src {_shape_str(src.shape)}"
                                  if src is not None else ""))
    _check_indices(index, x.shape[d] if x.ndim else 1, f"{name}()")


def _src_for(x, index, src, value):
    if src is None:
        return T.full(tuple(index.shape), value, dtype=x.dtype, device=x.device)
    src = _as_tensor(src)
    if tuple(src.shape) != tuple(index.shape):
        src = src[tuple(slice(0, n) for n in index.shape)]
    return src


def _destinations(index, d, shape):
    """Eager: each index element's flat destination in a tensor of `shape`."""
    idx = _host(index, "scatter")
    coords = list(np.indices(idx.shape, sparse=True))
    coords[d] = idx
    return np.ravel_multi_index(np.broadcast_arrays(*coords), shape).reshape(-1)


def _hits(x, d, index):
    """How many index elements point at each position of x (int64)."""
    ones = T.ones(tuple(index.shape), dtype=dt.int64, device=x.device)
    zeros = T.zeros(tuple(x.shape), dtype=dt.int64, device=x.device)
    return _scatter_add_unchecked(zeros, d, _convert(index, dt.int64), ones)


def _as_scatterable(x):
    return _convert(x, dt.int32) if x.dtype is dt.bool_ else x


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """out = input, with src (or value) written at index along dim. Of
    duplicate positions the last in index's order wins, as PyTorch's CPU
    kernel; compiled, duplicates give their mean (unordered)."""
    if isinstance(src, (int, float, bool)) and value is None:
        src, value = None, src
    x = _as_tensor(input)
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if x.ndim == 0:
        x0 = x.reshape(1)
        return scatter(x0, 0, index.reshape(1), src if src is None else src.reshape(1),
                       value, reduce=reduce).reshape(())
    d = _norm_dim(dim, x.ndim)
    src_t = _as_tensor(src) if src is not None else None
    _scatter_checks("scatter", x, d, index, src_t)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        source = _src_for(x, index, src_t, value)
        return scatter_reduce(x, d, index, source, "sum" if reduce == "add" else "prod")
    if index.numel() == 0:
        return x.clone()
    source = _src_for(x, index, src_t, value)
    work, sw = _as_scatterable(x), _as_scatterable(source)
    index = _convert(index, dt.int64)
    count = _hits(x, d, index)
    if not _traced(x, index, source):
        dest = _destinations(index, d, tuple(x.shape))
        if np.unique(dest).size < dest.size:  # duplicates: the last one wins
            last = np.zeros(dest.size, bool)
            last[dest.size - 1 - np.unique(dest[::-1], return_index=True)[1]] = True
            keep = T.tensor(last.reshape(tuple(index.shape)), device=x.device)
            sw = T.where(keep, sw, T.zeros([], dtype=sw.dtype, device=x.device))
            count = T.gt(count, 0).long()
    zeros = T.zeros(tuple(x.shape), dtype=sw.dtype, device=x.device)
    total = _scatter_add_unchecked(zeros, d, index, sw)
    hit = T.gt(count, 0)
    if sw.dtype.is_floating_point:
        total = total / T.where(hit, count, 1).to(sw.dtype)
    else:
        total = T.floor_divide(total, T.where(hit, count, 1).to(sw.dtype))
    return T.where(hit, _convert(total, x.dtype), x)


_DENSE_LIMIT = 1 << 24


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    x = _as_tensor(input)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    if x.ndim == 0:
        return scatter_reduce(x.reshape(1), 0, index.reshape(1), src.reshape(1), reduce,
                              include_self=include_self).reshape(())
    d = _norm_dim(dim, x.ndim)
    src = _as_tensor(src)
    _scatter_checks("scatter_reduce", x, d, index, src)
    if index.numel() == 0:
        return x.clone()
    src = _src_for(x, index, src, None)
    index = _convert(index, dt.int64)
    count = _hits(x, d, index)
    hit = T.gt(count, 0)
    w = _as_scatterable(x)
    s = _as_scatterable(src)
    if reduce in ("sum", "mean"):
        base = w if include_self else T.where(hit, T.zeros([], dtype=w.dtype,
                                                           device=x.device), w)
        total = _scatter_add_unchecked(base, d, index, s)
        if reduce == "mean":
            n = count + 1 if include_self else T.where(hit, count, 1)
            n = n.to(total.dtype)
            total = total / n if total.dtype.is_floating_point else T.floor_divide(total, n)
        return _convert(total, x.dtype)
    largest = reduce == "amax"
    identity = 1 if reduce == "prod" else _lowest(s.dtype, largest)
    if index.numel() * x.shape[d] <= _DENSE_LIMIT or _traced(x, index, src):
        red = _dense_reduce(w, d, index, s, reduce, identity, include_self)
    else:
        red = _rounds_reduce(w, d, index, s, reduce, identity, include_self)
    return _convert(T.where(hit, red, w), x.dtype)


def _dense_reduce(x, d, index, src, reduce, identity, include_self):
    """Each destination reduced over a one-hot of the index (index.numel()
    times x.shape[d] elements): one reduction op, whose gradient (amax/amin
    split evenly between ties, prod) is PyTorch's."""
    n = x.shape[d]
    idx = movedim(index, d, -1).unsqueeze(-2)  # (..., 1, m)
    vals = movedim(src, d, -1).unsqueeze(-2)
    slots = T.arange(n, device=x.device).reshape(n, 1)
    onehot = T.eq(idx, slots)  # (..., n, m)
    cand = T.where(onehot, vals, T.full([], identity, dtype=vals.dtype, device=x.device))
    region = tuple(slice(0, k) for k in index.shape[:d]) + (slice(None),) + \
        tuple(slice(0, k) for k in index.shape[d + 1:])
    if include_self:
        own = movedim(x[region], d, -1).unsqueeze(-1)  # (..., n, 1)
        cand = T.cat([cand, own], -1)
    if reduce == "prod":
        red = T.prod(cand, -1)
    elif reduce == "amax":
        red = T.amax(cand, -1)
    else:
        red = T.amin(cand, -1)
    red = movedim(red, -1, d)
    widths = []
    for k in reversed(range(x.ndim)):
        widths += [0, x.shape[k] - red.shape[k]]
    if builtins.any(widths):
        red = pad(red, widths, value=identity)
    return red


def _rounds_reduce(x, d, index, src, reduce, identity, include_self):
    """Eager, for large inputs: duplicates ranked on the host, then one
    scatter per rank (each without duplicates), combined."""
    dest = _destinations(index, d, tuple(x.shape))
    order = np.argsort(dest, kind="stable")
    sorted_dest = dest[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_dest)) + 1]
    rank_sorted = np.arange(dest.size) - np.repeat(starts, np.diff(np.r_[starts, dest.size]))
    rank = np.empty(dest.size, np.int64)
    rank[order] = rank_sorted
    rank = rank.reshape(tuple(index.shape))
    fill = T.full([], identity, dtype=src.dtype, device=x.device)
    acc = x if include_self else T.full(tuple(x.shape), identity, dtype=x.dtype,
                                        device=x.device)
    for r in range(int(rank.max()) + 1):
        sel = T.tensor(rank == r, device=x.device)
        zeros = T.zeros(tuple(x.shape), dtype=src.dtype, device=x.device)
        picked = T.where(sel, src, T.zeros([], dtype=src.dtype, device=x.device))
        here = _scatter_add_unchecked(zeros, d, index, picked)
        landed = T.gt(_hits_masked(x, d, index, sel), 0)
        value = T.where(landed, here, fill)
        acc = acc * value if reduce == "prod" else (
            T.maximum(acc, value) if reduce == "amax" else T.minimum(acc, value))
    return acc


def _hits_masked(x, d, index, sel):
    zeros = T.zeros(tuple(x.shape), dtype=dt.int64, device=x.device)
    return _scatter_add_unchecked(zeros, d, index, _convert(sel, dt.int64))


def take_along_dim(input, indices, dim=None):
    x = _as_tensor(input)
    if indices.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be int64 but got "
                           f"{indices.dtype}")
    if dim is None:
        return gather(x.reshape(-1), 0, indices.reshape(-1))
    d = _norm_dim(dim, x.ndim)
    if indices.ndim != x.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    xs, ins = list(x.shape), list(indices.shape)
    xs[d] = ins[d] = 1
    shape = T.broadcast_shapes(tuple(xs), tuple(ins))
    xe = x.expand(*[x.shape[k] if k == d else shape[k] for k in range(x.ndim)])
    ie = indices.expand(*[indices.shape[k] if k == d else shape[k] for k in range(x.ndim)])
    return gather(xe, d, ie)


def take(input, index):
    x = _as_tensor(input)
    flat = x.reshape(-1)
    idx = _convert(index, dt.int64)
    if not _traced(idx) and idx.numel():
        values = _host(idx, "take")
        n = flat.shape[0]
        if ((values >= n) | (values < -n)).any():
            bad = values[(values >= n) | (values < -n)].flat[0]
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of "
                             f"{n} elements.")
        idx = _index(np.where(values < 0, values + n, values), x)
    return index_select(flat, 0, idx.reshape(-1)).reshape(tuple(index.shape))


def _dim_mask(x, d, index):
    """A bool tensor, True at the positions `index` names along dim d,
    shaped to broadcast against x."""
    n = x.shape[d] if x.ndim else 1
    idx = _convert(index, dt.int64).reshape(-1)
    hit = T.any(T.eq(T.arange(n, device=x.device).reshape(n, 1), idx.reshape(1, -1)), 1) \
        if idx.numel() else T.zeros(n, dtype=dt.bool_, device=x.device)
    shape = [1] * x.ndim
    if x.ndim:
        shape[d] = n
    return hit.reshape(shape)


def index_fill(input, dim, index, value):
    x = _as_tensor(input)
    d = _dim_for(x, dim)
    if index.dtype is not dt.int64:
        raise RuntimeError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise IndexError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    n = x.shape[d] if x.ndim else 1
    _check_indices(index, n, "index_fill_()")  # (no negative indices, as PyTorch)
    value = _convert(value, x.dtype) if isinstance(value, Tensor) else \
        T.full([], value, dtype=x.dtype, device=x.device)
    return T.where(_dim_mask(x, d, index), value, x)


def masked_scatter(input, mask, source):
    x = _as_tensor(input)
    if mask.dtype is not dt.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    if source.dtype is not x.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {x.dtype} and {source.dtype}")
    shape = T.broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    x, mask = x.expand(*shape), mask.expand(*shape)
    flat = mask.reshape(-1)
    pos = cumsum(flat, 0) - 1
    n = source.numel()
    if not _traced(mask, source):
        wanted = int(_host(flat, "masked_scatter").sum())
        if wanted > n:
            raise RuntimeError(f"masked_scatter: expected source to have at least as many "
                               f"elements as ones in mask (source {n} < {wanted})")
        if n == 0:
            return x.clone()
    pos = T.clamp(pos, 0, builtins.max(n - 1, 0))
    values = index_select(source.reshape(-1), 0, pos).reshape(shape)
    return T.where(mask, values, x)


# ---- matrix products ----------------------------------------------------------------

def _check_scale(x, beta, alpha):
    if not x.dtype.is_floating_point and builtins.any(
            isinstance(v, float) for v in (beta, alpha)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number." if isinstance(alpha, float) else
                           "For integral input tensors, argument beta must not be a floating "
                           "point number.")


def _axpby(name, input, product, beta, alpha):
    """beta * input + alpha * product, input broadcast to product (with
    beta 0 its NaN and inf are ignored, as PyTorch's)."""
    x = _as_tensor(input)
    if x.dtype is not product.dtype:
        raise RuntimeError(f"{name}: expected self and mat2 to have the same dtype, but got: "
                           f"{x.dtype} != {product.dtype}")
    _check_scale(x, beta, alpha)
    if tuple(x.shape) != tuple(product.shape):
        try:
            x = x.expand(tuple(product.shape))
        except RuntimeError:
            raise RuntimeError(f"{name}: the input of shape {_shape_str(x.shape)} cannot be "
                               f"broadcast to the product's shape "
                               f"{_shape_str(product.shape)}") from None
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product if product.shape == x.shape else product.expand(tuple(x.shape))
    return product + (x * beta if beta != 1 else x)


def _need(name, t, ndim, what):
    if t.ndim != ndim:
        raise RuntimeError(f"{name}: {what} must be a {ndim}D tensor, got {t.ndim}D of shape "
                           f"{_shape_str(t.shape)}")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    _need("addmm", mat1, 2, "mat1")
    _need("addmm", mat2, 2, "mat2")
    return _axpby("addmm", input, T.matmul(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _need("baddbmm", batch1, 3, "batch1")
    _need("baddbmm", batch2, 3, "batch2")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"baddbmm: batch1 and batch2 must have the same number of batches, "
                           f"got {batch1.shape[0]} and {batch2.shape[0]}")
    return _axpby("baddbmm", input, T.matmul(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _need("addbmm", batch1, 3, "batch1")
    _need("addbmm", batch2, 3, "batch2")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"addbmm: batch1 and batch2 must have the same number of batches, "
                           f"got {batch1.shape[0]} and {batch2.shape[0]}")
    product = T.sum(T.matmul(batch1, batch2), 0)
    return _axpby("addbmm", input, product, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    _need("addmv", mat, 2, "mat")
    _need("addmv", vec, 1, "vec")
    return _axpby("addmv", input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    _need("addr", vec1, 1, "vec1")
    _need("addr", vec2, 1, "vec2")
    return _axpby("addr", input, vec1.reshape(-1, 1) * vec2.reshape(1, -1), beta, alpha)


def dot(input, other):
    a, b = _as_tensor(input), _as_tensor(other)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{a.dtype} and {b.dtype}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a.dtype is dt.bool_:
        raise RuntimeError("\"dot\" not implemented for 'Bool'")
    if a.shape[0] == 0:
        return T.zeros([], dtype=a.dtype, device=a.device)
    return T.matmul(a, b)


vdot = dot  # (real tensors: no conjugate)


def inner(input, other):
    a, b = _as_tensor(input), _as_tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {_shape_str(a.shape)} and {_shape_str(b.shape)}")
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def mv(input, vec):
    _need("mv", input, 2, "input")
    _need("mv", vec, 1, "vec")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                           f"({input.shape[0]}x{input.shape[1]}), vec ({vec.shape[0]})")
    return T.matmul(input, vec)


def tensordot(a, b, dims=2, out=None):
    a, b = _as_tensor(a), _as_tensor(b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > builtins.min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [_norm_dim(k, a.ndim) for k in da]
    db = [_norm_dim(k, b.ndim) for k in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in "
                               f"dim {j}")
    fa = [k for k in range(a.ndim) if k not in da]
    fb = [k for k in range(b.ndim) if k not in db]
    k = math.prod(a.shape[i] for i in da)
    left = a.permute(*(fa + da)).reshape(math.prod(a.shape[i] for i in fa), k)
    right = b.permute(*(db + fb)).reshape(k, math.prod(b.shape[i] for i in fb))
    if k == 0:
        product = T.zeros((left.shape[0], right.shape[1]), dtype=a.dtype, device=a.device)
    else:
        product = T.matmul(left, right)
    return product.reshape([a.shape[i] for i in fa] + [b.shape[i] for i in fb])


def kron(input, other):
    a, b = _as_tensor(input), _as_tensor(other)
    n = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + tuple(a.shape)
    sb = (1,) * (n - b.ndim) + tuple(b.shape)
    ea = a.reshape([v for s in sa for v in (s, 1)])
    eb = b.reshape([v for s in sb for v in (1, s)])
    return (ea * eb).reshape([x * y for x, y in zip(sa, sb)])


def cross(input, other, dim=None):
    a, b = _as_tensor(input), _as_tensor(other)
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions "
                           f"(shapes {_shape_str(a.shape)} and {_shape_str(b.shape)})")
    shape = T.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if dim is None:
        found = [k for k, s in enumerate(shape) if s == 3]
        if not found:
            raise RuntimeError(f"no dimension of size 3 in input (shapes "
                               f"{_shape_str(a.shape)} and {_shape_str(b.shape)})")
        dim = found[0]
    return _cross(a, b, dim, shape)


def _cross(a, b, dim, shape=None):
    shape = shape or T.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    d = _norm_dim(dim, len(shape))
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    ctype = dt.promote_types(a.dtype, b.dtype)
    a, b = _convert(a.expand(*shape), ctype), _convert(b.expand(*shape), ctype)
    a0, a1, a2 = (narrow(a, d, k, 1) for k in range(3))
    b0, b1, b2 = (narrow(b, d, k, 1) for k in range(3))
    return T.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


# ---- joining, splitting, reshaping --------------------------------------------------

def atleast_1d(*tensors):
    one = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = [_as_tensor(t).reshape(1) if _as_tensor(t).ndim == 0 else _as_tensor(t) for t in ts]
    return out[0] if one else tuple(out)


def atleast_2d(*tensors):
    one = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = []
    for t in ts:
        t = _as_tensor(t)
        out.append(t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t)
    return out[0] if one else tuple(out)


def atleast_3d(*tensors):
    one = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = []
    for t in ts:
        t = _as_tensor(t)
        if t.ndim == 0:
            t = t.reshape(1, 1, 1)
        elif t.ndim == 1:
            t = t.reshape(1, -1, 1)
        elif t.ndim == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if one else tuple(out)


def _nonempty(name, tensors):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors):
    ts = atleast_1d(_nonempty("hstack", tensors))
    return T.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return T.cat(atleast_2d(_nonempty("vstack", tensors)), 0)


row_stack = vstack


def dstack(tensors):
    return T.cat(atleast_3d(_nonempty("dstack", tensors)), 2)


def column_stack(tensors):
    ts = [_as_tensor(t) for t in _nonempty("column_stack", tensors)]
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in ts]
    return T.cat(ts, 1)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = T.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in tensors)


def tensor_split(input, indices_or_sections, dim=0):
    x = _as_tensor(input)
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _norm_dim(dim, x.ndim)
    n = x.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype is not dt.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have "
                               f"dtype of long, but got {spec.dtype}")
        if spec.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {spec.ndim} dims")
        spec = spec.item() if spec.ndim == 0 else spec.tolist()
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        size, extra = divmod(n, spec)
        bounds, start = [], 0
        for k in range(spec):
            start += size + (1 if k < extra else 0)
            bounds.append(start)
        bounds = bounds[:-1]
    else:
        bounds = [int(b) for b in spec]
    out, start = [], 0
    for stop in bounds + [n]:
        lo = builtins.min(builtins.max(start if start >= 0 else start + n, 0), n)
        hi = builtins.min(builtins.max(stop if stop >= 0 else stop + n, 0), n)
        out.append(x[(slice(None),) * d + (slice(lo, builtins.max(lo, hi)),)])
        start = stop
    return tuple(out)


def _split_by(name, x, spec, d):
    if isinstance(spec, int) and (spec <= 0 or x.shape[d] % spec):
        raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the "
                           f"size of the dimension {x.shape[d]} is not divisible by the "
                           f"split_size {spec}!")
    return tensor_split(x, spec, d)


def hsplit(input, indices_or_sections):
    x = _as_tensor(input)
    if x.ndim < 1:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got "
                           "a tensor with 0 dimensions!")
    return _split_by("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1)


def vsplit(input, indices_or_sections):
    x = _as_tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"torch.vsplit requires a tensor with at least 2 dimension, but got "
                           f"a tensor with {x.ndim} dimensions!")
    return _split_by("vsplit", x, indices_or_sections, 0)


def dsplit(input, indices_or_sections):
    x = _as_tensor(input)
    if x.ndim < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got "
                           f"a tensor with {x.ndim} dimensions!")
    return _split_by("dsplit", x, indices_or_sections, 2)


def rot90(input, k=1, dims=(0, 1)):
    x = _as_tensor(input)
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = _norm_dim(dims[0], x.ndim), _norm_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(x, [d1]).transpose(d0, d1)
    if k == 2:
        return flip(x, [d0, d1])
    if k == 3:
        return flip(x, [d0]).transpose(d0, d1)
    return x.clone()


def _diagonal_positions(rows, cols, offset):
    n = builtins.max(0, builtins.min(rows, cols - offset) if offset >= 0 else
                     builtins.min(rows + offset, cols))
    start = offset if offset >= 0 else -offset * cols
    return n, start


def diagonal(input, offset=0, dim1=0, dim2=1):
    return input.diagonal(offset, dim1, dim2)


def _diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims dim1 and dim2 as the last dim: a view sharing
    memory (as PyTorch's) on eager tensors; traced, an index_select."""
    x = input
    d1, d2 = _norm_dim(dim1, x.ndim), _norm_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [k for k in range(x.ndim) if k not in (d1, d2)]
    rows, cols = x.shape[d1], x.shape[d2]
    n, start = _diagonal_positions(rows, cols, offset)
    if x._buf is None:  # traced: a gather of the flattened pair of dims
        moved = x.permute(*(rest + [d1, d2])).reshape(*[x.shape[k] for k in rest], rows * cols)
        positions = T.arange(n, device=x.device) * (cols + 1) + start
        return index_select(moved, len(rest), positions) if n else \
            moved[..., :0]
    strides = x.stride()
    off = x._buf.offset + (offset * strides[d2] if offset >= 0 else -offset * strides[d1]) \
        if n else x._buf.offset
    return x._view([x.shape[k] for k in rest] + [n],
                   [strides[k] for k in rest] + [strides[d1] + strides[d2]], off)


def trace(input):
    x = _as_tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    out = T.sum(x.diagonal())
    return out


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    x = _as_tensor(input)
    nd = x.ndim + 1
    d1, d2 = _norm_dim(dim1, nd), _norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = x.shape[-1] + builtins.abs(offset)
    i = T.arange(n, device=x.device).reshape(n, 1)
    j = T.arange(n, device=x.device).reshape(1, n)
    on = T.eq(j - i, offset)
    k = i if offset >= 0 else j  # the position along the input's last dim
    k = T.clamp(k.expand(n, n), 0, builtins.max(x.shape[-1] - 1, 0))
    if x.shape[-1] == 0:
        out = T.zeros(tuple(x.shape[:-1]) + (n, n), dtype=x.dtype, device=x.device)
    else:
        picked = index_select(x, x.ndim - 1, k.reshape(-1)).reshape(tuple(x.shape[:-1]) + (n, n))
        out = T.where(on, picked, T.zeros([], dtype=x.dtype, device=x.device))
    # out's last two dims are (dim1, dim2): move them into place
    order = [None] * nd
    order[d1], order[d2] = nd - 2, nd - 1
    rest = iter(range(nd - 2))
    return out.permute(*[o if o is not None else next(rest) for o in order])


def select(input, dim, index):
    x = input
    d = _norm_dim(dim, x.ndim)
    size = x.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{_shape_str(x.shape)} at dimension {d}")
    return x[(slice(None),) * d + (index,)]


# ---- distances ------------------------------------------------------------------

def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    a, b = _as_tensor(x1), _as_tensor(x2)
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X{1 if a.ndim < 2 else 2} "
                           f"got: {a.ndim if a.ndim < 2 else b.ndim}D")
    if not a.dtype.is_floating_point or not b.dtype.is_floating_point:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {a.dtype}")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{a.shape[-1]} X2: {b.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    batch = T.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    a = a.expand(*(batch + tuple(a.shape[-2:])))
    b = b.expand(*(batch + tuple(b.shape[-2:])))
    r1, r2 = a.shape[-2], b.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == modes[0] and (r1 > 25 or r2 > 25)))
    if use_mm:
        # PyTorch's _euclidean_dist: one matmul of the padded operands
        an = T.sum(a * a, -1, keepdim=True)
        bn = T.sum(b * b, -1, keepdim=True)
        left = T.cat([a * -2, an, T.ones_like(an)], -1)
        right = T.cat([b, T.ones_like(bn), bn], -1)
        sq = T.clamp(T.matmul(left, right.transpose(-1, -2)), min=0)
        return _root_of_sum(sq, T.sqrt)
    diff_ = a.unsqueeze(-2) - b.unsqueeze(-3)
    if a.shape[-1] == 0:
        return T.zeros(batch + (r1, r2), dtype=a.dtype, device=a.device)
    if p == 2:
        return _root_of_sum(T.sum(diff_ * diff_, -1), T.sqrt)
    if p == 1:
        return T.sum(T.abs(diff_), -1)
    if p == 0:
        return T.sum(_convert(T.ne(diff_, 0), a.dtype), -1)
    if p == math.inf:
        return T.amax(T.abs(diff_), -1)
    return _root_of_sum(T.sum(T.abs(diff_) ** p, -1), lambda s: s ** (1.0 / p))


# ---- Tensor methods ----------------------------------------------------------------

def _inplace_of(fn):
    def method(self, *args, **kwargs):
        return self._inplace(lambda: fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


def _install():
    plain = {
        "sinh": sinh, "cosh": cosh, "asinh": asinh, "acosh": acosh, "atanh": atanh,
        "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "tan": tan, "atan": atan,
        "asin": asin, "acos": acos, "arctan": atan, "arcsin": asin, "arccos": acos,
        "log2": log2, "log10": log10, "exp2": exp2, "sinc": sinc, "deg2rad": deg2rad,
        "rad2deg": rad2deg, "logit": logit, "hypot": hypot, "logaddexp": logaddexp,
        "logaddexp2": logaddexp2, "xlogy": xlogy, "fmod": fmod, "copysign": copysign,
        "signbit": signbit, "float_power": float_power, "lgamma": lgamma,
        "digamma": digamma, "erfinv": erfinv, "cumprod": cumprod, "cummax": cummax,
        "cummin": cummin, "logcumsumexp": logcumsumexp, "diff": diff, "nansum": nansum,
        "nanmean": nanmean, "aminmax": aminmax, "median": median, "nanmedian": nanmedian,
        "quantile": quantile, "nanquantile": nanquantile, "bincount": bincount,
        "scatter": scatter, "scatter_reduce": scatter_reduce,
        "take_along_dim": take_along_dim, "take": take, "index_fill": index_fill,
        "masked_scatter": masked_scatter, "addmm": addmm, "baddbmm": baddbmm,
        "addbmm": addbmm, "addmv": addmv, "addr": addr, "dot": dot, "vdot": vdot,
        "inner": inner, "mv": mv, "kron": kron, "tensor_split": tensor_split,
        "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "rot90": rot90,
        "diagonal": _diagonal, "trace": trace, "diag_embed": diag_embed, "select": select,
        "absolute": T.abs, "arctan2": T.atan2,
        "cross": lambda self, other, dim=None: cross(self, other, dim),
    }
    for name, fn in plain.items():
        setattr(Tensor, name, fn)
    for name in ["sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
                 "tan", "atan", "asin", "acos", "arctan", "arcsin", "arccos", "log2", "log10",
                 "exp2", "sinc", "deg2rad", "rad2deg", "logit", "hypot", "logaddexp",
                 "xlogy", "fmod", "copysign", "lgamma", "digamma", "erfinv", "cumprod",
                 "scatter", "scatter_reduce", "index_fill", "masked_scatter", "addmm",
                 "baddbmm", "addbmm", "addmv", "addr", "absolute", "float_power"]:
        setattr(Tensor, name + "_", _inplace_of(plain[name]))
    Tensor.tril_ = lambda self, diagonal=0: self._inplace(lambda: self.tril(diagonal))
    Tensor.triu_ = lambda self, diagonal=0: self._inplace(lambda: self.triu(diagonal))
    Tensor.cumsum_ = lambda self, dim, *, dtype=None: self._inplace(
        lambda: cumsum(self, dim, dtype=dtype))
    Tensor.nan_to_num_ = lambda self, nan=0.0, posinf=None, neginf=None: self._inplace(
        lambda: self.nan_to_num(nan, posinf, neginf))
    Tensor.fill_diagonal_ = _fill_diagonal_
    Tensor.sgn = lambda self: T.sign(self)
    from . import _autograd
    Tensor.diagonal = _autograd.recorded_method("diagonal")


def _fill_diagonal_(self, fill_value, wrap=False):
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    index = np.zeros(self.numel(), bool)
    if self.ndim == 2:
        # every (cols + 1)-th element, as PyTorch: past the first min(rows,
        # cols) only with wrap (a tall matrix starts again after a blank row)
        positions = np.arange(0, self.numel(), self.shape[1] + 1)
        index[positions if wrap else positions[:builtins.min(self.shape)]] = True
    else:
        index[np.arange(self.shape[0]) * builtins.sum(T._row_major(self.shape))] = True
    mask = T.tensor(index.reshape(tuple(self.shape)), device=self.device)
    return self._inplace(lambda: T.where(mask, T.full([], fill_value, dtype=self.dtype,
                                                      device=self.device), self),
                         check_cast=False)


_install()


# ---- more Tensor methods and functions (test/python/test_more_tensor_ops2.py) -------------

def _unfold(self, dimension, size, step):
    """Tensor.unfold: the windows of `size` elements `step` apart along
    `dimension`, as a new last dim (a gathered copy, not a view)."""
    x = _as_tensor(self)
    if x.ndim == 0:
        x = x.reshape(1)
        squeeze = True
    else:
        squeeze = False
    d = _dim_for(x, dimension)
    n = x.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    count = (n - size) // step + 1
    idx = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    out = index_select(x, d, _index(idx, x))
    out = out.reshape(*x.shape[:d], count, size, *x.shape[d + 1:])
    out = movedim(out, d + 1, -1)
    return out.reshape(size) if squeeze else out


def _fill_random(self, draw, generator=None):
    """self filled in place with draw(numpy_generator, shape) (float64 or int64)."""
    values = T._random(tuple(self.shape), dt.float64 if self.dtype.is_floating_point
                       else dt.int64, self.device, draw, generator)
    with no_grad():
        return self.copy_(values)


def _bernoulli_(self, p=0.5, *, generator=None):
    if isinstance(p, Tensor):
        prob = _convert(p, dt.float64)
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        prob = p
    u = T._random(tuple(self.shape), dt.float64, self.device, lambda g, s: g.random(s),
                  generator)
    with no_grad():
        return self.copy_(T.lt(u, prob))


def _bernoulli(self, p=None, *, generator=None):
    prob = _convert(self, dt.float64) if p is None else p
    out = T.zeros(*self.shape, dtype=self.dtype, device=self.device)
    return _bernoulli_(out, prob, generator=generator)


_MANTISSA = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _random_(self, *args, generator=None, **kwargs):
    """Tensor.random_(from=0, to=None): integers uniform in [from, to); to
    None: up to 2**mantissa (floats) or the dtype's maximum (integers)."""
    if "from" in kwargs:
        kwargs["from_"] = kwargs.pop("from")
    names = ["from_", "to"]
    bound = dict(zip(names, args))
    if len(args) == 1 and not kwargs:
        bound = {"from_": 0, "to": args[0]}
    bound.update(kwargs)
    low, high = int(bound.get("from_", 0)), bound.get("to")
    name = str(self.dtype).split(".")[-1]
    if high is None:
        if self.dtype.is_floating_point:
            high = 2 ** _MANTISSA[name] + 1
        elif self.dtype is dt.bool_:
            high = 2
        else:
            high = int(np.iinfo(self.dtype.numpy).max) + 1
    high = int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    return _fill_random(self, lambda g, s: g.integers(low, high, size=s, dtype=np.int64)
                        if not self.dtype.is_floating_point
                        else g.integers(low, high, size=s).astype(np.float64), generator)


def _need_float(self, what):
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_type_name(self.dtype)}")


def _exponential_(self, lambd=1.0, *, generator=None):
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    _need_float(self, "Exponential")
    return _fill_random(self, lambda g, s: g.exponential(1.0 / lambd, s), generator)


def _geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill_random(self, lambda g, s: g.geometric(p, s).astype(
        np.float64 if self.dtype.is_floating_point else np.int64), generator)


def index_copy(input, dim, index, source):
    """input with the slices of source written at the rows `index` names
    along dim (of duplicates the last wins, as PyTorch's CPU kernel)."""
    x, src = _as_tensor(input), _as_tensor(source)
    if index.dtype is not dt.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{_type_name(index.dtype)}")
    if src.dtype is not x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_type_name(x.dtype)} and (source) "
                           f"{_type_name(src.dtype)}")
    if index.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{index.ndim})")
    if x.ndim == 0:
        return index_copy(x.reshape(1), 0, index, src.reshape(1)).reshape(())
    d = _dim_for(x, dim)
    src = src if src.ndim else src.reshape(1)
    if src.ndim != x.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         "dimensionality must match. Source dimensionality "
                         f"({src.ndim}), destination dimensionality ({x.ndim})")
    if index.numel() != src.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({src.shape[d]})")
    if not _traced(index):
        values = _host(index, "index_copy").reshape(-1)
        bad = values[(values < 0) | (values >= x.shape[d])]
        if bad.size:
            raise IndexError(f"index_copy_(): index {int(bad[0])} is out of bounds for "
                             f"dimension {d} with size {x.shape[d]}")
    shape = [1] * src.ndim
    shape[d] = -1
    spread = index.reshape(shape).expand(*src.shape)
    return scatter(x, d, spread, src)


def _addcdiv_check(input, tensor1, tensor2):
    if builtins.all(not _as_tensor(t).dtype.is_floating_point for t in (tensor1, tensor2)):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future  release addcdiv will perform a true division of tensor1 "
                           "and tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all "
                           "dtypes.")


def _detach_(self):
    if self._vbase is not None and self._node is not None:
        raise RuntimeError("Can't detach views in-place. Use detach() instead.")
    self._node = None
    self._requires_grad = False
    self._retains_grad = False
    return self


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest value along dim and its index (values, indices)."""
    x = _as_tensor(input)
    x1 = x.reshape(1) if x.ndim == 0 else x
    d = _dim_for(x1, dim)
    n = x1.shape[d]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    values, indices = sort(x1, d)
    values, indices = narrow(values, d, k - 1, 1), narrow(indices, d, k - 1, 1)
    if x.ndim == 0:
        return _ValuesIndices((values.reshape(()), indices.reshape(())))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _ValuesIndices((values, indices))


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along dim (the smallest of ties) and the
    index of its last occurrence, as PyTorch's CPU kernel (read on the host;
    the values are gathered at the indices, so the gradient goes there)."""
    x = _as_tensor(input)
    x1 = x.reshape(1) if x.ndim == 0 else x
    d = _dim_for(x1, dim)
    if x1.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    rows = np.moveaxis(_host(x1, "mode"), d, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    picks = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        vals, counts = np.unique(row, return_counts=True)
        best = vals[np.argmax(counts)]  # np.unique sorts, so the smallest of ties
        hits = np.nonzero((row == best) | (np.isnan(row) & np.isnan(best)))[0]
        picks[r] = hits[-1]
    idx = _index(picks.reshape(rows.shape[:-1]), x1).unsqueeze(d)
    values = gather(x1, d, idx)
    if x.ndim == 0:
        return _ValuesIndices((values.reshape(()), idx.reshape(())))
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _ValuesIndices((values, idx))


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


@_f64
def _erfc(x):
    # 1 - erf(x) below 2 (relative error under 1e-14); above, the continued
    # fraction exp(-x^2) / (sqrt(pi) (x + (1/2) / (x + 1 / (x + ...)))) (60 terms)
    far = T.ge(x, 2)
    xf = _safe(far, x, 2.0)
    t = xf
    for k in range(60, 0, -1):
        t = xf + (k / 2) / t
    tail = T.exp(T.neg(xf * xf)) / (t * math.sqrt(math.pi))
    return T.where(far, tail, 1 - T.erf(_safe(far, 0.0, x)))


erfc = _erfc


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    e, t = _as_tensor(elements), _as_tensor(test_elements)
    hit = T.any(T.eq(e.unsqueeze(-1), t.reshape(1, -1) if e.ndim else t.reshape(-1)), -1) \
        if t.numel() else T.zeros(*e.shape, dtype=dt.bool_, device=e.device)
    return T.logical_not(hit) if invert else hit


def block_diag(*tensors):
    """The tensors (0-d, 1-d rows or matrices) down a block diagonal."""
    mats = []
    for i, t in enumerate(tensors):
        t = _as_tensor(t)
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
        mats.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not mats:
        return T.zeros(0, 0)
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = dt.promote_types(dtype, m.dtype)
    width = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = _convert(m, dtype) if m.dtype is not dtype else m
        rows.append(pad(m, [left, width - left - m.shape[1]]) if width else m)
        left += m.shape[1]
    return T.cat(rows, 0)


def cartesian_prod(*tensors):
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    from ._composites import meshgrid
    grids = meshgrid(*tensors, indexing="ij")
    return T.stack([g.reshape(-1) for g in grids], 1)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) over the columns (observations),
    NumPy's and PyTorch's formula with frequency and analytic weights."""
    x = _as_tensor(input)
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    x = _float(x)
    x2 = x.reshape(1, -1) if x.ndim < 2 else x
    n = x2.shape[1]
    w = None
    if fweights is not None:
        if fweights.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {_type_name(fweights.dtype)} dtype")
        w = _convert(fweights, x.dtype)
    if aweights is not None:
        if not aweights.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but "
                               f"got aweights with {_type_name(aweights.dtype)} dtype")
        aw = _convert(aweights, x.dtype)
        w = aw if w is None else w * aw
    if w is None:
        w_sum = T.full([], float(n), dtype=x.dtype, device=x.device)
        avg = T.mean(x2, 1, keepdim=True)
        fact = w_sum - correction
    else:
        w_sum = T.sum(w)
        avg = T.sum(x2 * w, 1, keepdim=True) / w_sum
        fact = w_sum - (correction * T.sum(w * aw) / w_sum if aweights is not None and
                        correction != 0 else correction)
    fact = T.clamp(fact, min=0)
    xm = x2 - avg
    xw = xm if w is None else xm * w
    c = T.matmul(xw, xm.t()) / fact
    return c.reshape(()) if x.ndim < 2 else c


def corrcoef(input):
    c = cov(input)
    if c.ndim == 0:
        return c / c
    s = T.sqrt(diagonal(c))
    out = c / s.reshape(-1, 1) / s.reshape(1, -1)
    return T.clamp(out, -1, 1)


def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal bins over [min, max] (min == max: the data's
    range); values outside are ignored; read on the host."""
    x = _as_tensor(input)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_type_name(x.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    values = _host(x, "histc").astype(np.float64).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and values.size:
        lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {min} "
                           f"max {max}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc(): range of [{lo}, {hi}] is not finite")
    inside = values[(values >= lo) & (values <= hi)]
    pos = np.minimum(((inside - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)
    counts = np.bincount(pos, minlength=bins).astype(np.float64)
    return T.tensor(counts, dtype=x.dtype, device=x.device)


def pdist(input, p=2):
    """Distances between the rows of a matrix, each pair i < j once (row-major)."""
    x = _as_tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if not x.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = x.shape[0]
    i, j = np.triu_indices(n, 1)
    diff_ = index_select(x, 0, _index(i, x)) - index_select(x, 0, _index(j, x))
    if p == 2:
        return _root_of_sum(T.sum(diff_ * diff_, -1), T.sqrt)
    if p == 1:
        return T.sum(T.abs(diff_), -1)
    if p == 0:
        return T.sum(_convert(T.ne(diff_, 0), x.dtype), -1)
    if p == math.inf:
        return T.amax(T.abs(diff_), -1) if diff_.numel() else T.sum(diff_, -1)
    return _root_of_sum(T.sum(T.abs(diff_) ** p, -1), lambda s: s ** (1.0 / p))


def _install2():
    def method(name, fn):
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
    from ._composites import addcdiv, addcmul, lerp
    method("unfold", _unfold)
    method("bernoulli_", _bernoulli_)
    method("bernoulli", _bernoulli)
    method("random_", _random_)
    method("exponential_", _exponential_)
    method("geometric_", _geometric_)
    method("index_copy", index_copy)
    method("index_copy_", lambda self, dim, index, source: self._inplace(
        lambda: index_copy(self, dim, index, source)))
    method("addcmul_", lambda self, tensor1, tensor2, *, value=1: self._inplace(
        lambda: addcmul(self, tensor1, tensor2, value)))

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        _addcdiv_check(self, tensor1, tensor2)
        return self._inplace(lambda: addcdiv(self, tensor1, tensor2, value))
    method("addcdiv_", addcdiv_)
    method("lerp_", lambda self, end, weight: self._inplace(lambda: lerp(self, end, weight)))
    method("detach_", _detach_)
    method("kthvalue", kthvalue)
    method("mode", mode)
    method("is_complex", lambda self: False)
    method("fliplr", fliplr)
    method("flipud", flipud)
    method("erfc", erfc)
    method("erfc_", _inplace_of(erfc))
    method("isin", lambda self, test_elements, *, assume_unique=False, invert=False:
           isin(self, test_elements, assume_unique=assume_unique, invert=invert))
    method("histc", histc)
    method("cov", cov)
    method("corrcoef", corrcoef)


_install2()
