"""PyTorch functions and Tensor methods built from other mlopt ops.

Each is a composite of ops that already have kernels, shape rules and
gradients, so eager, @compile and autograd handle them with nothing new
(one definition per op stays in the dialect)."""

import copy as _copy
import math

import numpy as np

from . import _compile
from . import _dtype as dt
from . import _tensor as T
from ._tensor import Tensor


def masked_fill(input, mask, value):
    """input with `value` where `mask` (broadcast to input) is true."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    value = value if isinstance(value, Tensor) else T.tensor(value, dtype=input.dtype)
    return T.where(mask, value.to(input.dtype), input)


def chunk(input, chunks, dim=0):
    """Up to `chunks` views of ceil(size / chunks) along dim (the last smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = T._norm_dim(dim, input.ndim)
    size = input.shape[d]
    if size == 0:  # PyTorch: `chunks` empty pieces
        return tuple(input for _ in range(chunks))
    return split(input, -(-size // chunks), dim)


def split(input, split_size_or_sections, dim=0):
    """Views of `split_size` along dim (the last smaller), or of the given sizes."""
    d = T._norm_dim(dim, input.ndim)
    size = input.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and size != 0):
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        sizes = [min(step, size - start) for start in range(0, size, step)] if step else [0]
        sizes = sizes or [0]
    else:
        sizes = list(split_size_or_sections)
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    out, start = [], 0
    for n in sizes:
        index = [slice(None)] * input.ndim
        index[d] = slice(start, start + n)
        out.append(input[tuple(index)])
        start += n
    return tuple(out)


def _check_indices(index, size, what):
    """Eager: every index in [0, size), as PyTorch's kernels check (compiled
    code clamps instead: it cannot raise)."""
    if _compile._active() is None and index.numel():
        low, high = int(index.min().item()), int(index.max().item())
        if low < 0 or high >= size:
            raise IndexError(f"{what}: index {low if low < 0 else high} is out of bounds "
                             f"for size {size}")


def gather(input, dim, index):
    """out[..., i, ...] = input[..., index[..., i, ...], ...] along dim
    (the dialect's mlopt.gather, with its gradient rule)."""
    d = T._norm_dim(dim, input.ndim)
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError("gather(): Expected dtype int64 for index")
    for k in range(input.ndim):
        if k != d and index.shape[k] > input.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be smaller than self "
                               f"{list(input.shape)} apart from dimension {d}")
    _check_indices(index, input.shape[d], "gather()")
    return T._run("mlopt.gather", [input, index], {"dim": d})


def index_select(input, dim, index):
    d = T._norm_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    index = index.reshape(-1)
    _check_indices(index, input.shape[d], "index_select()")
    return T._run("mlopt.index_select", [input, index], {"dim": d})


def _triangle(input, diagonal, lower):
    if input.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least "
                           f"2 dimensions")
    rows, cols = input.shape[-2], input.shape[-1]
    i = T.arange(rows, device=input.device).reshape(rows, 1)
    j = T.arange(cols, device=input.device).reshape(1, cols)
    keep = (j - i <= diagonal) if lower else (j - i >= diagonal)
    return T.where(keep, input, T.zeros([], dtype=input.dtype))


def tril(input, diagonal=0):
    return _triangle(input, diagonal, True)


def triu(input, diagonal=0):
    return _triangle(input, diagonal, False)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    m = n if m is None else m
    out = (T.arange(n).reshape(n, 1) == T.arange(m).reshape(1, m)).to(
        dtype or dt.get_default_dtype())
    if device is not None:
        out = out.to(device)
    return out.requires_grad_(requires_grad)


def reshape(input, shape):
    return input.reshape(shape)


