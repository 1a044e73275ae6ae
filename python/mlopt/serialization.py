"""mlopt.save and mlopt.load, as torch.save/torch.load: any picklable object
(tensors, state_dicts, optimizer states); tensors come back on the device
they were saved from unless map_location says another. load() is
weights_only by default, as PyTorch's since 2.6: only tensors, NumPy
arrays, numbers, strings and the built-in containers are unpickled."""

import collections
import io
import os
import pickle
import threading

from . import _composites
from . import _tensor as T

# NumPy's array and scalar reconstruction, from these modules only (importing
# any other numpy module could run its code).
_NUMPY = ({"numpy", "numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric",
           "numpy._core.numeric"}, {"_reconstruct", "ndarray", "dtype", "scalar", "_frombuffer"})
# The map_location of the load in progress on this thread (None: tensors go
# back where they were saved).
_target = threading.local()


def _on_device(tensor, device):
    """A saved tensor, back on the device it was saved from (or the one
    load()'s map_location names)."""
    device = _mapped(device, getattr(_target, "location", None))
    return tensor if device == "cpu" else tensor.to(device)


def _mapped(device, location):
    if location is None:
        return device
    if isinstance(location, dict):
        for key in (device, device + ":0"):
            if key in location:
                return str(location[key]).split(":")[0]
        return device
    return str(location).split(":")[0]


# What a weights_only load may construct, besides the built-in containers
# and scalars that pickle makes without a global.
_SAFE = {("collections", "OrderedDict"): collections.OrderedDict,
         ("mlopt._composites", "_rebuild"): _composites._rebuild,
         ("mlopt.serialization", "_on_device"): _on_device}


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, T.Tensor) and obj.device.type != "cpu":
            return _on_device, (obj.cpu(), obj.device.type)
        return NotImplemented


class _WeightsOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE:
            return _SAFE[(module, name)]
        if module == "mlopt.nn.modules" and name == "Parameter":
            from .nn.modules import Parameter
            return Parameter
        if module in _NUMPY[0] and name in _NUMPY[1]:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"weights_only load: {module}.{name} is not allowed (load(..., weights_only=False) "
            "unpickles anything, for files you trust)")


def save(obj, f):
    """Writes obj to a path or a binary file object."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as file:
            _Pickler(file, protocol=4).dump(obj)
    else:
        _Pickler(f, protocol=4).dump(obj)


def load(f, map_location=None, weights_only=True):
    """Reads what save() wrote. map_location: "cpu", "cuda", a mlopt.device
    or a dict from saved to new location ({"cuda:0": "cpu"}); tensors saved
    on a GPU are placed there as they are read, so a CPU-only machine loads
    a GPU checkpoint with map_location="cpu"."""
    if callable(map_location):
        raise TypeError("map_location: a device, a string or a dict (not a function)")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            data = file.read()
    else:
        data = f.read()
    unpickler = (_WeightsOnly if weights_only else pickle.Unpickler)(io.BytesIO(data))
    saved, _target.location = getattr(_target, "location", None), map_location
    try:
        obj = unpickler.load()
    finally:
        _target.location = saved
    if map_location is None or isinstance(map_location, dict):
        return obj
    return _move(obj, str(map_location).split(":")[0])  # (CPU-saved tensors too)


def _move(obj, device):
    if isinstance(obj, T.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_move(v, device) for v in obj)
    return obj
