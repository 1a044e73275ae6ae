"""repr of tensors in PyTorch's style."""

import sys

import numpy as np

from . import _dtype as dt

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": None,
             "sci_mode": None}
_PROFILES = {"default": {"precision": 4, "threshold": 1000, "edgeitems": 3},
             "short": {"precision": 2, "threshold": 1000, "edgeitems": 2},
             "full": {"precision": 4, "threshold": float("inf"), "edgeitems": 3}}
PRINT_OPTS = dict(_DEFAULTS)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """torch.set_printoptions: digits after the point, the element count
    past which a tensor is summarized, the items kept at each edge, the line
    width, a profile ('default', 'short', 'full') and scientific notation
    (True, False or None: automatic)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Unknown profile {profile!r}")
        PRINT_OPTS.update(_DEFAULTS, **_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTS[name] = value
    PRINT_OPTS["sci_mode"] = sci_mode


def format_tensor(t):
    opts = PRINT_OPTS
    digits = int(opts["precision"])
    values = np.asarray(t.__array__())
    if t.dtype.is_floating_point:
        wide = values.astype(np.float64)
        finite = wide[np.isfinite(wide)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        large = finite.size > 0 and (np.max(np.abs(finite)) >= 1e8 or
                                     0 < np.min(np.abs(finite[finite != 0]), initial=1) < 1e-4)
        if opts["sci_mode"] is not None:
            large = bool(opts["sci_mode"])

        def text(x):
            if not np.isfinite(x):
                return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
            if large:
                return f"{x:.{digits}e}"
            return f"{x:.0f}." if integral else f"{x:.{digits}f}"
        strings = [text(float(x)) for x in wide.ravel()]
    elif t.dtype is dt.bool_:
        strings = ["True" if x else "False" for x in values.ravel()]
    else:
        strings = [str(int(x)) for x in values.ravel()]
    # Elements padded to one width, as PyTorch prints them; like PyTorch, the
    # width comes from finite values (nan and inf do not widen the others).
    if t.dtype.is_floating_point:
        finite_strings = [x for x, v in zip(strings, wide.ravel()) if np.isfinite(v)]
    else:
        finite_strings = strings
    width = max((len(x) for x in finite_strings), default=0)
    padded = np.array([x.rjust(width) for x in strings], dtype=object).reshape(values.shape)
    threshold = opts["threshold"]
    threshold = sys.maxsize if threshold == float("inf") else int(threshold)
    layout = {} if opts["linewidth"] is None else {"max_line_width": int(opts["linewidth"])}
    body = np.array2string(padded, separator=", ", prefix="tensor(",
                           formatter={"object": str}, threshold=threshold,
                           edgeitems=int(opts["edgeitems"]), **layout)
    suffix = ["device='cuda:0'"] if t.is_cuda else []
    if t.dtype not in (dt.get_default_dtype(), dt.int64, dt.bool_):
        suffix.append(f"dtype={t.dtype}")
    if t.numel() == 0 and t.ndim != 1:
        suffix.insert(0, f"size={tuple(t.shape)}")
        body = "[]"
    if t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
