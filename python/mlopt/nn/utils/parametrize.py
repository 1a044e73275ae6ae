"""torch.nn.utils.parametrize: register_parametrization makes
module.<name> a property computed from `module.parametrizations.<name>`
(a ParametrizationList holding the original as `original`, or
`original0`, `original1`, ... when right_inverse returns several tensors),
so the state_dict keys are PyTorch's."""

import contextlib

from ... import _tensor as T
from ..._autograd import no_grad
from ..modules import Module, ModuleDict, ModuleList, Parameter

_cache_enabled = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within it, each parametrized tensor is computed once per access site."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (children 0, 1, ...) and its
    original value(s)."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        requires_grad = original.requires_grad
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, T.Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (tuple(new.shape) != tuple(original.shape)
                               or new.dtype != original.dtype):
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change "
                                 f"the shape or dtype. original.shape: {tuple(original.shape)}"
                                 f", right_inverse(original).shape: {tuple(new.shape)}")
            with no_grad():
                original.detach().copy_(new)
            if isinstance(original, Parameter):
                self.register_parameter("original", original)
            else:
                self.register_buffer("original", original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, T.Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors (list, tuple...). Got element {i} of the sequence"
                                     f" with type {type(t).__name__}.")
                t = t.detach().clone()
                if isinstance(original, Parameter):
                    self.register_parameter(f"original{i}", Parameter(t, requires_grad))
                else:
                    self.register_buffer(f"original{i}", t)

    def right_inverse(self, value):
        """Sets the original(s) so that the parametrized tensor is `value`."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       f"implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                self.original.detach().copy_(value)
            else:
                for i, t in enumerate(value):
                    getattr(self, f"original{i}").detach().copy_(t)

    def forward(self):
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _get(module, name):
    parametrization = module.parametrizations[name]
    if _cache_enabled:
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]
    return parametrization()


def _parametrized_class(module):
    cls = type(module)
    if getattr(cls, "_mlopt_parametrized", False):
        return cls

    def __setattr__(self, name, value):
        if name in type(self)._mlopt_names:
            self.parametrizations[name].right_inverse(value)
        else:
            cls.__setattr__(self, name, value)

    new = type(f"Parametrized{cls.__name__}", (cls,),
               {"_mlopt_parametrized": True, "_mlopt_original": cls, "_mlopt_names": set(),
                "__setattr__": __setattr__})
    module.__class__ = new
    return new


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """module.<tensor_name> becomes parametrization(original) (a property);
    registering a second one on the same tensor chains them."""
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name in module._parameters:
        original = module._parameters[tensor_name]
    elif tensor_name in module._buffers:
        original = module._buffers[tensor_name]
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    for store in (module._parameters, module._buffers):
        store.pop(tensor_name, None)
    if "parametrizations" not in module._modules:
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    cls = _parametrized_class(module)
    cls._mlopt_names = cls._mlopt_names | {tensor_name}
    setattr(cls, tensor_name, property(lambda self, n=tensor_name: _get(self, n)))
    return module


def is_parametrized(module, tensor_name=None):
    plists = module._modules.get("parametrizations")
    if plists is None or not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module):
    return getattr(type(module), "_mlopt_original", type(module))


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """module.<tensor_name> a plain Parameter again: its current value
    (leave_parametrized) or the original (one original tensor only)."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
            with no_grad():
                if tuple(t.shape) == tuple(original.shape) and t.dtype == original.dtype:
                    original.detach().copy_(t)
                else:
                    original = Parameter(t.detach(), original.requires_grad)
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            t = getattr(module, tensor_name)
        first = plist.original0
        original = Parameter(t.detach(), first.requires_grad) if isinstance(first, Parameter) \
            else t.detach()
    cls = type(module)
    delattr(cls, tensor_name)
    cls._mlopt_names = cls._mlopt_names - {tensor_name}
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = cls._mlopt_original
    return module
