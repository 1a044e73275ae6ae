"""More of torch.nn.functional, built from the ops mlopt.nn.functional uses
(conv2d, index_select, index_add, pad, reductions), so autograd and
@mlopt.compile see them like any other composite: conv3d,
conv_transpose1d, unfold, fold, embedding_bag, local_response_norm.
mlopt.nn.functional re-exports them."""

import functools

import numpy as np

from .. import _composites as C
from .. import _tensor as T
from .._tensor import _as_tensor

__all__ = ["conv3d", "conv_transpose1d", "unfold", "fold", "embedding_bag",
           "local_response_norm"]


def _tuple(v, n, name="value"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(v) * n
        if len(v) != n:
            raise ValueError(f"expected {n} values for {name}, got {list(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


def _F():
    from . import functional
    return functional


# ---- convolutions ---------------------------------------------------------------------
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A sum over the kernel's depth of conv2d's of the input's depth slices
    (the D output planes batched together): weight (out, in / groups, kD,
    kH, kW), as PyTorch's."""
    F = _F()
    x, w = F._float(input), F._float(weight)
    unbatched = x.ndim == 4
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 5 or w.ndim != 5:
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d and a 5D "
                           f"weight, but got input of size: {list(input.shape)} and weight of "
                           f"size {list(weight.shape)}")
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {w.shape[1] * groups} "
                           f"channels, but got {x.shape[1]} channels instead")
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    kernel = tuple(w.shape[2:])
    if padding == "valid":
        pads = [(0, 0)] * 3
    elif padding == "same":
        if stride != (1, 1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        totals = [dilation[i] * (kernel[i] - 1) for i in range(3)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pads = [(p, p) for p in _tuple(padding, 3, "padding")]
    if any(p for pair in pads for p in pair):
        x = F.pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    n, c, depth = x.shape[:3]
    sd, dd, kd = stride[0], dilation[0], kernel[0]
    out_d = (depth - dd * (kd - 1) - 1) // sd + 1
    if out_d <= 0:
        raise RuntimeError(f"conv3d: the padded input depth {depth} is smaller than the "
                           f"dilated kernel ({dd * (kd - 1) + 1})")
    w = w.to(x.dtype)
    total = None
    for k in range(kd):
        planes = x[:, :, k * dd:k * dd + sd * (out_d - 1) + 1:sd]  # (N, C, oD, H, W)
        planes = planes.permute(0, 2, 1, 3, 4).reshape(n * out_d, c, *x.shape[3:])
        term = F.conv2d(planes, w[:, :, k], None, stride[1:], 0, dilation[1:], groups)
        total = term if total is None else total + term
    out = total.reshape(n, out_d, *total.shape[1:]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """conv_transpose2d over a height of 1; weight (in, out / groups, k)."""
    F = _F()
    x = F._float(input)
    if x.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to "
                           f"conv_transpose1d and a 3D weight, but got input of size "
                           f"{list(input.shape)} and weight of size {list(weight.shape)}")
    s, p, op, d = (_tuple(v, 1)[0] for v in (stride, padding, output_padding, dilation))
    out = F.conv_transpose2d(x.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, s), (0, p),
                             (0, op), groups, (1, d))
    return out.squeeze(-2)


# ---- unfold / fold -----------------------------------------------------------------------
@functools.lru_cache(maxsize=64)  # (shapes only: every forward of a layer asks again)
def _patch_index(size, kernel, dilation, padding, stride):
    """The flat positions in the padded (Hp, Wp) plane of every patch
    element, ordered (ki, kj, L): unfold reads them, fold adds into them."""
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = size, kernel, dilation, padding, stride
    hp, wp = h + 2 * ph, w + 2 * pw
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({kh}, "
                           f"{kw}), dilation=({dh}, {dw}), padding=({ph}, {pw}), calculated "
                           f"shape of the array of sliding blocks as ({oh}, {ow}), but its "
                           f"components must be at least one.")
    rows = (np.arange(kh)[:, None, None, None] * dh + np.arange(oh)[None, None, :, None] * sh)
    cols = (np.arange(kw)[None, :, None, None] * dw + np.arange(ow)[None, None, None, :] * sw)
    index = (rows * wp + cols).reshape(-1)
    return index, (hp, wp), oh * ow


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C, H, W) -> (N, C * kH * kW, L): every sliding block, as one
    index_select of the padded input, as torch.nn.functional.unfold."""
    F = _F()
    x = _as_tensor(input)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4:
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.ndim}D)")
    kernel, dilation, padding, stride = (_tuple(v, 2) for v in (kernel_size, dilation, padding,
                                                                stride))
    n, c, h, w = x.shape
    index, (hp, wp), blocks = _patch_index((h, w), kernel, dilation, padding, stride)
    if padding != (0, 0):
        x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
    cols = x.reshape(n, c, hp * wp).index_select(2, T.tensor(index, device=x.device))
    out = cols.reshape(n, c * kernel[0] * kernel[1], blocks)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C * kH * kW, L) -> (N, C, H, W), overlapping blocks summed (the
    adjoint of unfold: one index_add), as torch.nn.functional.fold."""
    x = _as_tensor(input)
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 3:
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    size, kernel, dilation, padding, stride = (_tuple(v, 2) for v in (
        output_size, kernel_size, dilation, padding, stride))
    n, ck, length = x.shape
    k = kernel[0] * kernel[1]
    if ck % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size=({kernel[0]}, {kernel[1]})")
    index, (hp, wp), blocks = _patch_index(size, kernel, dilation, padding, stride)
    if blocks != length:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=("
                           f"{kernel[0]}, {kernel[1]}), dilation=({dilation[0]}, "
                           f"{dilation[1]}), padding=({padding[0]}, {padding[1]}), stride=("
                           f"{stride[0]}, {stride[1]}), expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks {blocks}, but "
                           f"got input.size(2)={length}.")
    c = ck // k
    plane = T.zeros(n, c, hp * wp, dtype=x.dtype, device=x.device)
    out = C.index_add(plane, 2, T.tensor(index, device=x.device), x.reshape(n, c, k * length))
    out = out.reshape(n, c, hp, wp)[:, :, padding[0]:padding[0] + size[0],
                                     padding[1]:padding[1] + size[1]]
    return out.squeeze(0) if unbatched else out


