"""kl_divergence(p, q) and register_kl, as torch.distributions.kl: the
closed forms for Normal, Categorical, Bernoulli, Uniform, MultivariateNormal
and Independent pairs."""

import math

from .. import _tensor as T
from ..nn import functional as F
from .distributions import (Bernoulli, Categorical, Independent, MultivariateNormal, Normal,
                            Uniform, _solve_lower, _sum_rightmost)

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}
_KL_MEMOIZE = {}


def register_kl(type_p, type_q):
    if not isinstance(type_p, type) or not isinstance(type_q, type):
        raise TypeError("Expected type_p and type_q to be subclasses of Distribution")

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()
        return fun
    return decorator


def _dispatch_kl(type_p, type_q):
    matches = [(super_p, super_q) for super_p, super_q in _KL_REGISTRY
               if issubclass(type_p, super_p) and issubclass(type_q, super_q)]
    if not matches:
        return NotImplemented

    def rank(pair):  # the most specific registration wins
        return (type_p.__mro__.index(pair[0]), type_q.__mro__.index(pair[1]))
    return _KL_REGISTRY[min(matches, key=rank)]


def kl_divergence(p, q):
    try:
        fun = _KL_MEMOIZE[type(p), type(q)]
    except KeyError:
        fun = _dispatch_kl(type(p), type(q))
        _KL_MEMOIZE[type(p), type(q)] = fun
    if fun is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{p.__class__.__name__} and q type {q.__class__.__name__}")
    return fun(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - T.log(var_ratio))


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = T.where(T.eq(q.probs, 0).expand(*t.shape), math.inf, t)
    t = T.where(T.eq(p.probs, 0).expand(*t.shape), 0.0, t)
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = T.where(T.eq(q.probs, 0), math.inf, t1)
    t1 = T.where(T.eq(p.probs, 0), 0.0, t1)
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = T.where(T.eq(q.probs, 1), math.inf, t2)
    t2 = T.where(T.eq(p.probs, 1), 0.0, t2)
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = T.log((q.high - q.low) / (p.high - p.low))
    return T.where(T.logical_or(T.gt(q.low, p.low), T.lt(q.high, p.high)), math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         "shapes cannot be computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = T.log(lq.diagonal(0, -2, -1)).sum(-1) - T.log(lp.diagonal(0, -2, -1)).sum(-1)
    n = p.event_shape[0]
    batch = tuple(T.broadcast_shapes(tuple(lq.shape[:-2]), tuple(lp.shape[:-2])))
    m = _solve_lower(lq.expand(*batch, n, n), lp.expand(*batch, n, n))
    term2 = (m * m).reshape(*batch, -1).sum(-1)
    z = _solve_lower(lq, (q.loc - p.loc).unsqueeze(-1)).squeeze(-1)
    term3 = (z * z).sum(-1)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
