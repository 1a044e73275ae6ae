"""mlopt.nn.functional: PyTorch's composite functions, built from primitives.

None of these is a dialect op: each decomposes into the primitive ops (the
same decomposition the tracer will record), so autodiff and fusion see a
small op set.
"""

import functools
import inspect
import math
import warnings

import numpy as np

from .. import _compile, amp
from .._composites import one_hot, pad  # noqa: F401  (composites of other ops)
from .._composites import norm as _norm
from .._more_ops import xlogy
from .. import _dtype as dt
from .. import _tensor as T
from .._autograd import no_grad
from .._tensor import _as_tensor, _run


def _updates_input(fn):
    """fn(input, ..., inplace=False) computes out of place; inplace=True
    writes the result into input as one in-place op (Tensor._inplace numbers
    its nodes, so the op's own reads of input, as x * (x + 3) in hardswish,
    are not 'modified by an inplace operation')."""
    signature = inspect.signature(fn)
    position = list(signature.parameters).index("inplace")

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not kwargs.get("inplace", len(args) > position and args[position]):
            return fn(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.arguments["inplace"] = False
        return bound.arguments["input"]._inplace(lambda: fn(*bound.args, **bound.kwargs))
    return wrapper


def _float(x):
    x = _as_tensor(x)
    return x if x.dtype.is_floating_point else x.to(dt.get_default_dtype())


def relu(input, inplace=False):
    # mlopt.relu, not maximum(x, 0) (whose tie at 0 would split the
    # gradient): one kernel in eager, relu'(0) = 0 as PyTorch's, NaN kept.
    x = _as_tensor(input)
    if x.dtype.category < 2:  # integers: no float op, the same select
        out = T.where(T.le(x, 0), 0, x)
    else:
        out = T._run("mlopt.relu", [x])
    return input._assign(out) if inplace else out


def gelu(input, approximate="none"):
    x = _float(input)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + T.tanh(inner))
    if approximate != "none":
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate}")
    return 0.5 * x * (1 + T.erf(x * (1 / math.sqrt(2))))


@_updates_input
def silu(input, inplace=False):
    x = _float(input)
    return x * T.sigmoid(x)


def sigmoid(input):
    return T.sigmoid(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    x = _as_tensor(input)
    out = T.where(T.gt(x, 0), x, x * negative_slope)
    return input._assign(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    x = _float(input)
    positive = T.gt(x, 0)
    # (where, not minimum: a tie at 0 would split the gradient; PyTorch's is alpha)
    out = T.where(positive, x, alpha * T.expm1(T.where(positive, 0.0, x)))
    return input._assign(out) if inplace else out


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold (as
    PyTorch). The exp reads beta x capped at the threshold, so the branch
    not taken neither overflows nor gives the gradient a NaN."""
    x = _float(input)
    scaled = x * beta
    capped = T.where(T.gt(scaled, threshold), float(threshold), scaled)
    soft = T.log1p(T.exp(capped)) / beta
    return T.where(T.gt(scaled, threshold), x, soft)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p, eps) along `dim`; the max is taken before the root
    (the same value), so an all-zero row's gradient is 1 / eps, as
    PyTorch's, not NaN."""
    x = _float(input)
    total = T.sum(T.abs(x) ** p if p != 2 else x * x, dim, keepdim=True)
    return x / T.maximum(total, float(eps) ** p) ** (1.0 / p)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-(t log x + (1 - t) log(1 - x)), each log at least -100 (as PyTorch)."""
    _check_reduction(reduction)
    x = _float(input)
    target = _as_tensor(target)
    if tuple(target.shape) != tuple(x.shape):
        raise ValueError(f"Using a target size ({list(target.shape)}) that is different to "
                         f"the input size ({list(x.shape)}) is deprecated. Please ensure they "
                         "have the same size.")
    losses = -(target * T.clamp(T.log(x), min=-100.0)
               + (1 - target) * T.clamp(T.log(1 - x), min=-100.0))
    if weight is not None:
        losses = losses * weight
    return _reduce_loss(losses, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """PyTorch's stable form: (1 - t) x + (1 + (pw - 1) t) (log1p(exp(-|x|)) +
    max(-x, 0))."""
    _check_reduction(reduction)
    x = _float(input)
    target = _as_tensor(target)
    if tuple(target.shape) != tuple(x.shape):
        raise ValueError(f"Target size ({list(target.shape)}) must be the same as input size "
                         f"({list(x.shape)})")
    softplus_neg = T.log1p(T.exp(-T.abs(x))) + T.maximum(-x, 0.0)
    scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    losses = (1 - target) * x + scale * softplus_neg
    if weight is not None:
        losses = losses * weight
    return _reduce_loss(losses, reduction)


def tanh(input):
    return T.tanh(input)


def _softmax_dim(x, dim, name):
    """PyTorch's implicit dim (deprecated there too): 0 for 0-, 1- and 3-d
    inputs, else 1."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                      f"Change the call to include dim=X as an argument.", UserWarning,
                      stacklevel=4)  # the caller of softmax / log_softmax
        return 0 if x.ndim in (0, 1, 3) else 1
    return T._norm_dim(dim, x.ndim)


def _shifted(x, dim):
    """x minus its max along `dim`, as PyTorch's kernels, a max of -inf taken
    as 0: a row of -inf then gives exp(-inf) = 0 (PyTorch's NaN comes from
    the sum of 0), not exp(-inf + inf); a row with +inf or NaN stays NaN."""
    peak = T.amax(x, dim, keepdim=True)
    return x - peak.where(T.ne(peak, -math.inf), 0.0)


def _softmax(input, dim, dtype, name, log=False, safe=False):
    """softmax, or with `log` log_softmax as (x - max) - log(sum(exp(x - max)))
    (x - logsumexp(x) would round the log-sum-exp at the size of the max:
    6e-4 off for logits of 1e4). float16/bfloat16 in float32, rounded once,
    as PyTorch's kernels."""
    x = _as_tensor(input) if dtype is None else _as_tensor(input).to(dtype)
    if not x.dtype.is_floating_point:  # as PyTorch: no integer softmax
        kind = {dt.bool_: "Bool", dt.int32: "Int", dt.int64: "Long"}[x.dtype]
        raise RuntimeError(f"{name}: not implemented for '{kind}' ({x.dtype} input); "
                           "pass dtype= a floating type to compute in it")
    dim = _softmax_dim(x, dim, name)
    out_dtype, x = x.dtype, x.to(T._opmath(x.dtype))
    if x.ndim and x.shape[dim] == 0:
        return x.to(out_dtype)  # rows of no elements: an empty result, as PyTorch
    shifted = _shifted(x, dim)
    e = T.exp(shifted)
    total = T.sum(e, dim, keepdim=True)
    if log:
        return (shifted - T.log(total)).to(out_dtype)
    if safe:  # a row of -inf (all masked) sums to 0: its weights are 0, not NaN
        total = total.where(T.ne(total, 0.0), 1.0)
    # One reciprocal per row and a multiply per element, as PyTorch's kernel.
    return (e * T.reciprocal(total)).to(out_dtype)


