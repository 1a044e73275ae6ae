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
import threading

import numpy as np

from . import _compile
from ._tensor import Tensor

_mode = threading.local()


def is_grad_enabled():
    return getattr(_mode, "enabled", True)


class set_grad_enabled(contextlib.ContextDecorator):
    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous = is_grad_enabled()
        _mode.enabled = self.mode

    def __exit__(self, *exc):
        _mode.enabled = self.previous
        return False


class no_grad(set_grad_enabled):
    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    def __init__(self):
        super().__init__(True)


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors(x)


def record(out, replay, args):
    """Marks `out` as computed by replay(*args) when an argument requires grad."""
    if not is_grad_enabled() or _compile._active() is not None:
        return out
    if any(t.requires_grad for t in _tensors(args)):
        out.requires_grad = True
        out._node = (replay, args)
    return out


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
        # Only self carries a gradient through a view (index tensors do not).
        if self.requires_grad and out is not self and isinstance(out, Tensor):
            record(out, lambda s, a, k: getattr(s, name)(*a, **k), (self, args, kwargs))
        return out
    return wrapper


def _replay(loss, gradient):
    """Builds the gradient trace of `loss` from its tape; returns the trace,
    the leaves it differentiates and the concrete inputs in order."""
    order, seen = [], set()

    def visit(t):  # post-order over the tape, iteratively (deep tapes)
        stack = [(t, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if getattr(node, "_node", None) is not None:
                for arg in _tensors(node._node[1]):
                    stack.append((arg, False))
    visit(loss)

    tracer = _compile._Tracer()
    traced = {}
    leaves = [t for t in order if t.requires_grad and getattr(t, "_node", None) is None]
    tracer.device = "cuda" if any(t._buf.device == "cuda" for t in leaves) else "cpu"
    for leaf in leaves:
        traced[id(leaf)] = tracer.input(leaf)
        # A replay that reads a leaf itself (a compiled function's captured
        # parameter) reads this input, so the gradient reaches the leaf.
        tracer.lifted_ids[id(leaf)] = traced[id(leaf)]

    def sub(obj):
        if isinstance(obj, Tensor):
            return traced.get(id(obj), obj)
        if isinstance(obj, (list, tuple)):
            return type(obj)(sub(x) for x in obj)
        if isinstance(obj, dict):
            return {k: sub(v) for k, v in obj.items()}
        return obj

    previous = _compile._active()
    _compile._state.tracer = tracer
    try:
        for t in order:
            if getattr(t, "_node", None) is not None:
                replay, args = t._node
                traced[id(t)] = tracer.lift(replay(*sub(args)))
        grads = tracer.gradients([traced.get(id(loss), loss)], [gradient],
                                 [traced[id(leaf)] for leaf in leaves])
    finally:
        _compile._state.tracer = previous
    inputs = leaves + [x() if callable(x) else x for x in tracer.lifted]
    tracer.trace.finish([g._value.id for g in grads],
                        cuda=any(t._buf.device == "cuda" for t in inputs))
    return tracer.trace, leaves, inputs


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
    trace, leaves, inputs = _replay(tensor, gradient)
    grads = trace.run([t._buf for t in inputs])
    with no_grad():
        for leaf, g in zip(leaves, grads):
            _accumulate(leaf, Tensor(g))


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
        if id(p) not in tracer.grads:
            tracer.grads[id(p)] = (p, p._grad, holder)  # p's .grad restored after tracing
        current = holder.grad  # a captured one's .grad is read on every call
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
