"""torch.backends.mkldnn: mlopt does not use oneDNN (its CPU kernels are its
own compiled code and OpenBLAS)."""

enabled = True
deterministic = False


def is_available():
    return False