def one_hot(tensor, num_classes=-1):
    """torch.nn.functional.one_hot: int64 vectors with a 1 at each class."""
    if tensor.dtype is not dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() and int(tensor.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    elif _compile._active() is None and tensor.numel():  # traced: no values to check
        if int(tensor.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max().item()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == T.arange(num_classes)).long()


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: `pad` lists (before, after) pairs from the
    last dim backwards; negative entries crop. 'reflect', 'replicate' and
    'circular' gather each padded dim's source indices (index_select, so
    gradients flow)."""
    if mode != "constant":
        return _pad_by_index(input, pad, mode, value)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the "
                           f"input's dims, got {len(pad)} for {input.ndim} dims")
    shape = list(input.shape)
    crop, place = [slice(None)] * input.ndim, [slice(None)] * input.ndim
    for k in range(len(pad) // 2):
        d = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = shape[d]
        crop[d] = slice(max(0, -before), size - max(0, -after))
        kept = crop[d].stop - crop[d].start
        if kept < 0 or size + before + after < 0:
            raise RuntimeError(f"pad: padding {list(pad)} would give a negative size")
        place[d] = slice(max(0, before), max(0, before) + kept)
        shape[d] = size + before + after
    out = input.new_full(shape, 0 if value is None else value)
    out[tuple(place)] = input[tuple(crop)]
    return out



def _pad_by_index(input, pad, mode, value):
    """pad's non-constant modes, as PyTorch's: the last len(pad) / 2 dims
    (1 to 3) of an input with one or two more dims."""
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode '{mode}' is not supported (constant, reflect, "
                                  "replicate, circular)")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    pad = [int(v) for v in pad]
    dims = len(pad) // 2
    if len(pad) % 2 or not 1 <= dims <= 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                  f"{input.ndim}D input tensor of shape {list(input.shape)} "
                                  f"(mode {mode!r}: a padding size of 2, 4 or 6 pads the last "
                                  "1, 2 or 3 dims of an input with 1 or 2 more)")
    out = input
    for k in range(dims):
        d = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = input.shape[d]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError(f"Padding value causes wrapping around more than once: padding "
                               f"({before}, {after}) at dimension {d} of input "
                               f"{list(input.shape)}")
        if size == 0 or size + before + after < 0:
            raise RuntimeError(f"pad: {mode} padding ({before}, {after}) at dimension {d} of "
                               f"input {list(input.shape)} gives no valid size")
        index = np.arange(-before, size + after)
        if mode == "reflect":
            index = np.abs(index)
            index = np.where(index >= size, 2 * (size - 1) - index, index)
        elif mode == "replicate":
            index = np.clip(index, 0, size - 1)
        else:
            index = index % size
        out = out.index_select(d, T.tensor(index.astype(np.int64), device=input.device))
    return out

# ---- Tensor methods --------------------------------------------------------

def _relu(self):
    from .nn import functional as F
    return F.relu(self)


def _relu_(self):
    from .nn import functional as F
    return F.relu(self, inplace=True)


def _softmax(self, dim, dtype=None):
    from .nn import functional as F
    return F.softmax(self if dtype is None else self.to(dtype), dim)


def _log_softmax(self, dim, dtype=None):
    from .nn import functional as F
    return F.log_softmax(self if dtype is None else self.to(dtype), dim)


def clamp_min(input, min):
    return T.clamp(input, min=min)


def clamp_max(input, max):
    return T.clamp(input, max=max)


def _masked_fill_(self, mask, value):
    return self._inplace(lambda: masked_fill(self, mask, value))


def _unary_inplace(name):
    def method(self, *args, **kwargs):
        return self._inplace(lambda: getattr(T, name)(self, *args, **kwargs))
    method.__name__ = name + "_"
    return method


def _reduce(self):
    """pickle: the values, dtype and requires_grad (CPU)."""
    host = self.detach().cpu()
    values = host.float().numpy() if host.dtype is dt.bfloat16 else host.numpy()
    return (_rebuild, (np.array(values), self.dtype.mlir, self.requires_grad))


def _rebuild(values, dtype_name, requires_grad):
    out = T.tensor(values, dtype=dt.BY_MLIR[dtype_name])
    return out.requires_grad_(requires_grad) if requires_grad else out


def _deepcopy(self, memo):
    out = self.detach().clone()
    if self.requires_grad:
        out.requires_grad_(True)
    if self.grad is not None:
        out.grad = _copy.deepcopy(self.grad, memo)
    memo[id(self)] = out
    return out


def _install():
    for name, fn in {"masked_fill": masked_fill, "chunk": chunk, "split": split,
                     "gather": gather, "index_select": index_select, "tril": tril,
                     "triu": triu, "relu": _relu, "relu_": _relu_, "softmax": _softmax,
                     "log_softmax": _log_softmax, "masked_fill_": _masked_fill_,
                     "clamp_min": clamp_min, "clamp_max": clamp_max,
                     "__reduce__": _reduce, "__deepcopy__": _deepcopy}.items():
        setattr(Tensor, name, fn)
    # (clamp_, div_, sub_ and mul_ are Tensor's own.)
    for name in ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "abs",
                 "neg", "floor", "ceil", "round", "trunc", "reciprocal", "square", "pow",
                 "log1p", "expm1", "sign"]:
        setattr(Tensor, name + "_", _unary_inplace(name))
    for name, fn in (("clamp_min_", clamp_min), ("clamp_max_", clamp_max)):
        setattr(Tensor, name, lambda self, bound, fn=fn: self._inplace(lambda: fn(self, bound)))


_install()


# ---- einsum ------------------------------------------------------------------

def _einsum_parse(equation, operands):
    """Letters per operand and of the output, with `...` expanded to fresh
    symbols outside ASCII (which no subscript can be)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum(): {len(terms)} operand subscripts for {len(operands)} "
                         f"operands")
    ellipsis_rank = 0
    for term, op in zip(terms, operands):
        if "..." in term:
            ellipsis_rank = max(ellipsis_rank, op.ndim - (len(term) - 3))
    fresh = [chr(0x100 + i) for i in range(ellipsis_rank)]  # not ASCII letters

    def expand(term, ndim):
        if "..." not in term:
            return list(term)
        head, tail = term.split("...")
        k = ndim - len(head) - len(tail)
        return list(head) + fresh[ellipsis_rank - k:] + list(tail)

    inputs = [expand(t, op.ndim) for t, op in zip(terms, operands)]
    for letters, op, term in zip(inputs, operands, terms):
        if len(letters) != op.ndim:
            raise ValueError(f"einsum(): the number of subscripts in '{term}' does not match "
                             f"the number of dimensions ({op.ndim}) of its operand")
        if len(set(letters)) != len(letters):
            raise NotImplementedError(f"einsum(): repeated subscripts within one operand "
                                      f"('{term}', a diagonal) are not supported yet")
        for c in letters:
            if c.isascii() and not c.isalpha():
                raise ValueError(f"einsum(): invalid subscript '{c}'")
    if arrow:
        head, dots, tail = rhs.partition("...")
        output = list(head) + (fresh if dots else []) + list(tail)
    else:  # implicit: the ellipsis dims, then letters seen once, sorted
        counts = {}
        for letters in inputs:
            for c in letters:
                counts[c] = counts.get(c, 0) + 1
        output = fresh + sorted(c for c, n in counts.items() if n == 1 and c not in fresh)
    seen = set(c for letters in inputs for c in letters)
    for c in output:
        if c not in seen:
            raise ValueError(f"einsum(): output subscript '{c}' appears in no operand")
    return inputs, output


