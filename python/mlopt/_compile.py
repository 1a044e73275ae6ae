"""@mlopt.compile: trace a Python function into one mlopt function, compile it
once per guard key, and run it; fall back to eager, saying why, when tracing
meets something it cannot record.

Tracing runs the function with symbolic tensors (_Traced) that record every
op into an mlopt function (mlopt._C.Trace) instead of computing it. Tensors
the function reaches that are not arguments (closures, globals, `self`) become
extra inputs, read again on every call, not frozen constants.
"""

import atexit
import contextlib
import copy
import functools
import os
import pathlib
import sys
import threading
import time
import traceback
import types
import warnings
import weakref

import numpy as np

from . import _C
from . import _dtype as dt
from . import _tensor as T
from ._tensor import Tensor

RECOMPILE_LIMIT = 8

# Tier 0: a CPU function that is not in the compile caches, and that should
# run faster op by op than compiled cold, has its first call interpreted on
# the eager kernels; the compile starts after it. MLOPT_COMPILE_BACKGROUND=0
# (or MLOPT_DUMP_IR) compiles before the first call instead.
atexit.register(_C.join_background_compiles_at_exit)  # (LLVM outlives every compile)


def _background_compiles(cuda):
    """Whether a first call may run op by op while the program compiles:
    CPU only; MLOPT_DUMP_IR wants the stages on disk when the call returns."""
    return (not cuda and os.environ.get("MLOPT_COMPILE_BACKGROUND", "1") != "0"
            and not os.environ.get("MLOPT_DUMP_IR"))

class _State(threading.local):
    tracer = None  # the tracer recording on this thread (a class default: no getattr)


_state = _State()


class GraphBreak(Exception):
    """Raised inside tracing where the function needs a concrete value."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
        self.where = _user_frame()


class _Specialize(Exception):
    """Raised where a dynamic dim is used as a number: retrace with that
    symbol's dims static (or, with no symbol, all of them)."""

    def __init__(self, reason, sym=None):
        super().__init__(reason)
        self.sym = sym


class SymDim:
    """A dynamic dim while tracing: a size >= 2 (sizes 0 and 1 stay static, as
    in torch.compile) known at run time only. It compares equal to the same
    symbol; anything needing its value raises _Specialize."""

    def __init__(self, sid):
        self.sid = sid
        self.source = self.dim = None  # the traced input and dim its size is read from
        self.positions = set()  # the (argument leaf, dim)s of this size

    def __repr__(self):
        return f"s{self.sid}"

    def __hash__(self):
        return hash(("SymDim", self.sid))

    def __eq__(self, other):
        if isinstance(other, SymDim):
            return self.sid == other.sid
        if isinstance(other, int) and other < 2:
            return False
        raise _Specialize(f"a dynamic size compared with {other!r}", self)

    def __ne__(self, other):
        return not self == other

    def _number(self, *_):
        raise _Specialize("a dynamic size used as a number", self)

    __index__ = __int__ = __float__ = __bool__ = _number
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _number
    __floordiv__ = __rfloordiv__ = __mod__ = __truediv__ = __lt__ = __le__ = _number
    __gt__ = __ge__ = __neg__ = _number


def _user_frame():
    package = str(pathlib.Path(__file__).parent)
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not frame.filename.startswith(package):
            return f"{frame.filename}:{frame.lineno}: {frame.line}"
    return "<unknown>"


def _logging():
    return "compile" in os.environ.get("MLOPT_LOG", "").split(",")


def _log(message):
    if _logging():
        print(f"[mlopt] {message}", file=sys.stderr)


