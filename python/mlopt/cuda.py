"""mlopt.cuda: the CUDA backend is not available yet."""


def is_available():
    return False


def device_count():
    return 0


def synchronize():
    raise RuntimeError("Torch not compiled with CUDA enabled: mlopt's CUDA backend is not "
                       "available yet")