# ---- embedding_bag ------------------------------------------------------------------------
def _host_ints(x, what):
    concrete = getattr(x, "_concrete", None)
    if concrete is not None:
        concrete(what)
    return np.asarray(x.detach().cpu()).astype(np.int64).reshape(-1)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings, as
    torch.nn.functional.embedding_bag: a 2-D input is one bag per row; a
    1-D input with offsets (the start of each bag, read on the host, so
    under @mlopt.compile the call runs eagerly) is laid out as a padded
    (bags, longest) block with a mask. Entries equal to padding_idx are left
    out (and not counted in a mean); an empty bag gives zeros."""
    ids = _as_tensor(input)
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if max_norm is not None:
        raise NotImplementedError("embedding_bag: max_norm")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq")
    if ids.dtype.category != 1:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {ids.dtype} instead")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}'). Please open a feature request on "
                                      f"GitHub.")
        if tuple(per_sample_weights.shape) != tuple(ids.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights "
                             f"({tuple(per_sample_weights.shape)}) is not None, then it "
                             f"must have the same shape as the input ({tuple(ids.shape)})")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("padding_idx must be within num_embeddings")
        padding_idx %= rows
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences.")
        block, mask = ids, None
        psw = per_sample_weights
    elif ids.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = _host_ints(offsets, "embedding_bag offsets")
        n = ids.shape[0]
        if include_last_offset:
            if starts.size < 1:
                raise ValueError("include_last_offset: number of offsets should be at least 1")
            ends = np.minimum(starts[1:], n)
            starts = starts[:-1]
        else:
            ends = np.append(starts[1:], n)
        if starts.size and starts[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got "
                               f"{starts[0]}")
        counts = np.maximum(ends - starts, 0)
        width = max(int(counts.max()) if counts.size else 0, 1)
        position = starts[:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < counts[:, None]
        gather = np.where(valid, position, 0)
        index = T.tensor(gather.reshape(-1), device=ids.device)
        block = ids.index_select(0, index).reshape(*gather.shape) if n else \
            T.zeros(*gather.shape, dtype=ids.dtype, device=ids.device)
        mask = T.tensor(valid, device=ids.device)
        psw = None
        if per_sample_weights is not None:
            psw = per_sample_weights.index_select(0, index).reshape(*gather.shape) if n else \
                T.zeros(*gather.shape, dtype=weight.dtype, device=weight.device)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{ids.ndim}")
    if padding_idx is not None:
        keep = T.ne(block, padding_idx)
        mask = keep if mask is None else T.logical_and(mask, keep)
    vectors = weight.index_select(0, block.reshape(-1)).reshape(*block.shape, weight.shape[1])
    if mode == "max":
        if mask is None:
            return vectors.amax(1)
        m = mask.unsqueeze(-1)
        best = T.where(m, vectors, T.full([], -np.inf, dtype=vectors.dtype)).amax(1)
        nonempty = mask.any(1).unsqueeze(-1)
        return T.where(nonempty, best, T.zeros([], dtype=vectors.dtype))
    scale = None if mask is None else mask.to(vectors.dtype)
    if psw is not None:
        scale = psw.to(vectors.dtype) if scale is None else scale * psw.to(vectors.dtype)
    total = (vectors * scale.unsqueeze(-1)).sum(1) if scale is not None else vectors.sum(1)
    if mode == "sum":
        return total
    count = T.full([], float(block.shape[1]), dtype=vectors.dtype) if mask is None else \
        mask.to(vectors.dtype).sum(1, keepdim=True)
    return total / T.clamp(count, min=1.0)


# ---- local response norm -----------------------------------------------------------------
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels, zero
    padded: size // 2 before, (size - 1) // 2 after) ** beta, as PyTorch's."""
    x = _as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} "
                         "dimensions)")
    if x.numel() == 0:
        return x
    channels = x.shape[1]
    sq = x * x
    # zeros before and after the channels (dim 1); pad's pairs run last dim first
    padded = C.pad(sq, (0, 0) * (x.ndim - 2) + (size // 2, (size - 1) // 2))
    total = None
    for j in range(size):
        window = padded[:, j:j + channels]
        total = window if total is None else total + window
    div = (total / size * alpha + k) ** beta
    return x / div

