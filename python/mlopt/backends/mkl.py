"""torch.backends.mkl: mlopt uses OpenBLAS, not MKL."""


def is_available():
    return False
