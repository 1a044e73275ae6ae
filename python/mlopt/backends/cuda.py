"""torch.backends.cuda: matmul precision flags and the attention kernel
switches. mlopt's float32 matmuls always compute in full float32 (no TF32)
and its scaled_dot_product_attention is one composite, whatever is set."""

import contextlib

from .. import _C
from .. import _config


class _MatmulFlags:
    """torch.backends.cuda.matmul: allow_tf32 reads and sets
    mlopt.set_float32_matmul_precision ('high' when True), as PyTorch's."""

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self):
        return _config.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        _config.set_float32_matmul_precision("high" if value else "highest")


matmul = _MatmulFlags()
cufft_plan_cache = None


def is_built():
    """mlopt always has its CUDA backend (the driver is loaded at run time;
    mlopt.cuda.is_available() says whether a GPU can be used)."""
    return True


def is_available():
    return bool(_C.cuda_is_available())


_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled():
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def math_sdp_enabled():
    return _sdp["math"]


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled():
    return _sdp["cudnn"]


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
               enable_cudnn=True):
    saved = dict(_sdp)
    _sdp.update(flash=bool(enable_flash), math=bool(enable_math),
                mem_efficient=bool(enable_mem_efficient), cudnn=bool(enable_cudnn))
    try:
        yield
    finally:
        _sdp.update(saved)


def preferred_linalg_library(backend=None):
    return "default"
