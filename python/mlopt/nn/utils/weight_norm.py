"""torch.nn.utils.weight_norm / remove_weight_norm: the weight split into a
magnitude `<name>_g` and a direction `<name>_v` (both Parameters, so
PyTorch's state_dict keys load), the weight recomputed as g * v / ||v|| by a
forward pre-hook before each forward."""

import warnings

from ... import _compile
from ... import _tensor as T
from ..._autograd import no_grad


def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of v over every dim but `dim`, kept as size-1 dims
    (dim -1: the norm of the whole tensor, 0-d), as torch.norm_except_dim."""
    if dim == -1:
        return (T.sum(T.abs(v) ** pow) ** (1.0 / pow)) if pow != 2 else T.sqrt(T.sum(v * v))
    d = dim % v.ndim
    others = [i for i in range(v.ndim) if i != d]
    if not others:
        return T.abs(v) if pow != 2 else T.sqrt(v * v)
    if pow == 2:
        return T.sqrt(T.sum(v * v, others, keepdim=True))
    return T.sum(T.abs(v) ** pow, others, keepdim=True) ** (1.0 / pow)


def _weight_norm(v, g, dim=0):
    """v * (g / ||v||), the norm over every dim but `dim` (torch._weight_norm)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook nn.utils.weight_norm registers."""

    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module, name, dim):
        from ..modules import Parameter
        for hook in module.__dict__.get("_forward_pre_hooks", {}).values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = module._parameters.get(name)
        if weight is None:
            raise AttributeError(f"'{type(module).__name__}' object has no parameter '{name}'")
        del module._parameters[name]
        with no_grad():
            g = norm_except_dim(weight.detach(), 2, fn.dim)
        module.register_parameter(name + "_g", Parameter(g))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        fn.restore_handle = module.register_forward_hook(fn.restore)
        return fn

    def remove(self, module):
        from ..modules import Parameter
        with no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        self.restore_handle.remove()
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))

    def restore(self, module, inputs, output):
        """After a forward traced by @compile: the attribute gets a concrete
        weight again (from the parameters), not the trace's value."""
        if _compile._active() is not None:
            with _compile.untraced(), no_grad():
                setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrizes module.<name> as g * v / ||v|| (norm over every dim
    but `dim`; None: the whole tensor): registers <name>_g and <name>_v and
    a forward pre-hook recomputing <name> from them. Returns the module."""
    warnings.warn("torch.nn.utils.weight_norm is deprecated in favor of "
                  "torch.nn.utils.parametrizations.weight_norm.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undoes weight_norm: <name> a Parameter again (its current value)."""
    hooks = module.__dict__.get("_forward_pre_hooks", {})
    for key, hook in list(hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
