"""repr of tensors in PyTorch's style."""

import numpy as np

from . import _dtype as dt



def format_tensor(t):
    values = np.asarray(t.__array__())
    floating = t.dtype.is_floating_point
    if floating:
        finite = values[np.isfinite(values)] if values.size else values
        integral = finite.size == 0 or np.all(finite == np.round(finite))
        large = finite.size and np.max(np.abs(finite)) >= 1e8

        def fmt(x):
            if not np.isfinite(x):
                return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
            if large:
                return f"{x:.4e}"
            return f"{x:.0f}." if integral else f"{x:.4f}"
        formatter = {"float_kind": fmt}
    else:
        formatter = {"bool": lambda b: "True" if b else "False"}
    body = np.array2string(values, separator=", ", prefix="tensor(", formatter=formatter,
                           threshold=1000, edgeitems=3)
    suffix = []
    default_float = dt.get_default_dtype()
    if t.dtype not in (default_float, dt.int64, dt.bool_):
        suffix.append(f"dtype={t.dtype}")
    if t.numel() == 0 and t.ndim != 1:
        suffix.insert(0, f"size={tuple(t.shape)}")
        body = "[]"
    if t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
