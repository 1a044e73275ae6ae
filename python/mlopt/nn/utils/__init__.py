"""mlopt.nn.utils: gradient clipping and parameter vectors, as
torch.nn.utils (and mlopt.nn.utils.rnn: PackedSequence and
padding/packing), weight_norm / remove_weight_norm and
parametrize / parametrizations.weight_norm. Clipping scales each .grad in place (also inside
@mlopt.compile, where the .grad a compiled call sets is the clipped one)."""

import math

from ... import _tensor as T
from ..._autograd import no_grad
from . import rnn  # noqa: F401
from . import parametrizations, parametrize  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401


def _grads(parameters):
    parameters = [parameters] if isinstance(parameters, T.Tensor) else list(parameters)
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scales the gradients so that their joint norm (of the norms of each) is
    at most max_norm; returns that norm before clipping, as PyTorch."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return T.tensor(0.0)
    with no_grad():
        norms = T.stack([g.detach().norm(norm_type) for g in grads])
        total = norms.amax() if norm_type == math.inf else norms.norm(norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                               "`parameters` is non-finite, so it cannot be clipped. To disable "
                               "this error and scale the gradients by the non-finite norm "
                               "anyway, set `error_if_nonfinite=False`")
        scale = T.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.detach().mul_(scale.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    with no_grad():
        for g in _grads(parameters):
            g.detach().clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    return T.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, T.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset:offset + n].view_as(p))
            offset += n
