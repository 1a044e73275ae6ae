"""Parameter initialization, as torch.nn.init: each function fills the
tensor in place (without autograd) from mlopt's generator and returns it."""

import math

import numpy as np

from .. import _composites as C
from .. import _tensor as T
from .._autograd import no_grad


def calculate_gain(nonlinearity, param=None):
    gains = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "conv1d": 1.0, "conv2d": 1.0,
             "conv3d": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in gains:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
    return gains[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, values):
    with no_grad():
        tensor.copy_(values.to(tensor.dtype))
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, T.rand(*tensor.shape, device=tensor.device) * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, T.randn(*tensor.shape, device=tensor.device) * std + mean)


def constant_(tensor, val):
    return _fill(tensor, T.full(tuple(tensor.shape), val, device=tensor.device))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan = _calculate_fan_in_and_fan_out(tensor)[0 if mode == "fan_in" else 1]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Normal values redrawn until inside [a, b] (rejection: exact, as the
    distribution PyTorch's inverse-CDF method samples)."""
    values = T.randn(*tensor.shape).numpy() * std + mean
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = T.randn(int(outside.sum())).numpy() * std + mean
        outside = (values < a) | (values > b)
    return _fill(tensor, T.tensor(values, device=tensor.device))


def eye_(tensor):
    """The identity matrix in a 2-D tensor (ones on the diagonal of a
    rectangular one), as torch.nn.init.eye_."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, T.tensor(np.eye(*tensor.shape), device=tensor.device))


def dirac_(tensor, groups=1):
    """The Dirac delta of a 3-, 4- or 5-D convolution weight: each output
    channel of each group passes its input channel's centre through."""
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    values = np.zeros(sizes)
    centre = tuple(k // 2 for k in sizes[2:])
    for g in range(groups):
        for d in range(min(out_per_group, sizes[1])):
            values[(g * out_per_group + d, d) + centre] = 1.0
    return _fill(tensor, T.tensor(values, device=tensor.device))


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal one
    (the signs of R's diagonal folded into Q, as PyTorch's), over the
    tensor flattened to (shape[0], rest), times gain."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = T.randn(rows, cols, generator=generator).numpy().astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, T.tensor((q * gain).reshape(tuple(tensor.shape)),
                                  device=tensor.device))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """N(0, std) with ceil(sparsity * rows) entries of every column zero (at
    random rows), as torch.nn.init.sparse_; 2-D only."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    values = T.randn(rows, cols, generator=generator).numpy().astype(np.float64) * std
    for col in range(cols):
        zero_rows = C.randperm(rows, generator=generator).numpy()[:num_zeros]
        values[zero_rows, col] = 0.0
    return _fill(tensor, T.tensor(values, device=tensor.device))


# PyTorch's deprecated spellings without the trailing underscore
def _deprecated(fn):
    def alias(*args, **kwargs):
        import warnings
        warnings.warn(f"`nn.init.{fn.__name__[:-1]}` is now deprecated in favor of "
                      f"`nn.init.{fn.__name__}`.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    alias.__name__ = fn.__name__[:-1]
    return alias


uniform, normal, constant, eye, dirac, xavier_uniform, xavier_normal, kaiming_uniform, \
    kaiming_normal, orthogonal, sparse = (_deprecated(f) for f in (
        uniform_, normal_, constant_, eye_, dirac_, xavier_uniform_, xavier_normal_,
        kaiming_uniform_, kaiming_normal_, orthogonal_, sparse_))