class _Tracer:
    def __init__(self):
        self.trace = _C.Trace()
        self.lifted = []      # extra inputs: concrete tensors, or makers of random ones
        self.lifted_ids = {}  # id(tensor) -> _Traced
        self.inputs = 0       # traced inputs so far (arguments, then lifted)
        self.mutated = {}     # input index -> its _Traced, updated in place
        self.symbols = {}     # size -> SymDim, for dynamic dims
        self.grads = {}       # id(param) -> (param, .grad before tracing, holder): backward()
        self.holders = {}     # id(argument) -> its _Traced: where the function sees .grad
        self.refs = {}        # id(argument) -> _ArgRef: arguments are the call's, not these
        self.grad_reads = {}  # id(tensor) -> its .grad in the trace (read on every call)
        self.grad_state = {}  # id(tensor) -> (ref, .grad was set): guards of the trace
        self.concrete = {}    # id(tensor) -> (tensor, its _Traced input)
        self.device = "cpu"   # where the traced values live: the device of the inputs
        self.replayed_random = []  # random tensors a replayed call drew, in order
        self.refuse_leaf_updates = False  # @compile traces: as eager, see input()
        self.replay_caches = []  # compiled calls' replays shared by outputs: cleared at the end
        self.value_guards = []  # (getter, value): Python state the trace depends on
        self.call_hooks = []    # Python state updates, made again on every call
        self.numbers = {}       # key -> a 0-d input made from a Python number on every call
        self.stepped_optimizers = set()  # ids of optimizers whose step() this trace ran

    def input(self, t, dynamic=(), leaf=None):
        """A traced input; dims in `dynamic` (>= 2) get a symbol shared by
        every dynamic dim of the same size (duck sizing, as torch.compile)."""
        shape = [-1 if d in dynamic else n for d, n in enumerate(t.shape)]
        syms = {d: self._symbol(t.shape[d]) for d in dynamic}
        traced = self._wrap(self.trace.add_input(
            shape, t.dtype.mlir, [syms[d].sid if d in syms else -1 for d in range(len(shape))]))
        for d, sym in syms.items():
            if sym.source is None:  # its first dim: where run-time sizes are read
                sym.source, sym.dim = traced._value.id, d
            sym.positions.add((leaf, d))
        traced._origin = self.inputs
        # In @compile, as in eager, a leaf that requires grad refuses in-place
        # updates in grad mode (replays for eager backward do not check).
        traced._grad_leaf = self.refuse_leaf_updates and t.requires_grad and t.is_leaf
        self.inputs += 1
        return traced

    def _symbol(self, size):
        if size not in self.symbols:
            self.symbols[size] = SymDim(len(self.symbols))
        return self.symbols[size]

    def _wrap(self, value, op="an op"):
        """A _Traced for a TracedValue; its dynamic dims named by the symbols
        the trace found for them (the op's own shape rule, run on sentinels)."""
        out = _Traced(self, value)
        if -1 in value.shape:
            if -2 in value.symbols:
                raise _Specialize(f"{op} makes a dynamic dim no symbol names")
            syms = list(self.symbols.values())  # by sid: numbered in insertion order
            out._sym = tuple(syms[k] if k >= 0 else n for n, k in zip(value.shape, value.symbols))
        return out

    def scalar(self, value, dtype):
        """A Python number as a 0-d constant of `dtype` (PyTorch's conversion)."""
        if dtype.is_floating_point:
            value = float(value)
        elif dtype is dt.bool_:
            value = bool(value)
        else:
            value = int(value)
            if not -2 ** 63 <= value < 2 ** 63:
                return self.lift(T.tensor(value, dtype=dtype))  # raises as eager does
        return self._wrap(self.trace.scalar(value, dtype.mlir))

    def random(self, shape, dtype, make):
        """A random tensor: an extra input that `make` draws anew on every call
        (in a replay for autograd, the one the replayed call drew)."""
        if self.replayed_random:
            return self.lift(self.replayed_random.pop(0))
        for n in shape:
            if isinstance(n, SymDim):
                raise _Specialize("a random tensor of a dynamic shape", n)
        traced = self._wrap(self.trace.add_input(list(shape), dtype.mlir))
        self.inputs += 1
        self.lifted.append(make)
        return traced

    def ref_of(self, t):
        return self.refs.get(id(t), t)

    def read_grad(self, p):
        """p.grad (p concrete) in the trace: an input read again on every
        call, since .grad objects are replaced between calls; None where it
        is None. Either way the trace is only valid while that stays so."""
        if id(p) in self.grad_reads:
            return self.grad_reads[id(p)]
        g = p._grad
        self.grad_state.setdefault(id(p), (self.ref_of(p), g is not None))
        traced = None
        if g is not None:
            traced = self.input(g)
            self.lifted.append(_GradOf(self.ref_of(p)))
        self.grad_reads[id(p)] = traced
        return traced

    def guard(self, getter):
        """The trace holds while getter() gives what it gives now (compared
        with ==); else the call traces again."""
        self.value_guards.append((getter, getter()))

    def on_call(self, hook):
        """hook() updates Python state as the traced function did (an
        optimizer's step count): it runs before every call of the compiled
        program, this one included, and not when the call runs eagerly."""
        self.call_hooks.append(hook)

    def number(self, key, getter, dtype, device="cpu"):
        """A number from Python state that changes between calls (an lr a
        scheduler sets): a 0-d input made from getter() on every call, after
        the call hooks; one per key."""
        if key not in self.numbers:
            self.numbers[key] = self.random((), dtype, lambda: T.tensor(
                getter(), dtype=dtype, device=device))
        return self.numbers[key]

    def write_grad(self, p):
        """p.grad (p concrete) is assigned in the trace: the call sets it, and
        tracing leaves it as it found it."""
        if id(p) not in self.grads:
            self.grads[id(p)] = (p, p._grad, self.holders.get(id(p), p))

    def lift(self, t):
        """t in the trace: a traced tensor as it is, a concrete one as an
        extra input (read again on every call)."""
        if isinstance(t, _Traced):
            return t
        traced = self.lifted_ids.get(id(t))
        if traced is None:
            traced = self.input(t)
            self.lifted.append(t)
            self.lifted_ids[id(t)] = traced
            self.concrete[id(t)] = (t, traced)
        return traced

    def record(self, op, inputs, attrs=None, result_dtype=None, result_shape=None):
        ids = [self.lift(x)._value.id for x in inputs]
        sources = []
        if result_shape is not None:
            result_shape = list(result_shape)
            for d, n in enumerate(result_shape):
                if isinstance(n, SymDim):
                    sources.append((n.source, n.dim))
                    result_shape[d] = -1
        value = self.trace.record(op, ids, attrs or {}, result_dtype.mlir if result_dtype else "",
                                  result_shape, sources)
        out = self._wrap(value, op)
        if op != "mlopt.stop_gradient" and not _autograd().is_grad_enabled() \
                and out.dtype.is_floating_point:
            out = out._stopped()  # computed under no_grad: a constant to autodiff
        return out

    def gradients(self, outputs, seeds, wrt):
        """The gradients of `outputs` (seeded with `seeds`; None: ones) with
        respect to `wrt`, recorded into the trace (passes/Autodiff.cpp)."""
        values = self.trace.gradients([self.lift(o)._value.id for o in outputs],
                                      [-1 if g is None else self.lift(g)._value.id
                                       for g in seeds],
                                      [self.lift(w)._value.id for w in wrt])
        return [self._wrap(v) for v in values]


def _active():
    return _state.tracer


@contextlib.contextmanager
def untraced():
    """Tensors made in here are concrete state that outlives the trace (an
    optimizer's moments): the trace reads them as captured tensors, on every
    call, rather than as the values they had while tracing."""
    saved, _state.tracer = _state.tracer, None
    try:
        yield
    finally:
        _state.tracer = saved


