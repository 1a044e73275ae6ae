"""mlopt.nn.functional: PyTorch's composite functions, built from primitives.

None of these is a dialect op: each decomposes into the primitive ops (the
same decomposition the tracer will record), so autodiff and fusion see a
small op set.
"""

import math

from .. import _dtype as dt
from .. import _tensor as T
from .._tensor import _as_tensor, _run


def _float(x):
    x = _as_tensor(x)
    return x if x.dtype.is_floating_point else x.to(dt.get_default_dtype())


def relu(input, inplace=False):
    out = T.maximum(input, 0)
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


def tanh(input):
    return T.tanh(input)


def softmax(input, dim=None, dtype=None):
    x = _float(input) if dtype is None else _as_tensor(input).to(dtype)
    dim = -1 if dim is None else dim
    peak = T.amax(x, dim, keepdim=True)
    e = T.exp(x - peak.where(T.isfinite(peak), 0.0))
    # One reciprocal per row and a multiply per element, as PyTorch's kernel.
    return e * T.reciprocal(T.sum(e, dim, keepdim=True))


def log_softmax(input, dim=None, dtype=None):
    x = _float(input) if dtype is None else _as_tensor(input).to(dtype)
    dim = -1 if dim is None else dim
    return x - T.logsumexp(x, dim, keepdim=True)


def _normalized_dims(x, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got "
                           f"input of size{list(x.shape)}")
    return list(range(x.ndim - len(normalized_shape), x.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    x = _float(input)
    dims = _normalized_dims(x, normalized_shape)
    mean = T.mean(x, dims, keepdim=True)
    centered = x - mean
    var = T.mean(centered * centered, dims, keepdim=True)
    out = centered * T.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    x = _float(input)
    dims = _normalized_dims(x, normalized_shape)
    if eps is None:
        eps = {dt.float16: 0.0009765625, dt.bfloat16: 0.0078125,
               dt.float64: 2.220446049250313e-16}.get(x.dtype, 1.1920928955078125e-07)
    out = x * T.rsqrt(T.mean(x * x, dims, keepdim=True) + eps)
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
        keep = T.lt(T.rand(x.shape, dtype=x.dtype), 1 - p)
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
    if x.ndim != 4 or w.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: {list(input.shape)}")
    out = _run("mlopt.conv2d", [x, w.to(x.dtype)],
               {"stride": list(stride), "padding": list(padding),
                "dilation": list(dilation), "groups": int(groups)})
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _pool_windows(x, kernel_size, stride, padding, dilation, pad_value):
    """The kernel's shifted strided views of the padded input."""
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride if stride not in (None, []) else kernel_size)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    n, c, h, w = x.shape
    if ph or pw:
        padded = T.full((n, c, h + 2 * ph, w + 2 * pw), pad_value, dtype=x.dtype)
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
    out = _reduce_windows(_as_tensor(input), T.maximum, kernel_size, stride, padding,
                          dilation, -math.inf)
    return out.contiguous()  # a single window is a strided view


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    if ceil_mode or not count_include_pad:
        raise NotImplementedError("avg_pool2d: ceil_mode and count_include_pad=False are not "
                                  "supported yet")
    total = _reduce_windows(_float(input), T.add, kernel_size, stride, padding, 1, 0.0)
    kh, kw = _pair(kernel_size)
    return total / (divisor_override or kh * kw)


def embedding(input, weight, padding_idx=None):
    ids = _as_tensor(input)
    if ids.dtype.category != 1:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {ids.dtype} instead")
    return weight[ids]


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    logp = _float(input)
    target = _as_tensor(target).to(logp.device)
    if logp.ndim == 1:
        logp, target = logp.unsqueeze(0), target.reshape(1)
    if target.shape[0] != logp.shape[0]:
        raise ValueError(f"Expected input batch_size ({logp.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    valid = T.ne(target, ignore_index)
    safe = T.where(valid, target, 0).to(dt.int64)
    picked = _run("mlopt.gather", [logp, safe.unsqueeze(1)], {"dim": 1}).squeeze(1)
    w = T.where(valid, 1.0, 0.0).to(logp.dtype)
    if weight is not None:
        w = w * weight[safe]
    losses = -picked * w
    if reduction == "none":
        return losses
    if reduction == "sum":
        return T.sum(losses)
    return T.sum(losses) / T.sum(w)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    logp = log_softmax(input, dim=1 if _as_tensor(input).ndim > 1 else 0)
    target = _as_tensor(target)
    if target.dtype.is_floating_point:  # class probabilities
        losses = -T.sum(logp * target, 1 if logp.ndim > 1 else 0)
        return {"none": losses, "sum": T.sum(losses)}.get(reduction, T.mean(losses))
    loss = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing:
        smooth = -T.mean(logp, 1 if logp.ndim > 1 else 0)
        smooth = {"none": smooth, "sum": T.sum(smooth)}.get(reduction, T.mean(smooth))
        loss = (1 - label_smoothing) * loss + label_smoothing * smooth
    return loss


def mse_loss(input, target, reduction="mean"):
    diff = _float(input) - target
    losses = diff * diff
    if reduction == "none":
        return losses
    return T.sum(losses) if reduction == "sum" else T.mean(losses)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
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
    weights = softmax(scores, dim=-1)
    if dropout_p:
        weights = dropout(weights, dropout_p)
    return T.matmul(weights, v)


__all__ = ["relu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "layer_norm",
           "rms_norm", "dropout", "linear", "conv2d", "max_pool2d", "avg_pool2d", "embedding",
           "cross_entropy", "nll_loss", "mse_loss", "scaled_dot_product_attention"]
