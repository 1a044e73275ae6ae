"""Optimizers with PyTorch's names, arguments and update rules (SGD, Adam,
AdamW): `step()` updates each parameter with a .grad in place, under
no_grad, in the parameter's own dtype and device.

step() inside @mlopt.compile: the state tensors are made before the first
update (concrete, updated in place, so the compiled call writes them back),
the lr is an input read on every call (schedulers change it), the step count
advances on every call (a call hook), and the trace holds while the other
settings and the set of state tensors stay as they were."""

import math

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

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from .._autograd import enable_grad
            with enable_grad():
                loss = closure()
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
                             self._number(("lr", id(group)), lambda: group["lr"], p))
        return loss

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
    def _advance_step(state):
        """state["step"] += 1: at once, or in a trace before every call."""
        tracer = _compile._active()
        if tracer is None:
            state["step"] += 1
        else:
            tracer.on_call(lambda: state.__setitem__("step", state["step"] + 1))

    def _traced_for(self):
        """What a compiled step() depends on but tensor values: every setting
        but the lr, and which state tensors there are (step counts advance
        with the calls)."""
        settings = [[(k, v) for k, v in g.items() if k not in ("params", "lr", "initial_lr")]
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
                 nesterov=False, *, maximize=False):
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

    def _update(self, p, grad, group, state, lr):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step's buffer is the gradient itself (no dampening)
                buf = state["momentum_buffer"] = g.clone()
            else:
                buf.mul_(group["momentum"]).add_((1 - group["dampening"]) * g)
            g = g + group["momentum"] * buf if group["nesterov"] else buf
        p.sub_(lr * g)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
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

    def _update(self, p, grad, group, state, lr):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            if self.decoupled:
                p.mul_(1 - lr * group["weight_decay"])
            else:
                g = g + group["weight_decay"] * p
        # PyTorch's form: lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
        self._advance_step(state)
        correction1 = self._number(("correction1", id(state)),
                                   lambda: 1 - beta1 ** state["step"], p)
        correction2 = self._number(("correction2", id(state)),
                                   lambda: 1 / math.sqrt(1 - beta2 ** state["step"]), p)
        exp_avg, second = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_((1 - beta1) * g)
        second.mul_(beta2).add_((1 - beta2) * (g * g))
        if group["amsgrad"]:
            state["max_exp_avg_sq"].copy_(T.maximum(state["max_exp_avg_sq"], second))
            second = state["max_exp_avg_sq"]
        denom = T.sqrt(second) * correction2 + group["eps"]
        p.sub_((lr / correction1) * (exp_avg / denom))


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """PyTorch's RMSprop: v = alpha v + (1 - alpha) g^2 (centered: minus the
    mean gradient squared), then a momentum buffer or a plain step of
    lr g / (sqrt(v) + eps)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        if lr < 0 or eps < 0 or momentum < 0 or weight_decay < 0 or alpha < 0:
            raise ValueError(f"Invalid RMSprop setting: lr={lr}, alpha={alpha}, eps={eps}, "
                             f"momentum={momentum}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, square_avg=T.zeros_like(p.detach()))
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = T.zeros_like(p.detach())
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = T.zeros_like(p.detach())

    def _update(self, p, grad, group, state, lr):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        alpha = group["alpha"]
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
            buf.mul_(group["momentum"]).add_(g / avg)
            p.sub_(lr * buf)
        else:
            p.sub_(lr * (g / avg))
