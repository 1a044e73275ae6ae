"""mlopt dtypes and PyTorch's type promotion."""

import numpy as np


class dtype:
    """An element type, named as in PyTorch (mlopt.float32, ...)."""

    def __init__(self, name, mlir, numpy_dtype, itemsize, category):
        self._name = name
        self.mlir = mlir              # the MLIR element type: "f32"
        self.numpy = numpy_dtype      # the NumPy dtype, or None (bfloat16)
        self.itemsize = itemsize
        self.category = category      # 0 bool, 1 integer, 2 floating point

    @property
    def is_floating_point(self):
        return self.category == 2

    def __repr__(self):
        return f"mlopt.{self._name}"

    def __reduce__(self):
        return self._name


bool_ = dtype("bool", "i1", np.dtype(np.bool_), 1, 0)
int32 = dtype("int32", "i32", np.dtype(np.int32), 4, 1)
int64 = dtype("int64", "i64", np.dtype(np.int64), 8, 1)
float16 = dtype("float16", "f16", np.dtype(np.float16), 2, 2)
bfloat16 = dtype("bfloat16", "bf16", None, 2, 2)
float32 = dtype("float32", "f32", np.dtype(np.float32), 4, 2)
float64 = dtype("float64", "f64", np.dtype(np.float64), 8, 2)

ALL = (bool_, int32, int64, float16, bfloat16, float32, float64)
BY_MLIR = {d.mlir: d for d in ALL}
# Order within a category, for promotion.
_RANK = {bool_: 0, int32: 1, int64: 2, float16: 3, bfloat16: 3, float32: 4, float64: 5}

_default_float = float32


_PYTHON_TYPES = {float: float64, int: int64, bool: bool_}  # as PyTorch's dtype=float


def as_dtype(value, what="dtype"):
    """An mlopt dtype from a dtype argument (Python's float, int and bool as
    PyTorch takes them); anything else raises TypeError naming it."""
    if isinstance(value, dtype):
        return value
    if value in _PYTHON_TYPES:
        return _PYTHON_TYPES[value]
    raise TypeError(f"argument '{what}' must be mlopt.dtype, not "
                    f"{getattr(value, '__name__', type(value).__name__)}")


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float
    if d not in (float32, float64):
        raise TypeError("only float32 and float64 can be the default dtype")
    _default_float = d


def from_numpy_dtype(np_dtype):
    np_dtype = np.dtype(np_dtype)
    for d in ALL:
        if d.numpy is not None and d.numpy == np_dtype:
            return d
    raise TypeError(f"mlopt has no dtype for NumPy's {np_dtype} "
                    "(supported: float16/32/64, int32/64, bool)")


def promote_types(a, b):
    """torch.promote_types: the smallest dtype both convert to without loss of kind."""
    if a is b:
        return a
    if {a, b} == {float16, bfloat16}:
        return float32
    return a if _RANK[a] >= _RANK[b] else b


def scalar_dtype(value):
    """The dtype PyTorch gives a Python scalar on its own."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return _default_float
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


_Tensor = None
_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2}  # Python scalar types: their dtype category


def result_type(*operands):
    """torch.result_type for tensors and Python scalars: the highest category
    wins; within it, dimensioned tensors decide over 0-d tensors, which decide
    over Python scalars (whose default dtype is used only if alone)."""
    global _Tensor
    if _Tensor is None:
        from ._tensor import Tensor as _Tensor
    first = operands[0]
    if isinstance(first, _Tensor):
        d = first.dtype
        if len(operands) == 2:  # (the common case, without a generator)
            second = operands[1]
            if isinstance(second, _Tensor) and second.dtype is d:
                return d
        elif all(isinstance(x, _Tensor) and x.dtype is d for x in operands):
            return d  # one dtype throughout
    if len(operands) == 2:  # a tensor and a Python scalar, either order
        t, s = operands if isinstance(first, _Tensor) else operands[::-1]
        c = _SCALAR_CATEGORY.get(type(s))
        if c is not None and isinstance(t, _Tensor):
            d = t.dtype
            return d if c <= d.category else _default_float if c == 2 else int64
    groups = {0: [], 1: [], 2: []}  # priority -> dtypes
    for x in operands:
        if isinstance(x, _Tensor):
            groups[2 if x.ndim > 0 else 1].append(x.dtype)
        else:
            groups[0].append(scalar_dtype(x))
    top = max(d.category for g in groups.values() for d in g)
    for priority in (2, 1, 0):
        candidates = [d for d in groups[priority] if d.category == top]
        if candidates:
            result = candidates[0]
            for d in candidates[1:]:
                result = promote_types(result, d)
            if priority == 0 and top == 2:
                return _default_float
            if priority == 0 and top == 1:
                return int64
            return result
    raise AssertionError("unreachable")
