"""torch.nn.utils.parametrizations.weight_norm: module.<name> computed as
g * v / ||v|| from parametrizations.<name>.original0 (g) and .original1 (v),
PyTorch's parameter names."""

from ..modules import Module
from . import parametrize
from .weight_norm import _weight_norm, norm_except_dim


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrizes module.<name> as original0 * original1 / ||original1||
    (the norm over every dim but `dim`; None: the whole tensor). Returns the
    module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module