def _einsum_sizes(inputs, operands):
    sizes = {}
    for letters, op in zip(inputs, operands):
        for c, n in zip(letters, op.shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                raise RuntimeError(f"einsum(): subscript '{c}' has size {n} for one operand "
                                   f"and {sizes[c]} for another")
            sizes[c] = max(sizes.get(c, 1), n)
    return sizes


def _einsum_prepare(x, letters, keep, sizes):
    """x with the letters not in `keep` summed out, broadcast to full sizes."""
    drop = [i for i, c in enumerate(letters) if c not in keep]
    if drop:
        x = x.sum(drop)
        letters = [c for c in letters if c in keep]
    full = [sizes[c] for c in letters]
    if list(x.shape) != full:
        x = x.expand(full)
    return x, letters


def _einsum_pair(a, la, b, lb, needed, sizes):
    """The contraction of a and b over their shared letters not `needed`;
    one batched matmul."""
    a, la = _einsum_prepare(a, la, set(lb) | needed, sizes)
    b, lb = _einsum_prepare(b, lb, set(la) | needed, sizes)
    batch = [c for c in la if c in lb and c in needed]
    summed = [c for c in la if c in lb and c not in needed]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = lambda letters: math.prod(sizes[c] for c in letters)  # noqa: E731
    pa = a.permute([la.index(c) for c in batch + left + summed])
    pb = b.permute([lb.index(c) for c in batch + summed + right])
    out = pa.reshape(size(batch), size(left), size(summed)) @ \
        pb.reshape(size(batch), size(summed), size(right))
    letters = batch + left + right
    return out.reshape([sizes[c] for c in letters]), letters


def einsum(equation, *operands):
    """torch.einsum: operands contracted left to right, each pair as one
    batched matmul (permutes and reshapes around it), so eager, compiled and
    autograd use the matmul kernels. Diagonals ('ii->i') are not supported."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    operands = [T._as_tensor(x) for x in operands]
    inputs, output = _einsum_parse(equation, operands)
    sizes = _einsum_sizes(inputs, operands)
    x, letters = operands[0], inputs[0]
    for k in range(1, len(operands)):
        needed = set(output) | {c for rest in inputs[k + 1:] for c in rest}
        x, letters = _einsum_pair(x, letters, operands[k], inputs[k], needed, sizes)
    x, letters = _einsum_prepare(x, letters, set(output), sizes)
    if letters != output:
        x = x.permute([letters.index(c) for c in output])
    return x


# ---- more of PyTorch's functions and methods, as compositions ------------------

def _dims_of(x, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return [T._norm_dim(d, x.ndim) for d in dims]


def flip(input, dims):
    """Reversed along each of `dims` (an index_select per dim)."""
    out = input
    for d in _dims_of(input, dims):
        n = input.shape[d]
        out = index_select(out, d, T.arange(n - 1, -1, -1, device=input.device))
    return out


def cumsum(input, dim, *, dtype=None):
    """Running sums along `dim` as a scan of log2(n) shifted adds
    (Hillis-Steele), so eager, compiled and autograd all see plain adds.
    Integers and bools sum in int64, as PyTorch does."""
    x = T._as_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    elif not x.dtype.is_floating_point:
        x = x.to(dt.int64)
    if x.ndim == 0:
        T._norm_dim(dim, 1)  # (PyTorch accepts dim 0 or -1 here)
        return x.clone()
    d = T._norm_dim(dim, x.ndim)
    n, out, step = x.shape[d], x, 1
    while step < n:
        shape = list(x.shape)
        shape[d] = step
        out = out + T.cat([x.new_zeros(shape), narrow(out, d, 0, n - step)], d)
        step *= 2
    return out if out is not input else out.clone()


def roll(input, shifts, dims=None):
    """Elements shifted cyclically along dims (flattened first without dims)."""
    if dims is None:
        return roll(input.reshape(-1), shifts, 0).reshape(tuple(input.shape))
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = _dims_of(input, dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    out = input
    for shift, d in zip(shifts, dims):
        n = input.shape[d]
        if n:
            order = (np.arange(n) - shift) % n
            out = index_select(out, d, T.tensor(order, device=input.device))
    return out


def repeat(self, *sizes):
    """Tensor.repeat: each dim tiled sizes[i] times (leading dims added)."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) \
        else sizes
    if len(sizes) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                           "number of dimensions of tensor")
    shape = (1,) * (len(sizes) - self.ndim) + tuple(self.shape)
    # (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...), then merged pairwise
    spread = tuple(v for s in shape for v in (1, s))
    tiled = self.reshape(spread).expand(tuple(v for r, s in zip(sizes, shape) for v in (r, s)))
    return tiled.reshape(tuple(r * s for r, s in zip(sizes, shape)))


