"""mlopt.save and mlopt.load, as torch.save/torch.load: any picklable object
(tensors, state_dicts, optimizer states); tensors come back on the device
they were saved from unless map_location says another. load() is
weights_only by default, as PyTorch's since 2.6: only tensors, NumPy
arrays, numbers, strings and the built-in containers are unpickled. load()
also reads what torch.save writes (its zip of a pickle and raw storages),
without PyTorch, into mlopt tensors."""

import collections
import io
import os
import pickle
import secrets
import stat
import threading
import zipfile

import numpy as np

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
    """The device kind a tensor saved on `device` ("cpu", "cuda", "cuda:1")
    goes to under map_location."""
    kind = device.split(":")[0]
    if location is None:
        return kind
    if isinstance(location, dict):
        for key in (device, kind, kind + ":0"):
            if key in location:
                return str(location[key]).split(":")[0]
        return kind
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


def _checked_dtype_state(state):
    """A plain NumPy dtype's pickled state, (3, byte order, None, None, None,
    element size, alignment, flags); NumPy's __setstate__ crashes on some
    malformed ones, so a weights_only load takes nothing else."""
    plain = (isinstance(state, tuple) and len(state) == 8 and state[0] == 3 and
             state[1] in ("<", ">", "|", "=") and state[2:5] == (None, None, None) and
             all(type(n) is int and -1 <= n <= 1 << 16 for n in state[5:7]) and
             type(state[7]) is int and 0 <= state[7] < 1 << 8)
    if not plain:
        raise pickle.UnpicklingError(f"weights_only load: a NumPy dtype state {state!r:.80} "
                                     "that is not a plain dtype's")
    return state


def _allowed(module, name, numpy_global):
    """What a weights_only load may construct for the global module.name
    (`numpy_global` looks NumPy's up); anything else raises."""
    if (module, name) in _SAFE:
        return _SAFE[(module, name)]
    if module == "mlopt.nn.modules" and name == "Parameter":
        from .nn.modules import Parameter
        return Parameter
    if module in _NUMPY[0] and name in _NUMPY[1]:
        return numpy_global(module, name)
    raise pickle.UnpicklingError(
        f"weights_only load: {module}.{name} is not allowed (load(..., weights_only=False) "
        "unpickles anything, for files you trust)")


class _WeightsOnly(pickle.Unpickler):
    """A weights_only load of a pickle that names no NumPy dtype (the C
    unpickler: fast)."""

    def find_class(self, module, name):
        return _allowed(module, name, super().find_class)


