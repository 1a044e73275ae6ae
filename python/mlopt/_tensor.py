"""mlopt.Tensor: eager tensors with PyTorch's names and semantics.

Views (reshape, transpose, slicing, expand, ...) share storage through
strides. Every computation runs one compiled mlopt kernel through the runtime
(mlopt._C.run): the same code generator `@mlopt.compile` uses.
"""

import builtins
import math
import weakref

import numpy as np

from . import _C
from . import _dtype as dt


def _shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _row_major(shape):
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= s
    return tuple(reversed(strides))


def _view_strides(shape, strides, new_shape):
    """Strides that view a tensor of `shape` and `strides` as `new_shape`
    without a copy, or None (PyTorch's computeStride): each run of dims that
    is contiguous within itself must map onto whole dims of the new shape."""
    if math.prod(shape) == 0 or not shape:
        return _row_major(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base, tensor_numel, view_numel = strides[-1], 1, 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base, tensor_numel, view_numel = strides[d - 1], 1, 1
    return new_strides if view_d == -1 else None


def _norm_dim(dim, ndim, allow_end=False):
    limit = ndim + 1 if allow_end else ndim
    if limit == 0 and dim in (0, -1):
        return 0  # a 0-d tensor accepts dim 0 / -1, as in PyTorch
    if not -limit <= dim < limit:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-builtins.max(limit, 1)}, {builtins.max(limit, 1) - 1}], "
                         f"but got {dim})")
    return dim % limit if limit else 0


def _dims_arg(dim, ndim):
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    if ndim == 0:
        for d in dims:
            _norm_dim(d, 0)  # only 0 and -1 are valid
        return []
    out = sorted({_norm_dim(d, ndim) for d in dims})
    if len(out) != len(dims):
        raise RuntimeError("dim appears multiple times in the list of dims")
    return out


def broadcast_shapes(*shapes):
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, size in enumerate(s):
            j = ndim - len(s) + i
            if out[j] == 1:
                out[j] = size
            elif size != 1 and size != out[j]:
                raise RuntimeError(
                    "The size of tensors do not match: shapes "
                    + " and ".join(_shape_str(x) for x in shapes)
                    + f" cannot be broadcast together (dim {j})")
    return tuple(out)


