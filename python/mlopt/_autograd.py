"""Reverse-mode autodiff for Python: every path ends in the one IR transform
(passes/Autodiff.cpp, reached through Trace.gradients).

- Eager: ops on tensors that require grad record a node (the function and
  its arguments) on their result. backward() replays the nodes between the
  leaves and the loss into a trace, appends the gradient ops, compiles and
  runs it, and accumulates into `.grad`. The compiled backward is cached by
  the IR it builds, so a training loop compiles it once.
- Traced (`grad`, `vjp`, `backward()` inside @mlopt.compile): the gradient
  ops are recorded into the trace itself, so a gradient can be differentiated
  again and an optimizer step can follow in the same compiled function.
"""

import contextlib
import functools
import itertools
import math
import threading
import weakref

import numpy as np

from . import _compile
from ._tensor import Tensor

_mode = threading.local()


def is_grad_enabled():
    return getattr(_mode, "enabled", True)


class _GradMode(contextlib.ContextDecorator):
    """Sets grad mode on entry and restores it on exit; as a decorator, each
    call gets its own restore point (recursion, threads)."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def _recreate_cm(self):
        return _GradMode(self.mode)

    def __enter__(self):
        self.previous = is_grad_enabled()
        _mode.enabled = self.mode

    def __exit__(self, *exc):
        _mode.enabled = self.previous
        return False


class _FixedGradMode(_GradMode):
    """A mode of its own (no_grad, enable_grad): a context manager, or a
    decorator with or without (), as PyTorch's."""

    enabled = False

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # @no_grad: not an instance, so no __init__

    def __init__(self, orig_func=None):
        super().__init__(self.enabled)


class no_grad(_FixedGradMode):
    enabled = False


class enable_grad(_FixedGradMode):
    enabled = True


class set_grad_enabled(_GradMode):
    """As PyTorch's: sets the mode at once, so a plain call works too; `with`
    restores it after, and a decorator sets it only while the function runs."""

    def __init__(self, mode):
        super().__init__(mode)
        self.previous = is_grad_enabled()
        _mode.enabled = self.mode

    def __call__(self, fn):
        _mode.enabled = self.previous  # decorating changes nothing by itself
        return super().__call__(fn)

    def __enter__(self):
        pass  # (set when made)


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors(x)


# ---- the tape ----------------------------------------------------------------------
#
# A node is the function that computes a tensor and its arguments. A tensor
# updated in place (eagerly, while it or the value requires grad) gets a new
# node, as PyTorch rebinds grad_fn; its previous state moves to a shell kept
# in tensor._hist, and a node refers to each argument with the state
# (tensor._ver) it read, so a node recorded before the update replays the
# value from before it. tensor._vc is the storage's version counter (shared
# by views, like PyTorch's): backward() refuses a value changed since a node
# read it where that node needs it (see _check).

_seq = itertools.count()

# Ops whose gradient needs none of their inputs' values; ops that save their
# output instead (PyTorch's ExpBackward & co.); ops where an input is saved
# only for the other input's gradient. Others save every input.
_NO_SAVE = frozenset(["mlopt.add", "mlopt.sub", "mlopt.neg", "mlopt.convert", "mlopt.sum",
                      "mlopt.concat", "mlopt.select", "mlopt.index_select", "mlopt.gather",
                      "mlopt.broadcast_in_dim", "mlopt.reshape", "mlopt.transpose",
                      "mlopt.slice"])
_SAVES_OUTPUT = frozenset(["mlopt.exp", "mlopt.expm1", "mlopt.tanh", "mlopt.sigmoid",
                           "mlopt.sqrt", "mlopt.rsqrt"])
_PAIRWISE = frozenset(["mlopt.mul", "mlopt.matmul"])


