"""Optimizers with PyTorch's names, arguments and update rules (SGD, Adam,
AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam): `step()` updates
each parameter with a .grad in place, under no_grad, in the parameter's own
dtype and device. PyTorch's implementation switches (foreach, fused,
capturable, differentiable) are accepted and change nothing: there is one
implementation.

step() inside @mlopt.compile: the state tensors are made before the first
update (concrete, updated in place, so the compiled call writes them back),
the lr is an input read on every call (schedulers change it), the step count
advances on every call (a call hook), and the trace holds while the other
settings and the set of state tensors stay as they were."""

import math
import os

from .. import _compile
from .. import _dtype as dt
from .. import _tensor as T
from .._autograd import no_grad


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # param -> its state (momentum, moments, step)
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, T.Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, T.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if p._node is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else T.zeros_like(p.grad)

    # Eager step() runs its updates as one compiled function (all of a
    # parameter's elementwise updates fused, as PyTorch's foreach/fused
    # paths): Adam on a 256-512-512-10 MLP, 4.4 -> 1.2 ms a step. It falls
    # back to the updates op by op where they do not trace, and quietly
    # when its guards keep changing. CPU parameters only;
    # MLOPT_FUSED_OPTIMIZERS=0 turns it off.
    fuse_steps = os.environ.get("MLOPT_FUSED_OPTIMIZERS", "1") != "0"

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from .._autograd import enable_grad
            with enable_grad():
                loss = closure()
        if self.fuse_steps and _compile._active() is None and self._on_cpu():
            fused = self.__dict__.get("_fused_step")
            if fused is None:
                fused = self._fused_step = _compile.CompiledFunction(self._apply_updates)
                fused.quiet = True
            fused()
        else:
            self._apply_updates()
        return loss

    def _on_cpu(self):
        """(CUDA steps stay op by op: a CUDA program compiles before its first
        call, and that path is measured only where a GPU is.)"""
        return all(p._buf.device == "cpu" for g in self.param_groups for p in g["params"])

    def __getstate__(self):  # (pickling and deepcopy leave the compiled step out)
        state = dict(self.__dict__)
        state.pop("_fused_step", None)
        return state

    def _apply_updates(self):
        """step()'s updates of every parameter with a .grad."""
        tracer = _compile._active()
        with no_grad():
            updates = [(p, group, self.state.setdefault(p, {})) for group in self.param_groups
                       for p in group["params"] if p.grad is not None]
            if tracer is not None:
                # Step counts advance once per call (a call hook, read before
                # the program runs): two steps in one trace would both read it.
                if id(self) in tracer.stepped_optimizers:
                    raise _compile.GraphBreak(f"{type(self).__name__}.step() twice in one "
                                              "compiled call")
                tracer.stepped_optimizers.add(id(self))
            try:
                with _compile.untraced():  # state read on every call, not trace-time values
                    for p, group, state in updates:
                        self._init_state(p, group, state, tracer)
                        if isinstance(state.get("step"), T.Tensor):  # PyTorch's state dicts
                            state["step"] = int(state["step"].item())
            finally:
                if tracer is not None:  # (a break here too: the eager run changes the state)
                    tracer.guard(self._traced_for)
            for p, group, state in updates:
                self._update(p, p.grad.detach(), group, state,
                             self._number(("lr", id(group)),
                                          lambda group=group: group["lr"], p))

    def _init_state(self, p, group, state, tracer):
        """Makes what _update reads from `state` (before the first update)."""

    def _update(self, p, grad, group, state, lr):
        raise NotImplementedError

    @staticmethod
    def _number(key, getter, p):
        """A number from Python state that changes between steps (the lr, a
        bias correction): getter() now, or in a trace a 0-d input made from it
        on every call (on p's device; f64 for f64 parameters, else f32)."""
        tracer = _compile._active()
        if tracer is None:
            return getter()
        dtype = dt.float64 if p.dtype is dt.float64 else dt.float32
        return tracer.number(key + (dtype, str(p.device)), getter, dtype, p.device)

    @staticmethod
    def _advance_step(state, then=None):
        """state["step"] += 1, then then(state) (other Python state that
        advances with the step, as NAdam's mu_product): at once, or in a
        trace before every call."""
        def advance():
            state["step"] += 1
            if then is not None:
                then(state)
        tracer = _compile._active()
        if tracer is None:
            advance()
        else:
            tracer.on_call(advance)

    # Settings a compiled step() reads on every call, as it reads the lr (a
    # scheduler's cycle_momentum changes them every step); the trace then
    # depends only on whether each is nonzero (a momentum buffer or not).
    _per_call = ()

    def _traced_for(self):
        """What a compiled step() depends on but tensor values: every setting
        but the lr and the per-call ones, the parameters (which, and their
        shapes and dtypes: `p.data = ...` may change them) and which state
        tensors there are (step counts advance with the calls)."""
        skip = ("params", "lr", "initial_lr")
        settings = [[(k, bool(v) if k in self._per_call else v) for k, v in g.items()
                     if k not in skip] +
                    [("params", [(id(p), tuple(p.shape), p.dtype) for p in g["params"]])]
                    for g in self.param_groups]
        tensors = [sorted((k, id(v)) for k, v in s.items() if isinstance(v, T.Tensor))
                   for s in self.state.values()]
        return settings, tensors, [id(p) for p in self.state]

    def state_dict(self):
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups
                                                 for p in g["params"])}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: dict(v) for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        params = [p for g in self.param_groups for p in g["params"]]
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             "or parameters")
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {params[i]: {k: (v.to(params[i].device) if isinstance(v, T.Tensor)
                                      else v) for k, v in s.items()}
                      for i, s in state_dict["state"].items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid SGD setting: lr={lr}, momentum={momentum}, "
                             f"weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        # In a trace, a zero buffer: its first update is then the gradient, as
        # eager's first step, where dampening is 0.
        if tracer is not None and group["momentum"] and "momentum_buffer" not in state:
            if group["dampening"]:
                raise _compile.GraphBreak("SGD's first step with momentum and dampening "
                                          "(it runs eagerly; later steps compile)")
            state["momentum_buffer"] = T.zeros_like(p.detach())

    _per_call = ("momentum",)

    def _update(self, p, grad, group, state, lr):
        g = _grad_with_decay(p, grad, group)
        if group["momentum"]:
            momentum = self._number(("momentum", id(group)), lambda: group["momentum"], p)
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step's buffer is the gradient itself (no dampening)
                buf = state["momentum_buffer"] = g.clone()
            else:
                buf.mul_(momentum).add_((1 - group["dampening"]) * g)
            g = g + momentum * buf if group["nesterov"] else buf
        p.sub_(lr * g)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None):
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid Adam setting: lr={lr}, betas={betas}, eps={eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    decoupled = False  # AdamW: weight decay on the parameter, not in the gradient

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, exp_avg=T.zeros_like(p.detach()),
                         exp_avg_sq=T.zeros_like(p.detach()))
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = T.zeros_like(p.detach())

    _per_call = ("betas",)

    def _update(self, p, grad, group, state, lr):
        beta1, beta2, rest1, rest2 = (
            self._number((name, id(group)), getter, p) for name, getter in (
                ("beta1", lambda: group["betas"][0]), ("beta2", lambda: group["betas"][1]),
                ("1-beta1", lambda: 1 - group["betas"][0]),
                ("1-beta2", lambda: 1 - group["betas"][1])))
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            if self.decoupled:
                p.mul_(1 - lr * group["weight_decay"])
            else:
                g = g + group["weight_decay"] * p
        # PyTorch's form: lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
        self._advance_step(state)
        correction1 = self._number(("correction1", id(state)),
                                   lambda: 1 - group["betas"][0] ** state["step"], p)
        correction2 = self._number(("correction2", id(state)), lambda: 1 / math.sqrt(
            1 - group["betas"][1] ** state["step"]), p)
        exp_avg, second = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(rest1 * g)
        second.mul_(beta2).add_(rest2 * (g * g))
        if group["amsgrad"]:
            state["max_exp_avg_sq"].copy_(T.maximum(state["max_exp_avg_sq"], second))
            second = state["max_exp_avg_sq"]
        denom = T.sqrt(second) * correction2 + group["eps"]
        p.sub_((lr / correction1) * (exp_avg / denom))


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """PyTorch's RMSprop: v = alpha v + (1 - alpha) g^2 (centered: minus the
    mean gradient squared), then a momentum buffer or a plain step of
    lr g / (sqrt(v) + eps)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if lr < 0 or eps < 0 or momentum < 0 or weight_decay < 0 or alpha < 0:
            raise ValueError(f"Invalid RMSprop setting: lr={lr}, alpha={alpha}, eps={eps}, "
                             f"momentum={momentum}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    _per_call = ("momentum",)

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, square_avg=T.zeros_like(p.detach()))
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = T.zeros_like(p.detach())
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = T.zeros_like(p.detach())

    def _update(self, p, grad, group, state, lr):
        g = _grad_with_decay(p, grad, group)
        alpha = group["alpha"]
        momentum = self._number(("momentum", id(group)), lambda: group["momentum"], p)
        self._advance_step(state)
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).add_((1 - alpha) * (g * g))
        if group["centered"]:
            state["grad_avg"].mul_(alpha).add_((1 - alpha) * g)
            avg = T.sqrt(square_avg - state["grad_avg"] * state["grad_avg"]) + group["eps"]
        else:
            avg = T.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(momentum).add_(g / avg)
            p.sub_(lr * buf)
        else:
            p.sub_(lr * (g / avg))



def _lerp_(t, end, weight):
    """t.lerp_(end, weight) with PyTorch's formula (weight a Python number)."""
    if weight < 0.5:
        t.add_(weight * (end - t))
    else:
        t.copy_(end - (end - t) * (1 - weight))