class _WeightsOnlyWithDtypes(pickle._Unpickler):
    """A weights_only load of one that does (NumPy arrays, mlopt tensors): the
    pure-Python unpickler, so BUILD can check a dtype's state first
    (_checked_dtype_state); about 0.2 ms more per tensor."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def find_class(self, module, name):
        return _allowed(module, name, super().find_class)

    def load_build(self):
        if isinstance(self.stack[-2], np.dtype):
            _checked_dtype_state(self.stack[-1])
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build


def _unpickler_class(data, weights_only):
    if not weights_only:
        return pickle.Unpickler
    return _WeightsOnlyWithDtypes if b"dtype" in data else _WeightsOnly


def save(obj, f):
    """Writes obj to a path or a binary file object. A regular file (or a
    new one) is written whole or not at all: a temporary file beside it, with
    the old file's permissions, is renamed over it at the end, so a failed
    save leaves the old file as it was. Other paths (a device, a FIFO, a file
    with other hard links, a directory not writable) are written in place."""
    if not isinstance(f, (str, os.PathLike)):
        _Pickler(f, protocol=4).dump(obj)
        return
    path = os.path.realpath(os.fspath(f))  # (through a symlink, as open() writes)
    directory, name = os.path.split(path)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    if (old is not None and (not stat.S_ISREG(old.st_mode) or old.st_nlink > 1)) or \
            not os.access(directory or ".", os.W_OK):
        with open(path, "wb") as file:
            _Pickler(file, protocol=4).dump(obj)
        return
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # Created as open() would (0666 less the umask), or with the old file's mode.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            if old is not None:
                os.chmod(temporary, stat.S_IMODE(old.st_mode))
                try:
                    os.chown(temporary, old.st_uid, old.st_gid)
                except OSError:
                    pass  # (not ours to give away: the new owner is whoever saves)
            _Pickler(file, protocol=4).dump(obj)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


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
    if data[:4] == b"PK\x03\x04":  # torch.save's zip
        unpickler = _torch_unpickler(data, weights_only)
    else:
        unpickler = _unpickler_class(data, weights_only)(io.BytesIO(data))
    saved, _target.location = getattr(_target, "location", None), map_location
    try:
        obj = unpickler.load()
    finally:
        _target.location = saved
    if map_location is None or isinstance(map_location, dict):
        return obj
    return _move(obj, str(map_location).split(":")[0])  # (CPU-saved tensors too)


# ---- PyTorch's checkpoints ----------------------------------------------------
# torch.save: a zip of <name>/data.pkl, whose tensors are
# torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) of
# persistent ids ("storage", torch.<Type>Storage, key, location, numel), and
# <name>/data/<key>, each storage's raw little-endian bytes.
_TORCH_STORAGES = {"FloatStorage": (np.float32, None), "DoubleStorage": (np.float64, None),
                   "HalfStorage": (np.float16, None), "BFloat16Storage": (np.uint16, "bfloat16"),
                   "LongStorage": (np.int64, None), "IntStorage": (np.int32, None),
                   "ShortStorage": (np.int16, None), "CharStorage": (np.int8, None),
                   "ByteStorage": (np.uint8, None), "BoolStorage": (np.bool_, None)}


class _TorchStorage:
    def __init__(self, name):
        self.name = name


def _rebuild_torch_tensor(storage, offset, size, stride, requires_grad=False, *_):
    if not isinstance(storage, tuple) or len(storage) != 3:
        raise pickle.UnpicklingError("a PyTorch tensor without a storage")
    values, dtype, location = storage
    size, stride = tuple(size), tuple(stride)
    numbers = (offset,) + size + stride
    if len(size) != len(stride) or not all(type(n) is int and n >= 0 for n in numbers):
        raise pickle.UnpicklingError(f"a PyTorch tensor of size {size}, stride {stride} and "
                                     f"offset {offset}: not a valid view")
    # The view must lie inside its storage (a corrupt file must not read past it).
    span = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if offset + span > len(values):
        raise pickle.UnpicklingError(f"a PyTorch tensor of size {size}, stride {stride} and "
                                     f"offset {offset} reaches past its storage of "
                                     f"{len(values)} elements")
    native = values.dtype.newbyteorder("=")  # (a big-endian file's values too)
    if all(size):
        array = np.lib.stride_tricks.as_strided(
            values[offset:offset + span], size,
            tuple(s * values.itemsize for s in stride)).astype(native)
    else:
        array = np.zeros(size, native)
    if dtype == "bfloat16":  # the high half of the float32 with the same bits
        tensor = T.tensor((array.astype(np.uint32) << 16).view(np.float32)).to(T.dt.bfloat16)
    else:
        tensor = T.tensor(array)
    tensor = _on_device(tensor, location)
    return tensor.requires_grad_() if requires_grad else tensor


def _rebuild_torch_parameter(data, requires_grad, *_):
    from .nn.modules import Parameter
    return Parameter(data, requires_grad)


_TORCH_GLOBALS = {("torch._utils", "_rebuild_tensor_v2"): _rebuild_torch_tensor,
                  ("torch._utils", "_rebuild_parameter"): _rebuild_torch_parameter,
                  ("collections", "OrderedDict"): collections.OrderedDict}


def _torch_unpickler(data, weights_only):
    archive = zipfile.ZipFile(io.BytesIO(data))
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if not pickles:
        raise pickle.UnpicklingError("a zip file without data.pkl: not a torch.save checkpoint")
    prefix = pickles[0][:-len("data.pkl")]
    storages = {}

    data_pickle = archive.read(pickles[0])
    byteorder = "<"
    if f"{prefix}byteorder" in archive.namelist() and \
            archive.read(f"{prefix}byteorder").strip() == b"big":
        byteorder = ">"

    class Unpickler(_unpickler_class(data_pickle, weights_only)):
        def find_class(self, module, name):
            if module == "torch" and name in _TORCH_STORAGES:
                return _TorchStorage(name)
            if (module, name) in _TORCH_GLOBALS:
                return _TORCH_GLOBALS[(module, name)]
            if module.startswith("torch"):
                raise pickle.UnpicklingError(
                    f"a PyTorch checkpoint with {module}.{name}: mlopt.load reads tensors, "
                    "Parameters and the built-in containers of torch.save files")
            return super().find_class(module, name)

        def persistent_load(self, pid):
            if not isinstance(pid, tuple) or len(pid) != 5:
                raise pickle.UnpicklingError(f"unknown persistent id in a PyTorch checkpoint: "
                                             f"{pid!r}")
            kind, storage, key, location, _ = pid
            if kind != "storage" or not isinstance(storage, _TorchStorage):
                raise pickle.UnpicklingError(f"unknown persistent id in a PyTorch checkpoint: "
                                             f"{pid!r}")
            if key not in storages:
                dtype, special = _TORCH_STORAGES[storage.name]
                try:
                    raw = archive.read(f"{prefix}data/{key}")
                except KeyError:
                    raise pickle.UnpicklingError(f"storage {key!r} is missing from the "
                                                 "PyTorch checkpoint") from None
                if len(raw) % np.dtype(dtype).itemsize:
                    raise pickle.UnpicklingError(f"storage {key!r} of {len(raw)} bytes is not "
                                                 f"a whole number of {storage.name} elements")
                storages[key] = (np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(byteorder)),
                                 special, str(location))
            return storages[key]

    return Unpickler(io.BytesIO(data_pickle))


def _move(obj, device):
    if isinstance(obj, T.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_move(v, device) for v in obj)
    return obj
