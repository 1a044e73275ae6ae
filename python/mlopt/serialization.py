"""mlopt.save and mlopt.load, as torch.save/torch.load: any picklable object
(tensors, state_dicts, optimizer states); tensors come back on the device
they were saved from unless map_location says another. load() is
weights_only by default, as PyTorch's since 2.6: only tensors, NumPy
arrays, numbers, strings and the built-in containers are unpickled."""

import collections
import io
import os
import pickle

from . import _composites
from . import _tensor as T

# What a weights_only load may construct, besides the built-in containers
# and scalars that pickle makes without a global.
_SAFE = {("collections", "OrderedDict"): collections.OrderedDict,
         ("mlopt._composites", "_rebuild"): _composites._rebuild,
         ("mlopt.serialization", "_on_device"): None}  # filled below


def _on_device(tensor, device):
    """A saved tensor, back on the device it was saved from."""
    return tensor if device == "cpu" else tensor.to(device)


_SAFE[("mlopt.serialization", "_on_device")] = _on_device


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, T.Tensor) and obj.device.type != "cpu":
            return _on_device, (obj.cpu(), obj.device.type)
        return NotImplemented


class _WeightsOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE:
            return _SAFE[(module, name)]
        if module.split(".")[0] == "numpy" and name in (
                "_reconstruct", "ndarray", "dtype", "scalar", "_frombuffer"):
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
    """Reads what save() wrote. map_location ("cpu", "cuda" or a
    mlopt.device) moves every tensor there."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            data = file.read()
    else:
        data = f.read()
    unpickler = (_WeightsOnly if weights_only else pickle.Unpickler)(io.BytesIO(data))
    obj = unpickler.load()
    return obj if map_location is None else _move(obj, str(map_location).split(":")[0])


def _move(obj, device):
    if isinstance(obj, T.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_move(v, device) for v in obj)
    return obj
