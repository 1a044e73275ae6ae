"""mlopt.nn.functional: PyTorch's composite functions, built from primitives.

None of these is a dialect op: each decomposes into the primitive ops (the
same decomposition the tracer will record), so autodiff and fusion see a
small op set.
"""

import math
import warnings

import numpy as np

from .. import _compile
from .._composites import one_hot, pad  # noqa: F401  (composites of other ops)
from .. import _dtype as dt
from .. import _tensor as T
from .._autograd import no_grad
from .._tensor import _as_tensor, _run


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


def silu(input):
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
    out = T.matmul(input, weight.mT if weight.ndim == 2 else weight)
    return out + bias if bias is not None else out


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, w = _float(input), _float(weight)
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
        if any(t % 2 for t in total):
            raise ValueError("padding='same' with an even kernel span is not supported yet")
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


def _pool_windows(x, kernel_size, stride, padding, dilation, pad_value):
    """The kernel's shifted strided views of the padded input."""
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
    if ph > ((kh - 1) * dh + 1) // 2 or pw > ((kw - 1) * dw + 1) // 2 or min(ph, pw) < 0:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={list((ph, pw))}, kernel_size={list((kh, kw))}")
    n, c, h, w = x.shape
    if ph or pw:
        padded = x.new_full((n, c, h + 2 * ph, w + 2 * pw), pad_value)
        padded[:, :, ph:ph + h, pw:pw + w] = x
        x = padded
    oh = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{oh}x{ow}). Output size is too small")
    for y in range(kh):
        for z in range(kw):
            yield x[:, :, y * dh:y * dh + sh * (oh - 1) + 1:sh,
                    z * dw:z * dw + sw * (ow - 1) + 1:sw]


def _reduce_windows(x, combine, kernel_size, stride, padding, dilation, pad_value):
    """Combines the pooling windows of a [N,] C, H, W input."""
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    out = None
    for window in _pool_windows(x, kernel_size, stride, padding, dilation, pad_value):
        out = window if out is None else combine(out, window)
    return out.squeeze(0) if unbatched else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if ceil_mode or return_indices:
        raise NotImplementedError("max_pool2d: ceil_mode and return_indices are not "
                                  "supported yet")
    x = _as_tensor(input)

    def take_larger(best, window):
        # The first maximum of a window wins (ties keep the earlier one) and
        # a NaN always wins, as PyTorch's kernel; the gradient goes to it alone.
        later = T.gt(window, best)
        if x.dtype.is_floating_point:
            later = T.logical_or(later, T.isnan(window))
        return T.where(later, window, best)

    out = _reduce_windows(x, take_larger, kernel_size, stride, padding, dilation, -math.inf)
    return out.contiguous()  # a single window is a strided view


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    if ceil_mode or not count_include_pad:
        raise NotImplementedError("avg_pool2d: ceil_mode and count_include_pad=False are not "
                                  "supported yet")
    total = _reduce_windows(_float(input), T.add, kernel_size, stride, padding, 1, 0.0)
    kh, kw = _pair(kernel_size)
    return total / (divisor_override or kh * kw)


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


# Every public function (what `from mlopt.nn.functional import *` gives).
__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "conv1d", "conv2d", "conv_transpose2d", "cross_entropy", "dropout",
           "elu", "embedding", "gelu", "group_norm", "instance_norm", "interpolate",
           "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
           "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "relu", "rms_norm",
           "scaled_dot_product_attention", "sigmoid", "silu", "smooth_l1_loss", "softmax",
           "softplus", "tanh"]
