"""Tensor indexing: ints, slices with steps, None, Ellipsis, integer tensors
and boolean masks, like PyTorch. Basic indexing makes views; advanced
indexing gathers (mlopt.index_select)."""

import builtins

import numpy as np

from . import _C
from . import _dtype as dt
from ._tensor import Tensor, _as_tensor, _convert, _run, tensor


def _normalize(i):
    """Python bools and bool lists/arrays become masks; other lists and
    arrays integer tensors; floats are refused, as in PyTorch."""
    if isinstance(i, (bool, np.bool_)):
        return tensor(bool(i))
    if isinstance(i, (list, np.ndarray)):
        array = np.asarray(i)
        if array.dtype.kind not in "biu" and array.size:
            raise IndexError("tensors used as indices must be long, int or bool tensors")
        return tensor(array if array.size else array.astype(np.int64))
    if isinstance(i, (float, np.floating)):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                         "byte or bool tensors are valid indices")
    return i


def _expand_index(t, index):
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_normalize(i) for i in index)
    used = builtins.sum(1 for i in index if i is not None and i is not Ellipsis and
                        not (isinstance(i, Tensor) and i.dtype is dt.bool_))
    used += builtins.sum(i.ndim for i in index if isinstance(i, Tensor) and i.dtype is dt.bool_)
    if builtins.sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if used > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    out = []
    for i in index:
        if i is Ellipsis:
            out.extend([slice(None)] * (t.ndim - used))
        else:
            out.append(i)
    if not builtins.any(i is Ellipsis for i in index):
        out.extend([slice(None)] * (t.ndim - used))
    return out


