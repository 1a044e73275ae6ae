"""mlopt.cuda: the GPU, as torch.cuda names it.

The driver (libcuda.so.1), NVRTC and cuBLAS are loaded at run time, so this
module imports everywhere; is_available() says whether a GPU can be used.
"""

from . import _C


def is_available():
    return bool(_C.cuda_is_available())


def unavailable_reason():
    """Why is_available() is False ('' when it is True)."""
    return _C.cuda_unavailable_reason()


def device_count():
    return _C.cuda_device_count() if is_available() else 0


def current_device():
    _require()
    return 0


def get_device_name(device=None):
    _require()
    return _C.cuda_device_name()


def get_device_capability(device=None):
    _require()
    cc = _C.cuda_capability()
    return (cc // 10, cc % 10)


def synchronize(device=None):
    """Waits for every kernel and copy mlopt queued on the GPU."""
    _require()
    _C.cuda_synchronize()


def memory_allocated(device=None):
    return _C.cuda_memory_stats()["live_bytes"]


def max_memory_allocated(device=None):
    return _C.cuda_memory_stats()["peak_bytes"]


def memory_reserved(device=None):
    stats = _C.cuda_memory_stats()
    return stats["live_bytes"] + stats["cached_bytes"]


def reset_peak_memory_stats(device=None):
    _C.cuda_reset_peak_memory_stats()


def empty_cache():
    """Returns cached device blocks to the driver."""
    if is_available():
        _C.cuda_empty_cache()


def _require():
    if not is_available():
        raise RuntimeError("CUDA is not available: " + _C.cuda_unavailable_reason())


class amp:
    """torch.cuda.amp (deprecated there for torch.amp): autocast on CUDA and
    the GradScaler (mlopt/amp.py)."""

    @staticmethod
    def autocast(enabled=True, dtype=None, cache_enabled=True):
        from . import amp as _amp
        from . import _dtype as dt
        return _amp.autocast("cuda", dt.float16 if dtype is None else dtype, enabled)

    @staticmethod
    def GradScaler(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                   growth_interval=2000, enabled=True):
        from . import amp as _amp
        return _amp.GradScaler("cuda", init_scale, growth_factor, backoff_factor,
                               growth_interval, enabled)