class Tensor:
    __array_priority__ = 1000  # NumPy defers to our operators
    # Autograd state (python/mlopt/_autograd.py): the node that computes this
    # tensor, its state number and earlier states (in-place updates), the
    # storage's version counter, the root of the storage it views and the
    # root's live views, and whether it is a detach()ed alias.
    _requires_grad = False
    _retains_grad = False  # a non-leaf whose .grad backward() sets
    _node = None
    _ver = 0
    _hist = None
    _vc = None
    _vbase = None
    _vviews = None
    _detached = None

    def __init__(self, buffer=None, *sizes, requires_grad=False):
        if type(buffer) is not _C.Buffer:  # PyTorch's legacy constructor
            buffer = _legacy_tensor(dt.float32, (buffer,) + sizes)._buf
        self._buf = buffer
        if requires_grad:
            self.requires_grad = True
        self._grad = None

    # ---- properties -------------------------------------------------------
    @property
    def shape(self):
        return Size(self._buf.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[_norm_dim(dim, self.ndim)]

    @property
    def ndim(self):
        return len(self._buf.shape)

    def dim(self):
        return self.ndim

    def numel(self):
        return math.prod(self._buf.shape)

    def stride(self, dim=None):
        s = tuple(self._buf.strides)
        return s if dim is None else s[_norm_dim(dim, self.ndim)]

    @property
    def dtype(self):
        return dt.BY_MLIR[self._buf.dtype]

    @property
    def device(self):
        kind = _device_kind(self)
        return device(kind, 0 if kind == "cuda" else None)

    @property
    def is_cuda(self):
        return _device_kind(self) == "cuda"

    def is_contiguous(self):
        """Row-major up to size-1 dims (whose strides do not matter) and the
        storage offset, as in PyTorch."""
        expected = 1
        for size, stride in zip(reversed(self._buf.shape), reversed(self._buf.strides)):
            if size == 0:
                return True
            if size != 1 and stride != expected:
                return False
            expected *= size
        return True

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def data_ptr(self):
        return self._buf.data_ptr

    def element_size(self):
        return self.dtype.itemsize

    # ---- conversion to Python and NumPy ------------------------------------
    def numpy(self):
        if self.dtype is dt.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._buf.numpy()

    def __array__(self, dtype=None, copy=None):
        t = self.cpu()  # printing, item() and tolist() read CUDA tensors through the host
        a = t.to(dt.float32).numpy() if t.dtype is dt.bfloat16 else t.numpy()
        return a if dtype is None else a.astype(dtype)

    def tolist(self):
        return self.__array__().tolist()

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted "
                               "to Scalar")
        return self.__array__().reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} elements "
                               "is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self.dtype.category != 1 or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be "
                            "converted to an index")
        return int(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self):
        from ._format import format_tensor
        return format_tensor(self)

    def __format__(self, spec):
        # As PyTorch: f"{loss:.4f}" and f"{loss}" format a 0-d tensor's number.
        if self.ndim == 0:  # (f"{t}" too: PyTorch prints the number)
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __dlpack__(self, stream=None):
        return self.numpy().__dlpack__()

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU

    # ---- dtype conversion ---------------------------------------------------
    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        for a in args:
            if isinstance(a, (str, globals()["device"])):
                device = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif not isinstance(a, bool):  # (positional non_blocking, copy)
                dtype = dt.as_dtype(a)
        out = self if dtype is None else _convert(self, dt.as_dtype(dtype))
        kind = _check_device(device) if device is not None else _device_kind(out)
        if kind != _device_kind(out):
            return _move(out, kind)
        return out.clone() if copy and out is self else out

    def type(self, dtype):
        return self.to(dtype)

    def float(self):
        return self.to(dt.float32)

    def double(self):
        return self.to(dt.float64)

    def half(self):
        return self.to(dt.float16)

    def bfloat16(self):
        return self.to(dt.bfloat16)

    def long(self):
        return self.to(dt.int64)

    def int(self):
        return self.to(dt.int32)

    def bool(self):
        return self.to(dt.bool_)

    def cpu(self):
        return self if _device_kind(self) == "cpu" else _move(self, "cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda")

    def clone(self):
        return _raw_clone(self)

    def contiguous(self):
        return self if self.is_contiguous() else self.clone()

    # The view steps tracing records (_compile._Traced), on real tensors:
    # a compiled call rebuilds an output that views an input with them.
    def _reshaped(self, shape):
        return self.reshape(shape)

    def _stopped(self):
        return self.detach()

    def detach(self):
        tracer = _compile._active()
        if tracer is not None:  # a captured tensor: its value at this point of the trace
            return tracer.lift(self).detach()
        out = Tensor(self._buf)
        # Shares memory and version counter; updates through it are not
        # recorded (_autograd.inplace).
        # (a weak reference: a detached tensor does not keep the graph alive)
        out._vc = _autograd.counter(self)
        out._detached = weakref.ref(self._vbase if self._vbase is not None else self)
        return out

    @property
    def data(self):
        """The values without autograd, sharing storage (as PyTorch's)."""
        return self.detach()

    @data.setter
    def data(self, value):
        """Gives this tensor `value`'s storage (its shape, dtype and device
        too), keeping the object: `p.data = p.data.to("cuda")`."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        if _compile._active() is not None:
            raise RuntimeError("assigning .data inside mlopt.compile is not supported")
        self._buf = value._buf
        # A storage of its own: no version counter, base or views of the old one.
        for name in ("_ver", "_hist", "_vc", "_vbase", "_vviews", "_detached"):
            self.__dict__.pop(name, None)

    # ---- autograd (python/mlopt/_autograd.py) --------------------------------
    @property
    def grad(self):
        g = self._grad
        tracer = _compile._active()
        # Read inside @compile: an input of the trace read on every call, not
        # the tensor of this moment (a later call sees the .grad of its time).
        # (Once the traced function assigned it, what it assigned.)
        if tracer is not None and not isinstance(self, _compile._Traced) \
                and id(self) not in tracer.grads:
            return tracer.read_grad(self)
        return g

    @grad.setter
    def grad(self, value):
        if isinstance(value, Tensor) and type(self) is Tensor and type(value) is Tensor \
                and value._buf.shape != self._buf.shape:
            raise RuntimeError(f"assigned grad has data of a different size: "
                               f"{list(value.shape)} for a tensor of size {list(self.shape)}")
        tracer = _compile._active()
        if tracer is not None and not isinstance(self, _compile._Traced):
            tracer.write_grad(self)  # the compiled call sets it; restored after tracing
        self._grad = value

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        _autograd.backward(self, gradient, retain_graph, create_graph)

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if not requires_grad and self._node is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        self.requires_grad = bool(requires_grad)
        return self

    def register_hook(self, hook):
        """hook(grad) runs when backward() reaches this tensor's gradient; a
        returned tensor replaces it (_autograd.register_hook)."""
        if isinstance(self, _compile._Traced):
            raise _compile.GraphBreak("Tensor.register_hook (a Python call during backward)")
        return _autograd.register_hook(self, hook)

    def retain_grad(self):
        """After backward(), this non-leaf's .grad holds its gradient too."""
        if isinstance(self, _compile._Traced):
            return  # traced: gradients are values of the trace (mlopt.grad)
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None:
            self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def _version(self):
        """The storage's version counter: in-place updates bump it."""
        return _autograd._version(self)

    # ---- views ----------------------------------------------------------------
    def _view(self, shape, strides, offset=None):
        return Tensor(self._buf.view(list(shape), list(strides),
                                     self._buf.offset if offset is None else offset))

    def view(self, *shape):
        shape = _infer_shape(_shape_args(shape), self.numel())
        strides = _view_strides(tuple(self.shape), self.stride(), shape)
        if strides is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least "
                "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.")
        return self._view(shape, strides)

    def reshape(self, *shape):
        """A view where one is possible (as view()), else a copy, as PyTorch."""
        shape = _infer_shape(_shape_args(shape), self.numel())
        strides = _view_strides(tuple(self.shape), self.stride(), shape)
        if strides is None:
            return self.clone()._view(shape, _row_major(shape))  # (not contiguous: a copy)
        return self._view(shape, strides)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _norm_dim(start_dim, self.ndim), _norm_dim(end_dim, self.ndim)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:]
        return self.reshape(shape)

    def permute(self, *dims):
        dims = [_norm_dim(d, self.ndim) for d in _shape_args(dims)]
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(): dims {dims} are not a permutation of "
                               f"{self.ndim} dims")
        return self._view([self.shape[d] for d in dims], [self.stride()[d] for d in dims])

    def transpose(self, dim0, dim1):
        perm = list(range(self.ndim))
        if self.ndim == 0:
            return self
        a, b = _norm_dim(dim0, self.ndim), _norm_dim(dim1, self.ndim)
        perm[a], perm[b] = perm[b], perm[a]
        return self.permute(perm)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        return self.permute(list(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of "
                               f"matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def unsqueeze(self, dim):
        d = _norm_dim(dim, self.ndim, allow_end=True)
        shape, strides = list(self.shape), list(self.stride())
        inner = strides[d] * shape[d] if d < self.ndim else 1
        shape.insert(d, 1)
        strides.insert(d, inner)
        return self._view(shape, strides)

    def squeeze(self, dim=None):
        dims = range(self.ndim) if dim is None else _dims_arg(dim, self.ndim)
        keep = [i for i in range(self.ndim) if not (i in dims and self.shape[i] == 1)]
        return self._view([self.shape[i] for i in keep], [self.stride()[i] for i in keep])

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               f"greater or equal to the number of dimensions ({self.ndim})")
        lead = len(sizes) - self.ndim
        shape, strides = [], []
        for i, size in enumerate(sizes):
            if i < lead:
                if size < 0:
                    raise RuntimeError("expand: -1 is not allowed in a leading, new dim")
                shape.append(size)
                strides.append(0)
                continue
            own, stride = self.shape[i - lead], self.stride()[i - lead]
            if size == -1 or size == own:
                shape.append(own)
                strides.append(stride)
            elif own == 1:
                shape.append(size)
                strides.append(0)
            else:
                raise RuntimeError(
                    f"The expanded size of the tensor ({size}) must match the existing size "
                    f"({own}) at non-singleton dimension {i}.  Target sizes: "
                    f"{_shape_str(sizes)}.  Tensor sizes: {_shape_str(self.shape)}")
        return self._view(shape, strides)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    # ---- indexing -------------------------------------------------------------
    def __getitem__(self, index):
        tracer = _compile._active()
        if tracer is not None and builtins.any(
                isinstance(i, _compile._Traced)
                for i in (index if isinstance(index, tuple) else (index,))):
            return tracer.lift(self)[index]  # a captured tensor indexed by a traced one
        from ._indexing import getitem
        return getitem(self, index)

    def __setitem__(self, index, value):
        tracer = _compile._active()
        if tracer is not None:  # a captured tensor assigned to inside @compile
            tracer.lift(self)[index] = value
            return
        from ._indexing import setitem
        setitem(self, index, value)

    # ---- arithmetic -------------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __floordiv__(self, other):
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        return floor_divide(other, self)

    def __mod__(self, other):
        return remainder(self, other)

    def __rmod__(self, other):
        return remainder(other, self)

    def __pow__(self, other):
        return pow(self, other)

    def __rpow__(self, other):
        return pow(other, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return abs(self)

    def __invert__(self):
        return bitwise_not(self)

    def __and__(self, other):
        return _logical("mlopt.and", self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _logical("mlopt.or", self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _logical("mlopt.xor", self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        return eq(self, other)

    def __ne__(self, other):
        return ne(self, other)

    def __lt__(self, other):
        return lt(self, other)

    def __le__(self, other):
        return le(self, other)

    def __gt__(self, other):
        return gt(self, other)

    def __ge__(self, other):
        return ge(self, other)

    __hash__ = object.__hash__

    # ---- in-place -------------------------------------------------------------
    def _assign(self, value, check_cast=True, since=None):
        """Writes `value` (broadcast, converted) into this tensor's memory.
        In-place arithmetic may not lower the kind (float into int), as in
        PyTorch; copies (setitem, copy_, fill_) cast freely. Where autograd
        is involved the update is recorded (_autograd.inplace); `since`
        numbers the first node of the op that computed value from self."""
        tracer = _compile._active()
        if tracer is not None:  # a captured tensor updated inside @compile
            tracer.lift(self)._assign(value, check_cast)
            return self
        if isinstance(value, Tensor) and value.numel() > 1 and builtins.any(
                n > 1 and st == 0 for n, st in zip(self._buf.shape, self._buf.strides)):
            # (a fill writes one value to every alias, as PyTorch allows)
            raise RuntimeError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.")
        value = _as_tensor(value, self.dtype)
        if value.dtype is not self.dtype:
            if check_cast and value.dtype.category > self.dtype.category:
                raise RuntimeError(f"result type {value.dtype} can't be cast to the desired "
                                   f"output type {self.dtype}")
            value = _convert(value, self.dtype)
        value = value.expand(self.shape) if value.shape != self.shape else value
        if _autograd.needs_record(self, value):
            _autograd.inplace(self, value, since, lambda: _C.copy_into(value._buf, self._buf))
        else:
            _C.copy_into(value._buf, self._buf)
            _autograd.bump(self)
        return self

    def _inplace(self, compute, check_cast=True):
        """self = compute() (an op that reads self), in place."""
        if isinstance(self, _compile._Traced) or _compile._active() is not None:
            return self._assign(compute(), check_cast)
        since = _autograd.seq()
        return self._assign(compute(), check_cast, since)

    def copy_(self, src):
        if isinstance(self, _compile._Traced):
            return self._assign(_as_tensor(src), check_cast=False)
        return self._assign(_as_tensor(src), False, _autograd.seq())

    def fill_(self, value):
        return self._assign(full([], value, dtype=self.dtype), check_cast=False)

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, from_=0.0, to=1.0):
        return self.copy_((rand(*self.shape, device=self.device) * (to - from_) + from_)
                          .to(self.dtype))

    def normal_(self, mean=0.0, std=1.0):
        return self.copy_((randn(*self.shape, device=self.device) * std + mean).to(self.dtype))

    def add_(self, other, alpha=1):
        return self._inplace(lambda: add(self, other, alpha=alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(lambda: sub(self, other, alpha=alpha))

    def mul_(self, other):
        return self._inplace(lambda: mul(self, other))

    def div_(self, other):
        return self._inplace(lambda: div(self, other))

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda: clamp(self, min, max))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self._inplace(lambda: floor_divide(self, other))

    def __imod__(self, other):
        return self._inplace(lambda: remainder(self, other))

    def __ipow__(self, other):
        return self._inplace(lambda: pow(self, other))

    def __iand__(self, other):
        return self._inplace(lambda: bitwise_and(self, other))

    def __ior__(self, other):
        return self._inplace(lambda: bitwise_or(self, other))

    def __ixor__(self, other):
        return self._inplace(lambda: bitwise_xor(self, other))


class Size(tuple):
    """torch.Size: a tuple of dims."""

    def __repr__(self):
        return f"mlopt.Size([{', '.join(str(s) for s in self)}])"

    def numel(self):
        return math.prod(self)

    def __getitem__(self, key):
        out = super().__getitem__(key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    # Lengths first: dims are never compared across ranks (a dynamic dim
    # compared with a number would need its value).
    def __eq__(self, other):
        if isinstance(other, (tuple, list)) and len(other) != len(self):
            return False
        return tuple.__eq__(self, tuple(other)) if isinstance(other, list) \
            else tuple.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = tuple.__hash__


class device:
    def __init__(self, kind="cpu", index=None):
        if isinstance(kind, device):
            kind = kind.type
        self.type = str(kind).split(":")[0]
        self.index = index

    def __repr__(self):
        return f"device(type='{self.type}')"

    def __eq__(self, other):
        return str(self) == str(other) or (isinstance(other, device) and other.type == self.type)

    def __str__(self):
        return self.type

    def __hash__(self):
        return hash(self.type)


def _check_device(d):
    """The device kind ('cpu' or 'cuda') of a device argument; asking for
    CUDA without a usable GPU raises RuntimeError saying why."""
    kind = d.type if isinstance(d, device) else str(d).split(":")[0]
    if kind == "cuda":
        if not _C.cuda_is_available():
            raise RuntimeError("CUDA is not available: " + _C.cuda_unavailable_reason())
        index = d.index if isinstance(d, device) else (str(d).split(":") + [None])[1]
        if index not in (None, 0, "0"):
            raise RuntimeError(f"CUDA error: invalid device ordinal (cuda:{index}; mlopt "
                               f"uses device 0)")
        return kind
    if kind != "cpu":
        raise RuntimeError(f"Expected one of cpu, cuda device type at start of device "
                           f"string: {kind}")
    return kind


def _device_kind(t):
    """'cpu' or 'cuda'; a value being traced lives where the trace's inputs do."""
    if t._buf is not None:
        return t._buf.device
    tracer = _compile._active()
    return tracer.device if tracer is not None else "cpu"


def _move(t, kind):
    """A copy of `t` on `kind`; gradients flow back to `t`'s device."""
    out = Tensor(_C.to_device(t._buf, kind))
    if t.requires_grad and _compile._active() is None:
        _autograd.record(out, lambda x: _move(x, kind), (t,))
    return out


def _shape_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = args[0]
    # A dynamic dim (inside @compile) stays a symbol.
    return tuple(a if isinstance(a, _compile.SymDim) else builtins.int(a) for a in args)


def _legacy_tensor(dtype, args):
    """torch.Tensor(...) and torch.FloatTensor & co.: sizes give an
    uninitialized tensor of `dtype`, a sequence or array its values, nothing
    an empty one."""
    args = tuple(a for a in args if a is not None)
    if not args:
        return _empty((0,), dtype)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].to(dtype)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        if isinstance(args[0], Size):
            return _empty(tuple(args[0]), dtype)
        if isinstance(args[0], (tuple, list, np.ndarray)) or hasattr(args[0], "__array__"):
            return tensor(args[0], dtype=dtype)
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    if not builtins.all(isinstance(a, (int, np.integer)) for a in args):
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    return _empty(tuple(int(a) for a in args), dtype)


class _LegacyTensorType(type):
    """torch.FloatTensor & co.: calling one makes a tensor of its dtype
    (_legacy_tensor); isinstance checks the dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args):
        return _legacy_tensor(cls.dtype, args)


def _legacy_type(name, dtype):
    return _LegacyTensorType(name, (), {"dtype": dtype})


FloatTensor = _legacy_type("FloatTensor", dt.float32)
DoubleTensor = _legacy_type("DoubleTensor", dt.float64)
HalfTensor = _legacy_type("HalfTensor", dt.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", dt.bfloat16)
LongTensor = _legacy_type("LongTensor", dt.int64)
IntTensor = _legacy_type("IntTensor", dt.int32)
BoolTensor = _legacy_type("BoolTensor", dt.bool_)


_amp_module = None


def _amp():
    """mlopt.amp (imported on first use: it imports this module)."""
    global _amp_module
    if _amp_module is None:
        from . import amp
        _amp_module = amp
    return _amp_module


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_shape_str(shape)}' is invalid for input of size "
                               f"{numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if math.prod(shape) != numel or builtins.any(s < 0 for s in shape):
        raise RuntimeError(f"shape '{_shape_str(shape)}' is invalid for input of size {numel}")
    return shape


# ---- kernels ----------------------------------------------------------------------

def _run(op, inputs, attrs=None, result_dtype=None):
    tracer = _compile._active()
    if tracer is not None:
        return tracer.record(op, inputs, attrs, result_dtype)
    buffers = [t._buf for t in inputs]
    out = Tensor(_C.run(op, buffers, attrs or {}, result_dtype.mlir if result_dtype else "")[0])
    # A kernel that folded to its input returns it: results never alias inputs.
    for b in buffers:
        if out._buf.same_storage(b):
            out = Tensor(out._buf).clone()
            break
    for t in inputs:
        if t.requires_grad:  # the replay closure only then
            _autograd.record(out, lambda *ins: _run(op, list(ins), attrs, result_dtype),
                             tuple(inputs), op)
            break
    return out


def _empty(shape, dtype, device="cpu"):
    return Tensor(_C.empty(list(shape), dtype.mlir, device))


def _raw_clone(t):
    """A copy of t's memory: no autograd."""
    out = _empty(t.shape, t.dtype, t._buf.device)
    _C.copy_into(t._buf, out._buf)
    return out


def _convert(t, dtype):
    if t.dtype is dtype:
        return t
    return _run("mlopt.convert", [t], result_dtype=dtype)


def _as_tensor(x, dtype=None):
    if isinstance(x, Tensor):
        return x
    if dtype is None:
        dtype = dt.scalar_dtype(x) if np.isscalar(x) else None
    tracer = _compile._active()
    if tracer is not None and dtype is not None and isinstance(x, (int, float, bool, np.generic)):
        return tracer.scalar(x, dtype)  # a constant in the trace, not a captured input
    return tensor(x, dtype=dtype)


_SCALAR_TYPES = (bool, int, float)


def _broadcast(*tensors):
    tracer = _compile._active()
    if tracer is not None:  # broadcast inside the trace, not as a captured view
        tensors = [tracer.lift(t) for t in tensors]
    first = tensors[0].shape
    if builtins.all(t.shape == first for t in tensors):
        return list(tensors)
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return [t if t.shape == shape else t.expand(shape) for t in tensors]


_SCALARS = {}  # (value key, dtype) -> a 0-d tensor of it, for eager ops with scalars


def _scalar_operand(x, dtype, shape):
    """Eager: Python scalar x as a tensor of `shape` (a stride-0 view of a
    cached 0-d tensor, which nothing writes: results never alias inputs)."""
    key = (x.hex() if type(x) is float else x, type(x), dtype)  # -0.0 and NaN apart
    base = _SCALARS.get(key)
    if base is None:
        if len(_SCALARS) >= 1024:
            _SCALARS.clear()
        with np.errstate(over="ignore"):  # (a scalar too big for its dtype is inf)
            base = _SCALARS[key] = _convert(tensor(x, dtype=dtype), dtype)
    return base._view(shape, [0] * len(shape), 0)


def _elementwise(op, operands, compute_dtype):
    """Converts operands to compute_dtype, broadcasts, runs `op`."""
    if len(operands) == 2 and _compile._active() is None:
        a, b = operands
        if type(a) is Tensor and type(b) is Tensor:  # the common case: nothing to do
            ba, bb = a._buf, b._buf
            if ba.dtype == bb.dtype == compute_dtype.mlir and ba.shape == bb.shape:
                return _run(op, [a, b])
        elif isinstance(a, Tensor) and a.dtype is compute_dtype and type(b) in _SCALAR_TYPES:
            return _run(op, [a, _scalar_operand(b, compute_dtype, a.shape)])
        if isinstance(b, Tensor) and b.dtype is compute_dtype and type(a) in _SCALAR_TYPES:
            return _run(op, [_scalar_operand(a, compute_dtype, b.shape), b])
    tensors = [x if isinstance(x, Tensor) and x.dtype is compute_dtype
               else _convert(_as_tensor(x, compute_dtype), compute_dtype) for x in operands]
    return _run(op, _broadcast(*tensors))


def _arith(op, a, b, ctype=None):
    ctype = ctype or dt.result_type(a, b)
    if ctype is dt.bool_:
        raise RuntimeError(f"{op[6:]}: not supported for bool tensors; use logical ops")
    if ctype in (dt.float16, dt.bfloat16) and (type(a) in _SCALAR_TYPES or
                                               type(b) in _SCALAR_TYPES):
        # PyTorch computes a reduced float with a Python scalar in float32 and
        # rounds once: half(1e-3) * 1e5 is 100, not half(1e5) = inf times it.
        return _convert(_elementwise(op, [a, b], dt.float32), ctype)
    return _elementwise(op, [a, b], ctype)


def add(input, other, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    ctype = dt.result_type(input, other)
    if ctype is dt.bool_:
        return _logical("mlopt.or", input, other)
    return _arith("mlopt.add", input, other, ctype)


def sub(input, other, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    ctype = dt.result_type(input, other)
    if builtins.any(isinstance(x, Tensor) and x.dtype is dt.bool_ for x in (input, other)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    return _arith("mlopt.sub", input, other, ctype)


def mul(input, other):
    ctype = dt.result_type(input, other)
    if ctype is dt.bool_:
        return _logical("mlopt.and", input, other)
    return _arith("mlopt.mul", input, other, ctype)


def div(input, other, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(input, other)
    ctype = dt.result_type(input, other)
    if rounding_mode == "trunc":
        if ctype.category == 2:
            return trunc(div(input, other))
        _check_int_divisor(ctype, other)
        return _elementwise("mlopt.div", [input, other], ctype)
    if ctype.category < 2:
        ctype = dt.get_default_dtype()  # true division
    return _elementwise("mlopt.div", [input, other], ctype)


true_divide = divide = div


def _check_int_divisor(ctype, divisor):
    """Integer division by zero raises, as in PyTorch (compiled code cannot)."""
    if ctype.category < 2:
        if not isinstance(divisor, Tensor):
            if np.any(np.asarray(divisor) == 0):
                raise RuntimeError("ZeroDivisionError")
            return
        if divisor.numel() and not np.all(np.asarray(divisor.__array__()) != 0):
            raise RuntimeError("ZeroDivisionError")


def floor_divide(input, other):
    ctype = dt.result_type(input, other)
    _check_int_divisor(ctype, other)
    return _arith("mlopt.floor_div", input, other, ctype)


def remainder(input, other):
    ctype = dt.result_type(input, other)
    _check_int_divisor(ctype, other)
    return _arith("mlopt.remainder", input, other, ctype)


def pow(input, exponent):
    ctype = dt.result_type(input, exponent)
    if ctype.category == 1:
        e = _as_tensor(exponent)
        if e.numel() and np.any(np.asarray(e.__array__()) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _arith("mlopt.pow", input, exponent, ctype)


def maximum(input, other):
    return _arith("mlopt.maximum", input, other)


def minimum(input, other):
    return _arith("mlopt.minimum", input, other)


def atan2(input, other):
    ctype = dt.result_type(input, other)
    if ctype.category < 2:
        ctype = dt.get_default_dtype()
    return _elementwise("mlopt.atan2", [input, other], ctype)


def _compare(op, a, b):
    return _elementwise(op, [a, b], dt.result_type(a, b))


def eq(a, b):
    return _compare("mlopt.eq", a, b)


def ne(a, b):
    return _compare("mlopt.ne", a, b)


def lt(a, b):
    return _compare("mlopt.lt", a, b)


def le(a, b):
    return _compare("mlopt.le", a, b)


def gt(a, b):
    return _compare("mlopt.gt", a, b)


def ge(a, b):
    return _compare("mlopt.ge", a, b)


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def _to_bool(x):
    x = _as_tensor(x)
    return x if x.dtype is dt.bool_ else ne(x, 0)


def _logical(op, a, b):
    """&, |, ^: logical on bools, bitwise on integers (PyTorch's promotion)."""
    ctype = dt.result_type(a, b)
    if ctype.is_floating_point:
        raise TypeError(f"{op[6:]} (bitwise) is only supported for integer and bool "
                        f"tensors, got {ctype}")
    return _elementwise(op, [a, b], ctype)


def logical_and(a, b):
    return _run("mlopt.and", _broadcast(_to_bool(a), _to_bool(b)))


def logical_or(a, b):
    return _run("mlopt.or", _broadcast(_to_bool(a), _to_bool(b)))


def logical_xor(a, b):
    return _run("mlopt.xor", _broadcast(_to_bool(a), _to_bool(b)))


def bitwise_and(a, b):
    return _logical("mlopt.and", a, b)


def bitwise_or(a, b):
    return _logical("mlopt.or", a, b)


def bitwise_xor(a, b):
    return _logical("mlopt.xor", a, b)


def bitwise_not(a):
    if a.dtype.is_floating_point:
        raise TypeError(f"~ (bitwise not) is only supported for integer and bool tensors, "
                        f"got {a.dtype}")
    return _run("mlopt.not", [a])


def logical_not(a):
    return _run("mlopt.not", [_to_bool(a)])


def where(condition, input, other):
    ctype = dt.result_type(input, other)
    cond = _as_tensor(condition)
    if cond.dtype is not dt.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {cond.dtype}")
    scalars = _compile._active() is None  # eager: Python scalars as cached 0-d tensors
    x, y = (v if scalars and type(v) in _SCALAR_TYPES else _convert(_as_tensor(v, ctype), ctype)
            for v in (input, other))
    if type(x) in _SCALAR_TYPES or type(y) in _SCALAR_TYPES:
        shape = broadcast_shapes(*(t.shape for t in (cond, x, y) if isinstance(t, Tensor)))
        x, y = (_scalar_operand(v, ctype, shape) if type(v) in _SCALAR_TYPES else v
                for v in (x, y))
    cond, x, y = _broadcast(cond, x, y)
    return _run("mlopt.select", [cond, x, y])


def _unary(op, x, float_only=True):
    x = _as_tensor(x)
    if float_only and x.dtype.category < 2:
        x = _convert(x, dt.get_default_dtype())
    elif not float_only and x.dtype is dt.bool_:
        raise RuntimeError(f"{op[6:]}: not supported for bool tensors")
    return _run(op, [x])


def neg(x):
    return _unary("mlopt.neg", x, float_only=False)


negative = neg


def abs(x):
    return _unary("mlopt.abs", x, float_only=False)


def sign(x):
    x = _as_tensor(x)
    return x.clone() if x.dtype is dt.bool_ else _run("mlopt.sign", [x])


def _make_unary(name, op):
    def fn(x):
        return _unary(op, x)
    fn.__name__ = name
    return fn


exp = _make_unary("exp", "mlopt.exp")
log = _make_unary("log", "mlopt.log")
log1p = _make_unary("log1p", "mlopt.log1p")
expm1 = _make_unary("expm1", "mlopt.expm1")
sqrt = _make_unary("sqrt", "mlopt.sqrt")
rsqrt = _make_unary("rsqrt", "mlopt.rsqrt")
sin = _make_unary("sin", "mlopt.sin")
cos = _make_unary("cos", "mlopt.cos")
tanh = _make_unary("tanh", "mlopt.tanh")
sigmoid = _make_unary("sigmoid", "mlopt.sigmoid")
erf = _make_unary("erf", "mlopt.erf")


def _rounding(op, x):
    x = _as_tensor(x)
    return x.clone() if x.dtype.category < 2 else _run(op, [x])


def floor(x):
    return _rounding("mlopt.floor", x)


def ceil(x):
    return _rounding("mlopt.ceil", x)


def round(x, decimals=0):
    if decimals:
        scale = 10.0 ** decimals
        return div(_rounding("mlopt.round", mul(x, scale)), scale)
    return _rounding("mlopt.round", x)


def trunc(x):
    x = _as_tensor(x)
    if x.dtype.category < 2:
        return x.clone()
    return where(lt(x, 0), ceil(x), floor(x))


def isnan(x):
    x = _as_tensor(x)
    if x.dtype.category < 2:
        return zeros_like(x, dtype=dt.bool_)
    return _run("mlopt.isnan", [x])


def isinf(x):
    x = _as_tensor(x)
    return eq(abs(x), math.inf) if x.dtype.category == 2 else zeros_like(x, dtype=dt.bool_)


def isfinite(x):
    return logical_not(logical_or(isnan(x), isinf(x)))


def clamp(input, min=None, max=None):
    # Selects, not maximum/minimum (whose ties split the gradient): the
    # gradient passes where min < x < max, bounds excluded, as PyTorch's
    # (2.15; older versions included them); NaN stays NaN and min > max
    # gives max.
    out = _as_tensor(input)
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if min is not None:
        out = where(le(out, min), min, out)
    if max is not None:
        out = where(ge(out, max), max, out)
    return out


clip = clamp


def square(x):
    return mul(x, x)


def reciprocal(x):
    return div(1, x)


# ---- reductions -----------------------------------------------------------------

def _reduce(op, x, dim, keepdim):
    dims = _dims_arg(dim, x.ndim)
    return _run(op, [x], {"dims": dims, "keepdim": bool(keepdim)})


def sum(input, dim=None, keepdim=False, dtype=None):
    x = _as_tensor(input)
    target = dt.as_dtype(dtype) if dtype is not None else (
        dt.int64 if x.dtype.category < 2 else x.dtype)
    x = _convert(x, target)
    if x.dtype.is_floating_point:
        dims = _dims_arg(dim, x.ndim)
        runs = _summed_runs(x.shape, dims)
        if runs is not None:
            for run in reversed(runs):
                x = _reduce("mlopt.sum", x, run, True)
            return x.reshape([1 if d in dims else n for d, n in enumerate(x.shape)] if keepdim
                             else [n for d, n in enumerate(x.shape) if d not in dims])
    return _reduce("mlopt.sum", x, dim, keepdim)


def _summed_runs(shape, dims):
    """A float sum over dims that are apart, as runs of adjacent dims (size-1
    dims joined in) to sum one by one, innermost first; None where the dims
    are one run already. One reduction over dims apart adds every element
    into one accumulator (3.5e-4 off for BatchNorm2d's dims (0, 2, 3) at
    64x3x128x128, 1e-3 at 512x1x64x64, and 4-6x slower); a run that ends at
    the last dim is a row reduction the code generator sums in blocks
    (mlopt-split-reductions): 6e-6 and 5e-7 there."""
    ordered = sorted(set(dims))
    if len(ordered) < 2 or ordered[-1] - ordered[0] == len(ordered) - 1 or not builtins.all(
            isinstance(n, int) for n in shape):
        return None  # one run already (or dynamic dims: one reduction)
    runs = []
    for d in sorted(set(ordered) | {d for d, n in enumerate(shape) if n == 1}):
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return [run for run in runs if builtins.any(d in ordered for d in run)]


def prod(input, dim=None, keepdim=False, dtype=None):
    x = _as_tensor(input)
    target = dt.as_dtype(dtype) if dtype is not None else (
        dt.int64 if x.dtype.category < 2 else x.dtype)
    return _reduce("mlopt.prod", _convert(x, target), dim, keepdim)


def mean(input, dim=None, keepdim=False, dtype=None):
    x = _as_tensor(input)
    if dtype is not None:
        x = _convert(x, dt.as_dtype(dtype))
    if x.dtype.category < 2:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {x.dtype}")
    count = math.prod(x.shape[d] for d in _dims_arg(dim, x.ndim))
    # float16/bfloat16 are summed and divided in float32, then rounded, as
    # PyTorch does: neither the sum nor the count (65536 is inf in float16)
    # may overflow.
    total = sum(x, dim, keepdim, dtype=_opmath(x.dtype))
    return _convert(div(total, count if count else math.nan), x.dtype)


def _opmath(dtype):
    """The dtype that float16/bfloat16 reductions accumulate in (PyTorch's
    opmath type); other dtypes are their own."""
    return dt.float32 if dtype in (dt.float16, dt.bfloat16) else dtype


def _check_nonempty(name, x, dim):
    """Max/min of nothing: RuntimeError for a full reduction, IndexError for a
    zero-size dim, as in PyTorch."""
    if dim in ((), None):
        if x.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return
    for d in _dims_arg(dim, x.ndim):
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def amax(input, dim=(), keepdim=False):
    x = _as_tensor(input)
    _check_nonempty("amax", x, dim)
    dims = _dims_arg(None if dim == () else dim, x.ndim)
    if x.dtype is dt.bool_:
        return _reduce("mlopt.any", x, dims, keepdim)
    return _reduce("mlopt.max", x, dims, keepdim)


def amin(input, dim=(), keepdim=False):
    x = _as_tensor(input)
    _check_nonempty("amin", x, dim)
    dims = _dims_arg(None if dim == () else dim, x.ndim)
    if x.dtype is dt.bool_:
        return _reduce("mlopt.all", x, dims, keepdim)
    return _reduce("mlopt.min", x, dims, keepdim)


def _arg(op, x, dim, keepdim):
    x = _as_tensor(x)
    if x.dtype is dt.bool_:
        x = _convert(x, dt.int32)
    if dim is None:
        x, dim = x.reshape(-1), 0
    if x.ndim == 0:
        _norm_dim(dim, 0)
        return zeros([], dtype=dt.int64)
    d = _norm_dim(dim, x.ndim)
    if x.shape[d] == 0:
        raise IndexError(f"{op[6:]}(): Expected reduction dim {d} to have non-zero size.")
    return _run(op, [x], {"dim": d, "keepdim": bool(keepdim)})


def argmax(input, dim=None, keepdim=False):
    return _arg("mlopt.argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _arg("mlopt.argmin", input, dim, keepdim)


class _ValuesIndices(tuple):
    """torch.return_types.max / min / sort / topk: (values, indices)."""

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def _minmax_dim(name, x, dim, keepdim):
    """max(dim) / min(dim): the values are read at the returned indices, so
    the gradient goes to that index alone (amax/amin split it over ties)."""
    x = _as_tensor(x)
    _check_nonempty(name, x, dim)
    arg = argmax if name == "max" else argmin
    if x.ndim == 0 or not x.dtype.is_floating_point:  # no gradient to route
        reduce = amax if name == "max" else amin
        return _ValuesIndices((reduce(x, dim, keepdim), arg(x, dim, keepdim)))
    d = _norm_dim(dim, x.ndim)
    index = arg(x, d, keepdim=True)
    values = _run("mlopt.gather", [x, index], {"dim": d})
    if not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    return _ValuesIndices((values, index))


def max(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return amax(input)
    return _minmax_dim("max", input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return amin(input)
    return _minmax_dim("min", input, dim, keepdim)


def all(input, dim=None, keepdim=False):
    return _reduce("mlopt.all", _to_bool(input), dim, keepdim)


def any(input, dim=None, keepdim=False):
    return _reduce("mlopt.any", _to_bool(input), dim, keepdim)


def _var(x, dim, correction, keepdim, unbiased):
    """The variance in _opmath(x.dtype) (float32 for float16/bfloat16)."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    x = _as_tensor(x)
    if x.dtype.category < 2:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    x = _convert(x, _opmath(x.dtype))
    dims = _dims_arg(dim, x.ndim)
    count = math.prod(x.shape[d] for d in dims)
    centered = sub(x, mean(x, dims, keepdim=True))
    return div(sum(mul(centered, centered), dims, keepdim), builtins.max(count - correction, 0)
               if count - correction > 0 else math.nan)


def var(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    x = _as_tensor(input)
    return _convert(_var(x, dim, correction, keepdim, unbiased), x.dtype)


def std(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    x = _as_tensor(input)
    return _convert(sqrt(_var(x, dim, correction, keepdim, unbiased)), x.dtype)


def logsumexp(input, dim, keepdim=False):
    x = _as_tensor(input)
    if x.dtype.category < 2:
        x = _convert(x, dt.get_default_dtype())
    if 0 in [x.shape[d] for d in _dims_arg(dim, x.ndim)]:
        # PyTorch: log(0) = -inf over an empty dim (amax would raise)
        return log(sum(exp(x), dim, keepdim=keepdim, dtype=_opmath(x.dtype))).to(x.dtype)
    m = amax(x, dim, keepdim=True)
    m = where(isfinite(m), m, 0.0)  # PyTorch's: rows of -inf give -inf, with +inf inf
    s = _convert(log(sum(exp(sub(x, m)), dim, keepdim=True, dtype=_opmath(x.dtype))), x.dtype)
    out = add(s, m)
    return out if keepdim else out.squeeze(_dims_arg(dim, x.ndim))


# ---- linear algebra, joining ------------------------------------------------------

def matmul(input, other):
    a, b = _amp().cast_inputs(_as_tensor(input), _as_tensor(other))
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != "
                           f"{b.dtype}")
    if a.dtype is dt.bool_:
        raise RuntimeError("matmul is not supported for bool tensors")
    squeeze_rows, squeeze_cols = a.ndim == 1, b.ndim == 1
    if squeeze_rows:
        a = a.unsqueeze(0)
    if squeeze_cols:
        b = b.unsqueeze(1)
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ("
                           f"{a.shape[-2]}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if b.ndim > 2 or a.shape[:-2] != batch:
        a = a.expand(batch + a.shape[-2:])
        b = b.expand(batch + b.shape[-2:])
    out = _run("mlopt.matmul", [a, b])
    if squeeze_rows:
        out = out.squeeze(-2)
    if squeeze_cols:
        out = out.squeeze(-1)
    return out


mm = bmm = matmul


def cat(tensors, dim=0):
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    # Legacy: 1-D empty tensors are skipped, as in PyTorch.
    tensors = [t for t in tensors if not (t.ndim == 1 and t.numel() == 0)] or tensors[:1]
    ctype = tensors[0].dtype
    for t in tensors[1:]:
        ctype = dt.promote_types(ctype, t.dtype)
    ref = tensors[0]
    d = _norm_dim(dim, ref.ndim)
    for t in tensors[1:]:
        if t.ndim != ref.ndim or builtins.any(t.shape[i] != ref.shape[i]
                                              for i in range(ref.ndim) if i != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                               f"Got shapes {_shape_str(ref.shape)} and {_shape_str(t.shape)}")
    tensors = [_convert(t, ctype) for t in tensors]
    return _run("mlopt.concat", tensors, {"dim": d})


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_shape_str(shape)} and {_shape_str(t.shape)}")
    d = _norm_dim(dim, len(shape) + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)


# ---- creation ---------------------------------------------------------------------

def from_numpy(array):
    """Shares memory with `array`, like torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor(_C.from_numpy(array))


def tensor(data, dtype=None, device=None, requires_grad=False):
    dtype = dt.as_dtype(dtype) if dtype is not None else None
    if device is not None and _check_device(device) == "cuda":
        return tensor(data, dtype=dtype).to("cuda").requires_grad_(requires_grad)
    if isinstance(data, Tensor):
        out = data.clone()
        return out.to(dtype) if dtype is not None else out
    array = np.array(data.numpy() if isinstance(data, Tensor) else data)
    numpy_typed = isinstance(data, (np.ndarray, np.generic))  # keeps its dtype, as PyTorch
    if dtype is None:
        if array.dtype.kind == "f":
            dtype = dt.get_default_dtype() if not numpy_typed \
                else dt.from_numpy_dtype(array.dtype)
        elif array.dtype.kind in "iu":
            # (no 8- or 16-bit integers here: int8/int16 widen to int32, the
            # unsigned ones to int64, keeping every value)
            dtype = dt.int64 if not numpy_typed or array.dtype.itemsize == 8 \
                or array.dtype.kind == "u" else dt.int32
        elif array.dtype.kind == "b":
            dtype = dt.bool_
        else:
            raise TypeError(f"can't convert {array.dtype} data to a tensor")
    if dtype is dt.bfloat16:
        return tensor(array, dtype=dt.float32).to(dt.bfloat16)
    # astype copies into a fresh C-ordered array (ascontiguousarray would make
    # 0-d arrays 1-d).
    out = Tensor(_C.from_numpy(array.astype(dtype.numpy, order="C")))
    out.requires_grad = requires_grad
    return out


as_tensor = tensor


def _factory(shape, dtype, device, fill, requires_grad=False):
    kind = _check_device(device) if device is not None else "cpu"
    dtype = dt.as_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    out = _empty(_shape_args(shape) if shape != () else (), dtype, kind)
    if fill is not None:
        out.fill_(fill)
    return out.requires_grad_(requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    return _factory(shape, dtype, device, None, requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    return _factory(shape, dtype, device, 0, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    return _factory(shape, dtype, device, 1, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    dtype = dt.scalar_dtype(fill_value) if dtype is None else dt.as_dtype(dtype)
    kind = _check_device(device) if device is not None else "cpu"
    shape = _shape_args((size,)) if not isinstance(size, int) else (size,)
    value = np.array(fill_value, dtype=np.float32 if dtype is dt.bfloat16 else dtype.numpy)
    out = Tensor(_C.from_numpy(np.broadcast_to(value, shape).astype(value.dtype, order="C")))
    out = out.to(dtype) if dtype is dt.bfloat16 else out
    return (out.to(kind) if kind != "cpu" else out).requires_grad_(requires_grad)


def zeros_like(input, dtype=None, device=None):
    return zeros(input.shape, dtype=dtype or input.dtype, device=device or input.device)


def ones_like(input, dtype=None, device=None):
    return ones(input.shape, dtype=dtype or input.dtype, device=device or input.device)


def empty_like(input, dtype=None, device=None):
    return empty(input.shape, dtype=dtype or input.dtype, device=device or input.device)


def full_like(input, fill_value, dtype=None, device=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device or input.device)


def arange(start, end=None, step=1, dtype=None, device=None):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    values = [_as_python(v) for v in (start, end, step)]
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = dt.int64 if builtins.all(isinstance(v, int) for v in values) \
            else dt.get_default_dtype()
    dtype = dt.as_dtype(dtype)
    count = builtins.max(0, math.ceil((values[1] - values[0]) / values[2]))
    if dtype.category == 2:
        data = np.arange(count, dtype=np.float64) * values[2] + values[0]
    else:
        data = np.arange(values[0], values[0] + count * values[2], values[2], dtype=np.int64)
    return tensor(data, dtype=dtype, device=device)


def linspace(start, end, steps, dtype=None, device=None):
    return tensor(np.linspace(_as_python(start), _as_python(end), steps),
                  dtype=dtype or dt.get_default_dtype(), device=device)


def _as_python(v):
    return v.item() if isinstance(v, Tensor) else v


_generator = np.random.default_rng(0)
_initial_seed = 0  # (initial_seed())


def manual_seed(seed):
    global _generator, _initial_seed
    _generator = np.random.default_rng(builtins.int(seed))
    _initial_seed = builtins.int(seed)
    return _generator


class Generator:
    """A random stream of its own (PyTorch's torch.Generator): pass it as
    `generator=` to rand, randn, randint, randperm, DataLoader, the samplers
    and random_split; manual_seed(seed) restarts it."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(67280421310721)  # (PyTorch's default seed)

    def manual_seed(self, seed):
        self._seed = builtins.int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        seed = builtins.int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(seed)
        return seed


def _random(shape, dtype, device, draw, generator=None):
    """A tensor of draw(shape) from the global generator. Inside @compile the
    draw becomes an input made again on every call, in program order, so the
    stream of numbers and the seeding rules are eager's."""
    for n in shape:
        if isinstance(n, int) and n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(shape)}")
    make = lambda: tensor(draw(generator._rng if generator is not None else _generator, shape),  # noqa: E731
                          dtype=dtype, device=device)
    tracer = _compile._active()
    if tracer is not None:
        return tracer.random(shape, dtype, make)
    return make()


def rand(*shape, generator=None, dtype=None, device=None, requires_grad=False):
    return _random(_shape_args(shape), dtype or dt.get_default_dtype(), device,
                   lambda g, s: g.random(s), generator).requires_grad_(requires_grad)


def randn(*shape, generator=None, dtype=None, device=None, requires_grad=False):
    return _random(_shape_args(shape), dtype or dt.get_default_dtype(), device,
                   lambda g, s: g.standard_normal(s), generator).requires_grad_(requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, *, generator=None):
    if size is None and isinstance(high, (tuple, list, Size)):
        low, high, size = 0, low, high  # randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing the size argument")
    return _random(tuple(size), dtype or dt.int64, device,
                   lambda g, s: g.integers(low, high, size=s), generator)


def rand_like(x, dtype=None):
    return rand(x.shape, dtype=dtype or x.dtype)


def randn_like(x, dtype=None):
    return randn(x.shape, dtype=dtype or x.dtype)


def from_dlpack(x):
    """Shares memory with the producer, like torch.from_dlpack."""
    return Tensor(_C.from_numpy(np.from_dlpack(x), True))


def is_tensor(x):
    return isinstance(x, Tensor)


def numel(x):
    return x.numel()


def _install_methods():
    """Tensor methods that are the module functions with self first."""
    names = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
             "erf", "floor", "ceil", "round", "trunc", "sign", "neg", "abs", "isnan", "isinf",
             "isfinite", "clamp", "clip", "square", "reciprocal", "sum", "prod", "mean", "amax",
             "amin", "argmax", "argmin", "max", "min", "all", "any", "var", "std",
             "logsumexp", "matmul", "maximum", "minimum", "add", "sub", "mul", "div",
             "floor_divide", "remainder", "pow", "atan2", "eq", "ne", "lt", "le", "gt", "ge",
             "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
             "bitwise_or", "bitwise_xor", "bitwise_not"]
    module = globals()
    for name in names:
        setattr(Tensor, name, module[name])
    Tensor.where = lambda self, condition, other: where(condition, self, other)


_install_methods()

# Last: @compile's tracer subclasses Tensor and hooks _run; autograd records
# views (and _run) on tensors that require grad.
from . import _compile  # noqa: E402
from . import _autograd  # noqa: E402

for _name in ["view", "reshape", "permute", "unsqueeze", "squeeze", "expand", "clone",
              "contiguous", "__getitem__", "flatten", "transpose"]:
    setattr(Tensor, _name, _autograd.recorded_method(_name))