def tile(input, dims):
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def unbind(input, dim=0):
    d = T._norm_dim(dim, input.ndim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input.shape[d]))


def narrow(input, dim, start, length):
    d = T._norm_dim(dim, input.ndim)
    start = start + input.shape[d] if start < 0 else start
    if not 0 <= start <= start + length <= input.shape[d]:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({input.shape[d]}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def movedim(input, source, destination):
    src, dst = _dims_of(input, source), _dims_of(input, destination)
    rest = [d for d in range(input.ndim) if d not in src]
    order = [None] * input.ndim
    for s, d in zip(src, dst):
        order[d] = s
    fill = iter(rest)
    return input.permute(*[o if o is not None else next(fill) for o in order])


def scatter_add(input, dim, index, src):
    """input with src[i][j] added at [index[i][j]][j] (dim 0), as PyTorch's
    (the dialect's mlopt.scatter_add, the gradient of gather)."""
    d = T._norm_dim(dim, input.ndim)
    if not index.ndim == src.ndim == input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError("scatter_add(): Expected dtype int64 for index")
    for k in range(input.ndim):
        if index.shape[k] > src.shape[k] or (k != d and index.shape[k] > input.shape[k]):
            raise RuntimeError(f"Expected index {list(index.shape)} to be smaller than self "
                               f"{list(input.shape)} apart from dimension {d} and to be "
                               f"smaller size than src {list(src.shape)}")
    if src.dtype is not input.dtype:
        raise RuntimeError(f"scatter_add(): Expected self.dtype to be equal to src.dtype "
                           f"({input.dtype} and {src.dtype})")
    _check_indices(index, input.shape[d], "scatter_add()")
    return _scatter_add_unchecked(input, d, index, src)


def _scatter_add_unchecked(input, d, index, src):
    """scatter_add where the caller checked the operands (and the indices on
    the host: each check reads them back from the device)."""
    return T._run("mlopt.scatter_add", [input, index, src], {"dim": d})


def index_add(input, dim, index, source, alpha=1):
    """input with source's slices added at the rows `index` names along dim."""
    d = T._norm_dim(dim, input.ndim)
    if index.ndim > 1 or index.numel() != (source.shape[d] if source.ndim else 1):
        raise IndexError(f"index_add(): Number of indices ({index.numel()}) should be equal to "
                         f"source.size(dim) ({source.shape[d] if source.ndim else 1})")
    source = source if source.ndim else source.reshape(1)
    shape = [1] * source.ndim
    shape[d] = -1
    spread = index.reshape(shape).expand(*source.shape)
    return scatter_add(input, d, spread, source * alpha if alpha != 1 else source)


def repeat_interleave(input, repeats, dim=None):
    """Each element (or slice along dim) `repeats` times in a row; repeats an int."""
    if isinstance(repeats, Tensor):
        if repeats.numel() != 1:
            raise NotImplementedError("repeat_interleave with a tensor of repeats per element")
        repeats = int(repeats.item())
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else T._norm_dim(dim, x.ndim)
    shape = list(x.shape)
    grown = x.unsqueeze(d + 1).expand(*shape[:d + 1], repeats, *shape[d + 1:])
    return grown.reshape(*shape[:d], shape[d] * repeats, *shape[d + 1:])


def unflatten(input, dim, sizes):
    d = T._norm_dim(dim, input.ndim)
    return input.reshape(*input.shape[:d], *sizes, *input.shape[d + 1:])


def diag(input, diagonal=0):
    """A 1-D tensor's square matrix with it on a diagonal, or a matrix's
    diagonal (a copy), as PyTorch's."""
    k = diagonal
    if input.ndim == 1:
        n = input.shape[0] + abs(k)
        i = T.arange(n, device=input.device).reshape(n, 1)
        j = T.arange(n, device=input.device).reshape(1, n)
        v = T.cat([input, T.zeros(abs(k), dtype=input.dtype, device=input.device)])
        along = v.reshape(n, 1) if k >= 0 else v.reshape(1, n)  # by row i, or by column j
        return T.where(T.eq(j - i, k), along, T.zeros_like(along))
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    rows, cols = input.shape
    start = k if k >= 0 else -k * cols
    n = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
    positions = T.arange(n, device=input.device) * (cols + 1) + start
    return input.reshape(-1).index_select(0, positions)


def norm(input, p="fro", dim=None, keepdim=False):
    """Vector norms: p = 2 or "fro" (the default), any number, inf, -inf."""
    x = input if input.dtype.is_floating_point else input.float()
    if p in ("fro", 2):
        return _root_of_sum(T.sum(x * x, dim, keepdim=keepdim), T.sqrt)
    if p == math.inf:
        return T.amax(T.abs(x), () if dim is None else dim, keepdim=keepdim)
    if p == -math.inf:
        return T.amin(T.abs(x), () if dim is None else dim, keepdim=keepdim)
    if p == 0:
        return T.sum(T.ne(x, 0).to(x.dtype), dim, keepdim=keepdim)
    return _root_of_sum(T.sum(T.abs(x) ** p, dim, keepdim=keepdim), lambda s: s ** (1.0 / p))


def _root_of_sum(s, root):
    """root(s), with gradient 0 where s is 0 (PyTorch's norm backward), not
    the 0 * inf = NaN of the root's slope there."""
    zero = T.eq(s, 0)
    return T.where(zero, T.zeros_like(s), root(T.where(zero, T.ones_like(s), s)))


def dist(input, other, p=2):
    return norm(input - other, p)


def lerp(input, end, weight):
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, value=1):
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, value=1):
    return input + value * tensor1 / tensor2