class _Node:
    """grad_fn: replay(*args) recomputes the tensor inside a trace."""
    __slots__ = ("replay", "args", "tensors", "vers", "vcs", "op", "saved", "saves_output",
                 "out_vc", "seq", "released", "custom")

    def __init__(self, replay, args, op=None, out=None, tensors=None):
        self.replay, self.args, self.op = replay, args, op
        self.tensors = tensors = _flat(args) if tensors is None else tensors
        self.vers = [t._ver for t in tensors]
        self.vcs = [0 if t._vc is None else t._vc[0] for t in tensors]
        self.seq = next(_seq)
        self.released = False
        self.custom = None  # (call, k): output k of an autograd.Function call
        self.saves_output = op in _SAVES_OUTPUT
        self.out_vc = _version(out) if out is not None else 0
        if op is None or op in _NO_SAVE or op in _SAVES_OUTPUT:
            self.saved = ()
        elif op in _PAIRWISE and len(self.tensors) == 2:
            self.saved = tuple(i for i in (0, 1) if self.tensors[1 - i].requires_grad)
        elif op == "mlopt.div" and len(self.tensors) == 2:
            self.saved = (1, 0) if self.tensors[1].requires_grad else (1,)
        else:
            self.saved = tuple(range(len(self.tensors)))

    def name(self):
        if self.custom is not None:
            return f"{self.custom[0].cls.__name__}Backward"
        return f"{self.op[6:].capitalize()}Backward" if self.op else "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    def vertices(self):
        """The arguments as they were when this node read them."""
        if self.released:
            raise RuntimeError(_RELEASED)
        return [t if t._ver == v else t._hist[v] for t, v in zip(self.tensors, self.vers)]


_RELEASED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


def _holds_values(node):
    """Whether PyTorch's node for this op saves tensors, so that backward()
    frees them and a second backward through it raises: ops that read an
    input's value or their output for the gradient, and compiled calls.
    Views, sums, adds and the like save nothing, nor does mean's 0-d count
    (test/python/test_retain_graph.py checks the cases against PyTorch)."""
    if node.custom is not None:
        return node.custom[0].saves  # ctx.saved_tensors (gradient hooks save nothing)
    if node.op is None:
        return isinstance(node.replay, functools.partial) and \
            node.replay.func is _compile._replay_output
    if node.saves_output:
        return True
    return any(node.tensors[i].ndim > 0 or node.tensors[i].requires_grad for i in node.saved)


def release(order):
    """After backward() without retain_graph: the nodes in `order` that hold
    values drop their arguments, as PyTorch frees saved tensors. So a loss
    kept after backward (`total += loss`) keeps no activations alive, and a
    second backward through such a node raises PyTorch's error."""
    for t in order:
        node = t._node
        if node is not None and not node.released and _holds_values(node):
            node.released = True
            node.args, node.tensors, node.vers, node.vcs = None, (), (), ()
            if node.custom is not None:
                node.custom[0].release()


def release_all(orders):
    for order in orders:
        release(order)


def _flat(args):
    """The tensors in args, in _tensors' order."""
    if type(args) is tuple and all(isinstance(x, Tensor) for x in args):
        return list(args)
    return list(_tensors(args))


def _version(t):
    vc = t._vc
    return vc[0] if vc is not None else 0


def counter(t):
    """t's storage version counter (created on first use)."""
    if t._vc is None:
        t._vc = [0]
    return t._vc


def bump(t):
    counter(t)[0] += 1


def record(out, replay, args, op=None):
    """Marks `out` as computed by replay(*args) when an argument requires grad
    (only floating-point results require grad, as in PyTorch)."""
    if not is_grad_enabled() or _compile._active() is not None:
        return out
    tensors = _flat(args)
    if any(t.requires_grad for t in tensors) and out.dtype.is_floating_point:
        out._requires_grad = True
        out._node = _Node(replay, args, op, out, tensors)
    return out


def _view_of(out, base):
    """out shares base's storage: it shares the version counter, and a view
    of a tensor that requires grad is refreshed when that memory is updated."""
    if base._detached is not None:  # a view of a detach()ed alias is one too
        out._vc = counter(base)
        out._detached = base._detached
        return
    root = base._vbase if base._vbase is not None else base
    out._vc = counter(root)
    out._vbase = root
    if base.requires_grad and root._node is not None:
        # (a leaf's storage is never updated by a recorded op)
        views = root._vviews
        if views is None:
            views = root._vviews = []
        elif len(views) >= 32 and len(views) & (len(views) - 1) == 0:  # prune now and then
            views[:] = [r for r in views if r() is not None]
        views.append(weakref.ref(out))