def _basic(t, index):
    """Applies ints, slices and None; returns the view and the advanced
    (tensor) indices with the dims they apply to in the view."""
    shape, strides = list(t.shape), list(t.stride())
    offset = t._buf.offset
    out_shape, out_strides, advanced = [], [], []
    dim = 0
    for i in index:
        if i is None:
            out_shape.append(1)
            out_strides.append(0)
            continue
        if isinstance(i, Tensor) and i.dtype is dt.bool_ and i.ndim == 0:
            # A 0-d mask adds a dim of size 1 (True) or 0 (False).
            out_shape.append(1 if i.item() else 0)
            out_strides.append(0)
            continue
        if isinstance(i, Tensor) and i.dtype is dt.bool_:
            # A mask over the next i.ndim dims: its nonzero positions.
            covered = tuple(shape[dim:dim + i.ndim])
            if tuple(i.shape) != covered:
                raise IndexError(f"The shape of the mask {list(i.shape)} at index {dim} does "
                                 f"not match the shape of the indexed tensor {list(covered)}")
            positions = np.nonzero(i.cpu().numpy())  # (CUDA masks through the host)
            for k, p in enumerate(positions):
                advanced.append((len(out_shape), tensor(p, dtype=dt.int64),
                                 "mask" if k == 0 else "mask-cont"))
                out_shape.append(shape[dim])
                out_strides.append(strides[dim])
                dim += 1
            continue
        if isinstance(i, Tensor):
            idx = i
            if idx.dtype.category != 1:
                raise IndexError("tensors used as indices must be long, int or bool tensors")
            advanced.append((len(out_shape), idx, "int"))
            out_shape.append(shape[dim])
            out_strides.append(strides[dim])
            dim += 1
            continue
        if isinstance(i, slice):
            start, stop, step = i.indices(shape[dim])
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            count = builtins.max(0, (stop - start + step - 1) // step)
            offset += start * strides[dim] if count else 0
            out_shape.append(count)
            out_strides.append(strides[dim] * step)
            dim += 1
            continue
        try:
            k = int(i)
        except TypeError:
            raise IndexError(f"unsupported index type {type(i).__name__}") from None
        size = shape[dim]
        if not -size <= k < size:
            raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
        offset += (k % size) * strides[dim]
        dim += 1
    view = Tensor(t._buf.view(out_shape, out_strides, offset))
    return view, advanced


def _wrapped(values, size, dim):
    """Indices (a NumPy array) into a dim of `size`, negatives wrapped; an
    IndexError names the first one out of range, as in PyTorch."""
    bad = (values >= size) | (values < -size)
    if bad.any():
        raise IndexError(f"index {values[bad].flat[0]} is out of bounds for dimension {dim} "
                         f"with size {size}")
    return np.where(values < 0, values + size, values)


def getitem(t, index):
    view, advanced = _basic(t, _expand_index(t, index))
    if not advanced:
        return view
    # Masks become one index per masked dim, used together (like int
    # tensors broadcast together); a single dim gathers with index_select.
    if len(advanced) == 1 or (advanced[0][2] == "mask" and len(advanced) == 1):
        dim, idx, _ = advanced[0]
        flat = idx.reshape(-1)
        size = view.shape[dim]
        flat = tensor(_wrapped(flat.cpu().numpy(), size, dim), dtype=dt.int64)
        out = _run("mlopt.index_select", [view, flat], {"dim": dim})
        return out.reshape(view.shape[:dim] + tuple(idx.shape) + view.shape[dim + 1:])
    # Several advanced indices: flatten their dims (adjacent, as masks are)
    # into one linear index.
    dims = [d for d, _, _ in advanced]
    if dims != list(range(dims[0], dims[0] + len(dims))):
        raise IndexError("non-adjacent advanced indices are not supported")
    arrays = np.broadcast_arrays(*[i.cpu().numpy() for _, i, _ in advanced])
    sizes = [view.shape[d] for d in dims]
    wrapped = tuple(_wrapped(a, size, d) for a, size, d in zip(arrays, sizes, dims))
    linear = np.ravel_multi_index(wrapped, sizes) if arrays[0].size \
        else np.zeros(arrays[0].shape, np.int64)
    merged = view.reshape(view.shape[:dims[0]] + (-1,) + view.shape[dims[-1] + 1:]) \
        if view.is_contiguous() else view.contiguous().reshape(
            view.shape[:dims[0]] + (-1,) + view.shape[dims[-1] + 1:])
    flat = tensor(linear.reshape(-1), dtype=dt.int64)
    out = _run("mlopt.index_select", [merged, flat], {"dim": dims[0]})
    return out.reshape(view.shape[:dims[0]] + arrays[0].shape + view.shape[dims[-1] + 1:])


def setitem(t, index, value):
    from . import _autograd
    view, advanced = _basic(t, _expand_index(t, index))
    # The write itself records nothing (see below).
    plain = value.detach() if isinstance(value, Tensor) and value.requires_grad else value

    def write():
        if advanced:
            # Write through NumPy for advanced indices: CPU tensors are host
            # memory; a CUDA view goes through a host copy, written back.
            if t.dtype is dt.bfloat16:
                raise NotImplementedError("advanced index assignment on bfloat16 tensors")
            if isinstance(plain, Tensor) and plain.ndim and plain.is_cuda != view.is_cuda:
                raise RuntimeError("Expected all tensors to be on the same device, but found "
                                   f"at least two devices, {view.device} and {plain.device}")
            if view.is_cuda and any(s == 0 and n > 1 for s, n in
                                    zip(view._buf.strides, view.shape)):
                # (the host copy, written back, would race over the shared memory)
                raise RuntimeError("unsupported operation: more than one element of the "
                                   "written-to tensor refers to a single memory location. "
                                   "Please clone() the tensor before performing the operation.")
            host = view.cpu()
            target = host.numpy()
            idx = tuple(slice(None) if d not in [a[0] for a in advanced] else
                        next(a[1].cpu().numpy() for a in advanced if a[0] == d)
                        for d in range(view.ndim))
            values = _as_tensor(plain, t.dtype)
            try:
                target[idx] = np.asarray(_convert(values, t.dtype).cpu().numpy())
            except ValueError as e:
                raise RuntimeError(f"shape mismatch: {e}") from None
            if host is not view:
                _C.copy_into(host._buf, view._buf)
            return
        view._assign(plain, check_cast=False)

    if _autograd.needs_record(t, value):
        # Recorded as t's new value: t with the indexed elements replaced
        # (PyTorch's CopySlices), so gradients skip what was overwritten.
        recorded = _convert(_as_tensor(value, t.dtype), t.dtype)
        _autograd.inplace(t, recorded, None, write, index=index)
    else:
        write()
        _autograd.bump(t)
