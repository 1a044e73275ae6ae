"""mlopt.autograd: torch.autograd's functional entry points on eager tensors.

`grad(outputs, inputs)` returns the gradients of the outputs with respect
to the inputs without touching any `.grad` (the gradient trace is the one
backward() builds: passes/Autodiff.cpp); `backward(tensors, grad_tensors)`
is `Tensor.backward` for several outputs at once. With `create_graph=True`
the gradients can be differentiated again (`_autograd.gradients_with_graph`).
`Function` is torch.autograd.Function: a forward and a backward written in
Python."""

from .. import _autograd, _compile
from .. import _tensor as T
from .._autograd import enable_grad, gradcheck, no_grad, set_grad_enabled  # noqa: F401


def _as_list(x):
    return [x] if isinstance(x, T.Tensor) else list(x)


def _weighted_sum(outputs, grad_outputs, create_graph=False):
    """One scalar whose gradient is the outputs' with their cotangents (which
    stay differentiable with create_graph: a Jacobian-vector product is the
    gradient of a vector-Jacobian product w.r.t. its cotangent)."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} "
                           f"for {len(outputs)}")
    total = None
    for out, seed in zip(outputs, grad_outputs):
        if seed is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            term = out.sum()
        else:
            if tuple(seed.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of "
                                   f"{list(seed.shape)} and output has a shape of "
                                   f"{list(out.shape)}")
            term = (out * (seed if create_graph else seed.detach())).sum()
        total = term if total is None else total + term
    return total


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of `outputs` (weighted by `grad_outputs`) with respect
    to each of `inputs` (leaves or not), as a tuple; no `.grad` changes."""
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    tracer = _compile._active()
    if tracer is not None:  # inside @compile: the gradient joins the trace
        seeds = [None] * len(outputs) if grad_outputs is None else _as_list(grad_outputs)
        for out, seed in zip(outputs, seeds):
            if seed is None and out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
        grads = tracer.gradients(outputs, seeds, inputs)
        # Without create_graph a gradient is a constant to later gradients.
        return tuple(g if create_graph else g.detach() for g in grads)
    for x in inputs:
        if not x.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    with enable_grad():
        total = _weighted_sum(outputs, grad_outputs, create_graph)
    if not total.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    # The non-leaf inputs retain their gradient for this replay only.
    flags = [(x, x._retains_grad) for x in inputs if x._node is not None]
    for x, _ in flags:
        x._retains_grad = True
    try:
        if create_graph:
            reached, values = _autograd.gradients_with_graph(total, None)
            found = {id(t): v for t, v in zip(reached, values)}
        else:
            found, orders = {}, []
            _autograd.backprop(total, None, orders, found)
            if not retain_graph:
                _autograd.release_all(orders)
    finally:
        for x, flag in flags:
            x._retains_grad = flag
    result = []
    for x in inputs:
        g = found.get(id(x))
        if g is None:
            if materialize_grads:
                g = T.zeros_like(x)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


def _sum_to(g, shape, what):
    """g summed over the dims it was broadcast along to reach `shape`, as
    PyTorch's validate_outputs."""
    extra = g.ndim - len(shape)
    if extra < 0 or any(n != m and m != 1 for n, m in zip(g.shape[extra:], shape)):
        raise RuntimeError(f"{what} - got {list(g.shape)} but expected shape compatible "
                           f"with {list(shape)}")
    dims = list(range(extra)) + [extra + d for d, m in enumerate(shape)
                                 if m == 1 and g.shape[extra + d] != 1]
    return (g.sum(dims, keepdim=True) if dims else g).reshape(shape)


class FunctionCtx:
    """ctx of an autograd.Function: what forward leaves for backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self.non_differentiable = set()
        self.to_save = ()

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        if self.to_save is None:
            raise RuntimeError(_autograd._RELEASED)
        return self.to_save

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable |= {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        pass  # (forward ran on the values; nothing to replay)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _Call:
    """One Function.apply: backward() hands the outputs' gradients to the
    user's backward and carries its input gradients on (_autograd.backprop)."""
    saves = True  # ctx's tensors: freed after a backward without retain_graph

    def __init__(self, cls, ctx, args, outputs):
        self.cls, self.ctx, self.args, self.outputs = cls, ctx, args, outputs

    def release(self):
        self.ctx.to_save = None

    def backward(self, got, orders, sink):
        grads = []
        for k, out in enumerate(self.outputs):
            g = got.get(k)
            if g is None and self.ctx.materialize_grads and isinstance(out, T.Tensor):
                g = T.zeros_like(out)
            grads.append(g)
        with _autograd.no_grad():
            result = self.cls.backward(self.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < len(self.args):
            raise RuntimeError(f"function {self.cls.__name__}Backward returned an incorrect "
                               f"number of gradients (expected {len(self.args)}, got "
                               f"{len(result)})")
        roots, seeds = [], []
        for i, (arg, g) in enumerate(zip(self.args, result)):
            if not (isinstance(arg, T.Tensor) and arg.requires_grad) or g is None:
                continue
            g = T._as_tensor(g)
            if tuple(g.shape) != tuple(arg.shape):
                g = _sum_to(g, tuple(arg.shape), f"Function {self.cls.__name__}Backward "
                            f"returned an invalid gradient at index {i}")
            g = g.to(arg.dtype)
            if arg._node is None:
                _autograd._receive(arg, g, sink)
            else:
                roots.append(arg)
                seeds.append(g)
        if roots:
            with enable_grad():
                total = _weighted_sum(roots, seeds)
            _autograd.backprop(total, None, orders, sink)


class Function:
    """torch.autograd.Function: subclass with static forward(ctx, *args) and
    backward(ctx, *grad_outputs), call with .apply(*args). forward runs on
    the values (no tape); backward() runs the gradient trace up to its
    outputs, then this backward in Python, then on from its inputs. Inside
    @mlopt.compile a call ends the trace (the function runs eagerly), and
    create_graph through it is not supported."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        if _compile._active() is not None:
            raise _compile.GraphBreak(f"autograd.Function {cls.__name__} (its backward runs "
                                      f"in Python)")
        needs = tuple(isinstance(a, T.Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with _autograd.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not (any(needs) and _autograd.is_grad_enabled()):
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        fresh = []
        for o in outs:  # an input returned as is gets an alias of its own
            if isinstance(o, T.Tensor) and any(o is a for a in args):
                o = o.view_as(o) if hasattr(o, "view_as") else o.detach()
            fresh.append(o)
        call = _Call(cls, ctx, args, tuple(fresh))
        for k, o in enumerate(fresh):
            if isinstance(o, T.Tensor) and o.dtype.is_floating_point and \
                    id(o) not in ctx.non_differentiable:
                node = _autograd._Node(None, ())
                node.custom = (call, k)
                o._node, o._requires_grad = node, True
        return fresh[0] if single else tuple(fresh)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward for several outputs at once (their gradients add up)."""
    if inputs is not None:
        raise NotImplementedError("autograd.backward(inputs=...): use autograd.grad")
    tensors = _as_list(tensors)
    with enable_grad():
        total = _weighted_sum(tensors, grad_tensors)
    total.backward(retain_graph=retain_graph, create_graph=create_graph)


from . import functional  # noqa: E402,F401  (uses grad above)