def _traceable_index(index):
    """The indices the tracer records itself: ints, slices, None, ..., and
    one integer tensor among full slices."""
    items = index if isinstance(index, tuple) else (index,)
    tensors = [i for i in items if isinstance(i, Tensor)]
    if any(isinstance(i, (bool, list, np.ndarray, np.bool_, np.integer)) for i in items):
        return False
    if not tensors:
        return True
    return (len(tensors) == 1 and tensors[0].dtype.category == 1 and
            all(isinstance(i, Tensor) or i is Ellipsis or
                (isinstance(i, slice) and i == slice(None)) for i in items))


def _np_index(index):
    """The index for NumPy: tensors and lists become arrays (same meaning)."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for i in items:
        if isinstance(i, Tensor):
            i = i.cpu().numpy()
        elif isinstance(i, list):
            i = np.asarray(i)
            if i.size == 0 and i.dtype.kind not in "biu":
                i = i.astype(np.int64)
        out.append(i)
    return tuple(out)


def _gather(positions):
    """replay: the elements of `base` (flat, row-major) at `positions`."""
    flat = np.ascontiguousarray(positions.reshape(-1), dtype=np.int64)
    shape = tuple(positions.shape)

    def replay(base):
        base = _compile._active().lift(base)
        if flat.size == 0:
            return base.reshape(-1)[0:0].reshape(shape)
        from ._tensor import tensor
        return base.reshape(-1)[tensor(flat)].reshape(shape)
    return replay


def _scatter(positions, shape):
    """replay: `old` with the elements at `positions` replaced by `value`
    (broadcast to positions' shape); the last write wins, as in eager."""
    flat = positions.reshape(-1)
    region = tuple(positions.shape)
    # Which elements are written, and by which element of value (once, not
    # per replay).
    n = math.prod(shape)
    mask = np.zeros(n, dtype=bool)
    mask[flat] = True
    src = np.zeros(n, dtype=np.int64)
    src[flat] = np.arange(flat.size)

    def replay(old, value):
        from . import _tensor as T
        tracer = _compile._active()
        old, value = tracer.lift(old), tracer.lift(value)
        if flat.size == 0:
            return old
        while value.ndim > len(region) and value.shape[0] == 1:
            value = value.reshape(tuple(value.shape)[1:])
        if tuple(value.shape) != region:
            value = value.expand(region)
        full = value.reshape(-1)[T.tensor(src)].reshape(shape)
        return T.where(T.tensor(mask.reshape(shape)), full, old)
    return replay


def _identity(value):
    return value


def _add_delta(old, delta):
    return old + delta


def _storage_index(t):
    """Where each element of t lives in its storage (elements)."""
    shape, strides = tuple(t.shape), t.stride()
    out = np.full(shape, t._buf.offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        out += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return out


def _positions(root, t):
    """The flat (row-major) index in `root` of each element of its view t."""
    if t is root:
        return np.arange(root.numel(), dtype=np.int64).reshape(tuple(root.shape))
    where = _storage_index(t)
    if root.is_contiguous():
        return where - root._buf.offset
    own = _storage_index(root).reshape(-1)
    order = np.argsort(own, kind="stable")
    return order[np.searchsorted(own[order], where)]


def _push(t, snapshot=None):
    """Moves t's current state (node, requires_grad) to a shell in t._hist;
    `snapshot` (a copy of the memory) for a tensor whose value is an input."""
    shell = Tensor.__new__(Tensor)
    shell._buf = t._buf if snapshot is None else snapshot._buf
    shell._requires_grad = t.requires_grad
    shell._grad = None
    shell._node = t._node
    shell._ver = t._ver
    shell._vc = t._vc if snapshot is None else [_version(t)]
    if t._hist is None:
        t._hist = {}
    t._hist[t._ver] = shell
    t._ver += 1


def _refresh(root, target):
    """Every live view of root (and target, a view written through) reads
    root's new state."""
    live = []
    for ref in root._vviews or ():
        v = ref()
        if v is not None and v is not root and not any(v is u for u in live):
            live.append(v)
    if target is not root and target._detached is None and \
            not any(target is u for u in live):
        live.append(target)
    root._vviews = [weakref.ref(v) for v in live] or None
    for v in live:
        node = _Node(_gather(_positions(root, v)), (root,))
        _push(v)
        v._node = node
        v._requires_grad = True


def _exempt(value, vc, since):
    """The in-place op's own reads of the tensor it overwrites are not saved
    values being modified (PyTorch saves the original where it needs it): the
    nodes numbered from `since` on, or value's own node if since is None."""
    stack, seen = [value._node], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or (since is not None and node.seq < since):
            continue
        seen.add(id(node))
        for i, t in enumerate(node.tensors):
            if t._vc is vc:
                node.vcs[i] = None
            if since is not None and t._node is not None and t._node.seq >= since:
                stack.append(t._node)


def seq():
    """The next node's number: nodes from here on belong to one in-place op."""
    return next(_seq)


def needs_record(t, value):
    """Whether an in-place update of t (with value) goes through inplace()."""
    if t._detached is not None:
        root = t._detached()  # the tensor it was detached from (None: gone)
        return root is not None and root.requires_grad and root._node is not None
    root = t._vbase if t._vbase is not None else t
    if not (root.requires_grad or t.requires_grad or
            (isinstance(value, Tensor) and value.requires_grad)):
        return False
    if is_grad_enabled():
        return True
    return root._node is not None


def inplace(t, value, since, write, index=None):
    """Writes (write()) and records an in-place update of t with `value`
    (t[index] = value when index is given): the root of t's storage gets a
    node that computes its new value from the old one, and the views of it
    read the new one (PyTorch's CopySlices)."""
    from ._tensor import _raw_clone
    detached = t._detached is not None
    root = t._detached() if detached else t._vbase if t._vbase is not None else t
    if root is None:  # detached from a tensor that is gone: a plain write
        write()
        bump(t)
        return
    vc = counter(root)
    if detached or not is_grad_enabled():
        # Not recorded, as in PyTorch: the values change, gradients flow as
        # before. A non-leaf becomes old + (new - old) with the difference a
        # constant, so what later ops read is what backward replays.
        if root._node is None:
            write()
            vc[0] += 1
            return
        before = _raw_clone(root)
        write()
        with no_grad():
            delta = Tensor(root._buf) - before
        node = _Node(_add_delta, (root, delta))
        _push(root)
        root._node = node
        _refresh(root, root if detached else t)
        vc[0] += 1
        return
    if (t.requires_grad and t._node is None) or (root.requires_grad and root._node is None):
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation." if t is root or t._node is None else
                           "a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    positions = None
    if t is not root:
        positions = _positions(root, t)
        if index is None and np.unique(positions).size != positions.size:
            raise RuntimeError("unsupported operation: more than one element of the "
                               "written-to tensor refers to a single memory location. Please "
                               "clone() the tensor before performing the operation.")
    if index is not None:
        if positions is None:
            positions = np.arange(t.numel(), dtype=np.int64).reshape(tuple(t.shape))
        positions = np.asarray(positions[_np_index(index)])
    if value._node is not None:
        _exempt(value, vc, since)
    if positions is None:
        node = _Node(_identity, (value,))
    else:
        node = _Node(_scatter(positions, tuple(root.shape)), (root, value))
    snapshot = _raw_clone(root) if root._node is None and not root.requires_grad else None
    write()
    _push(root, snapshot)
    root._node = node
    root._requires_grad = True
    _refresh(root, t)
    vc[0] += 1


def recorded_method(name):
    """Wraps Tensor.<name> (a view) so that its result records a node, and
    so that inside a trace a view of a captured tensor is traced."""
    method = getattr(Tensor, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        tracer = _compile._active()
        if tracer is not None and not isinstance(self, _compile._Traced):
            # A view of a captured tensor: taken in the trace, of the lifted
            # tensor, so updates and gradients reach the tensor itself.
            return getattr(tracer.lift(self), name)(*args, **kwargs)
        out = method(self, *args, **kwargs)
        if out is self or not isinstance(out, Tensor) or out._buf is None:
            return out
        if out._buf.same_storage(self._buf):
            _view_of(out, self)
        # Only self carries a gradient through a view (index tensors do not).
        if self.requires_grad:
            if name == "__getitem__" and not _traceable_index(args[0]):
                # Advanced indexing: the same elements, gathered by their flat
                # positions (the trace records one index tensor).
                positions = np.arange(self.numel(), dtype=np.int64).reshape(
                    tuple(self.shape))[_np_index(args[0])]
                if tuple(np.shape(positions)) != tuple(out.shape):
                    raise RuntimeError(f"internal error: index positions {np.shape(positions)} "
                                       f"for a result of shape {tuple(out.shape)}")
                record(out, _gather(np.asarray(positions)), (self,))
            else:
                record(out, lambda s, a, k: getattr(s, name)(*a, **k), (self, args, kwargs))
        return out
    return wrapper


def _modified(t, now, then, node):
    kind = f"{t.dtype} {list(t.shape)}"
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{kind}], which is needed by {node.name()}, is at version "
        f"{now}; expected version {then} instead. Hint: clone() it before the in-place "
        f"update, or update it out of place.")


def _check(t, node, vertices):
    """PyTorch's version check: a value read by a node that needs it for the
    gradient (an input whose value backward replays, a saved input or output)
    must not have been modified in place since."""
    for i, (x, then) in enumerate(zip(vertices, node.vcs)):
        if then is None:
            continue
        now = _version(x)
        if now != then and (x._node is None or i in node.saved):
            raise _modified(x, now, then, node)
    if node.saves_output and _version(t) != node.out_vc:
        raise _modified(t, _version(t), node.out_vc, node)


def _tape(loss):
    """The tensors below `loss` in post-order, and each node's vertices (its
    arguments as it read them), by id."""
    order, seen, vertices = [], set(), {}
    stack = [(loss, False)]  # iterative: tapes can be deep
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._node is not None:
            if node._node.custom is not None:  # a cut: its backward runs in Python
                if node._node.released:
                    raise RuntimeError(_RELEASED)
                continue
            args = vertices[id(node)] = node._node.vertices()
            for arg in args:
                stack.append((arg, False))
    return order, vertices


def _is_cut(t):
    """t is an output of an autograd.Function call: the gradient trace takes
    it as an input, and the Function's backward continues from there."""
    return t._node is not None and t._node.custom is not None


def _replay_tape(tracer, order, vertices, traced):
    """Replays the nodes of `order` into `tracer`; `traced` maps the id of
    each tensor given (the leaves) to its traced value and gains the
    replayed ones."""
    def sub(obj, it):
        if isinstance(obj, Tensor):
            x = next(it)
            return traced.get(id(x), x)
        if isinstance(obj, (list, tuple)):
            return type(obj)(sub(x, it) for x in obj)
        if isinstance(obj, dict):
            return {k: sub(v, it) for k, v in obj.items()}
        return obj

    # Replays run in grad mode whatever the caller's: backward() under
    # no_grad still differentiates (in traces, no_grad stops gradients).
    with enable_grad():
        for t in order:
            if t._node is not None and not _is_cut(t):
                node = t._node
                args = sub(node.args, iter(vertices[id(t)]))
                traced[id(t)] = tracer.lift(node.replay(*args))
                # A replay that reads t itself (a compiled call's captured
                # non-leaf) reads this value, so the gradient flows through.
                tracer.lifted_ids[id(t)] = traced[id(t)]


def _replay(loss, gradient):
    """Builds the gradient trace of `loss` from its tape; returns the trace,
    the tensors whose gradients it computes (leaves, then non-leaves that
    retain their grad), the concrete inputs in order, and the tape (_tape's
    order and vertices)."""
    order, vertices = _tape(loss)
    tracer = _compile._Tracer()
    traced = {}
    leaves = [t for t in order if t.requires_grad and (t._node is None or _is_cut(t))]
    tracer.device = "cuda" if any(t._buf.device == "cuda" for t in leaves) else "cpu"
    for leaf in leaves:
        traced[id(leaf)] = tracer.input(leaf)
        # A replay that reads a leaf itself (a compiled function's captured
        # parameter) reads this input, so the gradient reaches the leaf.
        tracer.lifted_ids[id(leaf)] = traced[id(leaf)]
    for t in order:
        if t._node is not None and not _is_cut(t):
            _check(t, t._node, vertices[id(t)])
    previous = _compile._active()
    _compile._state.tracer = tracer
    try:
        _replay_tape(tracer, order, vertices, traced)
        # Non-leaf tensors that called retain_grad() get their gradient too.
        retained = [t for t in order if t._node is not None and not _is_cut(t) and
                    t._retains_grad]
        with enable_grad():
            grads = tracer.gradients([traced.get(id(loss), loss)], [gradient],
                                     [traced[id(t)] for t in leaves + retained])
    finally:
        _compile._state.tracer = previous
        for cache in tracer.replay_caches:  # compiled calls' shared replays
            cache.clear()
    inputs = leaves + [x() if callable(x) else x for x in tracer.lifted]
    cuda = any(t._buf.device == "cuda" for t in inputs)
    tracer.trace.finish([g._value.id for g in grads], cuda=cuda,
                        background=_compile._background_compiles(cuda))
    return tracer.trace, leaves + retained, inputs, order, vertices


def gradients_with_graph(loss, gradient):
    """create_graph=True: the tensors reached and their gradients, each
    differentiable in turn. The tape stays, whatever retain_graph says: the
    gradients replay it (PyTorch's new graph holds what it needs too)."""
    trace, reached, inputs, order, vertices = _replay(loss, gradient)
    grads = [Tensor(g) for g in trace.run([t._buf for t in inputs])]
    # As in PyTorch, create_graph records whatever the grad mode.
    with enable_grad():
        return reached, _differentiable(loss, gradient, reached, grads, order, vertices)


def _differentiable(loss, gradient, wanted, grads, order, vertices):
    """Gives grads[k], the gradient of `loss` (seeded with `gradient`) w.r.t.
    wanted[k], a node that computes it inside another gradient trace. The
    tape (order, vertices) from its leaves to `loss` is replayed there and
    differentiated (the one IR transform again), so the gradient can be
    differentiated in turn: Hessian-vector products, gradient penalties."""
    if any(_is_cut(t) for t in order):
        raise NotImplementedError("create_graph=True through an autograd.Function: its "
                                  "backward runs in Python, outside the gradient trace")
    leaves = tuple(t for t in order if t.requires_grad and t._node is None)
    shared = {}  # per gradient trace: the replay every gradient reads

    def replay_of(k):
        def replay(*args):  # the leaves, as the trace replaying them sees them
            tracer = _compile._active()
            if shared.get("tracer") is not tracer:
                traced = {id(leaf): a for leaf, a in zip(leaves, args)}
                _replay_tape(tracer, order, vertices, traced)
                with enable_grad():
                    values = tracer.gradients(
                        [traced.get(id(loss), loss)], [gradient],
                        [traced.get(id(w), w) for w in wanted])
                shared["tracer"], shared["values"] = tracer, values
                tracer.replay_caches.append(shared)
            return shared["values"][k]
        return replay

    return [record(g, replay_of(k), leaves) for k, g in enumerate(grads)]


def backward(tensor, gradient=None, retain_graph=None, create_graph=False):
    if gradient is None and tensor.numel() != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if isinstance(tensor, _compile._Traced):
        return _traced_backward(tensor, gradient)
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    if gradient is not None and tuple(gradient.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Mismatch in shape: grad_output has a shape of "
                           f"{list(gradient.shape)} and output has a shape of "
                           f"{list(tensor.shape)}")
    if gradient is not None:
        gradient = gradient.detach()
    if create_graph:
        leaves, grads = gradients_with_graph(tensor, gradient)
        with enable_grad():  # the sums into .grad are recorded too
            for leaf, g in zip(leaves, grads):
                _accumulate(leaf, g)
        return
    orders = []
    backprop(tensor, gradient, orders)
    if not retain_graph:
        release_all(orders)


def backprop(loss, gradient, orders, sink=None):
    """The gradients of `loss` into the leaves' .grad (or, with `sink`, a
    dict by id of every tensor reached): one gradient trace up to the
    outputs of autograd.Function calls, whose backward then runs in Python
    and continues from their inputs. The tapes walked are added to `orders`
    (the caller releases them once everything ran)."""
    trace, reached, inputs, order, _ = _replay(loss, gradient)
    orders.append(order)
    grads = [Tensor(g) for g in trace.run([t._buf for t in inputs])]
    calls = {}
    for t, g in zip(reached, grads):
        if _is_cut(t):
            call, k = t._node.custom
            calls.setdefault(id(call), (call, {}))[1][k] = g
            if not t._retains_grad:
                continue
        _receive(t, g, sink)
    for call, got in calls.values():
        call.backward(got, orders, sink)


class _Handle:
    """What register_hook returns: remove() takes the hook out."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _run_hooks(hooks, g):
    for hook in list(hooks):
        result = hook(g)
        if result is not None:
            g = result
    return g


class _HookCall:
    """The cut a gradient hook makes in a non-leaf's tape: backprop hands the
    tensor's whole gradient to its hooks, then carries the result on from
    the tensor's computation (`shell`, the tensor's former node)."""
    saves = False

    class cls:  # (names the node HookBackward)
        __name__ = "Hook"

    def __init__(self, shell):
        self.shell, self.hooks = shell, []

    def release(self):
        pass

    def backward(self, got, orders, sink):
        with no_grad():
            g = _run_hooks(self.hooks, got[0])
        with enable_grad():
            total = (self.shell * g.detach()).sum()
        backprop(total, None, orders, sink)


def register_hook(t, hook):
    """Tensor.register_hook: hook(grad) with the gradient of t, as PyTorch.
    A leaf's hooks run before its .grad accumulates. A non-leaf gets a cut
    (its node moves to a shell that the cut reads), so its hooks see the
    gradient from every use, made before or after the registration."""
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._node is None:
        if t.__dict__.get("_grad_hooks") is None:
            t._grad_hooks = []
        t._grad_hooks.append(hook)
        return _Handle(t._grad_hooks, hook)
    if t._node.custom is None or not isinstance(t._node.custom[0], _HookCall):
        shell = Tensor.__new__(Tensor)
        shell._buf, shell._requires_grad, shell._grad = t._buf, True, None
        shell._node, shell._ver, shell._vc = t._node, t._ver, t._vc
        call = _HookCall(shell)
        node = _Node(None, ())
        node.custom = (call, 0)
        t._node = node
    call = t._node.custom[0]
    call.hooks.append(hook)
    return _Handle(call.hooks, hook)


def _receive(t, g, sink):
    hooks = t.__dict__.get("_grad_hooks") if t._node is None else None
    if hooks:
        with no_grad():
            g = _run_hooks(hooks, g)
    if sink is None:
        with no_grad():
            _accumulate(t, g)
    else:
        sink[id(t)] = g if id(t) not in sink else sink[id(t)] + g


def _accumulate(leaf, g):
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def _traced_backward(loss, gradient):
    """backward() inside @compile: gradients of the captured tensors that
    require grad join the trace; `.grad` is set after the compiled call."""
    tracer = loss._tracer
    params = [(t, traced) for t, traced in tracer.concrete.values() if t.requires_grad]
    if not params:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    grads = tracer.gradients([loss], [gradient], [traced for _, traced in params])
    for (p, _), g in zip(params, grads):
        holder = tracer.holders.get(id(p), p)  # what the function reads .grad from
        current = holder.grad  # a captured one's .grad is read on every call
        tracer.write_grad(p)  # p's .grad restored after tracing
        if current is not None:
            g = g + current  # accumulates, as eager
        holder.grad = g  # seen by the rest of the traced function


def _traced_grads(f, args, argnums, cotangents=None):
    """Inside a trace: f(*args) and the gradients of its output(s) w.r.t.
    args[argnums], recorded into the trace."""
    tracer = _compile._active()
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    out = f(*args)
    outs = list(_tensors(out))
    if cotangents is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("grad requires a function returning one scalar tensor; use "
                               "vjp for other outputs")
        cotangents = [None]
    grads = tuple(tracer.gradients(outs, cotangents, [args[i] for i in nums]))
    return out, grads[0] if single else grads


def value_and_grad(f, argnums=0):
    """Like jax.value_and_grad: returns (f(*args), gradient(s) w.r.t. argnums)."""
    def traced(*args):
        return _traced_grads(f, args, argnums)
    compiled = _compile.CompiledFunction(traced, fullgraph=True, dynamic=False)

    @functools.wraps(f)
    def wrapper(*args):
        if _compile._active() is not None:  # inside another trace: nest
            return traced(*args)
        return compiled(*args)
    return wrapper


def grad(f, argnums=0):
    """Like jax.grad / functorch.grad: the gradient of a scalar function
    w.r.t. argument(s) `argnums`; grad(grad(f)) differentiates again."""
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapper(*args):
        return vg(*args)[1]
    return wrapper


def vjp(f, *primals):
    """Like torch.func.vjp: (f(*primals), vjp_fn), vjp_fn(cotangents) giving
    the gradients of every primal."""
    argnums = tuple(range(len(primals)))

    def traced(primals, cotangents):
        return _traced_grads(f, primals, argnums, cotangents)[1]
    compiled = _compile.CompiledFunction(traced, fullgraph=True, dynamic=False)
    out = _compile.CompiledFunction(f, fullgraph=False)(*primals)

    def vjp_fn(*cotangents):
        if len(cotangents) == 1 and isinstance(cotangents[0], (tuple, list)):
            cotangents = tuple(cotangents[0])
        return compiled(tuple(primals), tuple(cotangents))
    return out, vjp_fn


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Compares backward() gradients of fn(*inputs) (summed with random
    weights) with central finite differences in float64; raises on mismatch."""
    inputs = [x.double().detach().requires_grad_() if isinstance(x, Tensor) and
              x.dtype.is_floating_point else x for x in inputs]
    rng = np.random.default_rng(0)

    from ._tensor import tensor
    with no_grad():
        weights = [tensor(rng.standard_normal(tuple(o.shape))).double()
                   for o in _tensors(fn(*inputs))]

    def scalar(*xs):  # a random weighting of every output: one scalar
        total = None
        for o, w in zip(_tensors(fn(*xs)), weights):
            term = (o.double() * w).sum()
            total = term if total is None else total + term
        return total

    loss = scalar(*inputs)
    loss.backward()
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            continue
        analytic = x.grad.numpy() if x.grad is not None else np.zeros(tuple(x.shape))
        base = x.detach().numpy().copy()
        numeric = np.zeros_like(base)
        flat = numeric.reshape(-1)
        for j in range(base.size):
            values = []
            for delta in (eps, -eps):
                moved = base.copy().reshape(-1)
                moved[j] += delta
                args = list(inputs)
                args[i] = tensor(moved.reshape(base.shape), dtype=x.dtype)
                with no_grad():
                    values.append(scalar(*[a.detach() if isinstance(a, Tensor) else a
                                           for a in args]).item())
            flat[j] = (values[0] - values[1]) / (2 * eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            raise RuntimeError(f"gradcheck: gradient of input {i} differs from finite "
                               f"differences:\nanalytic {analytic}\nnumeric {numeric}")
    return True