def frac(input):
    return input - T.trunc(input)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if not input.dtype.is_floating_point:
        return input.clone()
    info = np.finfo(np.float32 if input.dtype is dt.bfloat16 else input.dtype.numpy)
    big = float(info.max) if input.dtype is not dt.bfloat16 else 3.3895313892515355e38
    out = T.where(T.isnan(input), nan, input)
    out = T.where(T.eq(out, math.inf), big if posinf is None else posinf, out)
    return T.where(T.eq(out, -math.inf), -big if neginf is None else neginf, out)


def count_nonzero(input, dim=None):
    return T.sum(T.ne(input, 0).to(dt.int64), dim)


def var_mean(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    return (T.var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            T.mean(input, dim, keepdim=keepdim))


def std_mean(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    return (T.std(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            T.mean(input, dim, keepdim=keepdim))


def outer(input, vec2):
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    other = T._as_tensor(other)
    close = T.le(T.abs(input - other), atol + rtol * T.abs(other))
    close = T.logical_or(close, T.eq(input, other))  # infinities of one sign
    if equal_nan:
        close = T.logical_or(close, T.logical_and(T.isnan(input), T.isnan(other)))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(T.all(isclose(input, other, rtol, atol, equal_nan)))


def equal(input, other):
    return tuple(input.shape) == tuple(other.shape) and bool(T.all(T.eq(input, other)))


def meshgrid(*tensors, indexing="ij"):
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    flat = [t.reshape(-1) for t in tensors]
    shape = tuple(t.shape[0] for t in flat)
    grids = [t.reshape(tuple(-1 if i == k else 1 for i in range(len(flat)))).expand(shape)
             for k, t in enumerate(flat)]
    if indexing == "xy" and len(grids) >= 2:  # "xy": the first two dims swapped
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def randperm(n, dtype=None, device=None, requires_grad=False, *, generator=None):
    return T._random((n,), dtype or dt.int64, device, lambda g, s: g.permutation(s[0]),
                     generator)


def bernoulli(input, p=None):
    prob = input if p is None else T.full_like(input, p)
    return T.lt(T.rand_like(prob), prob).to(input.dtype)


def normal(mean, std, size=None):
    if size is not None:
        return T.randn(*size) * std + mean
    shape = T.broadcast_shapes(*(x.shape for x in (mean, std) if isinstance(x, Tensor)))
    like = mean if isinstance(mean, Tensor) else std
    return T.randn(*shape, dtype=like.dtype, device=like.device) * std + mean


def _mm(self, other):
    if self.ndim != 2 or other.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm: {list(self.shape)} and "
                           f"{list(other.shape)})")
    return T.matmul(self, other)


def _bmm(self, other):
    if self.ndim != 3 or other.ndim != 3:
        raise RuntimeError(f"batch1 and batch2 must be 3D tensors (bmm: {list(self.shape)} "
                           f"and {list(other.shape)})")
    return T.matmul(self, other)


def _new(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) \
            else size
        return factory(size, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad, **kwargs)
    return method


def _install_more():
    for name, fn in {"flip": flip, "roll": roll, "repeat": repeat, "tile": tile,
                     "unbind": unbind, "narrow": narrow, "cumsum": cumsum, "movedim": movedim,
                     "moveaxis": movedim, "norm": norm, "scatter_add": scatter_add,
                     "index_add": index_add, "repeat_interleave": repeat_interleave,
                     "unflatten": unflatten, "diag": diag,
                     "scatter_add_": lambda self, dim, index, src: self._inplace(
                         lambda: scatter_add(self, dim, index, src)),
                     "index_add_": lambda self, dim, index, source, alpha=1: self._inplace(
                         lambda: index_add(self, dim, index, source, alpha)),
                     "swapaxes": lambda self, a, b: self.transpose(a, b),
                     "swapdims": lambda self, a, b: self.transpose(a, b),
                     "dist": dist, "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv,
                     "frac": frac, "nan_to_num": nan_to_num, "count_nonzero": count_nonzero,
                     "outer": outer, "isclose": isclose, "allclose": allclose,
                     "equal": equal, "mm": _mm, "bmm": _bmm,
                     "type_as": lambda self, other: self.to(other.dtype),
                     "nelement": lambda self: self.numel(),
                     "new_zeros": _new(lambda s, **k: T.zeros(*s, **k)),
                     "new_ones": _new(lambda s, **k: T.ones(*s, **k)),
                     "new_empty": _new(lambda s, **k: T.empty(*s, **k)),
                     "new_full": lambda self, size, fill_value, dtype=None, device=None,
                     requires_grad=False: T.full(tuple(size), fill_value,
                                                 dtype=dtype or self.dtype,
                                                 device=device or self.device,
                                                 requires_grad=requires_grad),
                     "new_tensor": lambda self, data, dtype=None, device=None,
                     requires_grad=False: T.tensor(data, dtype=dtype or self.dtype,
                                                   device=device or self.device,
                                                   requires_grad=requires_grad)}.items():
        setattr(Tensor, name, fn)


_install_more()
