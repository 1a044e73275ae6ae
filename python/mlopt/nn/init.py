"""Parameter initialization, as torch.nn.init: each function fills the
tensor in place (without autograd) from mlopt's generator and returns it."""

import math

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
