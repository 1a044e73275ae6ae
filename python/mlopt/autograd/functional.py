"""mlopt.autograd.functional: torch.autograd.functional's jacobian, hessian,
vjp, jvp, hvp and vhp, built on mlopt.autograd.grad.

Each row of a Jacobian is one backward seeded with a one-hot cotangent, so
every row runs the same gradient trace (compiled once). jvp is the gradient
of a vector-Jacobian product with respect to its cotangent (the double-vjp
trick), so it needs no forward mode."""

from .. import _tensor as T
from .._autograd import enable_grad
from . import grad as _grad


def _tuple(x, name):
    single = isinstance(x, T.Tensor)
    items = (x,) if single else tuple(x)
    for item in items:
        if not isinstance(item, T.Tensor):
            raise TypeError(f"The {name} given to the autograd functional API must be a "
                            f"Tensor or a tuple of Tensors but got {type(item).__name__}")
    return single, items


def _prepare(inputs, create_graph):
    """Inputs that require grad: the given ones with create_graph (so the
    result stays differentiable w.r.t. them), else fresh leaves."""
    single, items = _tuple(inputs, "inputs")
    items = tuple(x if create_graph and x.requires_grad else
                  x.detach().requires_grad_(x.dtype.is_floating_point) for x in items)
    return single, items


def _outputs(func, items):
    with enable_grad():
        out = func(*items)
    single, outs = _tuple(out, "outputs of the user-provided function")
    return out, single, outs


def _grads(outputs, inputs, seeds, create_graph, strict, retain=True):
    got = _grad(outputs, inputs, seeds, retain_graph=retain or create_graph,
                create_graph=create_graph, allow_unused=True)
    result = []
    for i, (g, x) in enumerate(zip(got, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            g = T.zeros_like(x)
        result.append(g if create_graph else g.detach())
    return tuple(result)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    single_in, items = _prepare(inputs, create_graph)
    out, _, outs = _outputs(func, items)
    seeds = None if v is None else _tuple(v, "v")[1]
    if seeds is None and any(o.numel() != 1 for o in outs):
        raise RuntimeError("The vector v can only be None if the user-provided function "
                           "returns a single Tensor with a single element.")
    grads = _grads(outs, items, seeds, create_graph, strict, retain=False)
    return _detach(out, create_graph), grads[0] if single_in else grads


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the gradient of u -> (v^T J) u's vjp w.r.t. u."""
    single_in, items = _prepare(inputs, create_graph)
    out, single_out, outs = _outputs(func, items)
    tangents = _tuple(v, "v")[1] if v is not None else None
    if tangents is None:
        if any(x.numel() != 1 for x in items):
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        tangents = tuple(T.ones_like(x) for x in items)
    cotangents = tuple(T.zeros_like(o).requires_grad_() for o in outs)
    vjps = _grad(outs, items, cotangents, retain_graph=True, create_graph=True,
                 allow_unused=True)
    used = [(g, t) for g, t in zip(vjps, tangents) if g is not None]
    if not used:
        result = tuple(T.zeros_like(o) for o in outs)
    else:
        total = sum((g * t).sum() for g, t in used)
        result = _grads([total], cotangents, None, create_graph, False)
    return _detach(out, create_graph), result[0] if single_out else result


def _detach(out, keep):
    if keep:
        return out
    return out.detach() if isinstance(out, T.Tensor) else tuple(o.detach() for o in out)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """J[i][j] of shape outputs[i].shape + inputs[j].shape (a Tensor where
    both are single, tuples otherwise), one backward per output element."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    single_in, items = _prepare(inputs, create_graph)
    _, single_out, outs = _outputs(func, items)
    blocks = []
    for o in outs:
        rows = [[] for _ in items]
        flat = o.numel()
        for k in range(flat):
            seed = T.zeros(flat, dtype=o.dtype, device=o.device)
            seed[k] = 1.0
            grads = _grads([o], items, [seed.reshape(tuple(o.shape))], create_graph, strict)
            for j, g in enumerate(grads):
                rows[j].append(g)
        per_input = []
        for j, x in enumerate(items):
            shape = tuple(o.shape) + tuple(x.shape)
            per_input.append(T.stack(rows[j], 0).reshape(shape) if rows[j] else
                             T.zeros(shape, dtype=x.dtype, device=x.device))
        blocks.append(per_input[0] if single_in else tuple(per_input))
    return blocks[0] if single_out else tuple(blocks)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Jacobian of the gradient of a scalar function."""
    single_in, items = _tuple(inputs, "inputs")

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, T.Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element.")
        grads = _grads([out], xs, None, True, strict)
        return grads[0] if single_in else grads

    return jacobian(gradient, items[0] if single_in else items, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) of a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): the same as hvp, H being symmetric."""
    return _hessian_product(func, inputs, v, create_graph, strict)


def _hessian_product(func, inputs, v, create_graph, strict):
    single_in, items = _prepare(inputs, True)
    items = tuple(x.detach().requires_grad_() for x in items) if not create_graph else items
    out, _, outs = _outputs(func, items)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError("The function given to hvp should return a single Tensor with a "
                           "single element.")
    vectors = _tuple(v, "v")[1] if v is not None else tuple(T.ones_like(x) for x in items)
    grads = _grads(outs, items, None, True, strict)
    total = sum((g * u).sum() for g, u in zip(grads, vectors))
    result = _grads([total], items, None, create_graph, strict, retain=create_graph)
    return _detach(out, create_graph), result[0] if single_in else result