def _grad_with_decay(p, grad, group):
    """The gradient negated for maximize, plus weight_decay * p (L2)."""
    g = -grad if group["maximize"] else grad
    return g + group["weight_decay"] * p if group["weight_decay"] else g


def _check(name, **values):
    """ValueError naming the first negative setting."""
    for key, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {key} value: {value} ({name})")


def _check_betas(betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


class Adagrad(Optimizer):
    """PyTorch's Adagrad: sum += g^2; p -= clr g / (sqrt(sum) + eps), with
    clr = lr / (1 + (step - 1) lr_decay)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
               initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, sum=T.full_like(p.detach(),
                                                 float(group["initial_accumulator_value"])))

    def _update(self, p, grad, group, state, lr):
        g = _grad_with_decay(p, grad, group)
        self._advance_step(state)
        if group["lr_decay"]:
            lr = self._number(("clr", id(state)), lambda: group["lr"] / (
                1 + (state["step"] - 1) * group["lr_decay"]), p)
        state["sum"].add_(g * g)
        p.sub_(lr * (g / (T.sqrt(state["sum"]) + group["eps"])))


class Adadelta(Optimizer):
    """PyTorch's Adadelta: v = rho v + (1 - rho) g^2; delta = sqrt(u + eps) /
    sqrt(v + eps) g; u = rho u + (1 - rho) delta^2; p -= lr delta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check("Adadelta", lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, square_avg=T.zeros_like(p.detach()),
                         acc_delta=T.zeros_like(p.detach()))

    def _update(self, p, grad, group, state, lr):
        g = _grad_with_decay(p, grad, group)
        self._advance_step(state)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).add_((1 - rho) * g * g)
        delta = T.sqrt(acc_delta + eps) / T.sqrt(square_avg + eps) * g
        acc_delta.mul_(rho).add_((1 - rho) * delta * delta)
        p.sub_(lr * delta)


