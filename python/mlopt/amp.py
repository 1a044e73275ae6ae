"""mlopt.amp: automatic mixed precision, as torch.amp.

- `autocast(device_type, dtype=None, enabled=True)`: a context manager or
  decorator. Inside it, matmul, linear and the convolutions on that device
  cast their floating inputs (float32, float16, bfloat16; never float64) to
  `dtype` (bfloat16 on the CPU, float16 on CUDA by default, as PyTorch),
  so they run and return in the lower precision; the losses read such
  inputs as float32 and return float32; other ops follow their inputs'
  dtypes. Under @mlopt.compile the casts join the trace, which
  holds only for the autocast state it was traced under.
- `GradScaler(device="cuda", init_scale=2**16, ...)`: PyTorch's dynamic
  loss scaling: scale() multiplies the loss, step() unscales the gradients
  and skips the optimizer step when one is inf or NaN, update() backs the
  scale off after such a step and grows it after growth_interval good ones.
  A CUDA scaler without a GPU disables itself with PyTorch's warning.
"""

import contextlib
import functools
import math
import threading
import warnings

from . import _compile
from . import _dtype as dt

_state = threading.local()  # device type -> the autocast dtype (absent: off)
_DEFAULTS = {"cpu": dt.bfloat16, "cuda": dt.float16}


def _active():
    return getattr(_state, "dtypes", None) or {}


def is_autocast_available(device_type):
    return device_type in _DEFAULTS


def is_autocast_enabled(device_type="cuda"):
    return device_type in _active()


def get_autocast_dtype(device_type):
    return _active().get(device_type, _DEFAULTS.get(device_type))


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


class autocast(contextlib.ContextDecorator):
    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        device_type = device_type.split(":")[0]
        if device_type not in _DEFAULTS:
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        dtype = _DEFAULTS[device_type] if dtype is None else dt.as_dtype(dtype)
        if enabled and dtype not in (dt.bfloat16, dt.float16):
            warnings.warn(f"In {device_type} autocast, but the target dtype is not supported. "
                          "Disabling autocast.\n"
                          f"{device_type} Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently.")
            enabled = False
        self.device_type, self.fast_dtype, self._enabled = device_type, dtype, bool(enabled)

    def _recreate_cm(self):  # each decorated call gets its own restore point
        return autocast(self.device_type, self.fast_dtype, self._enabled)

    def __enter__(self):
        self._previous = dict(_active())
        dtypes = dict(self._previous)
        if self._enabled:
            dtypes[self.device_type] = self.fast_dtype
        else:
            dtypes.pop(self.device_type, None)
        _state.dtypes = dtypes
        return self

    def __exit__(self, *exc):
        _state.dtypes = self._previous
        return False


def _eligible(t, fast):
    return t.dtype.is_floating_point and t.dtype is not dt.float64 and t.dtype is not fast


def _guard_trace():
    """A trace that reads the autocast state holds only under the state it
    was made with."""
    tracer = _compile._active()
    if tracer is not None and not getattr(tracer, "autocast_guarded", False):
        tracer.autocast_guarded = True
        tracer.guard(lambda: sorted((k, str(v)) for k, v in _active().items()))


def cast_inputs(*tensors):
    """The tensors an autocast op reads (matmul, linear, convolutions): cast
    to the autocast dtype of their device when autocast is on there."""
    _guard_trace()
    dtypes = _active()
    if not dtypes:
        return tensors
    present = [t for t in tensors if t is not None]
    if not present:
        return tensors
    fast = dtypes.get(present[0].device.type)
    if fast is None or not all(t.dtype.is_floating_point for t in present):
        return tensors
    return tuple(t.to(fast) if t is not None and _eligible(t, fast) else t for t in tensors)


def runs_in_float32(fn):
    """fn (a loss) reads float16/bfloat16 tensors as float32 where autocast
    is on for their device, as PyTorch's autocast runs losses in float32."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _guard_trace()
        dtypes = _active()
        if not dtypes:
            return fn(*args, **kwargs)
        from ._tensor import Tensor

        def up(x):
            if isinstance(x, Tensor) and x.dtype in (dt.float16, dt.bfloat16) and \
                    x.device.type in dtypes:
                return x.float()
            return x
        return fn(*[up(a) for a in args], **{k: up(v) for k, v in kwargs.items()})
    return wrapper


class GradScaler:
    """torch.amp.GradScaler: dynamic loss scaling for float16 training."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        self._device = str(device).split(":")[0]
        if enabled and self._device == "cuda":
            from . import cuda
            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not "
                              "available.  Disabling.")
                enabled = False
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer = {}  # id(optimizer) -> {"unscaled": bool, "found_inf": bool}

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, value):
        self._growth_factor = float(value)

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, value):
        self._backoff_factor = float(value)

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, value):
        self._growth_interval = int(value)

    def scale(self, outputs):
        """outputs (a tensor, or tensors in lists, tuples and dicts) times the scale."""
        if not self._enabled:
            return outputs
        from ._tensor import Tensor
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, dict):
            return {k: self.scale(v) for k, v in outputs.items()}
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _record(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False,
                                                              "found_inf": False})

    def unscale_(self, optimizer):
        """Divides optimizer's gradients by the scale (once per step) and
        notes whether any is inf or NaN."""
        if not self._enabled:
            return
        record = self._record(optimizer)
        if record["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update().")
        from ._autograd import no_grad
        from ._tensor import isfinite
        from ._tensor import stack
        inverse = 1.0 / self._scale
        with no_grad():
            grads = [p.grad for group in optimizer.param_groups for p in group["params"]
                     if p.grad is not None]
            for g in grads:
                g.mul_(inverse)
            # one read of the flags (a device wait), not one per parameter
            finite = stack([isfinite(g).all() for g in grads]).all() if grads else True
        record["unscaled"], record["found_inf"] = True, not bool(finite)

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step() unless the unscaled gradients hold an inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        record = self._record(optimizer)
        if not record["unscaled"]:
            self.unscale_(optimizer)
        if record["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Backs the scale off if a step this iteration found inf/NaN, else
        grows it every growth_interval steps; or sets it to new_scale."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        elif self._per_optimizer:
            if any(r["found_inf"] for r in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    if math.isfinite(self._scale * self._growth_factor):
                        self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        value = state_dict["scale"]
        self._scale = float(value.item() if hasattr(value, "item") else value)
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    """torch.amp.custom_fwd: runs the function outside autocast when
    cast_inputs is given (after casting floating inputs to it)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        if cast_inputs is None:
            return fwd(*args, **kwargs)
        from ._tensor import Tensor

        def cast(x):
            return x.to(cast_inputs) if isinstance(x, Tensor) and x.dtype.is_floating_point \
                else x
        with autocast(device_type, enabled=False):
            return fwd(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})
    return wrapper


def custom_bwd(bwd=None, *, device_type="cuda"):
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
