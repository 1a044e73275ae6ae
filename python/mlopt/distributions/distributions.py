"""Distribution and the common distributions of torch.distributions, built
from tensor ops so log_prob, entropy and rsample are differentiable and
trace under @mlopt.compile. validate_args checks (PyTorch's default: on)
read values on the host, so they run eagerly and are skipped inside a
compiled trace."""

import math
import numbers

import numpy as np

from .. import _compile
from .. import _composites as C
from .. import _dtype as dt
from .. import linalg
from .. import _tensor as T
from .._autograd import no_grad
from .._tensor import Tensor
from . import constraints

__all__ = ["Distribution", "ExponentialFamily", "Normal", "Categorical", "Bernoulli",
           "Uniform", "MultivariateNormal", "Independent"]


# ---- helpers -------------------------------------------------------------------------------
class lazy_property:
    """Computed on first access, then stored on the instance (PyTorch's
    torch.distributions.utils.lazy_property)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def _size(shape=()):
    return T.Size(tuple(int(s) for s in shape))


def _finfo(dtype):
    if dtype is dt.bfloat16:
        return 2.0 ** -7, -3.3895313892515355e38, 1.1754943508222875e-38
    f = np.finfo({dt.float16: np.float16, dt.float64: np.float64}.get(dtype, np.float32))
    return float(f.eps), float(f.min), float(f.tiny)


def broadcast_all(*values):
    """The values as tensors of one broadcast shape (numbers become tensors
    of the first tensor's dtype and device, or of the default dtype)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    if like is None:
        dtype = dt.float32
        try:
            from .. import get_default_dtype
            dtype = get_default_dtype()
        except ImportError:
            pass
        return tuple(T.tensor(float(v), dtype=dtype) for v in values)
    values = [v if isinstance(v, Tensor) else T.tensor(float(v), dtype=like.dtype,
                                                       device=like.device) for v in values]
    shape = T.broadcast_shapes(*(tuple(v.shape) for v in values))
    return tuple(v if tuple(v.shape) == tuple(shape) else v.expand(*shape) for v in values)


def _sum_rightmost(value, dim):
    if dim == 0:
        return value
    return value.reshape(*value.shape[:value.ndim - dim], -1).sum(-1)


def clamp_probs(probs):
    eps = _finfo(probs.dtype)[0]
    return T.clamp(probs, min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    if is_binary:
        return T.log(ps) - T.log1p(-ps)
    return T.log(ps)


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return T.sigmoid(logits)
    from ..nn import functional as F
    return F.softmax(logits, -1)


def _tracing():
    return _compile._active() is not None


def _all_true(mask):
    return bool(np.all(np.asarray(mask.detach().cpu())))


# ---- the base class ------------------------------------------------------------------------
class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = _size(batch_shape), _size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args and not _tracing():
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                             lazy_property):
                    continue  # (the other parametrization was given)
                value = getattr(self, param)
                if not _all_true(constraint.check(value)):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def arg_constraints(self):
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self):
        return T.sqrt(self.variance)

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return T.exp(self.entropy())

    def _extended_shape(self, sample_shape=()):
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return _size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        if _tracing():
            return
        event_dim_start = value.ndim - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {tuple(self._event_shape)}.")
        actual_shape = tuple(value.shape)
        expected_shape = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual_shape), reversed(expected_shape)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual_shape} vs {expected_shape}.")
        try:
            support = self.support
        except NotImplementedError:
            return
        if support is None or constraints.is_dependent(support):
            return
        if not _all_true(support.check(value)):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{actual_shape}) to be within the support ({support!r}) of the "
                             f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self):
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []

        def show(v):
            return v if v.numel() == 1 else v.shape
        args = ", ".join(f"{p}: {show(self.__dict__[p])}" for p in names)
        return f"{self.__class__.__name__}({args})"


class ExponentialFamily(Distribution):
    pass


def _new(cls, instance):
    return instance if instance is not None else cls.__new__(cls)


