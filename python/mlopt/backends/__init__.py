"""mlopt.backends: torch.backends' switches, so scripts that set them run.

mlopt has no cuDNN, MPS, oneDNN or MKL: their `is_available()` is False and
their flags are recorded without effect (convolutions are mlopt's own
kernels; float32 matmuls never use TF32). `cuda.matmul.allow_tf32` is tied
to `mlopt.set_float32_matmul_precision`, as in PyTorch.
"""

from . import cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401