class _ArgRef:
    """Positional leaf `index` of the current call, where a trace refers to an
    argument (never the object seen while tracing)."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _GradOf:
    """A lifted input: the `.grad` of `ref` (a captured tensor or an
    _ArgRef), read when the call is made."""
    __slots__ = ("ref",)

    def __init__(self, ref):
        self.ref = ref


def _resolve(ref, leaves):
    return leaves[ref.index] if isinstance(ref, _ArgRef) else ref


def _lifted_value(x, leaves):
    if isinstance(x, _GradOf):
        return _resolve(x.ref, leaves).grad
    return x() if callable(x) else x


class _Traced(Tensor):
    """A tensor inside tracing: a shape, a dtype, and where it comes from."""

    def __init__(self, tracer, value):
        self._tracer = tracer
        self._value = value
        self._origin = None  # the input this tensor is (for in-place updates)
        self._grad_leaf = False  # an input that is a leaf requiring grad
        self._buf = None
        self.requires_grad = False
        self.grad = None
        # Views, functionalized: a view knows how to read itself from its base
        # again (regen) and how to write itself into it (scatter); a base
        # knows its live views, refreshed after every in-place update.
        self._sym = None     # the shape with SymDims, when it has dynamic dims
        self._base = None
        self._regen = None
        self._scatter = None
        self._no_grad = False  # a view made under no_grad
        self._views = []

    def _as_view_of(self, base, regen, scatter):
        if self is base:
            return self
        self._base, self._regen, self._scatter = base, regen, scatter
        self._no_grad = not _autograd().is_grad_enabled()  # (rebuilt detached)
        base._views.append(weakref.ref(self))
        return self

    def _update(self, value):
        """This tensor now holds `value`: written through to what it views up
        to the root (an input is written back after the call), then every
        view of the root is read again, as eager's shared memory would show."""
        self._value, self._sym = value._value, value._sym
        node = self
        while node._base is not None:
            if node._scatter is None:
                raise GraphBreak("in-place update of an expanded tensor (several elements "
                                 "share one memory location)")
            written = node._scatter(node._base, node)
            node._base._value, node._base._sym = written._value, written._sym
            node = node._base
        if node._grad_leaf and _autograd().is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        if node._origin is not None:
            self._tracer.mutated[node._origin] = node
        node._refresh(written=self)

    def _refresh(self, written):
        live = []
        for ref in list(self._views):
            view = ref()
            if view is None:
                continue
            live.append(ref)
            if view is not written:
                fresh = view._regen(self)
                view._value, view._sym = fresh._value, fresh._sym
            view._refresh(written)
        self._views[:] = live

    @property
    def shape(self):
        return T.Size(self._sym if self._sym is not None else self._value.shape)

    @property
    def ndim(self):
        return len(self._value.shape)

    def numel(self):
        n = 1
        for s in self.shape:
            n = s * n  # a SymDim raises _Specialize
        return n

    @property
    def dtype(self):
        return dt.BY_MLIR[self._value.dtype]

    def stride(self, dim=None):
        s = T._row_major(self.shape)
        return s if dim is None else s[T._norm_dim(dim, self.ndim)]

    def is_contiguous(self):
        return True

    def contiguous(self):
        # Of a view: a step of its own, so an output rebuilt on a real input
        # is contiguous as eager's (a copy where the view is not).
        return self._identity_step(lambda base: base.contiguous())

    def _identity_step(self, regen):
        """This value as a step after a view (same elements): how the output
        is rebuilt on real tensors (docs: compiled outputs that view an input)."""
        if self._base is None:
            return self
        return self._alias()._as_view_of(self, regen, lambda base, view: view)

    def _alias(self):
        out = _Traced(self._tracer, self._value)
        out._sym = self._sym
        return out

    def clone(self):
        return self._alias()

    def _stopped(self):
        """This value with no gradient through it (mlopt.stop_gradient)."""
        if not self.dtype.is_floating_point:
            return self._alias()
        return self._tracer.record("mlopt.stop_gradient", [self])

    def detach(self):  # shares memory, as in PyTorch; gradients stop here
        return self._stopped()._as_view_of(self, lambda base: base._stopped(),
                                           lambda base, view: view)

    # Anything that needs a value ends tracing.
    def _concrete(self, what):
        raise GraphBreak(f"{what} needs a concrete value (data-dependent)")

    def numpy(self):
        self._concrete(".numpy()")

    def __array__(self, dtype=None, copy=None):
        self._concrete("conversion to NumPy")

    def item(self):
        self._concrete(".item()")

    def tolist(self):
        self._concrete(".tolist()")

    def __bool__(self):
        self._concrete("a Python branch on a tensor (bool())")

    def __repr__(self):
        self._concrete("printing a tensor")

    def data_ptr(self):
        self._concrete(".data_ptr()")

    def _assign(self, value, check_cast=True):
        """Functionalized: the update becomes a new value this tensor names
        from now on (see _update)."""
        value = T._as_tensor(value, self.dtype)
        if value.dtype is not self.dtype:
            if check_cast and value.dtype.category > self.dtype.category:
                raise RuntimeError(f"result type {value.dtype} can't be cast to the desired "
                                   f"output type {self.dtype}")
            value = T._convert(value, self.dtype)
        if not isinstance(value, _Traced):
            value = self._tracer.lift(value)
        if value.shape != self.shape:
            value = value.expand(self.shape)
        self._update(value)
        return self

    # Views become shape ops.
    def _reshaped(self, shape, regen=None):
        """`regen`: how an output view is rebuilt on real tensors (default:
        this reshape; unsqueeze/squeeze pass eager's own view)."""
        shape = tuple(shape)
        regen = regen or (lambda base: base._reshaped(shape))
        if shape == tuple(self.shape):
            return self._identity_step(regen)
        out = self._tracer.record("mlopt.reshape", [self], result_shape=shape)
        return out._as_view_of(self, regen, lambda base, view: view._reshaped(base.shape))

    def view(self, *shape):
        return self._reshaped(T._infer_shape(T._shape_args(shape), self.numel()))

    reshape = view

    def permute(self, *dims):
        dims = [T._norm_dim(d, self.ndim) for d in T._shape_args(dims)]
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(): dims {dims} are not a permutation")
        if dims == list(range(self.ndim)):
            return self
        inverse = [dims.index(d) for d in range(self.ndim)]
        out = self._tracer.record("mlopt.transpose", [self], {"permutation": dims})
        return out._as_view_of(self, lambda base: base.permute(dims),
                               lambda base, view: view.permute(inverse))

    def unsqueeze(self, dim):
        d = T._norm_dim(dim, self.ndim, allow_end=True)
        shape = list(self.shape)
        shape.insert(d, 1)
        # (rebuilt as eager's view, not a reshape, which may copy)
        return self._reshaped(shape, lambda base: base.unsqueeze(d))

    def squeeze(self, dim=None):
        dims = range(self.ndim) if dim is None else T._dims_arg(dim, self.ndim)
        return self._reshaped([s for i, s in enumerate(self.shape)
                               if not (i in dims and s == 1)], lambda base: base.squeeze(dim))

    def expand(self, *sizes):
        sizes = T._shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = [self.shape[i - lead] if i >= lead and s == -1 else s
                 for i, s in enumerate(sizes)]
        T.broadcast_shapes(tuple(self.shape), tuple(shape))  # error message if not
        if T.Size(shape) == self.shape:
            return self
        out = self._tracer.record("mlopt.broadcast_in_dim", [self],
                                  {"broadcast_dimensions": list(range(lead, len(shape)))},
                                  result_shape=shape)
        return out._as_view_of(self, lambda base: base.expand(shape), None)

    def _gather(self, dim, idx):
        """self[..., idx, ...] for one integer index tensor in dim `dim`."""
        idx = idx if isinstance(idx, _Traced) else self._tracer.lift(idx)
        flat = idx.reshape(-1)
        size = self.shape[dim]
        flat = T.where(T.lt(flat, 0), flat + size, flat)  # Python's negative indices
        out = self._tracer.record("mlopt.index_select", [self, flat], {"dim": dim})
        return out._reshaped(tuple(self.shape[:dim]) + tuple(idx.shape) +
                             tuple(self.shape[dim + 1:]))

    def __getitem__(self, index):
        if not isinstance(index, tuple):
            index = (index,)
        tensors = [k for k, i in enumerate(index) if isinstance(i, Tensor)]
        if (len(tensors) == 1 and index[tensors[0]].dtype.category == 1 and
                all(isinstance(i, slice) and i == slice(None) or i is Ellipsis
                    for k, i in enumerate(index) if k != tensors[0])):
            # One integer tensor among full slices (embedding lookups, x[:, idx]).
            k = tensors[0]
            before = index[:k]
            dim = (self.ndim - (len(index) - 1)) + k - 1 if Ellipsis in before else k
            return self._gather(dim, index[k])
        if any(not (isinstance(i, (int, slice)) or i is None or i is Ellipsis)
               or isinstance(i, bool) for i in index):
            raise GraphBreak("advanced indexing (bool masks, lists, or several index "
                             "tensors)")
        if sum(i is Ellipsis for i in index) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        used = sum(1 for i in index if i is not None and i is not Ellipsis)
        if used > self.ndim:
            raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
        full = []
        for i in index:
            full.extend([slice(None)] * (self.ndim - used) if i is Ellipsis else [i])
        if not any(i is Ellipsis for i in index):
            full.extend([slice(None)] * (self.ndim - used))
        start, limit, step, out_shape = [], [], [], []
        dim = 0
        for i in full:
            if i is None:
                out_shape.append(1)
                continue
            size = self.shape[dim]
            if isinstance(i, slice):
                if i.step is not None and i.step <= 0:
                    raise ValueError("step must be greater than zero")
                a, b, s = i.indices(size)
                b = max(a, b)
                start.append(a), limit.append(b), step.append(s)
                out_shape.append(len(range(a, b, s)))
            else:
                if not -size <= i < size:
                    raise IndexError(f"index {i} is out of bounds for dimension {dim} with "
                                     f"size {size}")
                k = i % size
                start.append(k), limit.append(k + 1), step.append(1)
            dim += 1
        if start == [0] * self.ndim and limit == list(self.shape) and step == [1] * self.ndim:
            return self._reshaped(out_shape)
        sliced = self._tracer.record("mlopt.slice", [self],
                                     {"start": start, "limit": limit, "step": step})
        view = sliced._reshaped(out_shape)
        if view is sliced:
            view = sliced._alias()
        return view._as_view_of(self, lambda base: base[index],
                                lambda base, v: _write_slice(base, start, limit, step, v))

    def __setitem__(self, index, value):
        key = index if isinstance(index, tuple) else (index,)
        if len(key) == 1 and isinstance(key[0], Tensor) and key[0].dtype is dt.bool_:
            self._mask_fill(key[0], value)
            return
        if any(isinstance(i, (Tensor, list)) for i in key):
            raise GraphBreak("assignment through integer-tensor or list indices")
        self[index]._assign(value, check_cast=False)

    def _mask_fill(self, mask, value):
        """x[mask] = v for a scalar v: where(mask, v, x)."""
        if isinstance(value, Tensor) and value.numel() != 1:
            raise GraphBreak("x[mask] = tensor (how many elements it takes depends on the "
                             "mask's values)")
        if mask.shape != self.shape[:mask.ndim]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} does not match the "
                             f"shape of the indexed tensor {list(self.shape)}")
        mask = mask.reshape(tuple(mask.shape) + (1,) * (self.ndim - mask.ndim))
        if isinstance(value, Tensor):
            value = value.reshape(())
        self._assign(T.where(mask, value, self), check_cast=False)