class Adamax(Optimizer):
    """PyTorch's Adamax: m = lerp(m, g, 1 - beta1); u = max(beta2 u, |g| +
    eps); p -= lr / (1 - beta1^t) m / u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check("Adamax", lr=lr, eps=eps, weight_decay=weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, exp_avg=T.zeros_like(p.detach()),
                         exp_inf=T.zeros_like(p.detach()))

    def _update(self, p, grad, group, state, lr):
        beta1, beta2 = group["betas"]
        g = _grad_with_decay(p, grad, group)
        self._advance_step(state)
        clr = self._number(("adamax_clr", id(state)),
                           lambda: group["lr"] / (1 - beta1 ** state["step"]), p)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        _lerp_(exp_avg, g, 1 - beta1)
        exp_inf.copy_(T.maximum(exp_inf * beta2, T.abs(g) + group["eps"]))
        p.sub_(clr * (exp_avg / exp_inf))


def _decay(p, grad, group, lr):
    """Weight decay as NAdam and RAdam apply it: on the parameter
    (decoupled_weight_decay, as AdamW) or into the gradient."""
    g = -grad if group["maximize"] else grad
    if group["weight_decay"]:
        if group["decoupled_weight_decay"]:
            p.mul_(1 - lr * group["weight_decay"])
        else:
            g = g + group["weight_decay"] * p
    return g


class NAdam(Optimizer):
    """PyTorch's NAdam: Adam's moments with the momentum schedule mu_t =
    beta1 (1 - 0.96^(t momentum_decay) / 2) and its running product
    (mu_product: a Python float, float64; PyTorch keeps a tensor of the
    default dtype)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check("NAdam", lr=lr, eps=eps, weight_decay=weight_decay,
               momentum_decay=momentum_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, mu_product=1.0, exp_avg=T.zeros_like(p.detach()),
                         exp_avg_sq=T.zeros_like(p.detach()))
        if isinstance(state["mu_product"], T.Tensor):  # PyTorch's state dicts
            state["mu_product"] = float(state["mu_product"].item())

    def _update(self, p, grad, group, state, lr):
        beta1, beta2 = group["betas"]
        decay = group["momentum_decay"]

        def mu(step):
            return beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        g = _decay(p, grad, group, lr)
        self._advance_step(state, lambda s: s.__setitem__(
            "mu_product", s["mu_product"] * mu(s["step"])))
        correction2 = self._number(("correction2", id(state)),
                                   lambda: 1 - beta2 ** state["step"], p)
        # -lr (1 - mu_t) / (1 - prod mu) for g and -lr mu_{t+1} / (1 - prod mu mu_{t+1})
        # for m, PyTorch's order
        grad_step = self._number(("nadam_grad", id(state)), lambda: group["lr"] * (
            1.0 - mu(state["step"])) / (1.0 - state["mu_product"]), p)
        avg_step = self._number(("nadam_avg", id(state)), lambda: group["lr"] * mu(
            state["step"] + 1) / (1.0 - state["mu_product"] * mu(state["step"] + 1)), p)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq.mul_(beta2).add_((1 - beta2) * g * g)
        denom = T.sqrt(exp_avg_sq / correction2) + group["eps"]
        p.sub_(grad_step * (g / denom))
        p.sub_(avg_step * (exp_avg / denom))