# ---- Normal ----------------------------------------------------------------------------------
class Normal(ExponentialFamily):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = () if isinstance(loc, numbers.Number) and \
            isinstance(scale, numbers.Number) else tuple(self.loc.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _new(Normal, _instance)
        batch_shape = _size(batch_shape)
        new.loc, new.scale = self.loc.expand(*batch_shape), self.scale.expand(*batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = T.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        log_scale = math.log(self.scale) if isinstance(self.scale, numbers.Real) \
            else T.log(self.scale)
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - \
            math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + T.erf((value - self.loc) * T.reciprocal(self.scale) / math.sqrt(2)))

    def icdf(self, value):
        from .._more_ops import erfinv
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + T.log(self.scale)


# ---- Categorical -------------------------------------------------------------------------------
class Categorical(Distribution):
    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = tuple(self._param.shape[:-1]) if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _new(Categorical, _instance)
        batch_shape = _size(batch_shape)
        param_shape = tuple(batch_shape) + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(*param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(*param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return T.full(tuple(self._extended_shape()), math.nan, dtype=self.probs.dtype,
                      device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self.mean

    def sample(self, sample_shape=()):
        """Inverse-CDF draws (a uniform against the running sum of probs),
        so sampling traces under @mlopt.compile."""
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            probs = self.probs.detach()
            cdf = C.cumsum(probs, -1)
            cdf = cdf / cdf[..., -1:]
            u = T.rand(*shape, 1, dtype=probs.dtype, device=probs.device)
            below = T.le(cdf.expand(*shape, self._num_events), u).to(dt.int64).sum(-1)
            return T.clamp(below, max=self._num_events - 1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.to(dt.int64)
        shape = tuple(T.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape[:-1])))
        index = value.expand(*shape).unsqueeze(-1)
        logits = self.logits.expand(*shape, self._num_events)
        return C.gather(logits, -1, index).squeeze(-1)

    def entropy(self):
        min_real = _finfo(self.logits.dtype)[1]
        logits = T.clamp(self.logits, min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        n = self._num_events
        values = T.arange(n, device=self._param.device).reshape(
            n, *([1] * len(self._batch_shape)))
        if expand:
            values = values.expand(n, *self._batch_shape)
        return values


# ---- Bernoulli -------------------------------------------------------------------------------
class Bernoulli(ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
            self._param = self.probs
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        super().__init__(() if is_scalar else tuple(self._param.shape),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _new(Bernoulli, _instance)
        batch_shape = _size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(*batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(*batch_shape)
            new._param = new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = T.ge(self.probs, 0.5).to(self.probs.dtype)
        return T.where(T.eq(self.probs, 0.5), math.nan, mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            probs = self.probs.detach().expand(*shape)
            return T.lt(T.rand(*shape, dtype=probs.dtype, device=probs.device),
                        probs).to(probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        from ..nn import functional as F
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        from ..nn import functional as F
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = T.arange(2, dtype=self._param.dtype, device=self._param.device).reshape(
            2, *([1] * len(self._batch_shape)))
        if expand:
            values = values.expand(2, *self._batch_shape)
        return values


# ---- Uniform -----------------------------------------------------------------------------------
class Uniform(Distribution):
    arg_constraints = {"low": constraints.dependent(is_discrete=False, event_dim=0),
                       "high": constraints.dependent(is_discrete=False, event_dim=0)}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        batch_shape = () if isinstance(low, numbers.Number) and \
            isinstance(high, numbers.Number) else tuple(self.low.shape)
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and not _tracing() and \
                not _all_true(T.lt(self.low, self.high)):
            raise ValueError("Uniform is not defined when low>= high")

    def expand(self, batch_shape, _instance=None):
        new = _new(Uniform, _instance)
        batch_shape = _size(batch_shape)
        new.low, new.high = self.low.expand(*batch_shape), self.high.expand(*batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rand = T.rand(*shape, dtype=self.low.dtype, device=self.low.device)
        return self.low + rand * (self.high - self.low)

    def _check_in_support(self, value):
        if self._validate_args and not _tracing():
            self._validate_sample(value)
            if not _all_true(T.logical_and(T.le(self.low, value), T.le(value, self.high))):
                raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                                 f"{tuple(value.shape)}) to be within the support "
                                 f"({self.support!r}) of the distribution {self!r}, but found "
                                 f"invalid values:\n{value}")

    def log_prob(self, value):
        self._check_in_support(value)
        lb = T.le(self.low, value).to(self.low.dtype)
        ub = T.gt(self.high, value).to(self.low.dtype)
        return T.log(lb * ub) - T.log(self.high - self.low)

    def cdf(self, value):
        self._check_in_support(value)
        return T.clamp((value - self.low) / (self.high - self.low), min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return T.log(self.high - self.low)


# ---- MultivariateNormal ------------------------------------------------------------------------
def _cholesky(a):
    """The lower Cholesky factor of a batch of SPD matrices. Only a's
    symmetric part counts, so its gradient is symmetric, as PyTorch's.
    Eagerly mlopt.linalg.cholesky (one host call); in a trace one column at
    a time with tensor ops (n steps, compiled into the program)."""
    a = (a + a.mT) * 0.5
    if _compile._active() is None:
        return linalg.cholesky(a)
    n = a.shape[-1]
    rows = T.arange(n, device=a.device)
    cols = []
    for j in range(n):
        v = a[..., :, j]
        for k in range(j):
            v = v - cols[k] * cols[k][..., j:j + 1]
        d = T.sqrt(v[..., j:j + 1])
        cols.append(T.where(T.ge(rows, j), v / d, T.zeros([], dtype=a.dtype)))
    return T.stack(cols, -1)


def _solve_lower(l, b):
    """X with L X = B (L lower triangular (..., n, n), B (..., n, k)):
    eagerly mlopt.linalg.solve, in a trace by forward substitution
    (broadcasting over the batch dims)."""
    if _compile._active() is None:
        batch = T.broadcast_shapes(tuple(l.shape[:-2]), tuple(b.shape[:-2]))
        return linalg.solve(l.expand(*batch, *l.shape[-2:]), b.expand(*batch, *b.shape[-2:]))
    n = l.shape[-1]
    xs = []
    for i in range(n):
        r = b[..., i, :]
        if i:
            prev = T.stack(xs, -2)  # (..., i, k)
            r = r - (l[..., i, :i].unsqueeze(-1) * prev).sum(-2)
        xs.append(r / l[..., i, i:i + 1])
    return T.stack(xs, -2)


def _batch_mahalanobis(l, x):
    """x^T (L L^T)^-1 x over the last dim, broadcasting L's batch dims."""
    z = _solve_lower(l, x.unsqueeze(-1)).squeeze(-1)
    return (z * z).sum(-1)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + \
                (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        given = next(m for m in (scale_tril, covariance_matrix, precision_matrix)
                     if m is not None)
        name = "scale_tril" if scale_tril is not None else (
            "covariance_matrix" if covariance_matrix is not None else "precision_matrix")
        if given.ndim < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        batch_shape = tuple(T.broadcast_shapes(tuple(given.shape[:-2]),
                                               tuple(loc.shape[:-1])))
        n = loc.shape[-1]
        setattr(self, name, given.expand(*batch_shape, n, n))
        self.loc = loc.expand(*batch_shape, n)
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = _new(MultivariateNormal, _instance)
        batch_shape = _size(batch_shape)
        n = self._event_shape[0]
        new.loc = self.loc.expand(*batch_shape, n)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(*batch_shape, n, n))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        n = self._event_shape[0]
        return self._unbroadcasted_scale_tril.expand(*self._batch_shape, n, n)

    @lazy_property
    def covariance_matrix(self):
        l = self._unbroadcasted_scale_tril
        n = self._event_shape[0]
        return T.matmul(l, l.mT).expand(*self._batch_shape, n, n)

    @lazy_property
    def precision_matrix(self):
        l = self._unbroadcasted_scale_tril
        n = self._event_shape[0]
        inv = _solve_lower(l, C.eye(n, dtype=l.dtype, device=l.device))
        return T.matmul(inv.mT, inv).expand(*self._batch_shape, n, n)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            *self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        eps = T.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + T.matmul(self._unbroadcasted_scale_tril,
                                   eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = T.log(self._unbroadcasted_scale_tril.diagonal(0, -2, -1)).sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        half_log_det = T.log(self._unbroadcasted_scale_tril.diagonal(0, -2, -1)).sum(-1)
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return h
        return h.expand(*self._batch_shape)


def _precision_to_scale_tril(p):
    """The Cholesky factor of P^-1: P = Lp Lp^T, so P^-1 = Lp^-T Lp^-1."""
    lp = _cholesky(p)
    inv = _solve_lower(lp, C.eye(p.shape[-1], dtype=p.dtype, device=p.device))
    return _cholesky(T.matmul(inv.mT, inv))


# ---- Independent -------------------------------------------------------------------------------
class Independent(Distribution):
    """The rightmost reinterpreted_batch_ndims batch dims of a distribution
    made event dims: log_prob and entropy sum over them."""
    arg_constraints = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        if reinterpreted_batch_ndims > len(base_distribution.batch_shape):
            raise ValueError(f"Expected reinterpreted_batch_ndims <= "
                             f"len(base_distribution.batch_shape), actual "
                             f"{reinterpreted_batch_ndims} vs "
                             f"{len(base_distribution.batch_shape)}")
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        base = self.base_dist.expand(batch_shape + tuple(
            self._event_shape[:self.reinterpreted_batch_ndims]))
        return Independent(base, self.reinterpreted_batch_ndims, validate_args=False)

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        if self.reinterpreted_batch_ndims > 0:
            return False
        return self.base_dist.has_enumerate_support

    @property
    def support(self):
        result = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            result = constraints.independent(result, self.reinterpreted_batch_ndims)
        return result

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand=True):
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self):
        return f"{self.__class__.__name__}({self.base_dist}, {self.reinterpreted_batch_ndims})"