def _write_slice(base, start, limit, step, value):
    """base with the region base[start:limit:step] (per dim) replaced by
    value: each dim's positions gather from value, a constant mask picks."""
    sizes = [len(range(a, b, s)) for a, b, s in zip(start, limit, step)]
    if 0 in sizes:
        return base
    tracer = base._tracer
    full = value._reshaped(sizes)
    region = tuple(slice(a, b, s) for a, b, s in zip(start, limit, step))
    for d, (size, n) in enumerate(zip(base.shape, sizes)):
        if n == size:
            continue
        positions = np.clip((np.arange(size) - start[d]) // step[d], 0, n - 1)
        full = tracer.record("mlopt.index_select", [full, T.tensor(positions)], {"dim": d})
    mask = np.zeros(tuple(base.shape), dtype=bool)
    mask[region] = True
    return T.where(T.tensor(mask), full, base)


def _view_of_input(t):
    """(input index, the view steps from it) when traced output `t` is a view
    of an input (reshape, permute, expand, slices, detach and their chains);
    else None. The steps run on real tensors too (Tensor._reshaped, ...)."""
    if not isinstance(t, _Traced):
        return None
    steps = []
    while t._base is not None:
        regen = t._regen
        steps.append((lambda r: lambda base: r(base).detach())(regen) if t._no_grad else regen)
        t = t._base
    if not steps or t._origin is None:
        return None
    return t._origin, steps[::-1]


def _flatten(obj, leaves):
    """The structure of obj with tensors replaced by leaf indices. Lists and
    tuples are "list"/"tuple"; their subclasses (namedtuples such as the
    (values, indices) of max(dim), Size) keep their class."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return ("T", len(leaves) - 1)
    if isinstance(obj, (list, tuple)):
        kind = type(obj).__name__ if type(obj) in (list, tuple) else type(obj)
        return (kind, [_flatten(x, leaves) for x in obj])
    if isinstance(obj, dict):
        return ("dict", [(k, _flatten(v, leaves)) for k, v in obj.items()])
    return ("V", obj)


def _is_sequence(kind):
    return kind in ("list", "tuple") or isinstance(kind, type)


def _unflatten(spec, leaves):
    kind, payload = spec
    if kind == "T":
        return leaves[payload]
    if _is_sequence(kind):
        items = [_unflatten(x, leaves) for x in payload]
        if kind == "list":
            return items
        if kind == "tuple":
            return tuple(items)
        return kind(*items) if hasattr(kind, "_fields") else kind(items)
    if kind == "dict":
        return {k: _unflatten(v, leaves) for k, v in payload}
    return payload


def _guard_key(spec, leaves, dynamic=None):
    """Shapes, dtypes and requires_grad of tensors; everything else by value.
    With `dynamic` (a set of (leaf, dim)), those dims key by the duck-sizing
    pattern instead of their size: sizes >= 2 are symbols numbered by first
    appearance, equal sizes sharing one; sizes 0 and 1 stay static."""
    symbols = {}
    first = {}  # id(tensor) -> its first leaf: a tensor passed twice traces as one
    for k, t in enumerate(leaves):
        first.setdefault(id(t), k)

    def dims(k, shape):
        if dynamic is None:
            return tuple(shape)
        return tuple(("s", symbols.setdefault(n, len(symbols)))
                     if (k, d) in dynamic and n >= 2 else n for d, n in enumerate(shape))

    def key(s):
        kind, payload = s
        if kind == "T":
            t = leaves[payload]
            return ("T", dims(payload, t.shape), t.dtype.mlir, t.requires_grad, first[id(t)],
                    t._buf.device)
        if _is_sequence(kind):
            return (kind, tuple(key(x) for x in payload))
        if kind == "dict":
            return ("dict", tuple((k, key(v)) for k, v in payload))
        if isinstance(payload, np.ndarray):  # read at trace time: key by content
            return ("ndarray", payload.shape, payload.dtype.str, hash(payload.tobytes()))
        try:
            hash(payload)
            return ("V", type(payload).__name__, payload)
        except TypeError:
            return ("V", type(payload).__name__, id(payload))
    return key(spec)


def _structure_key(spec, leaves):
    """The guard key with tensor sizes left out (ranks stay)."""
    return _guard_key(spec, leaves, dynamic=_AllDims())


class _AllDims:
    def __contains__(self, item):
        return True


class _Entry:
    """A compiled trace with what calling it needs; no trace: run eagerly."""

    def __init__(self, trace=None, lifted=(), out_spec=None, n_out=0, written=(),
                 out_sources=()):
        self.trace, self.lifted, self.out_spec = trace, list(lifted), out_spec
        self.n_out, self.written = n_out, list(written)
        # Outputs that are an input or a view of one: (input index, the view's
        # steps from it; none for the input itself), rebuilt on the real
        # input after each call; None for the others.
        self.out_sources = list(out_sources)
        self.grad_targets = []  # (parameter, not None): the .grad the call sets
        self.grad_state = []    # (parameter, .grad was set): traced for that; else retrace
        self.value_guards = []  # (getter, value): Python state traced for; else retrace
        self.call_hooks = []    # Python state updates the traced function made, per call
        # Captured tensors (read on every call): autograd through a call
        # reaches them.
        self.captured = [x for x in self.lifted if isinstance(x, Tensor)]

    @property
    def plain(self):
        """Outputs are the results as they are: no write-backs, .grad, aliases."""
        return (self.trace is not None and not self.written and not self.grad_targets
                and not any(self.out_sources))


class CompiledFunction:
    def __init__(self, fn, fullgraph=False, dynamic=None, cuda_graphs=False):
        self.fn = fn
        self.fullgraph = fullgraph
        self.cuda_graphs = cuda_graphs  # CUDA programs run as CUDA graphs
        self.name = getattr(fn, "__name__", type(fn).__name__)  # (a Module has no __name__)
        self.dynamic = dynamic        # None: dims that change become dynamic
        self.cache = {}
        self.retraces = 0       # entries dropped when Python state they read changed
        self.gave_up = False    # past the recompile limit (warned once)
        self.quiet = False      # give up without the warning (an internal use)
        self.reasons = []
        self.first_shapes = {}        # structure key -> tensor shapes first seen
        self.dynamic_dims = {}        # structure key -> {(leaf, dim)} traced as `?`
        self.static_dims = {}         # structure key -> {(leaf, dim)} used as numbers
        self.fast = {}                # _fast_key of positional tensors ->
        #                               (plain entry, one result, an argument requires grad)
        functools.update_wrapper(self, fn, updated=())  # (not its __dict__: a Module's would shadow ours)

    def __get__(self, obj, objtype=None):
        """A compiled method binds to its instance like a function
        (`self` is then an argument, guarded by identity)."""
        return self if obj is None else types.MethodType(self, obj)

    def _needs_grad(self, entry, tensors):
        """Whether backward() must reach through this call: grad mode is on
        and an argument or a captured tensor requires grad."""
        return ((any(t.requires_grad for t in tensors)
                 or any(t.requires_grad for t in entry.captured))
                and _autograd().is_grad_enabled())

    def _with_grad(self, entry, args, kwargs, results, lifted_values):
        """Outputs that backward() can reach through, as torch.compile's: each
        floating output records a node whose replay traces the function again
        with the random numbers this call drew (eager autograd replays nodes
        into one gradient trace, compiled and cached). A function that calls
        backward() itself (a training step) is not replayed: its outputs
        are returned as they are."""
        if not entry.grad_targets:
            drawn = [v for x, v in zip(entry.lifted, lifted_values)
                     if callable(x) and not isinstance(x, _GradOf)]
            autograd = _autograd()
            shared = {}  # one replay per gradient trace serves every output
            for k, out in enumerate(results):
                # (inputs and their views: eager's own nodes)
                if out.dtype.is_floating_point and entry.out_sources[k] is None:
                    autograd.record(out, functools.partial(_replay_output, self.fn, k, drawn,
                                                           shared),
                                    (args, kwargs, entry.captured))
        return _unflatten(entry.out_spec, results)

    def _trace(self, args, kwargs, dynamic=frozenset()):
        leaves = []
        spec = _flatten((args, kwargs), leaves)
        tracer = _Tracer()
        tracer.refuse_leaf_updates = True
        if any(t._buf.device == "cuda" for t in leaves):
            tracer.device = "cuda"
        # The leaves are the trace's first inputs, in order (lifted ones follow).
        inputs = [tracer.input(t, {d for k, d in dynamic if k == i and t.shape[d] >= 2}, i)
                  for i, t in enumerate(leaves)]
        symbolic, first = [], {}
        for i, (t, traced) in enumerate(zip(leaves, inputs)):
            if id(t) in first:  # one tensor passed twice is one tensor in the trace
                symbolic.append(symbolic[first[id(t)]])
                continue
            first[id(t)] = i
            tracer.refs[id(t)] = _ArgRef(i)
            tracer.concrete[id(t)] = (t, traced)
            # The function sees arguments as traced tensors: they carry the
            # argument's requires_grad and .grad (an input read on every call).
            traced.requires_grad = t.requires_grad
            if t.requires_grad:
                traced.grad = tracer.read_grad(t)
            tracer.holders[id(t)] = traced
            symbolic.append(traced)
        previous = _active()
        _state.tracer = tracer
        try:
            sym_args, sym_kwargs = _unflatten(spec, symbolic)
            result = self.fn(*sym_args, **sym_kwargs)
            grads = [(tracer.ref_of(p), holder._grad) for p, _, holder in tracer.grads.values()]
        except GraphBreak as brk:
            brk.value_guards = tracer.value_guards  # the eager run may change them
            raise
        finally:
            _state.tracer = previous
            for p, before, _ in tracer.grads.values():
                p._grad = before  # the compiled call sets the real one
        outs = []
        out_spec = _flatten(result, outs)
        ids = [tracer.lift(o)._value.id for o in outs]
        # Inputs updated in place come back as extra results, written back.
        written = sorted(tracer.mutated)
        ids += [tracer.mutated[i]._value.id for i in written]
        # .grad of parameters after backward() comes back too.
        # (None where the function set it to None.)
        ids += [tracer.lift(g)._value.id for _, g in grads if g is not None]
        start = time.perf_counter()
        cuda = tracer.device == "cuda" or any(  # captured CUDA tensors (random makers: no)
            isinstance(x, Tensor) and x._buf.device == "cuda" for x in tracer.lifted)
        tracer.trace.finish(ids, cuda=cuda, background=_background_compiles(cuda))
        if _logging():
            self._log_compile(tracer, dynamic, start, cuda)
        _dump(self.name, tracer.trace.ir)
        sources = [(o._origin, []) if isinstance(o, _Traced) and o._origin is not None
                   else None if dynamic else _view_of_input(o) for o in outs]
        entry = _Entry(tracer.trace, tracer.lifted, out_spec, len(outs), written=written,
                       out_sources=sources)
        entry.grad_targets = [(p, g is not None) for p, g in grads]
        entry.grad_state = list(tracer.grad_state.values())
        entry.value_guards, entry.call_hooks = tracer.value_guards, tracer.call_hooks
        return entry

    def _log_compile(self, tracer, dynamic, start, cuda):
        trace = tracer.trace
        what = f"{self.name}{' with dynamic dims ' + str(sorted(dynamic)) if dynamic else ''}"
        if trace.compile_state.startswith("op by op"):
            return  # (the trace said why)
        if trace.compile_state == "interpreting":
            _log(f"{what}: the first call runs op by op on the eager kernels; the compile "
                 f"starts after it ({len(tracer.lifted)} captured tensors)")
            return
        stats = trace.compile_stats
        where = ("cache hit" if stats["cache"] != "miss" else
                 f"mlir {stats['mlir_ms']:.1f}, translate {stats['translate_ms']:.1f}, "
                 f"{'nvrtc' if cuda else 'llvm'} {stats['llvm_ms']:.1f}, "
                 f"load {stats['load_ms']:.1f} ms")
        _log(f"compiled {what}: {trace.kernel_count} kernels, {len(tracer.lifted)} captured "
             f"tensors, {(time.perf_counter() - start) * 1e3:.1f} ms ({where})")

    def _lookup(self, spec, leaves):
        """The cached entry for these arguments, the key to store a new one
        under, the dims to trace as dynamic and the structure key (None when
        dims are not considered)."""
        key = _guard_key(spec, leaves)
        if key in self.cache:
            return self.cache[key], key, frozenset(), None
        if self.dynamic is False or any(t._buf.device == "cuda" for t in leaves):
            return None, key, frozenset(), None  # CUDA kernels have static shapes
        structure = _structure_key(spec, leaves)
        shapes = [tuple(t.shape) for t in leaves]
        first = self.first_shapes.setdefault(structure, shapes)
        dims = set(self.dynamic_dims.get(structure, ()))
        pinned = self.static_dims.get(structure, set())
        if self.dynamic:
            dims |= {(k, d) for k, s in enumerate(shapes) for d in range(len(s))}
        changed = {(k, d) for k, (a, b) in enumerate(zip(first, shapes))
                   for d, (m, n) in enumerate(zip(a, b)) if m != n and min(m, n) >= 2}
        changed -= pinned
        dims -= pinned
        if changed - dims:
            _log(f"{self.name}: dims {sorted(changed - dims)} (argument leaf, dim) "
                 "changed, now dynamic")
        dims |= changed
        if not dims:
            return None, key, frozenset(), structure
        self.dynamic_dims[structure] = frozenset(dims)
        dynamic_key = ("dynamic", _guard_key(spec, leaves, dims))
        return self.cache.get(dynamic_key), dynamic_key, frozenset(dims), structure

    def _fast_key(self, args):
        """Positional tensor arguments only: their sizes, dtypes and
        requires_grad, the cheapest exact key (None: take the full path)."""
        key = []
        for a in args:
            if type(a) is not Tensor:
                return None
            key.append((a._buf.key, a._requires_grad))
        n = len(args)
        if n > 1 and (args[0] is args[1] if n == 2 else len({id(a) for a in args}) != n):
            return None  # one tensor passed twice: the guard key says which
        return tuple(key)

    def __call__(self, *args, **kwargs):
        if _active() is not None:  # called while tracing another function: inline
            return self.fn(*args, **kwargs)
        fast = None if kwargs else self._fast_key(args)
        hit = self.fast.get(fast) if fast is not None else None
        if hit is not None:  # a plain entry seen for exactly these argument types
            entry, single, grad_args = hit
            buffers = [a._buf for a in args]
            lifted = [_lifted_value(x, args) for x in entry.lifted] if entry.lifted else ()
            buffers += [x._buf for x in lifted]
            outs = entry.trace.run(buffers, self.cuda_graphs)
            if (grad_args or entry.captured) and self._needs_grad(entry, args):
                return self._with_grad(entry, args, kwargs, [Tensor(b) for b in outs], lifted)
            if single:
                return Tensor(outs[0])
            return _unflatten(entry.out_spec, [Tensor(b) for b in outs])
        leaves = []
        spec = _flatten((args, kwargs), leaves)
        entry, key, dynamic, structure = self._lookup(spec, leaves)
        if entry is not None and any((_resolve(ref, leaves).grad is not None) != was_set
                                     for ref, was_set in entry.grad_state):
            _log(f"{self.name}: a parameter's .grad changed between None and a "
                 "tensor; tracing again")
            self.cache.pop(key)  # (entries with .grad state never take the fast path)
            entry = None
        if entry is not None and any(getter() != value for getter, value in entry.value_guards):
            _log(f"{self.name}: Python state it was traced for changed (an optimizer's "
                 "settings or state); tracing again")
            self.cache.pop(key)  # (nor do entries with guards or hooks)
            self.retraces += 1  # (counts toward the recompile limit)
            entry = None
        if entry is None:
            if len(self.cache) + self.retraces >= RECOMPILE_LIMIT:
                if not self.gave_up:
                    self.gave_up = True
                    if self.quiet:
                        _log(f"{self.name} recompiled {RECOMPILE_LIMIT} times: runs eagerly")
                    else:
                        warnings.warn(f"mlopt.compile: {self.name} recompiled "
                                      f"{RECOMPILE_LIMIT} times (its guards keep changing; "
                                      "MLOPT_LOG=compile says which); running eagerly from "
                                      "now on", stacklevel=2)
                return self.fn(*args, **kwargs)
            _log(f"guard miss for {self.name}: {key}")
            entry, dynamic = self._compile(args, kwargs, dynamic)
            dynamic = frozenset(dynamic)
            if key[0] == "dynamic":
                self.static_dims.setdefault(structure, set()).update(
                    self.dynamic_dims[structure] - dynamic)
                self.dynamic_dims[structure] = dynamic
                key = ("dynamic", _guard_key(spec, leaves, dynamic)) if dynamic \
                    else _guard_key(spec, leaves)
            self.cache[key] = entry
            self.fast.clear()
        if entry.trace is None:
            return self.fn(*args, **kwargs)
        if fast is not None and entry.plain and not entry.grad_state \
                and not entry.value_guards and not entry.call_hooks:
            if len(self.fast) >= 256:  # dynamic dims: one key per size seen; keep it bounded
                self.fast.clear()
            self.fast[fast] = (entry, entry.out_spec == ("T", 0), any(k[1] for k in fast))
        for hook in entry.call_hooks:
            hook()
        inputs = leaves + [_lifted_value(x, leaves) for x in entry.lifted]
        needs_grad = self._needs_grad(entry, leaves)
        replay = (args, kwargs)
        if needs_grad and entry.written and not entry.grad_targets:
            # backward() replays the function on its arguments: one this call
            # updates in place is replayed as it was before (a copy; one
            # that requires grad stays itself, gradients must reach it).
            # (Captured tensors updated in place are replayed as updated.)
            updated = {id(inputs[i]) for i in entry.written
                       if i < len(leaves) and not inputs[i].requires_grad}
            if updated:
                before = {id(t): T._raw_clone(t) for t in leaves if id(t) in updated}
                replay = _unflatten(spec, [before.get(id(t), t) for t in leaves])
        outs = [Tensor(b) for b in entry.trace.run([t._buf for t in inputs], self.cuda_graphs)]
        for index, value in zip(entry.written, outs[entry.n_out:]):
            _C.copy_into(value._buf, inputs[index]._buf)
        grads = iter(outs[entry.n_out + len(entry.written):])
        for ref, has_value in entry.grad_targets:
            _resolve(ref, leaves).grad = next(grads) if has_value else None
        results = outs[:entry.n_out]
        # An output that is an updated input is that input, and a view of an
        # input is that view (after the write-backs), as in eager.
        for k, source in enumerate(entry.out_sources):
            if source is not None:
                index, steps = source
                results[k] = functools.reduce(lambda t, step: step(t), steps, inputs[index])
        if needs_grad:
            return self._with_grad(entry, *replay, results, inputs[len(leaves):])
        return _unflatten(entry.out_spec, results)

    def _compile(self, args, kwargs, dynamic):
        """Traces and compiles: returns the entry and the dims it keeps
        dynamic. A dim used as a number turns static (its symbol's dims, then
        the trace again); a graph break runs eagerly."""
        try:
            while dynamic:
                try:
                    return self._trace(args, kwargs, dynamic), dynamic
                except _Specialize as why:
                    fixed = why.sym.positions if why.sym is not None else dynamic
                    _log(f"{self.name}: dims {sorted(fixed)} stay static: {why}")
                    dynamic = frozenset(dynamic - fixed)
                except (RuntimeError, TypeError, ValueError, IndexError) as why:
                    _log(f"{self.name} specializes its shapes: {why}")
                    dynamic = frozenset()
            return self._trace(args, kwargs), dynamic
        except GraphBreak as brk:
            message = f"{brk.where}: {brk.reason}"
            if self.fullgraph:
                raise RuntimeError(f"mlopt.compile(fullgraph=True): graph break at "
                                   f"{message}") from None
            if message not in self.reasons:
                self.reasons.append(message)
                _log(f"{self.name} runs eagerly: {message}")
            entry = _Entry()
            entry.value_guards = getattr(brk, "value_guards", [])
            return entry, dynamic


_autograd_module = None


def _autograd():
    """mlopt._autograd (imported on first use: it imports this module)."""
    global _autograd_module
    if _autograd_module is None:
        from . import _autograd as module
        _autograd_module = module
    return _autograd_module


def _replay_output(fn, k, drawn, shared, args, kwargs, captured):
    """Output k of fn(*args, **kwargs), traced into a gradient trace: the
    replay of a compiled call's output, drawing the random tensors `drawn`
    that the call drew. The call's outputs share one replay per gradient
    trace (`shared`). `captured` is there for the tape (the captured tensors
    are leaves of the call); fn reads them itself."""
    tracer = _active()
    if shared.get("tracer") is not tracer:
        saved, tracer.replayed_random = tracer.replayed_random, list(drawn)
        try:
            outs = []
            _flatten(fn(*args, **kwargs), outs)
        finally:
            tracer.replayed_random = saved
        shared["tracer"], shared["outs"] = tracer, outs
        tracer.replay_caches.append(shared)
    return shared["outs"][k]


def _dump(name, ir):
    directory = os.environ.get("MLOPT_DUMP_IR")
    if directory:
        path = pathlib.Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / f"{name}.traced.mlir").write_text(ir)


MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """Like torch.compile: returns `model` (a function) compiled; usable as
    @mlopt.compile or @mlopt.compile(fullgraph=True). mode="reduce-overhead"
    (and "max-autotune", as in PyTorch) runs CUDA programs as CUDA graphs,
    as do options={"triton.cudagraphs": True} and backend="cudagraphs";
    other backends are accepted and ignored (mlopt has one); disable=True
    returns the function itself."""
    if mode is not None and mode not in MODES:
        raise RuntimeError(f"Unrecognized mode={mode!r}, should be one of: {', '.join(MODES)}")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    graphs = mode in ("reduce-overhead", "max-autotune") or backend == "cudagraphs"
    graphs = bool((options or {}).get("triton.cudagraphs", graphs))

    def wrap(f):
        from .nn.modules import Module
        if disable:
            return f
        if isinstance(f, Module):
            return CompiledModule(f, fullgraph, dynamic, graphs)
        return CompiledFunction(f, fullgraph, dynamic, graphs)
    return wrap if model is None else wrap(model)


class CompiledModule:
    """mlopt.compile(module): calls go to a compiled function per train/eval
    state of the module's submodules and per set of its parameter and
    buffer objects (guards as torch.compile's: model.eval() or a replaced
    parameter after compiling take effect); every other attribute is the
    module's, and its methods that return the module (eval, train, to,
    cuda, ...) return this wrapper."""

    def __init__(self, module, *options):
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_by_state", {})

    def _compiled(self):
        # One walk over the submodules: each one's mode and tensor objects.
        state = tuple((m.training, *map(id, m._parameters.values()), *map(id, m._buffers.values()))
                      for m in self._orig_mod.modules())
        fn = self._by_state.get(state)
        if fn is None:
            fn = self._by_state[state] = CompiledFunction(self._orig_mod, *self._options)
        return fn

    def __call__(self, *args, **kwargs):
        return self._compiled()(*args, **kwargs)

    @property
    def cache(self):
        return self._compiled().cache

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_orig_mod", "_options", "_by_state"):
            raise AttributeError(name)  # (not the module's: copy and pickle ask)
        value = getattr(self._orig_mod, name)
        if not callable(value) or not hasattr(value, "__self__"):
            return value

        def method(*args, **kwargs):
            out = value(*args, **kwargs)
            return self if out is self._orig_mod else out
        return method

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __deepcopy__(self, memo):
        return CompiledModule(copy.deepcopy(self._orig_mod, memo), *self._options)

    def __repr__(self):
        return f"CompiledModule({self._orig_mod!r})"


def explain(fn, *args, **kwargs):
    """Why `fn` (compiled or not) would run eagerly for these arguments, and
    the traced IR when it compiles, with its kernel count and the peak memory
    of one call. Measuring runs the compiled function once (random ops draw
    from the generator) and resets the peak-memory counter."""
    compiled = fn if isinstance(fn, CompiledFunction) else CompiledFunction(fn)
    try:
        entry = compiled._trace(args, kwargs)
    except GraphBreak as brk:
        return f"graph break at {brk.where}: {brk.reason}"
    # One call, to measure the memory the program itself allocates.
    leaves = []
    _flatten((args, kwargs), leaves)
    inputs = [t._buf for t in leaves] + [_lifted_value(x, leaves)._buf for x in entry.lifted]
    entry.trace.wait_compiled()  # (the program, not the interpreted first call)
    _C.reset_peak_memory_stats()
    base = _C.memory_stats()["live_bytes"]
    outs = entry.trace.run(inputs)
    peak = _C.memory_stats()["peak_bytes"] - base
    del outs
    return (f"compiled to one mlopt function ({entry.trace.kernel_count} kernels; peak memory "
            f"of one call {peak / 2**20:.2f} MiB beyond its inputs):\n" + entry.trace.ir)
