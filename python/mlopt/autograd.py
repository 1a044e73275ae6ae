"""mlopt.autograd: torch.autograd's functional entry points on eager tensors.

`grad(outputs, inputs)` returns the gradients of the outputs with respect
to the inputs without touching any `.grad` (the gradient trace is the one
backward() builds: passes/Autodiff.cpp); `backward(tensors, grad_tensors)`
is `Tensor.backward` for several outputs at once. With `create_graph=True`
the gradients can be differentiated again (`_autograd.differentiable`)."""

from . import _autograd, _compile
from . import _tensor as T
from ._autograd import enable_grad, no_grad, set_grad_enabled  # noqa: F401


def _as_list(x):
    return [x] if isinstance(x, T.Tensor) else list(x)


def _weighted_sum(outputs, grad_outputs):
    """One scalar whose gradient is the outputs' with their cotangents."""
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
            term = (out * seed.detach()).sum()
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
        total = _weighted_sum(outputs, grad_outputs)
    if not total.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    # The non-leaf inputs retain their gradient for this replay only.
    flags = [(x, x._retains_grad) for x in inputs if x._node is not None]
    for x, _ in flags:
        x._retains_grad = True
    try:
        trace, reached, ins, order = _autograd._replay(total, None)
        values = trace.run([t._buf for t in ins])
        if not (create_graph if retain_graph is None else retain_graph):
            _autograd.release(order)
    finally:
        for x, flag in flags:
            x._retains_grad = flag
    values = [T.Tensor(v) for v in values]
    if create_graph:
        with enable_grad():
            values = _autograd.differentiable(total, None, reached, values)
    found = {id(t): v for t, v in zip(reached, values)}
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


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward for several outputs at once (their gradients add up)."""
    if inputs is not None:
        raise NotImplementedError("autograd.backward(inputs=...): use autograd.grad")
    tensors = _as_list(tensors)
    with enable_grad():
        total = _weighted_sum(tensors, grad_tensors)
    total.backward(retain_graph=retain_graph, create_graph=create_graph)