def softmax(input, dim=None, dtype=None):
    return _softmax(input, dim, dtype, "softmax")


def log_softmax(input, dim=None, dtype=None):
    return _softmax(input, dim, dtype, "log_softmax", log=True)


def _normalized_dims(x, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got "
                           f"input of size{list(x.shape)}")
    return list(range(x.ndim - len(normalized_shape), x.ndim))


def _moments(x, dims):
    """(mean, x - mean, biased variance) over dims, kept as size-1 dims: what
    the normalization layers share."""
    mean = T.mean(x, dims, keepdim=True)
    centered = x - mean
    return mean, centered, T.mean(centered * centered, dims, keepdim=True)


def _channel_affine(out, weight, bias, shape):
    """out * weight + bias for per-channel weight and bias (either may be
    None), viewed as `shape` and in out's dtype."""
    if weight is not None:
        out = out * weight.to(out.dtype).reshape(shape)
    if bias is not None:
        out = out + bias.to(out.dtype).reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    x = _float(input)
    dims = _normalized_dims(x, normalized_shape)
    # float16/bfloat16 are normalized in float32 and rounded, as PyTorch does.
    out_dtype, x = x.dtype, x.to(T._opmath(x.dtype))
    _, centered, var = _moments(x, dims)
    out = centered * T.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.to(out_dtype)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """PyTorch's batch_norm over (N, C, *): statistics per channel C. In
    training, the batch's mean and biased variance normalize, and running
    statistics given are updated in place with the unbiased variance."""
    x = _float(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects an input of at least 2 dimensions (N, C, *), "
                         f"got shape {tuple(x.shape)}")
    channels = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({channels},) for an "
                               f"input of shape {tuple(x.shape)}, got {tuple(t.shape)}")
    dims = [0] + list(range(2, x.ndim))
    shape = [1, channels] + [1] * (x.ndim - 2)
    out_dtype, x = x.dtype, x.to(T._opmath(x.dtype))
    if training:
        count = x.numel() // channels if channels else 0
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
        mean, centered, var = _moments(x, dims)
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(
                    (mean.reshape(channels) * momentum).to(running_mean.dtype))
            if running_var is not None:
                unbiased = var.reshape(channels) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_((unbiased * momentum).to(running_var.dtype))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when "
                               "not training")
        mean = running_mean.to(x.dtype).reshape(shape)
        var = running_var.to(x.dtype).reshape(shape)
        centered = x - mean
    out = _channel_affine(centered * T.rsqrt(var + eps), weight, bias, shape)
    return out.to(out_dtype)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """PyTorch's group_norm over (N, C, *): the C channels in num_groups
    groups, each group of each sample normalized on its own."""
    x = _float(input)
    if x.ndim < 2:
        raise ValueError(f"group_norm expects an input of at least 2 dimensions (N, C, *), "
                         f"got shape {tuple(x.shape)}")
    n, channels = x.shape[0], x.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {tuple(x.shape)} and "
                           f"num_groups={num_groups}")
    shape = [1, channels] + [1] * (x.ndim - 2)
    out_dtype, x = x.dtype, x.to(T._opmath(x.dtype))
    _, centered, var = _moments(x.reshape(n, num_groups, -1), [2])
    out = (centered * T.rsqrt(var + eps)).reshape(x.shape)
    return _channel_affine(out, weight, bias, shape).to(out_dtype)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """PyTorch's instance_norm over (N, C, *): each channel of each sample
    normalized on its own (running statistics given are updated with the
    batch's average, and used instead when use_input_stats is False)."""
    x = _float(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm expects an input of at least 3 dimensions (N, C, *), "
                         f"got shape {tuple(x.shape)}")
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    n, channels = x.shape[0], x.shape[1]
    if running_mean is None and running_var is None:
        return group_norm(x, channels, weight, bias, eps)
    if x[0, 0].numel() <= 1:
        raise ValueError("Expected more than 1 spatial element when training, got input "
                         f"size {tuple(input.shape)}")
    # As PyTorch: batch_norm of the (1, N*C, *) view, its running statistics
    # (repeated per sample) averaged back over the samples.
    def per_sample(t):
        return None if t is None else t.repeat(n)
    means, variances = per_sample(running_mean), per_sample(running_var)
    out = batch_norm(x.reshape(1, n * channels, -1), means, variances, per_sample(weight),
                     per_sample(bias), True, momentum, eps)
    with no_grad():
        for running, updated in ((running_mean, means), (running_var, variances)):
            if running is not None:
                running.copy_(updated.reshape(n, channels).mean(0))
    return out.reshape(x.shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    x = _float(input)
    dims = _normalized_dims(x, normalized_shape)
    if eps is None:
        eps = {dt.float16: 0.0009765625, dt.bfloat16: 0.0078125,
               dt.float64: 2.220446049250313e-16}.get(x.dtype, 1.1920928955078125e-07)
    # In float32 for float16/bfloat16, rounded before the weight (PyTorch's order).
    up = x.to(T._opmath(x.dtype))
    out = (up * T.rsqrt(T.mean(up * up, dims, keepdim=True) + eps)).to(x.dtype)
    return out * weight if weight is not None else out


def dropout(input, p=0.5, training=True, inplace=False):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    x = _float(input)
    if p == 1:
        out = T.zeros_like(x)
    else:
        keep = T.lt(T.rand(x.shape, dtype=x.dtype, device=x.device), 1 - p)
        out = T.where(keep, x * (1 / (1 - p)), 0.0)
    return input._assign(out) if inplace else out


def linear(input, weight, bias=None):
    input, weight, bias = amp.cast_inputs(input, weight, bias)
    out = T.matmul(input, weight.mT if weight.ndim == 2 else weight)
    return out + bias if bias is not None else out


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, w, bias = amp.cast_inputs(_float(input), _float(weight), bias)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    stride, dilation = _pair(stride), _pair(dilation)
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        total = [dilation[i] * (w.shape[2 + i] - 1) for i in range(2)]
        if any(t % 2 for t in total):  # PyTorch's: the odd pixel on the bottom/right
            x = pad(x, (total[1] // 2, total[1] - total[1] // 2,
                        total[0] // 2, total[0] - total[0] // 2))
            total = [0, 0]
        padding = (total[0] // 2, total[1] // 2)
    padding = _pair(padding)
    if x.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: {list(input.shape)}")
    if w.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4D weight (out_channels, in_channels/groups, "
                           f"kH, kW), but got weight of size: {list(weight.shape)}")
    out = _run("mlopt.conv2d", [x, w.to(x.dtype)],
               {"stride": list(stride), "padding": list(padding),
                "dilation": list(dilation), "groups": int(groups)})
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The gradient of conv2d with respect to its input, as a conv2d: the
    input spread `stride` apart, padded by dilation * (k - 1) - padding
    (output_padding more at the end), against the kernel flipped with its
    in and out channels swapped. weight: (in, out / groups, kH, kW)."""
    x, w = _float(input), _float(weight)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[0] or w.shape[0] % groups:
        raise RuntimeError(f"conv_transpose2d: input {list(input.shape)} and weight "
                           f"{list(weight.shape)} (in_channels, out_channels/groups, kH, kW) "
                           f"do not match with groups={groups}")
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = (_pair(v) for v in (stride, padding,
                                                                  output_padding, dilation))
    if oh >= max(sh, dh) or ow >= max(sw, dw):
        raise RuntimeError("output padding must be smaller than either stride or dilation")
    n, c, h, width = x.shape
    if (sh, sw) != (1, 1):
        spread = x.new_zeros((n, c, (h - 1) * sh + 1, (width - 1) * sw + 1))
        spread[:, :, ::sh, ::sw] = x
        x = spread
    kh, kw = w.shape[2:]
    eh, ew = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    x = pad(x, (ew, ew + ow, eh, eh + oh))
    cin, cout = w.shape[0] // groups, w.shape[1]
    flipped = w.reshape(groups, cin, cout, kh, kw).transpose(1, 2).reshape(
        groups * cout, cin, kh, kw).flip((2, 3))
    out = conv2d(x, flipped, bias, 1, 0, (dh, dw), groups)
    return out.squeeze(0) if unbatched else out


def _pool_out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape: floor (or ceil) of the windows that
    fit, where with ceil_mode the last window must start inside the input or
    the left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode):
    """((k, s, p, d, out) for H and W) of a (N, C, H, W) input, checked as PyTorch."""
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride if stride not in (None, []) else kernel_size)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    if min(sh, sw) <= 0:
        raise RuntimeError("stride should not be zero" if 0 in (sh, sw) else
                           f"stride should be greater than zero, but got {[sh, sw]}")
    if min(kh, kw, dh, dw) <= 0:
        raise RuntimeError(f"kernel size and dilation should be greater than zero, but got "
                           f"kernel_size={[kh, kw]}, dilation={[dh, dw]}")
    for k, p, d in ((kh, ph, dh), (kw, pw, dw)):
        if p < 0 or p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    n, c, h, w = x.shape
    oh = _pool_out_size(h, kh, sh, ph, dh, ceil_mode)
    ow = _pool_out_size(w, kw, sw, pw, dw, ceil_mode)
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{oh}x{ow}). Output size is too small")
    return (kh, sh, ph, dh, oh), (kw, sw, pw, dw, ow)


def _pool_windows(x, geometry, pad_value):
    """(y, z, the kernel's (y, z) shifted strided view of the padded input)
    for each kernel position, row-major; the right/bottom padded further
    where a ceil_mode window runs past it."""
    (kh, sh, ph, dh, oh), (kw, sw, pw, dw, ow) = geometry
    n, c, h, w = x.shape
    eh = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (h + 2 * ph))
    ew = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (w + 2 * pw))
    if ph or pw or eh or ew:
        padded = x.new_full((n, c, h + 2 * ph + eh, w + 2 * pw + ew), pad_value)
        padded[:, :, ph:ph + h, pw:pw + w] = x
        x = padded
    for y in range(kh):
        for z in range(kw):
            yield y, z, x[:, :, y * dh:y * dh + sh * (oh - 1) + 1:sh,
                          z * dw:z * dw + sw * (ow - 1) + 1:sw]


def _batched(x, dims, name):
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}: Expected {dims + 1}D or {dims + 2}D (batch mode) tensor "
                           f"for input, but got input of shape {list(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == dims + 1 else (x, False)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """PyTorch's max_pool2d: the first maximum of each window wins (a NaN
    always), the gradient going to it alone; with return_indices, also its
    flat position h * W + w in the input plane (int64), as PyTorch's."""
    x, unbatched = _batched(_as_tensor(input), 2, "max_pool2d")
    geometry = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    (kh, sh, ph, dh, oh), (kw, sw, pw, dw, ow) = geometry
    floating = x.dtype.is_floating_point
    lowest = -math.inf if floating else (
        False if x.dtype is dt.bool_ else int(np.iinfo(x.dtype.numpy).min))
    height, width = x.shape[2:]
    rows, cols = np.arange(oh) * sh - ph, np.arange(ow) * sw - pw
    out = index = None
    for y, z, window in _pool_windows(x, geometry, lowest):
        if out is None:
            out = window
            if return_indices:
                # PyTorch's start: the first element of the window inside the input
                first_r = np.where(rows < 0, rows + (-(rows // dh)) * dh, rows)
                first_c = np.where(cols < 0, cols + (-(cols // dw)) * dw, cols)
                index = T.tensor((first_r[:, None] * width + first_c[None, :]).astype(np.int64),
                                 device=x.device)
            continue
        later = T.gt(window, out)
        if floating:
            later = T.logical_or(later, T.isnan(window))
        out = T.where(later, window, out)
        if return_indices:
            here = (rows + y * dh)[:, None] * width + (cols + z * dw)[None, :]
            index = T.where(later, T.tensor(here.astype(np.int64), device=x.device), index)
    out = out.contiguous()  # a single window is a strided view
    if return_indices:
        index = (index + T.zeros(out.shape, dtype=dt.int64, device=x.device)) \
            if tuple(index.shape) != tuple(out.shape) else index
        if unbatched:
            out, index = out.squeeze(0), index.squeeze(0)
        return out, index
    return out.squeeze(0) if unbatched else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_divisors(size, k, s, p, out, count_include_pad):
    """PyTorch's avg_pool divisor per output position along one dim: the
    window clipped to the padded input (count_include_pad), or to the input."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The window sums (the padding adds 0) over PyTorch's divisor: the
    window's size within the padded input with count_include_pad, else the
    number of input elements in it; divisor_override, if given, instead."""
    x, unbatched = _batched(_float(input), 2, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geometry = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    total = None
    for _, _, window in _pool_windows(x, geometry, 0.0):
        total = window if total is None else total + window
    if divisor_override is not None:
        out = total / divisor_override
    else:
        (kh, sh, ph, _, oh), (kw, sw, pw, _, ow) = geometry
        h, w = x.shape[2:]
        div = np.outer(_avg_divisors(h, kh, sh, ph, oh, count_include_pad),
                       _avg_divisors(w, kw, sw, pw, ow, count_include_pad))
        if np.all(div == div.flat[0]):
            out = total / float(div.flat[0])
        else:
            out = total / T.tensor(div.astype(np.float64), dtype=x.dtype, device=x.device)
    out = out.contiguous()
    return out.squeeze(0) if unbatched else out


def _window_means(size, out, device, dtype):
    """(out, size): row i averages input[floor(i*size/out) : ceil((i+1)*size/out)],
    PyTorch's adaptive pooling windows."""
    weights = np.zeros((out, size))
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        weights[i, start:end] = 1.0 / (end - start)
    return T.tensor(weights, dtype=dtype, device=device)


def adaptive_avg_pool2d(input, output_size):
    """Means over PyTorch's adaptive windows, as two small matmuls (one per
    spatial dim), so it runs eager, compiled and with gradients alike."""
    x = _float(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                         f"{list(input.shape)}")
    oh, ow = _pair(output_size)
    h, w = x.shape[-2:]
    oh, ow = h if oh is None else oh, w if ow is None else ow
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be positive, got "
                           f"{[oh, ow]}")
    if (oh, ow) == (1, 1):
        return x.mean((-2, -1), keepdim=True)
    rows = _window_means(h, oh, x.device, x.dtype)
    cols = _window_means(w, ow, x.device, x.dtype)
    return T.matmul(T.matmul(rows, x), cols.mT)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d over a height of 1."""
    x = _float(input)
    if x.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d and a 3D "
                           f"weight, but got input of size {list(input.shape)} and weight of "
                           f"size {list(weight.shape)}")
    if isinstance(padding, (tuple, list)):
        padding = padding[0]
    pad = padding if isinstance(padding, str) else (0, padding)
    first = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    out = conv2d(x.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, first(stride)), pad,
                 (1, first(dilation)), groups)
    return out.squeeze(-2)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resizes the trailing 1-3 dims: 'nearest' (source index floor(i * in /
    out)), or 'linear' / 'bilinear' / 'trilinear' (PyTorch's source points,
    with align_corners), one dim after another with gathers and weights, so
    gradients flow and it compiles."""
    linear = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode != "nearest" and mode not in linear:
        raise NotImplementedError(f"interpolate: mode={mode!r} (nearest, linear, bilinear, "
                                  "trilinear)")
    x = _as_tensor(input)
    dims = x.ndim - 2
    if dims < 1 or (size is None) == (scale_factor is None):
        raise ValueError("interpolate: a 3-5D input and exactly one of size and "
                         "scale_factor")
    if mode in linear and linear[mode] != dims:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs "
                                  f"{linear[mode] + 2}D input")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode != "nearest" and not x.dtype.is_floating_point:
        raise RuntimeError(f"interpolate: {mode} needs a floating-point input, got {x.dtype}")
    spatial = x.shape[2:]
    if size is not None:
        out = [size] * dims if isinstance(size, int) else list(size)
        scales = [n / o for n, o in zip(spatial, out)]
    else:
        factors = [scale_factor] * dims if not isinstance(scale_factor, (tuple, list)) \
            else list(scale_factor)
        out = [int(math.floor(n * f)) for n, f in zip(spatial, factors)]
        scales = [1.0 / f for f in factors]
    for k, (n, o, scale) in enumerate(zip(spatial, out, scales)):
        d = 2 + k
        if mode == "nearest":
            index = np.minimum(np.floor(np.arange(o) * scale).astype(np.int64), n - 1)
            x = x.index_select(d, T.tensor(index, device=x.device))
            continue
        if align_corners:
            src = np.arange(o) * ((n - 1) / (o - 1) if o > 1 else 0.0)
        else:
            src = np.maximum((np.arange(o) + 0.5) * scale - 0.5, 0.0)
        low = np.minimum(np.floor(src).astype(np.int64), n - 1)
        high = np.minimum(low + 1, n - 1)
        shape = [1] * x.ndim
        shape[d] = o
        weight = T.tensor((src - low).reshape(shape), dtype=x.dtype, device=x.device)
        a = x.index_select(d, T.tensor(low, device=x.device))
        b = x.index_select(d, T.tensor(high, device=x.device))
        x = a + (b - a) * weight
    return x


def embedding(input, weight, padding_idx=None):
    ids = _as_tensor(input)
    if ids.dtype.category != 1:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {ids.dtype} instead")
    # index_select, not weight[ids]: a negative index raises, as PyTorch's.
    out = weight.index_select(0, ids.reshape(-1)).reshape(*ids.shape, weight.shape[-1])
    if padding_idx is None:
        return out
    rows = weight.shape[0]
    if not -rows <= padding_idx < rows:
        raise AssertionError("Padding_idx must be within num_embeddings")
    padding_idx %= rows
    # The padding row is read as it is but gets no gradient (PyTorch's
    # embedding_backward skips it).
    keep = T.ne(ids, padding_idx).unsqueeze(-1)
    return T.where(keep, out, out.detach())


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_targets(target, classes, ignore_index):
    """Eager only (a compiled function clamps indices): a class index out of
    [0, classes) that is not ignore_index raises, as in PyTorch."""
    if _compile._active() is not None or target.numel() == 0:
        return
    t = target.cpu().numpy()
    bad = t[(t != ignore_index) & ((t < 0) | (t >= classes))]
    if bad.size:
        raise IndexError(f"Target {bad.reshape(-1)[0]} is out of bounds.")


def _nll_terms(input, target, weight, ignore_index):
    """Per-target losses -w[t] * logp[t] and the weights w[t] (0 where ignored),
    for log-probabilities of [N, C, d...] and targets of [N, d...] ([C] and [])."""
    logp = _float(input)
    target = _as_tensor(target).to(logp.device)
    if logp.ndim == 1:
        if target.ndim > 1 or target.numel() != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target "
                             f"size: {target.numel()}")
        logp, target = logp.unsqueeze(0), target.reshape(1)
    if logp.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.ndim == 0 or target.shape[0] != logp.shape[0]:
        raise ValueError(f"Expected input batch_size ({logp.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}).")
    expected = [logp.shape[0]] + list(logp.shape[2:])
    if list(target.shape) != expected:
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    _check_targets(target, logp.shape[1], ignore_index)
    valid = T.ne(target, ignore_index)
    safe = T.where(valid, target, 0).to(dt.int64)
    picked = _run("mlopt.gather", [logp, safe.unsqueeze(1)], {"dim": 1}).squeeze(1)
    w = T.where(valid, 1.0, 0.0).to(logp.dtype)
    if weight is not None:
        w = w * weight[safe]
    # where, not a weight of 0: an ignored row's class 0 may be -inf.
    return T.where(valid, -picked * w, 0.0), w, valid


def _reduce_loss(losses, reduction, weights=None):
    """A mean divides by the sum of `weights` (None: by the count); float16
    and bfloat16 sums are accumulated in float32 (PyTorch's opmath) and
    rounded once."""
    if reduction == "none":
        return losses
    if reduction == "mean" and weights is None:
        return T.mean(losses)
    acc = T._opmath(losses.dtype)
    total = T.sum(losses, dtype=acc)
    if reduction == "mean":
        total = total / T.sum(weights, dtype=acc)
    return total.to(losses.dtype)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    _check_reduction(reduction)
    losses, w, _ = _nll_terms(input, target, weight, ignore_index)
    if _as_tensor(input).ndim == 1 and reduction == "none":
        return losses.reshape(())
    return _reduce_loss(losses, reduction, w)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """PyTorch's formulas (torch.nn.functional.cross_entropy): class indices
    give (1 - ls) * nll + ls / C * smooth, where smooth is -sum_c w_c logp_c
    per target (0 where ignored), reduced as nll is (a mean divides by the
    sum of the targets' weights); probabilities p give -sum_c w_c q_c logp_c
    with q = p (1 - ls) + ls / C, a mean dividing by the number of targets."""
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    x = _as_tensor(input)
    cdim = 1 if x.ndim > 1 else 0
    logp = log_softmax(x, dim=cdim)
    classes = logp.shape[cdim]
    target = _as_tensor(target)
    wc = None  # the class weights, broadcast along the class dim
    if weight is not None:
        weight = _as_tensor(weight)
        if tuple(weight.shape) != (classes,):
            raise RuntimeError(f"weight tensor should be defined either for all {classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        wc = weight.reshape([classes if d == cdim else 1 for d in range(logp.ndim)])
    if target.dtype.is_floating_point:  # class probabilities
        if tuple(target.shape) != tuple(logp.shape):
            raise RuntimeError(f"Expected target size {list(logp.shape)}, got "
                               f"{list(target.shape)}")
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        terms = logp * target if wc is None else logp * target * wc
        return _reduce_loss(-T.sum(terms, cdim), reduction)
    losses, w, valid = _nll_terms(logp, target, weight, ignore_index)
    if label_smoothing:
        smooth = -T.sum(logp if wc is None else logp * wc, cdim).reshape(losses.shape)
        smooth = T.where(valid, smooth, 0.0)
        losses = (1 - label_smoothing) * losses + (label_smoothing / classes) * smooth
    losses = _reduce_loss(losses, reduction, w)
    return losses if logp.ndim > 1 or reduction != "none" else losses.reshape(())


def mse_loss(input, target, reduction="mean"):
    diff = _float(input) - target
    return _pointwise_loss(diff * diff, reduction)


def _pointwise_loss(losses, reduction):
    _check_reduction(reduction)
    if reduction == "none":
        return losses
    return T.sum(losses) if reduction == "sum" else T.mean(losses)


def l1_loss(input, target, reduction="mean"):
    return _pointwise_loss(T.abs(_float(input) - target), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (PyTorch's)."""
    d = T.abs(_float(input) - target)
    if beta == 0:
        return _pointwise_loss(d, reduction)
    return _pointwise_loss(T.where(T.lt(d, beta), 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")  # PyTorch's check
    q, k, v = _float(query), _float(key), _float(value)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = T.matmul(q, k.mT) * scale
    L, S = q.shape[-2], k.shape[-2]
    if is_causal:
        causal = T.le(T.arange(S, device=q.device).reshape(1, S),
                      T.arange(L, device=q.device).reshape(L, 1))
        scores = T.where(causal, scores, -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype is dt.bool_:
            scores = T.where(attn_mask, scores, -math.inf)
        else:
            scores = scores + attn_mask
    # PyTorch's safe softmax: an all-masked row attends to nothing (zeros;
    # its gradients too), where softmax would give NaN.
    weights = _softmax(scores, -1, None, "softmax", safe=True)
    if dropout_p:
        weights = dropout(weights, dropout_p)
    return T.matmul(weights, v)



# ---- more activations ---------------------------------------------------------------

@_updates_input
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val); the gradient passes strictly inside (PyTorch's)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return T.clamp(_as_tensor(input), min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


@_updates_input
def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: the gradient 1/6 strictly inside (-3, 3)."""
    x = _float(input)
    return T.clamp(x + 3.0, 0.0, 6.0) / 6.0


@_updates_input
def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 as PyTorch's kernel: 0 up to -3, x from 3, and
    x (x + 3) / 6 between (so the gradient at -3 is 0 and at 3 is 1, as
    PyTorch's)."""
    x = _float(input)
    out = T.where(T.le(x, -3.0), 0.0, T.where(T.lt(x, 3.0), x * (x + 3.0) / 6.0, x))
    return out


@_updates_input
def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    x = _float(input)
    return x * T.tanh(softplus(x))


def softsign(input):
    x = _float(input)
    return x / (T.abs(x) + 1)


def tanhshrink(input):
    x = _float(input)
    return x - T.tanh(x)


def logsigmoid(input):
    """min(x, 0) - log1p(exp(-|x|)): no overflow either way; the gradient at
    0 is 1/2 (|x| as a select, so its two sides do not cancel)."""
    x = _float(input)
    negative = T.lt(x, 0)
    return T.where(negative, x, 0.0) - T.log1p(T.exp(T.where(negative, x, -x)))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    x = _as_tensor(input)
    return _softmax(-x if dtype is None else -x.to(dtype), dim, None, "softmin")


@_updates_input
def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value (PyTorch's)."""
    x = _as_tensor(input)
    return T.where(T.gt(x, threshold), x, value)


def hardshrink(input, lambd=0.5):
    x = _float(input)
    return T.where(T.logical_and(T.ge(x, -lambd), T.le(x, lambd)), 0.0, x)


def softshrink(input, lambd=0.5):
    x = _float(input)
    return T.where(T.gt(x, lambd), x - lambd, T.where(T.lt(x, -lambd), x + lambd, 0.0))


@_updates_input
def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha of celu must not be 0")
    x = _float(input)
    positive = T.gt(x, 0)
    out = T.where(positive, x, alpha * T.expm1(T.where(positive, 0.0, x) / alpha))
    return out


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_updates_input
def selu(input, inplace=False):
    x = _float(input)
    positive = T.gt(x, 0)
    out = T.where(positive, x * _SELU_SCALE,
                  (_SELU_ALPHA * _SELU_SCALE) * T.expm1(T.where(positive, 0.0, x)))
    return out


def prelu(input, weight):
    """x where x > 0, else weight * x; a weight of several elements is one
    per channel (dim 1; a 0-d or 1-d input has a channel size of 1, as
    PyTorch's)."""
    x, w = _float(input), _as_tensor(weight)
    if w.ndim > 1:
        raise RuntimeError(f"prelu: weight must be a 0-d or 1-d tensor, got shape "
                           f"{list(w.shape)}")
    if w.numel() != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if channels != w.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {w.numel()} and channel size = "
                               f"{channels}.")
        w = w.reshape([-1] + [1] * (x.ndim - 2))
    else:
        w = w.reshape(())
    return T.where(T.gt(x, 0), x, w.to(x.dtype) * x)


@_updates_input
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """x where x > 0, else a x: in training a drawn per element from
    U(lower, upper), in eval a = (lower + upper) / 2 (PyTorch's)."""
    x = _float(input)
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    slope = T.rand(x.shape, dtype=x.dtype, device=x.device) * (upper - lower) + lower
    return T.where(T.gt(x, 0), x, x * slope)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of `dim`."""
    x = _float(input)
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = T._norm_dim(dim, x.ndim)
    n = x.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n} "
                           f"(input of shape {list(x.shape)})")
    return x.narrow(d, 0, n // 2) * T.sigmoid(x.narrow(d, n // 2, n // 2))


# ---- channel and alpha dropout ------------------------------------------------------------
def _check_p(p):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_shape(x, feature):
    """The shape of the keep mask: one per element, or (feature dropout) one
    per sample and channel, as PyTorch's feature noise (N, C, 1, ...)."""
    if not feature:
        return tuple(x.shape)
    if x.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                           f"shape {list(x.shape)}")
    return tuple(x.shape[:2]) + (1,) * (x.ndim - 2)


@_updates_input
def _dropout_impl(input, p, training, inplace, feature, alpha):
    """PyTorch's _dropout_impl: keep with probability 1 - p; scale the kept by
    1 / (1 - p), or (alpha dropout) keep the mean and variance of SELU
    outputs, a x + b with the dropped at SELU's negative saturation."""
    _check_p(p)
    if not training or p == 0 or _as_tensor(input).numel() == 0:
        return input
    x = _float(input)
    if p == 1:
        return x * 0.0
    keep = T.lt(T.rand(_noise_shape(x, feature), dtype=x.dtype, device=x.device), 1 - p)
    if not alpha:
        out = T.where(keep, x * (1 / (1 - p)), 0.0)
    else:
        neg = 1.7580993408473766
        a = 1.0 / math.sqrt((neg * neg * p + 1) * (1 - p))
        noise = keep.to(x.dtype)
        out = x * (noise * a) + ((noise - 1) * (neg * a) + neg * a * p)
    return out


@_updates_input
def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L)."""
    _check_p(p)
    x = _as_tensor(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D "
                           f"input of shape {list(x.shape)}")
    if x.ndim == 2 and training and p:
        return _dropout_impl(x.unsqueeze(0), p, training, False, True, False).squeeze(0)
    return _dropout_impl(input, p, training, False, True, False)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W); a 3-d input is (N, C, L), as
    PyTorch (with its warning)."""
    _check_p(p)
    x = _as_tensor(input)
    if x.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead.",
                      stacklevel=2)
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


@_updates_input
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W)."""
    _check_p(p)
    x = _as_tensor(input)
    if x.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {x.ndim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release.",
                      stacklevel=2)
    if x.ndim != 5 and training and p:
        return _dropout_impl(x.unsqueeze(0), p, training, False, True, False).squeeze(0)
    return _dropout_impl(input, p, training, False, True, False)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_impl(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_impl(input, p, training, inplace, True, True)


# ---- 1-d and adaptive pooling -------------------------------------------------------------
def _single(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise RuntimeError(f"{name} must be an int or a tuple of one int, got {tuple(v)}")
        return v[0]
    return v


def _pool1d_input(input, name):
    x = _as_tensor(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{name}() Expected 2D or 3D input tensor, but got input of shape "
                           f"{list(x.shape)}")
    return x


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool2d over a height of 1 (indices: positions along the last dim)."""
    x = _pool1d_input(input, "max_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride in (None, []) else _single(stride, "stride")
    out = max_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding")),
                     (1, _single(dilation, "dilation")), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """avg_pool2d over a height of 1."""
    x = _pool1d_input(input, "avg_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride in (None, []) else _single(stride, "stride")
    out = avg_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding")),
                     ceil_mode, count_include_pad)
    return out.squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    """Means over PyTorch's adaptive windows of the last dim (one matmul)."""
    x = _float(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(x.shape)}")
    out = _single(output_size, "output_size")
    out = x.shape[-1] if out is None else out
    if out <= 0:
        raise RuntimeError(f"adaptive_avg_pool1d: output_size must be positive, got {out}")
    return T.matmul(x, _window_means(x.shape[-1], out, x.device, x.dtype).mT)


def _adaptive_max_dim(x, d, out, carry=None):
    """The max over PyTorch's adaptive windows along dim d: one gather per
    position in the longest window (shorter windows repeat their last
    element), combined as max_pool2d's: the first maximum wins, a NaN always.
    Returns (max, its position along d (int64, or None without carry),
    carry (a tensor the shape of x) taken at the same positions)."""
    size = x.shape[d]
    starts = np.array([(i * size) // out for i in range(out)])
    ends = np.array([-((-(i + 1) * size) // out) for i in range(out)])
    best = where = kept = None
    shape = [out] + [1] * (x.ndim - d - 1)
    for k in range(int((ends - starts).max())):
        positions = np.minimum(starts + k, ends - 1)
        index = T.tensor(positions, device=x.device)
        window = x.index_select(d, index)
        here = None if carry is None else T.tensor(positions.reshape(shape), device=x.device)
        taken = None if carry is None else carry.index_select(d, index)
        if best is None:
            best, where, kept = window, here, taken
            continue
        later = T.gt(window, best)
        if x.dtype.is_floating_point:
            later = T.logical_or(later, T.isnan(window))
        best = T.where(later, window, best)
        if carry is not None:
            where, kept = T.where(later, here, where), T.where(later, taken, kept)
    if carry is not None:
        where = where + T.zeros(best.shape, dtype=dt.int64, device=x.device)
    return best, where, kept


def _adaptive_max(input, output_size, return_indices, dims, name):
    """The max is separable: the maxima along W, then of those along H (the
    first maximum in row-major order, PyTorch's scan, wins ties; the last
    NaN). With return_indices the column of each row's maximum rides along,
    giving PyTorch's flat index h * W + w."""
    x = _as_tensor(input)
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got "
                           f"{list(x.shape)}")
    sizes = [output_size] * dims if isinstance(output_size, int) or output_size is None \
        else list(output_size)
    if len(sizes) != dims:
        raise RuntimeError(f"{name}: output_size must have {dims} elements, got {output_size}")
    for k, out in enumerate(sizes):
        d = x.ndim - dims + k
        out = x.shape[d] if out is None else out
        if out <= 0 or x.shape[d] == 0:
            raise RuntimeError(f"{name}: output_size must be positive and the input "
                               f"non-empty, got output_size {sizes} for input of shape "
                               f"{list(x.shape)}")
        sizes[k] = out
    width = x.shape[-1]
    index = T.zeros(x.shape, dtype=dt.int64, device=x.device) if return_indices else None
    for k in reversed(range(dims)):
        x, where, index = _adaptive_max_dim(x, x.ndim - dims + k, sizes[k], index)
        if return_indices:
            # the position along W, then h * W plus the column the row's max had
            index = where if k == dims - 1 else where * width + index
    return (x, index) if return_indices else x


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


# ---- reshuffles -------------------------------------------------------------------------
def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    x, r = _as_tensor(input), int(upscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects its input to have at least 3 dimensions, "
                           f"but got input with {x.ndim} dimension(s) (shape {list(x.shape)})")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r} (input of shape {list(x.shape)})")
    n = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    x, r = _as_tensor(input), int(downscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects its input to have at least 3 dimensions, "
                           f"but got input with {x.ndim} dimension(s) (shape {list(x.shape)})")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input of shape {list(x.shape)} is not "
                           f"divisible by {r}")
    n = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


# ---- distances ---------------------------------------------------------------------------
def _broadcast_pair(x1, x2, name):
    try:
        shape = T.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except RuntimeError:
        raise RuntimeError(f"{name}: the shapes {list(x1.shape)} and {list(x2.shape)} "
                           "cannot be broadcast together") from None
    return x1.broadcast_to(shape), x2.broadcast_to(shape)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """PyTorch's: each of x1 and x2 divided by its norm along dim (the norm
    at least eps, clamped without touching the gradient), then summed."""
    a, b = _broadcast_pair(_float(x1), _float(x2), "cosine_similarity")
    d = T._norm_dim(dim, max(a.ndim, 1))

    def norm(x):
        n = _norm(x, 2, d, keepdim=True)
        fixed = n.detach()
        return n + (T.clamp(fixed, min=eps) - fixed)  # the value clamped, the gradient n's
    return T.sum((a / norm(a)) * (b / norm(b)), d)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (PyTorch's)."""
    a, b = _float(x1), _float(x2)
    ndim = max(a.ndim, b.ndim)
    a, b = _broadcast_pair(a, b, "pairwise_distance")
    return _norm(a - b + eps, p, max(ndim - 1, 0), keepdim)


def bilinear(input1, input2, weight, bias=None):
    """y_o = x1^T W_o x2 + b_o over the last dims; leading dims are batch."""
    x1, x2, w = _float(input1), _float(input2), _float(weight)
    if w.ndim != 3 or x1.ndim == 0 or tuple(x1.shape[:-1]) != tuple(x2.shape[:-1]) or \
            x1.shape[-1] != w.shape[1] or x2.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear: inputs of shapes {list(x1.shape)} and "
                           f"{list(x2.shape)} do not match the weight of shape "
                           f"{list(w.shape)} (out, in1, in2) with the same batch dims")
    out, n1, n2 = w.shape
    lead = tuple(x1.shape[:-1])
    mixed = T.matmul(x1.reshape(-1, n1), w.permute(1, 0, 2).reshape(n1, out * n2))
    y = T.sum(mixed.reshape(-1, out, n2) * x2.reshape(-1, 1, n2), -1).reshape(*lead, out)
    return y + bias if bias is not None else y


# ---- more losses --------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's legacy size_average / reduce arguments, as its
    _Reduction.legacy_get_string (with its warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{out}' instead.", stacklevel=3)
    return out


def _same_size(input, target, name):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{name}: using a target size ({list(target.shape)}) that is different "
                      f"to the input size ({list(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (PyTorch's)."""
    _check_reduction(reduction)
    x, target = _float(input), _as_tensor(target)
    _same_size(x, target, "huber_loss")
    d = x - target
    z = T.abs(d)
    losses = T.where(T.lt(z, delta), 0.5 * d * d, delta * (z - 0.5 * delta))
    if weight is not None:
        if tuple(weight.shape) != tuple(x.shape):
            raise ValueError(f"Weights and input must have the same size: weight "
                             f"{list(weight.shape)}, input {list(x.shape)}")
        losses = losses * weight
    return _pointwise_loss(losses, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target (log target - input) pointwise (input holds log-probabilities);
    'batchmean' divides the sum by the batch size, 'mean' by every element
    (with PyTorch's warning)."""
    legacy = size_average is not None or reduce is not None
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean" and not legacy:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    x, t = _float(input), _float(target)
    losses = T.exp(t) * (t - x) if log_target else xlogy(t, t) - t * x
    if reduction == "batchmean":
        total = T.sum(losses)
        return total / x.shape[0] if x.ndim else total
    return _pointwise_loss(losses, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x1, x2, y = _float(input1), _float(input2), _as_tensor(target)
    if not x1.ndim == x2.ndim == y.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {list(x1.shape)}, input2: "
                           f"{list(x2.shape)}, target: {list(y.shape)} ")
    return _pointwise_loss(relu(-y * (x1 - x2) + margin), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (PyTorch's: each term
    where y is not the other label)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, y = _float(input), _as_tensor(target)
    x, y = _broadcast_pair(x, y, "hinge_embedding_loss")
    losses = T.where(T.ne(y, 1), relu(margin - x), 0.0) + T.where(T.ne(y, -1), x, 0.0)
    return _pointwise_loss(losses, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, y = _float(input), _as_tensor(target)
    return _pointwise_loss(T.log1p(T.exp(-x * y)), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """sum over i != y of w[y] max(0, margin - x[y] + x[i])^p / C for each
    row x (C classes) and its target class y (PyTorch's)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x, y = _float(input), _as_tensor(target)
    if weight is not None:
        weight = _as_tensor(weight)
        if weight.ndim != 1:
            raise ValueError("weight must be one-dimensional")
    if x.ndim > 2 or (x.ndim == 2 and x.shape[1] == 0) or y.ndim > 1 or \
            y.numel() != (x.shape[0] if x.ndim == 2 else 1):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(x.shape)} (target of shape "
                           f"{list(y.shape)}; inconsistent target size)")
    if y.dtype.is_floating_point:
        raise RuntimeError(f"multi_margin_loss: expected an integer target, got {y.dtype}")
    rows = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    classes = rows.shape[1]
    y = y.reshape(-1).to(dt.int64).to(x.device)
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got "
                           f"{list(weight.shape)}")
    if _compile._active() is None:
        t = y.cpu().numpy()
        if ((t < 0) | (t >= classes)).any():
            raise RuntimeError("target out of range")
    picked = _run("mlopt.gather", [rows, y.unsqueeze(1)], {"dim": 1})
    z = relu(margin - picked + rows)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.to(x.dtype)[y].unsqueeze(1)
    others = T.ne(T.arange(classes, device=x.device).reshape(1, classes), y.unsqueeze(1))
    losses = T.sum(T.where(others, z, 0.0), 1) / classes
    if x.ndim < 2:
        losses = losses.reshape(())
    return _reduce_loss(losses, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1;
    cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)) (PyTorch's)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x1, x2, y = _float(input1), _float(input2), _as_tensor(target)
    if y.ndim not in (0, 1):
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported "
                           f"(target of shape {list(y.shape)})")
    if y.ndim == 1 and (x1.ndim != 2 or x2.ndim != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(x1.shape)} and {list(x2.shape)}.")
    if y.ndim == 0 and (x1.ndim != 1 or x2.ndim != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(x1.shape)} and {list(x2.shape)}.")
    d = y.ndim
    eps = 1e-12
    cos = T.sum(x1 * x2, d) / T.sqrt((T.sum(x1 * x1, d) + eps) * (T.sum(x2 * x2, d) + eps))
    losses = T.where(T.eq(y, 1), 1 - cos, 0.0) + T.where(T.eq(y, -1), relu(cos - margin), 0.0)
    return _pointwise_loss(losses, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)), d the pairwise distance (with
    `swap`, d(a, n) is at most d(p, n))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pos, neg = _float(anchor), _float(positive), _float(negative)
    if not a.ndim == pos.ndim == neg.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a.ndim}D "
                           f"{list(a.shape)}, positive {pos.ndim}D {list(pos.shape)}, and "
                           f"negative {neg.ndim}D {list(neg.shape)} inputs")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = T.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _pointwise_loss(relu(margin + d_pos - d_neg), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(x) - t x (log_input), else x - t log(x + eps); `full` adds
    Stirling's t log t - t + log(2 pi t) / 2 where t > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = _float(input), _as_tensor(target)
    losses = T.exp(x) - t * x if log_input else x - t * T.log(x + eps)
    if full:
        small = T.le(t, 1)
        safe = T.where(small, 2.0, t)
        stirling = safe * T.log(safe) - safe + 0.5 * T.log(2 * math.pi * safe)
        losses = losses + T.where(small, 0.0, stirling)
    return _pointwise_loss(losses, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log(var) + (x - t)^2 / var) / 2, var at least eps (clamped without
    touching its gradient, as PyTorch); var may be one per element, one per
    row (the last dim dropped or 1), or a float."""
    x, t = _float(input), _as_tensor(target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = T.full_like(x, float(var))
    else:
        var = _as_tensor(var)
        if _compile._active() is None and bool(T.any(T.lt(var, 0)).item()):
            raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(x.shape):
        if tuple(x.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif x.ndim == var.ndim and sum(v for n, v in zip(x.shape, var.shape) if n != v) == 1:
            pass
        else:
            raise ValueError(f"var is of incorrect size: var {list(var.shape)} for input "
                             f"{list(x.shape)}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    fixed = var.detach()
    var = var + (T.clamp(fixed, min=eps) - fixed)
    d = x - t
    losses = 0.5 * (T.log(var) + d * d / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _pointwise_loss(losses, reduction)

# Every public function (what `from mlopt.nn.functional import *` gives).
__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "alpha_dropout", "avg_pool1d", "avg_pool2d",
           "batch_norm", "bilinear", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "celu", "conv1d", "conv2d",
           "conv_transpose2d", "cosine_embedding_loss", "cosine_similarity",
           "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d", "elu",
           "embedding", "feature_alpha_dropout", "gaussian_nll_loss", "gelu", "glu",
           "group_norm", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
           "hinge_embedding_loss", "huber_loss", "instance_norm", "interpolate", "kl_div",
           "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid",
           "margin_ranking_loss", "max_pool1d", "max_pool1d_with_indices", "max_pool2d",
           "max_pool2d_with_indices", "mish", "mse_loss", "multi_margin_loss",
           "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance", "pixel_shuffle",
           "pixel_unshuffle", "poisson_nll_loss", "prelu", "relu", "relu6", "rms_norm",
           "rrelu", "rrelu_",
           "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss",
           "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign",
           "tanh", "tanhshrink", "threshold", "triplet_margin_loss"]


from ._functional_extra import (conv3d, conv_transpose1d, embedding_bag, fold,  # noqa: E402,F401
                                local_response_norm, unfold)
__all__ = sorted(__all__ + ["conv3d", "conv_transpose1d", "embedding_bag", "fold",
                             "local_response_norm", "unfold"])


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples of the Gumbel-softmax distribution: softmax((logits + g) / tau)
    with g = -log(Exponential(1)) draws; hard: the one-hot of the argmax,
    with the soft sample's gradient (y_hard - y_soft.detach() + y_soft)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.")
    x = _as_tensor(logits)
    gumbels = T.neg(T.log(T._random(tuple(x.shape), x.dtype, x.device,
                                    lambda g, s: g.exponential(1.0, s))))
    y_soft = softmax((x + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = T._norm_dim(dim, max(y_soft.ndim, 1))
    index = T.argmax(y_soft, d, keepdim=True)
    n = y_soft.shape[d] if y_soft.ndim else 1
    shape = [1] * y_soft.ndim
    if y_soft.ndim:
        shape[d] = n
    positions = T.arange(n, device=y_soft.device).reshape(shape)
    y_hard = T.eq(positions, index).to(y_soft.dtype)
    return y_hard - y_soft.detach() + y_soft


__all__ = sorted(__all__ + ["gumbel_softmax"])


# Under autocast the losses run in float32, as PyTorch's (amp.runs_in_float32).
for _loss in ("cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
              "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
              "cosine_embedding_loss", "margin_ranking_loss", "soft_margin_loss",
              "triplet_margin_loss", "multi_margin_loss", "hinge_embedding_loss",
              "poisson_nll_loss", "gaussian_nll_loss"):
    globals()[_loss] = amp.runs_in_float32(globals()[_loss])
del _loss
