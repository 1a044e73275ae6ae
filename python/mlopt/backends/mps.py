"""torch.backends.mps: no Metal backend in mlopt."""


def is_available():
    return False


def is_built():
    return False
