"""torch.backends.openmp: compiled loops run on OpenMP (libomp)."""


def is_available():
    return True