class RAdam(Optimizer):
    """PyTorch's RAdam: Adam's moments; while the approximated SMA length
    rho_t is at most 5 the step is lr m / (1 - beta1^t), after that rectified
    and adaptive. (One formula for both, the branch picked by per-call
    numbers, so a compiled step follows the switch.)"""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check("RAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, exp_avg=T.zeros_like(p.detach()),
                         exp_avg_sq=T.zeros_like(p.detach()))

    @staticmethod
    def _rectification(beta2, step):
        """(rect, adaptive on) at `step`: rect 0 while rho_t <= 5."""
        correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / correction2
        if rho_t <= 5.0:
            return 0.0
        return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) \
            ** 0.5

    def _update(self, p, grad, group, state, lr):
        beta1, beta2 = group["betas"]
        g = _decay(p, grad, group, lr)
        self._advance_step(state)
        correction1 = self._number(("correction1", id(state)),
                                   lambda: 1 - beta1 ** state["step"], p)
        root2 = self._number(("radam_root2", id(state)),
                             lambda: (1 - beta2 ** state["step"]) ** 0.5, p)
        rect = self._number(("radam_rect", id(state)),
                            lambda: self._rectification(beta2, state["step"]), p)
        plain = self._number(("radam_plain", id(state)), lambda: float(
            self._rectification(beta2, state["step"]) == 0.0), p)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq.mul_(beta2).add_((1 - beta2) * g * g)
        adaptive = root2 / (T.sqrt(exp_avg_sq) + group["eps"])
        p.sub_(exp_avg / correction1 * lr * (adaptive * rect + plain))
