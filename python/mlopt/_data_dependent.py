"""Ops whose result order or shape depends on the values: sort, argsort,
topk, nonzero, unique, masked_select, and multinomial's draws.

The order (or the positions) is found on the host with NumPy; values are
then read with `gather` or indexing, so gradients flow as in PyTorch. Under
`@mlopt.compile` they end tracing (the call runs eagerly, with the reason).
"""

import numpy as np

from . import _dtype as dt
from . import _tensor as T
from ._composites import gather
from ._tensor import Tensor, _ValuesIndices, _as_tensor


def _host(x, what):
    """x's values as a NumPy array (Tensor.__array__: through the host for
    CUDA tensors, bfloat16 as float32)."""
    concrete = getattr(x, "_concrete", None)
    if concrete is not None:  # a traced tensor: no values yet
        concrete(what)
    return np.asarray(x.detach())


def _order(values, axis, descending):
    """Stable sorting order along axis; NaN sorts above everything (last
    ascending, first descending), ties keep their order, as PyTorch."""
    if not descending:
        return np.argsort(values, axis=axis, kind="stable")
    n = values.shape[axis]
    flipped = np.flip(values, axis)  # later equal elements first, then reversed
    return n - 1 - np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)


def _index(array, like):
    return T.tensor(np.ascontiguousarray(array, dtype=np.int64), device=like.device)


def _sorted_index(x, dim, descending, what, k=None):
    """The (first k of the) sorting order of x along dim, as an index tensor
    on x's device; 0-d: index 0."""
    if x.ndim == 0:
        return _index(np.zeros(()) if k is None else np.zeros(k), x)
    order = _order(_host(x, what), dim, descending)
    return _index(order if k is None else np.take(order, np.arange(k), axis=dim), x)


def sort(input, dim=-1, descending=False, *, stable=False):
    x = _as_tensor(input)
    if x.ndim == 0:
        return _ValuesIndices((x.clone(), _sorted_index(x, 0, descending, "sort")))
    d = T._norm_dim(dim, x.ndim)
    index = _sorted_index(x, d, descending, "sort")
    return _ValuesIndices((gather(x, d, index), index))


def argsort(input, dim=-1, descending=False, *, stable=False):
    x = _as_tensor(input)
    return _sorted_index(x, T._norm_dim(dim, max(x.ndim, 1)), descending, "argsort")


def topk(input, k, dim=-1, largest=True, sorted=True):
    x = _as_tensor(input)
    d = T._norm_dim(dim, max(x.ndim, 1))
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k={k} out of range for dimension {d} of "
                           f"size {size} (input shape {tuple(x.shape)})")
    if x.ndim == 0:
        return sort(x) if k else _ValuesIndices((x.reshape(0), _sorted_index(x, d, largest,
                                                                             "topk", 0)))
    index = _sorted_index(x, d, largest, "topk", k)
    return _ValuesIndices((gather(x, d, index), index))


def nonzero(input, *, as_tuple=False):
    x = _as_tensor(input)
    found = np.nonzero(np.atleast_1d(_host(x, "nonzero")))
    if as_tuple:
        return tuple(_index(i, x) for i in found)
    positions = np.stack(found, 1)  # (count, ndim); a 0-d input has no coordinates
    return _index(positions if x.ndim else positions[:, :0], x)


def argwhere(input):
    return nonzero(input)


def masked_select(input, mask):
    x, mask = _as_tensor(input), _as_tensor(mask)
    if mask.dtype is not dt.bool_:
        raise RuntimeError(f"masked_select: expected a bool mask, got {mask.dtype}")
    shape = np.broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    return x.expand(*shape)[mask.expand(*shape)]  # (bool-mask indexing)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted distinct values (no gradient, as PyTorch); along `dim`, the
    distinct slices."""
    x = _as_tensor(input)
    values = _host(x, "unique")
    if dim is None:
        found = np.unique(values.reshape(-1), return_inverse=True, return_counts=True)
        inverse = found[1].reshape(values.shape)
    else:
        d = T._norm_dim(dim, x.ndim)
        found = np.unique(values, return_inverse=True, return_counts=True, axis=d)
        inverse = found[1].reshape(-1)
    out = T.tensor(found[0], device=x.device).to(x.dtype)
    extra = ([_index(inverse, x)] if return_inverse else []) + \
        ([_index(found[2], x)] if return_counts else [])
    return (out, *extra) if extra else out


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn by the weights in each row of a 1-D or 2-D input, from
    mlopt's generator (manual_seed), as PyTorch's (not its stream)."""
    x = _as_tensor(input)
    if x.ndim not in (1, 2) or not x.dtype.is_floating_point:
        raise RuntimeError(f"multinomial: expected a 1-D or 2-D float tensor of weights, got "
                           f"{x.dtype} of shape {tuple(x.shape)}")
    weights = np.atleast_2d(_host(x, "multinomial")).astype(np.float64)
    rows, n = weights.shape
    if num_samples <= 0 or (not replacement and num_samples > n):
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples from {n} "
                           f"categories {'with' if replacement else 'without'} replacement")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    totals = weights.sum(1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    draws = np.empty((rows, num_samples), np.int64)
    for r in range(rows):
        row = weights[r] / totals[r]
        if not replacement and np.count_nonzero(row) < num_samples:
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) "
                               "samples without replacement (too few nonzero weights)")
        draws[r] = T._generator.choice(n, size=num_samples, replace=replacement, p=row)
    return _index(draws if x.ndim == 2 else draws[0], x)


def _install():
    Tensor.sort = lambda self, dim=-1, descending=False, *, stable=False: \
        sort(self, dim, descending, stable=stable)
    Tensor.argsort = lambda self, dim=-1, descending=False, *, stable=False: \
        argsort(self, dim, descending, stable=stable)
    Tensor.topk = lambda self, k, dim=-1, largest=True, sorted=True: \
        topk(self, k, dim, largest, sorted)
    Tensor.nonzero = lambda self, *, as_tuple=False: nonzero(self, as_tuple=as_tuple)
    Tensor.argwhere = argwhere
    Tensor.masked_select = masked_select
    Tensor.unique = unique
    Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: \
        multinomial(self, num_samples, replacement)


_install()
